"""What the consumer needs from a broker: read events, commit their results, report lag.

``commit`` is the delivery guarantee. It writes each record (prediction or dead letter)
at most once per event id and acknowledges the events in one atomic step: an event is
acknowledged only together with its result, so a consumer killed before ``commit`` leaves
its events pending (read again after a restart or claimed by another consumer), and one
killed after it has nothing left to redo. At-least-once processing plus idempotent
writes: every event ends up with exactly one result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol, Sequence

from lightship.errors import LightshipError
from lightship.streaming.events import Event, OutputRecord


class StreamError(LightshipError):
    """The broker cannot be reached or refuses an operation; says which setting to check."""


@dataclass
class Lag:
    """Events in the input not yet delivered to the group, and delivered but not acknowledged (None: unknown)."""

    undelivered: Optional[int]
    pending: Optional[int]


class Broker(Protocol):
    def read(self, max_count: int, block_ms: int) -> list[Event]:
        """Up to ``max_count`` events for this consumer, waiting at most ``block_ms`` when there are none."""
        ...

    def commit(self, records: Sequence[OutputRecord], events: Sequence[Event]) -> int:
        """Write ``records`` (skipping event ids already written) and acknowledge ``events``; return how many were written."""
        ...

    def lag(self) -> Lag:
        ...

    def close(self) -> None:
        ...
