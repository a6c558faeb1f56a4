"""``task=stream`` on a real redis-server with the smoke model: exactly-once output, dead letters,
recovery after SIGKILL, two consumers in one group, SIGTERM mid-stream, the metrics endpoint."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from stream_helpers import Consumer, check_predictions, output_ids, overrides, pending, text_events, wait_for

from lightship.streaming.local_redis import entries, fill


def run_in_process(args: list[str], folder: Path) -> dict:
    """``task=stream`` in this process, with ``folder`` as the working directory (its run folder goes there)."""
    from lightship_testing import working_directory

    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    with working_directory(folder):
        return run_task(compose_config(args))


def test_5000_events_each_scored_exactly_once(redis_server, stream_store: Path, smoke_run: dict) -> None:
    from lightship.inference import load_runtime
    from lightship.serving.store import PredictionStore

    client = redis_server.client()
    ids = fill(client, "once:in", text_events(5000))
    summary = run_in_process(overrides(stream_store, redis_server.url, "once", "stream.max_messages=5000", "stream.metrics_port=0"), stream_store)
    assert summary["events"] == summary["predictions"] == summary["written"] == 5000
    assert summary["dead_letters"] == summary["duplicates_skipped"] == 0 and summary["stopped_by"] == "max_messages"
    runtime = load_runtime(smoke_run["bundle"])
    rows = check_predictions(client, "once:out", runtime.labels)
    assert sorted(row["event_id"] for row in rows) == sorted(ids)  # each event once, none extra
    assert pending(client, "once:in") == 0
    # The same numbers as the serving runtime in process (parity tolerance).
    sample = {row["event_id"]: row for row in rows[:50]}
    texts = {entry_id: fields["text"] for entry_id, fields in entries(client, "once:in") if entry_id in sample}
    expected = runtime.predict([texts[i] for i in sample]).probabilities
    got = np.array([[json.loads(sample[i]["probabilities"])[label] for label in runtime.labels] for i in sample])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    store = PredictionStore(stream_store / "once.db")
    assert store.counts()["predictions"] == 5000
    store.close()


def test_malformed_events_are_dead_lettered_and_the_consumer_goes_on(redis_server, stream_store: Path) -> None:
    client = redis_server.client()
    good = fill(client, "dead:in", text_events(10))
    bad = fill(client, "dead:in", [{"txt": "wrong field name"}, {"text": b"\xff\xfe not utf-8"}, {"text": "   "}])
    after = fill(client, "dead:in", text_events(5, start=10))
    summary = run_in_process(overrides(stream_store, redis_server.url, "dead", "stream.max_messages=18", "stream.metrics_port=0"), stream_store)
    assert (summary["predictions"], summary["dead_letters"]) == (15, 3)
    assert sorted(output_ids(client, "dead:out")) == sorted(good + after)
    letters = {fields["event_id"]: fields for _, fields in entries(client, "dead:dead")}
    assert sorted(letters) == sorted(bad)
    assert [letters[i]["reason"] for i in bad] == ["missing_field", "not_utf8", "empty"]
    assert "fields present: txt" in letters[bad[0]]["error"] and '"txt": "wrong field name"' in letters[bad[0]]["fields"]
    assert pending(client, "dead:in") == 0


def test_a_dead_consumers_pending_entries_are_claimed_by_another(redis_server, stream_store: Path) -> None:
    """A consumer that read a batch and died before committing it: another consumer of the group takes it over."""
    from lightship.config.validation import compose_config
    from lightship.tasks.stream import open_broker

    client = redis_server.client()
    ids = fill(client, "claim:in", text_events(40))
    args = overrides(stream_store, redis_server.url, "claim", "stream.claim_idle_ms=1", "stream.metrics_port=0")
    dead = open_broker(compose_config([*args, "stream.consumer=dies"]))
    assert len(dead.read(25, 100)) == 25  # delivered to 'dies', never acknowledged
    dead.close()
    assert pending(client, "claim:in") == 25
    summary = run_in_process([*args, "stream.consumer=survivor", "stream.max_messages=40"], stream_store)
    assert summary["events"] == 40 and summary["duplicates_skipped"] == 0
    assert sorted(output_ids(client, "claim:out")) == sorted(ids)
    assert pending(client, "claim:in") == 0


def test_killed_consumer_restarts_with_nothing_lost_or_duplicated(redis_server, stream_store: Path) -> None:
    client = redis_server.client()
    total = 3000
    ids = fill(client, "kill:in", text_events(total))
    args = overrides(stream_store, redis_server.url, "kill", "stream.batch_size=16")
    first = Consumer(stream_store, args, "k1").wait_ready()
    # Kill with a micro-batch in flight: read (pending) and not yet committed.
    wait_for(lambda: client.xlen("kill:out") >= 500 and pending(client, "kill:in") > 0, process=first)
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait()
    first.stop()
    at_kill, in_flight = client.xlen("kill:out"), pending(client, "kill:in")  # delivered to k1, never acknowledged
    assert at_kill < total, "the consumer finished before it was killed: nothing was tested"
    second = Consumer(stream_store, args, "k1").wait_ready()
    try:
        wait_for(lambda: pending(client, "kill:in") == 0 and client.xlen("kill:out") >= total, process=second)
    finally:
        second.stop()
    assert second.process.returncode == 0, second.log_tail()
    produced = output_ids(client, "kill:out")
    duplicates = sum(count - 1 for count in Counter(produced).values())
    print(f"kill and restart: events in {total}, predictions out {len(produced)}, duplicates {duplicates}, "
          f"out before the kill {at_kill}, pending at the kill {in_flight}, consumed after the restart {second.summary()['events']}")
    assert len(produced) == total and duplicates == 0 and sorted(produced) == sorted(ids)


def test_two_consumers_share_one_group_and_sigterm_stops_them_cleanly(redis_server, stream_store: Path) -> None:
    client = redis_server.client()
    total = 6000
    ids = fill(client, "pair:in", text_events(total))
    args = overrides(stream_store, redis_server.url, "pair", "stream.batch_size=8")
    pair = [Consumer(stream_store, args, name) for name in ("p1", "p2")]
    try:
        for consumer in pair:
            consumer.wait_ready()
        wait_for(lambda: client.xlen("pair:out") >= 600, process=pair[0])
        scrape = pair[0].metrics()
        for consumer in pair:  # SIGTERM mid-stream: each finishes and acknowledges its batch in flight, then exits 0
            os.kill(consumer.process.pid, signal.SIGTERM)
        for consumer in pair:
            assert consumer.process.wait(60) == 0, consumer.log_tail()
    finally:
        for consumer in pair:
            consumer.stop()
    done = client.xlen("pair:out")
    assert done < total, "the stream was consumed before SIGTERM: nothing was tested"
    assert pending(client, "pair:in") == 0  # nothing left delivered and unacknowledged
    summaries = [consumer.summary() for consumer in pair]
    assert all(s["stopped_by"] == "signal" and s["events"] > 0 for s in summaries), summaries  # both took a share
    assert sum(s["events"] for s in summaries) == done
    produced = output_ids(client, "pair:out")
    assert len(set(produced)) == len(produced) == done and set(produced) <= set(ids)
    # The metrics endpoint (scraped while both consumed).
    for series in ("lightship_stream_events_in_total", "lightship_stream_events_out_total", "lightship_stream_lag",
                   "lightship_stream_pending", "lightship_stream_batch_events_bucket", 'lightship_stream_stage_duration_seconds_count{stage="inference"}',
                   'lightship_stream_dead_letters_total{reason="not_utf8"}', "lightship_stream_end_to_end_seconds_bucket",
                   'lightship_model_info{alias="champion",name="lightship",version="1"} 1.0', "lightship_drift_detected"):
        assert series in scrape, series
    events_in = next(float(line.split()[-1]) for line in scrape.splitlines() if line.startswith("lightship_stream_events_in_total"))
    assert events_in > 0


@pytest.mark.parametrize("override, message", [
    ("stream.batch_size=0", "stream.batch_size=0: out of range; accepted: between 1 and 4096"),
    ("stream.max_messages=0", "stream.max_messages=0: must be a positive number"),
    ("stream.output=lightship:events", "must be three different streams"),
])
def test_bad_settings_fail_before_connecting(override: str, message: str, tmp_path: Path) -> None:
    from lightship.errors import ConfigError

    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        run_in_process(["task=stream", "stream.url=redis://127.0.0.1:1/0", override], tmp_path)


def test_unreachable_redis_says_what_to_check(tmp_path: Path) -> None:
    from lightship.streaming.broker import StreamError

    with pytest.raises(StreamError, match=r"stream.url=redis://127.0.0.1:1/0: cannot reach Redis .*Start redis-server"):
        run_in_process(["task=stream", "stream.url=redis://127.0.0.1:1/0", "stream.connect_timeout_s=1"], tmp_path)


@pytest.mark.slow
def test_hot_swap_when_the_champion_moves(redis_server, stream_store: Path, tmp_path: Path) -> None:
    """The consumer follows the alias (serve.watch_interval_s): later batches are scored by the new version."""
    import shutil

    from mlflow import MlflowClient

    shutil.copy(stream_store / "mlflow.db", tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = redis_server.client()
    fill(client, "swap:in", text_events(200))
    args = overrides(tmp_path, redis_server.url, "swap", "stream.batch_size=8", "serve.watch_interval_s=1")
    consumer = Consumer(tmp_path, args, "s1").wait_ready()
    try:
        wait_for(lambda: client.xlen("swap:out") >= 200, process=consumer)
        registry = MlflowClient(uri, registry_uri=uri)
        first = registry.get_model_version("lightship", "1")
        new = registry.create_model_version("lightship", source=first.source, run_id=first.run_id)
        registry.set_registered_model_alias("lightship", "champion", new.version)
        wait_for(lambda: f'version="{new.version}"}} 1.0' in consumer.metrics(), process=consumer)
        fill(client, "swap:in", text_events(50, start=200))
        wait_for(lambda: client.xlen("swap:out") >= 250, process=consumer)
        scrape = consumer.metrics()
    finally:
        consumer.stop()
    versions = [fields["model_version"] for _, fields in entries(client, "swap:out")]
    assert versions == ["1"] * 200 + [str(new.version)] * 50
    assert 'lightship_model_swaps_total{outcome="swapped"} 1.0' in scrape
    assert 'lightship_model_info{alias="champion",name="lightship",version="1"} 0.0' in scrape


def test_tabular_rows_through_the_same_consumer(redis_server, tabular_runs: dict, tmp_path: Path) -> None:
    """``row`` events for a tabular bundle: the input field follows the bundle's input kind, rows are checked like /predict's."""
    from tabular_testing import rule_table

    from lightship.inference import load_runtime

    bundle = tabular_runs["gbdt"]["bundle"]
    rows = json.loads(rule_table(40, seed=7).drop(columns=["label", "time"]).to_json(orient="records"))
    client = redis_server.client()
    good = fill(client, "rows:in", [{"row": json.dumps(row)} for row in rows])
    bad = fill(client, "rows:in", [{"row": "{not json"}, {"row": json.dumps({**rows[0], "amount": "lots"})}, {"text": "a text event"}])
    summary = run_in_process(overrides(tmp_path, redis_server.url, "rows", f"stream.model={bundle}", "stream.max_messages=43",
                                       "stream.metrics_port=0"), tmp_path)
    assert (summary["predictions"], summary["dead_letters"]) == (40, 3)
    runtime = load_runtime(bundle)
    outputs = {fields["event_id"]: fields for _, fields in entries(client, "rows:out")}
    assert sorted(outputs) == sorted(good)
    expected = runtime.predict(rows).probabilities
    got = np.array([[json.loads(outputs[i]["probabilities"])[label] for label in runtime.labels] for i in good])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    letters = {fields["event_id"]: fields for _, fields in entries(client, "rows:dead")}
    assert [letters[i]["reason"] for i in bad] == ["not_json", "wrong_type", "missing_field"]
    assert "the row.amount must be a number" in letters[bad[1]]["error"]
