"""Termination requests as exceptions, so a task's cleanup runs when a scheduler stops it.

Python's default ``SIGTERM`` action ends the process on the spot: no ``finally``, no
rollback of a half-done registration, an MLflow run left ``RUNNING``. While a task runs,
``SIGTERM`` raises ``SystemExit(143)`` instead, which unwinds like Ctrl-C does.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Any, Iterator


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, ``SIGTERM`` raises ``SystemExit``; handlers are only settable from the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
