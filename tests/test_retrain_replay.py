"""The online policy's replay buffer and the drift-events reader."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from lightship.errors import DataError
from lightship.retraining.replay import ReplayBuffer
from lightship.retraining.sources import read_drift_events


def test_replay_buffer_is_bounded_and_uniform() -> None:
    buffer = ReplayBuffer(capacity=200, seed=0)
    buffer.add([str(i) for i in range(10_000)], ["old" if i < 5000 else "new" for i in range(10_000)])
    assert len(buffer) == 200 and buffer.seen == 10_000
    share_old = buffer.labels.count("old") / len(buffer)
    assert 0.35 < share_old < 0.65  # a uniform sample of the whole history, not the latest rows
    texts, labels = buffer.sample(32)
    assert len(texts) == len(labels) == 32
    assert ReplayBuffer(0).sample(5) == ([], [])


def test_drift_events_log_accepts_iso_and_unix_times_and_names_bad_lines(tmp_path) -> None:
    path = tmp_path / "drift_events.jsonl"
    rows = [
        {"timestamp": "2026-01-02T00:00:00Z", "drifted": False, "drift_share": 0.0},
        {"timestamp": datetime(2026, 1, 3, tzinfo=timezone.utc).timestamp(), "drifted": True},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    events = read_drift_events(path)
    assert [event.drifted for event in events] == [False, True]
    assert read_drift_events(path, since=datetime(2026, 1, 2, 12, tzinfo=timezone.utc))[0].drifted
    assert read_drift_events(tmp_path / "absent.jsonl") == []
    path.write_text('{"drifted": true}\n')
    with pytest.raises(DataError, match=r"drift_events.jsonl:1: .*'timestamp'"):
        read_drift_events(path)
