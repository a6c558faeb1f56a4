"""Compare backtests: one row per policy and a plot of accuracy over time (a Hydra callback).

After ``lightship -m task=backtest retrain=periodic,drift,online,never`` the callback
reads every job's ``backtest.json`` in the sweep folder and writes there
``comparison.md`` (the table), ``comparison.json`` and ``accuracy_over_time.png``.
Enable it in ``conf/config.yaml``::

    hydra:
      callbacks:
        backtest_comparison:
          _target_: lightship.retraining.compare.BacktestComparison

or run it on a finished sweep: ``python -m lightship.retraining.compare multirun/<date>/<time>``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from lightship.retraining.backtest.summary import BACKTEST_FILE

log = logging.getLogger(__name__)

TABLE, DATA, PLOT = "comparison.md", "comparison.json", "accuracy_over_time.png"
_COLUMNS = [
    ("policy", "policy"),
    ("mean_accuracy", "mean acc."),
    ("post_drift_accuracy", "post-drift acc."),
    ("worst_accuracy", "worst window"),
    ("windows_below_floor", "windows < floor"),
    ("retrains", "retrains"),
    ("train_seconds", "train s"),
]


def load_backtests(sweep_dir: Path) -> list[dict[str, Any]]:
    """Every ``backtest.json`` under ``sweep_dir`` (one per job), in job order."""
    files = sorted(Path(sweep_dir).glob(f"*/{BACKTEST_FILE}"), key=lambda path: (len(path.parent.name), path.parent.name))
    return [json.loads(path.read_text(encoding="utf-8")) for path in files]


def comparison_table(backtests: list[dict[str, Any]]) -> str:
    """A Markdown table: mean, post-drift and worst-window accuracy, windows below the floor, retrains, seconds."""
    floor = backtests[0]["summary"].get("accuracy_floor") if backtests else None
    header = [label.replace("< floor", f"< {floor:g}") if floor is not None else label for _, label in _COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for backtest in backtests:
        cells = [_cell(backtest["summary"].get(key, backtest.get(key))) for key, _ in _COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 10 else f"{value:.3f}"
    return str(value)


def plot_accuracy(backtests: list[dict[str, Any]], path: Path) -> Path:
    """Accuracy per window and policy; retrains marked, the change point and the floor drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    figure, axis = plt.subplots(figsize=(9, 4.5))
    for backtest in backtests:
        windows = backtest["windows"]
        starts = [pd.Timestamp(window["start"]) for window in windows]
        accuracy = [window["accuracy"] for window in windows]
        (line,) = axis.plot(starts, accuracy, marker="o", markersize=3, label=backtest["policy"])
        acted = [(start, acc) for start, acc, window in zip(starts, accuracy, windows) if window["retrained"]]
        if acted:
            axis.scatter(*zip(*acted), marker="^", s=45, color=line.get_color(), zorder=3)
    summary = backtests[0]["summary"] if backtests else {}
    if summary.get("change_point"):
        axis.axvline(pd.Timestamp(summary["change_point"]), color="grey", linestyle="--", label="change point")
    if summary.get("accuracy_floor") is not None:
        axis.axhline(summary["accuracy_floor"], color="red", linestyle=":", linewidth=1, label="accuracy floor")
    axis.set_xlabel("window start")
    axis.set_ylabel("accuracy (predicted before labels)")
    axis.set_title("Backtest: accuracy over time per retraining policy (triangles: model changed after the window)")
    return save_time_plot(figure, axis, path)


def save_time_plot(figure: Any, axis: Any, path: Path) -> Path:
    """Legend, dated x axis, written to ``path`` and closed: the end of every backtest plot."""
    import matplotlib.pyplot as plt

    axis.legend(loc="lower left", fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_comparison(sweep_dir: Path) -> list[Path]:
    """Write the table, the data and the plot into ``sweep_dir``; nothing when it holds no backtest."""
    backtests = load_backtests(sweep_dir)
    if not backtests:
        return []
    sweep_dir = Path(sweep_dir)
    (sweep_dir / TABLE).write_text(comparison_table(backtests), encoding="utf-8")
    rows = [{"policy": backtest["policy"], **backtest["summary"]} for backtest in backtests]
    (sweep_dir / DATA).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    plot_accuracy(backtests, sweep_dir / PLOT)
    return [sweep_dir / TABLE, sweep_dir / DATA, sweep_dir / PLOT]


class BacktestComparison(Callback):
    """Hydra callback: after a multirun, compare the jobs' backtests (does nothing for other tasks)."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        written = write_comparison(Path(config.hydra.sweep.dir))
        if written:
            log.info("Backtest comparison:\n%s(written to %s)", written[0].read_text(encoding="utf-8"), written[0].parent)


if __name__ == "__main__":
    for written in write_comparison(Path(sys.argv[1])):
        print(written)
