"""Arrival times of texts between the HTTP layer and the adaptive batch.

BentoML merges the ``texts`` of concurrent requests into one list and gives the batch
function no trace of which request each text came from. The middleware notes each
validated text here (keyed by its content, FIFO among equal texts) with its request and
arrival time; the batch function takes them back to measure the queue wait per request
and to tell which texts were truncated. Entries whose request never reached a batch
(a client that went away) are dropped after ``max_age_s``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Optional, Sequence


@dataclass(frozen=True)
class Arrival:
    request: int
    at: float  # time.perf_counter()
    truncated: bool


class ArrivalLedger:
    def __init__(self, max_age_s: float = 120.0) -> None:
        self._entries: dict[str, deque[Arrival]] = {}
        self._lock = threading.Lock()
        self._max_age_s = max_age_s
        self._last_sweep = time.perf_counter()

    def note(self, request: int, texts: Sequence[str], truncated: Sequence[bool], at: float) -> None:
        with self._lock:
            for text, cut in zip(texts, truncated):
                self._entries.setdefault(text, deque()).append(Arrival(request, at, cut))
            self._sweep(at)

    def take(self, texts: Sequence[str]) -> list[Optional[Arrival]]:
        """One arrival per text (None for a text that was not noted, e.g. an internal call)."""
        with self._lock:
            found = []
            for text in texts:
                queue = self._entries.get(text)
                found.append(queue.popleft() if queue else None)
                if queue is not None and not queue:
                    del self._entries[text]
            return found

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < self._max_age_s:
            return
        self._last_sweep = now
        for text in list(self._entries):
            queue = self._entries[text]
            while queue and now - queue[0].at > self._max_age_s:
                queue.popleft()
            if not queue:
                del self._entries[text]
