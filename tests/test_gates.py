"""Promotion gates on hand-made metrics."""

from types import SimpleNamespace

from lightship.promotion.gates import evaluate_gates

LABELS = ["billing", "fraud"]
GATES = SimpleNamespace(
    min_accuracy=0.8, min_macro_f1=0.7, min_class_recall=0.2, min_high_risk_recall=0.5, compare_to_champion=True, max_regression=0.01
)


def metrics(accuracy=0.9, f1=0.85, billing=0.95, fraud=0.6) -> dict:
    return {"accuracy": accuracy, "macro_f1": f1, "recall_billing": billing, "recall_fraud": fraud, "high_risk_recall": fraud}


def test_all_gates_pass_without_champion() -> None:
    decision = evaluate_gates(metrics(), LABELS, GATES)
    assert decision.passed and decision.summary() == "all gates passed"
    assert {check["gate"] for check in decision.checks} == {"accuracy", "macro_f1", "recall_billing", "recall_fraud", "high_risk_recall"}


def test_high_risk_floor_protects_the_rare_class() -> None:
    decision = evaluate_gates(metrics(fraud=0.4), LABELS, GATES)
    assert not decision.passed and decision.reasons == ["high_risk_recall=0.4000 < 0.5000"]


def test_regression_against_champion_within_tolerance_passes_beyond_fails() -> None:
    champion = metrics(accuracy=0.905, fraud=0.6)
    assert evaluate_gates(metrics(accuracy=0.9), LABELS, GATES, champion).passed
    decision = evaluate_gates(metrics(accuracy=0.88), LABELS, GATES, champion)
    assert not decision.passed and decision.reasons == ["accuracy_vs_champion=0.8800 < 0.8950"]


def test_incomparable_champion_blocks_with_its_note() -> None:
    decision = evaluate_gates(metrics(), LABELS, GATES, None, "labels differ")
    assert not decision.passed and decision.reasons == ["labels differ"]
