"""A throwaway ``redis-server`` on a free loopback port (tests, the benchmark, trying ``task=stream`` locally).

Nothing is persisted (no RDB snapshot, no AOF); the server runs in its own process group
and is always stopped with it::

    with LocalRedis(tmp_dir) as server:
        lightship task=stream stream.url=<server.url> ...
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, Optional

from lightship.serving.server_process import PORT_PLACEHOLDER, ServerProcess

INSTALL_HINT = "install Debian's redis-server (apt-get install redis-server; `make setup` and .ci/run do it)"


def redis_server_path() -> Optional[str]:
    return shutil.which("redis-server")


class LocalRedis(ServerProcess):
    """``redis-server`` in its own process group (stopped with SIGTERM, then SIGKILL); ready when it answers PING."""

    def __init__(self, folder: Path) -> None:
        binary = redis_server_path()
        if binary is None:
            raise FileNotFoundError(f"redis-server is not on PATH: {INSTALL_HINT}")
        folder.mkdir(parents=True, exist_ok=True)
        command = [binary, "--port", PORT_PLACEHOLDER, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)]
        super().__init__(command, folder / "redis.log", cwd=folder)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def wait_ready(self, timeout_s: float = 30) -> "LocalRedis":
        import redis

        deadline = time.monotonic() + timeout_s
        with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {self.process.returncode}; log {self.log_path}:\n{self.log_tail()}")
                try:
                    if client.ping():
                        return self
                except redis.ConnectionError:
                    time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"redis-server on port {self.port} did not answer PING within {timeout_s} s; log {self.log_path}")

    def client(self, **kwargs: Any) -> Any:
        import redis

        return redis.Redis.from_url(self.url, **kwargs)

    def __enter__(self) -> "LocalRedis":
        return self.wait_ready()


def fill(client: Any, stream: str, events: list[dict[str, Any]], chunk: int = 1000) -> list[str]:
    """``XADD`` each field map to ``stream`` (pipelined); returns the entry ids in order."""
    ids: list[str] = []
    for start in range(0, len(events), chunk):
        pipe = client.pipeline(transaction=False)
        for fields in events[start : start + chunk]:
            pipe.xadd(stream, fields)
        ids += [entry_id.decode() if isinstance(entry_id, bytes) else entry_id for entry_id in pipe.execute()]
    return ids


def entries(client: Any, stream: str, chunk: int = 5000) -> list[tuple[str, dict[str, str]]]:
    """Every entry of ``stream`` as ``(id, fields)`` with str names and values, oldest first."""
    out: list[tuple[str, dict[str, str]]] = []
    start = "-"
    while True:
        batch = client.xrange(stream, start, "+", count=chunk)
        for raw_id, fields in batch:
            out.append((raw_id.decode(), {k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}))
        if len(batch) < chunk:
            return out
        start = "(" + batch[-1][0].decode()
