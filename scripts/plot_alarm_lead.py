"""Plot one backtest's windows: high-risk recall and accuracy over time, the drift alarm and the damage marked.

    python scripts/plot_alarm_lead.py outputs/<date>/<time>/backtest.json --out experiments/new_categories/alarm_lead.png

Shaded: windows whose drift report names a category the model never trained on (the alarm);
crosses: windows below a floor (``degraded``); triangles: the model changed after the window.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def plot(backtest: dict[str, Any], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from lightship.retraining.compare import save_time_plot

    windows, summary = backtest["windows"], backtest["summary"]
    starts = [pd.Timestamp(w["start"]) for w in windows]
    figure, axis = plt.subplots(figsize=(9, 4.2))
    for start, window in zip(starts, windows):
        if window.get("new_categories"):
            axis.axvspan(start, pd.Timestamp(window["end"]), color="orange", alpha=0.15, linewidth=0)
    recall = [w["high_risk_recall"] for w in windows]
    axis.plot(starts, recall, marker="o", markersize=3, label=f"{backtest.get('high_risk_label') or 'high-risk'} recall")
    axis.plot(starts, [w["accuracy"] for w in windows], marker="o", markersize=3, label="accuracy")
    degraded = [(s, r) for s, r, w in zip(starts, recall, windows) if w.get("degraded")]
    if degraded:
        axis.scatter(*zip(*degraded), marker="x", s=50, color="red", zorder=3, label="degraded window")
    changed = [(s, r) for s, r, w in zip(starts, recall, windows) if w["retrained"]]
    if changed:
        axis.scatter(*zip(*changed), marker="^", s=60, color="black", zorder=3, label="retrained after this window")
    axis.axhline(summary["high_risk_recall_floor"], color="red", linestyle=":", linewidth=1, label="recall floor")
    if summary.get("change_point"):
        axis.axvline(pd.Timestamp(summary["change_point"]), color="grey", linestyle="--", linewidth=1, label="new categories appear")
    axis.set_ylim(0, 1.05)
    axis.set_xlabel("window start (shaded: the drift report names a new category)")
    axis.set_title(f"Alarm {summary['alarm_lead_windows']} windows ({summary['alarm_lead_days']:g} days) before the damage; "
                   f"retrain={backtest['policy']}")
    return save_time_plot(figure, axis, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("backtest", type=Path, help="a backtest.json")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(plot(json.loads(args.backtest.read_text(encoding="utf-8")), args.out))


if __name__ == "__main__":
    main()
