"""Fine-tuning speed on CPU: seconds per 1,000 training texts, padded batches vs length buckets
vs length buckets with small accumulated batches, side by side in one run.

    python scripts/bench_finetune.py data/bbc_news.csv --model minilm --rows 320
    python scripts/bench_finetune.py data/rotten_tomatoes.csv --model minilm --rows 640

Each variant trains the same model from the same seed for one epoch on the same ``--rows``
training texts (no validation, no checkpoint), through lightship's own data module and
Lightning module. Wall seconds and process CPU seconds are both reported: on a shared
machine, CPU seconds are the steadier figure. Variants run in interleaved rounds
(``--rounds``) so that load on the machine falls on each of them alike; the median is kept.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

VARIANTS = {
    "padded batches of 32": {"bucket": False, "batch": 32, "accumulate": 1},
    "length buckets of 32": {"bucket": True, "batch": 32, "accumulate": 1},
    "length buckets of 8, accumulated x4": {"bucket": True, "batch": 8, "accumulate": 4},
}


def train_once(data, spec_cfg, variant: dict, seed: int) -> tuple[float, float]:
    import pytorch_lightning as pl

    from lightship.config.targets import instantiate
    from lightship.training.datamodule import TextDataModule
    from lightship.training.module import ClassifierModule

    pl.seed_everything(seed, verbose=False)
    spec = instantiate(spec_cfg, ["lightship."])
    tokenizer = spec.build_tokenizer(data.train["text"].tolist())
    encoder = spec.text_encoder(tokenizer, data.train["text"].tolist())
    module = ClassifierModule(spec.build_classifier(data.labels, tokenizer), data.labels, lr=spec.lr, weight_decay=spec.weight_decay,
                              warmup_ratio=spec.warmup_ratio, head_lr=spec.head_lr)
    datamodule = TextDataModule(data, encoder, variant["batch"], 0, seed, variant["bucket"])
    trainer = pl.Trainer(accelerator="cpu", max_epochs=1, limit_val_batches=0, num_sanity_val_steps=0, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         accumulate_grad_batches=variant["accumulate"])
    wall, cpu = time.perf_counter(), time.process_time()
    trainer.fit(module, datamodule=datamodule)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    import logging

    from lightship.config.targets import instantiate
    from lightship.config.validation import compose_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--rows", type=int, default=320)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    cfg = compose_config([f"model={args.model}", "data=text_file", f"data.path={args.path}"])
    data = instantiate(cfg.data, list(cfg.allowed_targets), seed=cfg.seed).prepare()
    data.train = data.train.iloc[: args.rows]
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, variant in VARIANTS.items():
            timings[name].append(train_once(data, cfg.model, variant, cfg.seed))
    rows = len(data.train)
    results = {name: {"wall_s_per_1000": round(1000 * statistics.median(w for w, _ in runs) / rows, 1),
                      "cpu_s_per_1000": round(1000 * statistics.median(c for _, c in runs) / rows, 1)} for name, runs in timings.items()}
    base = results["padded batches of 32"]
    print(f"{args.model} on {args.path.name}: {rows} texts, one epoch, median of {args.rounds} rounds")
    print(f"| variant | wall s / 1,000 texts | CPU s / 1,000 texts | speed-up (CPU) |\n| --- | --- | --- | --- |")
    for name, figures in results.items():
        print(f"| {name} | {figures['wall_s_per_1000']} | {figures['cpu_s_per_1000']} | {base['cpu_s_per_1000'] / figures['cpu_s_per_1000']:.2f}x |")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "file": str(args.path), "rows": rows, "results": results}, indent=2))


if __name__ == "__main__":
    main()
