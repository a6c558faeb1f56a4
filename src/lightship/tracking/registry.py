"""The model registry: versions of a bundle, the champion alias, reasons tagged on versions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

log = logging.getLogger(__name__)

TAG_STATUS, TAG_REASON = "lightship.promotion", "lightship.reason"


class Registry:
    """Registered-model operations for one model name."""

    def __init__(self, tracking_uri: str, model_name: str, alias: str) -> None:
        from mlflow import MlflowClient

        self.tracking_uri = tracking_uri
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self.model_name = model_name
        self.alias = alias

    def register(self, source: str, run_id: str, tags: Optional[dict[str, str]] = None) -> str:
        """Create a version whose source is the run's bundle artifacts; return its number."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.create_registered_model(self.model_name)
        except MlflowException:
            pass  # already exists
        version = self.client.create_model_version(self.model_name, source=source, run_id=run_id, tags=tags or {})
        return str(version.version)

    def champion_version(self) -> Optional[str]:
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(self.model_name, self.alias).version)
        except MlflowException:
            return None

    def download(self, version: str, destination: Path) -> Path:
        """Download a version's bundle folder."""
        import mlflow.artifacts

        source = self.client.get_model_version_download_uri(self.model_name, version)
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=str(destination), tracking_uri=self.tracking_uri))

    def promote(self, version: str, reason: str) -> Optional[str]:
        """Point the alias at ``version``; tag it and the version it replaces. Return the old version."""
        previous = self.champion_version()
        self.client.set_registered_model_alias(self.model_name, self.alias, version)
        self.tag(version, "promoted", reason)
        if previous and previous != version:
            self.tag(previous, "replaced", f"replaced by version {version}")
        return previous

    def tag(self, version: str, status: str, reason: str) -> None:
        self.client.set_model_version_tag(self.model_name, version, TAG_STATUS, status)
        self.client.set_model_version_tag(self.model_name, version, TAG_REASON, reason[:5000])

    def version_tags(self, version: str) -> dict[str, Any]:
        return dict(self.client.get_model_version(self.model_name, version).tags)

    def alias_version(self, alias: Optional[str] = None) -> Optional[str]:
        """The version an alias (default: this registry's alias) points at, or None when unset."""
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(self.model_name, alias or self.alias).version)
        except MlflowException:
            return None

    def version_details(self, version: str) -> dict[str, Any]:
        """What a served model reports about itself: run, source, aliases, tags, creation time."""
        found = self.client.get_model_version(self.model_name, version)
        return {
            "name": self.model_name,
            "version": str(found.version),
            "run_id": found.run_id,
            "source": found.source,
            "aliases": list(getattr(found, "aliases", []) or []),
            "tags": dict(found.tags),
            "created_ms": found.creation_timestamp,
        }
