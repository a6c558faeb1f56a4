"""Registry writes under parallel jobs and interruptions, on a real SQLite tracking store.

The jobs are real processes (spawned, like joblib's loky workers) that each open the store,
start a run, upload a small bundle folder and publish a version, two at a time; a killed
writer is a real subprocess that sends itself SIGTERM or SIGKILL half-way through a
registration.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from lightship_testing import sqlite_uri

MODEL, ALIAS = "lightship", "champion"


def publish_job(uri: str, bundle: str, job: int, promote: bool) -> str:
    """One sweep job's tracking writes: experiment, run, artifacts, a published version."""
    from lightship.tracking.registry import Registry
    from lightship.tracking.runs import RunRecorder

    recorder = RunRecorder(uri, "stress")
    run_id = recorder.start(f"job-{job}")
    with recorder.finishing():
        source = recorder.log_artifacts(Path(bundle), "bundle")
        registry = Registry(uri, MODEL, ALIAS)
        with registry.publishing():
            registry.champion_version()  # what the gates read
            return registry.publish(source, run_id, {"job": str(job)}, promote=promote, reason=f"job {job}")


@pytest.fixture()
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"labels": ["a", "b"]}')
    return folder


def _versions(uri: str) -> dict[str, dict[str, str]]:
    from mlflow import MlflowClient

    return {str(v.version): dict(v.tags) for v in MlflowClient(tracking_uri=uri).search_model_versions(f"name='{MODEL}'")}


def _champion(uri: str) -> str | None:
    from lightship.tracking.registry import Registry

    return Registry(uri, MODEL, ALIAS).champion_version()


def test_parallel_jobs_publish_every_version_exactly_once(tmp_path: Path, bundle: Path) -> None:
    """Eight jobs two at a time, three rounds into one store: no failure, 24 versions, one per job."""
    uri = sqlite_uri(tmp_path)
    rounds, jobs = 3, 8
    published: list[str] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        for round_ in range(rounds):
            futures = [pool.submit(publish_job, uri, str(bundle), round_ * jobs + job, job % 2 == 0) for job in range(jobs)]
            published += [future.result(timeout=300) for future in futures]
    versions = _versions(uri)
    assert sorted(published, key=int) == [str(n) for n in range(1, rounds * jobs + 1)]
    assert sorted(versions, key=int) == sorted(published, key=int)
    assert sorted(int(tags["job"]) for tags in versions.values()) == list(range(rounds * jobs))
    statuses = {tags["job"]: tags["lightship.promotion"] for tags in versions.values()}
    assert {status for job, status in statuses.items() if int(job) % 2} == {"rejected"}
    champion = _champion(uri)
    assert versions[champion]["lightship.promotion"] == "promoted"
    assert sum(tags["lightship.promotion"] == "promoted" for tags in versions.values()) == 1
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("stress").experiment_id])
    assert len(runs) == rounds * jobs and {run.info.status for run in runs} == {"FINISHED"}


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from mlflow import MlflowClient
    from lightship.interrupts import sigterm_raises
    from lightship.tracking.registry import Registry
    from lightship.tracking.runs import RunRecorder

    uri, bundle, how = sys.argv[1], sys.argv[2], sys.argv[3]
    sig = {"term": signal.SIGTERM, "kill": signal.SIGKILL}[how]
    original = MlflowClient.set_registered_model_alias

    def die_before_alias_move(self, *args, **kwargs):
        # the version exists and is tagged, the alias is about to move: the worst moment to die
        os.kill(os.getpid(), sig)
        return original(self, *args, **kwargs)

    MlflowClient.set_registered_model_alias = die_before_alias_move
    recorder = RunRecorder(uri, "stress")
    run_id = recorder.start("killed")
    with sigterm_raises(), recorder.finishing():
        source = recorder.log_artifacts(Path(bundle), "bundle")
        registry = Registry(uri, "lightship", "champion")
        with registry.publishing():
            registry.publish(source, run_id, {"job": "killed"}, promote=True, reason="should not stay")
    """
)


@pytest.mark.parametrize("how", ["term", "kill"])
def test_writer_killed_during_registration_leaves_no_version(tmp_path: Path, bundle: Path, how: str) -> None:
    uri = sqlite_uri(tmp_path)
    assert publish_job(uri, str(bundle), 0, promote=True) == "1"
    done = subprocess.run([sys.executable, "-c", _KILLER, uri, str(bundle), how], capture_output=True, text=True, timeout=120)
    assert done.returncode == (143 if how == "term" else -9), done.stderr[-2000:]
    if how == "term":  # unwound: rolled back on the spot
        assert sorted(_versions(uri)) == ["1"] and _champion(uri) == "1"
    else:  # no chance to clean up: a version marked pending stays, the champion does not move
        assert _versions(uri)["2"]["lightship.promotion"] == "pending" and _champion(uri) == "1"
    # the next writer (it holds the lock, so the pending writer is gone) settles what was left
    assert publish_job(uri, str(bundle), 1, promote=False) == "3"
    versions = _versions(uri)
    assert sorted(versions) == ["1", "3"] and _champion(uri) == "1"
    assert versions["1"]["lightship.promotion"] == "promoted" and versions["3"]["lightship.promotion"] == "rejected"


def test_unreachable_tracking_store_fails_before_training(tmp_path: Path) -> None:
    """A missing folder and a server nobody answers on: a clear error naming the store, no run folder trained."""
    for uri in (f"sqlite:///{tmp_path / 'missing' / 'mlflow.db'}", "http://127.0.0.1:9"):
        done = subprocess.run(
            [sys.executable, "-m", "lightship", "experiment=smoke", f"tracking.uri={uri}", "hydra.run.dir=run"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, "HYDRA_FULL_ERROR": "0"},
        )
        assert done.returncode == 2, done.stderr[-2000:]
        assert uri in done.stderr and "tracking" in done.stderr
        assert not (tmp_path / "run" / "checkpoints").exists() and not (tmp_path / "run" / "bundle").exists()


def test_a_store_that_cannot_mark_the_run_failed_lets_the_first_error_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                              caplog: pytest.LogCaptureFixture) -> None:
    from lightship.errors import TrackingError
    from lightship.tracking.runs import RunRecorder

    recorder = RunRecorder(sqlite_uri(tmp_path), "stress")
    run_id = recorder.start("server lost")

    def unreachable(run: str, status: str) -> None:
        raise ConnectionError("API request to endpoint /api/2.0/mlflow/runs/update failed")

    monkeypatch.setattr(recorder.client, "set_terminated", unreachable)
    with pytest.raises(TrackingError, match="champion is still version 1"):  # not the ConnectionError of the cleanup
        with recorder.finishing():
            raise TrackingError("version 2 was interrupted and left pending; the champion is still version 1")
    assert f"could not mark MLflow run {run_id} FAILED" in caplog.text and "it stays RUNNING" in caplog.text
