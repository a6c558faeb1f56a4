"""Plot a sweep leaderboard: metrics against one swept value, one line per another.

    python scripts/plot_leaderboard.py multirun/<date>/<time> --x data.train_fraction --group model \
        --metrics accuracy macro_f1 high_risk_recall --out experiments/pretrained_vs_custom/learning_curves.png

Reads ``leaderboard.csv`` (written by the sweep's leaderboard callback); the swept values
are parsed from each job's ``overrides`` column.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd


def swept_value(overrides: str, key: str) -> str | None:
    match = re.search(rf"(?:^|\s){re.escape(key)}=(\S+)", overrides)
    return match.group(1) if match else None


def load(sweep_dir: Path, x: str, group: str) -> pd.DataFrame:
    table = pd.read_csv(sweep_dir / "leaderboard.csv")
    table[x] = table["overrides"].map(lambda text: swept_value(str(text), x)).astype(float)
    table[group] = table["overrides"].map(lambda text: swept_value(str(text), group))
    return table.sort_values([group, x])


def plot(table: pd.DataFrame, x: str, group: str, metrics: list[str], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    for axis, metric in zip(axes[0], metrics):
        for name, rows in table.groupby(group):
            axis.plot(rows[x], rows[metric], marker="o", label=str(name))
        axis.set_xlabel(x)
        axis.set_title(metric)
        axis.grid(alpha=0.3)
    axes[0][0].legend()
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--x", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--metrics", nargs="+", default=["accuracy", "macro_f1", "high_risk_recall"])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    table = load(args.sweep_dir, args.x, args.group)
    plot(table, args.x, args.group, args.metrics, args.out)
    print(table.drop(columns=["overrides"]).to_string(index=False))


if __name__ == "__main__":
    main()
