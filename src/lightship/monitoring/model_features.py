"""A served model's drift features: its bundle's reference profile, and the same features for new texts.

``task=drift`` (a model reference) and the service's live monitor both need the same two
things: the reference profile stored in the bundle, fitted into the configured detector,
and a feature table for current texts computed from the model's own outputs exactly as
training computed the reference (:func:`lightship.monitoring.text_features.prediction_columns`).

>>> features = ModelFeatures.from_bundle("path/to/bundle", labels=["a", "b"])   # doctest: +SKIP
>>> report = fitted_detector(cfg.drift, features.profile).compare(features.frame(predictions, texts))  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union

import numpy as np
import pandas as pd

from lightship.errors import DataError
from lightship.monitoring.drift.profile import PROFILE_FILENAME, ReferenceProfile
from lightship.monitoring.text_features import TextFeatureExtractor, prediction_columns

if TYPE_CHECKING:
    from lightship.serving.runtime import Predictions


def fitted_detector(drift_cfg: Any, profile: ReferenceProfile) -> Any:
    """The ``drift`` group's detector (its ``_target_``), fitted on ``profile``."""
    from hydra.utils import instantiate

    return instantiate(drift_cfg).fit(profile)


@dataclass(frozen=True)
class ModelFeatures:
    """A bundle's reference profile plus the extractor that maps model outputs to its features."""

    profile: ReferenceProfile
    extractor: TextFeatureExtractor
    labels: list[str]

    @classmethod
    def from_bundle(cls, bundle_dir: Union[str, os.PathLike], labels: Sequence[str]) -> "ModelFeatures":
        """Read ``reference_profile.npz`` from a bundle folder; a bundle without one cannot be monitored."""
        path = Path(bundle_dir) / PROFILE_FILENAME
        if not path.is_file():
            raise DataError(f"{Path(bundle_dir)}: the bundle has no {PROFILE_FILENAME}, so there is no reference to compare "
                            "with; retrain the model with this version of lightship (every training run writes one)")
        profile = ReferenceProfile.load(path)
        return cls(profile, TextFeatureExtractor.from_profile(profile), list(labels))

    def frame(self, predictions: "Predictions", texts: Sequence[str]) -> pd.DataFrame:
        """The monitored features of ``texts``, from the model's outputs on them (one row per text)."""
        return self.table(prediction_columns(predictions, texts))

    def table(self, columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """The monitored features from :func:`prediction_columns` output (possibly of several batches, stacked)."""
        frame = self.extractor.features(**columns, id2label=self.labels)
        return frame[[name for name in self.profile.features if name in frame.columns]]
