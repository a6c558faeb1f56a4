"""Batch-scoring throughput of ``predict.engine=local`` and ``predict.engine=ray`` on the same file, side by side.

    python scripts/bench_predict_engines.py --rows 50000                 # trains the smoke model first
    python scripts/bench_predict_engines.py --rows 50000 --bundle outputs/.../bundle --actors 2

Writes a text file of ``--rows`` tickets, scores it with both engines through ``task=predict``
(same runtime, same chunking, Parquet output) and prints rows/s for each and their ratio.
The Ray engine is timed twice: with the start of its local Ray instance (what one command
costs) and again on the warm instance (what a long-lived cluster costs). It also checks the
two outputs are the same (every column but the random ``pred_id``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

WORDS = ["charged", "twice", "parcel", "never", "arrived", "password", "reset", "refund", "card", "stolen", "app", "crashes",
         "invoice", "login", "delivery", "late", "broken", "screen", "account", "locked"]


def write_tickets(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(3, 30))) for _ in range(rows)]
    pd.DataFrame({"ticket": np.arange(rows), "text": texts}).to_csv(path, index=False)


def predict(workdir: Path, bundle: str, source: Path, *overrides: str) -> tuple[dict[str, Any], float]:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    workdir.mkdir(parents=True, exist_ok=True)
    cfg = compose_config(["task=predict", f"predict.input={source}", f"predict.model={bundle}", "serve=bentoml_cpu",
                          "predict.output=scored.parquet", *overrides])
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        started = time.perf_counter()
        summary = run_task(cfg)
        return summary, time.perf_counter() - started
    finally:
        os.chdir(previous)


def smoke_bundle(folder: Path) -> str:
    """Train the smoke model with the command line into ``folder/train`` (not registered) and return its bundle."""
    import subprocess

    print("training the smoke model ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "lightship", "experiment=smoke", "tracking.register=false", "hydra.run.dir=train",
                    f"tracking.uri=sqlite:///{folder / 'mlflow.db'}", "trainer.enable_progress_bar=false"], cwd=folder, check=True)
    return str(folder / "train" / "bundle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--bundle", help="a bundle folder (default: train the smoke model)")
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--batch-rows", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=5000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lightship-bench-engines-"))
    bundle = args.bundle or smoke_bundle(folder)
    source = folder / "tickets.csv"
    write_tickets(source, args.rows)
    common = [f"predict.chunk_size={args.chunk_size}"]
    ray_options = [*common, "predict.engine=ray", f"predict.ray.actors={args.actors}", f"predict.ray.batch_rows={args.batch_rows}"]
    local, local_s = predict(folder / "local", bundle, source, *common)
    cold, cold_s = predict(folder / "ray-cold", bundle, source, *ray_options)  # starts the local Ray instance
    warm, warm_s = predict(folder / "ray-warm", bundle, source, *ray_options)  # the instance is up: scoring alone
    same = pd.read_parquet(local["output"]).drop(columns="pred_id").equals(pd.read_parquet(warm["output"]).drop(columns="pred_id"))
    print(f"{args.rows} rows, {os.cpu_count()} CPUs, chunk {args.chunk_size}; ray: {args.actors} actors, batches of {args.batch_rows}")
    print("| engine | seconds | rows/s | vs local |")
    print("| --- | ---: | ---: | ---: |")
    for name, seconds in (("local", local_s), ("ray (with Ray start)", cold_s), ("ray (warm instance)", warm_s)):
        print(f"| {name} | {seconds:.1f} | {args.rows / seconds:,.0f} | {local_s / seconds:.2f}x |")
    print(f"outputs identical (every column but pred_id): {same}")


if __name__ == "__main__":
    main()
