"""Train a challenger on fresh labelled data with ``task=train``'s pipeline, and gate it.

The challenger comes from the same composed config; only the data node changes, to the
fresh window written as JSON lines into the run folder. ``task=train`` then fits,
exports, checks parity, registers, evaluates champion and challenger on the same
holdout (the newest rows of the window, by time) and moves the alias only when every
gate passes. Anything that raises before registration leaves the registry as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from lightship.data.splits import TIME

FRESH_FILE = "fresh_window.jsonl"
_COMMON_DATA_KEYS = ("val_fraction", "test_fraction", "batch_size", "num_workers", "min_rows_per_class", "high_risk_label")


def fresh_data_config(cfg: DictConfig, path: Path) -> DictConfig:
    """A ``data=text_file`` node for ``path`` that keeps the run's split, batch and high-risk settings."""
    from lightship.config.schemas.data import TextFileConfig

    node = OmegaConf.structured(TextFileConfig)
    node._target_ = "lightship.data.text_file.TextFileData"
    node.path = str(path)
    node.time_column = TIME
    for key in _COMMON_DATA_KEYS:
        if key in cfg.data:
            node[key] = cfg.data[key]
    return node


def train_challenger(cfg: DictConfig, fresh: pd.DataFrame, out: Path) -> dict[str, Any]:
    """Write ``fresh`` to the run folder and run ``task=train`` on it; return its summary."""
    from lightship.tasks.train import run as train

    path = out / FRESH_FILE
    frame = fresh.assign(**{TIME: fresh[TIME].astype(str)})
    frame.to_json(path, orient="records", lines=True, force_ascii=False)
    challenger_cfg = cfg.copy()
    challenger_cfg.data = fresh_data_config(cfg, path)
    return train(challenger_cfg)
