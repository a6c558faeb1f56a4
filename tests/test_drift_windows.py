"""Offline windows (count/time, tumbling/sliding) and the bounded live window."""

import pandas as pd
import pytest

from lightship.errors import ConfigError, DataError
from lightship.monitoring.drift.windows import LiveWindow, iter_windows


def test_count_tumbling_windows_drop_the_short_tail():
    frame = pd.DataFrame({"x": range(10)})
    assert [len(w.frame) for w in iter_windows(frame, size=4)] == [4, 4]


def test_count_sliding_windows_default_to_half_a_window_step():
    frame = pd.DataFrame({"x": range(10)})
    assert [(w.start, w.end) for w in iter_windows(frame, size=4, mode="sliding")] == [(0, 4), (2, 6), (4, 8), (6, 10)]


def test_time_windows_align_to_the_period_and_slide():
    times = pd.date_range("2024-01-01 00:30", periods=6, freq="30min")
    frame = pd.DataFrame({"t": times, "x": range(6)})
    tumbling = list(iter_windows(frame, by="time", duration="1h", time_column="t"))
    assert [w.start.hour for w in tumbling] == [0, 1, 2, 3] and [len(w.frame) for w in tumbling] == [1, 2, 2, 1]
    sliding = list(iter_windows(frame, by="time", duration="1h", mode="sliding", time_step="30min", time_column="t"))
    assert len(sliding) == 6 and all("_t" not in w.frame.columns for w in sliding)


def test_min_rows_skips_thin_windows():
    times = pd.to_datetime(["2024-01-01 00:10", "2024-01-01 00:20", "2024-01-01 05:00"])
    frame = pd.DataFrame({"t": times})
    assert [len(w.frame) for w in iter_windows(frame, by="time", duration="1h", time_column="t", min_rows=2)] == [2]


def test_window_errors_are_actionable():
    frame = pd.DataFrame({"x": range(3)})
    with pytest.raises(ConfigError, match="time_column"):
        list(iter_windows(frame, by="time"))
    with pytest.raises(DataError, match="'when'"):
        list(iter_windows(frame, by="time", time_column="when"))
    with pytest.raises(ConfigError, match="duration"):
        list(iter_windows(frame, by="time", duration="soon", time_column="x"))
    with pytest.raises(ConfigError, match="mode"):
        list(iter_windows(frame, mode="hopping"))


def test_live_count_tumbling_window_hands_over_each_batch_once():
    window = LiveWindow(size=3)
    window.add({"x": 1})
    window.add([{"x": 2}, {"x": 3}])
    assert window.due()
    assert list(window.take()["x"]) == [1, 2, 3]
    assert window.take() is None and len(window) == 0


def test_live_count_sliding_window_is_bounded_and_steps():
    window = LiveWindow(size=4, mode="sliding", step=2)
    window.add(pd.DataFrame({"x": range(5)}))
    assert list(window.take()["x"]) == [1, 2, 3, 4]
    window.add({"x": 5})
    assert window.take() is None
    window.add({"x": 6})
    assert list(window.take()["x"]) == [3, 4, 5, 6]


def test_live_time_window_evicts_old_rows_and_fires_on_schedule():
    now = [0.0]
    window = LiveWindow(by="time", duration="10s", mode="sliding", time_step="5s", max_rows=100, clock=lambda: now[0])
    window.add({"x": 1}, timestamp=0.0)
    now[0] = 3.0
    window.add({"x": 2})
    assert window.take() is None
    now[0] = 12.0
    assert list(window.take()["x"]) == [2]
