"""A cross-process lock beside a SQLite tracking store.

SQLite serialises single statements, not MLflow's read-then-write sequences: two sweep jobs
that register, tag and move the alias at the same moment can both insert the same tag row
(``UNIQUE constraint failed: model_version_tags...``) or gate against a champion that is
being replaced. Registry writes therefore run under an exclusive file lock,
``<store>.lock`` next to ``<store>``, so parallel jobs on one machine (joblib, Ray local,
several shells) take turns. A tracking server gets its registry lock from its own database
instead (:mod:`lightship.tracking.server_lock`); its runs need none (the server serialises them).
"""

from __future__ import annotations

import os
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, ContextManager, Iterator, Optional

from lightship.errors import TrackingError

# Long enough for a registration that evaluates the champion on the test split, short enough
# that a lock held by a stuck process fails with a message instead of hanging a sweep forever.
LOCK_TIMEOUT_S = 900.0


class StoreLockTimeout(TrackingError):
    """The store's lock stayed held by another process for longer than the timeout."""


def sqlite_path(uri: str) -> Optional[Path]:
    """The database file of a ``sqlite:///...`` URI, else None (servers, in-memory stores)."""
    if not uri.startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(uri).database
    if not database or database == ":memory:":
        return None
    return Path(database).expanduser().resolve()


def lock_path(uri: str) -> Optional[Path]:
    """``<store>.lock`` for a SQLite store, else None."""
    database = sqlite_path(uri)
    return database.with_name(database.name + ".lock") if database is not None else None


@contextmanager
def _file_lock(path: Path, timeout_s: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    # One lock object per path in a process (is_singleton), so nested holders re-enter it.
    lock: Any = FileLock(str(path), timeout=timeout_s, is_singleton=True)
    try:
        lock.acquire()
    except Timeout as exc:
        raise StoreLockTimeout(
            f"{path}: another process has held the tracking store's lock for over {timeout_s:.0f} s; "
            "if no lightship job is running, the lock is stale and the file can be deleted"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def store_lock(uri: str, timeout_s: float = LOCK_TIMEOUT_S) -> ContextManager[None]:
    """Hold the store's exclusive lock (re-entrant within a process); a no-op for non-SQLite stores."""
    path = lock_path(uri)
    if path is None or not os.access(path.parent, os.W_OK):  # a read-only folder: only readers can use this store
        return nullcontext()
    return _file_lock(path, timeout_s)


def is_locked_store(uri: str) -> bool:
    """Whether :func:`store_lock` really excludes other processes for this store."""
    return lock_path(uri) is not None


_OPENED: set[str] = set()  # stores this process has opened (MLflow keeps them open per URI)


def mlflow_client(uri: str) -> Any:
    """An ``MlflowClient`` for tracking and registry on ``uri``.

    Opening a SQLite store creates or migrates its schema; two processes doing that at
    once corrupt the migration, so a process's first open happens under the store's lock
    (later ones reuse MLflow's open store: a serving watcher polling every second takes no lock).
    """
    from mlflow import MlflowClient

    if uri in _OPENED:
        return MlflowClient(tracking_uri=uri, registry_uri=uri)
    with store_lock(uri):
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.search_registered_models(max_results=1)  # the registry store opens lazily: open it here
    _OPENED.add(uri)
    return client
