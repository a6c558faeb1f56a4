"""A served model's drift features: its bundle's reference profile, and the same features for new inputs.

``task=drift`` (a model reference), the service's live monitor and training (the reference
profile) need the same things: the profile stored in the bundle, fitted into the configured
detector, and a feature table for current inputs computed exactly as training computed the
reference. What the features are depends on the bundle's input kind, through
:data:`FEATURES`: text models are watched through their own outputs (confidence, class mix,
length, unknown tokens, embedding components, :mod:`lightship.monitoring.text_features`),
tabular models through their raw columns beside confidence and class mix
(:mod:`lightship.monitoring.tabular_features`). The kind is stored in the profile's metadata.

>>> features = ModelFeatures.from_bundle("path/to/bundle", labels=["a", "b"])   # doctest: +SKIP
>>> report = fitted_detector(cfg.drift, features.profile).compare(features.frame(predictions, texts))  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union

import numpy as np
import pandas as pd

from lightship.errors import DataError
from lightship.monitoring.drift.profile import PROFILE_FILENAME, ReferenceProfile

if TYPE_CHECKING:
    from lightship.inference.runtime import Predictions

# Input kind -> the class computing its drift features (reference_profile, from_profile, columns, table).
FEATURES: dict[str, str] = {
    "text": "lightship.monitoring.text_features:TextModelFeatures",
    "tabular": "lightship.monitoring.tabular_features:TabularModelFeatures",
    "image": "lightship.monitoring.image_features:ImageModelFeatures",
}


def features_class(kind: str) -> Any:
    if kind not in FEATURES:
        raise DataError(f"no drift features for input kind '{kind}'. Known kinds: {sorted(FEATURES)}.")
    module, _, name = FEATURES[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def fitted_detector(drift_cfg: Any, profile: ReferenceProfile) -> Any:
    """The ``drift`` group's detector (its ``_target_``), fitted on ``profile``."""
    from hydra.utils import instantiate

    return instantiate(drift_cfg).fit(profile)


def build_reference_profile(runtime: Any, inputs: Sequence[Any], max_rows: int, seed: int) -> ReferenceProfile:
    """The reference profile of a bundle, from its own runtime's predictions on held-out inputs."""
    kind = runtime.bundle.input_kind
    profile = features_class(kind).reference_profile(runtime.predict(inputs), inputs, runtime.labels, runtime.input_spec, max_rows, seed)
    profile.metadata["features"] = kind
    return profile


@dataclass(frozen=True)
class ModelFeatures:
    """A bundle's reference profile plus the extractor that maps model inputs and outputs to its features."""

    profile: ReferenceProfile
    extractor: Any
    labels: list[str]

    @classmethod
    def from_bundle(cls, bundle_dir: Union[str, os.PathLike], labels: Sequence[str]) -> "ModelFeatures":
        """Read ``reference_profile.npz`` from a bundle folder; a bundle without one cannot be monitored."""
        path = Path(bundle_dir) / PROFILE_FILENAME
        if not path.is_file():
            raise DataError(f"{Path(bundle_dir)}: the bundle has no {PROFILE_FILENAME}, so there is no reference to compare "
                            "with; retrain the model with this version of lightship (every training run writes one)")
        profile = ReferenceProfile.load(path)
        kind = str(profile.metadata.get("features", "text"))
        return cls(profile, features_class(kind).from_profile(profile), list(labels))

    def columns(self, predictions: "Predictions", inputs: Sequence[Any]) -> dict[str, np.ndarray]:
        """The per-row raw values the features are computed from (what the live window holds)."""
        return self.extractor.columns(predictions, inputs)

    def frame(self, predictions: "Predictions", inputs: Sequence[Any]) -> pd.DataFrame:
        """The monitored features of ``inputs``, from the model's outputs on them (one row per input)."""
        return self.table(self.columns(predictions, inputs))

    def table(self, columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """The monitored features from :meth:`columns` output (possibly of several batches, stacked)."""
        frame = self.extractor.table(columns, self.labels)
        return frame[[name for name in self.profile.features if name in frame.columns]]
