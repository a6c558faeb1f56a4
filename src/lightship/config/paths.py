"""Where the config tree lives: ``conf/`` at the repo root, shipped inside the package."""

from pathlib import Path

# src/lightship/conf is a link to the top-level conf/ (a copy in built wheels), so the
# config is found from any working directory.
CONFIG_DIR: Path = Path(__file__).resolve().parent.parent / "conf"
CONFIG_NAME = "config"


def output_dir() -> Path:
    """Where a run writes: ``hydra.runtime.output_dir`` inside a Hydra app; ``outputs/<timestamp>`` when called directly."""
    from datetime import datetime

    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir)
    folder = (Path("outputs") / datetime.now().strftime("%Y-%m-%d/%H-%M-%S-%f")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
