"""Helpers shared by the test modules (import them from here, not from a conftest)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


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
    return train_defaults(workdir, "experiment=smoke", *overrides)


def train_defaults(workdir: Path, *overrides: str) -> dict:
    """Compose the overrides (on the default config) and run the train task in ``workdir``."""
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config([f"tracking.uri={sqlite_uri(workdir)}", *overrides])
    with working_directory(workdir):
        return run_task(cfg)


def run_backtest(workdir: Path, overrides: list[str]) -> dict:
    """Compose the overrides (they name the backtest: ``task=backtest`` or an experiment), run it in ``workdir``
    and return its ``backtest.json``."""
    import json

    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    with working_directory(workdir):
        summary = run_task(compose_config(overrides))
    return json.loads(Path(summary["backtest"]).read_text())


def champion_store(folder: Path, bundle: str) -> str:
    """A tracking store in ``folder`` whose ``lightship@champion`` is ``bundle`` (version 1)."""
    from lightship.tracking.registry import Registry
    from lightship.tracking.runs import RunRecorder

    uri = sqlite_uri(folder)
    with working_directory(folder):
        recorder = RunRecorder(uri, "lightship")
        run_id = recorder.start("smoke-champion")
        source = recorder.log_artifacts(Path(bundle), "bundle")
        recorder.finish("FINISHED")
        registry = Registry(uri, "lightship", "champion")
        registry.promote(registry.register(source, run_id), "test champion")
    return uri
