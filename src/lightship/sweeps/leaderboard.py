"""The sweep leaderboard: one row per job (its overrides and figures), as CSV and Markdown.

Every task that wants a row writes ``job_row.json`` into its job folder
(:func:`write_job_row`); :class:`LeaderboardCallback`, a Hydra callback, collects the
rows after every job and when the multirun ends, whichever launcher ran the jobs (basic,
joblib, submitit, Ray: they all share the sweep folder). A job that fails gets a row with
``status: failed`` and its error, and the board is already written when Hydra re-raises
the failure at the end of the sweep, so one broken job loses none of the others' figures.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

ROW_FILE = "job_row.json"
LEADERBOARD_CSV, LEADERBOARD_MD = "leaderboard.csv", "leaderboard.md"


def write_text_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so parallel jobs rewriting a sweep file never leave half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(temporary, path)


def write_job_row(folder: Path, row: dict[str, Any]) -> Path:
    """Write this job's leaderboard row (flat: column -> number or text)."""
    path = folder / ROW_FILE
    path.write_text(json.dumps(row, indent=2, default=str))
    return path


def record_failed_job(config: DictConfig, job_return: Any) -> bool:
    """Give a failed multirun job a row (``status: failed``, the model option, the error); True if it failed."""
    from hydra.core.utils import JobStatus

    if job_return.status is not JobStatus.FAILED:
        return False
    folder = Path(config.hydra.runtime.output_dir)
    if not (folder / ROW_FILE).is_file():
        try:
            job_return.return_value  # a failed job's return value re-raises its error
        except Exception as error:  # noqa: BLE001 - any job error becomes the row's text
            write_job_row(folder, {"model": config.hydra.runtime.choices.get("model"), "status": "failed",
                                   "error": f"{type(error).__name__}: {error}"})
    log.warning("job %s failed; the leaderboard in %s keeps it as a failed row", folder.name, config.hydra.sweep.dir)
    return True


def in_multirun(config: DictConfig) -> bool:
    from hydra.types import RunMode

    return config.hydra.mode == RunMode.MULTIRUN


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


def write_leaderboard(sweep_dir: Path, sort_by: Optional[str] = None, descending: bool = True, echo: bool = True) -> Optional[Path]:
    """Write ``leaderboard.csv`` and ``leaderboard.md`` into the sweep folder; print the table if ``echo``."""
    import pandas as pd

    rows = collect_rows(sweep_dir)
    if not rows:
        return None
    table = pd.DataFrame(rows)
    if sort_by and sort_by in table.columns:
        table = table.sort_values(sort_by, ascending=not descending, kind="stable")
    write_text_atomically(sweep_dir / LEADERBOARD_CSV, table.to_csv(index=False))
    write_text_atomically(sweep_dir / LEADERBOARD_MD, markdown_table(table))
    if echo:
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
    """Writes the leaderboard into ``hydra.sweep.dir`` after each job (quietly) and when a multirun ends."""

    def __init__(self, sort_by: Optional[str] = "macro_f1", descending: bool = True) -> None:
        self.sort_by = sort_by
        self.descending = descending

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        if in_multirun(config):
            record_failed_job(config, job_return)
            write_leaderboard(Path(config.hydra.sweep.dir), self.sort_by, self.descending, echo=False)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        written = write_leaderboard(sweep_dir, self.sort_by, self.descending)
        if written:
            log.info("Leaderboard: %s", written)
