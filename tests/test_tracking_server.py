"""The shared tracking server (scripts/tracking_server.sh): PostgreSQL + ``mlflow server``, for real.

One server per test module, in its own state folder. Everything here is slow (installing or
starting PostgreSQL, training, a sweep); without PostgreSQL (and no way to install it) the
module skips with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from lightship_testing import working_directory

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "tracking_server.sh"


def server(command: str, state: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LIGHTSHIP_TRACKING_STATE": str(state), "LIGHTSHIP_PYTHON": sys.executable}
    return subprocess.run(["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=900)


def last_line(done: subprocess.CompletedProcess) -> str:
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(URI, state folder) of a running server; stopped at the end of the module."""
    if not sys.platform.startswith("linux"):
        pytest.skip("scripts/tracking_server.sh needs Linux (Debian's PostgreSQL)")
    state = tmp_path_factory.mktemp("tracking-server")
    done = server("up", state)
    if done.returncode != 0 and not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip(f"PostgreSQL is not installed and could not be installed: {done.stderr.strip()[-300:]}")
    try:
        assert done.returncode == 0, done.stderr[-3000:]
        yield last_line(done), state
    finally:
        server("purge", state)  # the cluster may live under postgres's home (a private tmp folder): delete it too


def test_up_is_idempotent_and_down_stops_both(tracking_server: tuple[str, Path]) -> None:
    uri, state = tracking_server
    assert uri.startswith("http://127.0.0.1:") and uri.rsplit(":", 1)[1].isdigit()
    again = server("up", state)
    assert again.returncode == 0 and last_line(again) == uri  # already running: nothing restarted, same URI
    status = server("status", state)
    assert status.returncode == 0 and last_line(status) == uri
    assert "postgresql: running" in status.stdout and "mlflow: running" in status.stdout
    for _ in range(2):
        assert server("down", state).returncode == 0
    stopped = server("status", state)
    assert stopped.returncode == 3 and "postgresql: stopped" in stopped.stdout and "mlflow: stopped" in stopped.stdout
    back = server("up", state)
    assert back.returncode == 0 and last_line(back) == uri  # the same port, so the same URI, after a restart


def test_training_registers_and_aliases_through_the_server(tracking_server: tuple[str, Path], tmp_path: Path) -> None:
    from mlflow import MlflowClient

    from lightship.config.validation import compose_config
    from lightship.serving.reference import ModelReference, current_version, fetch
    from lightship.tasks import run_task
    from lightship.tracking.registry import Registry

    uri, state = tracking_server
    cfg = compose_config(["experiment=smoke", "tracking=mlflow_server", f"tracking.uri={uri}", "tracking.model_name=served",
                          "export.exporter=torchscript", "trainer.enable_progress_bar=false"])
    with working_directory(tmp_path):
        summary = run_task(cfg)
    assert summary["promoted"] and summary["version"] == "1"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.get_run(summary["run_id"])
    assert run.info.status == "FINISHED" and run.info.artifact_uri.startswith("mlflow-artifacts:")
    assert list((state / "artifacts").rglob("bundle/model.onnx"))  # the server stored the artifacts, not this client
    assert client.get_model_version_by_alias("served", "champion").version == "1"
    assert not client.search_registered_models("name='served.lock'")  # the registry lock was released

    # What the service's hot swap does: follow the alias through the server, then download the new version.
    reference = ModelReference.parse(None, "served", "champion")
    second = Registry(uri, "served", "champion")
    version = second.register(f"runs:/{summary['run_id']}/bundle", summary["run_id"])
    assert current_version(reference, uri) == "1"
    second.promote(version, "test: a second version becomes champion")
    assert current_version(reference, uri) == "2"
    resolved = fetch(reference, uri)
    try:
        assert resolved.version == "2" and (resolved.bundle.path / "manifest.json").is_file()
    finally:
        resolved.release()


def test_parallel_sweep_registers_every_version_exactly_once(tracking_server: tuple[str, Path], tmp_path: Path) -> None:
    from mlflow import MlflowClient

    uri, _ = tracking_server
    command = [
        sys.executable, "-m", "lightship", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
        "experiment=smoke", "model.hidden_size=16,24,32,40", "trainer.max_epochs=1", "export.exporter=torchscript",
        "gates.min_accuracy=0", "gates.min_macro_f1=0", "tracking=mlflow_server", f"tracking.uri={uri}",
        "tracking.experiment_name=server-sweep", "tracking.model_name=swept",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("server-sweep").experiment_id])
    assert sorted(run.data.params["model.hidden_size"] for run in runs) == ["16", "24", "32", "40"]
    assert all(run.info.status == "FINISHED" for run in runs)
    versions = client.search_model_versions("name='swept'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3, 4]
    assert sorted(v.run_id for v in versions) == sorted(run.info.run_id for run in runs)  # one version per run, none twice
    statuses = [v.tags.get("lightship.promotion") for v in versions]
    assert "pending" not in statuses and statuses.count("promoted") == 1
    champion = client.get_model_version_by_alias("swept", "champion")
    assert champion.tags["lightship.promotion"] == "promoted"
    assert not client.search_registered_models("name='swept.lock'")


def test_server_stopping_mid_registration_leaves_no_partial_version(
    tracking_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    from lightship.errors import TrackingError
    from lightship.tracking.registry import Registry

    uri, state = tracking_server
    source_dir = tmp_path / "bundle"
    source_dir.mkdir()
    (source_dir / "manifest.json").write_text("{}")
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name("Default")
    run = client.create_run(experiment.experiment_id)
    client.log_artifacts(run.info.run_id, str(source_dir), "bundle")
    source = f"{run.info.artifact_uri}/bundle"
    registry = Registry(uri, "faulty", "champion")
    with registry.publishing():
        assert registry.publish(source, run.info.run_id, {}, promote=True, reason="first") == "1"

    # Fail fast while the server is down (MLflow's client otherwise retries for minutes).
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    original = Registry.promote

    def stop_then_promote(self: Registry, version: str, reason: str) -> object:
        assert server("down", state).returncode == 0  # between create_model_version and the alias move
        return original(self, version, reason)

    monkeypatch.setattr(Registry, "promote", stop_then_promote)
    with pytest.raises(TrackingError, match=r"version 2 .* was interrupted .*pending.*champion is still version 1"):
        with registry.publishing():
            registry.publish(source, run.info.run_id, {}, promote=True, reason="second")
    monkeypatch.undo()

    assert server("up", state).returncode == 0
    after = Registry(uri, "faulty", "champion")
    pending = [v.version for v in client.search_model_versions("name='faulty'") if v.tags.get("lightship.promotion") == "pending"]
    assert pending == ["2"]  # left by the writer that lost its server ...
    with after.publishing():  # ... settled by the next registration's recovery (it also breaks the lock left behind)
        pass
    assert [v.version for v in client.search_model_versions("name='faulty'")] == ["1"]
    assert after.champion_version() == "1"
    assert after.version_tags("1")["lightship.promotion"] == "promoted"
    assert not client.search_registered_models("name='faulty.lock'")
