"""Promotion on live evidence: promote, retire and wait on seeded labelled histories (no server), and the
paired figures the service and the decision share."""

from __future__ import annotations

import numpy as np
import pytest

from lightship.evaluation.paired import CHALLENGER, CHAMPION, PairedCounts
from lightship.promotion.live_evidence import LiveEvidence, Verdict, decide

LABELS = ("billing", "account", "fraud")


def seeded_history(n: int, champion_accuracy: float, challenger_accuracy: float, seed: int, unlabelled: int = 0) -> PairedCounts:
    """``n`` labelled requests both versions answered, each right with its accuracy (independently), plus unlabelled pairs."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(LABELS, size=n, p=(0.6, 0.3, 0.1))
    cells: dict[tuple[str, str, object], int] = {}

    def answer(true: str, accuracy: float) -> str:
        return true if rng.random() < accuracy else str(rng.choice([label for label in LABELS if label != true]))

    for true in truth:
        key = (answer(true, champion_accuracy), answer(true, challenger_accuracy), str(true))
        cells[key] = cells.get(key, 0) + 1
    if unlabelled:
        cells[("billing", "billing", None)] = unlabelled
    return PairedCounts.of((a, b, t, count) for (a, b, t), count in cells.items())


def judge(counts: PairedCounts, gates_passed: bool = True, alpha: float = 0.05, min_labelled: int = 200):
    return decide(LiveEvidence.of("1", "2", counts, "fraud"), gates_passed, "accuracy=0.5 < 0.7", alpha, min_labelled)


def test_a_challenger_as_good_with_enough_labels_is_promoted() -> None:
    counts = seeded_history(600, 0.80, 0.84, seed=1, unlabelled=50)
    decision = judge(counts)
    assert decision.verdict is Verdict.promote, decision.reason
    evidence = decision.evidence
    assert evidence.labelled == 600 and evidence.pairs == 650
    assert evidence.p_challenger_worse >= 0.05 and "not worse" in decision.reason and "600 labelled pairs" in decision.reason


def test_a_significantly_worse_challenger_is_retired_even_before_the_minimum() -> None:
    counts = seeded_history(150, 0.90, 0.60, seed=2)
    decision = judge(counts)
    assert decision.verdict is Verdict.retire, decision.reason
    only_champion, only_challenger = counts.discordant()
    assert only_champion > only_challenger and decision.evidence.p_challenger_worse < 1e-6
    assert "significantly worse" in decision.reason and f"right alone {only_champion}" in decision.reason


def test_too_little_evidence_waits() -> None:
    decision = judge(seeded_history(40, 0.80, 0.80, seed=3))
    assert decision.verdict is Verdict.wait and "40 labelled pairs < retrain.shadow_min_labelled=200" in decision.reason


def test_a_challenger_that_failed_the_gates_is_retired() -> None:
    decision = judge(seeded_history(600, 0.80, 0.90, seed=4), gates_passed=False)
    assert decision.verdict is Verdict.retire and "did not pass the gates: accuracy=0.5 < 0.7" in decision.reason


def test_the_level_is_the_configured_one() -> None:
    counts = PairedCounts.of([("a", "b", "a", 14), ("b", "a", "a", 6), ("a", "a", "a", 300)])  # 14 vs 6 discordant: p ~ 0.058
    p = counts.p_challenger_worse()
    assert 0.05 < p < 0.1
    assert judge(counts, alpha=0.05).verdict is Verdict.promote
    assert judge(counts, alpha=0.1).verdict is Verdict.retire


def test_exact_mcnemar_matches_scipy_binomial_and_the_paired_figures() -> None:
    from scipy.stats import binomtest

    counts = PairedCounts.of([("fraud", "billing", "fraud", 3), ("billing", "fraud", "fraud", 1), ("fraud", "fraud", "fraud", 6),
                              ("billing", "billing", "billing", 10), ("account", "billing", None, 5)])
    assert counts.discordant() == (3, 1)
    assert counts.p_challenger_worse() == pytest.approx(binomtest(3, 4, 0.5, alternative="greater").pvalue)
    assert counts.pairs == 25 and counts.labelled == 20 and counts.agreement == pytest.approx(16 / 25)
    assert counts.accuracy(CHAMPION) == pytest.approx(19 / 20) and counts.accuracy(CHALLENGER) == pytest.approx(17 / 20)
    assert counts.recall(CHAMPION, "fraud") == pytest.approx(0.9) and counts.recall(CHALLENGER, "fraud") == pytest.approx(0.7)
    assert counts.confusion()[("account", "billing")] == 5 and PairedCounts(()).agreement is None
