"""Stress the registry with real parallel sweeps: the same joblib sweep, repeated, into one store.

Each repeat runs ``lightship -m hydra/launcher=joblib hydra.launcher.n_jobs=N experiment=smoke
model.hidden_size=...`` (one job per size) in a fresh folder against one shared SQLite store,
then checks that the command succeeded, that the store holds every version exactly once
(one per job and run) and that no version is left pending. Prints one line per repeat and
a summary (jobs, repeats, failures)::

    python scripts/stress_sweep.py --jobs 8 --parallel 2 --repeats 3
    python scripts/stress_sweep.py --jobs 4 --repeats 2 --uri "$(scripts/tracking_server.sh up | tail -n1)"

``--uri`` sweeps into a tracking server instead (tracking=mlflow_server), under a model and
experiment named for this invocation, so versions already in the server do not count.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

SIZES = [16, 24, 32, 40, 48, 56, 64, 72, 80, 96, 112, 128]


def sweep(folder: Path, uri: str, jobs: int, parallel: int, name: str) -> subprocess.CompletedProcess:
    sizes = ",".join(str(size) for size in SIZES[:jobs])
    command = [
        sys.executable, "-m", "lightship", "-m", "hydra/launcher=joblib", f"hydra.launcher.n_jobs={parallel}",
        "experiment=smoke", f"model.hidden_size={sizes}", f"tracking.uri={uri}",
        f"tracking.model_name={name}", f"tracking.experiment_name={name}",
    ]
    if uri.startswith("http"):
        command.append("tracking=mlflow_server")
    return subprocess.run(command, cwd=folder, capture_output=True, text=True)


def check_store(uri: str, expected_versions: int, name: str) -> list[str]:
    """Problems found in the store: missing or duplicated versions, pending ones, runs not FINISHED."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    versions = client.search_model_versions(f"name='{name}'")
    numbers = sorted(int(v.version) for v in versions)
    problems = []
    if numbers != list(range(1, expected_versions + 1)):
        problems.append(f"versions {numbers}, expected 1..{expected_versions}")
    per_run = Counter(v.run_id for v in versions)
    problems += [f"run {run} has {count} versions" for run, count in per_run.items() if count != 1]
    problems += [f"version {v.version} left pending" for v in versions if v.tags.get("lightship.promotion") == "pending"]
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id]) if experiment is not None else []
    problems += [f"run {run.info.run_id} is {run.info.status}" for run in runs if run.info.status != "FINISHED"]
    if len(runs) != expected_versions:
        problems.append(f"{len(runs)} runs, expected {expected_versions}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--uri", help="a tracking server (default: a fresh SQLite store)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lightship-stress-"))
    uri = args.uri or f"sqlite:///{root / 'mlflow.db'}"
    name = f"stress-{root.name.rsplit('-', 1)[-1]}" if args.uri else "lightship"
    failures = 0
    started = time.perf_counter()
    for repeat in range(1, args.repeats + 1):
        folder = root / f"repeat-{repeat}"
        folder.mkdir()
        began = time.perf_counter()
        done = sweep(folder, uri, args.jobs, args.parallel, name)
        problems = [] if done.returncode == 0 else [f"exit {done.returncode}: {done.stderr.strip()[-800:]}"]
        problems += check_store(uri, repeat * args.jobs, name)
        failures += bool(problems)
        print(f"repeat {repeat}: {args.jobs} jobs, {args.parallel} at a time, {time.perf_counter() - began:.0f} s: "
              f"{'ok' if not problems else '; '.join(problems)}", flush=True)
    total = args.jobs * args.repeats
    print(f"{args.jobs} jobs x {args.repeats} repeats, {args.parallel} at a time: {failures} failed repeats, "
          f"{total} versions expected, {'all present exactly once' if not check_store(uri, total, name) else 'MISMATCH'}, "
          f"{time.perf_counter() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
