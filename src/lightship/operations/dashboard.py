"""A Grafana dashboard (JSON model) over the service's series, with the alert thresholds drawn in.

Rows follow the questions asked during an incident: is it up and fast (traffic, latency
by stage, errors and sheds), is it right (confidence, class mix, live accuracy and the
high-risk recall, the challenger in shadow, drift), and what does it cost (batching, CPU, memory, GPU). Import it in
Grafana (Dashboards -> Import) and pick the Prometheus data source.
"""

from __future__ import annotations

from typing import Any, Optional

from lightship.operations.queries import Queries, matcher

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def _panel(title: str, targets: list[tuple[str, str]], unit: str = "short", threshold: Optional[float] = None,
           below_is_bad: bool = False, kind: str = "timeseries") -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "red" if below_is_bad else "green", "value": None}]
    if threshold is not None:
        steps.append({"color": "green" if below_is_bad else "red", "value": threshold})
    return {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend, "datasource": DATASOURCE} for i, (expr, legend) in enumerate(targets)],
        "fieldConfig": {
            "defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps},
                         "custom": {"thresholdsStyle": {"mode": "line" if threshold is not None else "off"}}},
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else {},
    }


def _row(title: str) -> dict[str, Any]:
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def panels(alerts: Any) -> list[dict[str, Any]]:
    """Rows and panels in display order (positions are assigned by :func:`dashboard`)."""
    q = Queries(alerts.selector, alerts.window)
    w = alerts.window
    return [
        _row("Traffic and latency"),
        _panel("Requests per second", [(q.predict_rate(), "predict"), (f"sum by (endpoint) ({q.rate('lightship_request_duration_seconds_count')})", "{{endpoint}}")], "reqps"),
        _panel("/predict latency", [(q.latency_quantile(0.5), "p50"), (q.latency_quantile(0.99), "p99")], "s", alerts.latency_p99_seconds),
        _panel("p99 by stage", [(q.stage_p99(), "{{stage}}")], "s"),
        _panel("Errors and sheds (fraction of requests)", [(q.error_ratio(), "5xx"), (q.shed_ratio(), "shed")], "percentunit",
               min(alerts.max_error_rate, alerts.max_shed_rate)),
        _panel("Refused inputs (4xx) by reason", [(f"sum by (reason) ({q.rate('lightship_rejected_requests_total')})", "{{reason}}")], "reqps"),
        _row("Model quality"),
        _panel("Mean confidence", [(q.mean_confidence(), "mean confidence")], "percentunit", alerts.min_mean_confidence, below_is_bad=True),
        _panel("Predicted-class mix", [(q.class_share(w), "{{label}}")], "percentunit"),
        _panel("Class-mix shift vs " + alerts.class_mix_baseline + " ago",
               [(q.class_mix_shift(alerts.class_mix_window, alerts.class_mix_baseline), "largest change")], "percentunit", alerts.max_class_mix_shift),
        _panel("Live accuracy (feedback)", [(f"max({q.s('lightship_live_accuracy')})", "accuracy"), (q.labelled(), "labelled")], "short"),
        _panel(f"Live recall of '{alerts.high_risk_label}'", [(q.recall(alerts.high_risk_label), alerts.high_risk_label)], "percentunit",
               alerts.min_high_risk_recall, below_is_bad=True),
        _panel("Live recall by class", [(f"max by (label) ({q.s('lightship_live_recall')})", "{{label}}")], "percentunit"),
        _panel("Estimated without labels (per drift window) vs feedback accuracy", [
            (q.estimated_accuracy(), "estimated accuracy"), (f"min({q.s('lightship_estimated_high_risk_recall')})", f"estimated recall of '{alerts.high_risk_label}'"),
            (f"max({q.s('lightship_live_accuracy')})", "feedback accuracy"),
        ], "percentunit", alerts.min_estimated_accuracy, below_is_bad=True),
        _row("Shadow: the challenger on live traffic (serve.shadow)"),
        _panel("Agreement with the champion", [(f"max({q.s('lightship_shadow_agreement')})", "agreement")], "percentunit"),
        _panel("Champion vs challenger labels (requests both answered)",
               [(f"max by (champion_label, challenger_label) ({q.s('lightship_shadow_confusion')})", "{{champion_label}} -> {{challenger_label}}")],
               "short", kind="table"),
        _panel("Live accuracy per version (labelled overlap)", [
            (f"max by (role, version) ({q.s('lightship_shadow_live_accuracy')})", "{{role}} v{{version}}"),
            (f"max by (labelled) ({q.s('lightship_shadow_pairs')})", "pairs labelled={{labelled}}"),
        ], "short"),
        _panel(f"Live recall of '{alerts.high_risk_label}' per version (labelled overlap)",
               [(f"max by (role, version) ({q.s('lightship_shadow_high_risk_recall', matcher('label', alerts.high_risk_label))})", "{{role}} v{{version}}")],
               "percentunit", alerts.min_high_risk_recall, below_is_bad=True),
        _panel("Challenger latency per mirrored batch", [(q.quantile(0.5, "lightship_shadow_latency_seconds"), "p50"),
                                                          (q.quantile(0.99, "lightship_shadow_latency_seconds"), "p99")], "s"),
        _panel("Mirrored, dropped (queue full), failed; challenger loads", [
            (f"sum by (outcome) ({q.rate('lightship_shadow_requests_total')})", "{{outcome}}"),
            (f"sum by (outcome) (increase({q.s('lightship_shadow_loads_total')}[1h]))", "loads {{outcome}} / 1h"),
        ], "short"),
        _row("Drift"),
        _panel("Drift detected", [(q.drift_detected(), "drift")], "short", 1, kind="stat"),
        _panel("Drift statistic by feature", [(f"max by (feature) ({q.s('lightship_drift_statistic')})", "{{feature}}")], "short"),
        _panel("Drift p-value by feature", [(f"min by (feature) ({q.s('lightship_drift_p_value')})", "{{feature}}")], "short"),
        _panel("Drift windows", [(f"sum by (drifted) ({q.rate('lightship_drift_windows_total', window='1h')})", "drifted={{drifted}}")], "short"),
        _row("Runtime and resources"),
        _panel("Batch size (rows, tokens)", [
            (f"sum({q.rate('lightship_batch_rows_sum')}) / sum({q.rate('lightship_batch_rows_count')})", "rows / batch"),
            (f"sum({q.rate('lightship_batch_tokens_sum')}) / sum({q.rate('lightship_batch_tokens_count')})", "padded tokens / batch"),
        ], "short"),
        _panel("Model and provider per worker", [
            (f"max by (version, alias) ({q.s('lightship_model_info')})", "v{{version}} @{{alias}}"),
            (f"sum by (requested, in_use) ({q.s('lightship_runtime_provider_info')})", "{{requested}} -> {{in_use}}"),
        ], "short"),
        _panel("GPU fallback (workers on CPU that asked for CUDA)", [(q.gpu_fallback(), "workers"),
               (f"sum(increase({q.s('lightship_runtime_fallback_total')}[1h]))", "fallbacks / 1h")], "short", 1),
        _panel("CPU per process", [(f"sum by (pid, role) ({q.s('lightship_process_cpu_percent')})", "{{role}} {{pid}}")], "percent"),
        _panel("Resident memory per process", [(f"sum by (pid, role) ({q.s('lightship_process_resident_memory_bytes')})", "{{role}} {{pid}}")], "bytes"),
        _panel("GPU", [(f"max by (gpu) ({q.s('lightship_gpu_utilization_ratio')})", "busy {{gpu}}"),
                       (f"max by (gpu) ({q.s('lightship_gpu_memory_used_bytes')})", "memory {{gpu}}")], "short"),
    ]


def dashboard(alerts: Any) -> dict[str, Any]:
    """The dashboard JSON model: two panels per line, a full-width header per row."""
    laid_out, x, y = [], 0, 0
    for panel_id, panel in enumerate(panels(alerts), start=1):
        if panel["type"] == "row":
            y += 8 if x else 0
            x = 0
            panel["gridPos"] = {"h": 1, "w": 24, "x": 0, "y": y}
            y += 1
        else:
            panel["gridPos"] = {"h": 8, "w": 12, "x": x, "y": y}
            x, y = (12, y) if x == 0 else (0, y + 8)
        laid_out.append({"id": panel_id, **panel})
    return {
        "uid": "lightship-serving",
        "title": "lightship serving",
        "tags": ["lightship"],
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "timezone": "browser",
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "annotations": {"list": []},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus", "current": {}}]},
        "panels": laid_out,
    }
