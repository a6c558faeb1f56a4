"""``data=text_file``: the user's labelled texts in CSV, JSON lines or Parquet.

Unusable rows (empty or missing text, missing label, unparseable time) fail the run with
their row numbers, or, with ``data.drop_invalid_rows=true``, are dropped and counted in
the run's data report; they are never dropped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pandas as pd

from lightship.data.readers import read_table, require_column
from lightship.data.source import DataSource
from lightship.data.splits import LABEL, TEXT, TIME
from lightship.errors import DataError

_SHOWN_ROWS = 5


class TextFileData(DataSource):
    """Load, validate and normalise a text file to the ``text``/``label``/``time`` columns."""

    def __init__(
        self,
        path: str,
        text_column: str = "text",
        label_column: str = "label",
        time_column: Optional[str] = None,
        format: Any = "auto",
        drop_invalid_rows: bool = False,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        self.path = Path(path).expanduser()
        self.text_column = text_column
        self.label_column = label_column
        self.time_column = time_column
        self.format = format
        self.drop_invalid_rows = drop_invalid_rows

    @property
    def description(self) -> str:
        return str(self.path)

    def _invalid_rows(self, raw: pd.DataFrame) -> dict[str, pd.Series]:
        text = raw[self.text_column]
        checks = {
            f"empty or missing text ({self.text_column})": text.isna() | (text.astype(str).str.strip() == ""),
            f"missing label ({self.label_column})": raw[self.label_column].isna()
            | (raw[self.label_column].astype(str).str.strip() == ""),
        }
        if self.time_column:
            parsed = pd.to_datetime(raw[self.time_column], errors="coerce", utc=True)
            checks[f"missing or unparseable time ({self.time_column})"] = parsed.isna()
        return checks

    def load(self) -> tuple[pd.DataFrame, dict]:
        raw = read_table(self.path, self.format)
        if raw.empty:
            raise DataError(f"{self.path}: the file has no rows.")
        for column, key in ((self.text_column, "data.text_column"), (self.label_column, "data.label_column"), (self.time_column, "data.time_column")):
            require_column(raw, column, key, self.path)
        checks = self._invalid_rows(raw)
        invalid = pd.Series(False, index=raw.index)
        counts: dict[str, int] = {}
        for reason, mask in checks.items():
            counts[reason] = int(mask.sum())
            invalid |= mask
        if invalid.any() and not self.drop_invalid_rows:
            lines = []
            for reason, mask in checks.items():
                if mask.any():
                    rows = (raw.index[mask][:_SHOWN_ROWS] + 1).tolist()
                    lines.append(f"  {counts[reason]} row(s) with {reason}, e.g. data row(s) {rows} (1-based)")
            raise DataError(
                f"{self.path}: {int(invalid.sum())} of {len(raw)} rows cannot be used:\n" + "\n".join(lines)
                + "\nFix them, or set data.drop_invalid_rows=true to drop and count them."
            )
        kept = raw[~invalid]
        frame = pd.DataFrame({TEXT: kept[self.text_column].astype(str), LABEL: kept[self.label_column].astype(str)})
        if self.time_column:
            frame[TIME] = pd.to_datetime(kept[self.time_column], utc=True)
        report = {"file_rows": len(raw), "dropped_rows": int(invalid.sum()), "dropped_by_reason": {k: v for k, v in counts.items() if v}}
        return frame.reset_index(drop=True), report
