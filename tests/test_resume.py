"""A training killed mid-run resumes from its last checkpoint to the uninterrupted result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from lightship_testing import sqlite_uri, train
from lightship.inference.text import OnnxTextClassifier

# Slow enough per epoch that the kill lands while training is still running.
OVERRIDES = ["data.n_rows=2500", "model.hidden_size=64", "trainer.max_epochs=3", "export.exporter=torchscript"]
PROBE = ["my card shows purchases I never made", "the app crashes on my tablet", "refund the double charge"]


def kill_after_first_checkpoint(workdir: Path) -> Path:
    """Run the CLI, SIGKILL it once an epoch checkpoint exists; return the run folder."""
    command = [sys.executable, "-m", "lightship", "experiment=smoke", *OVERRIDES, f"tracking.uri={sqlite_uri(workdir)}"]
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            found = list(workdir.glob("outputs/*/*/checkpoints/last.ckpt"))
            if found:
                time.sleep(0.5)  # let the checkpoint write finish
                os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        assert process.wait(timeout=60) == -signal.SIGKILL, "training ended before it could be interrupted"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert not list(workdir.glob("outputs/*/*/bundle/model.onnx")), "the killed run must not have exported"
    return found[0].parent.parent


def test_killed_training_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    reference_dir, killed_dir = tmp_path / "reference", tmp_path / "killed"
    reference_dir.mkdir()
    killed_dir.mkdir()
    reference = train(reference_dir, *OVERRIDES)
    run_folder = kill_after_first_checkpoint(killed_dir)
    resumed = train(killed_dir, *OVERRIDES, f"resume={run_folder}")
    assert resumed["metrics"] == reference["metrics"]
    np.testing.assert_allclose(
        OnnxTextClassifier(resumed["bundle"]).predict(PROBE).probabilities,
        OnnxTextClassifier(reference["bundle"]).predict(PROBE).probabilities,
        atol=1e-6,
    )
