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


def train_challenger(cfg: DictConfig, fresh: pd.DataFrame, source: Any) -> dict[str, Any]:
    """Split ``fresh`` (the model's input columns, label, time) as the ``data`` source splits its own data; train on it.

    ``source`` is the run's ``data`` object, so a table's schema comes from the fresh train split as
    it would from a file. Returns the release summary.
    """
    from lightship.release.pipeline import release

    return release(cfg, source.split(fresh, SOURCE), shadow=bool(cfg.retrain.shadow))
