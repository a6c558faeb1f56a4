"""A real ``bentoml serve`` over a tabular model: rows in, schema validation naming row and column, unseen
categories counted, feedback; and a hot swap from a text model to a tabular one refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Iterator

import httpx
import numpy as np
import pytest

from server_process import Server, start_server, wait_for

ROW = {"amount": 80.5, "age": 41, "region": "north", "channel": "web", "is_member": True}


@pytest.fixture(scope="module")
def tabular_server(tabular_runs: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("tabular_serving")
    running = start_server(folder, f"sqlite:///{folder / 'mlflow.db'}", model=tabular_runs["gbdt"]["bundle"])
    yield running
    running.stop()


def rows(server: Server, body: Any, route: str = "/predict") -> httpx.Response:
    return httpx.post(f"{server.url}{route}", json=body, timeout=30)


def test_good_rows_are_answered_like_the_in_process_runtime(tabular_server: Server, tabular_runs: dict) -> None:
    from lightship.inference import load_runtime

    batch = [ROW, {**ROW, "amount": 12, "age": 70}, {**ROW, "amount": None, "channel": None}]  # integers and allowed nulls
    response = rows(tabular_server, {"rows": batch})
    assert response.status_code == 200, response.text
    answers = response.json()
    runtime = load_runtime(tabular_runs["gbdt"]["bundle"])
    expected = runtime.predict(batch).probabilities
    assert [a["label"] for a in answers] == [runtime.labels[i] for i in expected.argmax(axis=1)]
    for answer, row in zip(answers, expected):
        assert len(answer["id"]) == 36 and answer["model_version"] == "local"
        np.testing.assert_allclose([answer["probabilities"][label] for label in runtime.labels], row, atol=1e-6)


@pytest.mark.parametrize("row, field, reason", [
    ({k: v for k, v in ROW.items() if k != "age"}, "rows[1].age", "missing_field"),
    ({**ROW, "amount": "80.5"}, "rows[1].amount", "wrong_type"),
    ({**ROW, "is_member": 1}, "rows[1].is_member", "wrong_type"),
    ({**ROW, "region": 3}, "rows[1].region", "wrong_type"),
    ({**ROW, "colour": "red"}, "rows[1].colour", "extra_field"),
    ({**ROW, "age": None}, "rows[1].age", "null_value"),
])
def test_each_bad_row_gets_a_4xx_naming_row_and_column(tabular_server: Server, row: dict, field: str, reason: str) -> None:
    for route in ("/predict", "/predict_rows"):
        response = rows(tabular_server, {"rows": [ROW, row]}, route)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["field"] == field and body["reason"] == reason and "rows[1]" in body["error"]
    assert rows(tabular_server, {"rows": [ROW]}).status_code == 200  # and the server keeps serving


def test_texts_sent_to_a_tabular_model_are_refused(tabular_server: Server) -> None:
    response = rows(tabular_server, {"texts": ["my card was charged twice"]})
    assert response.status_code == 422 and response.json()["reason"] == "wrong_input_kind"


def test_unseen_categories_are_scored_and_counted(tabular_server: Server) -> None:
    def counted() -> float:
        found = re.search(r'^lightship_unseen_categories_total\{column="region"\} ([0-9.e+]+)$', httpx.get(f"{tabular_server.url}/metrics").text, re.M)
        return float(found[1]) if found else -1.0

    before = counted()
    assert before >= 0, "the series exists from the first scrape"
    response = rows(tabular_server, {"rows": [{**ROW, "region": "atlantis"}, {**ROW, "region": "lemuria"}]})
    assert response.status_code == 200
    assert wait_for(lambda: counted() == before + 2, 10)


def test_feedback_on_row_predictions(tabular_server: Server) -> None:
    answer = rows(tabular_server, {"rows": [ROW]}).json()[0]
    response = httpx.post(f"{tabular_server.url}/feedback", json={"feedback": [{"id": answer["id"], "label": answer["label"]}]})
    assert response.status_code == 200 and response.json()["accepted"] == 1


def test_hot_swap_across_input_kinds_is_refused(serving_store: Path, tabular_runs: dict, tmp_path: Path) -> None:
    """A text champion serving; the alias moves to a tabular bundle: the swap is refused and logged, text keeps serving."""
    from mlflow import MlflowClient

    folder = tmp_path / "kinds"
    folder.mkdir()
    shutil.copy(serving_store / "mlflow.db", folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    server = start_server(folder, uri, store="kinds.db")
    try:
        client = MlflowClient(uri, registry_uri=uri)
        run = client.create_run(client.get_experiment_by_name("lightship").experiment_id)
        client.log_artifacts(run.info.run_id, tabular_runs["gbdt"]["bundle"], "bundle")
        version = client.create_model_version("lightship", source=f"{run.info.artifact_uri}/bundle", run_id=run.info.run_id).version
        client.set_registered_model_alias("lightship", "champion", version)
        assert wait_for(lambda: (httpx.get(f"{server.url}/model").json().get("last_swap") or {}).get("outcome") == "failed")
        swap = httpx.get(f"{server.url}/model").json()["last_swap"]
        assert swap["version"] == str(version) and "hot swap across input kinds or schemas is refused" in swap["reason"]
        answer = httpx.post(f"{server.url}/predict", json={"texts": ["still served"]}).json()[0]
        assert answer["model_version"] == "1"
        assert "hot swap across input kinds" in (folder / "server.log").read_text()
    finally:
        server.stop()
