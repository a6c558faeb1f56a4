"""Where runs live: ``tracking.uri``, else ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db``."""

from __future__ import annotations

import os
from typing import Optional

from lightship.errors import TrackingError

DEFAULT_URI = "sqlite:///mlflow.db"
# How long a tracking server may take to answer the health probe before a run gives up.
PROBE_TIMEOUT_S = 10.0


def resolve_tracking_uri(configured: Optional[str] = None) -> str:
    return configured or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI


def check_reachable(uri: str) -> None:
    """Fail fast, with the URI and what to do, when the store cannot be used.

    MLflow's own client retries an unreachable server with back-off for minutes; a run
    should instead stop before it trains anything it could not record.
    """
    from lightship.tracking.lock import sqlite_path

    how = "Set tracking.uri (or $MLFLOW_TRACKING_URI) to a reachable server or a sqlite:///path/to/mlflow.db in an existing folder."
    database = sqlite_path(uri)
    if database is not None:
        if not database.parent.is_dir():
            raise TrackingError(f"tracking store {uri}: folder {database.parent} does not exist. {how}")
        if not os.access(database if database.exists() else database.parent, os.W_OK):
            raise TrackingError(f"tracking store {uri}: {database if database.exists() else database.parent} is not writable. {how}")
    elif uri.startswith(("http://", "https://")):
        import requests

        try:
            answer = requests.get(f"{uri.rstrip('/')}/health", timeout=PROBE_TIMEOUT_S)
        except requests.RequestException as exc:
            raise TrackingError(f"tracking server {uri} cannot be reached ({type(exc).__name__}: {exc}). {how}") from exc
        if answer.status_code >= 500:
            raise TrackingError(f"tracking server {uri} answered {answer.status_code} to its health check. {how}")
