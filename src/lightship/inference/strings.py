"""The runtime of text graphs that take raw strings (``input.encoding: strings``).

The text cleaning, tokenization and features are inside the graph (for example
``model=tfidf_linear``), so the runtime passes the strings through as a ``[batch, 1]``
tensor. The graph's raw ``scores`` are the logits (softmax gives the model's
probabilities) and stand in for the embedding that drift monitoring watches. Word counts and the unknown-word
counts (against the bundle's ``vocabulary.txt``) feed the same text statistics as the
tokenizer runtime's.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lightship.bundle import Bundle
from lightship.inference.runtime import OnnxClassifier, Predictions, softmax
from lightship.inference.text import OnnxTextClassifier

SCORES = "scores"


class OnnxStringClassifier(OnnxClassifier):
    """Raw strings in, the graph's probabilities out; word statistics from the bundle's vocabulary."""

    kind = "text"

    def __init__(self, bundle: Bundle | str | Path, *args: Any, **kwargs: Any) -> None:
        from lightship.models.tfidf_linear import TOKEN_PATTERN_PY, VOCABULARY_FILE

        super().__init__(bundle, *args, **kwargs)
        self.input_name = self.session.get_inputs()[0].name
        vocabulary = self.bundle.path / VOCABULARY_FILE
        self.vocabulary = set(vocabulary.read_text(encoding="utf-8").split()) if vocabulary.is_file() else None
        self.token_pattern = re.compile(self.bundle.manifest.get("tfidf", {}).get("token_pattern", TOKEN_PATTERN_PY))

    def encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return {self.input_name: np.asarray(list(texts), dtype=object).reshape(-1, 1)}

    def forward(self, encoded: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(logits, logits)``: see the module docstring."""
        from lightship.models.tfidf_linear import logits_from_scores

        (scores,) = self.session.run([SCORES], encoded)
        logits = logits_from_scores(scores)
        return logits, logits

    def word_counts(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Words per text and how many of them the model never saw in training."""
        words = [self.token_pattern.findall(text.lower()) for text in texts]
        unknown = [sum(word not in self.vocabulary for word in row) if self.vocabulary is not None else 0 for row in words]
        return np.asarray([len(row) for row in words], dtype=int), np.asarray(unknown, dtype=int)

    def predict(self, texts: Sequence[str], batch_size: int = 256) -> Predictions:
        if not len(texts):
            return Predictions.empty(len(self.labels))
        logits = np.concatenate([self.run(self.encode(texts[start : start + batch_size]))[0] for start in range(0, len(texts), batch_size)])
        tokens, unknown = self.word_counts(texts)
        return Predictions(softmax(logits), logits, tokens, unknown, self.rule)

    def score(self, texts: Sequence[str], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> Any:
        """One request batch in row chunks of ``max_rows`` (the graph's cost is linear in the text, no padding to plan)."""
        from lightship.inference.scoring import ScoredBatch, scored_items

        started = time.perf_counter()
        rows = max_rows or max(len(texts), 1)
        chunks = [self.encode(texts[start : start + rows]) for start in range(0, len(texts), rows)]
        tokens, unknown = self.word_counts(texts)
        encoded = time.perf_counter()
        logits = np.concatenate([self.run(chunk)[0] for chunk in chunks]) if chunks else np.zeros((0, len(self.labels)))
        inferred = time.perf_counter()
        probabilities = softmax(logits)
        items = scored_items(probabilities, self.labels, tokens.tolist(), self.rule)
        done = time.perf_counter()
        seconds = {"tokenize": encoded - started, "inference": inferred - encoded, "postprocess": done - inferred}
        batch = ScoredBatch(items, len(items), int(tokens.sum()), seconds, probabilities, logits, {}, max(len(chunks), 1))
        batch.encoded = {"token_counts": tokens, "unk_counts": unknown}
        return batch

    def smoke_inputs(self, configured_texts: Sequence[str]) -> list[Any]:
        return list(configured_texts)

    def batch_predictions(self, batch: Any) -> Predictions:
        return Predictions(batch.probabilities, batch.embeddings, batch.encoded["token_counts"], batch.encoded["unk_counts"], self.rule)

    # Same rows as the tokenizer runtime: non-empty texts of the named column.
    inputs_from_frame = OnnxTextClassifier.inputs_from_frame
