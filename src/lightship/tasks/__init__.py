"""Task functions: each takes the composed config and runs one kind of job.

``task._target_`` names the function; :func:`run_task` checks it against the
allow-list and calls it, so tests can run any task on a config they composed.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig


def run_task(cfg: DictConfig) -> Any:
    """Resolve ``cfg.task._target_`` (allow-listed) and call it with the config."""
    from hydra.utils import get_method

    from lightship.config.targets import check_targets
    from lightship.interrupts import sigterm_raises
    from lightship.quiet import quiet_libraries

    check_targets(cfg.task, list(cfg.allowed_targets))
    quiet_libraries()
    with sigterm_raises():  # a stopped task unwinds: runs end FAILED, half-done registrations roll back
        return get_method(cfg.task._target_)(cfg)
