"""Stream target vs in-process ONNX Runtime vs the HTTP service: one model, one list of texts, one run.

    python scripts/bench_stream.py                 # default model (tiny_bert, max length 64), 5 rounds of 4,000 events
    python scripts/bench_stream.py --quick         # smoke model and tiny sizes (what the test suite runs)

Builds the bundle with ``scripts/bench_serving.py``'s code (the export of ``task=train``) and
measures, on the same texts:

- the lightship service (a real ``bentoml serve``) at concurrency 32, one text per request;
- ONNX Runtime in process (``lightship.inference.scoring.score`` with the consumer's
  ``serve.max_batch_tokens``, tokenization included): batch 1 and the best batch size;
- the stream target (a real ``lightship task=stream`` on a real ``redis-server``, micro-batch
  ``--batch``), started once:
  * throughput: rounds alternating in process at its best batch and a burst of events sent to
    the consumer (first event sent -> last prediction written: reads, decoding, scoring, the
    live store, the drift monitor, the atomic write + ack); medians over the rounds, and the
    ratio stream / in process per round, so a change of machine load hits both alike;
  * end-to-end latency: a producer sends events at ``--paced-fraction`` of that throughput;
    latency per event = its prediction's entry time - its input entry time (Redis entry ids, one clock).

Every path runs on the same machine as its load (producer or HTTP client). Results: a
markdown table, the ratio stream / in-process best batch, and everything as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serving import BIN, QUICK, Report, Row, bench_texts, build_model, in_process_rows, lightship_server, machine, markdown, served_rows, time_batches  # noqa: E402

from lightship.serving.server_process import PORT_PLACEHOLDER, ServerProcess  # noqa: E402
from lightship.streaming.local_redis import LocalRedis, entries, fill  # noqa: E402

FULL_PLAN = {"model": ("tiny_bert", ["model=tiny_bert", "model.max_length=64"]), "texts": 256, "batch_sizes": [1, 8, 16, 32, 64, 128], "events": 4000,
             "rounds": 5, "paced_s": 15.0, "http_requests": 800, "repeats": 4}
QUICK_PLAN = {"model": ("smoke", QUICK.models["smoke"]), "texts": 24, "batch_sizes": [1, 8], "events": 200, "rounds": 2,
              "paced_s": 3.0, "http_requests": 32, "repeats": 1}


def consumer(folder: Path, url: str, prefix: str, batch: int, precision: str, *extra: str) -> ServerProcess:
    """``lightship task=stream`` over the bundle; ready when its metrics endpoint answers."""
    args = [str(BIN / "lightship"), "task=stream", f"stream.url={url}", f"stream.input={prefix}:in", f"stream.output={prefix}:out",
            f"stream.dead_letter={prefix}:dead", f"stream.batch_size={batch}", f"stream.consumer={prefix}", "stream.metrics_host=127.0.0.1",
            f"stream.metrics_port={PORT_PLACEHOLDER}", "serve=bentoml_cpu", f"serve.precision={precision}", "serve.watch_interval_s=0",
            f"serve.store_path={folder / (prefix + '.db')}", f"drift.events_log={folder / (prefix + '_drift.jsonl')}",
            f"drift.live_report={folder / (prefix + '_drift.json')}", f"hydra.run.dir={folder / ('run-' + prefix)}", *extra]
    env = {"LIGHTSHIP_MODEL": str(folder / "bundle"), "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    return ServerProcess(args, folder / f"{prefix}.log", cwd=folder, env=env, ready_path="/metrics")


def entry_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


def wait_outputs(client: Any, stream: str, count: int, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while client.xlen(stream) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{stream}: {client.xlen(stream)} of {count} predictions after {timeout_s} s")
        time.sleep(0.005)


def interleaved_rounds(client: Any, predict: Any, texts: list[str], batch: int, events: int, rounds: int) -> tuple[list[tuple[float, float]], list[float]]:
    """``rounds`` x (in process over ``texts`` at ``batch`` (its best), then ``events`` sent to the running consumer).

    Returns (in-process texts/s, stream events/s) per round and the in-process per-batch latencies.
    Alternating short phases keeps both under the same machine load; stream time runs from the
    first event sent to the last prediction written."""
    results, batch_latencies = [], []
    for index in range(rounds + 1):  # round 0 warms both up
        in_process, latencies = time_batches(predict, texts, batch)
        target = client.xlen("bench:out") + events
        started = time.perf_counter()
        fill(client, "bench:in", [{"text": texts[i % len(texts)]} for i in range(events)])
        wait_outputs(client, "bench:out", target)
        if index:
            results.append((in_process, events / (time.perf_counter() - started)))
            batch_latencies += latencies
    return results, batch_latencies


def paced_latency(client: Any, texts: list[str], rate: float, seconds: float) -> dict[str, Any]:
    """Events sent at ``rate`` per second for ``seconds`` to the running consumer; latency from the entry ids."""
    sent: list[str] = []
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed * rate) + 1
        if due > len(sent):
            sent += fill(client, "bench:in", [{"text": texts[(len(sent) + i) % len(texts)]} for i in range(due - len(sent))])
        time.sleep(0.002)
    wait_outputs(client, "bench:out", client.xlen("bench:in"))
    wanted = set(sent)
    latencies = [entry_ms(out_id) - entry_ms(fields["event_id"]) for out_id, fields in entries(client, "bench:out") if fields["event_id"] in wanted]
    assert len(latencies) == len(sent), f"{len(latencies)} predictions for {len(sent)} events"
    p50, p99 = np.percentile(latencies, [50, 99])
    return {"events": len(sent), "rate": rate, "p50_ms": float(p50), "p99_ms": float(p99)}


def scorer(runtime: Any, max_tokens: int) -> Any:
    """In-process scoring with the consumer's settings (length groups under ``serve.max_batch_tokens``), so the
    ratio stream / in process measures what the stream adds, not a different batching."""
    from lightship.inference.scoring import score

    return lambda texts: score(runtime, texts, None, max_tokens)


def run(plan: dict[str, Any], workdir: Path, precision: str, batch: int, paced_fraction: float, http: bool) -> Report:
    from transformers import AutoTokenizer

    from lightship.config.validation import compose_config
    from lightship.inference import load_runtime

    name, overrides = plan["model"]
    report = Report(machine(), " ".join(["python", "scripts/bench_stream.py", *sys.argv[1:]]))
    print(f"[{name}] building the bundle ...", file=sys.stderr, flush=True)
    built = build_model(name, overrides, workdir, "torchscript")
    tokenizer = AutoTokenizer.from_pretrained(str(built["bundle"].tokenizer_dir))
    texts = bench_texts(built["data"], plan["texts"], tokenizer, built["max_length"])
    max_tokens = int(compose_config(["serve=bentoml_cpu"]).serve.max_batch_tokens)
    rows: list[Row] = []
    if http:
        print(f"[{name}] lightship service ...", file=sys.stderr, flush=True)
        with lightship_server(workdir, precision) as served:
            rows += served_rows(name, f"lightship HTTP ({precision})", served.url, texts, {32: plan["http_requests"]})
    # In process right before the stream, over the texts several times, so both see the same machine load.
    print(f"[{name}] in-process ORT ...", file=sys.stderr, flush=True)
    runtime = load_runtime(built["bundle"], precision=precision)
    rows += in_process_rows(name, f"ORT {precision} in-process", scorer(runtime, max_tokens), texts * plan["repeats"], plan["batch_sizes"])
    best = max((row for row in rows if row.path.startswith("ORT")), key=lambda row: row.throughput)
    best_batch = int(best.batch.removeprefix("best="))
    with LocalRedis(workdir / "redis") as redis, consumer(workdir, redis.url, "bench", batch, precision) as running:
        client = redis.client()
        print(f"[{name}] in process and stream, {plan['rounds']} alternating rounds of {plan['events']} events ...", file=sys.stderr, flush=True)
        rounds, latencies = interleaved_rounds(client, scorer(runtime, max_tokens), texts * plan["repeats"], best_batch, plan["events"], plan["rounds"])
        in_process, stream = (float(np.median(column)) for column in zip(*rounds))
        rate = round(stream * paced_fraction, 1)
        print(f"[{name}] stream latency at {rate} events/s ...", file=sys.stderr, flush=True)
        latency = paced_latency(client, texts, rate, plan["paced_s"])
        running.stop()
    summary = json.loads((workdir / "run-bench" / "stream_summary.json").read_text())
    ratios = [s / i for i, s in rounds]
    p50, p99 = np.percentile(latencies, [50, 99]) * 1000
    rows.append(Row(name, f"ORT {precision} in-process", f"best={best_batch}", len(texts) * plan["repeats"] * plan["rounds"], round(in_process, 1),
                    round(float(p50), 2), round(float(p99), 2), f"per batch; median of {plan['rounds']} rounds alternating with the stream's"))
    note = (f"median of {plan['rounds']} rounds of {plan['events']} events (first sent -> last prediction); latency: end to end "
            f"(input entry -> prediction entry) at {latency['rate']:g} events/s paced ({latency['events']} events)")
    rows.append(Row(name, f"lightship stream, Redis ({precision})", f"micro-batch {batch}", plan["events"] * plan["rounds"], round(stream, 1),
                    round(latency["p50_ms"], 2), round(latency["p99_ms"], 2), note))
    report.rows = rows
    http_row = next((row for row in rows if row.path.startswith("lightship HTTP")), None)
    report.ratios[name] = {"stream_vs_in_process_best_batch": round(float(np.median(ratios)), 2),
                           "per_round": [round(r, 2) for r in ratios]}
    if http_row:
        report.ratios[name]["stream_vs_http_c32"] = round(stream / http_row.throughput, 2)
    report.models[name] = {"max_length": built["max_length"], "in_process_best_batch": best_batch, "stream_batch": batch, "rounds": rounds, "latency": latency,
                           "consumer_summary": summary}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke model and tiny sizes (what the test suite runs)")
    parser.add_argument("--precision", choices=["fp32", "int8"], default="fp32", help="serve.precision of every path")
    parser.add_argument("--batch", type=int, default=128, help="stream.batch_size of the consumer")
    parser.add_argument("--events", type=int, help="stream events per round (default 4,000; quick 200)")
    parser.add_argument("--rounds", type=int, help="alternating in-process / stream rounds (default 5; quick 2)")
    parser.add_argument("--paced-fraction", type=float, default=0.5, help="latency phase: producer rate as a fraction of the measured throughput")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP service")
    parser.add_argument("--workdir", type=Path, help="where the bundle, stores and logs go (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="write the whole report here")
    args = parser.parse_args()
    plan = dict(QUICK_PLAN if args.quick else FULL_PLAN)
    if args.events:
        plan["events"] = args.events
    if args.rounds:
        plan["rounds"] = args.rounds
    with tempfile.TemporaryDirectory(prefix="lightship-bench-stream-") as scratch:
        report = run(plan, args.workdir or Path(scratch), args.precision, args.batch, args.paced_fraction, not args.no_http)
    print(markdown(report.rows))
    print(json.dumps({"ratios": report.ratios, "models": report.models, "machine": report.machine}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))


if __name__ == "__main__":
    main()
