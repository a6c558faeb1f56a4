"""Ray, on a local instance started by lightship itself: a sweep as Ray tasks, and batch scoring in Ray Data batches."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest

from lightship_testing import sqlite_uri, working_directory

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray instance for the module (as the engine would start it), shut down at the end."""
    import ray

    from lightship.ray_cluster import connect

    connect(None, 2, log_to_driver=False)
    yield
    ray.shutdown()


def _predict(workdir: Path, bundle: str, source: Path, *overrides: str) -> dict:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config(["task=predict", f"predict.input={source}", f"predict.model={bundle}", "serve=bentoml_cpu", *overrides])
    workdir.mkdir(exist_ok=True)
    with working_directory(workdir):
        return run_task(cfg)


def test_ray_engine_scores_like_the_local_engine_in_input_order(local_ray: None, tmp_path: Path, smoke_run: dict) -> None:
    rng = np.random.default_rng(0)
    words = ["charged", "twice", "parcel", "never", "arrived", "password", "reset", "refund", "card", "stolen", "app", "crashes"]
    rows = 3000
    tickets = pd.DataFrame({
        "ticket": np.arange(rows),
        "text": [" ".join(rng.choice(words, size=rng.integers(1, 12))) for _ in range(rows)],
        "amount": rng.normal(50, 20, rows).round(2),
    })
    tickets.loc[::97, "text"] = ""  # rows the model cannot read keep their place, unlabelled
    source = tmp_path / "tickets.csv"
    tickets.to_csv(source, index=False)
    common = ["predict.chunk_size=700", "predict.output=scored.parquet"]
    local = _predict(tmp_path / "local", smoke_run["bundle"], source, *common)
    distributed = _predict(tmp_path / "ray", smoke_run["bundle"], source, *common, "predict.engine=ray",
                           "predict.ray.batch_rows=450", "predict.ray.actors=2")
    assert (local["engine"], distributed["engine"]) == ("local", "ray")
    assert local["rows"] == distributed["rows"] == rows and local["scored"] == distributed["scored"]
    expected, scored = pd.read_parquet(local["output"]), pd.read_parquet(distributed["output"])
    assert list(scored.columns) == list(expected.columns)
    assert scored["ticket"].tolist() == list(range(rows))  # input order
    assert scored["pred_id"].dropna().is_unique  # a fresh id per scored row: the one column that differs by design
    pd.testing.assert_frame_equal(scored.drop(columns="pred_id"), expected.drop(columns="pred_id"), check_exact=False, rtol=1e-6)


def test_ray_launcher_runs_a_sweep_and_registers_both_jobs(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    uri = sqlite_uri(tmp_path)
    command = [
        sys.executable, "-m", "lightship", "-m", "hydra/launcher=ray", "hydra.launcher.init.num_cpus=2",
        "experiment=smoke", "model.hidden_size=16,32", "trainer.max_epochs=1", "export.exporter=torchscript",
        "gates.min_accuracy=0", "gates.min_macro_f1=0", f"tracking.uri={uri}", "tracking.experiment_name=ray-sweep",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(path.parent.parent.name for path in (tmp_path / "multirun").glob("*/*/*/bundle/model.onnx")) == ["0", "1"]
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("ray-sweep").experiment_id])
    assert sorted(run.data.params["model.hidden_size"] for run in runs) == ["16", "32"]
    versions = client.search_model_versions("name='lightship'")
    assert sorted(v.run_id for v in versions) == sorted(run.info.run_id for run in runs)
    assert next((tmp_path / "multirun").glob("*/*/leaderboard.csv")).is_file()  # the sweep's end callback ran in the driver
