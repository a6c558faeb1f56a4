"""Schema of the ``trainer`` group: the Lightning ``Trainer`` arguments lightship exposes."""

from dataclasses import dataclass
from typing import Any, Optional

GROUP = "trainer"


@dataclass
class TrainerConfig:
    accelerator: str = "cpu"
    devices: Any = 1
    strategy: str = "auto"
    num_nodes: int = 1
    precision: str = "32-true"
    # A cap: early stopping on the validation macro-F1 usually ends training sooner.
    max_epochs: int = 30
    # Epochs without a validation macro-F1 gain of ``early_stopping_min_delta`` before stopping (null: never stop early).
    early_stopping_patience: Optional[int] = 3
    early_stopping_min_delta: float = 0.002
    limit_train_batches: float = 1.0
    limit_val_batches: float = 1.0
    gradient_clip_val: float = 1.0
    accumulate_grad_batches: int = 1
    deterministic: bool = True
    enable_progress_bar: bool = True
    log_every_n_steps: int = 10
    num_threads: Optional[int] = None


SCHEMAS = {"trainer_schema": TrainerConfig}
