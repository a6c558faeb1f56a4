"""``task=train``: data -> Lightning fit -> ONNX export + parity -> bundle -> MLflow run,
registered version, and the champion alias when the promotion gates pass.

Order matters for safety: nothing is registered before parity passes, and the alias
moves only after the gates pass, so a failed export or a failed gate never replaces
the model in service.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lightship.bundle import ONNX_FILE, Bundle, start_bundle
from lightship.config.targets import instantiate
from lightship.data.splits import LABEL, TEXT, SplitData
from lightship.errors import ExportError
from lightship.evaluation.latency import measure_latency
from lightship.export.quantize import Int8Decision
from lightship.sweeps.leaderboard import write_job_row
from lightship.tasks.context import output_dir

log = logging.getLogger(__name__)


def evaluate_bundle(runtime: Any, data: SplitData, high_risk_label: Optional[str]) -> dict[str, float]:
    """Test-split metrics of a runtime (the exported graph: what will actually serve)."""
    from lightship.evaluation.metrics import classification_metrics

    predictions = runtime.predict(data.test[TEXT].tolist())
    true_ids = data.test[LABEL].map({name: i for i, name in enumerate(runtime.labels)}).to_numpy()
    return classification_metrics(true_ids, predictions.label_ids, runtime.labels, high_risk_label)


def champion_metrics(registry: Any, data: SplitData, high_risk_label: Optional[str]) -> tuple[Optional[dict], Optional[str], Optional[str]]:
    """Evaluate the current champion on this run's test split: (metrics, blocking note, version)."""
    from lightship.serving.runtime import OnnxTextClassifier

    version = registry.champion_version()
    if version is None:
        return None, None, None
    with tempfile.TemporaryDirectory() as scratch:
        champion = OnnxTextClassifier(registry.download(version, Path(scratch)))
        if sorted(champion.labels) != sorted(data.labels):
            note = (
                f"champion v{version} has labels {champion.labels}, this run has {data.labels}: they cannot be compared "
                "on the same test data. Use another tracking.model_name or set gates.compare_to_champion=false."
            )
            return None, note, version
        return evaluate_bundle(champion, data, high_risk_label), None, version


def write_reference_profile(cfg: DictConfig, runtime: Any, data: SplitData, bundle: Bundle) -> str:
    """Profile the model's own outputs on held-out (validation) texts, for drift monitoring."""
    from lightship.monitoring.text_features import reference_profile_from_predictions

    texts = (data.val if len(data.val) else data.test)[TEXT].tolist()
    profile = reference_profile_from_predictions(
        runtime.predict(texts), texts, runtime.labels, max_rows=cfg.drift.max_reference_rows, seed=cfg.seed
    )
    return profile.save(bundle.path).name


def export_and_verify(cfg: DictConfig, fit_result: Any, data: SplitData, bundle: Bundle) -> tuple[Any, dict]:
    """Export to ONNX, save the tokenizer, check parity; raise ``ExportError`` when parity fails."""
    from lightship.export.onnx_export import export_onnx
    from lightship.export.parity import check_parity
    from lightship.serving.runtime import OnnxTextClassifier

    texts = data.train[TEXT].tolist()
    export_onnx(fit_result.classifier, fit_result.tokenizer, texts, bundle.path / ONNX_FILE, bundle.max_length, cfg.export.opset, cfg.export.exporter.value)
    fit_result.tokenizer.save_pretrained(str(bundle.tokenizer_dir))
    runtime = OnnxTextClassifier(bundle)
    held_out = (data.test if len(data.test) else data.val)[TEXT].tolist()
    parity = check_parity(
        fit_result.classifier, runtime, held_out, list(cfg.export.parity_batch_sizes), cfg.export.atol, cfg.export.min_argmax_agreement
    )
    if not parity.passed:
        raise ExportError(
            f"ONNX parity failed: max|diff| logits={parity.max_abs_diff_logits:.2e}, embedding={parity.max_abs_diff_embedding:.2e} "
            f"(export.atol={cfg.export.atol}), argmax agreement={parity.argmax_agreement:.3f} "
            f"(export.min_argmax_agreement={cfg.export.min_argmax_agreement}). Nothing was registered."
        )
    return runtime, parity.to_dict()


def faster_graphs(cfg: DictConfig, fit_result: Any, data: SplitData, bundle: Bundle, runtime: Any) -> tuple[Any, dict[str, Any]]:
    """After parity: fuse the graph (parity again) and make the int8 graph behind its accuracy gate.

    Returns the runtime of the graph that now serves as fp32 and the manifest fields to record.
    """
    from lightship.export.parity import check_parity
    from lightship.export.quantize import fuse_and_verify, make_int8
    from lightship.serving.runtime import OnnxTextClassifier

    fields: dict[str, Any] = {}
    if cfg.export.optimize:
        held_out = (data.test if len(data.test) else data.val)[TEXT].tolist()
        fusion = fuse_and_verify(bundle, lambda graph: check_parity(
            fit_result.classifier, OnnxTextClassifier(bundle, graph=graph), held_out, list(cfg.export.parity_batch_sizes),
            cfg.export.atol, cfg.export.min_argmax_agreement,
        ), fit_result.classifier)
        fields["fusion"] = fusion.to_dict()
        if fusion.applied:
            runtime = OnnxTextClassifier(bundle)
    if cfg.export.int8 and len(data.test):
        def accuracy(graph: Path) -> tuple[float, Any]:
            candidate = OnnxTextClassifier(bundle, graph=graph)
            predicted = candidate.predict(data.test[TEXT].tolist()).label_ids
            true_ids = data.test[LABEL].map({name: i for i, name in enumerate(candidate.labels)}).to_numpy()
            return float((predicted == true_ids).mean()), predicted

        fields["int8"] = make_int8(bundle, accuracy, float(cfg.export.max_int8_accuracy_drop)).to_dict()
    return runtime, fields


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train, export, verify, record and (when the gates pass) promote. Returns a summary."""
    return train_on(cfg, instantiate(cfg.data, list(cfg.allowed_targets), seed=cfg.seed).prepare())


def train_on(cfg: DictConfig, data: SplitData) -> dict[str, Any]:
    """The train task on already prepared splits (``task=retrain`` passes its fresh window)."""
    from lightship.lineage import lineage
    from lightship.tracking.runs import RunRecorder, flatten
    from lightship.tracking.uri import resolve_tracking_uri
    from lightship.training.fit import fit, resolve_resume

    allowed = list(cfg.allowed_targets)
    resume_from = resolve_resume(cfg.resume) if cfg.resume else None
    out = output_dir()
    spec = instantiate(cfg.model, allowed)
    high_risk = cfg.data.high_risk_label if cfg.data.high_risk_label in data.labels else None
    log.info("Data %s: %s; labels %s", data.source, data.report, data.labels)

    uri = resolve_tracking_uri(cfg.tracking.uri)
    recorder = RunRecorder(uri, cfg.tracking.experiment_name)
    run_id = recorder.start(run_name=f"{cfg.model.name}-{out.name}", tags={"lightship.task": "train", "lightship.output_dir": str(out)})
    try:
        recorder.log_params(flatten(OmegaConf.to_container(cfg, resolve=True)))
        recorder.log_metrics({f"data_{key}": value for key, value in data.report.items() if isinstance(value, (int, float))})
        fit_result = fit(
            spec, data, cfg.trainer, cfg.data, cfg.seed, out / "checkpoints", [recorder.lightning_logger()], resume_from,
            extra_callbacks=trial_callbacks(cfg),
        )
        bundle = start_bundle(
            out / "bundle",
            labels=data.labels,
            max_length=spec.max_length,
            high_risk_label=high_risk,
            model={"name": cfg.model.name, "spec": cfg.model._target_},
            config_yaml=OmegaConf.to_yaml(cfg, resolve=True),
        )
        runtime, parity = export_and_verify(cfg, fit_result, data, bundle)
        runtime, graph_fields = faster_graphs(cfg, fit_result, data, bundle, runtime)
        metrics = evaluate_bundle(runtime, data, high_risk)
        latency = measure_latency(runtime, data.test[TEXT].tolist())
        profile_file = write_reference_profile(cfg, runtime, data, bundle)
        bundle.update(
            metrics=metrics,
            parity=parity,
            lineage=lineage(data.fingerprint, data.source),
            data_report=data.report,
            training={"seconds": round(fit_result.train_seconds, 3), "epochs": fit_result.epochs, "best_val_macro_f1": fit_result.best_score},
            mlflow={"tracking_uri": uri, "run_id": run_id},
            onnx_bytes=bundle.onnx_path.stat().st_size,
            reference_profile=profile_file,
            latency=latency,
            parameters=sum(p.numel() for p in fit_result.classifier.parameters()),
            **graph_fields,
        )
        recorder.log_metrics({f"test_{key}": value for key, value in metrics.items()})
        recorder.log_metrics(
            {"train_seconds": fit_result.train_seconds, "parity_max_abs_diff_logits": parity["max_abs_diff_logits"], **latency}
        )
        source = recorder.log_artifacts(bundle.path, "bundle")
        summary: dict[str, Any] = {
            "run_id": run_id, "output_dir": str(out), "bundle": str(bundle.path), "metrics": metrics, "parity": parity,
            "latency": latency, "train_seconds": fit_result.train_seconds, "onnx_bytes": bundle.onnx_path.stat().st_size,
            "best_val_macro_f1": fit_result.best_score, "int8": graph_fields.get("int8"), "fusion": graph_fields.get("fusion"),
        }
        if cfg.tracking.register:
            int8_tags = Int8Decision(**graph_fields["int8"]).tags() if "int8" in graph_fields else {}
            summary.update(register_and_gate(cfg, uri, source, run_id, metrics, data, high_risk, int8_tags))
    except BaseException:
        recorder.finish("FAILED")
        raise
    recorder.set_tags({"lightship.promoted": summary.get("promoted", False)})
    recorder.finish("FINISHED")
    write_job_row(out, leaderboard_row(summary))
    report_summary(summary)
    return summary


def trial_callbacks(cfg: DictConfig) -> list[Any]:
    """The Optuna pruning callback when this run is a trial of a stored study."""
    if cfg.trial.number is None or not cfg.trial.storage:
        return []
    from lightship.training.pruning import OptunaPruning

    return [OptunaPruning(cfg.trial.storage, cfg.trial.study_name, cfg.trial.number, cfg.trial.monitor)]


def leaderboard_row(summary: dict[str, Any]) -> dict[str, Any]:
    """This run's row in a sweep leaderboard: quality, cost and size side by side."""
    metrics = summary["metrics"]
    row = {name: metrics[name] for name in ("accuracy", "macro_f1", "high_risk_recall") if name in metrics}
    row.update(
        best_val_macro_f1=summary["best_val_macro_f1"],
        train_seconds=round(summary["train_seconds"], 2),
        onnx_ms_per_text=summary["latency"]["ms_per_text_batch1"],
        onnx_mb=round(summary["onnx_bytes"] / 1e6, 2),
        version=summary.get("version", ""),
        promoted=summary.get("promoted", ""),
    )
    return row


def register_and_gate(
    cfg: DictConfig, uri: str, source: str, run_id: str, metrics: dict[str, float], data: SplitData, high_risk: Optional[str],
    extra_tags: Optional[dict[str, str]] = None,
) -> dict[str, Any]:
    """Register the bundle as a new version; move the alias only when every gate passes."""
    from lightship.promotion.gates import evaluate_gates
    from lightship.tracking.registry import Registry

    registry = Registry(uri, cfg.tracking.model_name, cfg.tracking.champion_alias)
    with registry.publishing():
        champion, note, champion_version = champion_metrics(registry, data, high_risk)
        decision = evaluate_gates(metrics, data.labels, cfg.gates, champion, note)
        tags = {"lightship.data_fingerprint": data.fingerprint, **(extra_tags or {})}
        version = registry.publish(source, run_id, tags, promote=decision.passed, reason=decision.summary())
    if decision.passed:
        log.info("Version %s of %s is now @%s", version, cfg.tracking.model_name, cfg.tracking.champion_alias)
    else:
        log.warning("Version %s kept but not promoted: %s", version, decision.summary())
    return {
        "model_name": cfg.tracking.model_name,
        "version": version,
        "promoted": decision.passed,
        "gates": decision.checks,
        "gate_reasons": decision.reasons,
        "champion_before": champion_version,
        "champion_metrics": champion,
    }


def report_summary(summary: dict[str, Any]) -> None:
    """Print the run's outcome as a table (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="lightship train", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in summary["metrics"].items():
        table.add_row(f"test {key}", f"{value:.4f}")
    parity = summary["parity"]
    table.add_row("parity max|diff| logits", f"{parity['max_abs_diff_logits']:.2e}")
    if "version" in summary:
        verdict = "champion" if summary["promoted"] else "not promoted: " + "; ".join(summary["gate_reasons"])
        table.add_row(f"{summary['model_name']} v{summary['version']}", verdict)
    table.add_row("bundle", summary["bundle"])
    Console(stderr=True).print(table)
