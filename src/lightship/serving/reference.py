"""Which model to serve: a registry alias, a registry version or a bundle folder.

Accepted forms (``$LIGHTSHIP_MODEL`` or ``predict.model``)::

    models:/lightship@champion     follow an alias (the service watches it for hot swaps)
    models:/lightship/3            one registered version (fixed)
    path/to/bundle                 a bundle folder (fixed, no tracking store needed)

Unset means ``models:/<tracking.model_name>@<tracking.champion_alias>``.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from lightship.bundle import Bundle
from lightship.errors import LightshipError

_ALIAS = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)$")
_VERSION = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")
ACCEPTED = "models:/<name>@<alias>, models:/<name>/<version> or a bundle folder path"


class ModelNotFound(LightshipError):
    """The reference does not name a model that can be loaded."""


@dataclass(frozen=True)
class ModelReference:
    """A parsed reference; exactly one of ``alias``, ``version`` or ``path`` is set."""

    text: str
    name: Optional[str] = None
    alias: Optional[str] = None
    version: Optional[str] = None
    path: Optional[Path] = None

    @property
    def follows_alias(self) -> bool:
        return self.alias is not None

    @classmethod
    def parse(cls, text: Optional[str], default_name: str, default_alias: str) -> "ModelReference":
        if not text:
            return cls(f"models:/{default_name}@{default_alias}", name=default_name, alias=default_alias)
        if match := _ALIAS.match(text):
            return cls(text, name=match["name"], alias=match["alias"])
        if match := _VERSION.match(text):
            return cls(text, name=match["name"], version=match["version"])
        if text.startswith("models:/"):
            raise ModelNotFound(f"model reference '{text}' is malformed. Accepted: {ACCEPTED}.")
        return cls(text, path=Path(text).expanduser())


@dataclass
class ResolvedModel:
    """A bundle on disk plus what identifies it (name, version, alias, run, source)."""

    bundle: Bundle
    identity: dict[str, Any]
    scratch: Optional[tempfile.TemporaryDirectory] = None

    @property
    def version(self) -> str:
        return str(self.identity.get("version") or "local")

    def release(self) -> None:
        """Remove the downloaded copy (the runtime keeps what it loaded in memory)."""
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None


def registry_for(reference: ModelReference, tracking_uri: str) -> Any:
    from lightship.tracking.registry import Registry

    return Registry(tracking_uri, reference.name or "", reference.alias or "champion")


def current_version(reference: ModelReference, tracking_uri: str) -> Optional[str]:
    """The registry version the reference names now (None for bundle paths or an unset alias)."""
    if reference.path is not None:
        return None
    if reference.version is not None:
        return reference.version
    return registry_for(reference, tracking_uri).alias_version(reference.alias)


def fetch(reference: ModelReference, tracking_uri: str, version: Optional[str] = None) -> ResolvedModel:
    """Download (or open) the bundle the reference names; ``version`` pins what the caller already resolved."""
    if reference.path is not None:
        if not reference.path.is_dir():
            raise ModelNotFound(f"{reference.path}: no such bundle folder. Accepted: {ACCEPTED}.")
        bundle = Bundle.load(reference.path)
        identity = {"name": bundle.manifest.get("model", {}).get("name", reference.path.name), "version": "local", "alias": None, "source": str(reference.path.resolve())}
        return ResolvedModel(bundle, identity)
    version = version or current_version(reference, tracking_uri)
    if version is None:
        raise ModelNotFound(
            f"{reference.text}: alias '{reference.alias}' is not set on model '{reference.name}' in {tracking_uri}. "
            "Train a model that passes the promotion gates (`lightship`), point MLFLOW_TRACKING_URI at the store "
            f"that has one, or set LIGHTSHIP_MODEL ({ACCEPTED})."
        )
    registry = registry_for(reference, tracking_uri)
    try:
        details = registry.version_details(version)
    except Exception as exc:  # MLflow raises for unknown models and versions
        raise ModelNotFound(f"{reference.text}: version {version} not found in {tracking_uri}: {exc}") from exc
    scratch = tempfile.TemporaryDirectory(prefix=f"lightship-v{version}-")
    try:
        folder = registry.download(version, Path(scratch.name))
        bundle = Bundle.load(folder)
    except Exception:
        scratch.cleanup()
        raise
    details["alias"] = reference.alias
    return ResolvedModel(bundle, details, scratch)
