"""Report each epoch's validation metric to an Optuna trial and stop the trial when pruned."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl


class OptunaPruning(pl.Callback):
    """Binds to trial ``trial_number`` of a stored study (set by ``hydra/sweeper=optuna``)."""

    def __init__(self, storage: str, study_name: str, trial_number: int, monitor: str) -> None:
        import optuna

        study = optuna.load_study(study_name=study_name, storage=storage)
        trial_id = next(t._trial_id for t in study.get_trials(deepcopy=False) if t.number == trial_number)
        self.trial = optuna.Trial(study, trial_id)
        self.monitor = monitor

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        import optuna

        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            return
        self.trial.report(float(value), step=trainer.current_epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"epoch {trainer.current_epoch}: {self.monitor}={float(value):.4f} below the median")
