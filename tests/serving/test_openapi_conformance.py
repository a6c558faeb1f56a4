"""The served OpenAPI document is faithful: a fuzzer (schemathesis, a real client) finds no
server error and no mismatch between the document and the behaviour; malformed content types
get a 4xx on every route."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server_process import Server

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
POST_ROUTES = ["/predict", "/feedback", "/reload"]


def test_schemathesis_finds_no_server_error_and_no_conformance_failure(server: Server, tmp_path: Path) -> None:
    command = [
        str(SCHEMATHESIS), "run", f"{server.url}/docs.json", "--checks", "all", "--exclude-checks", "ignored_auth",
        "--max-examples", "100", "--no-color", "--seed", "1",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    summary = done.stdout[-3000:]
    assert done.returncode == 0, summary
    generated = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert generated and generated[1] == generated[2] and int(generated[1]) > 200, summary
    assert "Failures:" not in summary and "Errors:" not in summary, summary


def test_the_document_states_the_limits_and_every_error(server: Server) -> None:
    spec = httpx.get(f"{server.url}/docs.json", timeout=30).json()
    texts = spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["texts"]
    assert texts["minItems"] == 1 and texts["maxItems"] == 64 and texts["items"]["minLength"] == 1
    assert set(spec["paths"]["/predict"]["post"]["responses"]) >= {"200", "400", "413", "415", "422", "503"}
    assert set(spec["paths"]["/feedback"]["post"]["responses"]) >= {"200", "404", "409", "422", "503"}
    assert set(spec["paths"]["/reload"]["post"]["responses"]) >= {"200", "401", "403", "415"}
    labels = httpx.get(f"{server.url}/model", timeout=30).json()["labels"]
    feedback = spec["paths"]["/feedback"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["feedback"]
    assert feedback["items"]["properties"]["label"]["enum"] == labels


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=", "text/plain", "application/x-www-form-urlencoded", ";;;", "application/json; charset=latin-1"])
def test_malformed_content_types_get_4xx_on_every_route(server: Server, route: str, content_type: str) -> None:
    """415 naming the header; a multipart body on /predict is read as an image upload and refused as such (400)."""
    answer = httpx.post(f"{server.url}{route}", content=b'{"texts": ["hi"]}', headers={"Content-Type": content_type, "Authorization": f"Bearer {server.token}"}, timeout=30)
    body = answer.json()
    if route == "/predict" and content_type.startswith("multipart/"):
        assert answer.status_code == 400 and body["reason"] == "invalid_multipart", answer.text
    else:
        assert answer.status_code == 415 and body["reason"] == "unsupported_media_type" and body["field"] == "Content-Type", answer.text


def test_reload_ignores_whatever_body_it_is_sent(server: Server) -> None:
    for body in (b"[null, null]", b"not json", b""):
        answer = httpx.post(f"{server.url}/reload", content=body, headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["outcome"] == "unchanged", answer.text
