"""The high-risk threshold chosen on validation is stored in the bundle and decides the label the same way in
the runtime (release metrics), in batch scoring (``task=predict``), in the backtest and in a real ``bentoml serve``;
a degraded stream replayed through that service, labelled through ``/feedback``, fires the live-recall alert rule."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import httpx
import pandas as pd
import pytest

from lightship_testing import train_defaults, working_directory
from server_process import Server, start_server

STREAM = ["data=transactions", "data.n_rows=12000", "model=gbdt", "model.n_estimators=150", "metrics.threshold=alert_rate", "metrics.alert_rate=0.02",
          "tracking.model_name=fraud"]


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

    from datetime import datetime, timezone

    from hydra.utils import instantiate

    from lightship.retraining.backtest.engine import score_window
    from lightship.retraining.backtest.model import LiveModel

    replayed = LiveModel.open(Path(fraud_run["bundle"]), lambda: instantiate(cfg.drift), datetime.now(timezone.utc))
    assert replayed.runtime.rule == runtime.rule
    _, window = score_window(replayed, rows)
    assert [runtime.labels[i] for i in window.label_ids] == expected

    served = []
    for start in range(0, len(inputs), 32):  # within serve.max_texts_per_request
        answer = httpx.post(f"{fraud_server.url}/predict", json={"rows": inputs[start : start + 32]}, timeout=60)
        assert answer.status_code == 200, answer.text
        served += [item["label"] for item in answer.json()]
    assert served == expected


PROMTOOL = shutil.which("promtool")
CHUNK = 128  # rows per replayed step: one /metrics sample per step, read as one minute of the rule's time


def _replay_step(server: Server, inputs: list[dict], labels: list[str]) -> dict[str, float]:
    """Predict ``inputs``, send their true labels to /feedback, scrape the live quality gauges."""
    from prometheus_client.parser import text_string_to_metric_families

    for start in range(0, len(inputs), 32):
        answer = httpx.post(f"{server.url}/predict", json={"rows": inputs[start : start + 32]}, timeout=60)
        assert answer.status_code == 200, answer.text
        feedback = [{"id": item["id"], "label": label} for item, label in zip(answer.json(), labels[start : start + 32])]
        assert httpx.post(f"{server.url}/feedback", json={"feedback": feedback}, timeout=60).status_code == 200
    scraped = {}
    for family in text_string_to_metric_families(httpx.get(f"{server.url}/metrics", timeout=30).text):
        for sample in family.samples:
            if sample.name == "lightship_live_recall" and sample.labels.get("label") == "fraud":
                scraped["recall"] = sample.value
            elif sample.name == "lightship_live_labelled":
                scraped["labelled"] = sample.value
    return scraped


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt-get install prometheus; .ci/run installs it)")
def test_the_live_recall_alert_fires_on_a_replayed_degradation(fraud_run: dict, fraud_server: Server, tmp_path: Path) -> None:
    """Healthy traffic, then fraud the model never learnt (pattern B), through the service with labels; the
    scraped recall series goes through ``promtool test rules`` with the rules ``task=alerts`` writes."""
    from lightship.data.transactions import TransactionsData
    from lightship.inference import load_runtime

    runtime = load_runtime(fraud_run["bundle"])
    healthy, _ = TransactionsData(n_rows=6000, seed=5, fraud_rate=0.05).load()
    degraded, _ = TransactionsData(n_rows=6000, seed=6, fraud_rate=0.05, drift={"start": 0.0, "fraud_pattern_shift": 1.0}).load()
    samples = []
    for frame, steps in ((healthy, 6), (degraded, 14)):
        for step in range(steps):
            rows = frame.iloc[step * CHUNK : (step + 1) * CHUNK]
            samples.append(_replay_step(fraud_server, runtime.inputs_from_frame(rows)[0], rows["label"].tolist()))
    recall = [round(s["recall"], 4) for s in samples]
    print("live fraud recall per replayed step:", recall)
    assert min(recall[:6]) > 0.6 and recall[-1] < 0.3  # the degradation is real, in the service's own gauge

    labelled = [int(s["labelled"]) for s in samples]
    assert_alert_fires_on(recall, labelled, tmp_path)


def assert_alert_fires_on(recall: list[float], labelled: list[int], folder: Path) -> None:
    """``promtool test rules``: the recall rule of ``task=alerts`` is quiet until the series has been below its floor
    (with enough labels) for the rule's pending time, and fires from then on. One sample per minute."""
    import yaml

    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config(["task=alerts"])
    with working_directory(folder):
        written = run_task(cfg)
    rules = yaml.safe_load(Path(written["rules"]).read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations")  # templated with the firing value; `promtool check rules` covers them (test_alerts)
    (folder / "rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False, width=1000))
    below = next(i for i, (r, n) in enumerate(zip(recall, labelled)) if r < cfg.alerts.min_high_risk_recall and n >= cfg.alerts.min_labelled)
    pending = int(str(cfg.alerts.pending).removesuffix("m"))
    assert below + pending < len(recall), "the replay must stay degraded for the rule's pending time"
    series = {'lightship_live_recall{label="fraud"}': " ".join(str(r) for r in recall), "lightship_live_labelled": " ".join(map(str, labelled))}
    fired = [{"exp_labels": {"severity": "page", "service": "lightship"}}]
    checks = [(f"{below + pending - 1}m", []), (f"{below + pending}m", fired), (f"{len(recall) - 1}m", fired)]
    test = {"interval": "1m", "input_series": [{"series": name, "values": values} for name, values in series.items()],
            "alert_rule_test": [{"eval_time": at, "alertname": "LightshipHighRiskRecallLow", "exp_alerts": alerts} for at, alerts in checks]}
    (folder / "replay_test.yml").write_text(yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [test]}))
    done = subprocess.run([PROMTOOL, "test", "rules", "replay_test.yml"], capture_output=True, text=True, cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
