"""task=alerts: the rules pass promtool (syntax and a unit test that fires each alert), the dashboard is a Grafana model."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from lightship.config.validation import compose_config
from lightship.operations.queries import BENTOML_REQUESTS, SERIES

REPO = Path(__file__).resolve().parents[1]
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt-get install prometheus; .ci/run installs it)")
METRIC = re.compile(r"\b((?:lightship|bentoml)_[a-z0-9_]+)")
ALERTS = ["LightshipLatencyP99High", "LightshipErrorRateHigh", "LightshipSheddingLoad", "LightshipConfidenceCollapse",
          "LightshipClassMixShift", "LightshipHighRiskRecallLow", "LightshipGpuFallback", "LightshipDriftDetected",
          "LightshipEstimatedAccuracyLow"]


def exported_series() -> set[str]:
    """Series names the service exports, read from telemetry.py and shadow_metrics.py (counters get ``_total``, histograms their suffixes)."""
    source = "".join((REPO / "src" / "lightship" / "serving" / name).read_text() for name in ("telemetry.py", "shadow_metrics.py"))
    names: set[str] = set()
    for kind, name in re.findall(r"\b(Counter|Gauge|Histogram|CounterMetricFamily|GaugeMetricFamily)\(\s*\"(lightship_\w+)\"", source):
        if kind.startswith("Counter"):
            names.add(name + "_total")
        elif kind == "Histogram":
            names.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
        else:
            names.add(name)
    return names | {BENTOML_REQUESTS}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from lightship.tasks import run_task
    from lightship_testing import working_directory

    folder = tmp_path_factory.mktemp("alerts")
    with working_directory(folder):
        return run_task(compose_config(["task=alerts"]))


def test_task_writes_both_files_with_one_rule_per_signal(written: dict) -> None:
    rules = yaml.safe_load(Path(written["rules"]).read_text())
    names = [rule["alert"] for group in rules["groups"] for rule in group["rules"]]
    assert names == ALERTS == written["alerts"]
    assert Path(written["dashboard"]).name == "dashboard.json"


def test_thresholds_come_from_config(tmp_path: Path) -> None:
    from lightship.operations.rules import alert_rules

    cfg = compose_config(["task=alerts", "alerts.latency_p99_seconds=0.25", "alerts.selector='job=\"prod\"'"])
    latency = alert_rules(cfg.alerts)[0]
    assert latency.expr.endswith("> 0.25") and 'job="prod"' in latency.expr
    # The estimated-accuracy alert reads the one accuracy floor (backtest.accuracy_floor).
    floor = compose_config(["task=alerts", "backtest.accuracy_floor=0.7"]).alerts
    estimated = next(rule for rule in alert_rules(floor) if rule.name == "LightshipEstimatedAccuracyLow")
    assert estimated.expr == "min(lightship_estimated_accuracy) < 0.7"


def test_every_query_names_an_exported_series(written: dict) -> None:
    exported = exported_series()
    assert {"lightship_drift_detected", "lightship_drift_windows_total", "lightship_predictions_total"} <= exported
    board = json.loads(Path(written["dashboard"]).read_text())
    exprs = [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]
    rules = yaml.safe_load(Path(written["rules"]).read_text())
    exprs += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in exprs for name in METRIC.findall(expr)}
    assert used and used <= exported, f"not exported: {sorted(used - exported)}"
    assert {name for name in SERIES} <= {re.sub(r"_(bucket|sum|count)$", "", n) for n in exported} | exported


def test_dashboard_is_a_grafana_model(written: dict) -> None:
    board = json.loads(Path(written["dashboard"]).read_text())
    assert {"uid", "title", "schemaVersion", "panels", "templating", "time", "version", "annotations"} <= set(board)
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    graphs = [panel for panel in board["panels"] if panel["type"] != "row"]
    assert len(graphs) >= 15
    for panel in graphs:
        assert {"title", "gridPos", "datasource", "targets", "fieldConfig"} <= set(panel)
        assert panel["gridPos"]["w"] <= 24 and all(target["expr"] and target["refId"] for target in panel["targets"])


@needs_promtool
def test_promtool_checks_the_rules(written: dict) -> None:
    done = subprocess.run([PROMTOOL, "check", "rules", written["rules"]], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(ALERTS)} rules found" in done.stdout


def _case(series: dict[str, str], eval_time: str, alert: str, severity: str, interval: str = "1m") -> dict:
    return {
        "interval": interval,
        "input_series": [{"series": name, "values": values} for name, values in series.items()],
        "alert_rule_test": [{"eval_time": eval_time, "alertname": alert, "exp_alerts": [{"exp_labels": {"severity": severity, "service": "lightship"}}]}],
    }


def firing_cases() -> list[dict]:
    """One synthetic scenario per alert (default thresholds), each firing exactly its alert."""
    predict = 'endpoint="predict"'
    return [
        _case({f'lightship_request_duration_seconds_bucket{{{predict},le="0.1"}}': "0+10x30",
               f'lightship_request_duration_seconds_bucket{{{predict},le="1"}}': "0+100x30",
               f'lightship_request_duration_seconds_bucket{{{predict},le="+Inf"}}': "0+100x30"}, "15m", "LightshipLatencyP99High", "page"),
        _case({'bentoml_service_request_total{http_response_code="500"}': "0+5x30",
               'bentoml_service_request_total{http_response_code="200"}': "0+95x30"}, "15m", "LightshipErrorRateHigh", "page"),
        _case({f"lightship_shed_requests_total{{{predict}}}": "0+10x30",
               f"lightship_request_duration_seconds_count{{{predict}}}": "0+90x30"}, "15m", "LightshipSheddingLoad", "page"),
        _case({"lightship_prediction_confidence_sum": "0+30x30", "lightship_prediction_confidence_count": "0+100x30"},
              "15m", "LightshipConfidenceCollapse", "ticket"),
        # Ten-minute samples over a day and more: billing falls from half of the predictions to a sixth.
        _case({'lightship_predictions_total{label="billing"}': "0+10x144 1440+2x20", 'lightship_predictions_total{label="fraud"}': "0+10x164"},
              "26h", "LightshipClassMixShift", "ticket", interval="10m"),
        _case({'lightship_live_recall{label="fraud"}': "0.2x30", "lightship_live_labelled": "100x30"}, "15m", "LightshipHighRiskRecallLow", "page"),
        _case({'lightship_runtime_provider_info{requested="cuda",in_use="CPUExecutionProvider"}': "1x30"}, "5m", "LightshipGpuFallback", "ticket"),
        _case({"lightship_drift_detected": "1x40"}, "20m", "LightshipDriftDetected", "ticket"),
        _case({"lightship_estimated_accuracy": "0.6x30"}, "15m", "LightshipEstimatedAccuracyLow", "ticket"),
    ]


def quiet_case() -> dict:
    """A healthy service: none of the alerts fires."""
    predict = 'endpoint="predict"'
    series = {
        f'lightship_request_duration_seconds_bucket{{{predict},le="0.1"}}': "0+100x30",
        f'lightship_request_duration_seconds_bucket{{{predict},le="+Inf"}}': "0+100x30",
        f"lightship_request_duration_seconds_count{{{predict}}}": "0+100x30",
        f"lightship_shed_requests_total{{{predict}}}": "0x30",
        'bentoml_service_request_total{http_response_code="200"}': "0+100x30",
        "lightship_prediction_confidence_sum": "0+90x30", "lightship_prediction_confidence_count": "0+100x30",
        'lightship_live_recall{label="fraud"}': "0.9x30", "lightship_live_labelled": "100x30",
        'lightship_runtime_provider_info{requested="cuda",in_use="CUDAExecutionProvider"}': "1x30",
        "lightship_drift_detected": "0x30",
        "lightship_estimated_accuracy": "0.92x30",
    }
    return {"interval": "1m", "input_series": [{"series": k, "values": v} for k, v in series.items()],
            "alert_rule_test": [{"eval_time": "25m", "alertname": name, "exp_alerts": []} for name in ALERTS]}


@needs_promtool
def test_promtool_fires_each_alert_on_synthetic_series(written: dict, tmp_path: Path) -> None:
    rules = yaml.safe_load(Path(written["rules"]).read_text())
    # Same expressions; annotations (templated with the firing value) are checked by `promtool check rules` above.
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations")
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False, width=1000))
    cases = firing_cases()
    assert sorted(case["alert_rule_test"][0]["alertname"] for case in cases) == sorted(ALERTS)
    test_file = tmp_path / "rules_test.yml"
    test_file.write_text(yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [*cases, quiet_case()]}, sort_keys=False))
    done = subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
