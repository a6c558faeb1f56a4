"""Where the config tree lives: ``conf/`` at the repo root, shipped inside the package."""

from pathlib import Path

# src/lightship/conf is a link to the top-level conf/ (a copy in built wheels), so the
# config is found from any working directory.
CONFIG_DIR: Path = Path(__file__).resolve().parent.parent / "conf"
CONFIG_NAME = "config"
