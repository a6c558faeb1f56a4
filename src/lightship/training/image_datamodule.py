"""Loaders of image splits: each image resized once (the CNN's own resize) to a float tensor, with its label id."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from lightship.data.image_folder import IMAGE
from lightship.data.splits import LABEL, SplitData
from lightship.training.split_datamodule import SplitDataModule


def resized(cnn: Any, images: Sequence[Any]) -> list[torch.Tensor]:
    """Each uint8 image through the CNN's in-graph resize (so training sees what the exported graph computes)."""
    with torch.no_grad():
        return [cnn.resize(torch.from_numpy(np.array(image))[None])[0] for image in images]  # a copy: frames hold read-only arrays


def collate(rows: Sequence[tuple[torch.Tensor, int]]) -> dict[str, torch.Tensor]:
    pixels, labels = zip(*rows)
    return {"pixels": torch.stack(pixels), "labels": torch.tensor(labels, dtype=torch.long)}


class ImageDataModule(SplitDataModule):
    """Loaders over an image :class:`SplitData` (see :class:`SplitDataModule`)."""

    collate = staticmethod(collate)

    def __init__(self, data: SplitData, cnn: Any, batch_size: int, seed: int) -> None:
        super().__init__(data, batch_size, seed)
        self.cnn = cnn

    def rows(self, frame: Any) -> list[tuple[torch.Tensor, int]]:
        return list(zip(resized(self.cnn, frame[IMAGE].tolist()), frame[LABEL].map(self.data.label_to_id).tolist()))
