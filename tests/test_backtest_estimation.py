"""``task=backtest`` records a label-free accuracy estimate beside each window's realised accuracy; on the built-in
stream without drift the estimate is within 3 points (mean absolute error), seeded."""

from __future__ import annotations


import pytest
from lightship_testing import run_backtest

pytestmark = pytest.mark.slow  # one replay (one warm-up training, five windows): about a minute on 2 free cores

# Eight weeks of the built-in stream without drift: the first model trains on two weeks, five weekly windows of ~270 rows.
STREAM = ["backtest.stream_drift=none", "data.n_rows=3000", "data.days=56", "backtest.warmup_days=14", "backtest.train_window_days=14",
          "backtest.window_days=7", "retrain=never", "seed=42"]


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_backtest(tmp_path_factory.mktemp("estimation"), ["task=backtest", *STREAM])


def test_each_window_has_its_estimate_beside_the_realised_accuracy(replay: dict) -> None:
    windows = replay["windows"]
    assert len(windows) == 5
    for window in windows:
        assert 0.0 < window["estimated_accuracy"] <= 1.0
        assert window["estimated_high_risk_recall"] is None or 0.0 <= window["estimated_high_risk_recall"] <= 1.0
    gaps = [abs(w["accuracy"] - w["estimated_accuracy"]) for w in windows]
    assert replay["summary"]["estimation_mae"] == pytest.approx(sum(gaps) / len(gaps))


def test_estimation_error_without_drift_is_at_most_three_points(replay: dict) -> None:
    assert replay["summary"]["estimation_mae"] <= 0.03, replay["summary"]
