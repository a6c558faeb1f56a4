"""Promotion gates: absolute floors, a floor for every class and the high-risk class, and no
regression against the champion on the same test data.

A gate that fails names itself, the value and the threshold, so the reason tagged on the
model version tells the team what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import math

from lightship.evaluation.imbalanced import RECALL_AT_ALERT_RATE
from lightship.evaluation.metrics import HIGH_RISK_RECALL

# What a failed gate on these metrics is called in its reason, so the team reads what regressed.
_MEANING = {RECALL_AT_ALERT_RATE: "high-risk detection rate at the alert budget"}


@dataclass
class GateDecision:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        return "all gates passed" if self.passed else "; ".join(self.reasons)


def _check(decision: GateDecision, name: str, value: float, threshold: float) -> None:
    ok = value >= threshold
    decision.checks.append({"gate": name, "value": round(value, 6), "threshold": round(threshold, 6), "passed": ok})
    if not ok:
        decision.passed = False
        meaning = _MEANING.get(name.removesuffix("_vs_champion"))
        decision.reasons.append(f"{meaning + ' ' if meaning else ''}{name}={value:.4f} < {threshold:.4f}")


def evaluate_gates(
    candidate: dict[str, float],
    labels: Sequence[str],
    gates: Any,
    champion: Optional[dict[str, float]] = None,
    champion_note: Optional[str] = None,
) -> GateDecision:
    """Decide whether ``candidate`` metrics may replace the champion's (``None``: no champion yet)."""
    decision = GateDecision(passed=True)
    _check(decision, "accuracy", candidate["accuracy"], gates.min_accuracy)
    _check(decision, "macro_f1", candidate["macro_f1"], gates.min_macro_f1)
    for label in labels:
        _check(decision, f"recall_{label}", candidate[f"recall_{label}"], gates.min_class_recall)
    if HIGH_RISK_RECALL in candidate:
        _check(decision, HIGH_RISK_RECALL, candidate[HIGH_RISK_RECALL], gates.min_high_risk_recall)
    if not math.isnan(candidate.get(RECALL_AT_ALERT_RATE, math.nan)):
        _check(decision, RECALL_AT_ALERT_RATE, candidate[RECALL_AT_ALERT_RATE], gates.min_detection_rate)
    if champion_note:
        decision.passed = False
        decision.reasons.append(champion_note)
    elif champion is not None and gates.compare_to_champion:
        for name in ("accuracy", "macro_f1", HIGH_RISK_RECALL, RECALL_AT_ALERT_RATE):
            if not math.isnan(candidate.get(name, math.nan)) and not math.isnan(champion.get(name, math.nan)):
                _check(decision, f"{name}_vs_champion", candidate[name], champion[name] - gates.max_regression)
    return decision
