"""A registry write lock held in a tracking server's own database, for jobs on any machine.

An MLflow server serialises single requests, not a registration's read-gate-register-move
sequence: two sweep jobs could each gate against the same champion and both move the alias.
The lock is a registered model, ``<model>.lock``: creating a registered model whose name
exists fails in the server's database (a unique key), so creating it is an atomic
test-and-set that every client of the server sees, wherever it runs. Releasing deletes it.

Its tags say who holds it (host, pid, a token, the time). A holder that died without
releasing it (killed, or the server stopped under it) is detected: on the same host, when
its process is gone or is this process without holding it; elsewhere, once the lock is
older than ``stale_s``. A stale lock is broken with a warning.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

from lightship.errors import TrackingError

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
POLL_S = 0.5
_held: dict[tuple[str, str], tuple[str, int]] = {}  # (uri, lock name) -> (token, depth): re-entrant per process
_guard = threading.Lock()


def lock_name(model_name: str) -> str:
    return f"{model_name}{LOCK_SUFFIX}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(tags: dict[str, str], uri: str, name: str, stale_s: float) -> bool:
    """Whether the lock's holder is gone (see the module docstring)."""
    try:
        pid, since = int(tags.get("pid", "0")), float(tags.get("acquired_at", "0"))
    except ValueError:
        return True
    if tags.get("host") == socket.gethostname():
        if pid == os.getpid():
            return (uri, name) not in _held  # this process's own lock, left by a registration that failed to release it
        return not _pid_alive(pid)
    return time.time() - since > stale_s


class ServerLockTimeout(TrackingError):
    """The server's registry lock stayed held by a live writer for longer than the timeout."""


@contextmanager
def server_lock(client: Any, uri: str, model_name: str, timeout_s: float, stale_s: float) -> Iterator[None]:
    """Hold ``<model_name>.lock`` on the server behind ``client`` (re-entrant within a process)."""
    name = lock_name(model_name)
    key = (uri, name)
    with _guard:
        if key in _held:
            token, depth = _held[key]
            _held[key] = (token, depth + 1)
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _guard:
                token, depth = _held[key]
                _held[key] = (token, depth - 1)
        return
    token = _acquire(client, uri, name, timeout_s, stale_s)
    with _guard:
        _held[key] = (token, 1)
    try:
        yield
    finally:
        with _guard:
            _held.pop(key, None)
        _release(client, uri, name, token)


def _acquire(client: Any, uri: str, name: str, timeout_s: float, stale_s: float) -> str:
    from mlflow.exceptions import MlflowException

    token = uuid.uuid4().hex
    deadline = time.monotonic() + timeout_s
    while True:
        tags = {"token": token, "host": socket.gethostname(), "pid": str(os.getpid()), "acquired_at": f"{time.time():.3f}"}
        try:
            client.create_registered_model(name, tags=tags, description="lightship registry write lock (deleted when released)")
            return token
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        try:
            holder = dict(client.get_registered_model(name).tags)
        except MlflowException:
            continue  # released between the two calls: try again at once
        if _stale(holder, uri, name, stale_s):
            log.warning("Breaking the stale registry lock %s on %s (held by %s pid %s since %s)", name, uri,
                        holder.get("host"), holder.get("pid"), holder.get("acquired_at"))
            _delete_if_token(client, name, holder.get("token"))
            continue
        if time.monotonic() > deadline:
            raise ServerLockTimeout(
                f"{uri}: registered model '{name}' (the registry write lock) has been held by {holder.get('host')} pid "
                f"{holder.get('pid')} for over {timeout_s:.0f} s; if no lightship job is running there, delete that "
                "registered model (MLflow UI or MlflowClient.delete_registered_model)"
            )
        time.sleep(POLL_S)


def _delete_if_token(client: Any, name: str, token: Any) -> None:
    from mlflow.exceptions import MlflowException

    try:
        if dict(client.get_registered_model(name).tags).get("token") == token:
            client.delete_registered_model(name)
    except MlflowException:
        pass  # already gone


def _release(client: Any, uri: str, name: str, token: str) -> None:
    """Delete the lock; when the server cannot be reached, leave it (the next writer finds it stale)."""
    try:
        _delete_if_token(client, name, token)
    except Exception as exc:  # the server stopped: never hide the error the block raised
        log.warning("Could not release the registry lock %s on %s (%s); the next registration will break it", name, uri, exc)
