"""Config of ``hydra/sweeper=optuna``, registered in Hydra's ConfigStore when Hydra scans plugins."""

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from hydra.core.config_store import ConfigStore


@dataclass
class OptunaSweeperConf:
    """Search ``params`` (Hydra sweep syntax: ``choice``, ``range``, ``interval``, ``tag(log, ...)``)
    for the best ``objective`` (a dotted key of the task's return value)."""

    _target_: str = "hydra_plugins.lightship_optuna_sweeper.sweeper.OptunaSweeper"
    objective: str = "best_val_macro_f1"
    direction: str = "maximize"
    study_name: str = "lightship"
    # RDB URL or a journal file path (*.log / *.jsonl); None keeps the study in memory (no resume).
    storage: Optional[str] = "sqlite:///optuna.db"
    n_trials: int = 10
    n_jobs: int = 1
    seed: Optional[int] = 0
    # Median pruning on the per-epoch validation metric, after this many epochs of a trial.
    pruner_warmup_epochs: int = 1
    pruner_startup_trials: int = 2
    params: Dict[str, Any] = field(default_factory=dict)


ConfigStore.instance().store(group="hydra/sweeper", name="optuna", node=OptunaSweeperConf, provider="lightship")
