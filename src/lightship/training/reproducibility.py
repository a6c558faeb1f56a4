"""Per-epoch determinism, so a run resumed from a checkpoint ends where an uninterrupted one does.

Lightning restores weights, optimizer, scheduler and loop counters from a checkpoint,
but not the random streams behind shuffling and dropout. Deriving the shuffle from
``(seed, epoch)`` and reseeding dropout from ``(seed, epoch, batch)`` before every
batch makes epoch *k* identical whether the process ran epochs 0..k-1 itself or loaded
them from ``last.ckpt`` (a resumed loop draws from the global stream at other points,
so a reseed per epoch is not enough).
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


class BatchReseed(pl.Callback):
    """Reseed torch (dropout) from ``(seed, epoch, batch index)`` before every training batch."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        torch.manual_seed((self.seed * 1_000_003 + trainer.current_epoch) * 1_000_003 + batch_idx)
