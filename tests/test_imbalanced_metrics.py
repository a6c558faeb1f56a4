"""Imbalanced-class metrics against scikit-learn on fixed predictions; the decision rule; the detection-rate gate."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, confusion_matrix, precision_score, recall_score

from lightship.evaluation.imbalanced import imbalanced_metrics
from lightship.inference.decision import DecisionRule, choose_threshold, decide
from lightship.promotion.gates import evaluate_gates


@pytest.fixture(scope="module")
def fixed() -> tuple[np.ndarray, np.ndarray]:
    """2,000 rows, 1% positives, scores that rank positives higher but not perfectly (no ties)."""
    rng = np.random.default_rng(7)
    truth = np.zeros(2000, bool)
    truth[rng.choice(2000, 20, replace=False)] = True
    scores = rng.random(2000) * 0.6 + truth * rng.random(2000) * 0.5
    return truth, scores


def test_metrics_match_scikit_learn(fixed: tuple[np.ndarray, np.ndarray]) -> None:
    truth, scores = fixed
    flagged = scores >= 0.55
    metrics = imbalanced_metrics(truth, scores, flagged, alert_rate=0.01, precision_target=0.5)
    assert metrics["pr_auc"] == pytest.approx(average_precision_score(truth, scores))
    top = scores >= np.sort(scores)[-20]  # 1% of 2,000 rows
    assert metrics["recall_at_alert_rate"] == pytest.approx(recall_score(truth, top))
    candidates = [recall_score(truth, scores >= t) for t in np.unique(scores) if precision_score(truth, scores >= t) >= 0.5]
    assert metrics["recall_at_precision"] == pytest.approx(max(candidates))
    tn, fp, _, _ = confusion_matrix(truth, flagged).ravel()
    assert metrics["false_positive_rate"] == pytest.approx(fp / (fp + tn))
    assert 0 < metrics["recall_at_alert_rate"] < 1 and 0 < metrics["false_positive_rate"] < 0.2


def test_thresholds_meet_their_target_on_the_data_they_were_chosen_on(fixed: tuple[np.ndarray, np.ndarray]) -> None:
    truth, scores = fixed
    budget = choose_threshold(truth, scores, "alert_rate", 0.01, 0.5)
    assert int((scores >= budget).sum()) == 20
    precise = choose_threshold(truth, scores, "precision", 0.01, 0.5)
    assert precision_score(truth, scores >= precise) >= 0.5
    assert recall_score(truth, scores >= precise) == pytest.approx(imbalanced_metrics(truth, scores, truth, 0.01, 0.5)["recall_at_precision"])
    assert choose_threshold(truth, scores, "precision", 0.01, 1.01) is None


def test_the_rule_flags_by_threshold_and_otherwise_picks_the_best_other_class() -> None:
    probabilities = np.array([[0.10, 0.30, 0.60], [0.05, 0.90, 0.05], [0.50, 0.20, 0.30], [0.35, 0.40, 0.25]])
    assert decide(probabilities, None).tolist() == [2, 1, 0, 1]
    rule = DecisionRule("fraud", 0, 0.4)
    assert decide(probabilities, rule).tolist() == [2, 1, 0, 1]
    assert decide(probabilities, DecisionRule("fraud", 0, 0.08)).tolist() == [0, 1, 0, 0]
    assert decide(probabilities, DecisionRule("fraud", 0, 0.6)).tolist() == [2, 1, 2, 1]
    assert DecisionRule.from_manifest({"decision": rule.to_dict()}) == rule and DecisionRule.from_manifest({}) is None


GATES = SimpleNamespace(min_accuracy=0.9, min_macro_f1=0.5, min_class_recall=0.0, min_high_risk_recall=0.0, min_detection_rate=0.5,
                        compare_to_champion=True, max_regression=0.01)


def _metrics(accuracy: float, detection: float) -> dict[str, float]:
    return {"accuracy": accuracy, "macro_f1": 0.8, "recall_fraud": 0.7, "recall_legit": 0.99, "high_risk_recall": 0.7,
            "pr_auc": 0.7, "recall_at_alert_rate": detection, "recall_at_precision": 0.6, "false_positive_rate": 0.01}


def test_a_more_accurate_challenger_that_detects_less_fraud_is_refused_and_told_why() -> None:
    champion = _metrics(accuracy=0.990, detection=0.80)
    decision = evaluate_gates(_metrics(accuracy=0.996, detection=0.70), ["fraud", "legit"], GATES, champion)
    assert not decision.passed
    assert decision.reasons == ["high-risk detection rate at the alert budget recall_at_alert_rate_vs_champion=0.7000 < 0.7900"]
    assert evaluate_gates(_metrics(accuracy=0.996, detection=0.795), ["fraud", "legit"], GATES, champion).passed
    floor = evaluate_gates(_metrics(accuracy=0.996, detection=0.40), ["fraud", "legit"], GATES)
    assert floor.reasons == ["high-risk detection rate at the alert budget recall_at_alert_rate=0.4000 < 0.5000"]
