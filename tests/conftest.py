"""Shared fixtures: a tiny smoke model trained once per test session, in its own tracking store."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightship_testing import train, train_defaults


@pytest.fixture(scope="session")
def smoke_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("smoke")


@pytest.fixture(scope="session")
def smoke_run(smoke_workdir: Path) -> dict:
    """The smoke pipeline's summary (bundle path, metrics, parity, run id, version): trained once."""
    return train(smoke_workdir)


@pytest.fixture(scope="session")
def tabular_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``model=gbdt`` and ``model=tabular_mlp`` with default settings on a rule-based three-class table: trained once."""
    from tabular_testing import write_rule_table

    workdir = tmp_path_factory.mktemp("tabular")
    table = write_rule_table(workdir)
    common = ["data=tabular_file", f"data.path={table}", "data.time_column=time", "tracking.model_name=tabular",
              "trainer.enable_progress_bar=false"]
    runs = {name: train_defaults(workdir, *common, f"model={name}") for name in ("gbdt", "tabular_mlp")}
    return {**runs, "table": table, "workdir": workdir}


@pytest.fixture(scope="session")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The image smoke model (``model=image_cnn`` on a folder of coloured shapes): trained once."""
    from image_testing import train_image_smoke

    return train_image_smoke(tmp_path_factory.mktemp("images"))
