"""Score a list of texts with one loaded model, timing each stage.

Shared by the BentoML service (one adaptive batch at a time) and ``task=predict``
(one chunk at a time), so both compute exactly the same thing. Texts are padded to the
longest text of the batch (the runtime's ``encode``), never to the model's max length.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from lightship.serving.runtime import OnnxTextClassifier, softmax


@dataclass
class ScoredText:
    id: str
    label: str
    confidence: float
    probabilities: dict[str, float]
    tokens: int


@dataclass
class ScoredBatch:
    items: list[ScoredText]
    rows: int
    padded_tokens: int
    seconds: dict[str, float] = field(default_factory=dict)


def score(runtime: OnnxTextClassifier, texts: Sequence[str]) -> ScoredBatch:
    """Tokenize, run and post-process ``texts`` as one batch; ``seconds`` holds each stage's time."""
    started = time.perf_counter()
    encoded = runtime.encode(texts)
    tokenized = time.perf_counter()
    logits, _ = runtime.run(encoded)
    inferred = time.perf_counter()
    probabilities = softmax(logits.astype(np.float64))
    labels = runtime.labels
    tokens = encoded["attention_mask"].sum(axis=1)
    items = []
    for row, n_tokens in zip(probabilities, tokens):
        best = int(row.argmax())
        items.append(
            ScoredText(str(uuid.uuid4()), labels[best], float(row[best]), {label: float(p) for label, p in zip(labels, row)}, int(n_tokens))
        )
    done = time.perf_counter()
    seconds = {"tokenize": tokenized - started, "inference": inferred - tokenized, "postprocess": done - inferred}
    return ScoredBatch(items, len(items), int(encoded["input_ids"].size), seconds)
