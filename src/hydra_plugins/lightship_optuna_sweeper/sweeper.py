"""An Optuna 4 sweeper behind Hydra's public ``Sweeper`` interface.

Why not hydra-optuna-sweeper 1.3: it pins optuna<3, and optuna 2.10's SQLite storage
fails under SQLAlchemy 2 (which MLflow 3 needs). This sweeper uses Optuna 4's
ask-and-tell API with any Hydra launcher (basic, joblib, submitit, Ray):

- the study lives in ``storage`` under ``study_name`` with ``load_if_exists``, so a
  search that was interrupted resumes: complete and pruned trials count towards
  ``n_trials``; trials left running by a killed process are marked failed and redone
  (a search stops early once as many trials failed in one invocation as it wanted);
- each job learns its trial through ``trial.*`` overrides and reports the per-epoch
  validation metric, so the median pruner can stop a bad trial early.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


def to_distribution(override: Override) -> Any:
    """An Optuna distribution for one sweep override."""
    import optuna.distributions as dist

    value = override.value()
    if isinstance(value, ChoiceSweep):
        return dist.CategoricalDistribution(list(override.sweep_string_iterator()))
    if isinstance(value, RangeSweep):
        if all(isinstance(x, int) for x in (value.start, value.stop, value.step)):
            return dist.IntDistribution(int(value.start), int(value.stop) - 1, step=int(value.step))
        return dist.FloatDistribution(float(value.start), float(value.stop), step=float(value.step))
    if isinstance(value, IntervalSweep):
        log_scale = "log" in value.tags
        if isinstance(value.start, int) and isinstance(value.end, int):
            return dist.IntDistribution(value.start, value.end, log=log_scale)
        return dist.FloatDistribution(float(value.start), float(value.end), log=log_scale)
    raise ValueError(f"{override.input_line}: not a sweep; use choice(...), range(...) or interval(...)")


def objective_value(result: Any, key: str) -> float:
    """Follow the dotted ``key`` into a task's return value."""
    node = result
    for part in key.split("."):
        node = node[part]
    return float(node)


class OptunaSweeper(Sweeper):
    def __init__(
        self,
        objective: str,
        direction: str,
        study_name: str,
        storage: Optional[str],
        n_trials: int,
        n_jobs: int,
        seed: Optional[int],
        pruner_warmup_epochs: int,
        pruner_startup_trials: int,
        params: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.objective = objective
        self.direction = direction
        self.study_name = study_name
        self.storage = storage
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.seed = seed
        self.pruner_warmup_epochs = pruner_warmup_epochs
        self.pruner_startup_trials = pruner_startup_trials
        self.params = dict(params or {})

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def _storage(self) -> Any:
        from optuna.storages import JournalStorage, RDBStorage
        from optuna.storages.journal import JournalFileBackend

        if self.storage is None:
            return None
        if self.storage.endswith((".log", ".jsonl")):
            return JournalStorage(JournalFileBackend(self.storage))
        return RDBStorage(self.storage)

    def _study(self) -> Any:
        import optuna

        pruner = optuna.pruners.MedianPruner(n_startup_trials=self.pruner_startup_trials, n_warmup_steps=self.pruner_warmup_epochs)
        study = optuna.create_study(
            study_name=self.study_name,
            storage=self._storage(),
            direction=self.direction,
            sampler=optuna.samplers.TPESampler(seed=self.seed),
            pruner=pruner,
            load_if_exists=True,
        )
        for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            study._storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
            log.warning("Trial %d was left running by an interrupted search; marked failed.", trial.number)
        return study

    def _search_space(self, arguments: List[str]) -> tuple[list[str], dict[str, Any]]:
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        declared = [f"{key}={value}" for key, value in self.params.items()]
        fixed, space = [], {}
        for override in parser.parse_overrides(declared + list(arguments)):
            if override.is_sweep_override():
                space[override.get_key_element()] = to_distribution(override)
            else:
                fixed.append(override.input_line)
        if not space:
            raise ValueError("hydra/sweeper=optuna needs a search space: hydra.sweeper.params or sweep overrides.")
        return fixed, space

    def _trial_overrides(self, trial: Any) -> list[str]:
        storage = self.storage if self.storage is not None else ""
        return [f"trial.number={trial.number}", f"trial.study_name={self.study_name}", f"trial.storage='{storage}'"]

    def sweep(self, arguments: List[str]) -> Any:
        from optuna.trial import TrialState

        fixed, space = self._search_space(arguments)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        study = self._study()
        counted = (TrialState.COMPLETE, TrialState.PRUNED)
        done = len(study.get_trials(deepcopy=False, states=counted))
        log.info("Study '%s': %d of %d trials already done", self.study_name, done, self.n_trials)
        job_index = len(study.trials)
        failures = 0
        returns: List[Sequence[Any]] = []
        while done < self.n_trials and failures < self.n_trials:
            trials = [study.ask(space) for _ in range(min(self.n_jobs, self.n_trials - done))]
            batch = [
                fixed + [f"{key}={trial.params[key]}" for key in space] + self._trial_overrides(trial) for trial in trials
            ]
            self.validate_batch_is_legal(batch)
            results = self.launcher.launch(batch, initial_job_idx=job_index)
            states = [self._tell(study, trial, result) for trial, result in zip(trials, results)]
            returns.append(results)
            job_index += len(batch)
            done += sum(state in counted for state in states)
            failures += sum(state == TrialState.FAIL for state in states)
        best = study.best_trial
        log.info("Best trial %d: %s=%.4f with %s", best.number, self.objective, best.value, best.params)
        (sweep_dir / "optuna_best.yaml").write_text(
            OmegaConf.to_yaml({"number": best.number, "value": best.value, "params": best.params})
        )
        return returns

    def _tell(self, study: Any, trial: Any, result: Any) -> Any:
        """Record a job's outcome in the study; return the trial's final state."""
        import optuna
        from optuna.trial import TrialState

        try:
            value = objective_value(result.return_value, self.objective)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
            log.info("Trial %d pruned", trial.number)
            return TrialState.PRUNED
        except Exception as exc:  # a failed job fails its trial, not the search
            study.tell(trial, state=TrialState.FAIL)
            log.warning("Trial %d failed: %s", trial.number, exc)
            return TrialState.FAIL
        study.tell(trial, value)
        return TrialState.COMPLETE
