"""Drift features of an image classifier: its outputs beside simple statistics of the pixels.

- ``confidence``, ``predicted_class`` and ``embedding_pc1..k`` (the pooled CNN embedding on
  the reference PCA), as for text models (:class:`lightship.monitoring.text_features.TextFeatureExtractor`);
- ``brightness`` (mean pixel, 0..1), ``contrast`` (pixel standard deviation), ``height``,
  ``width`` and ``aspect`` (width / height) of the decoded image: a darker scene or a new
  camera (another resolution or framing) moves these before any label arrives.

The decoded mode travels in the profile's metadata, so serving decodes as training did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from lightship.data.images import to_array
from lightship.monitoring.drift.base import NUMERIC
from lightship.monitoring.drift.profile import ReferenceProfile
from lightship.monitoring.text_features import TextFeatureExtractor, fit_text_feature_extractor

if TYPE_CHECKING:
    from lightship.inference.runtime import Predictions

STATISTICS = ("brightness", "contrast", "height", "width", "aspect")
_MODE_KEY, _PIXELS_KEY = "image_mode", "image_max_pixels"


def image_statistics(images: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """Per image: brightness and contrast (of pixels scaled to 0..1), height, width and aspect."""
    values = {name: np.zeros(len(images)) for name in STATISTICS}
    for i, image in enumerate(images):
        pixels = image.astype(np.float32) / 255.0
        values["brightness"][i], values["contrast"][i] = pixels.mean(), pixels.std()
        values["height"][i], values["width"][i] = image.shape[0], image.shape[1]
    values["aspect"] = np.divide(values["width"], values["height"], out=np.ones(len(images)), where=values["height"] > 0)
    return values


@dataclass(frozen=True)
class ImageModelFeatures:
    """The image kind's drift features for :class:`lightship.monitoring.model_features.ModelFeatures`."""

    extractor: TextFeatureExtractor
    mode: str
    max_pixels: int

    @property
    def kinds(self) -> dict[str, str]:
        return {**self.extractor.kinds, **{name: NUMERIC for name in STATISTICS}}

    @classmethod
    def reference_profile(cls, predictions: "Predictions", images: Sequence[Any], labels: Sequence[str], input_spec: Mapping[str, Any],
                          max_rows: int, seed: int) -> ReferenceProfile:
        features = cls(fit_text_feature_extractor(predictions.embeddings), str(input_spec.get("mode", "RGB")),
                       int(input_spec.get("max_pixels", 4096 * 4096)))
        frame = features.table(features.columns(predictions, images), labels)
        kinds = {name: kind for name, kind in features.kinds.items() if name in frame.columns}
        profile = ReferenceProfile.from_frame(frame, kinds=kinds, max_rows=max_rows, seed=seed,
                                              metadata={"features": "image", _MODE_KEY: features.mode, _PIXELS_KEY: features.max_pixels})
        return features.extractor.attach(profile)

    @classmethod
    def from_profile(cls, profile: ReferenceProfile) -> "ImageModelFeatures":
        return cls(TextFeatureExtractor.from_profile(profile), str(profile.metadata[_MODE_KEY]), int(profile.metadata[_PIXELS_KEY]))

    def columns(self, predictions: "Predictions", images: Sequence[Any]) -> dict[str, np.ndarray]:
        """Probabilities, embeddings and the image statistics of each input (decoded again when it came as bytes)."""
        decoded = [to_array(image, self.mode, self.max_pixels) for image in images]
        return {"probs": np.asarray(predictions.probabilities), "embeddings": np.asarray(predictions.embeddings), **image_statistics(decoded)}

    def table(self, columns: Mapping[str, np.ndarray], labels: Sequence[str]) -> pd.DataFrame:
        frame = self.extractor.features(columns["probs"], columns["embeddings"], id2label=list(labels))
        for name in STATISTICS:
            frame[name] = np.asarray(columns[name], dtype=np.float64)
        return frame
