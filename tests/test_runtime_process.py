"""A runtime in a child process answers exactly as the runtime in this process, at its own niceness, and fails loudly."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from lightship.bundle import Bundle
from lightship.errors import LightshipError

TEXTS = ["my card was charged twice", "the parcel never arrived", "cannot log in after password reset", "refund please"]


def test_a_runtime_process_scores_like_the_runtime_in_this_process_and_ends_with_close(smoke_run: dict) -> None:
    from lightship.inference import load_runtime
    from lightship.inference.runtime_process import RuntimeProcess

    bundle = Bundle.load(smoke_run["bundle"])
    local = load_runtime(bundle, intra_op_threads=1)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    remote = RuntimeProcess(bundle, {"intra_op_threads": 1, "allow_spinning": False}, nice=5)
    try:
        assert remote.pid != os.getpid() and remote.alive
        assert os.getpriority(os.PRIO_PROCESS, remote.pid) == min(base + 5, 19)
        assert os.getpriority(os.PRIO_PROCESS, 0) == base  # the caller keeps its own
        assert remote.labels == local.labels and remote.input_spec == local.input_spec and remote.provider_in_use == "CPUExecutionProvider"
        expected, answered = local.score(TEXTS, 2, None), remote.score(TEXTS, 2, None)
        assert [item.label for item in answered.items] == [item.label for item in expected.items]
        assert [item.tokens for item in answered.items] == [item.tokens for item in expected.items]
        for mine, theirs in zip(expected.items, answered.items):
            assert theirs.probabilities == pytest.approx(mine.probabilities, abs=1e-6)
        assert answered.rows == 4 and answered.model_batches == expected.model_batches == 2
        assert answered.embeddings is None and answered.probabilities is None  # raw arrays stay in the child
        np.testing.assert_allclose(remote.predict(TEXTS).probabilities, local.predict(TEXTS).probabilities, atol=1e-6)
        assert remote.smoke_inputs(["a", "b"]) == ["a", "b"]
    finally:
        remote.close()
    assert not remote.alive


def test_a_runtime_process_reports_a_bundle_it_cannot_open_and_starts_a_killed_child_again(smoke_run: dict, tmp_path: Path) -> None:
    import shutil

    from lightship.inference.runtime_process import RuntimeProcess

    broken = tmp_path / "broken"
    shutil.copytree(smoke_run["bundle"], broken)
    bundle = Bundle.load(broken)
    (broken / bundle.onnx_path.name).write_bytes(b"not a graph")
    with pytest.raises(LightshipError, match=r"broken: the runtime process could not open the bundle: .*"):
        RuntimeProcess(bundle, {}, nice=0)

    remote = RuntimeProcess(Bundle.load(smoke_run["bundle"]), {}, nice=0)
    try:
        first_pid, expected = remote.pid, [item.label for item in remote.score(TEXTS).items]
        os.kill(first_pid, signal.SIGKILL)  # killed from outside (out of memory, an operator)
        deadline = time.monotonic() + 10
        while remote.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not remote.alive
        assert [item.label for item in remote.score(TEXTS).items] == expected  # the next call starts it again
        assert remote.restarts == 1 and remote.pid != first_pid and remote.alive
    finally:
        remote.close()
    assert not remote.alive
    with pytest.raises(LightshipError, match="it was closed"):
        remote.score(TEXTS)
