"""ONNX Runtime inference over a bundle: the bundle's tokenizer, max length and label map.

One runtime serves every consumer (parity check, promotion gates, batch scoring, the
BentoML service), so what is measured before promotion is what answers in production.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from lightship.bundle import Bundle

log = logging.getLogger(__name__)

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def requested_providers(provider: str) -> list[str]:
    """Providers to ask ONNX Runtime for: CUDA first (CPU after it) or CPU only."""
    return [CUDA, CPU] if provider == "cuda" else [CPU]


@dataclass
class Predictions:
    probabilities: np.ndarray
    embeddings: np.ndarray
    token_counts: np.ndarray
    unk_counts: np.ndarray

    @property
    def label_ids(self) -> np.ndarray:
        return self.probabilities.argmax(axis=-1)


class OnnxTextClassifier:
    """Tokenize with the bundle's tokenizer, run the graph, return probabilities and embeddings."""

    def __init__(
        self, bundle: Bundle | str | Path, provider: str = "cpu", intra_op_threads: int = 0, inter_op_threads: int = 0
    ) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.bundle = bundle if isinstance(bundle, Bundle) else Bundle.load(bundle)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.bundle.tokenizer_dir))
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        available = set(ort.get_available_providers())
        providers = [name for name in requested_providers(provider) if name in available] or [CPU]
        self.session = ort.InferenceSession(str(self.bundle.onnx_path), options, providers=providers)
        self.requested_provider = provider

    @property
    def provider_in_use(self) -> str:
        """The provider ONNX Runtime actually runs on (the one reliable check after a fallback)."""
        return self.session.get_providers()[0]

    @property
    def labels(self) -> list[str]:
        return self.bundle.labels

    def encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Pad to the longest text of the batch, truncate at the bundle's ``max_length``."""
        encoded = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.bundle.max_length, return_tensors="np"
        )
        return {"input_ids": encoded["input_ids"].astype(np.int64), "attention_mask": encoded["attention_mask"].astype(np.int64)}

    def run(self, encoded: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        logits, embedding = self.session.run(None, encoded)
        return logits, embedding

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
            n_labels = len(self.labels)
            return Predictions(np.zeros((0, n_labels)), np.zeros((0, 0)), np.zeros(0, int), np.zeros(0, int))
        return Predictions(np.concatenate(probabilities), np.concatenate(embeddings), np.concatenate(tokens), np.concatenate(unknown))
