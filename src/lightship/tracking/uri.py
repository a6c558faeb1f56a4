"""Where runs live: ``tracking.uri``, else ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db``."""

from __future__ import annotations

import os
from typing import Optional

DEFAULT_URI = "sqlite:///mlflow.db"


def resolve_tracking_uri(configured: Optional[str] = None) -> str:
    return configured or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI
