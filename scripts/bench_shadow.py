"""What shadow deployment costs the champion: /predict latency at concurrency 8 with and without the challenger.

    python scripts/bench_shadow.py --bundle outputs/<run>/bundle          # a bundle you trained
    python scripts/bench_shadow.py                                        # trains experiment=smoke first
    python scripts/bench_shadow.py --pairs 8 --requests 600 --json shadow.json
    python scripts/bench_shadow.py --overrides "serve.shadow.fraction=0.25"

The champion is ``--bundle``; the challenger is the same bundle with two labels swapped (the same
graph, so the same cost per request, and a different answer to count). Both are registered in a
fresh MLflow store (``@champion`` and ``@challenger``) and one real ``bentoml serve`` runs with
``serve.shadow.enabled=true serve.shadow.fraction=1.0``. The run alternates phases in that one
server: *shadow* (the ``@challenger`` alias set: the worker holds the challenger and mirrors every
request to it) and *off* (the alias removed: the challenger is released and nothing is mirrored),
switched the way an operator does it, through the registry and ``POST /reload``. Measuring both
modes in one process matters on a small machine: separate servers per mode differed by up to 2x in
p50 from one start to the next (thread placement, the load of the moment), far more than the
challenger costs. Phases go in ABBA order (off, shadow, shadow, off, ...); each sends
``--requests`` one-text requests at ``--concurrency`` after a warm-up (the load generator of
``scripts/bench_serving.py``, on the same machine: it takes CPU from the server). The report gives
p50, p99 and throughput per mode over all its requests, the ratios shadow/off, the median of the
per-pair p50 ratios, and what the challenger answered (mirrored, dropped, failed) from ``GET /model``.
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
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serving import BIN, REPO, _load  # noqa: E402  (the shared load generator)

from lightship.serving.server_process import PORT_PLACEHOLDER, ServerProcess  # noqa: E402

MODEL_NAME, CHALLENGER, TOKEN = "lightship", "challenger", "bench-shadow"
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


def register_pair(bundle: Path, folder: Path) -> tuple[str, str]:
    """A fresh store with ``bundle`` @champion and its two-labels-swapped copy @challenger; returns the URI and the challenger's version."""
    from lightship.tracking.registry import Registry
    from lightship.tracking.runs import RunRecorder

    challenger = folder / "challenger"
    shutil.copytree(bundle, challenger)
    manifest = json.loads((challenger / "manifest.json").read_text())
    manifest["labels"][0], manifest["labels"][1] = manifest["labels"][1], manifest["labels"][0]
    (challenger / "manifest.json").write_text(json.dumps(manifest))
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    registry = Registry(uri, MODEL_NAME, "champion")
    version = ""
    for source, promote in ((bundle, True), (challenger, False)):
        recorder = RunRecorder(uri, MODEL_NAME)
        run_id = recorder.start(f"bench-shadow-{source.name}")
        artifacts = recorder.log_artifacts(source, "bundle")
        recorder.finish("FINISHED")
        version = registry.register(artifacts, run_id)
        registry.promote(version, "benchmark champion") if promote else registry.challenge(version, CHALLENGER, "benchmark challenger")
    return uri, version


def serve(folder: Path, uri: str, overrides: str) -> ServerProcess:
    """One ``bentoml serve`` with shadow on; the phases switch the challenger through its alias and ``/reload``."""
    settings = (f"serve=bentoml_cpu serve.max_concurrency=1024 serve.max_latency_ms=30000 serve.watch_interval_s=0 "
                f"serve.store_path={folder / 'live.db'} serve.shadow.enabled=true serve.shadow.fraction=1.0 {overrides}")
    env = {"LIGHTSHIP_OVERRIDES": settings, "MLFLOW_TRACKING_URI": uri, "LIGHTSHIP_MODEL": None, "LIGHTSHIP_RELOAD_TOKEN": TOKEN}
    command = [str(BIN / "bentoml"), "serve", "--host", "127.0.0.1", "--port", PORT_PLACEHOLDER]
    return ServerProcess(command, folder / "bentoml.log", cwd=REPO, env=env)


def switch(url: str, uri: str, challenger: str, shadow: bool) -> dict[str, Any]:
    """Set or remove the ``@challenger`` alias, make the worker act on it now, and check that it did."""
    import httpx

    from lightship.tracking.registry import Registry

    registry = Registry(uri, MODEL_NAME, "champion")
    if shadow:
        registry.challenge(challenger, CHALLENGER, "benchmark phase")
    else:
        registry.clear_alias(CHALLENGER, challenger)
    httpx.post(f"{url}/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120).raise_for_status()
    described = httpx.get(f"{url}/model", timeout=30).json().get("shadow") or {}
    held = described.get("version")
    if held != (challenger if shadow else None):
        raise SystemExit(f"the worker holds challenger {held!r} after the switch to {'shadow' if shadow else 'off'}: {described}")
    return described.get("worker", {})


def measure(url: str, uri: str, challenger: str, shadow: bool, phase: int, requests: int, concurrency: int) -> dict[str, Any]:
    before = switch(url, uri, challenger, shadow)
    latencies, wall, errors = asyncio.run(_load(url, TEXTS, requests, concurrency))
    time.sleep(0.5)  # let the mirror thread finish what was queued, so the counts below are the phase's
    after = switch(url, uri, challenger, shadow)
    answered = {key: after.get(key, 0) - before.get(key, 0) for key in ("mirrored", "dropped", "failed")}
    p50, p99 = np.percentile(latencies, [50, 99]) * 1000
    return {"mode": "shadow" if shadow else "off", "phase": phase, "requests": requests, "p50_ms": round(float(p50), 2),
            "p99_ms": round(float(p99), 2), "throughput": round(requests / wall, 1), "errors": dict(errors),
            "latencies_ms": [round(value * 1000, 3) for value in latencies], "challenger": answered if shadow else None}


def summary(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Per mode: p50 and p99 over all its requests, mean throughput, the challenger's counts; then the shadow/off ratios."""
    modes: dict[str, Any] = {}
    for mode in ("off", "shadow"):
        mine = [p for p in phases if p["mode"] == mode]
        latencies = np.concatenate([p["latencies_ms"] for p in mine])
        p50, p99 = np.percentile(latencies, [50, 99])
        modes[mode] = {"p50_ms": round(float(p50), 2), "p99_ms": round(float(p99), 2),
                       "throughput": round(float(np.mean([p["throughput"] for p in mine])), 1), "requests": int(latencies.size),
                       "errors": sum(sum(p["errors"].values()) for p in mine)}
        if mode == "shadow":
            modes[mode]["challenger"] = {key: sum(p["challenger"][key] for p in mine) for key in ("mirrored", "dropped", "failed")}
    ratios = {key: round(modes["shadow"][key] / modes["off"][key], 3) for key in ("p50_ms", "p99_ms", "throughput")}
    pairs = [phases[i:i + 2] for i in range(0, len(phases) - 1, 2)]
    per_pair = [next(p for p in pair if p["mode"] == "shadow")["p50_ms"] / next(p for p in pair if p["mode"] == "off")["p50_ms"] for pair in pairs]
    ratios["p50_median_of_pairs"] = round(float(np.median(per_pair)), 3)
    return {"modes": modes, "ratios": ratios, "p50_ratio_per_pair": [round(r, 3) for r in per_pair]}


def markdown(result: dict[str, Any], concurrency: int) -> str:
    lines = [f"| mode (c={concurrency}) | requests | p50 ms | p99 ms | req/s | errors |", "|---|---|---|---|---|---|"]
    for mode, figures in result["modes"].items():
        lines.append(f"| {mode} | {figures['requests']} | {figures['p50_ms']} | {figures['p99_ms']} | {figures['throughput']} | {figures['errors']} |")
    ratios = result["ratios"]
    lines.append(f"| shadow / off | | {ratios['p50_ms']} | {ratios['p99_ms']} | {ratios['throughput']} | |")
    lines.append(f"\nper pair, shadow p50 / off p50: {result['p50_ratio_per_pair']} (median {ratios['p50_median_of_pairs']}); "
                 f"challenger: {result['modes']['shadow']['challenger']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, help="the champion's bundle folder (default: train experiment=smoke)")
    parser.add_argument("--requests", type=int, default=600, help="requests per phase")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pairs", type=int, default=6, help="off/shadow phase pairs, in ABBA order")
    parser.add_argument("--overrides", default="", help="more serve overrides for the server, e.g. 'serve.shadow.fraction=0.25'")
    parser.add_argument("--json", type=Path, help="write every figure (without the raw latencies) here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as scratch:
        folder = Path(scratch)
        bundle = args.bundle.resolve() if args.bundle else smoke_bundle(folder)
        uri, challenger = register_pair(bundle, folder)
        phases = []
        with serve(folder, uri, args.overrides) as server:
            for index in range(args.pairs):
                for shadow in ((False, True) if index % 2 == 0 else (True, False)):
                    phases.append(measure(server.url, uri, challenger, shadow, len(phases), args.requests, args.concurrency))
                    last = phases[-1]
                    print(f"phase {last['phase']} {last['mode']}: p50 {last['p50_ms']} ms, p99 {last['p99_ms']} ms, "
                          f"{last['throughput']} req/s, challenger {last['challenger']}", flush=True)
    result = summary(phases)
    result.update(machine={"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
                  bundle=str(bundle), concurrency=args.concurrency, overrides=args.overrides,
                  phases=[{key: value for key, value in p.items() if key != "latencies_ms"} for p in phases])
    print(markdown(result, args.concurrency))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
