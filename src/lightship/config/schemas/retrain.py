"""Schemas of the ``retrain`` group: when a new model is trained and how it is promoted."""

from dataclasses import dataclass

from omegaconf import MISSING

GROUP = "retrain"


@dataclass
class RetrainConfig:
    """Fields every retraining policy has; ``_target_`` names its policy class."""

    _target_: str = MISSING
    name: str = MISSING
    # Labelled rows needed before any retrain is considered.
    min_labelled_rows: int = 200


@dataclass
class PeriodicConfig(RetrainConfig):
    interval_days: float = 14.0


@dataclass
class DriftTriggeredConfig(RetrainConfig):
    consecutive_windows: int = 2
    cooldown_days: float = 7.0


@dataclass
class OnlineConfig(RetrainConfig):
    replay_buffer_size: int = 2000
    replay_fraction: float = 0.5
    max_steps_per_update: int = 100


SCHEMAS = {
    "retrain_schema": RetrainConfig,
    "periodic_schema": PeriodicConfig,
    "drift_triggered_schema": DriftTriggeredConfig,
    "online_schema": OnlineConfig,
}
