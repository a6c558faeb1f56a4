"""The model registry: versions of a bundle, the champion alias, reasons tagged on versions.

:meth:`Registry.publish` registers a version and settles it (promoted or rejected) as one
unit under the store's lock (:mod:`lightship.tracking.lock`): parallel jobs take turns, and a
writer interrupted half-way leaves nothing behind. A version is created tagged
``lightship.promotion=pending``; moving the alias is the commit point of a promotion, the
final status tag that of a rejection. An exception (``SIGTERM`` and Ctrl-C included) rolls
the unit back; a writer killed outright (``SIGKILL``) leaves a pending version, which the
next :meth:`publish` into the same store finds under the lock (so its writer is gone) and
rolls back, or forward when its alias move had already happened. On a tracking server the
lock lives in the server's database (:mod:`lightship.tracking.server_lock`), so jobs on
several machines take turns too; a server that stops mid-registration leaves the version
pending, and the first registration after its restart rolls it back.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ContextManager, Iterator, Optional

from lightship.errors import TrackingError
from lightship.tracking.lock import LOCK_TIMEOUT_S, is_locked_store, mlflow_client, store_lock

log = logging.getLogger(__name__)

TAG_STATUS, TAG_REASON = "lightship.promotion", "lightship.reason"
TAG_CHAMPION_BEFORE = "lightship.champion_before"
PENDING, PROMOTED, REJECTED, REPLACED = "pending", "promoted", "rejected", "replaced"
# Shadow deployment: a version that passed the gates waits under the challenger alias; one judged worse on live evidence is retired.
CHALLENGER, RETIRED = "challenger", "retired"


class Registry:
    """Registered-model operations for one model name."""

    def __init__(self, tracking_uri: str, model_name: str, alias: str) -> None:
        self.tracking_uri = tracking_uri
        self.client = mlflow_client(tracking_uri)
        self.model_name = model_name
        self.alias = alias

    @property
    def on_server(self) -> bool:
        return self.tracking_uri.startswith(("http://", "https://"))

    def exclusive(self) -> ContextManager[None]:
        """The registry's write lock (re-entrant): a file beside a SQLite store, a lock in a tracking server's database."""
        if self.on_server:
            from lightship.tracking.server_lock import server_lock

            return server_lock(self.client, self.tracking_uri, self.model_name, LOCK_TIMEOUT_S, LOCK_TIMEOUT_S)
        return store_lock(self.tracking_uri)

    @contextmanager
    def publishing(self) -> Iterator[None]:
        """Hold the lock for a whole registration (reads the gates rest on, then :meth:`publish`),
        after settling what an interrupted writer left."""
        with self.exclusive():
            self.recover_interrupted()
            yield

    def register(self, source: str, run_id: str, tags: Optional[dict[str, str]] = None) -> str:
        """Create a version whose source is the run's bundle artifacts; return its number."""
        from mlflow.exceptions import MlflowException

        with self.exclusive():
            try:
                self.client.create_registered_model(self.model_name)
            except MlflowException:
                pass  # already exists
            version = self.client.create_model_version(self.model_name, source=source, run_id=run_id, tags=tags or {})
        return str(version.version)

    def publish(self, source: str, run_id: str, tags: dict[str, str], promote: bool, reason: str, challenger_alias: Optional[str] = None) -> str:
        """Register ``source`` and promote it (``promote``) or tag it rejected, all or nothing.

        With ``challenger_alias`` a version that passes goes under that alias (shadow deployment,
        :meth:`challenge`) instead of the champion's. Call it inside :meth:`publishing` together with
        the reads the decision rests on (the champion's metrics), so no other writer moves the alias in between.
        """
        with self.exclusive():
            self.recover_interrupted()
            before = self.champion_version()
            pending = {**tags, TAG_STATUS: PENDING, TAG_REASON: "registration in progress", TAG_CHAMPION_BEFORE: before or ""}
            version = self.register(source, run_id, pending)
            try:
                if promote and challenger_alias:
                    self.challenge(version, challenger_alias, reason)
                elif promote:
                    self.promote(version, reason)
                else:
                    self.tag(version, REJECTED, reason)
            except BaseException as exc:
                log.error("Registration of version %s was interrupted; rolling it back", version)
                try:
                    self._roll_back(version, before)
                except Exception as failed:
                    raise TrackingError(
                        f"registration of {self.model_name} version {version} in {self.tracking_uri} was interrupted "
                        f"({type(exc).__name__}: {str(exc)[:300]}) and the store could not be reached to roll it back "
                        f"({type(failed).__name__}). The version stays tagged {TAG_STATUS}={PENDING}: the next registration "
                        "into this store removes it (or completes it, if its alias move had happened); the champion "
                        f"is still version {before or '(none)'} unless that move happened."
                    ) from exc
                raise
        return version

    def recover_interrupted(self) -> list[str]:
        """Settle versions a killed writer left pending; return their numbers.

        Only for stores with a real lock (a SQLite file, a tracking server): holding it proves
        no other writer is mid-way.
        """
        if not (self.on_server or is_locked_store(self.tracking_uri)):
            return []
        settled = []
        with self.exclusive():
            for found in self.client.search_model_versions(f"name='{self.model_name}'"):
                tags = dict(found.tags)
                if tags.get(TAG_STATUS) != PENDING:
                    continue
                version, before = str(found.version), tags.get(TAG_CHAMPION_BEFORE) or None
                if self.champion_version() == version:  # killed after the commit point: finish the promotion
                    self.tag(version, PROMOTED, "promoted (registration completed after its writer was interrupted)")
                    if before and before != version:
                        self.tag(before, REPLACED, f"replaced by version {version}")
                    log.warning("Version %s: finished a promotion interrupted after its alias move", version)
                else:
                    self._roll_back(version, before)
                    log.warning("Version %s: removed, its registration was interrupted before it was settled", version)
                settled.append(version)
        return settled

    def _roll_back(self, version: str, champion_before: Optional[str]) -> None:
        """Delete ``version``; point the alias back at ``champion_before`` (re-tagged) if it had moved."""
        if self.champion_version() == version:
            if champion_before:
                self.client.set_registered_model_alias(self.model_name, self.alias, champion_before)
            else:
                self.client.delete_registered_model_alias(self.model_name, self.alias)
        if champion_before and self.version_tags(champion_before).get(TAG_STATUS) == REPLACED:
            self.tag(champion_before, PROMOTED, f"champion again: version {version}'s registration was rolled back")
        self.client.delete_model_version(self.model_name, version)

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
        with self.exclusive():
            previous = self.champion_version()
            self.client.set_model_version_tag(self.model_name, version, TAG_REASON, reason[:5000])
            self.client.set_registered_model_alias(self.model_name, self.alias, version)  # the commit point
            self.client.set_model_version_tag(self.model_name, version, TAG_STATUS, PROMOTED)
            if previous and previous != version:
                self.tag(previous, REPLACED, f"replaced by version {version}")
        return previous

    def challenge(self, version: str, alias: str, reason: str) -> None:
        """Put ``version`` under the challenger ``alias`` (served in shadow, judged on live evidence)."""
        with self.exclusive():
            self.client.set_registered_model_alias(self.model_name, alias, version)
            self.tag(version, CHALLENGER, f"under @{alias} for live evidence: {reason}")

    def promote_challenger(self, version: str, alias: str, reason: str) -> Optional[str]:
        """Make the challenger ``version`` the champion and clear its ``alias``; return the replaced champion."""
        with self.exclusive():
            previous = self.promote(version, reason)
            self.clear_alias(alias, version)
        return previous

    def retire(self, version: str, alias: str, reason: str) -> None:
        """Take ``version`` out of shadow: clear its challenger ``alias`` and tag it retired with the reason."""
        with self.exclusive():
            self.clear_alias(alias, version)
            self.tag(version, RETIRED, reason)

    def clear_alias(self, alias: str, version: str) -> None:
        """Remove ``alias`` if it still names ``version`` (another writer may have moved it meanwhile)."""
        with self.exclusive():
            if self.alias_version(alias) == version:
                self.client.delete_registered_model_alias(self.model_name, alias)

    def tag(self, version: str, status: str, reason: str) -> None:
        """Tag the reason, then the status (the status is what readers act on, so it goes last)."""
        with self.exclusive():
            self.client.set_model_version_tag(self.model_name, version, TAG_REASON, reason[:5000])
            self.client.set_model_version_tag(self.model_name, version, TAG_STATUS, status)

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
