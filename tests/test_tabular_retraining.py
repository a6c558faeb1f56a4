"""``task=backtest`` and ``task=retrain`` on a table (``data=tabular_file`` with a time column), as on text."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from lightship_testing import champion_store, working_directory

SMALL_GBDT = ["model=gbdt", "model.n_estimators=50", "trainer.enable_progress_bar=false"]


def _table(tabular_runs: dict) -> list[str]:
    return ["data=tabular_file", f"data.path={tabular_runs['table']}", "data.time_column=time"]


def _run(folder: Path, overrides: list[str]) -> dict:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    with working_directory(folder):
        return run_task(compose_config(overrides))


def test_a_table_with_a_time_column_replays_window_by_window(tabular_runs: dict, tmp_path: Path) -> None:
    summary = _run(tmp_path, ["task=backtest", *_table(tabular_runs), *SMALL_GBDT, "retrain=periodic", "retrain.interval_days=14",
                              "retrain.min_labelled_rows=50", "backtest.window_days=14", "backtest.warmup_days=28"])
    backtest = json.loads(Path(summary["backtest"]).read_text())
    windows = backtest["windows"]
    assert backtest["model"] == "gbdt" and len(windows) == 4  # (90 - 28) days in 14-day windows
    assert all(w["rows"] > 300 and w["accuracy"] > 0.7 and not w["new_categories"] for w in windows)
    assert backtest["summary"]["full_retrains"] >= 1 and backtest["summary"]["first_alarm_window"] is None
    assert all(set(w["drifted_features"]) <= {"amount", "age", "region", "channel", "is_member", "confidence", "predicted_class"} for w in windows)


def test_online_updates_are_refused_before_a_tree_model_trains(tabular_runs: dict, tmp_path: Path) -> None:
    from lightship.errors import ConfigError

    with pytest.raises(ConfigError, match=r"retrain=online updates the model in place, which model=gbdt cannot do"):
        _run(tmp_path, ["task=backtest", *_table(tabular_runs), *SMALL_GBDT, "retrain=online"])


def _row_store(folder: Path, labels: list[str], rows: int = 400) -> Path:
    """Served rows (stored as the service stores them: one JSON object each) with their true labels as feedback."""
    from tabular_testing import rule_table

    from lightship.serving.state import as_text
    from lightship.serving.store import PredictionRecord, PredictionStore

    frame = rule_table(n_rows=rows, seed=11)
    inputs = frame.drop(columns=["label", "time"]).astype(object).where(frame.drop(columns=["label", "time"]).notna(), None).to_dict("records")
    path = folder / "predictions.db"
    store = PredictionStore(path)
    now = time.time()
    records = [PredictionRecord(uuid.uuid4().hex, as_text(row), 0, 0, False, labels[0], 0.5, {label: 1 / len(labels) for label in labels},
                                "lightship", "1", created_at=now - (rows - i)) for i, row in enumerate(inputs)]
    store.record_predictions(records)
    store.record_feedback([(record.id, label) for record, label in zip(records, frame["label"])])
    store.close()
    return path


def test_retrain_trains_a_tabular_challenger_on_the_stored_rows(tabular_runs: dict, tmp_path: Path) -> None:
    from lightship.bundle import Bundle
    from lightship.inference import request_signature

    champion = Bundle.load(tabular_runs["gbdt"]["bundle"])
    uri = champion_store(tmp_path, str(champion.path))
    store = _row_store(tmp_path, champion.labels)
    summary = _run(tmp_path, ["task=retrain", *_table(tabular_runs), *SMALL_GBDT, "retrain=periodic", "retrain.interval_days=0.000001",
                              "retrain.min_labelled_rows=100", f"tracking.uri={uri}", f"serve.store_path={store}",
                              f"drift.events_log={tmp_path / 'drift_events.jsonl'}"])
    assert summary["decision"]["action"] == "retrain" and summary["outcome"] in ("promoted", "rejected"), summary
    challenger = Bundle.load(summary["challenger"]["bundle"])
    assert challenger.input_kind == "tabular"
    # Stored rows come back with their columns by name (the store keeps canonical JSON): the same requests, so a hot swap is allowed.
    assert request_signature(challenger.input) == request_signature(champion.input)
    assert challenger.manifest["data_report"]["rows"] == 400 and summary["challenger"]["metrics"]["accuracy"] > 0.6
