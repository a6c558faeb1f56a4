"""The sweep leaderboard: one row per job (its overrides and figures), as CSV and Markdown.

Every task that wants a row writes ``job_row.json`` into its job folder
(:func:`write_job_row`); :class:`LeaderboardCallback`, a Hydra callback, collects the
rows when the multirun ends, whichever launcher ran the jobs (basic, joblib, submitit,
Ray: they all share the sweep folder).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Optional

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

ROW_FILE = "job_row.json"
LEADERBOARD_CSV, LEADERBOARD_MD = "leaderboard.csv", "leaderboard.md"


def write_job_row(folder: Path, row: dict[str, Any]) -> Path:
    """Write this job's leaderboard row (flat: column -> number or text)."""
    path = folder / ROW_FILE
    path.write_text(json.dumps(row, indent=2, default=str))
    return path


def _overrides(job_folder: Path) -> str:
    path = job_folder / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return ""
    return " ".join(str(item) for item in OmegaConf.load(path) if not str(item).startswith("hydra"))


def collect_rows(sweep_dir: Path) -> list[dict[str, Any]]:
    """Rows of every job under ``sweep_dir`` (job number and overrides first)."""
    rows = []
    for path in sorted(sweep_dir.rglob(ROW_FILE)):
        job = path.parent
        row = {"job": job.relative_to(sweep_dir).as_posix(), "overrides": _overrides(job)}
        row.update(json.loads(path.read_text()))
        rows.append(row)
    return rows


def write_leaderboard(sweep_dir: Path, sort_by: Optional[str] = None, descending: bool = True) -> Optional[Path]:
    """Write ``leaderboard.csv`` and ``leaderboard.md`` into the sweep folder; print the table."""
    import pandas as pd

    rows = collect_rows(sweep_dir)
    if not rows:
        return None
    table = pd.DataFrame(rows)
    if sort_by and sort_by in table.columns:
        table = table.sort_values(sort_by, ascending=not descending, kind="stable")
    table.to_csv(sweep_dir / LEADERBOARD_CSV, index=False)
    (sweep_dir / LEADERBOARD_MD).write_text(markdown_table(table))
    _print(table)
    return sweep_dir / LEADERBOARD_CSV


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def markdown_table(table: Any) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame (numbers to 4 significant digits)."""
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _print(table: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    view = Table(title="lightship sweep leaderboard")
    for column in table.columns:
        view.add_column(str(column), overflow="fold")
    for _, row in table.iterrows():
        view.add_row(*(_cell(value) for value in row))
    Console(stderr=True).print(view)


class LeaderboardCallback(Callback):
    """Writes the leaderboard into ``hydra.sweep.dir`` when a multirun ends."""

    def __init__(self, sort_by: Optional[str] = "macro_f1", descending: bool = True) -> None:
        self.sort_by = sort_by
        self.descending = descending

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        written = write_leaderboard(sweep_dir, self.sort_by, self.descending)
        if written:
            log.info("Leaderboard: %s", written)
