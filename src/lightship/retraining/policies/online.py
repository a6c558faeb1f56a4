"""``retrain=online``: keep training the model in service on every new labelled window."""

from __future__ import annotations

from typing import Any

from lightship.errors import ConfigError
from lightship.retraining.decision import Action, Decision, UpdateBudget
from lightship.retraining.policies.base import blocking_reason, decision
from lightship.retraining.state import RetrainState


class OnlinePolicy:
    """Incremental updates: small, frequent, bounded.

    Parameters: ``min_labelled_rows`` (new labels that make an update worth running),
    ``replay_buffer_size`` (older labelled rows kept, as a uniform reservoir sample, and
    mixed into every update so the model does not forget what is still true),
    ``replay_fraction`` (share of each batch drawn from the buffer), ``max_steps_per_update``
    (hard bound on optimizer steps, hence on compute, per update), ``passes`` (passes
    over the new rows, within that bound).

    Rule: when at least ``min_labelled_rows`` new labelled rows arrived, update the model
    in place with at most ``max_steps_per_update`` steps; when they carry a label the model
    cannot predict (a new category), an update cannot add a class, so retrain instead.
    Follows fast-moving data closely; the price is a model that is never re-validated from
    scratch and a tokenizer that stays as it was.

    Example::

        >>> from datetime import datetime
        >>> from lightship.retraining.state import RetrainState
        >>> policy = OnlinePolicy(min_labelled_rows=100, max_steps_per_update=50)
        >>> state = RetrainState(now=datetime(2026, 1, 8), last_trained_at=datetime(2026, 1, 1), labelled_rows=350)
        >>> d = policy.decide(state)
        >>> d.action.value, d.update.max_steps
        ('update', 50)
    """

    # Its decisions update the model in place (the backtest checks the model family can).
    updates_in_place = True

    def __init__(
        self,
        name: str = "online",
        min_labelled_rows: int = 200,
        replay_buffer_size: int = 2000,
        replay_fraction: float = 0.5,
        max_steps_per_update: int = 100,
        passes: int = 2,
        **_: Any,
    ) -> None:
        if not 0 <= replay_fraction < 1:
            raise ConfigError(f"retrain.replay_fraction={replay_fraction} must lie in [0, 1): the share of each batch replayed")
        if max_steps_per_update < 1 or passes < 1:
            raise ConfigError("retrain.max_steps_per_update and retrain.passes must be >= 1")
        self.name = name
        self.min_labelled_rows = min_labelled_rows
        self.budget = UpdateBudget(replay_buffer_size, float(replay_fraction), max_steps_per_update, passes)

    def decide(self, state: RetrainState) -> Decision:
        if state.last_trained_at is None:
            return decision(self.name, state, Action.retrain, "no model trained yet")
        blocked = blocking_reason(state, self.min_labelled_rows)
        if blocked:
            return decision(self.name, state, Action.none, blocked)
        if state.unknown_labels:
            return decision(
                self.name, state, Action.retrain,
                f"new label(s) {sorted(state.unknown_labels)} in the feedback: an incremental update cannot add classes",
            )
        return decision(
            self.name, state, Action.update,
            f"{state.labelled_rows} new labelled rows: incremental update (<= {self.budget.max_steps} steps, "
            f"{self.budget.replay_fraction:.0%} replay)",
            update=self.budget,
        )
