"""``retrain=periodic``: a fresh model every ``interval_days``, whatever the data does."""

from __future__ import annotations

from typing import Any

from lightship.errors import ConfigError
from lightship.retraining.decision import Action, Decision
from lightship.retraining.policies.base import blocking_reason, decision
from lightship.retraining.state import RetrainState


class PeriodicPolicy:
    """Retrain on a calendar.

    Parameters: ``interval_days`` (14; 2-4 weeks suits most data: shorter for fast-moving
    data, longer when labels are slow or expensive), ``min_labelled_rows`` (new labelled
    rows needed before a retrain is worth its compute).

    Rule: retrain when no model exists, or when the model is at least ``interval_days``
    old and at least ``min_labelled_rows`` new labelled rows arrived since; otherwise keep
    it. Simple and predictable, but it lags a sudden change by up to one interval and
    spends compute when nothing changed.

    Example::

        >>> from datetime import datetime
        >>> from lightship.retraining.state import RetrainState
        >>> policy = PeriodicPolicy(interval_days=14, min_labelled_rows=100)
        >>> state = RetrainState(now=datetime(2026, 1, 20), last_trained_at=datetime(2026, 1, 1), labelled_rows=900)
        >>> policy.decide(state).reason
        'model is 19.0 days old >= interval_days=14'
    """

    def __init__(self, name: str = "periodic", interval_days: float = 14.0, min_labelled_rows: int = 200, **_: Any) -> None:
        if interval_days <= 0:
            raise ConfigError(f"retrain.interval_days={interval_days} must be > 0 (days between retrains, e.g. 14)")
        self.name = name
        self.interval_days = float(interval_days)
        self.min_labelled_rows = min_labelled_rows

    def decide(self, state: RetrainState) -> Decision:
        age = state.days_since_training
        if age is None:
            return decision(self.name, state, Action.retrain, "no model trained yet")
        if age < self.interval_days:
            return decision(
                self.name, state, Action.none,
                f"model is {age:.1f} days old < interval_days={self.interval_days:g}; next retrain due in {self.interval_days - age:.1f} days",
            )
        blocked = blocking_reason(state, self.min_labelled_rows)
        if blocked:
            return decision(self.name, state, Action.none, f"retrain due but {blocked}")
        return decision(self.name, state, Action.retrain, f"model is {age:.1f} days old >= interval_days={self.interval_days:g}")
