"""Stream target vs in-process ONNX Runtime vs the HTTP service: one model, one list of texts, one run.

    python scripts/bench_stream.py                 # default model (tiny_bert), 20,000 stream events
    python scripts/bench_stream.py --quick         # smoke model and tiny sizes (what the test suite runs)

Builds the bundle with ``scripts/bench_serving.py``'s code (the export of ``task=train``) and
measures, on the same texts:

- the lightship service (a real ``bentoml serve``) at concurrency 32, one text per request;
- ONNX Runtime in process (``lightship.inference.scoring.score``, tokenization included): batch 1
  and the best batch size, measured right before the stream;
- the stream target, micro-batch = that best batch unless ``--batch`` (a real ``lightship task=stream`` on a real ``redis-server``):
  * throughput: the events are in the input stream before the consumer starts, and it stops by
    itself after the last one (``stream.max_messages``); events / the consumer loop's time
    (reads, decoding, scoring, the live store, the drift monitor, the atomic write + ack);
  * end-to-end latency: a second consumer while a producer sends events at ``--paced-fraction``
    of that throughput; latency per event = its prediction's entry time - its input entry time
    (both Redis entry ids, one clock).

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
from typing import Any, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serving import BIN, QUICK, Report, Row, bench_texts, build_model, in_process_rows, lightship_server, machine, markdown, ort_predictor, served_rows  # noqa: E402

from lightship.serving.server_process import PORT_PLACEHOLDER, ServerProcess  # noqa: E402
from lightship.streaming.local_redis import LocalRedis, entries, fill  # noqa: E402

FULL_PLAN = {"model": ("tiny_bert", ["model=tiny_bert", "model.max_length=64"]), "texts": 256, "batch_sizes": [1, 8, 16, 32, 64, 128], "events": 20_000,
             "paced_s": 15.0, "http_requests": 800, "repeats": 4}
QUICK_PLAN = {"model": ("smoke", QUICK.models["smoke"]), "texts": 24, "batch_sizes": [1, 8], "events": 400, "paced_s": 3.0, "http_requests": 32, "repeats": 1}


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


def stream_throughput(folder: Path, redis: LocalRedis, texts: list[str], events: int, batch: int, precision: str) -> dict[str, Any]:
    client = redis.client()
    fill(client, "tput:in", [{"text": texts[i % len(texts)]} for i in range(events)])
    with consumer(folder, redis.url, "tput", batch, precision, f"stream.max_messages={events}") as running:
        running.process.wait(timeout=3600)
    summary = json.loads((folder / "run-tput" / "stream_summary.json").read_text())
    assert summary["written"] == events, summary
    return {"events": events, "seconds": summary["seconds"], "throughput": events / summary["seconds"], "batches": summary["batches"]}


def stream_latency(folder: Path, redis: LocalRedis, texts: list[str], rate: float, seconds: float, batch: int, precision: str) -> dict[str, Any]:
    """Events sent at ``rate`` per second for ``seconds`` to a running consumer; latency from the entry ids."""
    client = redis.client()
    with consumer(folder, redis.url, "paced", batch, precision):
        sent = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            due = int(elapsed * rate) + 1
            if due > sent:
                fill(client, "paced:in", [{"text": texts[(sent + i) % len(texts)]} for i in range(due - sent)])
                sent = due
            time.sleep(0.002)
        deadline = time.monotonic() + 120
        while client.xlen("paced:out") < sent and time.monotonic() < deadline:
            time.sleep(0.05)
    inputs = {entry_id: entry_ms(entry_id) for entry_id, _ in entries(client, "paced:in")}
    latencies = [entry_ms(out_id) - inputs[fields["event_id"]] for out_id, fields in entries(client, "paced:out")]
    assert len(latencies) == sent, f"{len(latencies)} predictions for {sent} events"
    p50, p99 = np.percentile(latencies, [50, 99])
    return {"events": sent, "rate": rate, "p50_ms": float(p50), "p99_ms": float(p99)}


def run(plan: dict[str, Any], workdir: Path, precision: str, batch: Optional[int], paced_fraction: float, http: bool) -> Report:
    from transformers import AutoTokenizer

    from lightship.inference import load_runtime

    name, overrides = plan["model"]
    report = Report(machine(), " ".join(["python", "scripts/bench_stream.py", *sys.argv[1:]]))
    print(f"[{name}] building the bundle ...", file=sys.stderr, flush=True)
    built = build_model(name, overrides, workdir, "torchscript")
    tokenizer = AutoTokenizer.from_pretrained(str(built["bundle"].tokenizer_dir))
    texts = bench_texts(built["data"], plan["texts"], tokenizer, built["max_length"])
    rows: list[Row] = []
    if http:
        print(f"[{name}] lightship service ...", file=sys.stderr, flush=True)
        with lightship_server(workdir, precision) as served:
            rows += served_rows(name, f"lightship HTTP ({precision})", served.url, texts, {32: plan["http_requests"]})
    # In process right before the stream, over the texts several times, so both see the same machine load.
    print(f"[{name}] in-process ORT ...", file=sys.stderr, flush=True)
    runtime = load_runtime(built["bundle"], precision=precision)
    rows += in_process_rows(name, f"ORT {precision} in-process", ort_predictor(runtime), texts * plan["repeats"], plan["batch_sizes"])
    del runtime
    best = max((row for row in rows if row.path.startswith("ORT")), key=lambda row: row.throughput)
    batch = batch or int(best.batch.removeprefix("best="))
    with LocalRedis(workdir / "redis") as redis:
        print(f"[{name}] stream throughput ({plan['events']} events) ...", file=sys.stderr, flush=True)
        tput = stream_throughput(workdir, redis, texts, plan["events"], batch, precision)
        rate = round(tput["throughput"] * paced_fraction, 1)
        print(f"[{name}] stream latency at {rate} events/s ...", file=sys.stderr, flush=True)
        latency = stream_latency(workdir, redis, texts, rate, plan["paced_s"], batch, precision)
    note = (f"{tput['events']} events pre-filled, {tput['seconds']:.1f} s; latency: end to end (input entry -> prediction entry) "
            f"at {latency['rate']:g} events/s paced ({latency['events']} events)")
    rows.append(Row(name, f"lightship stream, Redis ({precision})", f"micro-batch {batch}", tput["events"], round(tput["throughput"], 1),
                    round(latency["p50_ms"], 2), round(latency["p99_ms"], 2), note))
    report.rows = rows
    http_row = next((row for row in rows if row.path.startswith("lightship HTTP")), None)
    report.ratios[name] = {"stream_vs_in_process_best_batch": round(tput["throughput"] / best.throughput, 2)}
    if http_row:
        report.ratios[name]["stream_vs_http_c32"] = round(tput["throughput"] / http_row.throughput, 2)
    report.models[name] = {"max_length": built["max_length"], "in_process_best_batch": best.batch, "stream": {"throughput": tput, "latency": latency}}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke model and tiny sizes (what the test suite runs)")
    parser.add_argument("--precision", choices=["fp32", "int8"], default="fp32", help="serve.precision of every path")
    parser.add_argument("--batch", type=int, help="stream.batch_size of the consumer (default: the in-process best batch)")
    parser.add_argument("--events", type=int, help="events for the stream throughput (default 20,000; quick 400)")
    parser.add_argument("--paced-fraction", type=float, default=0.5, help="latency phase: producer rate as a fraction of the measured throughput")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP service")
    parser.add_argument("--workdir", type=Path, help="where the bundle, stores and logs go (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="write the whole report here")
    args = parser.parse_args()
    plan = dict(QUICK_PLAN if args.quick else FULL_PLAN)
    if args.events:
        plan["events"] = args.events
    with tempfile.TemporaryDirectory(prefix="lightship-bench-stream-") as scratch:
        report = run(plan, args.workdir or Path(scratch), args.precision, args.batch, args.paced_fraction, not args.no_http)
    print(markdown(report.rows))
    print(json.dumps({"ratios": report.ratios, "models": report.models, "machine": report.machine}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))


if __name__ == "__main__":
    main()
