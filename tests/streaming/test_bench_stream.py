"""scripts/bench_stream.py in its quick mode, so the benchmark cannot rot (its figures come from the full mode)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lightship.streaming.local_redis import INSTALL_HINT, redis_server_path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_stream.py"


@pytest.mark.slow
def test_quick_mode_measures_every_path(tmp_path: Path) -> None:
    if redis_server_path() is None:
        pytest.skip(f"redis-server is not installed: {INSTALL_HINT}")
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--workdir", str(tmp_path), "--json", str(tmp_path / "report.json")],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads((tmp_path / "report.json").read_text())
    paths = {row["path"] for row in report["rows"]}
    assert {"ORT fp32 in-process", "lightship HTTP (fp32)", "lightship stream, Redis (fp32)"} <= paths
    stream = next(row for row in report["rows"] if row["path"].startswith("lightship stream"))
    assert stream["throughput"] > 0 and stream["p99_ms"] >= stream["p50_ms"] >= 0
    assert report["ratios"]["smoke"]["stream_vs_in_process_best_batch"] > 0
