"""scripts/bench_serving.py in its quick mode, so the benchmark cannot rot (its figures come from the full mode)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_serving.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_serving", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_serving"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def test_quick_in_process_rows_and_ratios(tmp_path: Path) -> None:
    bench = load_bench()
    report = bench.run(bench.QUICK, tmp_path, servers=False, served_precision="int8")
    paths = {(row.path, row.batch.split("=")[0]) for row in report.rows}
    for path in ("PyTorch eager", "ORT fp32", "ORT int8"):
        assert (path, "1") in paths
    assert all(row.throughput > 0 and row.p99_ms >= row.p50_ms > 0 for row in report.rows)
    assert {"ort_fp32_speedup_batch1", "ort_int8_speedup_batch1"} <= set(report.ratios["smoke"])
    assert report.models["smoke"]["fused_ops"], "the quick model's graph is fused"
    assert "| model | path |" in bench.markdown(report.rows)


@pytest.mark.slow
def test_quick_mode_end_to_end_with_real_servers(tmp_path: Path) -> None:
    """Naive FastAPI endpoint and a real `bentoml serve`, started and stopped by the script."""
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--workdir", str(tmp_path), "--json", str(tmp_path / "report.json")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "lightship (int8) | c=32" in done.stdout and "naive FastAPI+PyTorch | c=1" in done.stdout
    assert "served_c1_latency_reduction_vs_naive" in done.stdout
