"""Serving fixtures: a copy of the smoke model's tracking store and real ``bentoml serve`` subprocesses.

The store is copied (artifact paths in it are absolute) so hot-swap tests can move the alias
without touching the session's shared registry.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import httpx

REPO = Path(__file__).resolve().parents[2]
BENTOML = Path(sys.executable).with_name("bentoml")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, tracking_uri: str, overrides: str, log_path: Path, model: Optional[str] = None, token: str = "test-token") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        self.log_path = log_path
        env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "LIGHTSHIP_OVERRIDES": overrides, "LIGHTSHIP_RELOAD_TOKEN": token}
        env.pop("LIGHTSHIP_MODEL", None)
        if model:
            env["LIGHTSHIP_MODEL"] = model
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BENTOML), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 120) -> "Server":
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bentoml serve exited with {self.process.returncode}:\n{self.log_path.read_text()[-4000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"server not ready in {timeout_s}s:\n{self.log_path.read_text()[-4000:]}")

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
        self._log.close()


TEST_OVERRIDES = "serve=bentoml_cpu serve.max_concurrency=1024 serve.watch_interval_s=1 serve.intra_op_threads=1"


def start_server(folder: Path, tracking_uri: str, extra: str = "", model: Optional[str] = None, store: str = "live.db") -> Server:
    overrides = f"{TEST_OVERRIDES} serve.store_path={folder / store} {extra}".strip()
    return Server(tracking_uri, overrides, folder / "server.log", model).wait_ready()


def wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> bool:
    """Poll ``condition`` every 0.2 s until it holds or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
