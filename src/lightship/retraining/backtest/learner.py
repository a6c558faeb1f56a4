"""What a policy's decision does to the model in a backtest: retrain from scratch or update in place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional

import pandas as pd

from lightship.data.splits import LABEL, TEXT, split_frame
from lightship.retraining.backtest.model import LiveModel, train_live_model
from lightship.retraining.decision import UpdateBudget
from lightship.retraining.incremental import incremental_update
from lightship.retraining.replay import ReplayBuffer

log = logging.getLogger(__name__)


@dataclass
class Learner:
    """Trains and updates :class:`LiveModel` s with the run's model spec, trainer and data settings.

    ``replay`` holds a uniform sample of every labelled row seen (``observe``); it is
    sized by the first update's budget and only online updates draw from it.
    """

    spec: Any
    trainer_cfg: Any
    data_cfg: Any
    seed: int
    make_detector: Callable[[], Any]
    replay: Optional[ReplayBuffer] = None
    _seen: Optional[pd.DataFrame] = None

    def observe(self, rows: pd.DataFrame) -> None:
        """Labels of ``rows`` were revealed: remember them for replay."""
        self._seen = rows if self._seen is None else pd.concat([self._seen, rows], ignore_index=True)
        if self.replay is not None:
            self.replay.add(rows[TEXT].tolist(), rows[LABEL].tolist())

    def retrain(self, rows: pd.DataFrame, at: datetime) -> tuple[LiveModel, float]:
        """A new model on ``rows`` (split by time as ``task=train`` splits); classes too rare to split are left out."""
        counts = rows[LABEL].value_counts()
        rare = counts[counts < self.data_cfg.min_rows_per_class].index.tolist()
        if rare:
            log.info("Backtest retrain at %s leaves out class(es) %s: fewer than %d rows so far", at, rare, self.data_cfg.min_rows_per_class)
            rows = rows[~rows[LABEL].isin(rare)]
        data = split_frame(
            rows, self.data_cfg.val_fraction, self.data_cfg.test_fraction, 1.0, self.seed,
            f"backtest window ending {at}", self.data_cfg.min_rows_per_class,
        )
        return train_live_model(data, self.spec, self.trainer_cfg, self.data_cfg, self.seed, at, self.make_detector)

    def update(self, model: LiveModel, rows: pd.DataFrame, at: datetime, budget: UpdateBudget) -> float:
        """Continue training ``model`` on ``rows`` with replay; refit its drift reference on them."""
        if self.replay is None:
            self.replay = ReplayBuffer(budget.replay_buffer_size, self.seed)
            if self._seen is not None:
                older = self._seen.iloc[: len(self._seen) - len(rows)]
                self.replay.add(older[TEXT].tolist(), older[LABEL].tolist())
        seconds = incremental_update(
            model.classifier, model.encoder, model.label_to_id,
            rows[TEXT].tolist(), rows[LABEL].tolist(), self.replay, budget,
            self.data_cfg.batch_size, self.spec.lr, self.seed,
        )
        model.trained_at = at
        # The reference describes this model's outputs; after an update the newest rows are the best held-out proxy.
        model.refit_detector(rows[TEXT].tolist(), self.make_detector, self.seed)
        return seconds
