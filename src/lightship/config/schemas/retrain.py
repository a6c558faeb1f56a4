"""Schemas of the ``retrain`` group: when a new model is trained and how it is promoted.

Each option names its policy class in ``_target_`` (``lightship.retraining.policies``);
the class receives the fields below as keyword arguments. ``task=retrain`` and
``task=backtest`` use the same policy; the rules are in ``docs/retraining.md``.
"""

from dataclasses import dataclass

from omegaconf import MISSING

GROUP = "retrain"


@dataclass
class RetrainConfig:
    """Fields every retraining policy has; ``_target_`` names its policy class."""

    _target_: str = MISSING
    name: str = MISSING
    # New labelled rows (since the model in service was trained) needed before any retrain is considered.
    min_labelled_rows: int = 200
    # task=retrain: the challenger trains on the labelled feedback of the last ``fresh_window_days``.
    fresh_window_days: float = 28.0
    # task=retrain: decisions are appended to this JSON-lines file in the run folder.
    decisions_log: str = "decisions.jsonl"
    # Promotion on live evidence: a challenger that passes the gates goes to @<tracking.challenger_alias> (not promoted);
    # task=promote (or the next task=retrain) promotes, retires or keeps it from the labelled requests both versions answered.
    shadow: bool = False
    # Level of the one-sided exact McNemar test that retires a challenger significantly worse than the champion.
    shadow_alpha: float = 0.05
    # Labelled requests both versions answered before a challenger that is not worse is promoted.
    shadow_min_labelled: int = 200


@dataclass
class PeriodicConfig(RetrainConfig):
    interval_days: float = 14.0


@dataclass
class DriftTriggeredConfig(RetrainConfig):
    consecutive_windows: int = 2
    cooldown_days: float = 7.0


@dataclass
class OnlineConfig(RetrainConfig):
    # Older labelled rows kept (uniform reservoir sample) and the share of each update batch drawn from them.
    replay_buffer_size: int = 2000
    replay_fraction: float = 0.5
    # Bound on compute per update: optimizer steps, and passes over the new rows within it.
    max_steps_per_update: int = 100
    passes: int = 2


SCHEMAS = {
    "retrain_schema": RetrainConfig,
    "periodic_schema": PeriodicConfig,
    "drift_triggered_schema": DriftTriggeredConfig,
    "online_schema": OnlineConfig,
}
