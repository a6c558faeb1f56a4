"""The text runtime: the bundle's tokenizer and truncation in front of the graph.

Graph inputs ``input_ids`` and ``attention_mask`` (int64, padded to the batch's longest
text); outputs ``logits`` and ``sentence_embedding``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lightship.bundle import Bundle
from lightship.errors import LightshipError
from lightship.inference.runtime import OnnxClassifier, Predictions, softmax


class OnnxTextClassifier(OnnxClassifier):
    """Tokenize with the bundle's tokenizer, run the graph, return probabilities and embeddings."""

    kind = "text"

    def __init__(self, bundle: Bundle | str | Path, *args: Any, **kwargs: Any) -> None:
        from transformers import AutoTokenizer

        from lightship.models.text_encoding import TextEncoder

        super().__init__(bundle, *args, **kwargs)
        if not self.bundle.tokenizer_dir.is_dir():
            raise LightshipError(f"{self.bundle.path}: incomplete bundle, {self.bundle.tokenizer_dir.name} is missing.")
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.bundle.tokenizer_dir))
        self.encoder = TextEncoder.for_manifest(self.tokenizer, self.bundle.manifest)

    def encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Pad to the longest text of the batch, truncated to the bundle's ``max_length`` as in training."""
        return self.encoder.encode(texts)

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, truncated as in training and not padded (see :meth:`pad`)."""
        return self.encoder.ids(texts)

    def pad(self, ids: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        """Pad token id lists to the longest of them, as ``encode`` does (the tokenizer's pad id and side)."""
        return self.encoder.pad(ids)

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> Predictions:
        """Probabilities, embeddings and token statistics for ``texts``, in order."""
        probabilities, embeddings, tokens, unknown = [], [], [], []
        unk_id = self.tokenizer.unk_token_id
        for start in range(0, len(texts), batch_size):
            encoded = self.encode(texts[start : start + batch_size])
            logits, embedding = self.run(encoded)
            probabilities.append(softmax(logits))
            embeddings.append(embedding)
            tokens.append(encoded["attention_mask"].sum(axis=1))
            unknown.append(((encoded["input_ids"] == unk_id) & (encoded["attention_mask"] == 1)).sum(axis=1))
        if not probabilities:
            return Predictions.empty(len(self.labels))
        return Predictions(np.concatenate(probabilities), np.concatenate(embeddings), np.concatenate(tokens), np.concatenate(unknown), self.rule)

    def score(self, texts: Sequence[str], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> Any:
        from lightship.inference.scoring import score_texts

        return score_texts(self, texts, max_rows, max_tokens)

    def smoke_inputs(self, configured_texts: Sequence[str]) -> list[Any]:
        return list(configured_texts)

    def batch_predictions(self, batch: Any) -> Predictions:
        input_ids, mask = batch.encoded["input_ids"], batch.encoded["attention_mask"].astype(bool)
        unk_id = self.tokenizer.unk_token_id
        unknown = ((input_ids == unk_id) & mask).sum(axis=1) if unk_id is not None else np.zeros(len(mask), int)
        return Predictions(batch.probabilities, batch.embeddings, mask.sum(axis=1), unknown, self.rule)

    def inputs_from_frame(self, frame: Any, column: Optional[str] = None, where: str = "input", key: str = "the text column") -> tuple[list[Any], Any]:
        """Non-empty texts of ``column``; rows with a missing or blank text are not usable."""
        from lightship.data.readers import require_column

        require_column(frame, column, key, where)
        texts = frame[column]
        usable = texts.notna() & texts.astype(str).str.strip().astype(bool)
        return texts[usable].astype(str).tolist(), usable
