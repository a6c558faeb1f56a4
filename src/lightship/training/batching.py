"""Length-bucketed batches: texts of similar length share a batch, so padding costs little.

With dynamic padding every batch is as long as its longest text; a random batch of
mixed lengths pads most texts far past their end. Sorting a large random pool by length
and cutting it into batches keeps each batch's lengths close (less padding, fewer
FLOPs), while the pool's randomness and the shuffled batch order keep the gradient
noise of random batches. The draw depends on ``(seed, epoch)`` only, as
:class:`~lightship.training.reproducibility.EpochShuffleSampler` does, so a resumed run
sees the same batches.

Example::

    >>> sampler = LengthBucketBatchSampler([5, 50, 6, 48], batch_size=2, seed=0)
    >>> sorted(sorted(batch) for batch in sampler)
    [[0, 2], [1, 3]]
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

from lightship.training.reproducibility import Shard

POOL_BATCHES = 50


class LengthBucketBatchSampler(Sampler[list[int]]):
    """Batches of indices of similar ``lengths``: shuffle, sort pools of ``POOL_BATCHES`` batches, shuffle batches.

    ``shuffle=False`` (validation, test) sorts the whole split by length once.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, shuffle: bool = True, shard: Shard = Shard()) -> None:
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.shard = shard  # under DDP: this rank's batches of the epoch's draw
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _batches(self) -> list[list[int]]:
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable")
            return [order[i : i + self.batch_size].tolist() for i in range(0, len(order), self.batch_size)]
        rng = np.random.default_rng(self.seed + self.epoch)
        order = rng.permutation(len(self.lengths))
        pool = self.batch_size * POOL_BATCHES
        batches: list[list[int]] = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.shard.take(self._batches()))

    def __len__(self) -> int:
        return self.shard.size(-(-len(self.lengths) // self.batch_size))
