"""The data-source base class: load a labelled frame, then split it the same way for every source."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import pandas as pd

from lightship.data.splits import TEXT, SplitData, split_frame


class DataSource:
    """Base of the ``data`` group's ``_target_`` classes; subclasses implement :meth:`load`.

    ``load`` returns a frame with columns ``text``, ``label`` and optionally ``time``,
    plus a report of what happened to the rows (counts of dropped or invalid rows).
    """

    def __init__(
        self,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        train_fraction: float = 1.0,
        batch_size: int = 32,
        num_workers: int = 0,
        min_rows_per_class: int = 5,
        high_risk_label: Optional[str] = None,
        seed: int = 42,
        **_: Any,
    ) -> None:
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.train_fraction = train_fraction
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.min_rows_per_class = min_rows_per_class
        self.high_risk_label = high_risk_label
        self.seed = seed

    @property
    def description(self) -> str:
        """Where the data comes from, for messages and lineage."""
        raise NotImplementedError

    def load(self) -> tuple[pd.DataFrame, dict]:
        raise NotImplementedError

    def prepare(self) -> SplitData:
        """Load, validate and split."""
        frame, report = self.load()
        return self.split(frame, self.description, report, self.train_fraction)

    def split(self, frame: pd.DataFrame, source: str, report: Optional[dict] = None, train_fraction: float = 1.0) -> SplitData:
        """Split ``frame`` (rows as :meth:`load` returns them) with this source's settings.

        ``prepare`` splits the loaded data with it; the backtest's retrains and ``task=retrain``'s
        challenger split fresh rows with it, so a model trained on a window takes the same input
        (kind and schema) as one trained on the whole source.
        """
        return split_frame(
            frame,
            val_fraction=self.val_fraction,
            test_fraction=self.test_fraction,
            train_fraction=train_fraction,
            seed=self.seed,
            source=source,
            min_rows_per_class=self.min_rows_per_class,
            report=report,
        )

    def inputs_frame(self, stored: Sequence[str]) -> pd.DataFrame:
        """Inputs as the prediction store keeps them (texts) back as the columns :meth:`load` gives (``text``)."""
        return pd.DataFrame({TEXT: list(stored)})
