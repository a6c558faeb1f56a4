"""Label-free performance estimates from calibrated probabilities (confidence-based performance estimation, CBPE).

Labels arrive late; the probabilities do not. When they are calibrated (a row predicted with
probability 0.8 is right 8 times in 10, :mod:`lightship.evaluation.calibration`), a window's
expected performance follows from them alone. With ``p[i, k]`` the probability of class ``k``
for row ``i`` and ``ŷ[i]`` the predicted class (the bundle's decision rule, so the high-risk
threshold is taken into account):

- estimated accuracy = ``mean_i p[i, ŷ[i]]`` (the mean of the largest probability when the
  most probable class decides);
- estimated high-risk recall = ``sum_{i: ŷ[i] = h} p[i, h] / sum_i p[i, h]``: the expected number of
  high-risk rows that are flagged over the expected number of high-risk rows (None when the
  model gives the high-risk class no probability at all).

The estimates hold while the relation between inputs and labels stays the one the model learned
(covariate shift: the inputs move, ``p(y|x)`` does not). Under concept drift the same inputs mean
other labels, the model is confidently wrong and the estimate cannot see it: only labels can.
The service (per drift window, :mod:`lightship.monitoring.live`), drift events and the backtest
all call :func:`estimate_performance`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional

import numpy as np

ESTIMATED_ACCURACY, ESTIMATED_HIGH_RISK_RECALL = "estimated_accuracy", "estimated_high_risk_recall"


@dataclass(frozen=True)
class PerformanceEstimate:
    """One window's estimates (see the module docstring); ``None`` where there is nothing to estimate."""

    estimated_accuracy: Optional[float]
    estimated_high_risk_recall: Optional[float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate_performance(probabilities: np.ndarray, predicted_ids: np.ndarray, high_risk_index: Optional[int] = None) -> PerformanceEstimate:
    """Estimated accuracy and high-risk recall of a window of calibrated ``probabilities`` (rows x classes)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = np.asarray(predicted_ids, dtype=int)
    if not len(probabilities):
        return PerformanceEstimate(None, None)
    accuracy = float(probabilities[np.arange(len(predicted)), predicted].mean())
    recall = None
    if high_risk_index is not None:
        expected_positives = probabilities[:, high_risk_index].sum()
        if expected_positives > 0:
            recall = float(probabilities[predicted == high_risk_index, high_risk_index].sum() / expected_positives)
    return PerformanceEstimate(accuracy, recall)


def high_risk_index(labels: list[str], high_risk_label: Optional[str]) -> Optional[int]:
    """The high-risk class's id among ``labels`` (None when it has none)."""
    return labels.index(high_risk_label) if high_risk_label in labels else None
