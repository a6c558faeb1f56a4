"""Fire a burst of concurrent /predict requests at a running lightship service and report
requests, errors, p50 and p99 latency (client side, seconds).

    python scripts/burst.py --url http://127.0.0.1:3000 --requests 300 --concurrency 300
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

import httpx
import numpy as np


async def burst(url: str, requests: int, concurrency: int, texts_per_request: int) -> tuple[list[float], Counter]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: Counter = Counter()

    async def one(client: httpx.AsyncClient, index: int) -> None:
        body = {"texts": [f"burst request {index} text {j}: my card was charged twice" for j in range(texts_per_request)]}
        async with gate:
            started = time.perf_counter()
            try:
                response = await client.post(f"{url}/predict", json=body)
                statuses[response.status_code] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(one(client, i) for i in range(requests)))
    return latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=300)
    parser.add_argument("--texts-per-request", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    latencies, statuses = asyncio.run(burst(args.url, args.requests, args.concurrency, args.texts_per_request))
    wall = time.perf_counter() - started
    errors = sum(n for status, n in statuses.items() if status != 200)
    p50, p99 = np.percentile(latencies, [50, 99])
    print(f"requests={args.requests} concurrency={args.concurrency} errors={errors} statuses={dict(statuses)}")
    print(f"p50={p50 * 1000:.0f} ms p99={p99 * 1000:.0f} ms wall={wall:.2f} s throughput={args.requests / wall:.0f} req/s")


if __name__ == "__main__":
    main()
