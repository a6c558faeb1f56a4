"""Each retraining policy's decisions on hand-made state histories."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lightship.config.targets import instantiate
from lightship.config.validation import compose_config
from lightship.errors import ConfigError
from lightship.retraining.decision import Action, DecisionLog
from lightship.retraining.policies import (
    DriftTriggeredPolicy,
    NeverPolicy,
    OnlinePolicy,
    PeriodicPolicy,
)
from lightship.retraining.state import DriftEvent, RetrainState

T0 = datetime(2026, 1, 1)


def state(days: float, labelled: int = 1000, drift: str = "", unknown: frozenset[str] = frozenset()) -> RetrainState:
    """``drift``: one character per weekly window since training, ``x`` drifted, ``.`` not."""
    events = [DriftEvent(T0 + timedelta(days=7 * (i + 1)), flag == "x") for i, flag in enumerate(drift)]
    return RetrainState(now=T0 + timedelta(days=days), last_trained_at=T0, drift_events=events, labelled_rows=labelled, unknown_labels=unknown)


@pytest.mark.parametrize("option", ["never", "periodic", "drift", "online"])
def test_each_option_composes_to_its_policy(option: str) -> None:
    cfg = compose_config([f"retrain={option}"])
    policy = instantiate(cfg.retrain, list(cfg.allowed_targets))
    assert policy.name == option
    assert policy.decide(state(30)).reason


def test_never_keeps_the_model_and_says_so() -> None:
    decided = NeverPolicy().decide(state(365, drift="xxxx"))
    assert decided.action is Action.none
    assert "365.0 days old" in decided.reason


def test_periodic_follows_the_calendar() -> None:
    policy = PeriodicPolicy(interval_days=14, min_labelled_rows=200)
    timeline = {day: policy.decide(state(day)).action for day in (0, 7, 13.9, 14, 30)}
    assert timeline == {0: Action.none, 7: Action.none, 13.9: Action.none, 14: Action.retrain, 30: Action.retrain}
    assert "next retrain due in 7.0 days" in policy.decide(state(7)).reason
    starved = policy.decide(state(30, labelled=50))
    assert starved.action is Action.none and "50 labelled rows" in starved.reason
    assert policy.decide(RetrainState(now=T0, last_trained_at=None)).action is Action.retrain
    with pytest.raises(ConfigError, match="interval_days"):
        PeriodicPolicy(interval_days=0)


def test_drift_needs_k_consecutive_windows_and_respects_the_cooldown() -> None:
    policy = DriftTriggeredPolicy(consecutive_windows=2, cooldown_days=7, min_labelled_rows=200)
    assert policy.decide(state(21, drift="..x")).action is Action.none  # one alarm is not enough
    assert policy.decide(state(28, drift="x.x.")).action is Action.none  # not consecutive
    fired = policy.decide(state(28, drift="..xx"))
    assert fired.action is Action.retrain and fired.reason.startswith("2 consecutive drifted windows")
    assert fired.facts["consecutive_drifted"] == 2
    cooling = DriftTriggeredPolicy(consecutive_windows=2, cooldown_days=30).decide(state(28, drift="..xx"))
    assert cooling.action is Action.none and "cooldown_days=30" in cooling.reason
    assert policy.decide(state(28, labelled=10, drift="..xx")).action is Action.none
    assert policy.decide(state(365)).action is Action.none  # old but stable: no compute spent


def test_online_updates_with_a_bounded_budget_and_retrains_for_new_labels() -> None:
    policy = OnlinePolicy(min_labelled_rows=100, replay_buffer_size=500, replay_fraction=0.25, max_steps_per_update=40)
    update = policy.decide(state(7, labelled=350))
    assert update.action is Action.update
    assert (update.update.max_steps, update.update.replay_buffer_size, update.update.replay_fraction) == (40, 500, 0.25)
    assert policy.decide(state(7, labelled=20)).action is Action.none
    new_class = policy.decide(state(7, labelled=350, unknown=frozenset({"outage"})))
    assert new_class.action is Action.retrain and "outage" in new_class.reason
    with pytest.raises(ConfigError, match="replay_fraction"):
        OnlinePolicy(replay_fraction=1.0)


def test_every_decision_is_logged_with_its_reason(tmp_path) -> None:
    log = DecisionLog(tmp_path / "decisions.jsonl")
    for days in (7, 14):
        log.append(PeriodicPolicy(interval_days=14).decide(state(days)), window="w")
    records = log.read()
    assert [record["action"] for record in records] == ["none", "retrain"]
    assert all(record["reason"] and record["policy"] == "periodic" for record in records)
