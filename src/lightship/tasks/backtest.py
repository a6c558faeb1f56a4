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


def replay_config(cfg: DictConfig) -> DictConfig:
    """The config each replayed model trains with: the model shrunk, ``backtest.max_epochs`` epochs, ``backtest.exporter``, no progress bar."""
    replay = cfg.copy()
    replay.model = model_config(cfg)
    replay.export.exporter = cfg.backtest.exporter
    replay.trainer.max_epochs = int(cfg.backtest.max_epochs)
    replay.trainer.enable_progress_bar = False
    return replay


def change_point(cfg: DictConfig, source: Any) -> Optional[pd.Timestamp]:
    """``backtest.change_point`` when given, else the one the data source knows (the built-in stream)."""
    if cfg.backtest.change_point:
        return pd.Timestamp(cfg.backtest.change_point)
    return getattr(source, "change_point", None)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Replay, summarize, write ``backtest.json`` and ``decisions.jsonl`` in the run folder; return the summary."""
    from lightship.retraining.backtest.engine import BacktestSettings, replay_stream
    from lightship.retraining.backtest.learner import Learner, check_updatable
    from lightship.retraining.backtest.summary import summarize, write_backtest
    from lightship.retraining.decision import DecisionLog

    allowed = list(cfg.allowed_targets)
    out = output_dir()
    settings = cfg.backtest
    source = instantiate(stream_config(cfg), allowed, seed=cfg.seed)
    stream, _ = source.load()
    policy = instantiate(cfg.retrain, allowed)
    replay_cfg = replay_config(cfg)
    spec = instantiate(replay_cfg.model, allowed)
    check_updatable(policy, spec, cfg.model.name)
    learner = Learner(replay_cfg, spec, source, lambda: instantiate(cfg.drift, allowed))
    high_risk = cfg.data.high_risk_label if cfg.data.high_risk_label in set(stream["label"]) else None
    windows = BacktestSettings.from_config(settings)
    result = replay_stream(stream, policy, learner, windows, high_risk, DecisionLog(out / DECISIONS_FILE))
    summary = summarize(result, change_point(cfg, source), windows)
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
