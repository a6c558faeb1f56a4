"""Prometheus alert rules from the ``alerts`` config: one rule per signal, thresholds from config.

Each rule says what is wrong, the value that tripped it and where to look first. Severity
``page`` wakes someone (the service is failing its users now); ``ticket`` is for the next
working hour (the model is quietly getting worse). Checked by ``promtool check rules``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lightship.operations.queries import Queries

RUNBOOK = "docs/operations.md#alerts"


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    pending: str
    severity: str
    summary: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.pending,
            "labels": {"severity": self.severity, "service": "lightship"},
            "annotations": {"summary": self.summary, "description": self.description, "runbook": f"{RUNBOOK}-{self.name.lower()}"},
        }


def alert_rules(alerts: Any) -> list[AlertRule]:
    """The rules for one ``alerts`` config node (see :class:`lightship.config.root.AlertsConfig`)."""
    q = Queries(alerts.selector, alerts.window)
    pending = alerts.pending
    return [
        AlertRule("LightshipLatencyP99High", f"{q.latency_quantile(0.99)} > {alerts.latency_p99_seconds}", pending, "page",
                  f"p99 of /predict is over {alerts.latency_p99_seconds}s",
                  "p99 {{ $value | humanizeDuration }} over " + alerts.window + "; lightship_stage_duration_seconds shows the stage "
                  "(queue: add workers or lower serve.max_batch_size; inference: serve.precision=int8 or a GPU)."),
        AlertRule("LightshipErrorRateHigh", f"{q.error_ratio()} > {alerts.max_error_rate}", pending, "page",
                  f"More than {alerts.max_error_rate:.1%} of requests fail with a 5xx",
                  "{{ $value | humanizePercentage }} of answers are server errors; read the worker logs (bentoml serve) and GET /model."),
        AlertRule("LightshipSheddingLoad", f"{q.shed_ratio()} > {alerts.max_shed_rate}", pending, "page",
                  f"More than {alerts.max_shed_rate:.1%} of /predict requests are shed (503)",
                  "{{ $value | humanizePercentage }} shed: the worker is at serve.max_concurrency or the batching queue is past "
                  "serve.max_latency_ms; add workers or replicas."),
        AlertRule("LightshipConfidenceCollapse", f"{q.mean_confidence()} < {alerts.min_mean_confidence}", pending, "ticket",
                  f"Mean prediction confidence is below {alerts.min_mean_confidence}",
                  "Mean confidence {{ $value | printf \"%.2f\" }}: inputs the model does not recognise (new topics, a broken "
                  "client, another language); compare with the drift report (GET /drift)."),
        AlertRule("LightshipClassMixShift", f"{q.class_mix_shift(alerts.class_mix_window, alerts.class_mix_baseline)} > {alerts.max_class_mix_shift}",
                  pending, "ticket",
                  f"A class's share of predictions moved by more than {alerts.max_class_mix_shift:.0%} against {alerts.class_mix_baseline} ago",
                  "Largest change {{ $value | humanizePercentage }} (lightship_predictions_total by label): a real change in "
                  "traffic or a model failing on one class; check feedback recall per class."),
        AlertRule("LightshipHighRiskRecallLow",
                  f"{q.recall(alerts.high_risk_label)} < {alerts.min_high_risk_recall} and on() {q.labelled()} >= {alerts.min_labelled}",
                  pending, "page",
                  f"Live recall of '{alerts.high_risk_label}' is below {alerts.min_high_risk_recall}",
                  "Recall {{ $value | printf \"%.2f\" }} from feedback (lightship_live_recall): high-risk cases are being missed; "
                  "retrain (task=retrain) or roll the alias back."),
        AlertRule("LightshipGpuFallback", f"{q.gpu_fallback()} > 0", "1m", "ticket",
                  "A worker asked for CUDA and runs ONNX Runtime on CPU",
                  "{{ $value }} worker(s) on CPU: GET /model shows runtime.fallback_reason (driver, CUDA/cuDNN libraries, "
                  "onnxruntime-gpu); serve.require_gpu=true takes such workers out of rotation."),
        AlertRule("LightshipDriftDetected", f"{q.drift_detected()} == 1", alerts.drift_pending, "ticket",
                  "Input or output drift against the model's reference profile",
                  "lightship_drift_statistic and lightship_drift_p_value by feature show what moved; GET /drift has the report; "
                  "the retrain policy (retrain=drift) acts on it."),
        AlertRule("LightshipEstimatedAccuracyLow", f"{q.estimated_accuracy()} < {alerts.min_estimated_accuracy}", pending, "ticket",
                  f"Accuracy estimated without labels is below {alerts.min_estimated_accuracy}",
                  "Estimated accuracy {{ $value | printf \"%.2f\" }} (lightship_estimated_accuracy, from calibrated confidence per drift "
                  "window): the early warning before feedback arrives; it sees covariate shift, not concept drift (docs/estimation.md). "
                  "Check GET /drift, then feedback accuracy as labels come in."),
    ]


def rules_document(alerts: Any) -> dict[str, Any]:
    """The rule file as a mapping (``yaml.safe_dump`` writes it)."""
    return {"groups": [{"name": "lightship", "rules": [rule.to_dict() for rule in alert_rules(alerts)]}]}


def write_rules(alerts: Any, path: Any) -> None:
    import yaml

    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(rules_document(alerts), handle, sort_keys=False, width=1000)
