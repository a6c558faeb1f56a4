"""Score one request batch with one loaded model, timing each stage.

Shared by the BentoML service (one adaptive batch at a time), ``task=predict`` (one chunk
at a time) and the stream consumer, so all compute exactly the same thing. Each runtime
class scores its own input kind (``runtime.score``); :func:`score` is the one entry point,
:func:`scored_items` the shared post-processing, :func:`score_texts` the text runtime's.

Text, length-aware batching: texts are tokenized once and each model batch is padded to its
own longest text, never to the model's max length. When a batch would exceed
``max_rows`` texts or ``max_tokens`` padded tokens (rows x longest), the texts are
sorted by length and cut into batches of similar length, so one long text does not make
every short text pay for its padding; answers come back in the request order.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from lightship.inference.decision import DecisionRule, decide
from lightship.inference.runtime import softmax


@dataclass
class ScoredItem:
    id: str
    label: str
    confidence: float
    probabilities: dict[str, float]
    tokens: int = 0


@dataclass
class ScoredBatch:
    items: list[ScoredItem]
    rows: int
    padded_tokens: int
    seconds: dict[str, float] = field(default_factory=dict)
    # The model's raw outputs, kept (not copied) for the live drift monitor, which reads them off the request path.
    probabilities: np.ndarray | None = None
    embeddings: np.ndarray | None = None
    encoded: dict[str, np.ndarray] = field(default_factory=dict)
    # Model runs this batch took (more than one when length grouping split it under the row / token caps).
    model_batches: int = 1
    # Per input column, how many values the model had never seen in training (tabular: categories that go to the unknown bucket).
    unseen: dict[str, int] = field(default_factory=dict)


def plan_batches(lengths: Sequence[int], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> list[list[int]]:
    """Indices of each model batch: one batch in order when it fits both caps, else length groups.

    A group grows (shortest texts first) while its rows stay within ``max_rows`` and
    rows x its longest text within ``max_tokens``; a text longer than ``max_tokens`` alone
    still gets a batch of its own. ``None`` means no cap.
    """
    rows_cap = max_rows or len(lengths) or 1
    tokens_cap = max_tokens or float("inf")
    if len(lengths) <= rows_cap and len(lengths) * max(lengths, default=0) <= tokens_cap:
        return [list(range(len(lengths)))] if len(lengths) else []
    batches: list[list[int]] = []
    current: list[int] = []
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        # Sorted ascending, so the newcomer is the longest text of the grown batch.
        if current and (len(current) >= rows_cap or (len(current) + 1) * lengths[index] > tokens_cap):
            batches.append(current)
            current = []
        current.append(index)
    return batches + [current] if current else batches


def _run_plan(runtime: Any, plan: list[list[int]], inputs: list[dict[str, np.ndarray]], rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Run each planned batch and put logits and embeddings back in request order."""
    logits = embeddings = None
    for batch, encoded in zip(plan, inputs):
        batch_logits, batch_embeddings = runtime.run(encoded)
        if logits is None:
            logits = np.zeros((rows, batch_logits.shape[1]), batch_logits.dtype)
            embeddings = np.zeros((rows, batch_embeddings.shape[1]), batch_embeddings.dtype)
        logits[batch], embeddings[batch] = batch_logits, batch_embeddings
    if logits is None or embeddings is None:  # no texts
        return np.zeros((0, len(runtime.labels))), np.zeros((0, 0))
    return logits, embeddings


def score(runtime: Any, inputs: Sequence[Any], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> ScoredBatch:
    """Score ``inputs`` with ``runtime`` (any input kind); ``seconds`` holds each stage's time."""
    return runtime.score(inputs, max_rows, max_tokens)


def scored_items(
    probabilities: np.ndarray, labels: Sequence[str], tokens: Optional[Sequence[int]] = None, rule: Optional[DecisionRule] = None
) -> list[ScoredItem]:
    """One answer per row: a fresh id, the label the bundle's rule decides, its probability and every class's probability."""
    counts = tokens if tokens is not None else [0] * len(probabilities)
    items = []
    for row, best, n_tokens in zip(probabilities, decide(probabilities, rule), counts):
        best = int(best)
        items.append(ScoredItem(str(uuid.uuid4()), labels[best], float(row[best]), {label: float(p) for label, p in zip(labels, row)}, int(n_tokens)))
    return items


def score_texts(runtime: Any, texts: Sequence[str], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> ScoredBatch:
    """Tokenize, run and post-process ``texts`` (see the module docstring)."""
    started = time.perf_counter()
    ids = runtime.tokenize(texts)
    plan = plan_batches([len(row) for row in ids], max_rows, max_tokens)
    inputs = [runtime.pad([ids[i] for i in batch]) for batch in plan]
    # Row-aligned token ids of the whole request for consumers of ``encoded`` (one pad when it was one batch).
    encoded = inputs[0] if len(plan) == 1 else runtime.pad(ids)
    tokenized = time.perf_counter()
    logits, embeddings = _run_plan(runtime, plan, inputs, len(ids))
    inferred = time.perf_counter()
    probabilities = softmax(logits.astype(np.float64))
    items = scored_items(probabilities, runtime.labels, [len(row) for row in ids], runtime.rule)
    done = time.perf_counter()
    seconds = {"tokenize": tokenized - started, "inference": inferred - tokenized, "postprocess": done - inferred}
    padded = sum(int(batch["input_ids"].size) for batch in inputs)
    return ScoredBatch(items, len(items), padded, seconds, probabilities, embeddings, encoded, len(plan))
