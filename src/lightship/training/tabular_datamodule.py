"""Loaders of tabular splits: (filled numeric, category ids, label id), encoded once by the schema."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from lightship.data.splits import LABEL, SplitData
from lightship.data.tabular_schema import TabularSchema
from lightship.training.split_datamodule import SplitDataModule


def collate(rows: Sequence[tuple[torch.Tensor, torch.Tensor, int]]) -> dict[str, torch.Tensor]:
    numeric, ids, labels = zip(*rows)
    return {"numeric": torch.stack(numeric), "category_ids": torch.stack(ids), "labels": torch.tensor(labels, dtype=torch.long)}


class TabularDataModule(SplitDataModule):
    """Loaders over a tabular :class:`SplitData` (see :class:`SplitDataModule`)."""

    collate = staticmethod(collate)

    def __init__(self, data: SplitData, schema: TabularSchema, batch_size: int, seed: int) -> None:
        super().__init__(data, batch_size, seed)
        self.schema = schema

    def rows(self, frame: Any) -> list[tuple[torch.Tensor, torch.Tensor, int]]:
        arrays = self.schema.arrays(frame)
        numeric = torch.from_numpy(self.schema.filled(arrays["numeric"]))
        ids = torch.from_numpy(self.schema.category_ids(arrays["categorical"]))
        return list(zip(numeric, ids, frame[LABEL].map(self.data.label_to_id).tolist()))
