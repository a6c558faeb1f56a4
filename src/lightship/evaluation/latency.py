"""Inference latency of a runtime on real inputs: per input at batch 1 and at its best batch size."""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

BATCH_SIZES = (8, 32, 128)


def latency_per_text(runtime: Any, texts: Sequence[Any], batch_size: int, repeats: int = 3) -> float:
    """Median over ``repeats`` of the wall time per input (ms) to predict ``texts`` in batches."""
    runtime.predict(list(texts[:batch_size]), batch_size=batch_size)  # warm-up
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        runtime.predict(list(texts), batch_size=batch_size)
        timings.append((time.perf_counter() - started) * 1000 / max(len(texts), 1))
    return float(np.median(timings))


def measure_latency(runtime: Any, texts: Sequence[Any], sample: int = 128, batch_sizes: Sequence[int] = BATCH_SIZES) -> dict[str, float]:
    """``ms_per_text_batch1``, ``ms_per_text_batch{n}`` for each of ``batch_sizes``, and the best of them.

    ``ms_per_text_best`` / ``best_batch_size`` is the batch a throughput-bound consumer
    (batch scoring, a stream) should use; batch 1 is what one interactive request pays.
    """
    chosen = list(texts[:sample])
    figures = {"ms_per_text_batch1": round(latency_per_text(runtime, chosen[: min(len(chosen), 32)], 1), 4)}
    for size in batch_sizes:
        if size <= max(len(chosen), 1):
            figures[f"ms_per_text_batch{size}"] = round(latency_per_text(runtime, chosen, size), 4)
    best = min(figures, key=figures.__getitem__)
    figures["ms_per_text_best"] = figures[best]
    figures["best_batch_size"] = int(best.removeprefix("ms_per_text_batch"))
    return figures
