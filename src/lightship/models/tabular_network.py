"""The tabular MLP network: standardised numbers and per-column categorical embeddings (row 0: unknown)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn


def embedding_size(cardinality: int, cap: int) -> int:
    """fast.ai's rule of thumb, ``1.6 * n ** 0.56``, capped."""
    return int(max(2, min(cap, round(1.6 * cardinality**0.56))))


class TabularMLP(nn.Module):
    """``(filled numeric, category ids) -> (logits, last hidden layer)``.

    ``mean``/``std`` (buffers, from the train split) standardise inside the graph. While
    training, a share ``unknown_dropout`` of the ids is set to 0 (the unknown bucket).
    """

    def __init__(self, mean: np.ndarray, std: np.ndarray, cardinalities: Sequence[int], n_labels: int,
                 hidden_sizes: Sequence[int], dropout: float, embedding_cap: int, unknown_dropout: float) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(np.where(std > 1e-12, std, 1.0), dtype=torch.float32))
        self.embeddings = nn.ModuleList(nn.Embedding(n, embedding_size(n, embedding_cap)) for n in cardinalities)
        width = len(mean) + sum(e.embedding_dim for e in self.embeddings)
        layers: list[nn.Module] = []
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_labels)
        self.unknown_dropout = unknown_dropout

    def forward(self, numeric: torch.Tensor, category_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.training and self.unknown_dropout > 0:
            category_ids = category_ids.masked_fill(torch.rand(category_ids.shape) < self.unknown_dropout, 0)
        parts = [(numeric - self.mean) / self.std]
        parts += [embedding(category_ids[:, j]) for j, embedding in enumerate(self.embeddings)]
        hidden = self.body(torch.cat(parts, dim=1))
        return self.head(hidden), hidden
