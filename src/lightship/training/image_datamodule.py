"""Loaders of image splits: each image resized once (the CNN's own resize) to a float tensor, with its label id."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from lightship.data.image_folder import IMAGE
from lightship.data.splits import LABEL, SplitData
from lightship.training.reproducibility import EpochShuffleSampler


def resized(cnn: Any, images: Sequence[Any]) -> list[torch.Tensor]:
    """Each uint8 image through the CNN's in-graph resize (so training sees what the exported graph computes)."""
    with torch.no_grad():
        return [cnn.resize(torch.from_numpy(np.array(image))[None])[0] for image in images]  # a copy: frames hold read-only arrays


def collate(rows: Sequence[tuple[torch.Tensor, int]]) -> dict[str, torch.Tensor]:
    pixels, labels = zip(*rows)
    return {"pixels": torch.stack(pixels), "labels": torch.tensor(labels, dtype=torch.long)}


class ImageDataModule(pl.LightningDataModule):
    """Train (shuffled per epoch from the seed) and validation loaders over an image :class:`SplitData`."""

    def __init__(self, data: SplitData, cnn: Any, batch_size: int, seed: int) -> None:
        super().__init__()
        self.data, self.cnn, self.batch_size, self.seed = data, cnn, batch_size, seed

    def _loader(self, frame: Any, shuffle: bool) -> DataLoader:
        rows = list(zip(resized(self.cnn, frame[IMAGE].tolist()), frame[LABEL].map(self.data.label_to_id).tolist()))
        sampler = EpochShuffleSampler(len(rows), self.seed) if shuffle else None
        return DataLoader(rows, batch_size=self.batch_size, sampler=sampler, collate_fn=collate)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.data.train, True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.data.val, False)
