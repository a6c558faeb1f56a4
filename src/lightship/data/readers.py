"""Read a table from CSV, JSON lines or Parquet, choosing the reader by extension or config."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pandas as pd

from lightship.errors import DataError

_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}

_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "csv": lambda path: pd.read_csv(path, keep_default_na=True),
    "jsonl": lambda path: pd.read_json(path, lines=True),
    "parquet": pd.read_parquet,
}


def resolve_format(path: Path, fmt: Any = "auto") -> str:
    """The file's format: the configured one, or the one its extension names."""
    name = getattr(fmt, "value", fmt) or "auto"
    if name != "auto":
        return name
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise DataError(
            f"{path}: cannot tell the format from the extension '{path.suffix}'. "
            f"Use one of {sorted(_EXTENSIONS)} or set data.format=csv|jsonl|parquet."
        )
    return found


def read_table(path: str | Path, fmt: Any = "auto") -> pd.DataFrame:
    """Read the whole file; a missing or unreadable file raises ``DataError`` naming it."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file (resolved to {path.resolve()}). Give an existing CSV, JSON lines or Parquet file.")
    kind = resolve_format(path, fmt)
    try:
        return _READERS[kind](path)
    except Exception as exc:  # the readers raise many types for malformed files
        raise DataError(f"{path}: could not be read as {kind}: {exc}") from exc


def iter_table(path: str | Path, fmt: Any = "auto", chunk_size: int = 1000) -> Iterator[pd.DataFrame]:
    """Stream a file in chunks of ``chunk_size`` rows (CSV and JSON lines natively; Parquet by row group)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: no such file. Give an existing CSV, JSON lines or Parquet file.")
    kind = resolve_format(path, fmt)
    if kind == "csv":
        yield from pd.read_csv(path, chunksize=chunk_size)
    elif kind == "jsonl":
        yield from pd.read_json(path, lines=True, chunksize=chunk_size)
    else:
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
            yield batch.to_pandas()


def require_column(frame: pd.DataFrame, column: Optional[str], key: str, path: Path | str) -> None:
    """Fail with the available columns (and a near name) when ``column`` is not in the file."""
    if column is None or column in frame.columns:
        return
    import difflib

    columns = [str(name) for name in frame.columns]
    close = difflib.get_close_matches(column, columns, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise DataError(f"{path}: column '{column}' (from {key}) not found.{hint} Columns in the file: {', '.join(columns)}.")
