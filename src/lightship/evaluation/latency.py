"""Inference latency of a runtime on real texts: per text at batch 1 and at a larger batch."""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np


def latency_per_text(runtime: Any, texts: Sequence[str], batch_size: int, repeats: int = 3) -> float:
    """Median over ``repeats`` of the wall time per text (ms) to predict ``texts`` in batches."""
    runtime.predict(list(texts[:batch_size]), batch_size=batch_size)  # warm-up
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        runtime.predict(list(texts), batch_size=batch_size)
        timings.append((time.perf_counter() - started) * 1000 / max(len(texts), 1))
    return float(np.median(timings))


def measure_latency(runtime: Any, texts: Sequence[str], sample: int = 64, batch_size: int = 32) -> dict[str, float]:
    """``ms_per_text_batch1`` and ``ms_per_text_batch{n}`` on the first ``sample`` texts."""
    chosen = list(texts[:sample])
    return {
        "ms_per_text_batch1": round(latency_per_text(runtime, chosen, 1), 4),
        f"ms_per_text_batch{batch_size}": round(latency_per_text(runtime, chosen, batch_size), 4),
    }
