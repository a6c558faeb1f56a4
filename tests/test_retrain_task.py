"""``task=retrain``: decisions recorded, and promotion safety on a separate tracking store.

The champion is the session's smoke bundle, registered into a fresh tmp store so the
registry can be mutated; feedback comes from a real prediction store.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from lightship_testing import champion_store, working_directory


def _feedback_store(folder: Path, labels: list[str], rows: int = 400) -> Path:
    """Predictions of the smoke stream with their true labels as feedback (all after the champion)."""
    from lightship.data.synthetic import SyntheticTickets
    from lightship.serving.store import PredictionRecord, PredictionStore

    frame, _ = SyntheticTickets(n_rows=rows, days=30, seed=7).load()
    path = folder / "predictions.db"
    store = PredictionStore(path)
    now = time.time()
    records = [
        PredictionRecord(uuid.uuid4().hex, text, len(text), 10, False, labels[0], 0.5, {label: 1 / len(labels) for label in labels},
                         "lightship", "1", created_at=now - (rows - i))
        for i, text in enumerate(frame["text"])
    ]
    store.record_predictions(records)
    store.record_feedback([(record.id, label) for record, label in zip(records, frame["label"])])
    store.close()
    return path


@pytest.fixture()
def production(tmp_path: Path, smoke_run: dict) -> dict:
    labels = json.loads((Path(smoke_run["bundle"]) / "manifest.json").read_text())["labels"]
    uri = champion_store(tmp_path, smoke_run["bundle"])
    return {"uri": uri, "store": _feedback_store(tmp_path, labels), "folder": tmp_path}


def _retrain(production: dict, *overrides: str) -> dict:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config([
        "experiment=smoke", "task=retrain", f"tracking.uri={production['uri']}", f"serve.store_path={production['store']}",
        f"drift.events_log={production['folder'] / 'drift_events.jsonl'}", *overrides,
    ])
    with working_directory(production["folder"]):
        return run_task(cfg)


def _registry(production: dict):
    from lightship.tracking.registry import Registry

    return Registry(production["uri"], "lightship", "champion")


def _decisions(summary: dict) -> list[dict]:
    path = Path(summary["output_dir"]) / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_no_retrain_is_a_recorded_decision(production: dict) -> None:
    from mlflow import MlflowClient

    summary = _retrain(production, "retrain=periodic")
    assert summary["decision"]["action"] == "none"
    [record] = _decisions(summary)
    assert "days old < interval_days=14" in record["reason"] and record["champion_version"] == "1"
    runs = MlflowClient(production["uri"]).search_runs(
        [MlflowClient(production["uri"]).get_experiment_by_name("lightship").experiment_id], "tags.`lightship.task` = 'retrain'"
    )
    assert runs[0].data.tags["lightship.decision"] == "none"
    assert runs[0].data.tags["lightship.reason"] == record["reason"]


def test_a_retrain_that_raises_midway_leaves_the_registry_untouched(production: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import lightship.training.fit as fit_module

    def broken_fit(*args, **kwargs):
        raise RuntimeError("node lost mid-training")

    monkeypatch.setattr(fit_module, "fit", broken_fit)
    registry = _registry(production)
    before = registry.client.search_model_versions("name='lightship'")
    with pytest.raises(RuntimeError, match="node lost"):
        _retrain(production, "retrain=periodic", "retrain.interval_days=0.000001")
    after = registry.client.search_model_versions("name='lightship'")
    assert [v.version for v in after] == [v.version for v in before] and registry.champion_version() == "1"
    outcome = [json.loads(line) for line in next(production["folder"].glob("outputs/**/decisions.jsonl")).read_text().splitlines()][-1]
    assert outcome["outcome"] == "failed" and "node lost" in outcome["error"]


@pytest.mark.slow
def test_a_challenger_that_fails_a_gate_leaves_the_alias(production: dict) -> None:
    summary = _retrain(production, "retrain=drift", "retrain.consecutive_windows=1", "retrain.cooldown_days=0", "gates.min_accuracy=1.01")
    assert summary["decision"]["action"] == "none"  # no drift events logged: the drift policy waits
    (production["folder"] / "drift_events.jsonl").write_text(json.dumps({"timestamp": time.time(), "drifted": True}) + "\n")
    summary = _retrain(production, "retrain=drift", "retrain.consecutive_windows=1", "retrain.cooldown_days=0", "gates.min_accuracy=1.01")
    assert summary["decision"]["action"] == "retrain" and summary["outcome"] == "rejected"
    registry = _registry(production)
    assert registry.champion_version() == "1"
    challenger = summary["challenger"]["version"]
    assert registry.version_tags(challenger)["lightship.promotion"] == "rejected"
    assert "accuracy=" in registry.version_tags(challenger)["lightship.reason"]
