"""Shadow deployment on a real ``bentoml serve``: a challenger that fails to load leaves the champion serving;
a working challenger answers a copy of a steady stream while every caller gets the champion's answer.

The challenger is the smoke bundle with two of its labels swapped: same inputs, a known different
answer wherever the champion predicts one of those two labels, so the expected agreement is exact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any, Iterator

import httpx
import numpy as np
import pytest

from server_process import Server, start_server, wait_for

TEXTS = [
    "my card was charged twice", "the parcel never arrived, where is it", "cannot log in after password reset",
    "someone used my account without permission", "please update my billing address", "refund for the broken item",
    "the app crashes when I open settings", "unknown transfer from my account last night",
]
CONCURRENCY = 4
REQUESTS_PER_STREAM = 40


def _register_bundle(client: Any, folder: Path) -> str:
    run = client.create_run(client.get_experiment_by_name("lightship").experiment_id)
    client.log_artifacts(run.info.run_id, str(folder), "bundle")
    return str(client.create_model_version("lightship", source=f"{run.info.artifact_uri}/bundle", run_id=run.info.run_id).version)


def swapped_labels_bundle(bundle: str, folder: Path) -> Path:
    """The smoke bundle with its first two labels swapped (the challenger)."""
    shutil.copytree(bundle, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["labels"][0], manifest["labels"][1] = manifest["labels"][1], manifest["labels"][0]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def shadow_setup(serving_store: Path, smoke_run: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A server in shadow whose @challenger is first a broken version (the tests move it to a working one)."""
    from mlflow import MlflowClient

    folder = tmp_path_factory.mktemp("shadow")
    shutil.copy(serving_store / "mlflow.db", folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(uri, registry_uri=uri)
    broken = folder / "broken"
    shutil.copytree(smoke_run["bundle"], broken)
    (broken / "model.onnx").write_bytes(b"not an onnx graph")
    broken_version = _register_bundle(client, broken)
    challenger = swapped_labels_bundle(smoke_run["bundle"], folder / "challenger")
    good_version = _register_bundle(client, challenger)
    client.set_registered_model_alias("lightship", "challenger", broken_version)
    server = start_server(folder, uri, "serve.shadow.enabled=true serve.shadow.fraction=1.0", store="shadow.db")
    yield {"server": server, "client": client, "broken": broken_version, "good": good_version, "bundle": challenger, "store": folder / "shadow.db"}
    server.stop()
    assert not server.group_alive(), "bentoml serve left processes behind"


def _metric(text: str, name: str, labels: str = "") -> float:
    found = re.search(rf"^{name}{re.escape('{' + labels + '}') if labels else ''} ([0-9.e+-]+|NaN)$", text, re.MULTILINE)
    assert found, f"{name}{{{labels}}} not in /metrics"
    return float(found[1])


def test_a_challenger_that_fails_to_load_leaves_the_champion_serving(shadow_setup: dict) -> None:
    server = shadow_setup["server"]
    shadow = httpx.get(f"{server.url}/model").json()["shadow"]
    assert shadow["version"] is None and shadow["failed_version"] == shadow_setup["broken"]
    assert shadow["last_load"]["outcome"] == "failed" and "failed to load" in shadow["last_load"]["reason"]
    answer = httpx.post(f"{server.url}/predict", json={"texts": TEXTS[:2]}, timeout=30)
    assert answer.status_code == 200 and all(item["model_version"] == "1" for item in answer.json())
    metrics = httpx.get(f"{server.url}/metrics").text
    assert _metric(metrics, "lightship_shadow_loads_total", 'outcome="failed"') == 1.0


def _stream(url: str, offset: int, answers: list[tuple[str, dict]], failures: list[str]) -> None:
    with httpx.Client(timeout=60) as client:
        for i in range(REQUESTS_PER_STREAM):
            texts = [TEXTS[(offset + i) % len(TEXTS)], TEXTS[(offset + 3 * i + 1) % len(TEXTS)]]
            try:
                response = client.post(f"{url}/predict", json={"texts": texts})
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
                continue
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:200]}")
                continue
            answers.extend(zip(texts, response.json()))


def test_steady_stream_in_shadow(shadow_setup: dict, smoke_run: dict) -> None:
    from lightship.inference import load_runtime
    from lightship.serving.store import PredictionStore

    server, client = shadow_setup["server"], shadow_setup["client"]
    client.set_registered_model_alias("lightship", "challenger", shadow_setup["good"])  # the alias moved: the watcher loads it
    assert wait_for(lambda: (httpx.get(f"{server.url}/model").json()["shadow"] or {}).get("version") == shadow_setup["good"]), "challenger never loaded"

    answers: list[tuple[str, dict]] = []
    failures: list[str] = []
    streams = [threading.Thread(target=_stream, args=(server.url, k, answers, failures)) for k in range(CONCURRENCY)]
    for thread in streams:
        thread.start()
    for thread in streams:
        thread.join()
    assert not failures, f"{len(failures)} requests failed: {failures[:3]}"
    assert len(answers) == CONCURRENCY * REQUESTS_PER_STREAM * 2

    champion = load_runtime(smoke_run["bundle"])
    challenger = load_runtime(shadow_setup["bundle"])
    texts = [text for text, _ in answers]
    expected = champion.predict(texts)
    got = np.array([[answer["probabilities"][label] for label in champion.labels] for _, answer in answers])
    np.testing.assert_allclose(got, expected.probabilities, atol=1e-4)  # the caller gets the champion's answer
    assert [answer["label"] for _, answer in answers] == [champion.labels[i] for i in expected.label_ids]
    assert {answer["model_version"] for _, answer in answers} == {"1"}

    def worker_counts() -> dict:
        return httpx.get(f"{server.url}/model").json()["shadow"]["worker"]

    assert wait_for(lambda: worker_counts()["mirrored"] + worker_counts()["dropped"] == len(answers)), worker_counts()
    counts = worker_counts()
    assert counts["failed"] == 0
    shadow_labels = [challenger.labels[i] for i in challenger.predict(texts).label_ids]
    store = PredictionStore(shadow_setup["store"])
    try:
        stored = {(champion_label, challenger_label): n for champion_label, challenger_label, _, n in store.shadow_counts("1", shadow_setup["good"])}
    finally:
        store.close()
    assert sum(stored.values()) == counts["mirrored"]  # every mirrored request is stored as a pair
    if counts["dropped"] == 0:
        expected_pairs: dict[tuple[str, str], int] = {}
        for answer, shadow_label in zip(answers, shadow_labels):
            key = (answer[1]["label"], shadow_label)
            expected_pairs[key] = expected_pairs.get(key, 0) + 1
        assert stored == expected_pairs
    agreement = sum(n for (a, b), n in stored.items() if a == b) / sum(stored.values())
    model = httpx.get(f"{server.url}/model").json()["shadow"]
    assert model["agreement"] == pytest.approx(agreement) and model["pairs"] == counts["mirrored"] and model["labelled"] == 0
    metrics = httpx.get(f"{server.url}/metrics").text
    assert _metric(metrics, "lightship_shadow_agreement") == pytest.approx(agreement)
    assert _metric(metrics, "lightship_shadow_requests_total", 'outcome="mirrored"') == counts["mirrored"]
    assert _metric(metrics, "lightship_shadow_latency_seconds_count") >= 1
    assert re.search(rf'^lightship_shadow_challenger_info{{[^}}]*version="{shadow_setup["good"]}"[^}}]*}} 1.0$', metrics, re.MULTILINE)
    # The challenger scored in its own process under the worker, at the worker's niceness + serve.shadow.nice (19).
    import psutil

    assert model["isolation"] == "process"
    tree = psutil.Process(server.process.pid).children(recursive=True)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert any(child.nice() == min(base + 19, 19) and child.parent().nice() == base for child in tree), [(c.pid, c.nice()) for c in tree]

    # Feedback labels score both versions: label the first answers with the champion's own label.
    labelled = [answer for _, answer in answers[:10]]
    response = httpx.post(f"{server.url}/feedback", json={"feedback": [{"id": a["id"], "label": a["label"]} for a in labelled]}, timeout=30)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    paired = [item for item in items if "challenger" in item]
    assert all(item["correct"] for item in items) and paired
    if counts["dropped"] == 0:
        assert len(paired) == len(items)
    for item in paired:
        assert item["challenger"]["model_version"] == shadow_setup["good"]
        assert item["challenger"]["correct"] == (item["challenger"]["predicted"] == item["label"])
    model = httpx.get(f"{server.url}/model").json()["shadow"]
    assert model["labelled"] == len(paired) and model["accuracy"]["champion"] == 1.0
    assert model["accuracy"]["challenger"] == pytest.approx(sum(item["challenger"]["correct"] for item in paired) / len(paired))
    metrics = httpx.get(f"{server.url}/metrics").text
    assert _metric(metrics, "lightship_shadow_live_accuracy", 'role="champion",version="1"') == 1.0
