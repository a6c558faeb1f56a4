"""The model a backtest serves: an in-memory PyTorch classifier with its drift detector.

A backtest replays weeks of traffic and retrains many times, so it skips what only a
release needs (ONNX export, parity, MLflow) and keeps what the decisions depend on:
the same ``fit`` as ``task=train``, the same text features and reference profile as the
service, and the configured drift detector fitted on that profile.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from lightship.data.splits import TEXT, SplitData
from lightship.inference.runtime import Predictions


@dataclass
class LiveModel:
    """A trained classifier, its text encoder and label set, and a detector fitted on its reference."""

    classifier: Any
    encoder: Any
    labels: list[str]
    detector: Any
    trained_at: datetime

    @property
    def label_to_id(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.labels)}

    def predict(self, texts: Sequence[str], batch_size: int = 128) -> Predictions:
        """Probabilities, embeddings and token counts, as the ONNX runtime returns them."""
        import torch

        probabilities, embeddings, tokens, unknown = [], [], [], []
        unk_id = self.encoder.tokenizer.unk_token_id
        self.classifier.eval()
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                encoded = self.encoder.encode_torch(texts[start : start + batch_size])
                logits, embedding = self.classifier(encoded["input_ids"], encoded["attention_mask"])
                mask = encoded["attention_mask"]
                probabilities.append(torch.softmax(logits, dim=-1).numpy())
                embeddings.append(embedding.numpy())
                tokens.append(mask.sum(dim=1).numpy())
                unknown.append(((encoded["input_ids"] == unk_id) & (mask == 1)).sum(dim=1).numpy())
        if not probabilities:
            return Predictions(np.zeros((0, len(self.labels))), np.zeros((0, 0)), np.zeros(0, int), np.zeros(0, int))
        return Predictions(np.concatenate(probabilities), np.concatenate(embeddings), np.concatenate(tokens), np.concatenate(unknown))

    def features(self, texts: Sequence[str], predictions: Predictions) -> pd.DataFrame:
        """The monitored feature table of ``texts`` (what the live monitor computes)."""
        from lightship.monitoring.text_features import (
            TextFeatureExtractor,
            prediction_columns,
        )

        extractor = TextFeatureExtractor.from_profile(self.detector.profile)
        return extractor.features(**prediction_columns(predictions, texts), id2label=self.labels)

    def refit_detector(self, held_out_texts: Sequence[str], make_detector: Callable[[], Any], seed: int) -> None:
        """Profile the model's own outputs on held-out texts and fit a fresh detector on it."""
        from lightship.monitoring.text_features import (
            reference_profile_from_predictions,
        )

        profile = reference_profile_from_predictions(self.predict(held_out_texts), held_out_texts, self.labels, seed=seed)
        self.detector = make_detector().fit(profile)


def train_live_model(
    data: SplitData,
    spec: Any,
    trainer_cfg: Any,
    data_cfg: Any,
    seed: int,
    trained_at: datetime,
    make_detector: Callable[[], Any],
) -> tuple[LiveModel, float]:
    """Fit on ``data`` with ``task=train``'s ``fit``; return the model and the training seconds."""
    from lightship.training.fit import fit

    with tempfile.TemporaryDirectory() as scratch:
        result = fit(spec, data, trainer_cfg, data_cfg, seed, Path(scratch), [])
    model = LiveModel(result.classifier, result.encoder, list(data.labels), None, trained_at)
    held_out = data.val if len(data.val) else data.test
    model.refit_detector(held_out[TEXT].tolist(), make_detector, seed)
    return model, result.train_seconds
