"""Where a task writes: Hydra's run (or sweep job) folder, or a fresh one outside Hydra."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def output_dir() -> Path:
    """``hydra.runtime.output_dir`` inside a Hydra app; ``outputs/<timestamp>`` when called directly."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir)
    folder = (Path("outputs") / datetime.now().strftime("%Y-%m-%d/%H-%M-%S-%f")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
