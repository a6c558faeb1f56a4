"""Schema of the ``task`` group: what a run does."""

from dataclasses import dataclass

from omegaconf import MISSING

GROUP = "task"


@dataclass
class TaskConfig:
    """A task names the function that runs it; the function takes the composed config."""

    _target_: str = MISSING
    name: str = MISSING


SCHEMAS = {"task_schema": TaskConfig}
