"""Classification metrics from label ids, with the same definitions as training (torchmetrics)."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

HIGH_RISK_RECALL = "high_risk_recall"


def classification_metrics(
    true_ids: np.ndarray, predicted_ids: np.ndarray, labels: Sequence[str], high_risk_label: Optional[str] = None
) -> dict[str, float]:
    """Accuracy, macro-F1, per-class recall (``recall_<label>``) and the high-risk class's recall."""
    import torch

    from lightship.training.module import flatten_metrics, make_metrics

    metrics = make_metrics(len(labels))
    values = metrics(torch.tensor(np.asarray(predicted_ids), dtype=torch.long), torch.tensor(np.asarray(true_ids), dtype=torch.long))
    flat = flatten_metrics(values, labels, "")
    if high_risk_label is not None and high_risk_label in labels:
        flat[HIGH_RISK_RECALL] = flat[f"recall_{high_risk_label}"]
    return flat
