"""Serving fixtures: a copy of the smoke model's tracking store and real ``bentoml serve`` subprocesses.

The store is copied (artifact paths in it are absolute) so hot-swap tests can move the alias
without touching the session's shared registry.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Optional

from lightship.serving.server_process import PORT_PLACEHOLDER, ServerProcess

REPO = Path(__file__).resolve().parents[2]
BENTOML = Path(sys.executable).with_name("bentoml")


class Server(ServerProcess):
    """``bentoml serve`` from the repo root over a tracking store, with a reload token."""

    def __init__(self, tracking_uri: str, overrides: str, log_path: Path, model: Optional[str] = None, token: str = "test-token") -> None:
        self.token = token
        env = {"MLFLOW_TRACKING_URI": tracking_uri, "LIGHTSHIP_OVERRIDES": overrides, "LIGHTSHIP_RELOAD_TOKEN": token, "LIGHTSHIP_MODEL": model}
        super().__init__([str(BENTOML), "serve", "--host", "127.0.0.1", "--port", PORT_PLACEHOLDER], log_path, cwd=REPO, env=env)


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
