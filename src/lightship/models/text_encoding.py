"""Texts to token ids, one way for training, export, serving and the backtest.

Two decisions live here so that nothing downstream can disagree on them:

* **the length budget** (:func:`choose_max_length`): with ``model.max_length=null`` the
  budget is a quantile of the training texts' token lengths (``max_length_quantile``,
  95% by default), kept between a floor and ``max_length_cap``. Short tickets get a short
  budget (fast), long documents a long one (their content is not cut away);
* **head-and-tail truncation** (:class:`TextEncoder`): a text over budget keeps its first
  ``head_fraction`` of the budget and fills the rest from its end. The start of a document
  says what it is about, its end often how it concludes (Sun et al., 2019, "How to
  Fine-Tune BERT for Text Classification?", found head+tail best on long IMDb reviews).
  ``head_fraction=1`` is the plain head truncation of ``tokenizer(truncation=True)``.

Example::

    >>> encoder = TextEncoder(tokenizer, max_length=8, head_fraction=0.5)
    >>> encoder.ids(["one two three four five six seven eight nine"])  # [CLS] 3 head + 3 tail [SEP]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

MIN_LENGTH = 16


def token_lengths(tokenizer: Any, texts: Sequence[str]) -> np.ndarray:
    """Token count of each text with its special tokens, untruncated."""
    if not texts:
        return np.zeros(0, dtype=int)
    ids = tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    return np.asarray([len(row) for row in ids]) + tokenizer.num_special_tokens_to_add()


def choose_max_length(tokenizer: Any, texts: Sequence[str], quantile: float, cap: int) -> int:
    """The ``quantile`` of the texts' token lengths, rounded up to a multiple of 8, in ``[16, cap]``."""
    lengths = token_lengths(tokenizer, texts)
    wanted = float(np.quantile(lengths, quantile)) if len(lengths) else MIN_LENGTH
    rounded = int(np.ceil(wanted / 8.0) * 8)
    return int(min(max(rounded, MIN_LENGTH), cap))


@dataclass
class TextEncoder:
    """Token ids truncated head-and-tail to ``max_length`` (special tokens included), and padding."""

    tokenizer: Any
    max_length: int
    head_fraction: float = 1.0

    @classmethod
    def for_manifest(cls, tokenizer: Any, manifest: dict[str, Any]) -> "TextEncoder":
        """The encoder a bundle was trained with (bundles without the field truncate at the head)."""
        return cls(tokenizer, int(manifest["max_length"]), float(manifest.get("truncation_head_fraction", 1.0)))

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, with special tokens, at most ``max_length`` long, not padded."""
        if not texts:
            return []
        budget = max(self.max_length - self.tokenizer.num_special_tokens_to_add(), 1)
        head = min(budget, max(int(round(budget * self.head_fraction)), 1))
        encoded = self.tokenizer(list(texts), truncation=False, return_special_tokens_mask=True, verbose=False)
        return [_head_and_tail(row, special, budget, head) for row, special in zip(encoded["input_ids"], encoded["special_tokens_mask"])]

    def pad(self, ids: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        """``input_ids`` and ``attention_mask`` (int64) padded to the longest row, on the tokenizer's side."""
        longest = max((len(row) for row in ids), default=0)
        input_ids = np.full((len(ids), longest), self.tokenizer.pad_token_id or 0, dtype=np.int64)
        mask = np.zeros((len(ids), longest), dtype=np.int64)
        left = self.tokenizer.padding_side == "left"
        for i, row in enumerate(ids):
            span = slice(longest - len(row), longest) if left else slice(0, len(row))
            input_ids[i, span], mask[i, span] = row, 1
        return {"input_ids": input_ids, "attention_mask": mask}

    def encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Truncated and padded numpy batch (what the ONNX graph takes)."""
        return self.pad(self.ids(texts))

    def encode_torch(self, texts: Sequence[str]) -> dict[str, Any]:
        """The same batch as torch tensors (what the Lightning module takes)."""
        import torch

        return {name: torch.from_numpy(array) for name, array in self.encode(texts).items()}


def _head_and_tail(row: list[int], special: list[int], budget: int, head: int) -> list[int]:
    """Keep the template's leading and trailing special tokens; cut the content to ``head`` + tail tokens."""
    start = next((i for i, flag in enumerate(special) if not flag), len(row))
    end = len(row) - next((i for i, flag in enumerate(reversed(special)) if not flag), len(row) - start)
    content = row[start:end]
    if len(content) > budget:
        tail = budget - head
        content = content[:head] + (content[len(content) - tail :] if tail else [])
    return row[:start] + content + row[end:]
