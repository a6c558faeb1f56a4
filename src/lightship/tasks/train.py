"""``task=train``: prepare the configured data, then run the release pipeline on it.

data -> fit -> ONNX export + parity -> bundle -> MLflow run, registered version, and the
champion alias when the promotion gates pass (see :mod:`lightship.release.pipeline`).
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from lightship.config.targets import instantiate
from lightship.tasks.context import output_dir


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train, export, verify, record and (when the gates pass) promote. Returns a summary."""
    from lightship.release.pipeline import release

    data = instantiate(cfg.data, list(cfg.allowed_targets), seed=cfg.seed).prepare()
    return release(cfg, data, output_dir())
