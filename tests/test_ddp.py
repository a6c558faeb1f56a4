"""Data-parallel training on CPU, as typed: two processes over gloo; rank zero alone exports, records and registers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lightship_testing import sqlite_uri


def test_ddp_precision_follows_the_accelerator() -> None:
    from lightship.config.validation import compose_config

    cpu = compose_config(["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2"])
    assert (cpu.trainer.strategy, cpu.trainer.precision, cpu.trainer.devices) == ("ddp", "32-true", 2)
    assert compose_config(["trainer=ddp"]).trainer.precision == "16-mixed"  # GPUs: the configured mixed precision
    assert compose_config(["trainer=ddp", "trainer.precision=bf16-mixed"]).trainer.precision == "bf16-mixed"


def test_shards_are_disjoint_and_equal() -> None:
    from lightship.training.batching import LengthBucketBatchSampler
    from lightship.training.reproducibility import EpochShuffleSampler, Shard

    lengths = list(range(5, 105))
    whole = list(LengthBucketBatchSampler(lengths, 8, seed=3))
    ranks = [list(LengthBucketBatchSampler(lengths, 8, seed=3, shard=Shard(rank, 2))) for rank in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == len(LengthBucketBatchSampler(lengths, 8, 3, shard=Shard(1, 2))) == 6
    assert ranks[0] + ranks[1] == whole[0:12:2] + whole[1:12:2]  # the same epoch draw, split between the ranks
    rows = [list(EpochShuffleSampler(10, seed=1, shard=Shard(rank, 3))) for rank in range(3)]
    assert all(len(r) == 3 for r in rows) and len(set(sum(rows, []))) == 9


@pytest.mark.slow
def test_two_process_cpu_ddp_trains_and_registers_once(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    uri = sqlite_uri(tmp_path)
    command = [
        sys.executable, "-m", "lightship", "experiment=smoke", "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2",
        "data.batch_size=16", "trainer.enable_progress_bar=false", "export.exporter=torchscript", f"tracking.uri={uri}",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in done.stderr + done.stdout
    manifests = list((tmp_path / "outputs").glob("*/*/bundle/manifest.json"))
    assert len(manifests) == 1  # the worker re-ran the command into the same run folder and wrote no bundle
    manifest = json.loads(manifests[0].read_text())
    assert manifest["world_size"] == 2 and manifest["metrics"]["accuracy"] > 0.5
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("lightship").experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"  # rank zero alone recorded
    assert [str(v.version) for v in client.search_model_versions("name='lightship'")] == ["1"]
    assert client.get_model_version_by_alias("lightship", "champion").run_id == runs[0].info.run_id
