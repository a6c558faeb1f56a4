"""A Lightning data module that tokenizes per batch, padding to the batch's longest text."""

from __future__ import annotations

from typing import Any, Sequence

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from lightship.data.splits import LABEL, TEXT, SplitData
from lightship.training.reproducibility import EpochShuffleSampler


class TextCollator:
    """Tokenize a list of ``(text, label_id)`` pairs into padded tensors."""

    def __init__(self, tokenizer: Any, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __call__(self, rows: Sequence[tuple[str, int]]) -> dict[str, torch.Tensor]:
        texts, labels = zip(*rows)
        encoded = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        return {
            "input_ids": encoded["input_ids"],
            "attention_mask": encoded["attention_mask"],
            "labels": torch.tensor(labels, dtype=torch.long),
        }


class TextDataModule(pl.LightningDataModule):
    """Train/val/test loaders over a :class:`SplitData` (train shuffled per epoch from the seed)."""

    def __init__(self, data: SplitData, tokenizer: Any, max_length: int, batch_size: int, num_workers: int, seed: int) -> None:
        super().__init__()
        self.data = data
        self.collate = TextCollator(tokenizer, max_length)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = seed

    def _rows(self, split: str) -> list[tuple[str, int]]:
        frame = getattr(self.data, split)
        ids = frame[LABEL].map(self.data.label_to_id)
        return list(zip(frame[TEXT].tolist(), ids.tolist()))

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        rows = self._rows(split)
        sampler = EpochShuffleSampler(len(rows), self.seed) if shuffle else None
        return DataLoader(rows, batch_size=self.batch_size, sampler=sampler, collate_fn=self.collate, num_workers=self.num_workers)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
