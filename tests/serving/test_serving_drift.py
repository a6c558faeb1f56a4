"""The live drift monitor: in process (windows, events, hot swap, the request path) and in a
real two-worker ``bentoml serve`` fed undrifted, then drifted tickets from the built-in generator."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import httpx
import pytest
from server_process import Server, start_server, wait_for

from lightship.config.validation import compose_config
from lightship.data.synthetic import SyntheticTickets

DRIFTED = {"kind": "sudden", "start": 0.0, "vocab_shift": 1.0, "class_mix_shift": 1.0, "new_category": True}
EVENT_KEYS = {"time", "timestamp", "model_version", "drifted", "drift_share", "drifted_features", "n_rows",
              "estimated_accuracy", "estimated_high_risk_recall"}


def texts(n: int, drift: dict | None = None, seed: int = 11) -> list[str]:
    return SyntheticTickets(n_rows=n, seed=seed, drift=drift).load()[0]["text"].tolist()


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


# -- in process -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def loaded(smoke_run: dict) -> SimpleNamespace:
    """What the monitor reads from the service's ``LoadedModel``."""
    from lightship.inference.text import OnnxTextClassifier

    runtime = OnnxTextClassifier(smoke_run["bundle"])
    return SimpleNamespace(runtime=runtime, labels=runtime.labels, version="1",
                           resolved=SimpleNamespace(bundle=runtime.bundle))


def monitor_for(tmp_path: Path, *overrides: str):
    from prometheus_client import CollectorRegistry

    from lightship.monitoring.live import LiveDriftMonitor
    from lightship.serving.telemetry import DriftMetrics

    cfg = compose_config([f"drift.events_log={tmp_path / 'events.jsonl'}", f"drift.live_report={tmp_path / 'live.json'}",
                          "drift.window.size=50", *overrides]).drift
    registry = CollectorRegistry()
    return LiveDriftMonitor(cfg, DriftMetrics(registry)), registry


def feed(monitor, model, batch_texts: list[str], batch_size: int = 16) -> None:
    from lightship.inference.scoring import score

    for start in range(0, len(batch_texts), batch_size):
        chunk = batch_texts[start:start + batch_size]
        monitor.observe(model, score(model.runtime, chunk), chunk)


def test_monitor_checks_each_window_off_the_request_path(tmp_path, loaded) -> None:
    from prometheus_client import generate_latest

    monitor, registry = monitor_for(tmp_path)
    assert monitor.http_answer()[0] == 404 and "after 50 predictions" in monitor.http_answer()[1]["error"]
    feed(monitor, loaded, texts(120, seed=5))
    assert not (tmp_path / "events.jsonl").exists()  # observe() only queues; nothing is checked on the request path
    assert "lightship_estimated_accuracy NaN" in generate_latest(registry).decode()  # no estimate before the first window
    quiet = monitor.check()
    assert [e["n_rows"] for e in quiet] == [50, 50] and not any(e["drifted"] for e in quiet)
    assert all(0.5 < e["estimated_accuracy"] <= 1.0 for e in quiet), quiet
    assert f"lightship_estimated_accuracy {quiet[-1]['estimated_accuracy']!r}" in generate_latest(registry).decode()
    feed(monitor, loaded, texts(100, DRIFTED))
    loud = monitor.check()
    assert [e["n_rows"] for e in loud] == [50, 50] and all(e["drifted"] for e in loud)
    logged = events(tmp_path / "events.jsonl")
    assert len(logged) == 4 and all(EVENT_KEYS <= set(e) and e["model_version"] == "1" for e in logged)
    assert [e["drifted"] for e in logged] == [False, False, True, True]
    status, report = monitor.http_answer()
    assert status == 200 and report["drifted"] is True and report["metadata"]["model_version"] == "1"
    exposition = generate_latest(registry).decode()
    assert "lightship_drift_detected 1.0" in exposition
    assert 'lightship_drift_windows_total{drifted="true"} 2.0' in exposition
    assert 'lightship_drift_windows_total{drifted="false"} 2.0' in exposition
    assert 'lightship_drift_statistic{feature="confidence"}' in exposition
    assert 'lightship_drift_p_value{feature="predicted_class"}' in exposition


def test_new_model_version_starts_a_new_window(tmp_path, loaded) -> None:
    monitor, _ = monitor_for(tmp_path)
    feed(monitor, loaded, texts(40, seed=5))
    swapped = SimpleNamespace(**{**vars(loaded), "version": "2"})
    feed(monitor, swapped, texts(60, seed=6))
    checked = monitor.check()  # the 40 rows of version 1 never mix with version 2's
    assert [(e["model_version"], e["n_rows"]) for e in checked] == [("2", 50)]


def test_a_bundle_without_profile_is_not_monitored_and_says_why(tmp_path, loaded) -> None:
    monitor, _ = monitor_for(tmp_path)
    bare = SimpleNamespace(**{**vars(loaded), "version": "9", "resolved": SimpleNamespace(bundle=SimpleNamespace(path=tmp_path))})
    feed(monitor, bare, texts(60, seed=5))
    assert monitor.check() == []
    status, body = monitor.http_answer()
    assert status == 404 and "model version 9 is not monitored" in body["error"] and "reference_profile.npz" in body["error"]


def test_observe_costs_microseconds(tmp_path, loaded) -> None:
    from lightship.inference.scoring import score

    monitor, _ = monitor_for(tmp_path)
    batch_texts = texts(32, seed=5)
    batch = score(loaded.runtime, batch_texts)
    started = time.perf_counter()
    for _ in range(1000):
        monitor.observe(loaded, batch, batch_texts)
    per_call = (time.perf_counter() - started) / 1000
    assert per_call < 50e-6, f"observe() took {per_call * 1e6:.1f} us"


# -- a real server ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def drift_server(serving_store: Path, tracking_uri: str) -> Iterator[tuple[Server, Path]]:
    folder = serving_store / "drift"
    folder.mkdir()
    extra = (f"serve.workers=2 drift.window.size=50 drift.check_interval_s=0.2 "
             f"drift.events_log={folder / 'events.jsonl'} drift.live_report={folder / 'live.json'}")
    running = start_server(serving_store, tracking_uri, extra=extra, model="models:/lightship/1", store="drift.db")
    yield running, folder
    running.stop()
    assert not running.group_alive(), "bentoml serve left processes behind"


def send(server: Server, batch_texts: list[str], per_request: int = 10) -> None:
    for start in range(0, len(batch_texts), per_request):
        response = httpx.post(f"{server.url}/predict", json={"texts": batch_texts[start:start + per_request]}, timeout=30)
        assert response.status_code == 200, response.text


def test_server_flags_drifted_traffic_and_keeps_answering(drift_server) -> None:
    server, folder = drift_server
    log = folder / "events.jsonl"
    before = httpx.get(f"{server.url}/drift")
    assert before.status_code == 404 and "no drift window checked yet" in before.json()["error"]
    metrics = httpx.get(f"{server.url}/metrics").text
    assert "\nlightship_drift_detected 0.0" in metrics and 'lightship_drift_windows_total{drifted="false"} 0.0' in metrics
    assert "\nlightship_estimated_accuracy NaN" in metrics

    send(server, texts(200, seed=5))  # two workers share the traffic; each checks its own windows of 50
    assert wait_for(lambda: len(events(log)) >= 1), "no window checked after 200 undrifted predictions"
    # From the first completed window on, the label-free estimate is exported and in the events.
    assert 0.5 < events(log)[0]["estimated_accuracy"] <= 1.0
    assert wait_for(lambda: "\nlightship_estimated_accuracy NaN" not in httpx.get(f"{server.url}/metrics").text)
    estimated = [line for line in httpx.get(f"{server.url}/metrics").text.splitlines() if line.startswith("lightship_estimated_accuracy ")]
    assert len(estimated) == 1 and 0.5 < float(estimated[0].split()[1]) <= 1.0, estimated

    def flagged() -> bool:
        return "\nlightship_drift_detected 1.0" in httpx.get(f"{server.url}/metrics").text

    # Send drifted traffic until a worker's latest window is flagged (a window can straddle the change).
    drifted = texts(800, DRIFTED)
    for start in range(0, len(drifted), 100):
        send(server, drifted[start:start + 100])
        if wait_for(flagged, timeout_s=5):
            break
    assert flagged()
    logged = events(log)
    assert any(e["drifted"] for e in logged), logged
    assert all(EVENT_KEYS <= set(e) and e["model_version"] == "1" for e in logged)
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'lightship_drift_windows_total{drifted="true"}' in metrics
    assert 'lightship_drift_statistic{feature="predicted_class"}' in metrics
    assert 'lightship_drift_p_value{feature="confidence"}' in metrics
    latest = httpx.get(f"{server.url}/drift")
    assert latest.status_code == 200 and {"features", "drift_share", "drifted"} <= set(latest.json())
    send(server, texts(10, DRIFTED, seed=3))  # still answering while drifted
