"""Hydra callbacks for tracking."""

from __future__ import annotations

import logging
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)


class PrepareTrackingStore(Callback):
    """Create (migrate) the tracking store and experiment once, before a sweep's jobs start.

    Parallel jobs (joblib, submitit) that open a fresh SQLite store at the same moment
    race on its schema migration; doing it once in the launching process avoids that.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from lightship.tracking.runs import RunRecorder
        from lightship.tracking.uri import resolve_tracking_uri

        tracking = config.get("tracking")
        if tracking is None:
            return
        uri = resolve_tracking_uri(tracking.get("uri"))
        RunRecorder(uri, tracking.experiment_name)
        log.info("Tracking store ready: %s (experiment %s)", uri, tracking.experiment_name)
