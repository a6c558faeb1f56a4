"""``data=tabular_file``: the user's labelled table in CSV, JSON lines or Parquet.

Feature columns are every column but the label and time columns (or ``data.features``).
Their types come from ``data.columns`` (``{name: numeric|categorical|boolean}``) where
declared, else are inferred (integers count as numeric); the schema is printed, logged and
stored in the bundle (:mod:`lightship.data.tabular_schema`). Vocabularies and fill values
come from the train split only.

Bad input fails before training and names the file, the rows (1-based data rows) and the
column: a missing label, text in a numeric or boolean column, a missing value where
``data.missing.<type>=error``, an unparseable time; an all-empty column fails on its own.
With ``data.drop_invalid_rows=true`` bad rows are dropped and counted in the data report.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import pandas as pd

from lightship.data import tabular_schema as schema_lib
from lightship.data.readers import read_table, require_column
from lightship.data.source import DataSource
from lightship.data.splits import LABEL, TEXT, TIME, SplitData, split_frame
from lightship.errors import DataError

log = logging.getLogger(__name__)

_SHOWN_ROWS = 5
DEFAULT_MISSING = {"numeric": "mean", "categorical": "category", "boolean": "mode"}


class TabularFileData(DataSource):
    """Load, validate and split a table; the split's ``input`` is the schema (see the module docstring)."""

    def __init__(
        self,
        path: str,
        label_column: str = "label",
        time_column: Optional[str] = None,
        features: Optional[Sequence[str]] = None,
        columns: Optional[Mapping[str, Any]] = None,
        missing: Optional[Mapping[str, Any]] = None,
        format: Any = "auto",
        drop_invalid_rows: bool = False,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        self.path = Path(path).expanduser()
        self.label_column = label_column
        self.time_column = time_column
        self.features = list(features) if features else None
        self.declared = {str(name): getattr(kind, "value", kind) for name, kind in (columns or {}).items()}
        self.missing = {**DEFAULT_MISSING, **{k: getattr(v, "value", v) for k, v in (missing or {}).items()}}
        self.format = format
        self.drop_invalid_rows = drop_invalid_rows
        self.nullable: dict[str, bool] = {}

    @property
    def description(self) -> str:
        return str(self.path)

    def feature_columns(self, raw: pd.DataFrame) -> list[str]:
        if self.features is not None:
            return self.features
        return [str(c) for c in raw.columns if c not in (self.label_column, self.time_column)]

    def _check_columns(self, raw: pd.DataFrame, features: list[str]) -> None:
        for column, key in ((self.label_column, "data.label_column"), (self.time_column, "data.time_column")):
            require_column(raw, column, key, self.path)
        for name in features:
            require_column(raw, name, "data.features" if self.features else "data.columns", self.path)
        for name, kind in self.declared.items():
            require_column(raw, name, "data.columns", self.path)
            if kind not in schema_lib.COLUMN_TYPES:
                raise DataError(f"data.columns.{name}={kind}: not a column type. Accepted: {', '.join(schema_lib.COLUMN_TYPES)}.")
        clashes = [name for name in features if name in (LABEL, TIME, TEXT) and name not in (self.label_column, self.time_column)]
        if clashes:
            raise DataError(f"{self.path}: feature column(s) {clashes} use a reserved name; rename them in the file.")
        empty = [name for name in features if raw[name].isna().all()]
        if empty:
            raise DataError(f"{self.path}: column(s) {empty} are empty in every row. Drop them (data.features) or fill them.")

    def _invalid_rows(self, raw: pd.DataFrame, features: list[str]) -> dict[str, pd.Series]:
        label = raw[self.label_column]
        checks = {f"missing label ({self.label_column})": label.isna() | (label.astype(str).str.strip() == "")}
        for name in features:
            kind = self.declared.get(name) or schema_lib.infer_type(raw[name])
            bad = schema_lib.invalid_cells(raw[name], kind)
            if bad.any():
                checks[f"a value that is not {kind} in column '{name}'"] = bad
            if self.missing.get(kind) == "error" and raw[name].isna().any():
                checks[f"a missing value in column '{name}' (data.missing.{kind}=error)"] = raw[name].isna()
        if self.time_column:
            checks[f"missing or unparseable time ({self.time_column})"] = pd.to_datetime(raw[self.time_column], errors="coerce", utc=True).isna()
        return checks

    def load(self) -> tuple[pd.DataFrame, dict]:
        raw = read_table(self.path, self.format)
        if raw.empty:
            raise DataError(f"{self.path}: the file has no rows.")
        features = self.feature_columns(raw)
        if not features:
            raise DataError(f"{self.path}: no feature columns besides the label (and time) column.")
        self._check_columns(raw, features)
        checks = self._invalid_rows(raw, features)
        invalid = pd.Series(False, index=raw.index)
        counts: dict[str, int] = {}
        for reason, mask in checks.items():
            counts[reason] = int(mask.sum())
            invalid |= mask
        if invalid.any() and not self.drop_invalid_rows:
            lines = [f"  {counts[reason]} row(s) with {reason}, e.g. data row(s) {(raw.index[mask][:_SHOWN_ROWS] + 1).tolist()} (1-based)"
                     for reason, mask in checks.items() if mask.any()]
            raise DataError(f"{self.path}: {int(invalid.sum())} of {len(raw)} rows cannot be used:\n" + "\n".join(lines)
                            + "\nFix them, or set data.drop_invalid_rows=true to drop and count them.")
        kept = raw[~invalid]
        frame = kept[features].copy()
        frame[LABEL] = kept[self.label_column].astype(str)
        if self.time_column:
            frame[TIME] = pd.to_datetime(kept[self.time_column], utc=True)
        self.nullable = {name: bool(frame[name].isna().any()) for name in features}
        report = {"file_rows": len(raw), "dropped_rows": int(invalid.sum()), "dropped_by_reason": {k: v for k, v in counts.items() if v}}
        return frame.reset_index(drop=True), report

    def prepare(self) -> SplitData:
        """Load, validate and split; the schema comes from the train split, is printed and becomes ``data.input``."""
        frame, report = self.load()
        data = self.split(frame, self.description, report, self.train_fraction)
        print_schema(schema_lib.TabularSchema.from_input_spec(data.input), self.declared, str(self.path))
        return data

    def split(self, frame: pd.DataFrame, source: str, report: Optional[dict] = None, train_fraction: float = 1.0) -> SplitData:
        """Split as every source does; the schema (types, vocabularies, fills) comes from this train split."""
        features = [c for c in frame.columns if c not in (LABEL, TIME)]
        data = split_frame(
            frame, val_fraction=self.val_fraction, test_fraction=self.test_fraction, train_fraction=train_fraction,
            seed=self.seed, source=source, min_rows_per_class=self.min_rows_per_class, report=report,
            input_spec={"kind": "tabular", "columns": [{"name": name} for name in features]},
        )
        nullable = {name: bool(self.nullable.get(name, False) or frame[name].isna().any()) for name in features}
        schema = schema_lib.build_schema(data.train, self.declared, features, nullable, self.missing)
        data.input = schema.to_input_spec()
        data.report["schema"] = {c.name: c.type + (" (declared)" if c.name in self.declared else " (inferred)") for c in schema.columns}
        return data

    def inputs_frame(self, stored: Sequence[str]) -> pd.DataFrame:
        """Rows as the prediction store keeps them (one JSON object each) back as columns."""
        import json

        return pd.DataFrame([json.loads(text) for text in stored])


def print_schema(schema: schema_lib.TabularSchema, declared: Mapping[str, str], where: str) -> None:
    """The column types (declared or inferred), nullability and vocabulary sizes, as a table (rich) and in the log."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"lightship schema of {where}")
    for name in ("column", "type", "from", "nullable", "categories / fill"):
        table.add_column(name)
    for column in schema.columns:
        detail = f"{len(column.categories)} categories" if column.type == schema_lib.CATEGORICAL else f"fill {column.fill:.4g}"
        table.add_row(column.name, column.type, "declared" if column.name in declared else "inferred", str(column.nullable).lower(), detail)
    Console(stderr=True).print(table)
    log.info("Schema of %s: %s", where, {c.name: c.type for c in schema.columns})
