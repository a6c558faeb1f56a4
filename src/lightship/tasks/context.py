"""Where a task writes: Hydra's run (or sweep job) folder, or a fresh one outside Hydra."""

from lightship.config.paths import output_dir

__all__ = ["output_dir"]
