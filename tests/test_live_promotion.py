"""``task=promote`` and ``task=retrain retrain.shadow=true`` on a real tracking store and a real live store.

The live store is written through the calls the service makes (the champion's predictions, the
challenger's answers under the same ids, then /feedback's labels), so the decision reads what a
service in shadow would have stored.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Optional

import pytest
from lightship_testing import champion_store, working_directory


LABELS = ("account", "billing", "fraud", "shipping", "technical")  # the smoke model's


def probabilities(predicted: str) -> dict[str, float]:
    return {label: 0.9 if label == predicted else 0.1 / (len(LABELS) - 1) for label in LABELS}


def write_live_pairs(store_path: Path, champion: str, challenger: Optional[str], rows: list[tuple[str, str, str]],
                     texts: Optional[list[str]] = None) -> None:
    """One request per (champion label, challenger label, true label), both versions' answers and the label stored
    (no challenger: the champion's answers alone)."""
    from lightship.serving.store import PredictionRecord, PredictionStore

    store = PredictionStore(store_path)
    try:
        ids = [uuid.uuid4().hex for _ in rows]
        texts = texts or [f"request {i}" for i in ids]

        def records(version: str, column: int) -> list[PredictionRecord]:
            return [PredictionRecord(i, text, len(text), 4, False, row[column], 0.9, probabilities(row[column]), "lightship", version)
                    for i, text, row in zip(ids, texts, rows)]

        store.record_predictions(records(champion, 0))
        if challenger is not None:
            store.record_shadow(records(challenger, 1))
        store.record_feedback([(i, row[2]) for i, row in zip(ids, rows)])
    finally:
        store.close()


def run_task_in(folder: Path, uri: str, store: Path, *overrides: str) -> dict:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config(["experiment=smoke", f"tracking.uri={uri}", f"serve.store_path={store}",
                          f"drift.events_log={folder / 'drift_events.jsonl'}", *overrides])
    with working_directory(folder):
        return run_task(cfg)


@pytest.fixture()
def shadowed(tmp_path: Path, smoke_run: dict) -> dict:
    """v1 champion, v2 (the same bundle) under @challenger as a retrain with retrain.shadow=true leaves it."""
    from lightship.tracking.registry import Registry

    uri = champion_store(tmp_path, smoke_run["bundle"])
    registry = Registry(uri, "lightship", "champion")
    details = registry.version_details("1")
    version = registry.register(details["source"], details["run_id"])
    registry.challenge(version, "challenger", "all gates passed")
    return {"uri": uri, "registry": registry, "folder": tmp_path, "store": tmp_path / "live.db", "challenger": version}


SAME = [("billing", "billing", "billing")] * 150 + [("fraud", "fraud", "fraud")] * 20 + [("billing", "billing", "account")] * 20
CHALLENGER_BETTER = [("billing", "account", "account")] * 8 + [("account", "billing", "account")] * 5


def test_promote_waits_then_promotes_on_live_evidence(shadowed: dict) -> None:
    from mlflow import MlflowClient

    registry, folder, store, challenger = shadowed["registry"], shadowed["folder"], shadowed["store"], shadowed["challenger"]
    write_live_pairs(store, "1", challenger, SAME[:60])
    waited = run_task_in(folder, shadowed["uri"], store, "task=promote")
    assert waited["decision"] == "wait" and waited["labelled"] == 60 and "60 labelled pairs < retrain.shadow_min_labelled=200" in waited["reason"]
    assert registry.champion_version() == "1" and registry.alias_version("challenger") == challenger

    write_live_pairs(store, "1", challenger, SAME[60:] + CHALLENGER_BETTER)
    write_live_pairs(store, "1", "99", [("billing", "fraud", "billing")] * 50)  # another pair of versions: not this evidence
    decided = run_task_in(folder, shadowed["uri"], store, "task=promote")
    assert decided["decision"] == "promote", decided["reason"]
    assert decided["labelled"] == 203 and decided["champion_only_right"] == 5 and decided["challenger_only_right"] == 8
    assert decided["champion_accuracy"] == pytest.approx(175 / 203) and decided["challenger_accuracy"] == pytest.approx(178 / 203)
    assert decided["champion_high_risk_recall"] == 1.0 and decided["p_challenger_worse"] > 0.05
    assert registry.champion_version() == challenger and registry.alias_version("challenger") is None
    assert registry.version_tags(challenger)["lightship.promotion"] == "promoted"
    assert registry.version_tags("1")["lightship.promotion"] == "replaced"
    assert "promoted on live evidence: challenger is not worse" in registry.version_tags(challenger)["lightship.reason"]

    logged = [json.loads(line) for path in folder.glob("outputs/**/decisions.jsonl") for line in path.read_text().splitlines()]
    assert sorted(record["decision"] for record in logged) == ["promote", "wait"] and decided in logged
    client = MlflowClient(shadowed["uri"])
    runs = client.search_runs([client.get_experiment_by_name("lightship").experiment_id], "tags.`lightship.task` = 'promote'",
                              order_by=["attributes.start_time DESC"])
    assert [run.data.tags["lightship.decision"] for run in runs] == ["promote", "wait"]
    assert runs[0].data.metrics["labelled"] == 203 and runs[0].data.metrics["challenger_only_right"] == 8

    nothing = run_task_in(folder, shadowed["uri"], store, "task=promote")
    assert nothing["decision"] == "none" and "no version under @challenger" in nothing["reason"]


def test_a_worse_challenger_is_retired_and_the_next_retrain_judges_first(shadowed: dict) -> None:
    registry, folder, store, challenger = shadowed["registry"], shadowed["folder"], shadowed["store"], shadowed["challenger"]
    write_live_pairs(store, "1", challenger, SAME[:40] + [("fraud", "billing", "fraud")] * 15 + [("billing", "fraud", "fraud")] * 2)
    summary = run_task_in(folder, shadowed["uri"], store, "task=retrain", "retrain=periodic", "retrain.shadow=true")
    decided = summary["live_evidence"]
    assert decided["decision"] == "retire" and decided["task"] == "retrain", decided["reason"]
    assert decided["champion_only_right"] == 15 and decided["challenger_only_right"] == 2 and decided["p_challenger_worse"] < 0.01
    assert decided["challenger_high_risk_recall"] == pytest.approx(2 / 17)
    assert registry.champion_version() == "1" and registry.alias_version("challenger") is None
    tags = registry.version_tags(challenger)
    assert tags["lightship.promotion"] == "retired" and "significantly worse" in tags["lightship.reason"]


@pytest.mark.slow
def test_retrain_in_shadow_registers_a_challenger_that_live_evidence_promotes(tmp_path: Path, smoke_run: dict) -> None:
    """End to end: retrain.shadow=true -> @challenger (champion unchanged); labelled pairs -> task=promote promotes it."""
    from lightship.data.synthetic import SyntheticTickets
    from lightship.tracking.registry import Registry

    uri = champion_store(tmp_path, smoke_run["bundle"])
    store = tmp_path / "live.db"
    labels = json.loads((Path(smoke_run["bundle"]) / "manifest.json").read_text())["labels"]
    frame, _ = SyntheticTickets(n_rows=400, days=30, seed=7).load()
    write_live_pairs(store, "1", None, [(labels[0], labels[0], label) for label in frame["label"]], list(frame["text"]))  # what the retrain trains on
    retrained = run_task_in(tmp_path, uri, store, "task=retrain", "retrain=periodic", "retrain.interval_days=0.000001", "retrain.shadow=true",
                             "gates.compare_to_champion=false")  # the live evidence is the comparison
    assert retrained["outcome"] == "challenger", retrained
    registry = Registry(uri, "lightship", "champion")
    challenger = retrained["challenger"]["version"]
    assert registry.champion_version() == "1" and registry.alias_version("challenger") == challenger
    assert registry.version_tags(challenger)["lightship.promotion"] == "challenger"

    write_live_pairs(store, "1", challenger, SAME + CHALLENGER_BETTER)
    decided = run_task_in(tmp_path, uri, store, "task=promote")
    assert decided["decision"] == "promote" and registry.champion_version() == challenger, decided["reason"]
