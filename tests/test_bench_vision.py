"""scripts/bench_vision.py's write-up from a results file: the table with its ratio to PyTorch CPU, the CUDA
rows named as not measured, the baseline row, and the plot (its figures come from a full run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_vision.py"


def row(accuracy: float, ms: dict[str, float]) -> dict:
    best = min(ms, key=ms.get)
    return {"accuracy": accuracy, "ms_per_image": ms, "best_batch": int(best.removeprefix("batch")), "images_per_s": round(1000 / ms[best], 1)}


def test_table_and_plot_from_results(tmp_path: Path) -> None:
    results = [{"data": "digits", "logistic_regression_accuracy": 0.95, "rows": {
        "pytorch cpu eager fp32": row(0.97, {"batch1": 1.0, "batch8": 0.3, "batch32": 0.2, "batch128": 0.25}),
        "onnxruntime cpu fp32": row(0.97, {"batch1": 0.2, "batch8": 0.05, "batch32": 0.04, "batch128": 0.05}),
        "onnxruntime cpu int8 (static)": row(0.96, {"batch1": 0.3, "batch8": 0.06, "batch32": 0.03, "batch128": 0.04}),
    }}]
    (tmp_path / "results.json").write_text(json.dumps(results))
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path), "--from-results"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "table.md").read_text().splitlines()
    assert "| digits | onnxruntime cpu fp32 | 0.9700 | 0.200 | 0.040 (32) | 25000 | -80% |" in table
    assert "| digits | onnxruntime cpu int8 (static) | 0.9600 | 0.300 | 0.030 (32) | 33333 | -70% |" in table
    assert sum("not measured" in line for line in table) == 3
    assert table[-1] == "| digits | logistic regression on pixels (baseline) | 0.9500 | | | | |"
    assert (tmp_path / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
