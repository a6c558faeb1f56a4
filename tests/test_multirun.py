"""A two-job sweep from the real command line (joblib launcher, jobs in parallel): both jobs
run, land in one MLflow experiment, and the sweep ends with a leaderboard of both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlflow import MlflowClient

from lightship_testing import sqlite_uri


def test_two_job_multirun_records_both_runs(tmp_path: Path) -> None:
    uri = sqlite_uri(tmp_path)
    command = [
        sys.executable, "-m", "lightship", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
        "experiment=smoke", "model.hidden_size=16,32",
        "trainer.max_epochs=1", "export.exporter=torchscript", "gates.min_accuracy=0", "gates.min_macro_f1=0",
        f"tracking.uri={uri}", "tracking.experiment_name=sweep",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = sorted(path.parent.parent.name for path in (tmp_path / "multirun").glob("*/*/*/bundle/model.onnx"))
    assert jobs == ["0", "1"]
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("sweep").experiment_id])
    assert sorted(run.data.params["model.hidden_size"] for run in runs) == ["16", "32"]
    assert all(run.info.status == "FINISHED" for run in runs)
    versions = client.search_model_versions("name='lightship'")
    assert len(versions) == 2

    import pandas as pd

    sweep_dir = next((tmp_path / "multirun").glob("*/*"))
    board = pd.read_csv(sweep_dir / "leaderboard.csv")
    assert sorted(board["overrides"].str.extract(r"model.hidden_size=(\d+)")[0].astype(int)) == [16, 32]
    assert {"accuracy", "macro_f1", "high_risk_recall", "train_seconds", "onnx_ms_per_text", "onnx_mb"} <= set(board.columns)
    assert (board["onnx_ms_per_text"] > 0).all() and board["macro_f1"].is_monotonic_decreasing
    markdown = (sweep_dir / "leaderboard.md").read_text()
    assert markdown.count("\n") == 4 and "| job | overrides |" in markdown
