"""A policy's decision (what to do and why) and the JSON-lines log every decision goes to."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Optional


class Action(str, Enum):
    """``none``: keep the model; ``retrain``: train a new model on the fresh window;
    ``update``: continue training the model in service on the new labels (online)."""

    none = "none"
    retrain = "retrain"
    update = "update"


@dataclass(frozen=True)
class UpdateBudget:
    """The bound on one incremental update: replay buffer size, replay share, optimizer steps, passes."""

    replay_buffer_size: int
    replay_fraction: float
    max_steps: int
    passes: int


@dataclass(frozen=True)
class Decision:
    """What a policy decided at ``at``, and the reason a person reads in the log."""

    policy: str
    action: Action
    reason: str
    at: datetime
    update: Optional[UpdateBudget] = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def acts(self) -> bool:
        return self.action is not Action.none

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record.update(action=self.action.value, at=self.at.isoformat())
        return record


class DecisionLog:
    """Appends one JSON object per decision (plus what came of it) to a ``.jsonl`` file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, decision: Decision, **outcome: Any) -> dict[str, Any]:
        return self.write({**decision.to_dict(), **outcome})

    def write(self, record: dict[str, Any]) -> dict[str, Any]:
        """Append one record as is (decisions of other kinds: the live-evidence verdicts)."""
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")
        return record

    def read(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
