"""``task=backtest`` on the built-in stream with a sudden drift: who recovers after the change."""

from __future__ import annotations

from pathlib import Path

import pytest
from lightship_testing import run_backtest

pytestmark = pytest.mark.slow  # three replays with retrains: about 2 minutes on 2 shared cores

# A short seeded stream: 8 weeks, the change at week 4; the first model trains on 2 weeks.
STREAM = [
    "data.n_rows=2000", "data.days=56", "data.drift.kind=sudden", "data.drift.start=0.5", "data.drift.vocab_shift=0.9",
    "backtest.warmup_days=14", "backtest.train_window_days=14", "backtest.window_days=7", "backtest.max_epochs=4",
    "backtest.model.hidden_size=32", "backtest.model.intermediate_size=64", "backtest.model.vocab_size=1000", "backtest.model.lr=5e-3",
    "retrain.min_labelled_rows=100", "retrain.consecutive_windows=1",
]


def _backtest(folder: Path, policy: str) -> dict:
    overrides = [o for o in STREAM if not o.startswith("retrain.consecutive") or policy == "drift"]
    return run_backtest(folder, ["task=backtest", f"retrain={policy}", *overrides])


@pytest.fixture(scope="module")
def backtests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("backtest")
    return {policy: _backtest(folder, policy) for policy in ("never", "drift", "online")}


def test_backtest_json_has_the_documented_layout(backtests: dict[str, dict]) -> None:
    never = backtests["never"]
    assert set(never) >= {"policy", "windows", "summary"}
    assert set(never["windows"][0]) >= {"start", "accuracy", "high_risk_recall", "drifted", "retrained"}
    assert set(never["summary"]) >= {"mean_accuracy", "post_drift_accuracy", "worst_accuracy", "windows_below_floor", "retrains", "train_seconds"}
    assert never["summary"]["retrains"] == 0 and never["summary"]["train_seconds"] == 0


def test_drift_and_online_recover_after_a_sudden_drift_and_never_does_not(backtests: dict[str, dict]) -> None:
    post = {policy: result["summary"]["post_drift_accuracy"] for policy, result in backtests.items()}
    assert any(window["drifted"] for window in backtests["never"]["windows"])  # the monitor sees the change
    assert backtests["drift"]["summary"]["retrains"] >= 1
    assert post["drift"] > post["never"] + 0.05, post
    assert post["online"] > post["never"] + 0.05, post
