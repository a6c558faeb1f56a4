"""A real ``bentoml serve`` over the smoke model: good path, bad input, feedback, /model,
metrics, a burst, then hot swaps (last, since they move the alias)."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from server_process import wait_for

TEXTS = ["my card was charged twice", "the parcel never arrived, where is it", "cannot log in after password reset"]


def predict(server, texts, **kwargs) -> httpx.Response:
    return httpx.post(f"{server.url}/predict", json={"texts": texts}, timeout=30, **kwargs)


def test_predict_matches_in_process_runtime(server, smoke_run: dict) -> None:
    from lightship.inference.text import OnnxTextClassifier

    response = predict(server, TEXTS)
    assert response.status_code == 200, response.text
    answers = response.json()
    local = OnnxTextClassifier(smoke_run["bundle"])
    expected = local.predict(TEXTS).probabilities
    got = np.array([[answer["probabilities"][label] for label in local.labels] for answer in answers])
    np.testing.assert_allclose(got, expected, atol=1e-4)  # export.atol, the parity tolerance
    assert [a["label"] for a in answers] == [local.labels[i] for i in expected.argmax(axis=1)]
    assert all(a["model_version"] == "1" and len(a["id"]) == 36 and a["truncated"] is False for a in answers)


def test_bentoml_client(server) -> None:
    import bentoml

    with bentoml.SyncHTTPClient(server.url, timeout=30) as client:
        answers = client.predict(texts=TEXTS[:2])
    assert len(answers) == 2 and {"id", "label", "probabilities", "model_version"} <= set(answers[0])


BAD_BODIES = [
    (b"not json", 400, "body"),
    (b'{"texts": ["\xff\xfe"]}', 400, "body"),
    (b"[1, 2]", 422, "body"),
    (b"{}", 422, "texts"),
    (b'{"texts": ["a"], "lang": "en"}', 422, "lang"),
    (b'{"texts": "a"}', 422, "texts"),
    (b'{"texts": []}', 422, "texts"),
    (b'{"texts": [""]}', 422, "texts[0]"),
    (b'{"texts": [{"t": 1}]}', 422, "texts[0]"),
    (json.dumps({"texts": ["hi"] * 65}).encode(), 422, "texts"),
    (json.dumps({"texts": ["x" * 1_100_000]}).encode(), 413, "body"),
]


@pytest.mark.parametrize("body, status, field", BAD_BODIES)
def test_bad_input_gets_4xx_naming_the_field(server, body: bytes, status: int, field: str) -> None:
    response = httpx.post(f"{server.url}/predict", content=body, headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["field"] == field and error["accepted"] and error["error"]
    assert predict(server, ["next good request"]).status_code == 200


def test_overlong_text_is_truncated_and_said(server) -> None:
    answer = predict(server, ["refund " * 2000, "short"]).json()
    assert [a["truncated"] for a in answer] == [True, False]


def test_feedback(server) -> None:
    answers = predict(server, TEXTS).json()
    good = [{"id": a["id"], "label": a["label"]} for a in answers[:2]]
    response = httpx.post(f"{server.url}/feedback", json={"feedback": good})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2 and response.json()["live_accuracy"] is not None
    for item, status, reason in [
        (good[0], 409, "duplicate_feedback"),
        ({"id": "no-such-id", "label": "billing"}, 404, "unknown_id"),
        ({"id": answers[2]["id"], "label": "not-a-label"}, 422, "unknown_label"),
        ({"id": answers[2]["id"]}, 422, "missing_field"),
    ]:
        refused = httpx.post(f"{server.url}/feedback", json={"feedback": [item]})
        assert refused.status_code == status and refused.json()["reason"] == reason, refused.text
        assert "feedback[0]" in refused.json()["field"]


def test_model_description(server) -> None:
    described = httpx.get(f"{server.url}/model").json()
    assert described["version"] == "1" and described["alias"] == "champion"
    assert described["runtime"]["provider_in_use"] == "CPUExecutionProvider"
    assert described["parity"] and described["metrics"] and described["lineage"] and described["serve"]["name"] == "bentoml_cpu"


def test_reload_needs_the_token(server) -> None:
    assert httpx.post(f"{server.url}/reload", json={}).status_code == 401
    ok = httpx.post(f"{server.url}/reload", json={}, headers={"Authorization": f"Bearer {server.token}"})
    assert ok.status_code == 200 and ok.json()["outcome"] == "unchanged"


METRIC_NAMES = [
    "lightship_request_duration_seconds", "lightship_stage_duration_seconds", "lightship_batch_rows", "lightship_batch_tokens",
    "lightship_prediction_confidence", "lightship_predictions_total", "lightship_rejected_requests_total", "lightship_shed_requests_total",
    "lightship_live_accuracy", "lightship_live_recall", "lightship_model_info", "lightship_runtime_provider_info",
    "lightship_runtime_fallback_total", "lightship_model_swaps_total", "lightship_process_cpu_seconds_total",
    "lightship_process_resident_memory_bytes", "lightship_gpu_available",
]


def test_metrics_names_and_stages(server) -> None:
    text = httpx.get(f"{server.url}/metrics").text
    missing = [name for name in METRIC_NAMES if f"\n{name}" not in text]
    assert not missing, missing
    assert 'lightship_rejected_requests_total{endpoint="predict",reason="invalid_json"}' in text


def test_burst_of_concurrent_requests(server) -> None:
    async def burst(n: int) -> list[int]:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=n)) as client:
            responses = await asyncio.gather(*(client.post(f"{server.url}/predict", json={"texts": [f"burst text {i}"]}) for i in range(n)))
        return [r.status_code for r in responses]

    codes = asyncio.run(burst(300))
    assert codes.count(200) == 300, {code: codes.count(code) for code in set(codes)}


def _stream(server, stop: threading.Event, versions: list[str], failures: list[str]) -> None:
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            try:
                response = client.post(f"{server.url}/predict", json={"texts": ["steady stream text"]})
                if response.status_code == 200:
                    versions.append(response.json()[0]["model_version"])
                else:
                    failures.append(f"{response.status_code} {response.text}")
            except httpx.HTTPError as exc:
                failures.append(repr(exc))


def test_hot_swap_under_steady_stream(server, tracking_uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    first = client.get_model_version("lightship", "1")
    stop, versions, failures = threading.Event(), [], []
    streams = [threading.Thread(target=_stream, args=(server, stop, versions, failures)) for _ in range(3)]
    for thread in streams:
        thread.start()
    try:
        new = client.create_model_version("lightship", source=first.source, run_id=first.run_id)
        client.set_registered_model_alias("lightship", "champion", new.version)
        swapped = wait_for(lambda: versions and versions[-1] == str(new.version))
        time.sleep(1)
    finally:
        stop.set()
        for thread in streams:
            thread.join()
    assert swapped and not failures, failures[:3]
    assert "1" in versions and httpx.get(f"{server.url}/model").json()["version"] == str(new.version)


def test_failing_new_version_keeps_the_old_one(server, tracking_uri: str, smoke_run: dict, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    serving = httpx.get(f"{server.url}/model").json()["version"]
    broken = tmp_path / "bundle"
    shutil.copytree(smoke_run["bundle"], broken)
    (broken / "model.onnx").write_bytes(b"not an onnx graph")
    experiment = client.get_experiment_by_name("lightship").experiment_id
    run = client.create_run(experiment)
    client.log_artifacts(run.info.run_id, str(broken), "bundle")
    version = client.create_model_version("lightship", source=f"{run.info.artifact_uri}/bundle", run_id=run.info.run_id)
    client.set_registered_model_alias("lightship", "champion", version.version)
    assert wait_for(lambda: (httpx.get(f"{server.url}/model").json().get("last_swap") or {}).get("outcome") == "failed")
    assert predict(server, ["still served"]).json()[0]["model_version"] == serving
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'lightship_model_swaps_total{outcome="failed"}' in metrics and 'lightship_model_swaps_total{outcome="failed"} 0.0' not in metrics
