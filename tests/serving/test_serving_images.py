"""A real ``bentoml serve`` over an image model: base64 JSON and multipart uploads answered like the in-process
runtime, a 4xx naming the item for each kind of bad image (and the next good request answered), decoding
timed as its own stage, and the OpenAPI document describing both request forms."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Iterator

import httpx
import numpy as np
import pytest

from image_testing import SHAPES, draw
from lightship.data.images import encode_png
from server_process import Server, start_server


@pytest.fixture(scope="module")
def image_server(image_run: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("image_serving")
    running = start_server(folder, f"sqlite:///{folder / 'mlflow.db'}", extra="serve.max_payload_bytes=200000", model=image_run["bundle"])
    yield running
    running.stop()
    assert not running.group_alive(), "bentoml serve left processes behind"


def pictures(n: int = 4, side: int = 32) -> list[bytes]:
    rng = np.random.default_rng(5)
    return [encode_png(draw(SHAPES[i % 3], side, rng)) for i in range(n)]


def as_base64(files: list[bytes]) -> list[str]:
    return [base64.b64encode(data).decode("ascii") for data in files]


def expected(image_run: dict, files: list[bytes]) -> np.ndarray:
    from lightship.inference import load_runtime

    return load_runtime(image_run["bundle"]).predict(files).probabilities


def check_answers(answers: list[dict], probabilities: np.ndarray, labels: list[str]) -> None:
    assert [a["label"] for a in answers] == [labels[i] for i in probabilities.argmax(axis=1)]
    for answer, row in zip(answers, probabilities):
        assert len(answer["id"]) == 36 and answer["model_version"] == "local"
        np.testing.assert_allclose([answer["probabilities"][label] for label in labels], row, atol=1e-5)


def test_base64_and_multipart_are_answered_like_the_in_process_runtime(image_server: Server, image_run: dict) -> None:
    files = pictures()
    probabilities, labels = expected(image_run, files), sorted(SHAPES)
    response = httpx.post(f"{image_server.url}/predict", json={"images": as_base64(files)}, timeout=30)
    assert response.status_code == 200, response.text
    check_answers(response.json(), probabilities, labels)
    upload = [("images", (f"{i}.png", data, "image/png")) for i, data in enumerate(files)]
    response = httpx.post(f"{image_server.url}/predict", files=upload, timeout=30)
    assert response.status_code == 200, response.text
    check_answers(response.json(), probabilities, labels)


def bad_items() -> list[tuple[object, int, str]]:
    from PIL import Image
    import io

    gif, big = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(big, format="PNG")
    good = pictures(1)[0]
    return [
        ("not base64 !!", 422, "invalid_base64"),
        (base64.b64encode(b"these bytes are not an image").decode(), 422, "not_an_image"),
        (base64.b64encode(good[: len(good) // 2]).decode(), 422, "not_an_image"),
        (base64.b64encode(gif.getvalue()).decode(), 415, "unsupported_format"),
        (base64.b64encode(big.getvalue()).decode(), 413, "payload_too_large"),
        (12, 422, "wrong_type"),
    ]


@pytest.mark.parametrize("item, status, reason", bad_items())
def test_each_bad_image_gets_a_4xx_naming_it_and_the_next_good_request_is_answered(image_server: Server, item: object, status: int, reason: str) -> None:
    good = as_base64(pictures(1))[0]
    response = httpx.post(f"{image_server.url}/predict", json={"images": [good, item]}, timeout=30)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["reason"] == reason
    if reason != "payload_too_large":
        assert body["field"] == "images[1]" and "images[1]" in body["error"]
    assert httpx.post(f"{image_server.url}/predict", json={"images": [good]}, timeout=30).status_code == 200


def test_too_many_pixels_text_requests_and_an_empty_upload_are_refused(image_server: Server) -> None:
    huge = encode_png(np.zeros((5000, 4000, 3), np.uint8))  # compresses to far under the payload limit, but 20M pixels
    assert len(huge) < 200000
    response = httpx.post(f"{image_server.url}/predict", json={"images": as_base64([huge])}, timeout=30)
    assert response.status_code == 413 and response.json()["reason"] == "image_too_large" and response.json()["field"] == "images[0]"
    response = httpx.post(f"{image_server.url}/predict", json={"texts": ["hello"]}, timeout=30)
    assert response.status_code == 422 and response.json()["reason"] == "wrong_input_kind"
    response = httpx.post(f"{image_server.url}/predict", content=b"--x--\r\n", headers={"content-type": "multipart/form-data; boundary=x"}, timeout=30)
    assert response.status_code == 400 and response.json()["reason"] == "invalid_multipart"


def test_decoding_is_a_stage_and_openapi_describes_both_forms(image_server: Server) -> None:
    httpx.post(f"{image_server.url}/predict", json={"images": as_base64(pictures(2))}, timeout=30)
    metrics = httpx.get(f"{image_server.url}/metrics", timeout=30).text
    assert 'stage="decode"' in metrics
    spec = httpx.get(f"{image_server.url}/docs.json", timeout=30).json()
    content = spec["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert content["application/json"]["schema"]["properties"]["images"]["items"]["format"] == "byte"
    assert "multipart/form-data" in content
    assert "/predict_images" not in spec["paths"]
