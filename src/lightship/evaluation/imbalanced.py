"""Metrics of a rare high-risk class, measured the way fraud teams measure them.

Accuracy says little when 0.5% of the rows are fraud: a model that never alerts is 99.5%
accurate. What matters is how much fraud the team catches for the alerts it can afford:

- ``pr_auc``: average precision of the high-risk score (area under the precision-recall curve);
- ``recall_at_alert_rate``: the detection rate when the ``alert_rate`` share of rows with the
  highest scores is flagged (1% of traffic, say: the analysts' budget);
- ``recall_at_precision``: the best recall whose precision is at least ``precision_target``;
- ``false_positive_rate``: the share of other rows that the model's decision (its threshold,
  see :mod:`lightship.inference.decision`) flags as high-risk.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

PR_AUC, RECALL_AT_ALERT_RATE, RECALL_AT_PRECISION, FALSE_POSITIVE_RATE = (
    "pr_auc", "recall_at_alert_rate", "recall_at_precision", "false_positive_rate",
)
IMBALANCED_METRICS = (PR_AUC, RECALL_AT_ALERT_RATE, RECALL_AT_PRECISION, FALSE_POSITIVE_RATE)


def alert_count(n_rows: int, alert_rate: float) -> int:
    """How many rows an alert budget flags: ``ceil(alert_rate * n)``, at least one."""
    return max(1, math.ceil(alert_rate * n_rows - 1e-9)) if n_rows else 0


def recall_at_alert_rate(is_high_risk: np.ndarray, scores: np.ndarray, alert_rate: float) -> float:
    """Recall when the ``alert_rate`` share of rows with the highest scores is flagged (ties broken by order)."""
    positives = int(is_high_risk.sum())
    if not positives:
        return float("nan")
    flagged = np.argsort(-scores, kind="stable")[: alert_count(len(scores), alert_rate)]
    return float(is_high_risk[flagged].sum() / positives)


def recall_at_precision(is_high_risk: np.ndarray, scores: np.ndarray, precision_target: float) -> float:
    """The highest recall over thresholds whose precision is at least ``precision_target`` (0 when none is)."""
    from sklearn.metrics import precision_recall_curve

    if not is_high_risk.any():
        return float("nan")
    precision, recall, _ = precision_recall_curve(is_high_risk, scores)
    reachable = recall[precision >= precision_target]
    return float(reachable.max()) if len(reachable) else 0.0


def imbalanced_metrics(
    is_high_risk: np.ndarray, scores: np.ndarray, flagged: np.ndarray, alert_rate: float, precision_target: float
) -> dict[str, float]:
    """The four metrics of the module docstring, from the truth, the high-risk scores and the model's flags."""
    from sklearn.metrics import average_precision_score

    truth = np.asarray(is_high_risk, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    flagged = np.asarray(flagged, dtype=bool)
    negatives = int((~truth).sum())
    return {
        PR_AUC: float(average_precision_score(truth, scores)) if truth.any() else float("nan"),
        RECALL_AT_ALERT_RATE: recall_at_alert_rate(truth, scores, alert_rate),
        RECALL_AT_PRECISION: recall_at_precision(truth, scores, precision_target),
        FALSE_POSITIVE_RATE: float((flagged & ~truth).sum() / negatives) if negatives else float("nan"),
    }


def high_risk_metrics(true_ids: np.ndarray, probabilities: np.ndarray, predicted_ids: np.ndarray, index: int, settings: Any) -> dict[str, float]:
    """:func:`imbalanced_metrics` of class ``index`` from label ids and probabilities; ``settings`` is ``cfg.metrics``."""
    return imbalanced_metrics(
        np.asarray(true_ids) == index, probabilities[:, index], np.asarray(predicted_ids) == index,
        float(settings.alert_rate), float(settings.precision_target),
    )
