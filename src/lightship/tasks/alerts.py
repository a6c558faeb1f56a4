"""``task=alerts``: write Prometheus alert rules and a Grafana dashboard into the run folder.

Thresholds come from the ``alerts`` config node (``lightship task=alerts
alerts.latency_p99_seconds=0.25 alerts.selector='job="lightship"'``); the files are
``alerts.rules_file`` and ``alerts.dashboard_file``. Load the rules with Prometheus'
``rule_files`` and import the dashboard in Grafana (docs/operations.md).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from omegaconf import DictConfig

log = logging.getLogger(__name__)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Write both files; return their paths and the alert names."""
    from lightship.operations.dashboard import dashboard
    from lightship.operations.rules import alert_rules, write_rules
    from lightship.tasks.context import output_dir

    alerts = cfg.alerts
    out = output_dir()
    rules_path, dashboard_path = out / alerts.rules_file, out / alerts.dashboard_file
    write_rules(alerts, rules_path)
    dashboard_path.write_text(json.dumps(dashboard(alerts), indent=2))
    names = [rule.name for rule in alert_rules(alerts)]
    log.info("Wrote %d alert rules to %s and the dashboard to %s", len(names), rules_path, dashboard_path)
    return {"rules": str(rules_path), "dashboard": str(dashboard_path), "alerts": names}
