"""Shared fixtures: a tiny smoke model trained once per test session, in its own tracking store."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def sqlite_uri(folder: Path) -> str:
    return f"sqlite:///{folder / 'mlflow.db'}"


def train(workdir: Path, *overrides: str) -> dict:
    """Compose ``experiment=smoke`` plus overrides and run the train task in ``workdir``."""
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config(["experiment=smoke", f"tracking.uri={sqlite_uri(workdir)}", *overrides])
    with working_directory(workdir):
        return run_task(cfg)


@pytest.fixture(scope="session")
def smoke_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("smoke")


@pytest.fixture(scope="session")
def smoke_run(smoke_workdir: Path) -> dict:
    """The smoke pipeline's summary (bundle path, metrics, parity, run id, version): trained once."""
    return train(smoke_workdir)
