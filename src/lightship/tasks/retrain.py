"""``task=retrain``: read the state, let the ``retrain`` policy decide, and act safely.

1. State: the champion's registration time (registry), the drift verdicts logged since
   (``drift.events_log``), the labelled feedback since (``serve.store_path``).
2. Decide with the configured policy; the decision and its reason go to
   ``<run folder>/decisions.jsonl`` and to an MLflow run (tags ``lightship.decision``,
   ``lightship.reason``), "no retrain" included.
3. When it acts: train a challenger from the same config on the fresh labelled window
   (``retrain.fresh_window_days``; for an online ``update``, the new rows plus a uniform
   replay sample of at most ``retrain.replay_buffer_size`` older rows: bundles carry the
   ONNX graph, not PyTorch weights, so a production update retrains rather than warm-starts) through ``task=train``'s pipeline, which compares
   champion and challenger on the same newest holdout and moves the alias only when
   every gate passes. A failure before registration leaves the registry untouched;
   the outcome (promoted, challenger, rejected, failed) is logged after the decision.

With ``retrain.shadow=true`` a challenger that passes the gates goes under
``@<tracking.challenger_alias>`` instead (outcome ``challenger``), where the service answers a copy
of the traffic with it; while one is there, a run judges it on live evidence
(:mod:`lightship.promotion.live_evidence`: promote, retire or wait) instead of steps 1-3.

Run it on a schedule (cron, systemd timer, Kubernetes CronJob): see ``docs/retraining.md``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import pandas as pd
from omegaconf import DictConfig

from lightship.config.targets import instantiate
from lightship.data.splits import TIME
from lightship.retraining.decision import Action, Decision, DecisionLog
from lightship.retraining.sources import FEEDBACK_AT
from lightship.retraining.state import RetrainState
from lightship.tasks.context import output_dir

log = logging.getLogger(__name__)


def gather_state(cfg: DictConfig, registry: Any, feedback: Any, now: datetime, source: Any) -> tuple[RetrainState, pd.DataFrame, Optional[str]]:
    """The policy's state, the labelled feedback of the fresh window (in ``source``'s columns), and the champion version."""
    from lightship.retraining.sources import (
        champion_trained_at,
        feedback_frame,
        read_drift_events,
    )

    version, trained_at = champion_trained_at(registry)
    window_start = now - timedelta(days=float(cfg.retrain.fresh_window_days))
    oldest = min(window_start, trained_at) if trained_at else window_start
    labelled = feedback_frame(feedback, source.inputs_frame, oldest, now)
    since_training = labelled if trained_at is None else labelled[labelled[FEEDBACK_AT] >= trained_at]
    state = RetrainState(
        now=now,
        last_trained_at=trained_at,
        drift_events=read_drift_events(Path(cfg.drift.events_log), since=trained_at),
        labelled_rows=len(since_training),
    )
    return state, labelled, version


def training_rows(decision: Decision, labelled: pd.DataFrame, state: RetrainState, window_start: datetime, seed: int) -> pd.DataFrame:
    """Rows the challenger trains on: the fresh window, or for an update the new rows plus a replay sample."""
    columns = [column for column in labelled.columns if column != FEEDBACK_AT]
    if decision.action is Action.update and decision.update is not None and state.last_trained_at is not None:
        new = labelled[labelled[FEEDBACK_AT] >= state.last_trained_at]
        older = labelled[labelled[FEEDBACK_AT] < state.last_trained_at]
        replayed = older.sample(n=min(len(older), decision.update.replay_buffer_size), random_state=seed)
        return pd.concat([replayed[columns], new[columns]], ignore_index=True).sort_values(TIME, kind="stable")
    return labelled[labelled[FEEDBACK_AT] >= window_start][columns].reset_index(drop=True)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Decide, record, and (when the policy acts) train, gate and maybe promote a challenger."""
    from lightship.retraining.challenger import train_challenger
    from lightship.retraining.sources import NoFeedback
    from lightship.serving.store import PredictionStore
    from lightship.tracking.registry import Registry
    from lightship.tracking.runs import RunRecorder
    from lightship.tracking.uri import resolve_tracking_uri

    allowed = list(cfg.allowed_targets)
    out = output_dir()
    policy = instantiate(cfg.retrain, allowed)
    data_source = instantiate(cfg.data, allowed, seed=cfg.seed)
    decisions = DecisionLog(out / cfg.retrain.decisions_log)
    uri = resolve_tracking_uri(cfg.tracking.uri)
    registry = Registry(uri, cfg.tracking.model_name, cfg.tracking.champion_alias)
    if cfg.retrain.shadow and registry.alias_version(str(cfg.tracking.challenger_alias)) is not None:
        from lightship.promotion.live_evidence import settle

        # One challenger at a time: this run judges the one in shadow; the next run may train another.
        return {"live_evidence": settle(cfg, out, "retrain"), "output_dir": str(out)}
    store_path = Path(cfg.serve.store_path)
    store = PredictionStore(store_path) if store_path.is_file() else None
    feedback = store if store is not None else NoFeedback()
    now = datetime.now(timezone.utc)
    try:
        state, labelled, champion = gather_state(cfg, registry, feedback, now, data_source)
    finally:
        if store is not None:
            store.close()
    decision = policy.decide(state)
    decisions.append(decision, event="decision", champion_version=champion, store=str(store_path))
    log.info("retrain=%s decided %s: %s", policy.name, decision.action.value, decision.reason)

    recorder = RunRecorder(uri, cfg.tracking.experiment_name)
    recorder.start(
        run_name=f"retrain-{policy.name}-{out.name}",
        tags={
            "lightship.task": "retrain",
            "lightship.policy": policy.name,
            "lightship.decision": decision.action.value,
            "lightship.reason": decision.reason[:5000],
            "lightship.champion_before": str(champion),
            "lightship.output_dir": str(out),
        },
    )
    with recorder.finishing():  # whatever fails from here, the run ends FAILED, never left RUNNING
        recorder.log_metrics({key: value for key, value in decision.facts.items() if isinstance(value, (int, float))})
        summary: dict[str, Any] = {"decision": decision.to_dict(), "output_dir": str(out), "champion_before": champion}
        if not decision.acts:
            return summary
        try:
            rows = training_rows(decision, labelled, state, now - timedelta(days=float(cfg.retrain.fresh_window_days)), cfg.seed)
            result = train_challenger(cfg, rows, data_source)
        except BaseException as error:
            decisions.append(decision, event="outcome", outcome="failed", error=f"{type(error).__name__}: {error}")
            recorder.set_tags({"lightship.outcome": "failed", "lightship.error": str(error)[:5000]})
            raise
        outcome = ("promoted" if result.get("promoted") else "challenger" if result.get("challenger_alias")
                   else "rejected" if "version" in result else "not registered")
        decisions.append(
            decision, event="outcome", outcome=outcome, challenger_version=result.get("version"),
            challenger_run_id=result.get("run_id"), gate_reasons=result.get("gate_reasons", []), training_rows=len(rows),
        )
        recorder.set_tags({"lightship.outcome": outcome, "lightship.challenger_version": str(result.get("version")), "lightship.challenger_run_id": result.get("run_id")})
        summary.update(outcome=outcome, challenger=result)
    return summary
