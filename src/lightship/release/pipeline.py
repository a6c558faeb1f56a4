"""The release pipeline: fit -> bundle -> export + parity -> faster graphs -> evaluation ->
reference profile -> MLflow run -> register + gates.

``task=train``, ``task=retrain`` (its challenger) and the benchmark scripts call
:func:`release`; the model spec (the ``model`` group's ``_target_``, see
:class:`lightship.models.spec.ReleaseSpec`) decides how the model is fitted and exported,
so every model family, text or tabular, Lightning or not, goes through the same checks.

Order matters for safety: nothing is registered before parity passes, and the alias
moves only after the gates pass, so a failed export or a failed gate never replaces
the model in service.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lightship.bundle import Bundle, start_bundle
from lightship.config.targets import instantiate
from lightship.data.splits import LABEL, TEXT, SplitData
from lightship.errors import ExportError
from lightship.evaluation.imbalanced import IMBALANCED_METRICS
from lightship.evaluation.latency import measure_latency
from lightship.export.quantize import Int8Decision
from lightship.models.protocol import FitContext
from lightship.sweeps.leaderboard import write_job_row

log = logging.getLogger(__name__)


def split_inputs(runtime: Any, frame: Any) -> list[Any]:
    """The raw model inputs of a split (texts, or rows of the bundle's columns), as the runtime reads them."""
    return runtime.inputs_from_frame(frame, TEXT)[0]


def held_out(data: SplitData) -> Any:
    """The split that checks the export: test when it has rows, else validation."""
    return data.test if len(data.test) else data.val


def true_ids(runtime: Any, frame: Any) -> Any:
    return frame[LABEL].map({name: i for i, name in enumerate(runtime.labels)}).to_numpy()


def evaluate_bundle(runtime: Any, data: SplitData, high_risk_label: Optional[str], settings: Any = None) -> dict[str, float]:
    """Test-split metrics of a runtime (the exported graph and its decision rule: what will actually serve).

    With ``settings`` (``cfg.metrics``) and a high-risk class, the imbalanced-class metrics too
    (:mod:`lightship.evaluation.imbalanced`).
    """
    from lightship.evaluation.imbalanced import high_risk_metrics
    from lightship.evaluation.metrics import classification_metrics

    predictions = runtime.predict(split_inputs(runtime, data.test))
    truth = true_ids(runtime, data.test)
    metrics = classification_metrics(truth, predictions.label_ids, runtime.labels, high_risk_label)
    if settings is not None and high_risk_label in runtime.labels:
        metrics.update(high_risk_metrics(truth, predictions.probabilities, predictions.label_ids, runtime.labels.index(high_risk_label), settings))
    return metrics


def calibrate_bundle(settings: Any, runtime: Any, data: SplitData, bundle: Bundle) -> dict[str, Any]:
    """Fit ``calibration.method`` on the validation split, store it in the bundle and the runtime; return the record.

    The runtime applies the temperature to every graph's logits (:meth:`OnnxClassifier.run`), so it
    comes after the export checks (parity compares the graph's own logits) and before the decision
    threshold, which is chosen on the calibrated probabilities. The test split's ECE is measured
    with the calibrated runtime.
    """
    from lightship.evaluation.calibration import CALIBRATION, calibrate, expected_calibration_error

    validation = data.val if len(data.val) else data.test
    method = str(getattr(settings.method, "value", settings.method))
    fitted = calibrate(method, runtime.predict(split_inputs(runtime, validation)).probabilities, true_ids(runtime, validation), settings.bins)
    runtime.temperature = fitted.temperature
    test_ece = expected_calibration_error(runtime.predict(split_inputs(runtime, data.test)).probabilities, true_ids(runtime, data.test),
                                          settings.bins) if len(data.test) else float("nan")
    record = replace(fitted, test_ece=test_ece).to_dict()
    bundle.update(**{CALIBRATION: record})
    log.info("Calibration %s: T=%.3f, validation ECE %.4f -> %.4f, test ECE %.4f", method, fitted.temperature,
             fitted.validation_ece_before, fitted.validation_ece_after, test_ece)
    return record


def choose_decision_rule(settings: Any, runtime: Any, data: SplitData, high_risk_label: Optional[str], bundle: Bundle) -> None:
    """Choose the high-risk threshold on validation (``metrics.threshold``), store it in the bundle and the runtime."""
    from lightship.inference.decision import DECISION, rule_for

    validation = data.val if len(data.val) else data.test
    probabilities = runtime.predict(split_inputs(runtime, validation)).probabilities
    rule = rule_for(runtime.labels, high_risk_label, probabilities, validation[LABEL].to_numpy(), settings)
    if rule is not None:
        bundle.update(**{DECISION: rule.to_dict()})
        runtime.rule = rule


def champion_metrics(
    registry: Any, data: SplitData, high_risk_label: Optional[str], settings: Any = None
) -> tuple[Optional[dict], Optional[str], Optional[str]]:
    """Evaluate the current champion on this run's test split: (metrics, blocking note, version)."""
    from lightship.inference import load_runtime

    version = registry.champion_version()
    if version is None:
        return None, None, None
    with tempfile.TemporaryDirectory() as scratch:
        champion = load_runtime(registry.download(version, Path(scratch)))
        if sorted(champion.labels) != sorted(data.labels):
            note = (
                f"champion v{version} has labels {champion.labels}, this run has {data.labels}: they cannot be compared "
                "on the same test data. Use another tracking.model_name or set gates.compare_to_champion=false."
            )
            return None, note, version
        if champion.bundle.input_kind != data.input.get("kind"):
            note = (
                f"champion v{version} takes {champion.bundle.input_kind} inputs, this run {data.input.get('kind')}: they cannot be "
                "compared on the same test data. Use another tracking.model_name or set gates.compare_to_champion=false."
            )
            return None, note, version
        return evaluate_bundle(champion, data, high_risk_label, settings), None, version


def write_reference_profile(cfg: DictConfig, runtime: Any, data: SplitData, bundle: Bundle) -> str:
    """Profile the model's inputs and outputs on held-out (validation) data, for drift monitoring."""
    from lightship.monitoring.model_features import build_reference_profile

    inputs = split_inputs(runtime, data.val if len(data.val) else data.test)
    profile = build_reference_profile(runtime, inputs, max_rows=cfg.drift.max_reference_rows, seed=cfg.seed)
    return profile.save(bundle.path).name


def verify_parity(cfg: DictConfig, spec: Any, reference: Any, runtime: Any, inputs: list[Any]) -> Any:
    """The parity report of ``runtime`` against ``reference`` under the ``export`` settings (see ``lightship.export.parity``)."""
    from lightship.export.parity import check_parity

    export = cfg.export
    return check_parity(reference, runtime, inputs, list(export.parity_batch_sizes), export.atol, export.min_argmax_agreement,
                        getattr(spec, "parity_space", "logits"), export.rtol)


def export_and_verify(cfg: DictConfig, spec: Any, fit_result: Any, data: SplitData, bundle: Bundle) -> tuple[Any, Any, dict]:
    """Export through the spec, check parity on raw held-out inputs; raise ``ExportError`` when parity fails.

    Returns the runtime, the reference predictor parity compared against, and the parity record.
    """
    from lightship.inference import load_runtime

    spec.export(fit_result, data, bundle, cfg.export)
    runtime = load_runtime(bundle)
    reference = spec.reference(fit_result, runtime)
    parity = verify_parity(cfg, spec, reference, runtime, split_inputs(runtime, held_out(data)))
    if not parity.passed:
        raise ExportError(
            f"ONNX parity failed: max|diff| logits={parity.max_abs_diff_logits:.2e}, embedding={parity.max_abs_diff_embedding:.2e}; "
            f"beyond export.rtol={cfg.export.rtol} x |PyTorch|: logits {parity.max_excess_logits:.2e}, embedding "
            f"{parity.max_excess_embedding:.2e} (export.atol={cfg.export.atol}), argmax agreement={parity.argmax_agreement:.3f} "
            f"(export.min_argmax_agreement={cfg.export.min_argmax_agreement}). Nothing was registered."
        )
    return runtime, reference, parity.to_dict()


def faster_graphs(cfg: DictConfig, spec: Any, fit_result: Any, data: SplitData, bundle: Bundle, runtime: Any, reference: Any) -> tuple[Any, dict[str, Any]]:
    """After parity: fuse the graph (parity again) and make the int8 graph behind its accuracy gate.

    Each step runs when the export config asks for it and the spec's graph supports it
    (``spec.fusable``, ``spec.quantizable``). Returns the runtime of the graph that now
    serves as fp32 and the manifest fields to record.
    """
    from lightship.export.quantize import fuse_and_verify, make_int8
    from lightship.inference import load_runtime

    fields: dict[str, Any] = {}
    if cfg.export.optimize and getattr(spec, "fusable", True):
        inputs = split_inputs(runtime, held_out(data))
        fusion = fuse_and_verify(bundle, lambda graph: verify_parity(cfg, spec, reference, load_runtime(bundle, graph=graph), inputs),
                                 getattr(fit_result, "classifier", None))
        fields["fusion"] = fusion.to_dict()
        if fusion.applied:
            runtime = load_runtime(bundle)
    if cfg.export.int8 and len(data.test) and getattr(spec, "quantizable", True):
        def accuracy(graph: Path) -> tuple[float, Any]:
            candidate = load_runtime(bundle, graph=graph)
            predicted = candidate.predict(split_inputs(candidate, data.test)).label_ids
            return float((predicted == true_ids(candidate, data.test)).mean()), predicted

        quantizer = getattr(spec, "int8_quantizer", None)  # a spec's own int8 method (images: static, calibrated)
        fields["int8"] = make_int8(bundle, accuracy, float(cfg.export.max_int8_accuracy_drop), quantizer(data) if quantizer else None).to_dict()
    return runtime, fields


def release(cfg: DictConfig, data: SplitData, out: Optional[Path] = None, task: str = "train", shadow: bool = False) -> dict[str, Any]:
    """Fit, export, verify, record and (when the gates pass) promote, on already prepared splits. Returns a summary.

    ``out``: the run folder (default: the Hydra run's, see :func:`lightship.config.paths.output_dir`).
    ``shadow``: a version that passes goes under the challenger alias instead (``task=retrain retrain.shadow=true``).
    """
    from lightship.config.paths import output_dir
    from lightship.lineage import lineage
    from lightship.tracking.runs import RunRecorder, flatten
    from lightship.tracking.uri import resolve_tracking_uri
    from lightship.training.fit import resolve_resume
    from lightship.training.ranks import global_rank, is_global_zero

    allowed = list(cfg.allowed_targets)
    resume_from = resolve_resume(cfg.resume) if cfg.resume else None
    out = out or output_dir()
    spec = instantiate(cfg.model, allowed)
    high_risk = cfg.data.high_risk_label if cfg.data.high_risk_label in data.labels else None
    log.info("Data %s: %s; labels %s", data.source, data.report, data.labels)

    if not is_global_zero():  # a DDP worker: it trains its shard; rank zero exports, records and registers
        spec.fit(data, FitContext(cfg.trainer, cfg.data, cfg.seed, out / "checkpoints", [], resume_from, []))
        return {"rank": global_rank(), "output_dir": str(out)}
    uri = resolve_tracking_uri(cfg.tracking.uri)
    recorder = RunRecorder(uri, cfg.tracking.experiment_name)
    run_id = recorder.start(run_name=f"{cfg.model.name}-{out.name}", tags={"lightship.task": task, "lightship.output_dir": str(out)})
    with recorder.finishing():  # whatever fails from here, the run ends FAILED, never left RUNNING
        recorder.log_params(flatten(OmegaConf.to_container(cfg, resolve=True)))
        recorder.log_metrics({f"data_{key}": value for key, value in data.report.items() if isinstance(value, (int, float))})
        context = FitContext(cfg.trainer, cfg.data, cfg.seed, out / "checkpoints", [recorder.lightning_logger()], resume_from, trial_callbacks(cfg))
        fit_result = spec.fit(data, context)
        bundle = start_bundle(
            out / "bundle",
            labels=data.labels,
            high_risk_label=high_risk,
            model={"name": cfg.model.name, "spec": cfg.model._target_},
            config_yaml=OmegaConf.to_yaml(cfg, resolve=True),
            **spec.bundle_fields(fit_result, data),
        )
        runtime, reference, parity = export_and_verify(cfg, spec, fit_result, data, bundle)
        runtime, graph_fields = faster_graphs(cfg, spec, fit_result, data, bundle, runtime, reference)
        calibration = calibrate_bundle(cfg.calibration, runtime, data, bundle)
        choose_decision_rule(cfg.metrics, runtime, data, high_risk, bundle)
        metrics = evaluate_bundle(runtime, data, high_risk, cfg.metrics)
        latency = measure_latency(runtime, split_inputs(runtime, data.test))
        profile_file = write_reference_profile(cfg, runtime, data, bundle)
        bundle.update(
            metrics=metrics,
            parity=parity,
            lineage=lineage(data.fingerprint, data.source),
            data_report=data.report,
            training={"seconds": round(fit_result.train_seconds, 3), "epochs": fit_result.epochs, "best_val_macro_f1": fit_result.best_score},
            world_size=getattr(fit_result, "world_size", 1),
            mlflow={"tracking_uri": uri, "run_id": run_id},
            onnx_bytes=bundle.onnx_path.stat().st_size,
            reference_profile=profile_file,
            latency=latency,
            parameters=spec.size(fit_result),
            **graph_fields,
        )
        recorder.log_metrics({f"test_{key}": value for key, value in metrics.items()})
        recorder.log_metrics(
            {"train_seconds": fit_result.train_seconds, "parity_max_abs_diff_logits": parity["max_abs_diff_logits"], **latency,
             **{f"calibration_{key}": value for key, value in calibration.items() if isinstance(value, (int, float))}}
        )
        source = recorder.log_artifacts(bundle.path, "bundle")
        summary: dict[str, Any] = {
            "run_id": run_id, "output_dir": str(out), "bundle": str(bundle.path), "metrics": metrics, "parity": parity,
            "latency": latency, "train_seconds": fit_result.train_seconds, "onnx_bytes": bundle.onnx_path.stat().st_size,
            "best_val_macro_f1": fit_result.best_score, "int8": graph_fields.get("int8"), "fusion": graph_fields.get("fusion"),
            "model": model_option(cfg), "family": getattr(spec, "family", "custom"), "train_rows": len(data.train),
            "calibration": calibration,
        }
        if cfg.tracking.register:
            int8_tags = Int8Decision(**graph_fields["int8"]).tags() if "int8" in graph_fields else {}
            summary.update(register_and_gate(cfg, uri, source, run_id, metrics, data, high_risk, int8_tags, shadow))
        recorder.set_tags({"lightship.promoted": summary.get("promoted", False)})
    write_job_row(out, leaderboard_row(summary))
    report_summary(summary)
    return summary


def trial_callbacks(cfg: DictConfig) -> list[Any]:
    """The Optuna pruning callback when this run is a trial of a stored study."""
    if cfg.trial.number is None or not cfg.trial.storage:
        return []
    from lightship.training.pruning import OptunaPruning

    return [OptunaPruning(cfg.trial.storage, cfg.trial.study_name, cfg.trial.number, cfg.trial.monitor)]


def model_option(cfg: DictConfig) -> str:
    """The ``model`` option this run composed (``minilm``), else the model's name (a composed config outside Hydra)."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return str(HydraConfig.get().runtime.choices.get("model") or cfg.model.name)
    return str(cfg.model.name)


def leaderboard_row(summary: dict[str, Any]) -> dict[str, Any]:
    """This run's row in a sweep leaderboard: quality, cost and size side by side."""
    metrics = summary["metrics"]
    row = {"model": summary.get("model", ""), "family": summary.get("family", "")}
    row.update({name: metrics[name] for name in ("accuracy", "macro_f1", "high_risk_recall", *IMBALANCED_METRICS) if name in metrics})
    latency = summary["latency"]
    row.update(
        best_val_macro_f1=summary["best_val_macro_f1"],
        train_rows=summary.get("train_rows", ""),
        train_seconds=round(summary["train_seconds"], 2),
        onnx_ms_per_text=latency["ms_per_text_batch1"],
        onnx_ms_per_text_best=latency.get("ms_per_text_best", latency["ms_per_text_batch1"]),
        best_batch=latency.get("best_batch_size", 1),
        onnx_mb=round(summary["onnx_bytes"] / 1e6, 2),
        version=summary.get("version", ""),
        promoted=summary.get("promoted", ""),
    )
    return row


def register_and_gate(
    cfg: DictConfig, uri: str, source: str, run_id: str, metrics: dict[str, float], data: SplitData, high_risk: Optional[str],
    extra_tags: Optional[dict[str, str]] = None, shadow: bool = False,
) -> dict[str, Any]:
    """Register the bundle as a new version; move the alias only when every gate passes.

    ``shadow``: a version that passes goes under ``tracking.challenger_alias`` when there is a champion to
    compare it with on live traffic (:mod:`lightship.promotion.live_evidence` decides later).
    """
    from lightship.promotion.gates import evaluate_gates
    from lightship.tracking.registry import Registry

    registry = Registry(uri, cfg.tracking.model_name, cfg.tracking.champion_alias)
    with registry.publishing():  # parallel jobs take turns: the gates compare against the champion being replaced
        champion, note, champion_version = champion_metrics(registry, data, high_risk, cfg.metrics)
        decision = evaluate_gates(metrics, data.labels, cfg.gates, champion, note)
        tags = {"lightship.data_fingerprint": data.fingerprint, **(extra_tags or {})}
        challenger_alias = str(cfg.tracking.challenger_alias) if shadow and champion_version is not None else None
        version = registry.publish(source, run_id, tags, promote=decision.passed, reason=decision.summary(), challenger_alias=challenger_alias)
    if decision.passed:
        log.info("Version %s of %s is now @%s", version, cfg.tracking.model_name, challenger_alias or cfg.tracking.champion_alias)
    else:
        log.warning("Version %s kept but not promoted: %s", version, decision.summary())
    return {
        "model_name": cfg.tracking.model_name,
        "version": version,
        "promoted": decision.passed and challenger_alias is None,
        "challenger_alias": challenger_alias if decision.passed else None,
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
        verdict = ("champion" if summary["promoted"] else f"challenger (@{summary['challenger_alias']}, judged on live evidence)"
                   if summary.get("challenger_alias") else "not promoted: " + "; ".join(summary["gate_reasons"]))
        table.add_row(f"{summary['model_name']} v{summary['version']}", verdict)
    table.add_row("bundle", summary["bundle"])
    Console(stderr=True).print(table)
