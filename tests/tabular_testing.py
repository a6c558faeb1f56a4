"""A rule-based three-class table for the tabular tests: a few numeric, categorical and boolean columns, a little noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = ["north", "south", "east", "west"]
CHANNELS = ["web", "store", "phone"]


def rule_table(n_rows: int = 3000, seed: int = 0, noise: float = 0.03, missing: float = 0.02) -> pd.DataFrame:
    """``label`` in {low, mid, high} from a score of amount, age, region, channel and is_member; ``time`` over 90 days."""
    rng = np.random.default_rng(seed)
    amount = rng.gamma(2.0, 50.0, n_rows)
    age = rng.integers(18, 80, n_rows)
    region = rng.choice(REGIONS, n_rows)
    channel = rng.choice(CHANNELS, n_rows, p=[0.5, 0.3, 0.2])
    member = rng.random(n_rows) < 0.4
    score = amount / 50 + (age > 50) * 1.5 + (region == "north") * 1.0 - (channel == "phone") * 1.2 + member * 0.8
    label = np.where(score < 2.0, "low", np.where(score < 3.5, "mid", "high")).astype(object)
    flip = rng.random(n_rows) < noise
    label[flip] = rng.choice(["low", "mid", "high"], int(flip.sum()))
    frame = pd.DataFrame({"amount": amount.round(2), "age": age, "region": region, "channel": channel, "is_member": member,
                          "label": label, "time": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.random(n_rows) * 90, unit="D")})
    frame.loc[rng.random(n_rows) < missing, "amount"] = np.nan
    frame.loc[rng.random(n_rows) < missing, "channel"] = None
    return frame


def write_rule_table(folder: Path, name: str = "table.csv", **options: object) -> Path:
    path = Path(folder) / name
    frame = rule_table(**options)  # type: ignore[arg-type]
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, date_format="iso")
    else:
        frame.to_csv(path, index=False)
    return path
