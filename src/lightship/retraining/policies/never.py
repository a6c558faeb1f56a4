"""``retrain=never``: the champion serves until a person trains a new one."""

from __future__ import annotations

from typing import Any

from lightship.retraining.decision import Action, Decision
from lightship.retraining.policies.base import decision
from lightship.retraining.state import RetrainState


class NeverPolicy:
    """Never retrain; every call still records a "no retrain" decision with the model's age.

    The baseline a backtest compares the other cadences with: what accuracy the first
    model keeps when nobody acts.

    Example::

        >>> from datetime import datetime
        >>> from lightship.retraining.state import RetrainState
        >>> state = RetrainState(now=datetime(2026, 3, 1), last_trained_at=datetime(2026, 1, 1), labelled_rows=5000)
        >>> NeverPolicy().decide(state).action.value
        'none'
    """

    def __init__(self, name: str = "never", min_labelled_rows: int = 0, **_: Any) -> None:
        self.name = name
        self.min_labelled_rows = min_labelled_rows

    def decide(self, state: RetrainState) -> Decision:
        age = state.days_since_training
        shown = "no model trained yet" if age is None else f"model is {age:.1f} days old"
        return decision(self.name, state, Action.none, f"retrain=never: {shown}; retraining is left to a person")
