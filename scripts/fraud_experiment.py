"""``experiment=fraud`` measured: tabular_mlp against gbdt on ``data=transactions``, and the gate on the detection rate.

    python scripts/fraud_experiment.py --out experiments/fraud

Each model goes through the release pipeline (``experiment=fraud``: the fraud threshold chosen on
validation for a 1% alert budget, stored in the bundle) in a scratch tracking store. The script writes
``results.json`` and ``pr_curves.png`` (precision-recall curves on the test split, with each model's
operating point at the alert budget) under ``--out``, and prints the markdown table of the write-up:
PR-AUC, detection rate at a 1% alert rate, false-positive rate, latency per row of the exported graph
at batch 1 and 256 (ONNX Runtime, this machine), graph size.

Then the gate (``--part gate``): a challenger with higher accuracy (the default gbdt deciding by the most
probable class, so it raises fewer alerts) but a lower detection rate at the alert budget is trained
against a champion gbdt regularised for the rare class (``model.min_child_samples=200``), and the
registry's reason for not promoting it is recorded. ``--part table`` / ``--part gate`` run one half and
update ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

MODELS = {"gbdt": "fraud", "tabular_mlp": "fraud_mlp"}  # model -> registered name (each its own champion)
# The gate: a champion gbdt regularised for the rare class, then a default gbdt deciding by the most probable
# class (fewer alerts: more accurate) whose detection rate at the alert budget is lower.
CHAMPION = ["model=gbdt", "model.min_child_samples=200"]
CHALLENGER = ["model=gbdt", "metrics.threshold=argmax"]
GATE_MODEL = "tracking.model_name=fraud_gate"


def _train(workdir: Path, *overrides: str) -> dict[str, Any]:
    """Run ``experiment=fraud`` with ``overrides`` in ``workdir`` (its own tracking store); return the summary."""
    import os

    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config(["experiment=fraud", f"tracking.uri=sqlite:///{workdir / 'mlflow.db'}",
                          f"hydra.run.dir={workdir / 'runs'}", *overrides])
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        return run_task(cfg)
    finally:
        os.chdir(previous)


def test_split() -> Any:
    """The test split of ``data=transactions`` with experiment=fraud's settings (same seed, same split)."""
    from lightship.config.targets import instantiate
    from lightship.config.validation import compose_config

    cfg = compose_config(["experiment=fraud"])
    return instantiate(cfg.data, list(cfg.allowed_targets), seed=cfg.seed).prepare().test


def measure(summary: dict[str, Any], test: Any) -> dict[str, Any]:
    """The write-up's figures for one trained model, from its summary and its bundle on the test split."""
    from lightship.evaluation.latency import latency_per_text
    from lightship.inference import load_runtime

    runtime = load_runtime(summary["bundle"])
    rows = runtime.inputs_from_frame(test)[0]
    probabilities = runtime.predict(rows).probabilities
    metrics = summary["metrics"]
    return {
        "model": summary["model"],
        "accuracy": metrics["accuracy"],
        "pr_auc": metrics["pr_auc"],
        "recall_at_alert_rate": metrics["recall_at_alert_rate"],
        "recall_at_precision": metrics["recall_at_precision"],
        "false_positive_rate": metrics["false_positive_rate"],
        "threshold": runtime.rule.threshold if runtime.rule else None,
        "ms_per_row_batch1": latency_per_text(runtime, rows[:64], 1),
        "ms_per_row_batch256": latency_per_text(runtime, rows[:2048], 256),
        "onnx_mb": round(summary["onnx_bytes"] / 1e6, 3),
        "train_seconds": round(summary["train_seconds"], 1),
        "scores": probabilities[:, runtime.labels.index("fraud")].tolist(),
    }


def plot(results: list[dict[str, Any]], truth: np.ndarray, alert_rate: float, path: Path) -> None:
    """Precision-recall curves on the test split, each with its operating point at the alert budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    from lightship.evaluation.imbalanced import alert_count

    figure, axes = plt.subplots(figsize=(6, 4.5))
    for result in results:
        scores = np.asarray(result["scores"])
        precision, recall, _ = precision_recall_curve(truth, scores)
        line, = axes.plot(recall, precision, label=f"{result['model']} (PR-AUC {result['pr_auc']:.3f})")
        flagged = np.argsort(-scores, kind="stable")[: alert_count(len(scores), alert_rate)]
        hits = truth[flagged].sum()
        axes.scatter([hits / truth.sum()], [hits / len(flagged)], color=line.get_color(), zorder=3)
    axes.set_xlabel("recall of fraud (detection rate)")
    axes.set_ylabel("precision")
    axes.set_title(f"data=transactions, test split; dots: {alert_rate:.0%} of traffic flagged")
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| model | PR-AUC | detection rate at 1% alerts | recall at precision 0.5 | false-positive rate | accuracy | ms/row batch 1 | ms/row batch 256 | graph MB | train s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['model']} | {r['pr_auc']:.3f} | {r['recall_at_alert_rate']:.3f} | {r['recall_at_precision']:.3f} | "
                     f"{r['false_positive_rate']:.4f} | {r['accuracy']:.4f} | {r['ms_per_row_batch1']:.3f} | "
                     f"{r['ms_per_row_batch256']:.4f} | {r['onnx_mb']:.3f} | {r['train_seconds']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("experiments/fraud"))
    parser.add_argument("--part", choices=("all", "table", "gate"), default="all")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.json"
    record = json.loads(path.read_text()) if path.is_file() else {}
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        if args.part in ("all", "table"):
            test = test_split()
            truth = (test["label"] == "fraud").to_numpy()
            summaries = {model: _train(workdir, f"model={model}", f"tracking.model_name={name}") for model, name in MODELS.items()}
            results = [measure(summary, test) for summary in summaries.values()]
            plot(results, truth, 0.01, args.out / "pr_curves.png")
            record.update(test_rows=len(test), test_fraud=int(truth.sum()), models=[{k: v for k, v in r.items() if k != "scores"} for r in results])
            print(table(results))
        if args.part in ("all", "gate"):
            champion = _train(workdir, *CHAMPION, GATE_MODEL)
            challenger = _train(workdir, *CHALLENGER, GATE_MODEL)
            record["gate"] = {
                "champion": {k: champion["metrics"][k] for k in ("accuracy", "recall_at_alert_rate", "high_risk_recall")},
                "challenger": {k: challenger["metrics"][k] for k in ("accuracy", "recall_at_alert_rate", "high_risk_recall")},
                "champion_overrides": CHAMPION, "challenger_overrides": CHALLENGER,
                "promoted": challenger["promoted"], "reasons": challenger["gate_reasons"],
            }
            print(json.dumps(record["gate"], indent=2))
    path.write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
