"""Per-epoch determinism, so a run resumed from a checkpoint ends where an uninterrupted one does.

Lightning restores weights, optimizer, scheduler and loop counters from a checkpoint,
but not the random streams behind shuffling and dropout. Deriving the shuffle from
``(seed, epoch)`` and reseeding dropout from ``(seed, epoch, batch)`` before every
batch makes epoch *k* identical whether the process ran epochs 0..k-1 itself or loaded
them from ``last.ckpt`` (a resumed loop draws from the global stream at other points,
so a reseed per epoch is not enough).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence, TypeVar

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import Sampler

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """This process's share of the training draw under data parallelism (``trainer=ddp``).

    Every rank draws the same ``(seed, epoch)`` permutation and keeps every ``replicas``-th
    item from its ``rank``, cut to the same count on every rank (DDP steps in lockstep), so
    the ranks see disjoint parts of one epoch. One process: everything.
    """

    rank: int = 0
    replicas: int = 1

    @classmethod
    def of(cls, trainer: Any) -> "Shard":
        """The shard of a data module's attached trainer (none attached: the whole draw)."""
        if trainer is None or int(getattr(trainer, "world_size", 1)) <= 1:
            return cls()
        return cls(int(trainer.global_rank), int(trainer.world_size))

    def take(self, items: Sequence[T]) -> list[T]:
        usable = len(items) // self.replicas * self.replicas
        return list(items[self.rank : usable : self.replicas])

    def size(self, n: int) -> int:
        return n // self.replicas


class EpochShuffleSampler(Sampler[int]):
    """A permutation of ``range(n)`` drawn from ``seed + epoch`` (Lightning calls ``set_epoch``); under DDP, this rank's ``shard`` of it."""

    def __init__(self, n: int, seed: int, shard: Shard = Shard()) -> None:
        self.n = n
        self.seed = seed
        self.shard = shard
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        return iter(self.shard.take(np.random.default_rng(self.seed + self.epoch).permutation(self.n).tolist()))

    def __len__(self) -> int:
        return self.shard.size(self.n)


class BatchReseed(pl.Callback):
    """Reseed torch (dropout) from ``(seed, epoch, batch index)`` before every training batch."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        torch.manual_seed((self.seed * 1_000_003 + trainer.current_epoch) * 1_000_003 + batch_idx)
