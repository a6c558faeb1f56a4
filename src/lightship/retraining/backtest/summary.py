"""``backtest.json``: the per-window records and the summary a person compares policies by."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from lightship.monitoring.estimation import ESTIMATED_ACCURACY
from lightship.retraining.backtest.engine import BacktestResult, BacktestSettings

BACKTEST_FILE = "backtest.json"


def summarize(result: BacktestResult, change_point: Optional[datetime], settings: BacktestSettings) -> dict[str, Any]:
    """Mean, post-change and worst accuracy, windows below the floor, retrains and training seconds.

    ``retrains`` counts every window after which the model changed (a full retrain or an
    online update; ``full_retrains`` and ``updates`` split it). ``post_drift_accuracy`` averages the windows that start at or after the stream's first
    change point (None when it is unknown). ``train_seconds`` counts the retrains and
    updates during the replay; the warm-up model every policy starts from is reported apart.
    ``estimation_mae`` is the mean absolute gap between each window's realised accuracy and its
    label-free estimate (``estimated_accuracy``, :mod:`lightship.monitoring.estimation`).
    The alarm's lead over the damage is in :func:`alarm_lead`.
    """
    accuracy_floor = settings.accuracy_floor
    accuracies = [window["accuracy"] for window in result.windows]
    after = [w["accuracy"] for w in result.windows if change_point is not None and pd.Timestamp(w["start"]) >= pd.Timestamp(change_point)]
    return {
        "mean_accuracy": _mean(accuracies),
        "post_drift_accuracy": _mean(after),
        "worst_accuracy": min(accuracies) if accuracies else None,
        "mean_estimated_accuracy": _mean([w[ESTIMATED_ACCURACY] for w in result.windows if w.get(ESTIMATED_ACCURACY) is not None]),
        "estimation_mae": _mean([abs(w["accuracy"] - w[ESTIMATED_ACCURACY]) for w in result.windows if w.get(ESTIMATED_ACCURACY) is not None]),
        "windows_below_floor": sum(accuracy < accuracy_floor for accuracy in accuracies),
        "degraded_windows": sum(bool(window.get("degraded")) for window in result.windows),
        "accuracy_floor": accuracy_floor,
        "retrains": sum(window["retrained"] for window in result.windows),
        "full_retrains": sum(window["action"] == "retrain" for window in result.windows),
        "updates": sum(window["action"] == "update" for window in result.windows),
        "drifted_windows": sum(window["drifted"] for window in result.windows),
        "train_seconds": round(sum(window["train_seconds"] for window in result.windows), 3),
        "warmup_train_seconds": round(result.warmup_train_seconds, 3),
        "windows": len(result.windows),
        "change_point": None if change_point is None else pd.Timestamp(change_point).isoformat(),
        "high_risk_recall_floor": settings.high_risk_recall_floor,
        **alarm_lead(result.windows, settings.window_days),
    }


def alarm_lead(windows: list[dict[str, Any]], window_days: float) -> dict[str, Any]:
    """How long before the damage the drift report said something new had arrived.

    ``first_alarm_window``: the first window whose drift report names a category the model
    never trained on (``new_categories``); ``first_degraded_window``: the first window below a floor
    (``degraded``); ``alarm_lead_windows``: their difference (positive: the alarm came first),
    also in days. Indices are the windows' ``window`` numbers; None when it never happened.
    """
    alarm = next((w["window"] for w in windows if w.get("new_categories")), None)
    degraded = next((w["window"] for w in windows if w.get("degraded")), None)
    lead = None if alarm is None or degraded is None else degraded - alarm
    return {
        "first_alarm_window": alarm,
        "first_degraded_window": degraded,
        "alarm_lead_windows": lead,
        "alarm_lead_days": None if lead is None else lead * window_days,
    }


def _mean(values: list[float]) -> Optional[float]:
    return float(sum(values) / len(values)) if values else None


def write_backtest(result: BacktestResult, summary: dict[str, Any], folder: Path, **context: Any) -> Path:
    """Write ``backtest.json`` (``policy``, ``windows``, ``summary`` and the run's context) into ``folder``."""
    path = Path(folder) / BACKTEST_FILE
    payload = {"policy": result.policy, **context, "windows": result.windows, "summary": summary}
    path.write_text(json.dumps(payload, indent=2, allow_nan=False, default=str), encoding="utf-8")
    return path
