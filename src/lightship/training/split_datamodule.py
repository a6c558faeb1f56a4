"""The loaders every pre-encoded split shares: train shuffled per epoch from the seed, validation in order.

A family's data module says how a split's rows become tensors (:meth:`SplitDataModule.rows`)
and how a batch of them is stacked (``collate``); the sampling, which resumed runs depend
on, is written once here.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import pytorch_lightning as pl
from torch.utils.data import DataLoader

from lightship.data.splits import SplitData
from lightship.training.reproducibility import EpochShuffleSampler, Shard


class SplitDataModule(pl.LightningDataModule):
    """Train and validation loaders over a :class:`SplitData`; subclasses implement :meth:`rows`."""

    collate: Callable[[Sequence[Any]], Any]

    def __init__(self, data: SplitData, batch_size: int, seed: int) -> None:
        super().__init__()
        self.data, self.batch_size, self.seed = data, batch_size, seed

    def rows(self, frame: Any) -> list[Any]:
        """The split's rows as ``(tensors..., label id)`` tuples."""
        raise NotImplementedError

    def _loader(self, frame: Any, shuffle: bool) -> DataLoader:
        rows = self.rows(frame)
        sampler = EpochShuffleSampler(len(rows), self.seed, Shard.of(self.trainer)) if shuffle else None  # DDP: this rank's share
        return DataLoader(rows, batch_size=self.batch_size, sampler=sampler, collate_fn=type(self).collate)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.data.train, True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.data.val, False)
