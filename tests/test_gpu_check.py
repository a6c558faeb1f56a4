"""``scripts/gpu_check.sh`` without a GPU: the CPU rows are measured, the CUDA rows are said to be skipped, exit 0."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_check(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "gpu_check.json"
    done = subprocess.run(["bash", str(REPO / "scripts" / "gpu_check.sh"), "--out", str(out), *args], capture_output=True, text=True, timeout=320)
    return done, json.loads(out.read_text()) if out.is_file() else {}


def check_cpu_rows(done: subprocess.CompletedProcess, result: dict, models: list[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CUDA rows skipped" in done.stdout and result["cuda"] is False and result["failures"] == []
    for model in models:
        rows = {(r["backend"], r["batch"]) for r in result["rows"] if r["model"] == model}
        assert rows == {(backend, batch) for backend in ("pytorch cpu eager", "onnxruntime cpu fp32", "onnxruntime cpu int8") for batch in (1, 32)}
    assert all(r["ms_per_batch"] > 0 for r in result["rows"])


def test_gpu_check_on_cpu_measures_the_cnn_rows_and_skips_cuda(tmp_path: Path) -> None:
    done, result = run_check(tmp_path, "--models", "cnn")
    check_cpu_rows(done, result, ["cnn"])


@pytest.mark.slow
def test_gpu_check_on_cpu_whole(tmp_path: Path) -> None:
    done, result = run_check(tmp_path)
    check_cpu_rows(done, result, ["cnn", "minilm"])
