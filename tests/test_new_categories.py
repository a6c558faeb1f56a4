"""``experiment=new_categories``: a tabular backtest in which the drift report names the new categories
weeks before the fraud that moves into them hurts the model, and the drift-triggered retrain recovers."""

from __future__ import annotations


import pandas as pd
import pytest
from lightship_testing import run_backtest

pytestmark = pytest.mark.slow  # one replay, 16 gbdt fits and exports: about a minute on 2 idle cores

# A smaller stream than the experiment's (same shape: the change at week 10, the fraud two weeks later).
SMALL = ["data.n_rows=15000", "model.n_estimators=100"]


@pytest.fixture(scope="module")
def backtest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_backtest(tmp_path_factory.mktemp("new_categories"), ["experiment=new_categories", *SMALL])


def test_the_tabular_backtest_records_every_window(backtest: dict) -> None:
    assert backtest["policy"] == "drift" and backtest["model"] == "gbdt" and backtest["high_risk_label"] == "fraud"
    windows = backtest["windows"]
    assert [w["window"] for w in windows] == list(range(len(windows))) and len(windows) == 15
    assert all(w["rows"] > 500 and 0.9 < w["accuracy"] <= 1.0 and w["high_risk_recall"] is not None for w in windows)
    assert set(windows[0]) >= {"start", "accuracy", "high_risk_recall", "drifted", "drifted_features", "new_categories", "degraded", "retrained"}


def test_the_drift_report_names_the_new_categories_from_the_change_on(backtest: dict) -> None:
    change = pd.Timestamp(backtest["summary"]["change_point"])
    first_retrain = next(w["window"] for w in backtest["windows"] if w["action"] == "retrain")
    for window in backtest["windows"]:
        if pd.Timestamp(window["start"]) < change or window["window"] > first_retrain:
            assert window["new_categories"] == {}, window  # nothing new before the change; the retrained model knows them
        else:
            assert sorted(window["new_categories"]["merchant_category"]) == ["new_cat_1", "new_cat_2", "new_cat_3"]
            assert "merchant_category" in window["drifted_features"]


def test_the_alarm_comes_windows_before_the_degradation(backtest: dict) -> None:
    summary = backtest["summary"]
    assert summary["first_alarm_window"] == 6  # the week of the change
    # Seeded: the fraud moves two weeks after the categories; at least one window of lead, with a margin of one.
    assert summary["alarm_lead_windows"] >= 1 and summary["alarm_lead_windows"] == summary["first_degraded_window"] - summary["first_alarm_window"]
    assert summary["alarm_lead_days"] == summary["alarm_lead_windows"] * 7
    degraded = backtest["windows"][summary["first_degraded_window"]]
    assert degraded["high_risk_recall"] < summary["high_risk_recall_floor"] - 0.1 and degraded["accuracy"] > summary["accuracy_floor"]


def test_the_drift_triggered_retrain_recovers(backtest: dict) -> None:
    windows = backtest["windows"]
    retrain = next(w["window"] for w in windows if w["action"] == "retrain")
    assert retrain >= backtest["summary"]["first_degraded_window"]
    assert "consecutive drifted windows" in windows[retrain]["reason"]
    after = [w["high_risk_recall"] for w in windows[retrain + 1 :]]
    assert after and min(after) >= backtest["summary"]["high_risk_recall_floor"], after
    assert not any(w["degraded"] for w in windows[retrain + 1 :])
