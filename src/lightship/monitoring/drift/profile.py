"""The reference profile: what the drift tests need to know about the reference data.

Computed once, at training time, on held-out data, and stored in the model
bundle as ``reference_profile.npz``. It is compact and holds no raw rows beyond
a capped sample of each numeric feature:

- numeric feature: its finite values, sorted, as float64; at most ``max_rows`` of
  them (a seeded uniform sample without replacement when there are more). The KS
  test compares against exactly this sample, so its p-values equal
  ``scipy.stats.ks_2samp(sample, current)``; keep ``max_rows`` at or above the
  reference size when p-values must match a test on the full reference.
- categorical feature: the count of every category (as a string).
- both: the number of rows and of missing values (null, or for numbers also
  non-finite), so a rise in the missing rate can be tested.

``attachments`` (named float arrays) and ``metadata`` (JSON values) carry what
feature extraction needs at serving time, e.g. the PCA of the text embeddings.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping, Optional, Union

import numpy as np
import pandas as pd

from lightship.errors import ConfigError, DataError
from lightship.monitoring.drift.base import CATEGORICAL, FEATURE_KINDS, NUMERIC, FeatureKind

PROFILE_FILENAME = "reference_profile.npz"
FORMAT_VERSION = 1
DEFAULT_MAX_ROWS = 10_000


@dataclass(frozen=True)
class ColumnValues:
    """A current column split into the values a test sees and what it cannot see.

    Numeric values are finite and sorted ascending; categorical values are strings.
    """

    values: np.ndarray
    n_total: int
    n_missing: int
    n_nonfinite: int = 0


@dataclass
class _Counted:
    """Row and missing counts, which every feature kind keeps for the missing-rate test."""

    name: str
    n_total: int
    n_missing: int

    @property
    def n_valid(self) -> int:
        return self.n_total - self.n_missing

    @property
    def missing_rate(self) -> float:
        return self.n_missing / self.n_total if self.n_total else 0.0


@dataclass
class NumericProfile(_Counted):
    """A numeric feature: a sorted sample of its finite values and its missing count."""

    sorted_sample: np.ndarray
    kind: ClassVar[FeatureKind] = NUMERIC

    @staticmethod
    def read(column: pd.Series) -> ColumnValues:
        """Finite values of ``column``, sorted; nulls, text that is not a number and ±inf count as missing."""
        if pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(numbers)
        if finite.all():
            return ColumnValues(np.sort(numbers), len(numbers), 0)
        valid = np.sort(numbers[finite])
        return ColumnValues(valid, len(numbers), len(numbers) - len(valid), int(np.isinf(numbers).sum()))

    @classmethod
    def build(cls, name: str, column: pd.Series, max_rows: int, rng: np.random.Generator) -> "NumericProfile":
        read = cls.read(column)
        values = read.values
        if len(values) > max_rows:
            values = rng.choice(values, size=max_rows, replace=False)
        return cls(name, read.n_total, read.n_missing, np.sort(values) if len(values) < len(read.values) else values)


@dataclass
class CategoricalProfile(_Counted):
    """A categorical feature: the count of each category and its missing count."""

    counts: dict[str, int]
    kind: ClassVar[FeatureKind] = CATEGORICAL

    @staticmethod
    def read(column: pd.Series) -> ColumnValues:
        """Non-null values as strings; whole floats print as integers so 3 and 3.0 are one category."""
        present = column[column.notna()]
        if pd.api.types.is_float_dtype(present.dtype) and np.all(np.mod(present.to_numpy(), 1) == 0):
            present = present.astype(np.int64)
        values = present.astype(str).to_numpy(dtype=object)
        return ColumnValues(values, len(column), len(column) - len(values))

    @classmethod
    def build(cls, name: str, column: pd.Series, max_rows: int, rng: np.random.Generator) -> "CategoricalProfile":
        read = cls.read(column)
        labels, counts = np.unique(read.values.astype(str), return_counts=True) if len(read.values) else ([], [])
        return cls(name, read.n_total, read.n_missing, {str(k): int(v) for k, v in zip(labels, counts)})


FeatureProfile = Union[NumericProfile, CategoricalProfile]
_PROFILE_BY_KIND: dict[str, type] = {NUMERIC: NumericProfile, CATEGORICAL: CategoricalProfile}


def infer_kind(column: pd.Series) -> FeatureKind:
    """Numbers (not booleans) are numeric; everything else is categorical."""
    dtype = column.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return NUMERIC
    return CATEGORICAL


@dataclass
class ReferenceProfile:
    """Per-feature reference summaries plus attachments for feature extraction."""

    features: dict[str, FeatureProfile]
    attachments: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def kinds(self) -> dict[str, FeatureKind]:
        return {name: feature.kind for name, feature in self.features.items()}

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        kinds: Optional[Mapping[str, str]] = None,
        columns: Optional[Iterable[str]] = None,
        max_rows: int = DEFAULT_MAX_ROWS,
        seed: int = 0,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> "ReferenceProfile":
        """Profile ``columns`` (default: all) of ``frame``.

        ``kinds`` overrides the inferred kind (``"numeric"`` or ``"categorical"``)
        of some columns; ``max_rows`` caps the sorted sample kept per numeric feature.
        """
        if max_rows < 1:
            raise ConfigError(f"drift.max_reference_rows must be >= 1, got {max_rows}")
        names = list(columns) if columns is not None else [str(c) for c in frame.columns]
        absent = [name for name in names if name not in frame.columns]
        if absent:
            raise DataError(f"reference data lacks columns {absent}; it has {list(map(str, frame.columns))}")
        if len(frame) == 0:
            raise DataError("reference data has no rows; a drift profile needs at least one")
        kinds = dict(kinds or {})
        unknown = {name: kind for name, kind in kinds.items() if kind not in FEATURE_KINDS}
        if unknown:
            raise ConfigError(f"unknown feature kinds {unknown}; accepted: {list(FEATURE_KINDS)}")
        rng = np.random.default_rng(seed)
        features = {}
        for name in names:
            kind = kinds.get(name) or infer_kind(frame[name])
            features[name] = _PROFILE_BY_KIND[kind].build(name, frame[name], max_rows, rng)
        return cls(features=features, metadata=dict(metadata or {}))

    def save(self, path: Union[str, os.PathLike]) -> Path:
        """Write the profile as one ``.npz`` file; a directory gets ``reference_profile.npz``."""
        target = _profile_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        header: dict[str, Any] = {"format": FORMAT_VERSION, "features": [], "attachments": sorted(self.attachments),
                                  "metadata": self.metadata}
        arrays: dict[str, np.ndarray] = {}
        for index, feature in enumerate(self.features.values()):
            entry = {"name": feature.name, "kind": feature.kind, "n_total": feature.n_total,
                     "n_missing": feature.n_missing}
            if isinstance(feature, NumericProfile):
                arrays[f"feature_{index}"] = feature.sorted_sample
            else:
                entry["counts"] = feature.counts
            header["features"].append(entry)
        for index, key in enumerate(header["attachments"]):
            arrays[f"attachment_{index}"] = np.asarray(self.attachments[key])
        arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
        # Write then rename, so a reader never sees half a profile.
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".npz", delete=False) as handle:
            np.savez_compressed(handle, **arrays)
        os.replace(handle.name, target)
        return target

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "ReferenceProfile":
        """Read a profile written by :meth:`save` (a file, or a directory holding one)."""
        source = _profile_path(path)
        if not source.is_file():
            raise DataError(f"no reference profile at {source}; expected a file written by ReferenceProfile.save")
        with np.load(source, allow_pickle=False) as stored:
            header = json.loads(stored["header"].tobytes().decode("utf-8"))
            if header.get("format") != FORMAT_VERSION:
                raise DataError(f"{source}: profile format {header.get('format')!r}, this version reads {FORMAT_VERSION}")
            features: dict[str, FeatureProfile] = {}
            for index, entry in enumerate(header["features"]):
                common = (entry["name"], int(entry["n_total"]), int(entry["n_missing"]))
                if entry["kind"] == NUMERIC:
                    features[entry["name"]] = NumericProfile(*common, stored[f"feature_{index}"].astype(np.float64))
                else:
                    features[entry["name"]] = CategoricalProfile(*common, {k: int(v) for k, v in entry["counts"].items()})
            attachments = {key: stored[f"attachment_{i}"] for i, key in enumerate(header["attachments"])}
        return cls(features=features, attachments=attachments, metadata=header.get("metadata", {}))


def _profile_path(path: Union[str, os.PathLike]) -> Path:
    path = Path(path)
    return path / PROFILE_FILENAME if path.is_dir() or not path.suffix else path
