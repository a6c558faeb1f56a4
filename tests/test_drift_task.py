"""``task=drift``: a model reference (bundle folder, registry alias) or a data-file reference, the
report files it writes, and the errors a user gets for bad inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lightship_testing import sqlite_uri, working_directory

from lightship.config.validation import compose_config
from lightship.data.synthetic import SyntheticTickets
from lightship.errors import ConfigError, DataError
from lightship.tasks import run_task

# The synthetic stream's drift knob, switched fully on from the first ticket.
DRIFTED = {"kind": "sudden", "start": 0.0, "vocab_shift": 1.0, "class_mix_shift": 1.0, "new_category": True}
TEXT_FEATURES = {"confidence", "predicted_class", "text_length", "unk_rate", "embedding_pc1"}


def tickets(path: Path, drift: dict | None = None, rows: int = 300, seed: int = 11) -> Path:
    frame, _ = SyntheticTickets(n_rows=rows, seed=seed, drift=drift).load()
    frame.rename(columns={"text": "body"}).to_csv(path, index=False)
    return path


def drift_task(workdir: Path, smoke_workdir: Path, *overrides: str) -> dict:
    cfg = compose_config(["task=drift", "serve=bentoml_cpu", f"tracking.uri={sqlite_uri(smoke_workdir)}", *overrides])
    with working_directory(workdir):
        return run_task(cfg)


@pytest.fixture(scope="module")
def texts(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drift_texts")
    return {"same": tickets(folder / "same.csv"), "drifted": tickets(folder / "drifted.csv", DRIFTED)}


def test_bundle_reference_on_undrifted_texts(tmp_path, smoke_run, smoke_workdir, texts) -> None:
    summary = drift_task(tmp_path, smoke_workdir, f"drift.reference={smoke_run['bundle']}",
                         f"drift.current={texts['same']}", "drift.text_column=body")
    report = json.loads(Path(summary["report"]).read_text())
    assert Path(summary["output_dir"]).parent.parent == tmp_path / "outputs"
    assert report["drifted"] is False and summary["drifted"] is False and report["drifted_features"] == []
    assert TEXT_FEATURES <= set(report["features"])
    for result in report["features"].values():
        assert {"test", "statistic", "p_value", "threshold", "drifted"} <= set(result)
    assert report["n_current"] == 300 and report["metadata"]["reference_kind"] == "model"
    assert report["metadata"]["model_version"] == "local" and report["metadata"]["rows_without_text"] == 0
    page = Path(summary["html"]).read_text()
    assert page.count("<svg") == len(report["features"]) and "no drift" in page


def test_alias_reference_on_drifted_texts(tmp_path, smoke_run, smoke_workdir, texts) -> None:
    summary = drift_task(tmp_path, smoke_workdir, "drift.reference=models:/lightship@champion",
                         f"drift.current={texts['drifted']}", "drift.text_column=body", "drift.window.size=100")
    report = json.loads(Path(summary["report"]).read_text())
    assert report["drifted"] is True and report["drift_share"] > 0
    assert {"predicted_class", "embedding_pc1"} <= set(report["drifted_features"])  # new topics, new class mix
    assert report["features"]["predicted_class"]["p_value"] < 1e-6
    assert report["metadata"]["model_version"] == smoke_run["version"]
    windows = report["metadata"]["windows"]  # 300 rows in windows of 100
    assert [w["n_rows"] for w in windows] == [100, 100, 100] and all(w["drifted"] for w in windows)
    assert summary["windows"] == 3 and summary["drifted_windows"] == 3
    assert "DRIFTED" in Path(summary["html"]).read_text()


def tables(folder: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(3)
    def table(n, shift, countries):
        return pd.DataFrame({"amount": rng.normal(shift, 1, n), "country": rng.choice(countries, n),
                             "note": np.where(rng.random(n) < 0.1, None, "x")})
    reference = folder / "reference.parquet"
    table(2000, 0.0, ["fr", "de"]).to_parquet(reference)
    same, moved = folder / "same.csv", folder / "moved.jsonl"
    table(500, 0.0, ["fr", "de"]).to_csv(same, index=False)
    table(500, 1.0, ["fr", "de", "es"]).to_json(moved, orient="records", lines=True)
    return reference, same, moved


def test_data_file_reference(tmp_path, smoke_workdir) -> None:
    reference, same, moved = tables(tmp_path)
    quiet = drift_task(tmp_path, smoke_workdir, f"drift.reference={reference}", f"drift.current={same}")
    assert quiet["drifted"] is False
    loud = drift_task(tmp_path, smoke_workdir, f"drift.reference={reference}", f"drift.current={moved}", "drift=psi")
    report = json.loads(Path(loud["report"]).read_text())
    assert report["detector"] == "psi" and report["drifted_features"] == ["amount", "country"]
    assert report["features"]["country"]["unseen_categories"] == {"es": pytest.approx(170, abs=60)}
    assert report["metadata"]["columns"] == ["amount", "country", "note"] and report["metadata"]["windows"] == []
    chosen = drift_task(tmp_path, smoke_workdir, f"drift.reference={reference}", f"drift.current={moved}", "drift.columns=[note]")
    assert chosen["drifted"] is False and set(json.loads(Path(chosen["report"]).read_text())["features"]) == {"note"}


def test_cli_writes_the_reports_into_the_run_folder(tmp_path) -> None:
    reference, _, moved = tables(tmp_path)
    run_dir = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "lightship", "task=drift", f"drift.reference={reference}",
                           f"drift.current={moved}", f"hydra.run.dir={run_dir}"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads((run_dir / "drift_report.json").read_text())["drifted"] is True
    assert (run_dir / "drift_report.html").is_file() and "DRIFTED" in done.stderr


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        (["drift.reference=REF"], ConfigError, "task=drift needs drift.current=PATH"),
        (["drift.reference=REF", "drift.current=absent.csv"], DataError, "absent.csv: no such file"),
        (["drift.reference=nowhere.csv", "drift.current=CURRENT"], DataError, "drift.reference=nowhere.csv: no such file or folder"),
        (["drift.reference=BUNDLE", "drift.current=CURRENT"], DataError, "column 'text' \\(from drift.text_column \\(default: predict.text_column\\)\\) not found.*Columns in the file: body"),
        (["drift.reference=BUNDLE", "drift.current=CURRENT", "drift.text_column=bdy"], DataError, "column 'bdy' \\(from drift.text_column\\)"),
        (["drift.reference=models:/lightship/99", "drift.current=CURRENT", "drift.text_column=body"], Exception, "version 99 not found"),
        (["drift.reference=REF", "drift.current=CURRENT"], DataError, "columns \\['label'\\] .* not found"),
        (["drift.reference=REF", "drift.current=CURRENT", "drift.columns=[price]"], DataError, "columns \\['price'\\] \\(from drift.columns\\)"),
        (["drift.reference=PROFILELESS", "drift.current=CURRENT", "drift.text_column=body"], DataError, "has no reference_profile.npz"),
    ],
)
def test_bad_inputs_say_what_to_fix(tmp_path, smoke_run, smoke_workdir, texts, overrides, error, message) -> None:
    reference = tmp_path / "reference.csv"
    pd.DataFrame({"body": ["a", "b"], "label": ["x", "y"]}).to_csv(reference, index=False)
    current = tmp_path / "current.csv"
    pd.DataFrame({"body": ["a", "b"]}).to_csv(current, index=False)
    profileless = tmp_path / "bundle"
    shutil.copytree(smoke_run["bundle"], profileless)
    (profileless / "reference_profile.npz").unlink()
    names = {"REF": reference, "CURRENT": current, "BUNDLE": smoke_run["bundle"], "PROFILELESS": profileless}
    resolved = [override.split("=")[0] + "=" + str(names.get(override.split("=", 1)[1], override.split("=", 1)[1])) for override in overrides]
    with pytest.raises(error, match=message):
        drift_task(tmp_path, smoke_workdir, *resolved)
