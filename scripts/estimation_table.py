"""Label-free estimates against realised performance, per backtest: the table of docs/estimation.md.

Reads every ``<folder>/*/backtest.json`` (experiments/estimation/run.sh writes one per stream) and prints
one Markdown row per stream: realised and estimated accuracy before and after the stream's change
point, the estimation MAE over all windows, and realised vs estimated high-risk recall after the
change. With ``--plot`` it also draws realised (solid) and estimated (dashed) accuracy per window.

    python scripts/estimation_table.py outputs/estimation --plot experiments/estimation/estimation.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Optional

import pandas as pd


def mean(values: list[Optional[float]]) -> Optional[float]:
    kept = [value for value in values if value is not None]
    return sum(kept) / len(kept) if kept else None


def row(name: str, backtest: dict[str, Any]) -> list[Any]:
    """Before and after the change: realised vs estimated accuracy; MAE; realised vs estimated high-risk recall after."""
    change = backtest["summary"].get("change_point")
    windows = backtest["windows"]
    after = [w for w in windows if change is not None and pd.Timestamp(w["start"]) >= pd.Timestamp(change)]
    before = [w for w in windows if w not in after]

    def pair(group: list[dict[str, Any]], realised: str, estimated: str) -> str:
        r, e = mean([w[realised] for w in group]), mean([w[estimated] for w in group])
        return "-" if r is None or e is None else f"{r:.3f} / {e:.3f}"

    mae_after = mean([abs(w["accuracy"] - w["estimated_accuracy"]) for w in after])
    return [name, len(windows), pair(before, "accuracy", "estimated_accuracy"), pair(after, "accuracy", "estimated_accuracy"),
            f"{backtest['summary']['estimation_mae']:.3f}", "-" if mae_after is None else f"{mae_after:.3f}",
            pair(after or windows, "high_risk_recall", "estimated_high_risk_recall")]


def table(folder: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    runs = {path.parent.name: json.loads(path.read_text()) for path in sorted(folder.glob("*/backtest.json"))}
    header = ["stream", "windows", "accuracy before change: realised / estimated", "after change: realised / estimated",
              "MAE (all windows)", "MAE after change", "high-risk recall after change: realised / estimated"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row(name, backtest)) + " |" for name, backtest in runs.items()]
    return "\n".join(lines), runs


def plot(runs: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4.5))
    for name, backtest in runs.items():
        index = [w["window"] for w in backtest["windows"]]
        (line,) = axis.plot(index, [w["accuracy"] for w in backtest["windows"]], marker="o", markersize=3, label=name)
        axis.plot(index, [w["estimated_accuracy"] for w in backtest["windows"]], linestyle="--", color=line.get_color())
    axis.set_xlabel("window (weeks after the warm-up)")
    axis.set_ylabel("accuracy: realised (solid), estimated (dashed)")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    text, runs = table(args.folder)
    print(text)
    if args.plot:
        plot(runs, args.plot)


if __name__ == "__main__":
    main()
