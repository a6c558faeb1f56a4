"""A server subprocess in its own process group: started on a free loopback port, waited
for until ready, and always stopped with its workers (SIGTERM, then SIGKILL).

Used by the serving tests and the benchmark, which both run real ``bentoml serve`` (and
the naive endpoint) and must never leave orphaned workers behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

PORT_PLACEHOLDER = "{port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """Start ``command`` (``{port}`` in it becomes a free port) with ``env`` added to the environment."""

    def __init__(
        self, command: Sequence[str], log_path: Path, cwd: Optional[Path] = None, env: Optional[Mapping[str, Optional[str]]] = None,
        ready_path: str = "/readyz",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.ready_path = ready_path
        merged = dict(os.environ)
        for key, value in (env or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [part.replace(PORT_PLACEHOLDER, str(self.port)) for part in command],
            cwd=cwd, env=merged, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_ready(self, timeout_s: float = 120) -> "ServerProcess":
        """Poll ``ready_path`` until it answers 200; fail with the log if the process dies or times out."""
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; log {self.log_path}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"server not ready in {timeout_s} s; log {self.log_path}:\n{self.log_tail()}")

    def group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def stop(self, timeout_s: float = 30) -> None:
        """SIGTERM the process group (server and workers), SIGKILL what is left after ``timeout_s``."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + timeout_s
        while self.group_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.group_alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def __enter__(self) -> "ServerProcess":
        return self.wait_ready(timeout_s=300)

    def __exit__(self, *_: Any) -> None:
        self.stop()
