"""``task=backtest``: replay a timestamped stream under the ``retrain`` policy; write ``backtest.json``.

Uses the composed config as ``task=train`` would (data, model, trainer, drift), with
the compute budget and windows of ``backtest.*``. Models stay in memory (no ONNX export
or MLflow per window): the figures compare policies, they do not ship a model.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from lightship.config.targets import instantiate
from lightship.tasks.context import output_dir

log = logging.getLogger(__name__)

DECISIONS_FILE = "decisions.jsonl"


def stream_config(cfg: DictConfig) -> DictConfig:
    """``cfg.data``, with the built-in stream's drift set to ``backtest.stream_drift`` when it has none."""
    data = cfg.data.copy()
    kind = OmegaConf.select(data, "drift.kind", default=None)
    if kind is not None and getattr(kind, "value", kind) == "none" and cfg.backtest.stream_drift != "none":
        data.drift.kind = cfg.backtest.stream_drift
    return data


def model_config(cfg: DictConfig) -> DictConfig:
    """``cfg.model`` shrunk by ``backtest.model`` (only the keys it has): a replay retrains many times."""
    model = cfg.model.copy()
    for key, value in cfg.backtest.model.items():
        if key in model:
            model[key] = value
    return model


def change_point(cfg: DictConfig, source: Any) -> Optional[pd.Timestamp]:
    """``backtest.change_point`` when given, else the one the data source knows (the built-in stream)."""
    if cfg.backtest.change_point:
        return pd.Timestamp(cfg.backtest.change_point)
    return getattr(source, "change_point", None)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Replay, summarize, write ``backtest.json`` and ``decisions.jsonl`` in the run folder; return the summary."""
    from lightship.retraining.backtest.engine import BacktestSettings, replay_stream
    from lightship.retraining.backtest.learner import Learner
    from lightship.retraining.backtest.summary import summarize, write_backtest
    from lightship.retraining.decision import DecisionLog

    allowed = list(cfg.allowed_targets)
    out = output_dir()
    settings = cfg.backtest
    source = instantiate(stream_config(cfg), allowed, seed=cfg.seed)
    stream, _ = source.load()
    policy = instantiate(cfg.retrain, allowed)
    trainer_cfg = cfg.trainer.copy()
    trainer_cfg.max_epochs = int(settings.max_epochs)
    trainer_cfg.enable_progress_bar = False
    learner = Learner(instantiate(model_config(cfg), allowed), trainer_cfg, cfg.data, cfg.seed, lambda: instantiate(cfg.drift, allowed))
    high_risk = cfg.data.high_risk_label if cfg.data.high_risk_label in set(stream["label"]) else None
    result = replay_stream(
        stream,
        policy,
        learner,
        BacktestSettings(settings.window_days, settings.warmup_days, settings.train_window_days, settings.accuracy_floor, settings.min_window_rows),
        high_risk,
        DecisionLog(out / DECISIONS_FILE),
    )
    summary = summarize(result, change_point(cfg, source), settings.accuracy_floor)
    path = write_backtest(
        result, summary, out, data=source.description, model=cfg.model.name, drift=cfg.drift.name, high_risk_label=high_risk
    )
    log.info("Backtest of retrain=%s: %s (%s)", policy.name, summary, path)
    report(policy.name, summary)
    return {"output_dir": str(out), "backtest": str(path), "summary": summary}


def report(policy: str, summary: dict[str, Any]) -> None:
    """Print the summary as a table (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"lightship backtest: retrain={policy}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    Console(stderr=True).print(table)
