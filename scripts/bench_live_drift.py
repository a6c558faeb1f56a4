"""What the live drift monitor costs a request: the request path with and without it.

Scores the same batches of synthetic tickets through the service's own ``score`` (what
``/predict`` runs per adaptive batch), once with the monitor off and once with it on, its
thread checking a window every ``--window`` rows in the background, in alternating rounds
so that machine load hits both alike. Prints p50/p90 per batch for each, and the cost of
``observe()`` alone.

    PYTHONPATH=src python scripts/bench_live_drift.py --bundle outputs/<date>/<time>/bundle
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, help="a training bundle folder (with reference_profile.npz)")
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--window", type=int, default=50)
    args = parser.parse_args()

    from types import SimpleNamespace

    from lightship.config.validation import compose_config
    from lightship.data.synthetic import SyntheticTickets
    from lightship.monitoring.live import LiveDriftMonitor
    from lightship.inference.text import OnnxTextClassifier
    from lightship.inference.scoring import score

    runtime = OnnxTextClassifier(args.bundle, intra_op_threads=1, inter_op_threads=1)
    model = SimpleNamespace(runtime=runtime, labels=runtime.labels, version="bench", resolved=SimpleNamespace(bundle=runtime.bundle))
    texts = SyntheticTickets(n_rows=args.batches * args.batch_size, seed=3).load()[0]["text"].tolist()
    batches = [texts[i:i + args.batch_size] for i in range(0, len(texts), args.batch_size)]
    scratch = Path(tempfile.mkdtemp())
    cfg = compose_config([f"drift.window.size={args.window}", "drift.check_interval_s=0.05",
                          f"drift.events_log={scratch / 'events.jsonl'}", f"drift.live_report={scratch / 'live.json'}"]).drift
    timings: dict[str, list[float]] = {"off": [], "on": []}
    observe: list[float] = []
    monitor = LiveDriftMonitor(cfg).start()
    try:
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                for batch in batches:
                    started = time.perf_counter()
                    scored = score(runtime, batch)
                    if mode == "on":
                        queued = time.perf_counter()
                        monitor.observe(model, scored, batch)
                        observe.append(time.perf_counter() - queued)
                    timings[mode].append(time.perf_counter() - started)
        time.sleep(3 * float(cfg.check_interval_s))
    finally:
        monitor.stop()
    windows = sum(1 for _ in (scratch / "events.jsonl").open()) if (scratch / "events.jsonl").exists() else 0
    for mode, values in timings.items():
        cuts = statistics.quantiles(values, n=10)
        print(f"monitor {mode:3}: p50 {statistics.median(values) * 1e3:.3f} ms, p90 {cuts[8] * 1e3:.3f} ms per batch "
              f"of {args.batch_size} ({len(values)} batches)")
    print(f"observe(): p50 {statistics.median(observe) * 1e6:.2f} us, max {max(observe) * 1e6:.1f} us; "
          f"{windows} windows checked in the background")


if __name__ == "__main__":
    main()
