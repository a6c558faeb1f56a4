"""The schema of a table's feature columns: types, nullability, vocabularies and missing-value fills.

One object describes what a tabular model takes, and the same code turns raw rows into
the graph's inputs everywhere (training, parity, serving, batch scoring, drift):

- ``numeric`` (floats and integers) and ``boolean`` columns go to the graph's ``numeric``
  input (float32, NaN where missing; booleans as 0/1). The graph fills a missing value with
  the column's ``fill`` (from the train split under ``data.missing.*``).
- ``categorical`` columns go to the ``categorical`` input as strings (``""`` where missing).
  The graph maps each column's ``categories`` (learnt from the train split) to ids 1..k and
  anything else to 0, the unknown bucket; a missing value is a category of its own
  (``data.missing.categorical=category``, when the train split had any) or unknown.

Stored as the bundle manifest's ``input`` block::

    {"kind": "tabular", "columns": [{"name": "amount", "type": "numeric", "nullable": true, "fill": 12.5}, ...]}

A table without numeric (or without categorical) columns gets one constant placeholder
column in that input, so every tabular graph has the same two inputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from lightship.errors import DataError

NUMERIC, CATEGORICAL, BOOLEAN = "numeric", "categorical", "boolean"
COLUMN_TYPES = (NUMERIC, CATEGORICAL, BOOLEAN)
MISSING = ""  # a missing categorical value, as the graph sees it
_TRUE = {"true", "yes", "1", "t", "y"}
_FALSE = {"false", "no", "0", "f", "n"}


@dataclass
class Column:
    name: str
    type: str
    nullable: bool = False
    categories: list[str] = field(default_factory=list)
    fill: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        if self.type == CATEGORICAL:
            record.pop("fill")
        else:
            record.pop("categories")
        return record


def infer_type(values: pd.Series) -> str:
    """Booleans (also as true/false text) are boolean, numbers (integers too) numeric, anything else categorical."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values.dtype) or (len(present) and present.map(lambda v: isinstance(v, (bool, np.bool_))).all()):
        return BOOLEAN
    return NUMERIC if pd.api.types.is_numeric_dtype(values.dtype) else CATEGORICAL


def as_numbers(values: pd.Series) -> pd.Series:
    """Numeric values as floats, NaN where missing; text that is not a number is NaN too (callers check)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(float)
    return pd.to_numeric(values, errors="coerce").astype(float)


def as_booleans(values: pd.Series) -> pd.Series:
    """Booleans (true/false, yes/no, 1/0, any case) as 1.0/0.0, NaN where missing or unreadable."""
    def read(value: Any) -> float:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return np.nan
        if isinstance(value, (bool, np.bool_)):
            return float(value)
        text = str(value).strip().lower()
        return 1.0 if text in _TRUE else 0.0 if text in _FALSE else np.nan

    return values.map(read).astype(float)


def as_categories(values: pd.Series) -> pd.Series:
    """Category strings (whole floats print as integers), ``MISSING`` where missing."""
    def read(value: Any) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return MISSING
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return values.map(read).astype(object)


def invalid_cells(values: pd.Series, kind: str) -> pd.Series:
    """Present values that are not of ``kind`` (text in a numeric column, say)."""
    present = values.notna()
    if kind == NUMERIC:
        return present & as_numbers(values).isna()
    if kind == BOOLEAN:
        return present & as_booleans(values).isna()
    return pd.Series(False, index=values.index)


@dataclass
class TabularSchema:
    """The feature columns of a table, in graph order (see the module docstring)."""

    columns: list[Column]

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def numeric(self) -> list[Column]:
        """Numeric and boolean columns: the ``numeric`` input, in order."""
        return [column for column in self.columns if column.type != CATEGORICAL]

    @property
    def categorical(self) -> list[Column]:
        return [column for column in self.columns if column.type == CATEGORICAL]

    def to_input_spec(self) -> dict[str, Any]:
        return {"kind": "tabular", "columns": [column.to_dict() for column in self.columns]}

    @classmethod
    def from_input_spec(cls, spec: Mapping[str, Any]) -> "TabularSchema":
        return cls([Column(**{key: value for key, value in column.items()}) for column in spec["columns"]])

    # -- raw values -> graph inputs ------------------------------------------------------------
    def frame_of(self, rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=self.names)
        return frame

    def arrays(self, rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> dict[str, np.ndarray]:
        """``numeric`` (float32, NaN where missing) and ``categorical`` (strings) for raw rows or a frame."""
        frame = self.frame_of(rows)
        n = len(frame)
        numeric = [as_booleans(frame[c.name]) if c.type == BOOLEAN else as_numbers(frame[c.name]) for c in self.numeric]
        categorical = [as_categories(frame[c.name]) for c in self.categorical]
        return {
            "numeric": np.column_stack([s.to_numpy() for s in numeric]).astype(np.float32) if numeric else np.zeros((n, 1), np.float32),
            "categorical": np.column_stack([s.to_numpy() for s in categorical]).astype(object) if categorical else np.full((n, 1), MISSING, dtype=object),
        }

    @property
    def fills(self) -> np.ndarray:
        return np.asarray([c.fill for c in self.numeric] or [0.0], dtype=np.float32)

    @property
    def vocabularies(self) -> list[list[str]]:
        return [c.categories for c in self.categorical] or [[]]

    def filled(self, numeric: np.ndarray) -> np.ndarray:
        """The graph's fill step in NumPy (the reference side of parity, and training)."""
        return np.where(np.isnan(numeric), self.fills[None, :], numeric).astype(np.float32)

    def category_ids(self, categorical: np.ndarray) -> np.ndarray:
        """The graph's lookup in NumPy: category i of a column -> i + 1, anything else -> 0 (unknown)."""
        ids = np.zeros(categorical.shape, dtype=np.int64)
        for j, vocabulary in enumerate(self.vocabularies):
            index = {value: i + 1 for i, value in enumerate(vocabulary)}
            ids[:, j] = [index.get(value, 0) for value in categorical[:, j]]
        return ids

    def unseen(self, categorical: np.ndarray) -> dict[str, int]:
        """Per categorical column, present values outside its vocabulary (they are scored as unknown)."""
        counts = {}
        for j, column in enumerate(self.categorical):
            known = set(column.categories) | {MISSING}
            counts[column.name] = int(sum(value not in known for value in categorical[:, j]))
        return {name: count for name, count in counts.items() if count}


def build_schema(
    train: pd.DataFrame, declared: Mapping[str, str], feature_columns: Iterable[str], nullable: Mapping[str, bool],
    missing: Mapping[str, str],
) -> TabularSchema:
    """Column types (declared, else inferred), vocabularies and fills from the train split."""
    columns = []
    for name in feature_columns:
        kind = declared.get(name) or infer_type(train[name])
        column = Column(name, kind, bool(nullable.get(name, False)))
        if kind == CATEGORICAL:
            values = as_categories(train[name])
            seen = values[values != MISSING] if missing.get(CATEGORICAL) == "unknown" else values
            column.categories = sorted(seen.unique().tolist())
        else:
            numbers = (as_booleans if kind == BOOLEAN else as_numbers)(train[name]).dropna()
            column.fill = float(_fill(numbers, missing.get(kind, "mean")))
        columns.append(column)
    return TabularSchema(columns)


def _fill(numbers: pd.Series, policy: Optional[str]) -> float:
    if not len(numbers) or policy in ("zero", "error"):
        return 0.0
    if policy == "median":
        return float(numbers.median())
    if policy == "mode":
        return float(numbers.mode().iloc[0])
    return float(numbers.mean())


def require_columns(frame: pd.DataFrame, names: Sequence[str], where: str) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise DataError(f"{where}: column(s) {missing} of the model not found. Columns present: {', '.join(map(str, frame.columns))}.")
