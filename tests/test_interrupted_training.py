"""A training stopped (SIGTERM) while it exports leaves the registry as it was: no new version,
the champion unchanged, and its MLflow run FAILED, not RUNNING."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lightship_testing import sqlite_uri

_STOPPED_DURING_EXPORT = textwrap.dedent(
    """
    import os, signal, sys
    import lightship.export.parity as parity

    def stop_here(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # the graph is written, parity is about to run

    parity.check_parity = stop_here
    from lightship.cli import main
    sys.argv = ["lightship", *sys.argv[1:]]
    main()
    """
)


@pytest.mark.slow
def test_training_stopped_during_export_registers_nothing(smoke_run: dict, smoke_workdir: Path, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    from lightship.tracking.registry import Registry

    shutil.copy(smoke_workdir / "mlflow.db", tmp_path / "mlflow.db")  # a private copy: the champion is the smoke model
    uri = sqlite_uri(tmp_path)
    client = MlflowClient(tracking_uri=uri)
    before = sorted(v.version for v in client.search_model_versions("name='lightship'"))
    champion = Registry(uri, "lightship", "champion").champion_version()
    done = subprocess.run(
        [sys.executable, "-c", _STOPPED_DURING_EXPORT, "experiment=smoke", f"tracking.uri={uri}", "hydra.run.dir=run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode != 0, done.stderr[-2000:]
    assert sorted(v.version for v in client.search_model_versions("name='lightship'")) == before
    assert Registry(uri, "lightship", "champion").champion_version() == champion
    runs = client.search_runs([client.get_experiment_by_name("lightship").experiment_id], "tags.`lightship.output_dir` LIKE '%run'")
    assert [run.info.status for run in runs] == ["FAILED"]
