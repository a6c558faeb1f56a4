"""Windows: which rows one drift check looks at (config: ``drift.window``).

Two shapes, one rule set:

- by count: ``size`` consecutive rows; by time: the rows whose ``time_column``
  falls in ``[start, start + duration)``, starts aligned to multiples of
  ``duration`` (so hourly windows start on the hour);
- tumbling: windows do not overlap; sliding: a new window starts every ``step``
  rows (count) or every ``time_step`` (time), by default half a window.

:func:`iter_windows` cuts a DataFrame offline (``task=drift``, backtests); a
trailing count window shorter than ``size`` and any window with fewer than
``min_rows`` rows are skipped. :class:`LiveWindow` is the bounded in-memory
buffer the service appends request features to; it says when a check is due and
hands over a snapshot, so the check runs off the request path.

>>> import pandas as pd
>>> frame = pd.DataFrame({"x": range(10)})
>>> [(w.start, w.end) for w in iter_windows(frame, size=4)]
[(0, 4), (4, 8)]
>>> [(w.start, w.end) for w in iter_windows(frame, size=4, mode="sliding", step=3, min_rows=1)]
[(0, 4), (3, 7), (6, 10)]
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Optional, Union

import pandas as pd

from lightship.errors import ConfigError, DataError


@dataclass(frozen=True)
class Window:
    """One window: its rows and its bounds (row positions, or timestamps for time windows)."""

    start: Any
    end: Any
    frame: pd.DataFrame


def _value(option: Any) -> Any:
    return getattr(option, "value", option)


def _duration(text: str, key: str) -> pd.Timedelta:
    try:
        duration = pd.Timedelta(text)
    except (TypeError, ValueError):
        raise ConfigError(f"drift.window.{key}={text!r} is not a duration; use e.g. '15min', '1h', '1d'") from None
    if duration <= pd.Timedelta(0):
        raise ConfigError(f"drift.window.{key}={text!r} must be positive")
    return duration


@dataclass(frozen=True)
class WindowSpec:
    """The ``drift.window`` settings, checked; enum values are accepted as their strings."""

    by: str = "count"
    size: int = 500
    duration: str = "1h"
    mode: str = "tumbling"
    step: Optional[int] = None
    time_step: Optional[str] = None
    time_column: Optional[str] = None
    min_rows: int = 1
    max_rows: int = 100_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "by", _value(self.by))
        object.__setattr__(self, "mode", _value(self.mode))
        if self.by not in ("count", "time"):
            raise ConfigError(f"drift.window.by={self.by!r}; accepted: count, time")
        if self.mode not in ("tumbling", "sliding"):
            raise ConfigError(f"drift.window.mode={self.mode!r}; accepted: tumbling, sliding")
        if self.size < 1:
            raise ConfigError(f"drift.window.size={self.size} must be >= 1")

    @classmethod
    def from_config(cls, window: Any = None, **overrides: Any) -> "WindowSpec":
        """From a ``drift.window`` node (DictConfig, dataclass or mapping) plus keyword overrides."""
        options = {} if window is None else dict(window) if isinstance(window, Mapping) else dict(vars(window))
        return cls(**{**options, **overrides})

    @property
    def row_step(self) -> int:
        """Rows between window starts (count windows)."""
        return self.size if self.mode == "tumbling" else (self.step or max(1, self.size // 2))

    @property
    def length(self) -> pd.Timedelta:
        return _duration(self.duration, "duration")

    @property
    def time_stride(self) -> pd.Timedelta:
        """Time between window starts (time windows)."""
        if self.mode == "tumbling":
            return self.length
        return _duration(self.time_step, "time_step") if self.time_step else self.length / 2


def _count_windows(frame: pd.DataFrame, size: int, step: int) -> Iterator[Window]:
    for start in range(0, len(frame) - size + 1, step):
        yield Window(start, start + size, frame.iloc[start:start + size])


def _time_windows(frame: pd.DataFrame, column: str, duration: pd.Timedelta, step: pd.Timedelta) -> Iterator[Window]:
    if column not in frame.columns:
        raise DataError(f"drift.window.time_column={column!r} is not a column; columns: {list(map(str, frame.columns))}")
    try:
        times = pd.to_datetime(frame[column])
    except (TypeError, ValueError) as error:
        raise DataError(f"column {column!r} cannot be read as timestamps: {error}") from None
    ordered = frame.assign(_t=times).sort_values("_t", kind="stable")
    stamps = ordered["_t"]
    if stamps.isna().all():
        return
    start = stamps.min().floor(step)
    last = stamps.max()
    while start <= last:
        end = start + duration
        mask = (stamps >= start) & (stamps < end)
        yield Window(start, end, ordered.loc[mask].drop(columns="_t"))
        start += step


def iter_windows(frame: pd.DataFrame, spec: Optional[WindowSpec] = None, **options: Any) -> Iterator[Window]:
    """Cut ``frame`` into windows; ``options`` are :class:`WindowSpec` fields (``**cfg.drift.window`` works)."""
    spec = spec or WindowSpec.from_config(None, **options)
    if spec.by == "count":
        windows = _count_windows(frame, spec.size, spec.row_step)
    else:
        if not spec.time_column:
            raise ConfigError("drift.window.by=time needs drift.window.time_column (the timestamp column)")
        windows = _time_windows(frame, spec.time_column, spec.length, spec.time_stride)
    return (window for window in windows if len(window.frame) >= spec.min_rows)


class LiveWindow:
    """A bounded buffer of recent feature rows that says when a drift check is due.

    ``add`` is O(rows) and never blocks on a check: the caller (the service)
    appends each request's features, and a background task calls :meth:`take`,
    which returns a snapshot DataFrame when a check is due (``None`` otherwise).

    - count/tumbling: due every ``size`` new rows; the buffer restarts after each take.
    - count/sliding: due once ``size`` rows are held and ``step`` new rows arrived.
    - time/tumbling: due when the current period of ``duration`` has ended.
    - time/sliding: due every ``time_step``; holds the rows of the last ``duration``.

    At most ``max_rows`` rows are held (oldest dropped first). Thread-safe.
    """

    def __init__(self, spec: Optional[WindowSpec] = None, clock: Callable[[], float] = time.time,
                 **options: Any) -> None:
        self.spec = spec or WindowSpec.from_config(None, **options)
        self.clock = clock
        self._duration = self.spec.length.total_seconds()
        self._time_step = self.spec.time_stride.total_seconds()
        capacity = self.spec.size if self.spec.by == "count" else self.spec.max_rows
        self._rows: deque[tuple[float, Mapping[str, Any]]] = deque(maxlen=capacity)
        self._new_rows = 0
        self._period_start = self.clock()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, rows: Union[pd.DataFrame, Mapping[str, Any], list], timestamp: Optional[float] = None) -> None:
        """Append rows: a DataFrame, a list of row dicts, or one row dict."""
        if isinstance(rows, pd.DataFrame):
            records = rows.to_dict("records")
        elif isinstance(rows, Mapping):
            records = [rows]
        else:
            records = list(rows)
        stamp = self.clock() if timestamp is None else timestamp
        with self._lock:
            self._rows.extend((stamp, record) for record in records)
            self._new_rows += len(records)

    def due(self) -> bool:
        with self._lock:
            return self._due(self.clock())

    def _due(self, now: float) -> bool:
        if self.spec.by == "count":
            return len(self._rows) >= self.spec.size and self._new_rows >= self.spec.row_step
        return now - self._period_start >= self._time_step and len(self._rows) >= self.spec.min_rows

    def take(self) -> Optional[pd.DataFrame]:
        """The window's rows if a check is due (and mark them consumed), else ``None``."""
        records = self.take_records()
        return None if records is None else pd.DataFrame.from_records(records)

    def take_records(self) -> Optional[list]:
        """Like :meth:`take`, as the list of added row dicts (no DataFrame is built)."""
        with self._lock:
            now = self.clock()
            if self.spec.by == "time":
                while self._rows and self._rows[0][0] < now - self._duration:
                    self._rows.popleft()
            if not self._due(now):
                return None
            snapshot = [record for _, record in self._rows]
            self._new_rows = 0
            self._period_start = now
            if self.spec.mode == "tumbling":
                self._rows.clear()
            return snapshot

    @classmethod
    def from_config(cls, window: Any, clock: Callable[[], float] = time.time, **overrides: Any) -> "LiveWindow":
        """Build from a ``drift.window`` node (DictConfig, dataclass or mapping)."""
        return cls(WindowSpec.from_config(window, **overrides), clock=clock)
