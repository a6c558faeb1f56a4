"""Loaders of tabular splits: (filled numeric, category ids, label id), encoded once by the schema."""

from __future__ import annotations

from typing import Any, Sequence

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from lightship.data.splits import LABEL, SplitData
from lightship.data.tabular_schema import TabularSchema
from lightship.training.reproducibility import EpochShuffleSampler


def collate(rows: Sequence[tuple[torch.Tensor, torch.Tensor, int]]) -> dict[str, torch.Tensor]:
    numeric, ids, labels = zip(*rows)
    return {"numeric": torch.stack(numeric), "category_ids": torch.stack(ids), "labels": torch.tensor(labels, dtype=torch.long)}


class TabularDataModule(pl.LightningDataModule):
    """Train (shuffled per epoch from the seed) and validation loaders over a tabular :class:`SplitData`."""

    def __init__(self, data: SplitData, schema: TabularSchema, batch_size: int, seed: int) -> None:
        super().__init__()
        self.data, self.schema, self.batch_size, self.seed = data, schema, batch_size, seed

    def rows(self, frame: Any) -> list[tuple[torch.Tensor, torch.Tensor, int]]:
        arrays = self.schema.arrays(frame)
        numeric = torch.from_numpy(self.schema.filled(arrays["numeric"]))
        ids = torch.from_numpy(self.schema.category_ids(arrays["categorical"]))
        return list(zip(numeric, ids, frame[LABEL].map(self.data.label_to_id).tolist()))

    def _loader(self, frame: Any, shuffle: bool) -> DataLoader:
        rows = self.rows(frame)
        sampler = EpochShuffleSampler(len(rows), self.seed) if shuffle else None
        return DataLoader(rows, batch_size=self.batch_size, sampler=sampler, collate_fn=collate)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.data.train, True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.data.val, False)
