"""Replay a timestamped, labelled stream window by window, as production would have seen it.

For each window, in this order:

1. the model in service predicts the window (labels still hidden) -> accuracy and the
   secondary metric (recall of the high-risk class), beside their label-free estimates from
   the calibrated probabilities (:mod:`lightship.monitoring.estimation`);
2. the drift detector compares the model's outputs on the window with its reference;
3. the labels are revealed, and the policy decides on the state (model age, drift
   events and labelled rows since the model was trained, labels it does not know);
4. the decision takes effect for the next window: a retrain on the most recent
   ``train_window_days`` of labels, or an in-place update.

The first ``warmup_days`` train the first model (every policy starts from the same one).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from lightship.data.splits import LABEL, TIME
from lightship.errors import DataError
from lightship.evaluation.metrics import HIGH_RISK_RECALL, classification_metrics
from lightship.monitoring.estimation import estimate_performance, high_risk_index
from lightship.retraining.backtest.learner import Learner
from lightship.retraining.decision import Action, Decision, DecisionLog
from lightship.retraining.policies.base import RetrainPolicy
from lightship.retraining.state import DriftEvent, RetrainState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BacktestSettings:
    """Window length, warm-up and retrain window (``backtest.*``, in days), and the floors a window is degraded below."""

    window_days: float = 7.0
    warmup_days: float = 28.0
    train_window_days: float = 28.0
    accuracy_floor: float = 0.8
    min_window_rows: int = 20
    high_risk_recall_floor: float = 0.0

    @classmethod
    def from_config(cls, backtest: Any) -> "BacktestSettings":
        """From the ``backtest`` config section (the fields of the same names)."""
        return cls(**{name: backtest[name] for name in cls.__dataclass_fields__})

    def degraded(self, window: dict[str, Any]) -> bool:
        """A window whose accuracy, or whose high-risk recall (when it had such rows), is below its floor."""
        recall = window.get(HIGH_RISK_RECALL)
        return window["accuracy"] < self.accuracy_floor or (recall is not None and recall < self.high_risk_recall_floor)


@dataclass
class BacktestResult:
    """Per-window records, the decisions, and the seconds spent training."""

    policy: str
    windows: list[dict[str, Any]] = field(default_factory=list)
    warmup_train_seconds: float = 0.0


def window_metrics(model_labels: list[str], true: pd.Series, predicted_ids: np.ndarray, high_risk: Optional[str]) -> dict[str, Optional[float]]:
    """Accuracy and the high-risk class's recall (None when the window has no such row)."""
    labels = list(model_labels) + sorted(set(true) - set(model_labels))
    true_ids = true.map({name: index for index, name in enumerate(labels)}).to_numpy()
    metrics = classification_metrics(true_ids, predicted_ids, labels, high_risk)
    has_high_risk = high_risk is not None and bool((true == high_risk).any())
    return {"accuracy": metrics["accuracy"], HIGH_RISK_RECALL: metrics[HIGH_RISK_RECALL] if has_high_risk else None}


def score_window(model: Any, rows: pd.DataFrame) -> tuple[list[Any], Any]:
    """The window's raw inputs and the model's predictions on them (``label_ids``: the bundle's decision rule)."""
    inputs = model.inputs(rows)
    return inputs, model.predict(inputs)


def new_categories(report: Any, vocabulary: dict[str, set[str]]) -> dict[str, list[str]]:
    """Per categorical input column, the categories the drift report names as unseen that the model never trained on.

    The report names what its reference sample lacks; a rare category the training split had
    is not new to the model, so only names outside ``vocabulary`` (the bundle's) count.
    Most frequent first.
    """
    found = {}
    for name, known in vocabulary.items():
        result = report.features.get(name)
        unseen = {c: n for c, n in (result.unseen_categories if result is not None else {}).items() if c not in known}
        if unseen:
            found[name] = sorted(unseen, key=lambda c: (-unseen[c], c))
    return found


def replay_stream(
    stream: pd.DataFrame,
    policy: RetrainPolicy,
    learner: Learner,
    settings: BacktestSettings,
    high_risk_label: Optional[str],
    decisions: Optional[DecisionLog] = None,
) -> BacktestResult:
    """Run the backtest described in the module docstring; ``stream`` needs the model's inputs (text or columns), label and time."""
    if TIME not in stream.columns:
        raise DataError("the backtest replays data in time order: the data needs a time column (data.time_column for text files)")
    stream = stream.sort_values(TIME, kind="stable").reset_index(drop=True)
    # Window edges on whole microseconds: they become datetimes (tracking, decisions), which hold no nanoseconds.
    first, last = stream[TIME].min().floor("us"), stream[TIME].max()
    warmup_end = first + pd.Timedelta(days=settings.warmup_days)
    window = pd.Timedelta(days=settings.window_days)
    n_windows = int((last - warmup_end) / window)
    if n_windows < 1:
        raise DataError(
            f"the stream spans {(last - first).days} days: too short for backtest.warmup_days={settings.warmup_days:g} "
            f"plus one window of backtest.window_days={settings.window_days:g}"
        )
    warmup = stream[stream[TIME] < warmup_end]
    model, seconds = learner.retrain(warmup, warmup_end.to_pydatetime())
    learner.observe(warmup)
    result = BacktestResult(policy.name, warmup_train_seconds=seconds)
    events: list[DriftEvent] = []
    for index in range(n_windows):
        start, end = warmup_end + index * window, warmup_end + (index + 1) * window
        rows = stream[(stream[TIME] >= start) & (stream[TIME] < end)]
        if len(rows) < settings.min_window_rows:
            log.info("Window %s has %d rows < backtest.min_window_rows; skipped", start, len(rows))
            continue
        inputs, predictions = score_window(model, rows)
        record: dict[str, Any] = {"window": index, "start": start.isoformat(), "end": end.isoformat(), "rows": len(rows)}
        record.update(window_metrics(model.labels, rows[LABEL], predictions.label_ids, high_risk_label))
        record.update(estimate_performance(predictions.probabilities, predictions.label_ids, high_risk_index(model.labels, high_risk_label)).to_dict())
        report = model.detector.compare(model.feature_frame(inputs, predictions))
        record["drifted"] = bool(report.drifted)
        record["drifted_features"] = list(report.drifted_features)
        record["new_categories"] = new_categories(report, model.vocabulary)
        record["degraded"] = settings.degraded(record)
        events.append(DriftEvent(end.to_pydatetime(), record["drifted"]))

        learner.observe(rows)
        trained_at = pd.Timestamp(model.trained_at)
        since = stream[(stream[TIME] >= trained_at) & (stream[TIME] < end)]
        state = RetrainState(
            now=end.to_pydatetime(),
            last_trained_at=model.trained_at,
            drift_events=[event for event in events if event.at > model.trained_at],
            labelled_rows=len(since),
            unknown_labels=frozenset(set(since[LABEL]) - set(model.labels)),
        )
        decision = policy.decide(state)
        model, seconds = _act(decision, model, learner, stream, since, end, settings)
        record.update(retrained=decision.acts, action=decision.action.value, reason=decision.reason, train_seconds=round(seconds, 3))
        if decisions is not None:
            decisions.append(decision, window_start=record["start"], train_seconds=record["train_seconds"])
        log.info("Window %s: accuracy %.3f, drifted %s, %s (%s)", start.date(), record["accuracy"], record["drifted"], decision.action.value, decision.reason)
        result.windows.append(record)
    return result


def _act(decision: Decision, model: Any, learner: Learner, stream: pd.DataFrame, since: pd.DataFrame, end: pd.Timestamp, settings: BacktestSettings) -> tuple[Any, float]:
    """Carry out a decision; the new or updated model serves from the next window on."""
    if decision.action is Action.retrain:
        recent = stream[(stream[TIME] >= end - pd.Timedelta(days=settings.train_window_days)) & (stream[TIME] < end)]
        return learner.retrain(recent, end.to_pydatetime())
    if decision.action is Action.update and decision.update is not None:
        started = time.perf_counter()
        learner.update(model, since, end.to_pydatetime(), decision.update)
        return model, time.perf_counter() - started
    return model, 0.0
