"""Side-by-side serving benchmark: the same texts and the same model through every path.

    python scripts/bench_serving.py                      # full: MiniLM (<=128 tokens) and tiny_bert
    python scripts/bench_serving.py --quick              # tiny sizes, for the test suite
    python scripts/bench_serving.py --quick --no-servers # in-process rows only (seconds)

Per model it builds a bundle with the export code of ``task=train`` (an untrained
classification head: latency does not depend on the weights' values), fuses it, makes the
int8 graph, then measures on one shared list of texts:

- PyTorch eager in-process, ONNX Runtime fp32 and int8 in-process: batch 1 and the best
  batch size (texts padded to the longest of each batch, tokenization included);
- ``scripts/naive_endpoint.py``: FastAPI + PyTorch, one request -> one forward, padded to
  max length (what a user writes by hand), at concurrency 1 and 8;
- the lightship service (a real ``bentoml serve`` over the bundle) at concurrency 1, 8 and 32;
- where a GPU is present: PyTorch CUDA eager and ONNX Runtime CUDA in-process.

Served figures are client-side (one text per request); the load generator runs on the same
machine as the servers, so it takes CPU from them. Results: a markdown table and the ratios
on stdout, and everything as JSON with ``--json PATH``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from lightship.serving.server_process import PORT_PLACEHOLDER, ServerProcess

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Row:
    model: str
    path: str
    batch: str
    texts: int
    throughput: float  # texts per second
    p50_ms: float
    p99_ms: float
    note: str = ""


@dataclass
class Plan:
    """Sizes of one run (``--quick`` shrinks everything)."""

    models: dict[str, list[str]]
    n_texts: int
    batch_sizes: list[int]
    served_requests: dict[int, int]
    naive_requests: dict[int, int]
    # The TorchScript tracer's attention fuses into ORT's Attention kernel; torch.export's does not (yet).
    exporter: str = "torchscript"


FULL = Plan(
    # Fixed token budgets (the models' defaults choose one from the training texts): the texts below span 8 tokens to these.
    models={"minilm": ["model=minilm", "model.max_length=128"], "tiny_bert": ["model=tiny_bert", "model.max_length=64"]},
    n_texts=256, batch_sizes=[1, 8, 16, 32, 64], served_requests={1: 200, 8: 400, 32: 800}, naive_requests={1: 100, 8: 200},
)
QUICK = Plan(
    models={"smoke": ["experiment=smoke"]},
    n_texts=24, batch_sizes=[1, 8], served_requests={1: 10, 8: 16, 32: 32}, naive_requests={1: 8, 8: 16},
)


# -- model and texts -----------------------------------------------------------------------
def bench_texts(data: Any, n: int, tokenizer: Any, max_length: int, seed: int = 0) -> list[str]:
    """``n`` texts made of held-out tickets joined together, spread from short to ``max_length`` tokens."""
    rng = np.random.default_rng(seed)
    pool = data.test["text"].tolist() + data.val["text"].tolist()
    texts = []
    for target in np.linspace(8, max_length, n).astype(int):
        parts: list[str] = []
        while len(tokenizer(" ".join(parts))["input_ids"]) < target:
            parts.append(pool[int(rng.integers(len(pool)))])
        texts.append(" ".join(parts))
    rng.shuffle(texts)
    return texts


def build_model(name: str, overrides: list[str], folder: Path, exporter: str) -> dict[str, Any]:
    """A bundle (fused fp32 + int8) plus the PyTorch module, from the export code of ``task=train``."""
    import torch
    from omegaconf import OmegaConf

    from types import SimpleNamespace

    from lightship.bundle import start_bundle
    from lightship.config.targets import instantiate
    from lightship.config.validation import compose_config
    from lightship.export.parity import check_parity
    from lightship.export.quantize import INT8_FILE, fuse_and_verify, quantize_int8
    from lightship.inference import load_runtime
    from lightship.release.pipeline import write_reference_profile

    cfg = compose_config([*overrides, f"export.exporter={exporter}"])
    allowed = list(cfg.allowed_targets)
    data = instantiate(cfg.data, allowed, seed=cfg.seed).prepare()
    spec = instantiate(cfg.model, allowed)
    tokenizer = spec.build_tokenizer(data.train["text"].tolist())
    classifier = spec.build_classifier(data.labels, tokenizer).eval()
    fitted = SimpleNamespace(classifier=classifier, tokenizer=tokenizer)
    bundle = start_bundle(folder / "bundle", data.labels, None, {"name": name, "spec": cfg.model._target_},
                          OmegaConf.to_yaml(cfg, resolve=True), **spec.bundle_fields(fitted, data))
    started = time.perf_counter()
    spec.export(fitted, data, bundle, cfg.export)
    held_out = data.test["text"].tolist()
    reference = spec.reference(fitted, load_runtime(bundle))
    fusion = fuse_and_verify(bundle, lambda graph: check_parity(
        reference, load_runtime(bundle, graph=graph), held_out, list(cfg.export.parity_batch_sizes), cfg.export.atol, 0.99, rtol=cfg.export.rtol),
        classifier)
    quantize_int8(bundle.onnx_path, bundle.path / INT8_FILE)
    fp32 = load_runtime(bundle)
    profile = write_reference_profile(cfg, fp32, data, bundle)
    # Untrained head: the accuracy gate has nothing to measure, so the int8 graph is accepted for timing.
    bundle.update(fusion=fusion.to_dict(), reference_profile=profile,
                  int8={"accepted": True, "file": INT8_FILE, "reason": "benchmark bundle (untrained head, gate not applied)"})
    torch.save(classifier.state_dict(), folder / "model.pt")
    return {"folder": folder, "bundle": bundle, "classifier": classifier, "data": data, "max_length": spec.max_length,
            "fusion": fusion.fused_ops, "build_s": round(time.perf_counter() - started, 1)}


# -- in-process ------------------------------------------------------------------------------
def time_batches(predict: Callable[[list[str]], Any], texts: Sequence[str], batch: int, repeats: int = 1) -> tuple[float, list[float]]:
    """Throughput (texts/s) and per-batch latencies (s) of ``predict`` over ``texts`` in batches."""
    predict(list(texts[:batch]))  # warm-up
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(repeats):
        for start in range(0, len(texts), batch):
            t0 = time.perf_counter()
            predict(list(texts[start : start + batch]))
            latencies.append(time.perf_counter() - t0)
    return repeats * len(texts) / (time.perf_counter() - started), latencies


def torch_predictor(classifier: Any, tokenizer: Any, max_length: int, device: str = "cpu") -> Callable[[list[str]], Any]:
    import torch

    model = classifier.to(device)

    def predict(texts: list[str]) -> Any:
        encoded = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        with torch.no_grad():
            logits, _ = model(encoded["input_ids"].to(device), encoded["attention_mask"].to(device))
        return torch.softmax(logits, -1).cpu().numpy()

    return predict


def ort_predictor(runtime: Any) -> Callable[[list[str]], Any]:
    from lightship.inference.scoring import score

    return lambda texts: score(runtime, texts)


def in_process_rows(model: str, name: str, predict: Callable, texts: list[str], batch_sizes: list[int]) -> list[Row]:
    """Batch 1 and the best batch size (highest throughput) of one in-process path."""
    results = []
    for batch in batch_sizes:
        throughput, latencies = time_batches(predict, texts, batch)
        p50, p99 = np.percentile(latencies, [50, 99]) * 1000
        results.append(Row(model, name, str(batch), len(texts), round(throughput, 1), round(float(p50), 2), round(float(p99), 2), "per batch"))
    best = max(results, key=lambda row: row.throughput)
    if best is results[0]:
        best.note = "per batch; batch 1 has the best throughput"
        return [best]
    best.batch = f"best={best.batch}"
    return [results[0], best]


def cuda_rows(model: str, built: dict, texts: list[str], batch_sizes: list[int]) -> tuple[list[Row], str]:
    """PyTorch CUDA eager and ORT CUDA in-process, or a note saying why they were skipped."""
    import onnxruntime as ort
    import torch

    from lightship.inference.runtime import CUDA
    from lightship.inference.text import OnnxTextClassifier

    rows: list[Row] = []
    notes = []
    if torch.cuda.is_available():
        tokenizer = OnnxTextClassifier(built["bundle"]).tokenizer
        rows += in_process_rows(model, "PyTorch CUDA eager", torch_predictor(built["classifier"], tokenizer, built["max_length"], "cuda"), texts, batch_sizes)
        built["classifier"].to("cpu")
    else:
        notes.append("PyTorch CUDA: no CUDA device")
    if CUDA in ort.get_available_providers():
        runtime = OnnxTextClassifier(built["bundle"], "cuda", io_binding=True)
        if runtime.fell_back:
            notes.append(f"ORT CUDA: {runtime.fallback_reason}")
        else:
            rows += in_process_rows(model, "ORT CUDA fp32", ort_predictor(runtime), texts, batch_sizes)
    else:
        notes.append("ORT CUDA: provider not in this onnxruntime build")
    return rows, "; ".join(notes)


# -- servers -------------------------------------------------------------------------------
async def _load(url: str, texts: Sequence[str], requests: int, concurrency: int) -> tuple[list[float], float, Counter]:
    """Client-side latencies of ``requests`` one-text requests at ``concurrency``, the wall time and the non-200 statuses."""
    import httpx

    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors: Counter = Counter()

    async def one(client: httpx.AsyncClient, index: int) -> None:
        async with gate:
            started = time.perf_counter()
            response = await client.post(f"{url}/predict", json={"texts": [texts[index % len(texts)]]})
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors[response.status_code] += 1

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(one(client, i) for i in range(min(concurrency, 8))))  # warm-up
        latencies.clear()
        errors.clear()
        started = time.perf_counter()
        await asyncio.gather(*(one(client, i) for i in range(requests)))
        return latencies, time.perf_counter() - started, errors


def served_rows(model: str, name: str, url: str, texts: list[str], requests: dict[int, int]) -> list[Row]:
    rows = []
    for concurrency, n in requests.items():
        latencies, wall, errors = asyncio.run(_load(url, texts, n, concurrency))
        p50, p99 = np.percentile(latencies, [50, 99]) * 1000
        note = f"{n} requests" + "".join(f", {count} x {status}" for status, count in sorted(errors.items()))
        rows.append(Row(model, name, f"c={concurrency}", n, round(n / wall, 1), round(float(p50), 2), round(float(p99), 2), note))
    return rows


def lightship_server(folder: Path, precision: str) -> ServerProcess:
    # Shedding off (queue budget 30 s, 1024 in flight): the benchmark measures capacity, not the overload policy.
    overrides = (f"serve=bentoml_cpu serve.precision={precision} serve.max_concurrency=1024 serve.max_latency_ms=30000 "
                 f"serve.watch_interval_s=0 serve.store_path={folder / 'live.db'}")
    env = {"LIGHTSHIP_MODEL": str(folder / "bundle"), "LIGHTSHIP_OVERRIDES": overrides, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    command = [str(BIN / "bentoml"), "serve", "--host", "127.0.0.1", "--port", PORT_PLACEHOLDER]
    return ServerProcess(command, folder / f"bentoml-{precision}.log", cwd=REPO, env=env)


def naive_server(folder: Path) -> ServerProcess:
    command = [sys.executable, str(REPO / "scripts" / "naive_endpoint.py"), "--model-dir", str(folder), "--port", PORT_PLACEHOLDER]
    return ServerProcess(command, folder / "naive.log", cwd=REPO)


# -- report --------------------------------------------------------------------------------
def find(rows: list[Row], model: str, path: str, batch_prefix: str) -> Optional[Row]:
    return next((row for row in rows if row.model == model and row.path == path and row.batch.startswith(batch_prefix)), None)


def ratios(rows: list[Row], model: str, served_precision: str) -> dict[str, float]:
    """The issue's targets as numbers (missing rows give no ratio)."""
    out: dict[str, float] = {}
    eager, fp32, int8 = (find(rows, model, path, "1") for path in ("PyTorch eager", "ORT fp32", "ORT int8"))
    if eager and fp32:
        out["ort_fp32_speedup_batch1"] = round(eager.p50_ms / fp32.p50_ms, 2)
    if eager and int8:
        out["ort_int8_speedup_batch1"] = round(eager.p50_ms / int8.p50_ms, 2)
    served = f"lightship ({served_precision})"
    naive, c1, c8, c32 = find(rows, model, "naive FastAPI+PyTorch", "c=1"), *(find(rows, model, served, f"c={c}") for c in (1, 8, 32))
    if naive and c1:
        out["served_c1_latency_reduction_vs_naive"] = round(1 - c1.p50_ms / naive.p50_ms, 3)
    best = find(rows, model, f"ORT {served_precision}", "best=") or find(rows, model, f"ORT {served_precision}", "1")
    if c32 and best:
        out["served_c32_throughput_vs_in_process_best_batch"] = round(c32.throughput / best.throughput, 2)
    if c8:
        out["served_c8_p99_over_p50"] = round(c8.p99_ms / c8.p50_ms, 2)
    return out


def markdown(rows: list[Row]) -> str:
    lines = ["| model | path | batch / concurrency | texts/s | p50 ms | p99 ms | note |", "| --- | --- | --- | ---: | ---: | ---: | --- |"]
    lines += [f"| {r.model} | {r.path} | {r.batch} | {r.throughput:g} | {r.p50_ms:g} | {r.p99_ms:g} | {r.note} |" for r in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    import onnxruntime
    import torch

    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "torch_threads": torch.get_num_threads()}


@dataclass
class Report:
    machine: dict[str, Any]
    command: str
    rows: list[Row] = field(default_factory=list)
    ratios: dict[str, dict[str, float]] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run(plan: Plan, workdir: Path, servers: bool, served_precision: str) -> Report:
    from transformers import AutoTokenizer

    from lightship.inference.text import OnnxTextClassifier

    report = Report(machine(), " ".join(["python", "scripts/bench_serving.py", *sys.argv[1:]]))
    for model, overrides in plan.models.items():
        folder = workdir / model
        folder.mkdir(parents=True, exist_ok=True)
        print(f"[{model}] building the bundle ...", file=sys.stderr, flush=True)
        built = build_model(model, overrides, folder, plan.exporter)
        # PyTorch first, with no ONNX Runtime session alive: ORT's spinning intra-op threads
        # would otherwise take the cores from PyTorch's threads and slow it several times.
        gc.collect()
        tokenizer = AutoTokenizer.from_pretrained(str(built["bundle"].tokenizer_dir))
        texts = bench_texts(built["data"], plan.n_texts, tokenizer, built["max_length"])
        print(f"[{model}] in-process ...", file=sys.stderr, flush=True)
        rows = in_process_rows(model, "PyTorch eager", torch_predictor(built["classifier"], tokenizer, built["max_length"]), texts, plan.batch_sizes)
        fp32 = OnnxTextClassifier(built["bundle"])
        int8 = OnnxTextClassifier(built["bundle"], precision="int8")
        tokens = [len(ids) for ids in fp32.tokenize(texts)]
        report.models[model] = {"max_length": built["max_length"], "tokens_mean": round(float(np.mean(tokens)), 1),
                                "tokens_max": max(tokens), "fused_ops": built["fusion"], "build_s": built["build_s"],
                                "onnx_mb": round(built["bundle"].onnx_path.stat().st_size / 1e6, 1),
                                "int8_mb": round(int8.graph_path.stat().st_size / 1e6, 1)}
        rows += in_process_rows(model, "ORT fp32", ort_predictor(fp32), texts, plan.batch_sizes)
        rows += in_process_rows(model, "ORT int8", ort_predictor(int8), texts, plan.batch_sizes)
        gpu_rows, gpu_note = cuda_rows(model, built, texts, plan.batch_sizes)
        rows += gpu_rows
        if gpu_note:
            report.notes.append(f"{model}: GPU rows skipped ({gpu_note})")
        del fp32, int8
        gc.collect()
        if servers:
            print(f"[{model}] naive endpoint ...", file=sys.stderr, flush=True)
            with naive_server(folder) as naive:
                rows += served_rows(model, "naive FastAPI+PyTorch", naive.url, texts, plan.naive_requests)
            print(f"[{model}] lightship service ({served_precision}) ...", file=sys.stderr, flush=True)
            with lightship_server(folder, served_precision) as served:
                rows += served_rows(model, f"lightship ({served_precision})", served.url, texts, plan.served_requests)
        report.rows += rows
        report.ratios[model] = ratios(rows, model, served_precision)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny model and sizes (what the test suite runs)")
    parser.add_argument("--no-servers", action="store_true", help="in-process rows only")
    parser.add_argument("--models", help="comma-separated subset of the plan's models (full: minilm,tiny_bert)")
    parser.add_argument("--served-precision", choices=["fp32", "int8"], default="int8", help="serve.precision of the lightship service")
    parser.add_argument("--exporter", choices=["torchscript", "dynamo"], help="export.exporter of the bundles (default torchscript)")
    parser.add_argument("--workdir", type=Path, help="where bundles and server logs go (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="write the whole report here")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.exporter:
        plan.exporter = args.exporter
    if args.models:
        plan.models = {name: plan.models[name] for name in args.models.split(",")}
    with tempfile.TemporaryDirectory(prefix="lightship-bench-") as scratch:
        report = run(plan, args.workdir or Path(scratch), not args.no_servers, args.served_precision)
    print(markdown(report.rows))
    print(json.dumps({"ratios": report.ratios, "models": report.models, "machine": report.machine, "notes": report.notes}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))


if __name__ == "__main__":
    main()
