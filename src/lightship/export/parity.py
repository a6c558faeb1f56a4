"""Parity: ONNX Runtime must compute what the PyTorch model computes, on several batch shapes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np


@dataclass
class ParityReport:
    """Worst absolute differences and the argmax agreement over every checked batch."""

    max_abs_diff_logits: float
    max_abs_diff_embedding: float
    argmax_agreement: float
    atol: float
    min_argmax_agreement: float
    shapes: list[list[int]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (
            self.max_abs_diff_logits <= self.atol
            and self.max_abs_diff_embedding <= self.atol
            and self.argmax_agreement >= self.min_argmax_agreement
        )

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def check_parity(
    classifier: Any, runtime: Any, texts: Sequence[str], batch_sizes: Sequence[int], atol: float, min_argmax_agreement: float
) -> ParityReport:
    """Compare PyTorch (eval mode) and ONNX Runtime on consecutive held-out batches of each size.

    Both sides get the same token ids (the runtime's own tokenization), so the check
    covers the graph, not the tokenizer.
    """
    import torch

    classifier.eval()
    worst_logits = worst_embedding = 0.0
    agree = total = 0
    shapes: list[list[int]] = []
    start = 0
    for size in batch_sizes:
        batch = list(texts[start : start + size]) or list(texts[:size])
        start += size
        encoded = runtime.encode(batch)
        ort_logits, ort_embedding = runtime.run(encoded)
        with torch.no_grad():
            logits, embedding = classifier(torch.from_numpy(encoded["input_ids"]), torch.from_numpy(encoded["attention_mask"]))
        worst_logits = max(worst_logits, float(np.abs(logits.numpy() - ort_logits).max()))
        worst_embedding = max(worst_embedding, float(np.abs(embedding.numpy() - ort_embedding).max()))
        agree += int((logits.numpy().argmax(-1) == ort_logits.argmax(-1)).sum())
        total += len(batch)
        shapes.append(list(encoded["input_ids"].shape))
    return ParityReport(worst_logits, worst_embedding, agree / max(total, 1), atol, min_argmax_agreement, shapes)
