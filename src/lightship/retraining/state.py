"""What a retraining policy decides on: the model's age, the drift verdicts and the labels seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional, Sequence


@dataclass(frozen=True)
class DriftEvent:
    """One drift check of one window: when it ended and whether it was drifted."""

    at: datetime
    drifted: bool


@dataclass(frozen=True)
class RetrainState:
    """The facts a policy needs, gathered the same way in production and in the backtest.

    ``drift_events`` and ``labelled_rows`` count only what happened after the model in
    service was trained (older drift was measured against another model's reference).
    ``unknown_labels`` are labels in the new feedback that the model cannot predict.
    """

    now: datetime
    last_trained_at: Optional[datetime]
    drift_events: Sequence[DriftEvent] = ()
    labelled_rows: int = 0
    unknown_labels: frozenset[str] = field(default_factory=frozenset)

    @property
    def days_since_training(self) -> Optional[float]:
        if self.last_trained_at is None:
            return None
        return (self.now - self.last_trained_at).total_seconds() / 86400.0

    def consecutive_drifted(self) -> int:
        """How many of the most recent windows were drifted, in a row."""
        count = 0
        for event in sorted(self.drift_events, key=lambda e: e.at, reverse=True):
            if not event.drifted:
                break
            count += 1
        return count
