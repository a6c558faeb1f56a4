"""Label-free performance estimates (CBPE) on fixed probabilities: the formulas of docs/estimation.md."""

from __future__ import annotations

import numpy as np
import pytest

from lightship.inference.decision import DecisionRule, decide
from lightship.monitoring.estimation import estimate_performance, high_risk_index

# Classes: ok, fraud (index 1), other.
PROBABILITIES = np.array([
    [0.9, 0.05, 0.05],
    [0.6, 0.3, 0.1],
    [0.2, 0.7, 0.1],
    [0.1, 0.1, 0.8],
])


def test_accuracy_is_the_mean_probability_of_the_predicted_class() -> None:
    estimate = estimate_performance(PROBABILITIES, PROBABILITIES.argmax(1), high_risk_index(["ok", "fraud", "other"], "fraud"))
    assert estimate.estimated_accuracy == pytest.approx((0.9 + 0.6 + 0.7 + 0.8) / 4)
    # Only row 2 is flagged: 0.7 of the expected 0.05 + 0.3 + 0.7 + 0.1 = 1.15 fraud rows.
    assert estimate.estimated_high_risk_recall == pytest.approx(0.7 / 1.15)


def test_a_threshold_rule_changes_the_predicted_class_and_the_estimates() -> None:
    rule = DecisionRule("fraud", 1, 0.25)
    predicted = decide(PROBABILITIES, rule)
    assert predicted.tolist() == [0, 1, 1, 2]
    estimate = estimate_performance(PROBABILITIES, predicted, 1)
    assert estimate.estimated_accuracy == pytest.approx((0.9 + 0.3 + 0.7 + 0.8) / 4)
    assert estimate.estimated_high_risk_recall == pytest.approx((0.3 + 0.7) / 1.15)


def test_no_rows_no_high_risk_class_and_no_high_risk_mass_give_none() -> None:
    assert estimate_performance(np.zeros((0, 3)), np.zeros(0, int), 1).to_dict() == {"estimated_accuracy": None, "estimated_high_risk_recall": None}
    assert estimate_performance(PROBABILITIES, PROBABILITIES.argmax(1)).estimated_high_risk_recall is None
    certain = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert estimate_performance(certain, np.array([0, 0]), 1).estimated_high_risk_recall == 0.0
    assert estimate_performance(np.array([[1.0, 0.0]]), np.array([0]), 1).estimated_high_risk_recall is None
    assert high_risk_index(["a", "b"], None) is None and high_risk_index(["a", "b"], "c") is None


def test_on_calibrated_samples_the_estimate_meets_the_realised_accuracy() -> None:
    rng = np.random.default_rng(7)
    logits = rng.normal(scale=2.0, size=(20000, 4))
    probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    truth = np.array([rng.choice(4, p=row) for row in probabilities])
    predicted = probabilities.argmax(1)
    estimate = estimate_performance(probabilities, predicted, 0)
    assert estimate.estimated_accuracy == pytest.approx((predicted == truth).mean(), abs=0.01)
    realised_recall = ((predicted == 0) & (truth == 0)).sum() / (truth == 0).sum()
    assert estimate.estimated_high_risk_recall == pytest.approx(realised_recall, abs=0.02)
