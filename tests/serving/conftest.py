"""Serving fixtures: a copy of the smoke model's tracking store and real ``bentoml serve`` subprocesses.

The store is copied (artifact paths in it are absolute) so hot-swap tests can move the alias
without touching the session's shared registry.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
BENTOML = Path(sys.executable).with_name("bentoml")


from server_process import Server, start_server


@pytest.fixture(scope="module")
def serving_store(smoke_run: dict, smoke_workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the smoke tracking store (version 1 is the champion)."""
    import shutil

    folder = tmp_path_factory.mktemp("serving")
    shutil.copy(smoke_workdir / "mlflow.db", folder / "mlflow.db")
    return folder


@pytest.fixture(scope="module")
def tracking_uri(serving_store: Path) -> str:
    return f"sqlite:///{serving_store / 'mlflow.db'}"


@pytest.fixture(scope="module")
def server(serving_store: Path, tracking_uri: str) -> Iterator[Server]:
    """One worker, alias watched every second; stopped (whole process group) after the module."""
    running = start_server(serving_store, tracking_uri)
    yield running
    running.stop()
    assert not running.group_alive(), "bentoml serve left processes behind"
