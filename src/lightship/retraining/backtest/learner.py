"""What a policy's decision does to the model in a backtest: retrain from scratch or update in place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional

import pandas as pd
from omegaconf import DictConfig

from lightship.data.splits import LABEL, TEXT
from lightship.errors import ConfigError
from lightship.retraining.backtest.model import LiveModel, train_live_model
from lightship.retraining.decision import UpdateBudget
from lightship.retraining.incremental import incremental_update
from lightship.retraining.replay import ReplayBuffer

log = logging.getLogger(__name__)


def check_updatable(policy: Any, spec: Any, model_name: str) -> None:
    """Fail before the replay when the policy updates models in place and this model family cannot be."""
    if getattr(policy, "updates_in_place", False) and not getattr(spec, "updates_in_place", False):
        raise ConfigError(
            f"retrain={policy.name} updates the model in place, which model={model_name} cannot do "
            "(in-place updates continue training a PyTorch text model). Use retrain=periodic or retrain=drift."
        )


@dataclass
class Learner:
    """Trains and updates :class:`LiveModel` s with the run's config (model shrunk, epochs capped) and data source.

    ``source`` (the ``data`` group's object) splits each retrain's rows as it splits its own
    data, so a window's model takes the same input kind and schema as a released one.
    ``replay`` holds a uniform sample of every labelled row seen (``observe``); it is
    sized by the first update's budget and only in-place updates draw from it.
    """

    cfg: DictConfig
    spec: Any
    source: Any
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
        rare = counts[counts < self.source.min_rows_per_class].index.tolist()
        if rare:
            log.info("Backtest retrain at %s leaves out class(es) %s: fewer than %d rows so far", at, rare, self.source.min_rows_per_class)
            rows = rows[~rows[LABEL].isin(rare)]
        data = self.source.split(rows, f"backtest window ending {at}")
        return train_live_model(self.cfg, self.spec, data, at, self.make_detector)

    def update(self, model: LiveModel, rows: pd.DataFrame, at: datetime, budget: UpdateBudget) -> float:
        """Continue training ``model`` on ``rows`` with replay; export it again and refit its threshold and reference on them."""
        if self.replay is None:
            self.replay = ReplayBuffer(budget.replay_buffer_size, self.cfg.seed)
            if self._seen is not None:
                older = self._seen.iloc[: len(self._seen) - len(rows)]
                self.replay.add(older[TEXT].tolist(), older[LABEL].tolist())
        seconds = incremental_update(
            model.fit_result.classifier, model.fit_result.encoder, model.label_to_id,
            rows[TEXT].tolist(), rows[LABEL].tolist(), self.replay, budget,
            self.source.batch_size, self.spec.lr, self.cfg.seed,
        )
        model.trained_at = at
        # The reference describes this model's outputs; after an update the newest rows are the best held-out proxy.
        model.republish(self.cfg, rows, self.make_detector)
        return seconds
