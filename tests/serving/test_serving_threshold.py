"""The high-risk threshold chosen on validation is stored in the bundle and decides the label the same way in
the runtime (release metrics), in batch scoring (``task=predict``) and in a real ``bentoml serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pandas as pd
import pytest

from lightship_testing import train_defaults, working_directory
from server_process import Server, start_server

STREAM = ["data=transactions", "data.n_rows=12000", "model=gbdt", "model.n_estimators=150", "metrics.threshold=alert_rate", "metrics.alert_rate=0.02",
          "export.atol=1e-3", "tracking.model_name=fraud"]


@pytest.fixture(scope="module")
def fraud_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    workdir = tmp_path_factory.mktemp("fraud")
    return {**train_defaults(workdir, *STREAM), "workdir": workdir}


@pytest.fixture(scope="module")
def rows(fraud_run: dict) -> pd.DataFrame:
    """Test-period rows, with every row whose label the threshold changes from the most probable class."""
    from lightship.data.transactions import TransactionsData
    from lightship.inference import load_runtime

    frame, _ = TransactionsData(n_rows=12000, seed=42).load()
    recent = frame.tail(3000).reset_index(drop=True)
    runtime = load_runtime(fraud_run["bundle"])
    probabilities = runtime.predict(runtime.inputs_from_frame(recent)[0]).probabilities
    moved = probabilities.argmax(axis=1) != runtime.predict(runtime.inputs_from_frame(recent)[0]).label_ids
    return pd.concat([recent[moved], recent[~moved].head(40)]).reset_index(drop=True)


@pytest.fixture(scope="module")
def fraud_server(fraud_run: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("fraud_serving")
    running = start_server(folder, f"sqlite:///{folder / 'mlflow.db'}", model=fraud_run["bundle"])
    yield running
    running.stop()


def test_the_bundle_holds_the_threshold_chosen_for_the_alert_budget(fraud_run: dict) -> None:
    from lightship.bundle import Bundle
    from lightship.inference import load_runtime

    decision = Bundle.load(fraud_run["bundle"]).manifest["decision"]
    assert decision["label"] == "fraud" and decision["target"] == "alert_rate" and decision["target_value"] == 0.02
    assert 0 < decision["threshold"] < 0.5  # far below argmax's implicit 0.5 for a class this rare
    assert load_runtime(fraud_run["bundle"]).rule.threshold == decision["threshold"]
    metrics = fraud_run["metrics"]
    assert {"pr_auc", "recall_at_alert_rate", "recall_at_precision", "false_positive_rate"} <= set(metrics)
    assert metrics["pr_auc"] > 0.3 and metrics["false_positive_rate"] < 0.05


def test_runtime_batch_scoring_and_serving_decide_alike(fraud_run: dict, rows: pd.DataFrame, fraud_server: Server, tmp_path: Path) -> None:
    from lightship.config.validation import compose_config
    from lightship.inference import load_runtime
    from lightship.inference.decision import decide
    from lightship.tasks import run_task

    runtime = load_runtime(fraud_run["bundle"])
    inputs = runtime.inputs_from_frame(rows)[0]
    predictions = runtime.predict(inputs)
    expected = [runtime.labels[i] for i in decide(predictions.probabilities, runtime.rule)]
    assert [runtime.labels[i] for i in predictions.label_ids] == expected
    assert "fraud" in expected and any(label != runtime.labels[i] for label, i in zip(expected, predictions.probabilities.argmax(axis=1)))
    assert [item.label for item in runtime.score(inputs).items] == expected

    source = tmp_path / "rows.parquet"
    rows.drop(columns=["label"]).to_parquet(source)
    cfg = compose_config(["task=predict", f"predict.input={source}", f"predict.model={fraud_run['bundle']}", "serve=bentoml_cpu"])
    with working_directory(tmp_path):
        scored = pd.read_parquet(run_task(cfg)["output"])
    assert scored["pred_label"].tolist() == expected

    served = []
    for start in range(0, len(inputs), 32):  # within serve.max_texts_per_request
        answer = httpx.post(f"{fraud_server.url}/predict", json={"rows": inputs[start : start + 32]}, timeout=60)
        assert answer.status_code == 200, answer.text
        served += [item["label"] for item in answer.json()]
    assert served == expected
