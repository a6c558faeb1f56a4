"""What shadow deployment costs the champion: /predict latency at concurrency 8 with and without the challenger.

    python scripts/bench_shadow.py --bundle outputs/<run>/bundle          # a bundle you trained
    python scripts/bench_shadow.py                                        # trains experiment=smoke first
    python scripts/bench_shadow.py --requests 3000 --rounds 3 --json shadow.json

The champion is ``--bundle``; the challenger is the same bundle with two labels swapped (the same
graph, so the same cost per request, and a different answer to count). Both are registered in a
fresh MLflow store (``@champion`` and ``@challenger``). Each round runs, in alternating order, a real
``bentoml serve`` without shadow and one with ``serve.shadow.enabled=true serve.shadow.fraction=1.0`` (fresh live
store each), so slow drifts of a shared machine hit both alike; each round sends ``--requests``
one-text requests at ``--concurrency`` after a warm-up (the load generator of
``scripts/bench_serving.py``, on the same machine: it takes CPU from the server). The report gives
p50, p99 and throughput per mode, the ratios shadow/off, and what the challenger answered
(mirrored, dropped, failed) from ``GET /model``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serving import BIN, REPO, _load  # noqa: E402  (the shared load generator)

from lightship.serving.server_process import PORT_PLACEHOLDER, ServerProcess  # noqa: E402

TEXTS = [
    "my card was charged twice this month", "the parcel never arrived, where is it", "cannot log in after the password reset",
    "someone used my account without permission", "please update my billing address", "refund for the broken item please",
    "the app crashes whenever I open settings", "unknown transfer from my account last night",
]


def smoke_bundle(folder: Path) -> Path:
    """Train ``experiment=smoke`` in ``folder`` (no registration) and return its bundle."""
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config(["experiment=smoke", f"tracking.uri=sqlite:///{folder / 'train.db'}", "tracking.register=false",
                          "trainer.enable_progress_bar=false"])
    previous = Path.cwd()
    os.chdir(folder)
    try:
        return Path(run_task(cfg)["bundle"])
    finally:
        os.chdir(previous)


def register_pair(bundle: Path, folder: Path) -> str:
    """A fresh store with ``bundle`` @champion and its two-labels-swapped copy @challenger; returns the tracking URI."""
    from lightship.tracking.registry import Registry
    from lightship.tracking.runs import RunRecorder

    challenger = folder / "challenger"
    shutil.copytree(bundle, challenger)
    manifest = json.loads((challenger / "manifest.json").read_text())
    manifest["labels"][0], manifest["labels"][1] = manifest["labels"][1], manifest["labels"][0]
    (challenger / "manifest.json").write_text(json.dumps(manifest))
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    registry = Registry(uri, "lightship", "champion")
    for source, promote in ((bundle, True), (challenger, False)):
        recorder = RunRecorder(uri, "lightship")
        run_id = recorder.start(f"bench-shadow-{source.name}")
        artifacts = recorder.log_artifacts(source, "bundle")
        recorder.finish("FINISHED")
        version = registry.register(artifacts, run_id)
        registry.promote(version, "benchmark champion") if promote else registry.challenge(version, "challenger", "benchmark challenger")
    return uri


def serve(folder: Path, uri: str, shadow: bool, round_index: int) -> ServerProcess:
    mode = "shadow" if shadow else "off"
    overrides = (f"serve=bentoml_cpu serve.max_concurrency=1024 serve.max_latency_ms=30000 serve.watch_interval_s=0 "
                 f"serve.store_path={folder / f'live-{mode}-{round_index}.db'} serve.shadow.enabled={str(shadow).lower()} serve.shadow.fraction=1.0")
    env = {"LIGHTSHIP_OVERRIDES": overrides, "MLFLOW_TRACKING_URI": uri, "LIGHTSHIP_MODEL": None}
    command = [str(BIN / "bentoml"), "serve", "--host", "127.0.0.1", "--port", PORT_PLACEHOLDER]
    return ServerProcess(command, folder / f"bentoml-{mode}-{round_index}.log", cwd=REPO, env=env)


def measure(folder: Path, uri: str, shadow: bool, round_index: int, requests: int, concurrency: int) -> dict[str, Any]:
    import httpx

    with serve(folder, uri, shadow, round_index) as server:
        latencies, wall, errors = asyncio.run(_load(server.url, TEXTS, requests, concurrency))
        described = httpx.get(f"{server.url}/model", timeout=30).json().get("shadow")
    p50, p99 = np.percentile(latencies, [50, 99]) * 1000
    return {"mode": "shadow" if shadow else "off", "round": round_index, "requests": requests, "p50_ms": round(float(p50), 2),
            "p99_ms": round(float(p99), 2), "throughput": round(requests / wall, 1), "errors": dict(errors),
            "latencies_ms": [round(value * 1000, 3) for value in latencies],
            "challenger": None if described is None else {key: described.get(key) for key in ("version", "worker", "agreement", "pairs")}}


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per mode: p50 and p99 over all its requests, mean throughput; then the shadow/off ratios."""
    modes: dict[str, Any] = {}
    for mode in ("off", "shadow"):
        mine = [r for r in rounds if r["mode"] == mode]
        latencies = np.concatenate([r["latencies_ms"] for r in mine])
        p50, p99 = np.percentile(latencies, [50, 99])
        modes[mode] = {"p50_ms": round(float(p50), 2), "p99_ms": round(float(p99), 2),
                       "throughput": round(float(np.mean([r["throughput"] for r in mine])), 1), "requests": int(latencies.size),
                       "errors": sum(sum(r["errors"].values()) for r in mine)}
    ratios = {key: round(modes["shadow"][key] / modes["off"][key], 3) for key in ("p50_ms", "p99_ms", "throughput")}
    return {"modes": modes, "ratios": ratios}


def markdown(result: dict[str, Any], concurrency: int) -> str:
    lines = [f"| mode (c={concurrency}) | requests | p50 ms | p99 ms | req/s | errors |", "|---|---|---|---|---|---|"]
    for mode, figures in result["modes"].items():
        lines.append(f"| {mode} | {figures['requests']} | {figures['p50_ms']} | {figures['p99_ms']} | {figures['throughput']} | {figures['errors']} |")
    ratios = result["ratios"]
    lines.append(f"| shadow / off | | {ratios['p50_ms']} | {ratios['p99_ms']} | {ratios['throughput']} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, help="the champion's bundle folder (default: train experiment=smoke)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per round and mode")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="alternating off/shadow rounds")
    parser.add_argument("--json", type=Path, help="write every figure (without the raw latencies) here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as scratch:
        folder = Path(scratch)
        bundle = args.bundle.resolve() if args.bundle else smoke_bundle(folder)
        uri = register_pair(bundle, folder)
        rounds = []
        for index in range(args.rounds):
            for shadow in ((False, True) if index % 2 == 0 else (True, False)):  # alternate which goes first
                rounds.append(measure(folder, uri, shadow, index, args.requests, args.concurrency))
                last = rounds[-1]
                print(f"round {index} {last['mode']}: p50 {last['p50_ms']} ms, p99 {last['p99_ms']} ms, {last['throughput']} req/s, "
                      f"challenger {last['challenger']}", flush=True)
    result = summary(rounds)
    result.update(machine={"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
                  bundle=str(bundle), concurrency=args.concurrency,
                  rounds=[{key: value for key, value in r.items() if key != "latencies_ms"} for r in rounds])
    print(markdown(result, args.concurrency))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
