"""Features of a text classifier that drift detection can watch without labels.

Labels arrive late or never in production, so the monitor watches what the
model produces for every request:

- ``confidence``: the largest class probability (falls when inputs look unfamiliar);
- ``predicted_class``: the predicted label (categorical; its mix shifts with the topics);
- ``text_length``: characters per text;
- ``unk_rate``: the share of the tokenizer's unknown tokens (new scripts, jargon, encodings);
- ``embedding_pc1..k``: the sentence embedding projected onto the first k
  principal components of the reference embeddings (where the topics move).

The PCA (mean and components) is fitted once on the reference embeddings and
travels in the reference profile, so serving projects exactly as training did.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> embeddings = rng.normal(size=(200, 8))
>>> extractor = fit_text_feature_extractor(embeddings, n_components=2)
>>> probs = rng.dirichlet([1, 1, 1], size=200)
>>> frame = extractor.features(probs, embeddings, text_lengths=rng.integers(5, 50, 200),
...                            unk_rates=np.zeros(200), id2label={0: "a", 1: "b", 2: "c"})
>>> list(frame.columns)
['confidence', 'predicted_class', 'text_length', 'unk_rate', 'embedding_pc1', 'embedding_pc2']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from lightship.errors import DataError
from lightship.monitoring.drift.base import CATEGORICAL, NUMERIC, FeatureKind
from lightship.monitoring.drift.profile import DEFAULT_MAX_ROWS, ReferenceProfile

if TYPE_CHECKING:
    from lightship.inference.runtime import Predictions

_MEAN_KEY = "text_features.pca_mean"
_COMPONENTS_KEY = "text_features.pca_components"
Labels = Union[Mapping[int, str], Sequence[str], None]


def unknown_token_rate(input_ids: np.ndarray, attention_mask: np.ndarray, unk_token_id: int) -> np.ndarray:
    """Per text, the share of its (unpadded) tokens that are the unknown token."""
    input_ids, attention_mask = np.asarray(input_ids), np.asarray(attention_mask).astype(bool)
    tokens = attention_mask.sum(axis=1)
    unknown = ((input_ids == unk_token_id) & attention_mask).sum(axis=1)
    return np.divide(unknown, tokens, out=np.zeros(len(tokens)), where=tokens > 0)


@dataclass(frozen=True)
class TextFeatureExtractor:
    """Turns model outputs into the monitored feature table; holds the reference PCA."""

    mean: np.ndarray
    components: np.ndarray

    @property
    def embedding_columns(self) -> list[str]:
        return [f"embedding_pc{i + 1}" for i in range(len(self.components))]

    @property
    def kinds(self) -> dict[str, FeatureKind]:
        base = {"confidence": NUMERIC, "predicted_class": CATEGORICAL, "text_length": NUMERIC, "unk_rate": NUMERIC}
        return {**base, **{name: NUMERIC for name in self.embedding_columns}}

    def project(self, embeddings: np.ndarray) -> np.ndarray:
        embeddings = np.asarray(embeddings, dtype=np.float64)
        if embeddings.ndim != 2 or embeddings.shape[1] != self.mean.shape[0]:
            raise DataError(f"embeddings of shape {embeddings.shape}; the reference PCA expects (rows, {self.mean.shape[0]})")
        return (embeddings - self.mean) @ self.components.T

    def features(
        self,
        probs: np.ndarray,
        embeddings: Optional[np.ndarray] = None,
        text_lengths: Optional[Sequence[float]] = None,
        unk_rates: Optional[Sequence[float]] = None,
        id2label: Labels = None,
    ) -> pd.DataFrame:
        """One row per text. ``probs``: class probabilities (softmax output), shape (rows, classes).

        Columns whose input is not given are left out (and so not watched).
        """
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim != 2:
            raise DataError(f"probs must be (rows, classes), got shape {probs.shape}")
        if len(probs) and (probs.min() < -1e-6 or np.abs(probs.sum(axis=1) - 1).max() > 1e-3):
            raise DataError("probs rows must be probabilities summing to 1; apply softmax to logits first")
        predicted = probs.argmax(axis=1)
        labels = _label_names(id2label, probs.shape[1])
        columns: dict[str, object] = {
            "confidence": probs.max(axis=1),
            "predicted_class": pd.Series(np.asarray(labels, dtype=object)[predicted], dtype=object),
        }
        for name, values in (("text_length", text_lengths), ("unk_rate", unk_rates)):
            if values is not None:
                columns[name] = _same_length(name, np.asarray(values, dtype=np.float64), len(probs))
        if embeddings is not None:
            projected = self.project(_same_length("embeddings", np.asarray(embeddings), len(probs)))
            columns.update(zip(self.embedding_columns, projected.T))
        return pd.DataFrame(columns)

    def attach(self, profile: ReferenceProfile) -> ReferenceProfile:
        """Store the PCA in ``profile`` (it is saved and loaded with it)."""
        profile.attachments[_MEAN_KEY] = self.mean
        profile.attachments[_COMPONENTS_KEY] = self.components
        return profile

    @classmethod
    def from_profile(cls, profile: ReferenceProfile) -> "TextFeatureExtractor":
        try:
            return cls(profile.attachments[_MEAN_KEY], profile.attachments[_COMPONENTS_KEY])
        except KeyError:
            raise DataError("the reference profile carries no text-feature PCA; build it with "
                            "build_text_reference_profile") from None


def fit_text_feature_extractor(reference_embeddings: np.ndarray, n_components: int = 3) -> TextFeatureExtractor:
    """PCA of the reference embeddings by SVD; each component's sign is fixed (largest loading positive)."""
    embeddings = np.asarray(reference_embeddings, dtype=np.float64)
    if embeddings.ndim != 2 or len(embeddings) < 2:
        raise DataError(f"reference embeddings must be (rows >= 2, dim), got shape {embeddings.shape}")
    k = min(n_components, embeddings.shape[1], len(embeddings) - 1)
    mean = embeddings.mean(axis=0)
    _, _, vt = np.linalg.svd(embeddings - mean, full_matrices=False)
    components = vt[:k]
    signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
    return TextFeatureExtractor(mean, components * np.where(signs == 0, 1.0, signs)[:, None])


def build_text_reference_profile(
    probs: np.ndarray,
    embeddings: Optional[np.ndarray] = None,
    text_lengths: Optional[Sequence[float]] = None,
    unk_rates: Optional[Sequence[float]] = None,
    id2label: Labels = None,
    n_components: int = 3,
    max_rows: int = DEFAULT_MAX_ROWS,
    seed: int = 0,
) -> ReferenceProfile:
    """The reference profile of a text model, from its outputs on held-out data (training time)."""
    extractor = fit_text_feature_extractor(embeddings, n_components) if embeddings is not None else None
    frame = (extractor or TextFeatureExtractor(np.zeros(0), np.zeros((0, 0)))).features(
        probs, embeddings if extractor else None, text_lengths, unk_rates, id2label)
    kinds = (extractor.kinds if extractor else {"predicted_class": CATEGORICAL})
    profile = ReferenceProfile.from_frame(frame, kinds={k: v for k, v in kinds.items() if k in frame.columns},
                                          max_rows=max_rows, seed=seed, metadata={"features": "text"})
    return extractor.attach(profile) if extractor else profile


def _label_names(id2label: Labels, n_classes: int) -> list[str]:
    if id2label is None:
        return [str(i) for i in range(n_classes)]
    if isinstance(id2label, Mapping):
        return [str(id2label.get(i, id2label.get(str(i), i))) for i in range(n_classes)]
    labels = [str(label) for label in id2label]
    if len(labels) < n_classes:
        raise DataError(f"id2label names {len(labels)} classes; probs has {n_classes}")
    return labels


def _same_length(name: str, values: np.ndarray, rows: int) -> np.ndarray:
    if len(values) != rows:
        raise DataError(f"{name} has {len(values)} rows; probs has {rows}")
    return values


def prediction_columns(predictions: "Predictions", texts: Sequence[str]) -> dict[str, np.ndarray]:
    """The raw inputs of the text features from a runtime's output: the one definition that
    training (reference profile), the service and offline reports share."""
    tokens = np.asarray(predictions.token_counts, dtype=float)
    unknown = np.asarray(predictions.unk_counts, dtype=float)
    return {
        "probs": predictions.probabilities,
        "embeddings": predictions.embeddings,
        "text_lengths": np.fromiter((len(text) for text in texts), dtype=float, count=len(texts)),
        "unk_rates": np.divide(unknown, tokens, out=np.zeros(len(tokens)), where=tokens > 0),
    }


def reference_profile_from_predictions(
    predictions: "Predictions", texts: Sequence[str], labels: Sequence[str], n_components: int = 3, max_rows: int = DEFAULT_MAX_ROWS, seed: int = 0
) -> ReferenceProfile:
    """Reference profile of a bundle, from its own runtime's predictions on held-out texts."""
    return build_text_reference_profile(
        **prediction_columns(predictions, texts), id2label=list(labels), n_components=n_components, max_rows=max_rows, seed=seed
    )


@dataclass(frozen=True)
class TextModelFeatures:
    """The text kind's drift features for :class:`lightship.monitoring.model_features.ModelFeatures`."""

    extractor: TextFeatureExtractor

    @staticmethod
    def reference_profile(predictions: "Predictions", texts: Sequence[str], labels: Sequence[str], input_spec: Mapping,
                          max_rows: int, seed: int) -> ReferenceProfile:
        return reference_profile_from_predictions(predictions, texts, labels, max_rows=max_rows, seed=seed)

    @classmethod
    def from_profile(cls, profile: ReferenceProfile) -> "TextModelFeatures":
        return cls(TextFeatureExtractor.from_profile(profile))

    def columns(self, predictions: "Predictions", texts: Sequence[str]) -> dict[str, np.ndarray]:
        return prediction_columns(predictions, texts)

    def table(self, columns: Mapping[str, np.ndarray], labels: Sequence[str]) -> pd.DataFrame:
        return self.extractor.features(**columns, id2label=list(labels))
