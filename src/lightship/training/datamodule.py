"""A Lightning data module that tokenizes per batch (truncated as serving does), padding to the batch's longest text."""

from __future__ import annotations

from typing import Any, Sequence

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from lightship.data.splits import LABEL, TEXT, SplitData
from lightship.models.text_encoding import TextEncoder
from lightship.training.batching import LengthBucketBatchSampler
from lightship.training.reproducibility import EpochShuffleSampler, Shard


class TextCollator:
    """Tokenize a list of ``(text, label_id)`` pairs into padded tensors (the serving runtime's encoding)."""

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder

    def __call__(self, rows: Sequence[tuple[str, int]]) -> dict[str, torch.Tensor]:
        texts, labels = zip(*rows)
        return {**self.encoder.encode_torch(texts), "labels": torch.tensor(labels, dtype=torch.long)}


class TextDataModule(pl.LightningDataModule):
    """Train/val/test loaders over a :class:`SplitData`.

    The train split is shuffled per epoch from the seed; with ``bucket_by_length`` its
    batches group texts of similar token length (see :mod:`lightship.training.batching`).
    """

    def __init__(self, data: SplitData, encoder: TextEncoder, batch_size: int, num_workers: int, seed: int, bucket_by_length: bool = True) -> None:
        super().__init__()
        self.data = data
        self.encoder = encoder
        self.collate = TextCollator(encoder)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = seed
        self.bucket_by_length = bucket_by_length

    def _rows(self, split: str) -> list[tuple[str, int]]:
        frame = getattr(self.data, split)
        ids = frame[LABEL].map(self.data.label_to_id)
        return list(zip(frame[TEXT].tolist(), ids.tolist()))

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        rows = self._rows(split)
        shard = Shard.of(self.trainer) if shuffle else Shard()  # training is sharded across DDP ranks, evaluation is not
        if self.bucket_by_length:
            lengths = [len(ids) for ids in self.encoder.ids([text for text, _ in rows])]
            batches = LengthBucketBatchSampler(lengths, self.batch_size, self.seed, shuffle=shuffle, shard=shard)
            return DataLoader(rows, batch_sampler=batches, collate_fn=self.collate, num_workers=self.num_workers)
        sampler = EpochShuffleSampler(len(rows), self.seed, shard) if shuffle else None
        return DataLoader(rows, batch_size=self.batch_size, sampler=sampler, collate_fn=self.collate, num_workers=self.num_workers)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
