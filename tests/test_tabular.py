"""Tabular data, models and drift: loading and its errors, both models at default settings, parity on raw rows,
the unknown-category bucket, and task=drift naming a new category."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lightship.config.validation import compose_config
from lightship.errors import ConfigError, DataError
from tabular_testing import rule_table, write_rule_table

TABULAR = ["data=tabular_file", "data.path=table.csv"]


@pytest.mark.parametrize("overrides", [
    [*TABULAR, "model=gbdt"],
    [*TABULAR, "model=tabular_mlp"],
    [*TABULAR, "model=gbdt", "+data.columns={age: categorical}", "data.missing.numeric=median", "data.missing.categorical=unknown",
     "data.missing.boolean=zero", "data.features=[amount,age]", "data.drop_invalid_rows=true", "data.time_column=time"],
    [*TABULAR, "model=tabular_mlp", "model.hidden_sizes=[32]", "model.unknown_dropout=0.1", "model.embedding_cap=4"],
    [*TABULAR, "model=gbdt", "model.num_leaves=15", "model.native_categorical=false", "model.class_weighting=balanced"],
])
def test_every_tabular_option_composes(overrides: list[str]) -> None:
    cfg = compose_config(overrides)
    assert cfg.data.path == "table.csv" and cfg.model.name in ("gbdt", "tabular_mlp")


@pytest.mark.parametrize("overrides", [
    [*TABULAR, "+data.columns.age=number"],
    [*TABULAR, "data.missing.numeric=average"],
    [*TABULAR, "model=gbdt", "model.leaves=3"],
])
def test_bad_tabular_options_fail_at_compose_time(overrides: list[str]) -> None:
    with pytest.raises(ConfigError):
        compose_config(overrides)


def _source(path: Path, **options: object):  # noqa: ANN202
    from lightship.data.tabular_file import TabularFileData

    return TabularFileData(str(path), min_rows_per_class=3, seed=1, **options)


@pytest.mark.parametrize("name", ["table.csv", "table.jsonl", "table.parquet"])
def test_reads_csv_jsonl_parquet_and_infers_the_schema(tmp_path: Path, name: str) -> None:
    data = _source(write_rule_table(tmp_path, name, n_rows=600), time_column="time").prepare()
    types = {c["name"]: c["type"] for c in data.input["columns"]}
    assert types == {"amount": "numeric", "age": "numeric", "region": "categorical", "channel": "categorical", "is_member": "boolean"}
    columns = {c["name"]: c for c in data.input["columns"]}
    assert columns["region"]["categories"] == ["east", "north", "south", "west"]
    assert columns["amount"]["nullable"] and not columns["age"]["nullable"]
    assert data.report["schema"]["age"] == "numeric (inferred)"


def test_declared_types_win_over_inference(tmp_path: Path) -> None:
    data = _source(write_rule_table(tmp_path, n_rows=600), time_column="time", columns={"age": "categorical"}).prepare()
    age = next(c for c in data.input["columns"] if c["name"] == "age")
    assert age["type"] == "categorical" and data.report["schema"]["age"] == "categorical (declared)"


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


def test_bad_rows_fail_with_file_row_and_column(tmp_path: Path) -> None:
    frame = rule_table(300, seed=2).drop(columns=["time"])
    frame["amount"] = frame["amount"].astype(object)
    frame.loc[4, "amount"] = "twelve"
    frame.loc[7, "label"] = None
    path = _write(tmp_path, frame)
    with pytest.raises(DataError) as caught:
        _source(path, columns={"amount": "numeric"}).prepare()
    message = str(caught.value)
    assert str(path) in message and "a value that is not numeric in column 'amount'" in message and "[5]" in message
    assert "missing label (label)" in message and "[8]" in message
    data = _source(path, columns={"amount": "numeric"}, drop_invalid_rows=True).prepare()
    assert data.report["dropped_rows"] == 2 and data.report["rows"] == 298


def test_an_all_empty_column_and_a_tiny_class_fail(tmp_path: Path) -> None:
    frame = rule_table(300, seed=3).drop(columns=["time"]).assign(notes=None)
    with pytest.raises(DataError, match=r"column\(s\) \['notes'\] are empty in every row"):
        _source(_write(tmp_path, frame)).prepare()
    frame = rule_table(300, seed=3).drop(columns=["time"])
    frame.loc[:1, "label"] = "rare"
    with pytest.raises(DataError, match=r"'rare' \(2 rows\).*min_rows_per_class"):
        _source(_write(tmp_path, frame)).prepare()


def test_missing_value_policy_error_names_the_rows(tmp_path: Path) -> None:
    path = write_rule_table(tmp_path, n_rows=300, missing=0.05)
    with pytest.raises(DataError, match=r"a missing value in column 'amount' \(data.missing.numeric=error\)"):
        _source(path, time_column="time", missing={"numeric": "error"}).prepare()
    data = _source(path, time_column="time", missing={"numeric": "median", "categorical": "unknown"}).prepare()
    columns = {c["name"]: c for c in data.input["columns"]}
    assert "" not in columns["channel"]["categories"]  # missing goes to the unknown bucket
    assert columns["amount"]["fill"] == pytest.approx(data.train["amount"].median())


@pytest.mark.parametrize("model", ["gbdt", "tabular_mlp"])
def test_default_settings_reach_090_with_parity_on_raw_rows(tabular_runs: dict, model: str) -> None:
    run = tabular_runs[model]
    assert run["metrics"]["accuracy"] >= 0.9, run["metrics"]
    parity = run["parity"]
    assert parity["passed"] and parity["max_abs_diff_logits"] < 1e-4 and parity["argmax_agreement"] == 1.0
    assert [shape[0] for shape in parity["shapes"]] == [1, 3, 16]
    manifest = json.loads((Path(run["bundle"]) / "manifest.json").read_text())
    assert manifest["input"]["kind"] == "tabular" and manifest["inputs"] == ["numeric", "categorical"]
    assert [c["name"] for c in manifest["input"]["columns"]] == ["amount", "age", "region", "channel", "is_member"]
    assert not (Path(run["bundle"]) / "tokenizer").exists()


def _runtime(run: dict):  # noqa: ANN202
    from lightship.inference import load_runtime

    return load_runtime(run["bundle"])


@pytest.mark.parametrize("model", ["gbdt", "tabular_mlp"])
def test_parity_on_raw_rows_with_missing_and_unseen_values(tmp_path: Path, model: str) -> None:
    """The exported graph (fill, lookup, model) against the trained model with those steps in NumPy, on awkward raw rows."""
    from lightship.bundle import start_bundle
    from lightship.config.targets import instantiate
    from lightship.export.parity import check_parity
    from lightship.inference import load_runtime
    from lightship.models.protocol import FitContext

    table = write_rule_table(tmp_path, n_rows=800)
    cfg = compose_config(["data=tabular_file", f"data.path={table}", "data.time_column=time", f"model={model}", "trainer=debug"])
    allowed = list(cfg.allowed_targets)
    data = instantiate(cfg.data, allowed, seed=cfg.seed).prepare()
    spec = instantiate(cfg.model, allowed)
    fitted = spec.fit(data, FitContext(cfg.trainer, cfg.data, cfg.seed, tmp_path / "checkpoints"))
    bundle = start_bundle(tmp_path / "bundle", data.labels, None, {"name": model}, "", **spec.bundle_fields(fitted, data))
    spec.export(fitted, data, bundle, cfg.export)
    runtime = load_runtime(bundle)
    rows = rule_table(40, seed=9).drop(columns=["label", "time"]).astype(object)
    rows.loc[::3, "region"] = "atlantis"
    rows.loc[1::4, "amount"] = None
    rows.loc[2::5, "channel"] = None
    rows.loc[3::7, "is_member"] = None
    records = rows.where(rows.notna(), None).to_dict("records")
    report = check_parity(spec.reference(fitted, runtime), runtime, records, [1, 3, 16, 20], cfg.export.atol, 1.0,
                          getattr(spec, "parity_space", "logits"))
    assert report.passed, report.to_dict()
    assert report.shapes == [[1, 3], [3, 3], [16, 3], [20, 3]]  # raw rows in: amount, age and is_member as numbers


def test_an_unseen_category_lands_in_the_unknown_bucket(tabular_runs: dict) -> None:
    from lightship.data.tabular_schema import TabularSchema

    for model in ("gbdt", "tabular_mlp"):
        runtime = _runtime(tabular_runs[model])
        base = {"amount": 80.0, "age": 40, "region": "north", "channel": "web", "is_member": True}
        unseen = [{**base, "region": name} for name in ("atlantis", "lemuria", "mu")]
        schema = TabularSchema.from_input_spec(runtime.input_spec)
        ids = schema.category_ids(schema.arrays(unseen)["categorical"])
        assert (ids[:, 0] == 0).all()  # region column -> bucket 0
        probabilities = runtime.predict(unseen).probabilities
        np.testing.assert_allclose(probabilities, probabilities[[0, 0, 0]], atol=1e-6)  # the same bucket, the same answer
        batch = runtime.score([base, *unseen])
        assert batch.unseen == {"region": 3}


def test_drift_task_names_a_new_category(tabular_runs: dict, tmp_path: Path) -> None:
    from lightship.tasks import run_task
    from lightship_testing import working_directory

    current = rule_table(600, seed=5)
    current.loc[current.index[:200], "region"] = "central"
    path = tmp_path / "current.csv"
    current.to_csv(path, index=False)
    cfg = compose_config(["task=drift", "serve=bentoml_cpu", f"drift.current={path}", f"drift.reference={tabular_runs['gbdt']['bundle']}"])
    with working_directory(tmp_path):
        summary = run_task(cfg)
    report = json.loads(Path(summary["report"]).read_text())
    assert summary["drifted"] and "region" in summary["drifted_features"]
    assert report["features"]["region"]["unseen_categories"] == {"central": 200}
    assert report["features"]["amount"]["test"] == "ks" and report["metadata"]["input_kind"] == "tabular"


def test_live_monitor_names_a_new_category_from_served_rows(tabular_runs: dict, tmp_path: Path) -> None:
    """The service's monitor on scored rows: quiet on rows like the training data, drifted with a new region."""
    from types import SimpleNamespace

    from prometheus_client import CollectorRegistry

    from lightship.monitoring.live import LiveDriftMonitor
    from lightship.serving.telemetry import DriftMetrics

    runtime = _runtime(tabular_runs["gbdt"])
    model = SimpleNamespace(runtime=runtime, labels=runtime.labels, version="1", resolved=SimpleNamespace(bundle=runtime.bundle))
    cfg = compose_config([f"drift.events_log={tmp_path / 'events.jsonl'}", f"drift.live_report={tmp_path / 'live.json'}",
                          "drift.window.size=300"]).drift
    monitor = LiveDriftMonitor(cfg, DriftMetrics(CollectorRegistry()))
    for seed, new_region in ((21, False), (22, True)):
        frame = rule_table(300, seed=seed).drop(columns=["label", "time"])
        if new_region:
            frame.loc[frame.index[:100], "region"] = "central"
        records = runtime.inputs_from_frame(frame)[0]
        for start in range(0, len(records), 50):
            chunk = records[start:start + 50]
            monitor.observe(model, runtime.score(chunk), chunk)
    quiet, loud = monitor.check()
    assert not quiet["drifted"] and loud["drifted"] and "region" in loud["drifted_features"]
    assert monitor.latest["features"]["region"]["unseen_categories"] == {"central": 100}


def test_predict_task_scores_a_table(tabular_runs: dict, tmp_path: Path) -> None:
    from lightship.tasks import run_task
    from lightship_testing import working_directory

    source = tmp_path / "rows.csv"
    rule_table(50, seed=6).drop(columns=["label"]).to_csv(source, index=False)
    cfg = compose_config(["task=predict", "serve=bentoml_cpu", f"predict.input={source}", f"predict.model={tabular_runs['gbdt']['bundle']}",
                          "predict.output=scored.csv"])
    with working_directory(tmp_path):
        summary = run_task(cfg)
    scored = pd.read_csv(summary["output"])
    assert summary["rows"] == summary["scored"] == 50
    assert scored["pred_label"].isin(["low", "mid", "high"]).all() and "region" in scored.columns
    missing = tmp_path / "missing.csv"
    rule_table(5, seed=6).drop(columns=["label", "region"]).to_csv(missing, index=False)
    with pytest.raises(DataError, match=r"column\(s\) \['region'\] of the model not found"):
        with working_directory(tmp_path):
            run_task(compose_config(["task=predict", "serve=bentoml_cpu", f"predict.input={missing}",
                                     f"predict.model={tabular_runs['gbdt']['bundle']}"]))
