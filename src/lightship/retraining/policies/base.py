"""The protocol every retraining policy follows, and the checks they share."""

from __future__ import annotations

from typing import Optional, Protocol

from lightship.retraining.decision import Action, Decision
from lightship.retraining.state import RetrainState


class RetrainPolicy(Protocol):
    """Looks at a :class:`RetrainState` and says what to do, with a reason.

    A new policy is one class with ``name`` and ``decide`` plus one ``conf/retrain/*.yaml``
    whose ``_target_`` names it; its config fields arrive as keyword arguments.
    """

    name: str

    def decide(self, state: RetrainState) -> Decision:
        ...


def decision(policy: str, state: RetrainState, action: Action, reason: str, **kwargs: object) -> Decision:
    """A :class:`Decision` stamped with the state's time and the facts it was based on."""
    facts = {
        "days_since_training": None if state.days_since_training is None else round(state.days_since_training, 3),
        "consecutive_drifted": state.consecutive_drifted(),
        "labelled_rows": state.labelled_rows,
    }
    return Decision(policy, action, reason, state.now, facts=facts, **kwargs)  # type: ignore[arg-type]


def blocking_reason(state: RetrainState, min_labelled_rows: int) -> Optional[str]:
    """Why no retrain can be considered yet (too few new labels), or None."""
    if state.labelled_rows < min_labelled_rows:
        return f"{state.labelled_rows} labelled rows since the last training < min_labelled_rows={min_labelled_rows}"
    return None
