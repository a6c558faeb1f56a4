"""Streaming fixtures: a real ``redis-server`` on a free loopback port and a private copy of the smoke model's store."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from lightship.streaming.local_redis import INSTALL_HINT, LocalRedis, redis_server_path


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    if redis_server_path() is None:
        pytest.skip(f"redis-server is not installed: {INSTALL_HINT}")
    with LocalRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def stream_store(smoke_run: dict, smoke_workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of the smoke tracking store (version 1 is the champion)."""
    folder = tmp_path_factory.mktemp("stream")
    shutil.copy(smoke_workdir / "mlflow.db", folder / "mlflow.db")
    return folder
