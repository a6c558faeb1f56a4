"""The decision rule: from class probabilities to labels, with the high-risk class's threshold.

Without a rule the label is the most probable class. A rule flags the high-risk class when
its probability reaches ``threshold`` (chosen on the validation split for an alert budget
or a precision target, see :func:`choose_threshold`) and otherwise gives the most probable
of the other classes. The rule is stored in the bundle's manifest (``decision``) and
applied by :func:`decide`, the one function every consumer calls through the runtime
(serving, batch scoring, the stream consumer, the release's test metrics, the backtest),
so a threshold cannot differ between them.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Optional

import numpy as np

log = logging.getLogger(__name__)

DECISION = "decision"  # the manifest's field


@dataclass(frozen=True)
class DecisionRule:
    """Flag ``label`` (class id ``index``) when its probability is at least ``threshold``."""

    label: str
    index: int
    threshold: float
    target: str = ""
    target_value: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Optional["DecisionRule"]:
        """The bundle's rule, or None (most probable class) for bundles without one."""
        record = manifest.get(DECISION)
        return cls(**record) if record else None


def decide(probabilities: np.ndarray, rule: Optional[DecisionRule]) -> np.ndarray:
    """Label ids of each row of ``probabilities`` under ``rule`` (None: the most probable class)."""
    best = probabilities.argmax(axis=-1)
    if rule is None or not len(probabilities):
        return best
    others = probabilities.copy()
    others[:, rule.index] = -np.inf
    flagged = probabilities[:, rule.index] >= rule.threshold
    return np.where(flagged, rule.index, others.argmax(axis=-1))


def choose_threshold(
    is_high_risk: np.ndarray, scores: np.ndarray, target: str, alert_rate: float, precision_target: float
) -> Optional[float]:
    """The high-risk threshold meeting ``target`` on validation scores; None when it cannot be met.

    ``alert_rate``: the score of the last row inside the budget (the top ``alert_rate`` share);
    ``precision``: the lowest threshold whose precision reaches ``precision_target`` (the most recall at that precision).
    """
    from sklearn.metrics import precision_recall_curve

    from lightship.evaluation.imbalanced import alert_count

    scores = np.asarray(scores, dtype=float)
    if target == "alert_rate":
        if not len(scores):
            return None
        return float(np.sort(scores)[::-1][alert_count(len(scores), alert_rate) - 1])
    if not np.asarray(is_high_risk).any():
        return None
    precision, _, thresholds = precision_recall_curve(is_high_risk, scores)
    reaching = thresholds[precision[:-1] >= precision_target]
    return float(reaching.min()) if len(reaching) else None


def rule_for(
    labels: list[str], high_risk_label: Optional[str], probabilities: np.ndarray, true_labels: Any, settings: Any
) -> Optional[DecisionRule]:
    """The rule ``settings`` (``cfg.metrics``) asks for, chosen on validation probabilities; None for ``argmax``."""
    target = getattr(settings.threshold, "value", settings.threshold)
    if target == "argmax" or high_risk_label is None or high_risk_label not in labels:
        return None
    index = labels.index(high_risk_label)
    value = settings.alert_rate if target == "alert_rate" else settings.precision_target
    threshold = choose_threshold(np.asarray(true_labels) == high_risk_label, probabilities[:, index], target,
                                 settings.alert_rate, settings.precision_target)
    if threshold is None:
        log.warning("metrics.threshold=%s: no threshold reaches %s=%s on validation; the most probable class decides.", target, target, value)
        return None
    log.info("High-risk threshold %.4g for %s (%s=%s on validation)", threshold, high_risk_label, target, value)
    return DecisionRule(high_risk_label, index, threshold, target, float(value))
