"""Shared fixtures: a tiny smoke model trained once per test session, in its own tracking store."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightship_testing import train


@pytest.fixture(scope="session")
def smoke_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("smoke")


@pytest.fixture(scope="session")
def smoke_run(smoke_workdir: Path) -> dict:
    """The smoke pipeline's summary (bundle path, metrics, parity, run id, version): trained once."""
    return train(smoke_workdir)
