"""Per-epoch determinism, so a run resumed from a checkpoint ends where an uninterrupted one does.

Lightning restores weights, optimizer, scheduler and loop counters from a checkpoint,
but not the random streams behind shuffling and dropout. Deriving both from
``(seed, epoch)`` at the start of every epoch makes epoch *k* identical whether the
process ran epochs 0..k-1 itself or loaded them from ``last.ckpt``.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import Sampler


class EpochShuffleSampler(Sampler[int]):
    """A permutation of ``range(n)`` drawn from ``seed + epoch`` (Lightning calls ``set_epoch``)."""

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        return iter(np.random.default_rng(self.seed + self.epoch).permutation(self.n).tolist())

    def __len__(self) -> int:
        return self.n


class EpochReseed(pl.Callback):
    """Reseed torch (dropout) from ``seed + epoch`` at the start of every training epoch."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: Any) -> None:
        torch.manual_seed(self.seed + trainer.current_epoch)
