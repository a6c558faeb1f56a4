"""``retrain=drift``: retrain when the drift monitor has flagged K windows in a row."""

from __future__ import annotations

from typing import Any

from lightship.errors import ConfigError
from lightship.retraining.decision import Action, Decision
from lightship.retraining.policies.base import blocking_reason, decision
from lightship.retraining.state import RetrainState


class DriftTriggeredPolicy:
    """Retrain when the data moved, not on a calendar.

    Parameters: ``consecutive_windows`` (K = 2: how many drifted windows in a row, since
    the last training, trigger a retrain; K > 1 ignores a one-off alarm at the price of
    one window of lag), ``cooldown_days`` (7: minimum age of the model before another
    retrain, so a retrain whose own reference is still settling does not trigger the next
    one), ``min_labelled_rows`` (new labelled rows needed to train on).

    Rule: with c the number of most recent consecutive drifted windows (checked against
    the current model's reference profile), retrain when c >= K, the model is at least
    ``cooldown_days`` old and enough labels arrived. No drift, no compute; but it reacts
    only to changes the monitor can see in the inputs and outputs (a change in the
    labels alone, with the same inputs, is invisible to it).

    Example::

        >>> from datetime import datetime, timedelta
        >>> from lightship.retraining.state import DriftEvent, RetrainState
        >>> start = datetime(2026, 1, 1)
        >>> events = [DriftEvent(start + timedelta(days=d), drifted) for d, drifted in [(7, False), (14, True), (21, True)]]
        >>> policy = DriftTriggeredPolicy(consecutive_windows=2, cooldown_days=7, min_labelled_rows=100)
        >>> state = RetrainState(now=start + timedelta(days=21), last_trained_at=start, drift_events=events, labelled_rows=1000)
        >>> policy.decide(state).reason
        '2 consecutive drifted windows >= consecutive_windows=2'
    """

    def __init__(
        self, name: str = "drift", consecutive_windows: int = 2, cooldown_days: float = 7.0, min_labelled_rows: int = 200, **_: Any
    ) -> None:
        if consecutive_windows < 1:
            raise ConfigError(f"retrain.consecutive_windows={consecutive_windows} must be >= 1")
        if cooldown_days < 0:
            raise ConfigError(f"retrain.cooldown_days={cooldown_days} must be >= 0")
        self.name = name
        self.consecutive_windows = consecutive_windows
        self.cooldown_days = float(cooldown_days)
        self.min_labelled_rows = min_labelled_rows

    def decide(self, state: RetrainState) -> Decision:
        age = state.days_since_training
        if age is None:
            return decision(self.name, state, Action.retrain, "no model trained yet")
        drifted = state.consecutive_drifted()
        if drifted < self.consecutive_windows:
            return decision(
                self.name, state, Action.none,
                f"{drifted} consecutive drifted windows < consecutive_windows={self.consecutive_windows}",
            )
        if age < self.cooldown_days:
            return decision(
                self.name, state, Action.none,
                f"{drifted} consecutive drifted windows, but the model is {age:.1f} days old < cooldown_days={self.cooldown_days:g}",
            )
        blocked = blocking_reason(state, self.min_labelled_rows)
        if blocked:
            return decision(self.name, state, Action.none, f"drift calls for a retrain but {blocked}")
        return decision(
            self.name, state, Action.retrain, f"{drifted} consecutive drifted windows >= consecutive_windows={self.consecutive_windows}"
        )
