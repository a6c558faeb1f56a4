"""Train a challenger on fresh labelled data with ``task=train``'s pipeline, and gate it.

The challenger comes from the same composed config; only the data changes, to the fresh
window, split by time like any other data (the newest rows are the holdout). The release
pipeline (:mod:`lightship.release.pipeline`, as ``task=train`` runs it) then fits, exports, checks parity, registers, evaluates champion and challenger on that
same holdout and moves the alias only when every gate passes (with ``retrain.shadow=true``, the challenger alias:
the version then serves in shadow until :mod:`lightship.promotion.live_evidence` decides). Anything that raises before
registration leaves the registry as it was.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from omegaconf import DictConfig

SOURCE = "fresh labelled window (task=retrain)"


def train_challenger(cfg: DictConfig, fresh: pd.DataFrame) -> dict[str, Any]:
    """Split ``fresh`` (text, label, time) with the run's data settings and train on it; return the summary."""
    from lightship.data.splits import split_frame
    from lightship.release.pipeline import release

    data = split_frame(
        fresh,
        val_fraction=cfg.data.val_fraction,
        test_fraction=cfg.data.test_fraction,
        train_fraction=1.0,
        seed=cfg.seed,
        source=SOURCE,
        min_rows_per_class=cfg.data.min_rows_per_class,
    )
    return release(cfg, data, shadow=bool(cfg.retrain.shadow))
