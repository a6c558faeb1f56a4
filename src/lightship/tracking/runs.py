"""A thin adapter over ``MlflowClient`` for one run: params, metrics, artifacts, status."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

from lightship.errors import TrackingError
from lightship.tracking.lock import mlflow_client, store_lock

log = logging.getLogger(__name__)

_MAX_PARAM_LENGTH = 6000


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"model": {"lr": 1e-3}}`` -> ``{"model.lr": "0.001"}`` (MLflow params are flat strings)."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(getattr(value, "value", value))[:_MAX_PARAM_LENGTH]
    return flat


class RunRecorder:
    """Create one MLflow run and record into it; ``finish`` sets its final status."""

    def __init__(self, tracking_uri: str, experiment_name: str) -> None:
        """Open the store and find (or create) the experiment; ``TrackingError`` when the store is unusable."""
        from lightship.tracking.uri import check_reachable

        check_reachable(tracking_uri)
        self.tracking_uri = tracking_uri
        try:
            with store_lock(tracking_uri):
                self.client = mlflow_client(tracking_uri)
                self.experiment_id = self._experiment_id(experiment_name)
        except TrackingError:
            raise
        except Exception as exc:
            raise TrackingError(f"tracking store {tracking_uri} cannot be used ({type(exc).__name__}: {str(exc)[:500]})") from exc
        self.run_id: Optional[str] = None

    def _experiment_id(self, name: str) -> str:
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        try:
            return self.client.create_experiment(name)
        except MlflowException:  # created concurrently by a job writing to the same tracking server
            return self.client.get_experiment_by_name(name).experiment_id

    def start(self, run_name: str, tags: Optional[Mapping[str, str]] = None) -> str:
        with store_lock(self.tracking_uri):
            run = self.client.create_run(self.experiment_id, run_name=run_name, tags=dict(tags or {}))
        self.run_id = run.info.run_id
        return self.run_id

    def log_params(self, params: Mapping[str, str]) -> None:
        from mlflow.entities import Param

        items = [Param(key, value) for key, value in params.items()]
        for start in range(0, len(items), 100):
            self.client.log_batch(self.run_id, params=items[start : start + 100])

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(metric_name(key), float(value), now, step) for key, value in metrics.items()]
        self.client.log_batch(self.run_id, metrics=items)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self.client.set_tag(self.run_id, key, str(value))

    def log_artifacts(self, folder: Path, artifact_path: str) -> str:
        """Upload ``folder`` and return the artifact URI it lives at."""
        self.client.log_artifacts(self.run_id, str(folder), artifact_path)
        return f"{self.client.get_run(self.run_id).info.artifact_uri}/{artifact_path}"

    def lightning_logger(self) -> Any:
        """Lightning's MLflow logger bound to this run (per-epoch metrics)."""
        from pytorch_lightning.loggers import MLFlowLogger

        return MLFlowLogger(tracking_uri=self.tracking_uri, run_id=self.run_id, log_model=False)

    @contextmanager
    def finishing(self) -> Iterator[None]:
        """End the run ``FAILED`` when the block raises (Ctrl-C and ``SIGTERM`` included), else ``FINISHED``."""
        try:
            yield
        except BaseException:
            self._mark_failed()
            raise
        self.finish("FINISHED")

    def _mark_failed(self) -> None:
        """End the run ``FAILED``; when the store cannot be reached either, say so and let the first error through.

        Raising here would replace the error that ended the block (a lost server during
        registration, say, with its explanation) by a bare connection error.
        """
        try:
            self.finish("FAILED")
        except Exception as exc:
            log.warning("could not mark MLflow run %s FAILED (%s): it stays RUNNING in the store", self.run_id, exc)

    def finish(self, status: str) -> None:
        if self.run_id is not None:
            self.client.set_terminated(self.run_id, status)


def metric_name(key: str) -> str:
    """``key`` with the characters MLflow refuses in metric names (labels such as ``<=50K``) replaced by ``_``."""
    import re

    return re.sub(r"[^0-9A-Za-z_\-. /]", "_", key)
