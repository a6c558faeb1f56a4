"""Streaming writers for batch predictions, chosen by the output file's extension."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Protocol

import pandas as pd

from lightship.errors import ConfigError


class Sink(Protocol):
    def write(self, frame: pd.DataFrame) -> None: ...
    def close(self) -> None: ...


class ParquetSink:
    """One Parquet file written row group by row group (the schema is the first chunk's)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Optional[Any] = None

    def write(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(str(self.path), table.schema)
        self._writer.write_table(table.cast(self._writer.schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class CsvSink:
    def __init__(self, path: Path) -> None:
        self.path, self._started = path, False

    def write(self, frame: pd.DataFrame) -> None:
        frame.to_csv(self.path, mode="a" if self._started else "w", header=not self._started, index=False)
        self._started = True

    def close(self) -> None:
        pass


class JsonlSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.write_text("")

    def write(self, frame: pd.DataFrame) -> None:
        with self.path.open("a") as handle:
            frame.to_json(handle, orient="records", lines=True)

    def close(self) -> None:
        pass


SINKS = {".parquet": ParquetSink, ".csv": CsvSink, ".jsonl": JsonlSink}


def open_sink(path: Path) -> Sink:
    try:
        return SINKS[path.suffix.lower()](path)
    except KeyError:
        raise ConfigError(f"predict.output={path.name}: unsupported extension '{path.suffix}'. Accepted: {', '.join(sorted(SINKS))}.") from None
