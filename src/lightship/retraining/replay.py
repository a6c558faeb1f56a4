"""A bounded replay buffer: a uniform sample of all labelled rows seen so far (reservoir sampling)."""

from __future__ import annotations

from typing import Sequence

import numpy as np


class ReplayBuffer:
    """Keeps at most ``capacity`` ``(text, label)`` rows, each row seen so far equally likely to be kept.

    Online updates mix a sample of it into every batch so the model keeps what is still
    true of older data (against catastrophic forgetting) at a fixed memory cost.

    Example::

        >>> buffer = ReplayBuffer(capacity=3, seed=0)
        >>> buffer.add(["a", "b", "c", "d"], ["x", "y", "x", "y"])
        >>> len(buffer), buffer.seen
        (3, 4)
    """

    def __init__(self, capacity: int, seed: int = 0) -> None:
        self.capacity = max(int(capacity), 0)
        self.texts: list[str] = []
        self.labels: list[str] = []
        self.seen = 0
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        for text, label in zip(texts, labels):
            self.seen += 1
            if len(self.texts) < self.capacity:
                self.texts.append(text)
                self.labels.append(label)
                continue
            slot = int(self._rng.integers(self.seen))
            if slot < self.capacity:
                self.texts[slot], self.labels[slot] = text, label

    def sample(self, n: int) -> tuple[list[str], list[str]]:
        """``n`` rows drawn with replacement (empty when the buffer is)."""
        if not self.texts or n <= 0:
            return [], []
        picked = self._rng.integers(len(self.texts), size=n)
        return [self.texts[i] for i in picked], [self.labels[i] for i in picked]
