"""Drift features of a tabular model: its raw input columns beside its confidence and predicted class.

Numeric columns are compared with KS (or the ``drift`` group's numeric test), categorical
and boolean columns with chi-square, whose report names categories the reference never
saw (``unseen_categories``): the new product category that made a recommender fail
silently shows up here by name, before any label arrives. The columns and their types
travel in the reference profile's metadata, so serving reads them as training wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from lightship.data.tabular_schema import BOOLEAN, NUMERIC, as_booleans, as_categories, as_numbers
from lightship.monitoring.drift.base import CATEGORICAL as CATEGORICAL_FEATURE
from lightship.monitoring.drift.base import NUMERIC as NUMERIC_FEATURE
from lightship.monitoring.drift.profile import ReferenceProfile

if TYPE_CHECKING:
    from lightship.inference.runtime import Predictions

_COLUMNS_KEY = "tabular_columns"
OUTPUT_FEATURES = {"confidence": NUMERIC_FEATURE, "predicted_class": CATEGORICAL_FEATURE}


@dataclass(frozen=True)
class TabularModelFeatures:
    """The tabular kind's drift features for :class:`lightship.monitoring.model_features.ModelFeatures`."""

    columns_spec: tuple[tuple[str, str], ...]

    @property
    def kinds(self) -> dict[str, str]:
        raw = {name: NUMERIC_FEATURE if kind == NUMERIC else CATEGORICAL_FEATURE for name, kind in self.columns_spec}
        return {**{k: v for k, v in OUTPUT_FEATURES.items() if k not in raw}, **raw}

    @classmethod
    def reference_profile(cls, predictions: "Predictions", rows: Sequence[Mapping[str, Any]], labels: Sequence[str],
                          input_spec: Mapping[str, Any], max_rows: int, seed: int) -> ReferenceProfile:
        features = cls(tuple((c["name"], c["type"]) for c in input_spec["columns"]))
        frame = features.table(features.columns(predictions, rows), labels)
        return ReferenceProfile.from_frame(frame, kinds=features.kinds, max_rows=max_rows, seed=seed,
                                          metadata={"features": "tabular", _COLUMNS_KEY: [list(c) for c in features.columns_spec]})

    @classmethod
    def from_profile(cls, profile: ReferenceProfile) -> "TabularModelFeatures":
        return cls(tuple((str(name), str(kind)) for name, kind in profile.metadata[_COLUMNS_KEY]))

    def columns(self, predictions: "Predictions", rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        """Probabilities and each raw column's values (objects: numbers, strings, booleans or None), row-aligned."""
        values: dict[str, np.ndarray] = {"probs": np.asarray(predictions.probabilities)}
        for name, _ in self.columns_spec:
            column = np.empty(len(rows), dtype=object)
            column[:] = [row.get(name) for row in rows]
            values[name] = column
        return values

    def table(self, columns: Mapping[str, np.ndarray], labels: Sequence[str]) -> pd.DataFrame:
        probs = np.asarray(columns["probs"], dtype=np.float64)
        frame = {"confidence": probs.max(axis=1) if len(probs) else np.zeros(0),
                 "predicted_class": pd.Series(np.asarray(labels, dtype=object)[probs.argmax(axis=1)] if len(probs) else [], dtype=object)}
        for name, kind in self.columns_spec:
            raw = pd.Series(columns[name], dtype=object)
            if kind == NUMERIC:
                frame[name] = as_numbers(raw).to_numpy()
            elif kind == BOOLEAN:
                frame[name] = as_booleans(raw).map({1.0: "true", 0.0: "false"}).astype(object).to_numpy()
            else:
                categories = as_categories(raw)
                frame[name] = categories.where(categories != "", None).to_numpy()
        return pd.DataFrame(frame)[list(self.kinds)]
