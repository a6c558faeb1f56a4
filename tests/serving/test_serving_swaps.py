"""Hot swaps under a steady stream, on a real ``bentoml serve``: two alias moves, then a move to a
broken version. Every request is answered (no 503, no error), the broken version is tried once
and not again until the alias moves, and the old version keeps serving."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from server_process import Server, start_server, wait_for

CONCURRENCY = 4


@pytest.fixture()
def swap_server(serving_store: Path, tracking_uri: str, tmp_path: Path) -> Iterator[Server]:
    """A server of its own (this test moves the alias several times), alias watched every second."""
    folder = tmp_path / "swaps"
    folder.mkdir()
    shutil.copy(serving_store / "mlflow.db", folder / "mlflow.db")
    running = start_server(folder, f"sqlite:///{folder / 'mlflow.db'}", store="swaps.db")
    running.tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
    yield running
    running.stop()


def _stream(url: str, stop: threading.Event, answers: Counter, failures: list[str]) -> None:
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            try:
                response = client.post(f"{url}/predict", json={"texts": ["steady stream: my card was charged twice"]})
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
                continue
            if response.status_code == 200:
                answers[response.json()[0]["model_version"]] += 1
            else:
                failures.append(f"{response.status_code} {response.text[:200]}")


def _failed_swaps(url: str) -> float:
    found = re.search(r'^lightship_model_swaps_total\{outcome="failed"\} ([0-9.e+]+)$', httpx.get(f"{url}/metrics").text, re.MULTILINE)
    return float(found[1]) if found else 0.0


@pytest.mark.slow
def test_steady_stream_through_swaps_and_a_broken_version(swap_server: Server, smoke_run: dict, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(swap_server.tracking_uri, registry_uri=swap_server.tracking_uri)
    first = client.get_model_version("lightship", "1")
    second = client.create_model_version("lightship", source=first.source, run_id=first.run_id).version
    broken_folder = tmp_path / "broken"
    shutil.copytree(smoke_run["bundle"], broken_folder)
    (broken_folder / "model.onnx").write_bytes(b"not an onnx graph")
    run = client.create_run(client.get_experiment_by_name("lightship").experiment_id)
    client.log_artifacts(run.info.run_id, str(broken_folder), "bundle")
    broken = client.create_model_version("lightship", source=f"{run.info.artifact_uri}/bundle", run_id=run.info.run_id).version

    def serving() -> str:
        return httpx.get(f"{swap_server.url}/model").json()["version"]

    stop, answers, failures = threading.Event(), Counter(), []
    streams = [threading.Thread(target=_stream, args=(swap_server.url, stop, answers, failures)) for _ in range(CONCURRENCY)]
    for thread in streams:
        thread.start()
    try:
        time.sleep(3)
        for version in (second, "1"):
            client.set_registered_model_alias("lightship", "champion", version)
            assert wait_for(lambda: serving() == str(version)), f"never swapped to {version}"
            time.sleep(3)
        client.set_registered_model_alias("lightship", "champion", broken)
        assert wait_for(lambda: _failed_swaps(swap_server.url) >= 1), "the broken version was never tried"
        time.sleep(8)  # eight watcher intervals: a retry would show in the counter
    finally:
        stop.set()
        for thread in streams:
            thread.join()
    assert not failures, f"{len(failures)} of {sum(answers.values()) + len(failures)} requests failed: {failures[:3]}"
    assert _failed_swaps(swap_server.url) == 1.0 and serving() == "1"
    assert answers[str(second)] > 0 and answers["1"] > 0 and answers[str(broken)] == 0
    swap_server.last_answers = dict(answers)
