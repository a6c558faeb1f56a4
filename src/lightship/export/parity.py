"""Parity: ONNX Runtime must compute what the trained model computes, on several batch shapes.

The trained side is a *reference*: a callable from a batch of raw inputs (texts, rows) to
``(logits, embedding)``, given by the model spec. Both sides start from the same raw
inputs, so for tabular graphs, whose preprocessing lives inside the graph, the check
covers the preprocessing too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np


@dataclass
class ParityReport:
    """Worst differences and the argmax agreement over every checked batch.

    An output passes when every element is within ``atol + rtol * |reference|`` (numpy's
    ``allclose`` rule): deep backbones carry logits and features of magnitude ten and more,
    whose float32 rounding grows with them. ``max_excess_*`` is the worst ``|diff| - rtol * |reference|``,
    the figure compared with ``atol``.
    """

    max_abs_diff_logits: float
    max_abs_diff_embedding: float
    argmax_agreement: float
    atol: float
    min_argmax_agreement: float
    shapes: list[list[int]] = field(default_factory=list)
    # What ``max_abs_diff_logits`` compares: the logits, or (for tree ensembles) the class probabilities.
    space: str = "logits"
    rtol: float = 0.0
    max_excess_logits: float = 0.0
    max_excess_embedding: float = 0.0

    @property
    def passed(self) -> bool:
        return (
            self.max_excess_logits <= self.atol
            and self.max_excess_embedding <= self.atol
            and self.argmax_agreement >= self.min_argmax_agreement
        )

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


class TorchReference:
    """A PyTorch module (eval mode, no grad) on the arrays ``encode`` makes of a raw batch."""

    def __init__(self, module: Any, encode: Callable[[Sequence[Any]], dict[str, np.ndarray]]) -> None:
        self.module, self.encode = module, encode

    def __call__(self, batch: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        import torch

        self.module.eval()
        with torch.no_grad():
            logits, embedding = self.module(*(torch.from_numpy(array) for array in self.encode(batch).values()))
        return logits.numpy(), embedding.numpy()


def _worst(reference: np.ndarray, candidate: np.ndarray, rtol: float) -> tuple[float, float]:
    """The largest ``|candidate - reference|`` and the largest ``|candidate - reference| - rtol * |reference|``."""
    reference, candidate = np.asarray(reference, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    diff = np.abs(candidate - reference)
    return float(diff.max(initial=0.0)), float((diff - rtol * np.abs(reference)).max(initial=0.0))


def check_parity(
    reference: Callable[[Sequence[Any]], tuple[np.ndarray, np.ndarray]], runtime: Any, inputs: Sequence[Any],
    batch_sizes: Sequence[int], atol: float, min_argmax_agreement: float, space: str = "logits", rtol: float = 0.0,
) -> ParityReport:
    """Compare the reference and ONNX Runtime on consecutive held-out batches of each size.

    ``space="probabilities"`` compares softmax(logits) instead of the logits: tree ensembles
    give log-probabilities as logits, whose differences blow up where a probability is tiny.
    ``shapes`` records the first graph input's shape per batch (rows, and tokens for text).
    """
    from lightship.inference.runtime import softmax

    view = softmax if space == "probabilities" else np.asarray
    worst_logits = worst_embedding = excess_logits = excess_embedding = 0.0
    agree = total = 0
    shapes: list[list[int]] = []
    start = 0
    for size in batch_sizes:
        batch = list(inputs[start : start + size]) or list(inputs[:size])
        start += size
        encoded = runtime.encode(batch)
        ort_logits, ort_embedding = runtime.run(encoded)
        logits, embedding = reference(batch)
        diff, excess = _worst(view(np.asarray(logits, dtype=np.float64)), view(ort_logits.astype(np.float64)), rtol)
        worst_logits, excess_logits = max(worst_logits, diff), max(excess_logits, excess)
        diff, excess = _worst(embedding, ort_embedding, rtol)
        worst_embedding, excess_embedding = max(worst_embedding, diff), max(excess_embedding, excess)
        agree += int((np.asarray(logits).argmax(-1) == ort_logits.argmax(-1)).sum())
        total += len(batch)
        shapes.append(list(next(iter(encoded.values())).shape))
    return ParityReport(worst_logits, worst_embedding, agree / max(total, 1), atol, min_argmax_agreement, shapes, space, rtol,
                        excess_logits, excess_embedding)
