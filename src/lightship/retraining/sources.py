"""Where ``task=retrain`` reads its state in production.

- the champion's training time: the registry (creation time of the version the alias points at);
- drift verdicts: the JSON-lines log the live monitor appends to (``drift.events_log``),
  one object per window with at least ``timestamp`` (ISO 8601 or Unix seconds) and ``drifted``;
- labelled feedback: the service's prediction store (``serve.store_path``), or anything with
  the same ``labelled`` query (:class:`FeedbackSource`).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional, Protocol, Sequence

import pandas as pd

from lightship.data.splits import LABEL, TIME
from lightship.errors import DataError
from lightship.retraining.state import DriftEvent

FEEDBACK_AT = "feedback_at"


class FeedbackSource(Protocol):
    """Labelled predictions whose feedback arrived in ``[since, until)`` (Unix seconds), oldest first.

    Each row has at least ``text``, ``true_label`` and ``created_at`` (when the text was
    predicted); :class:`lightship.serving.store.PredictionStore` is one.
    """

    def labelled(self, since: float = 0.0, until: Optional[float] = None) -> list[dict[str, Any]]:
        ...


def parse_time(value: Any, where: str) -> datetime:
    """An aware UTC datetime from ISO 8601 text or Unix seconds."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        parsed = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise DataError(f"{where}: timestamp {value!r} is neither ISO 8601 text nor Unix seconds") from None
    return (parsed.tz_localize("UTC") if parsed.tzinfo is None else parsed.tz_convert("UTC")).to_pydatetime()


def read_drift_events(path: Path, since: Optional[datetime] = None) -> list[DriftEvent]:
    """Drift verdicts from the monitor's log (a missing file means no checks ran yet)."""
    path = Path(path)
    if not path.is_file():
        return []
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{where}: not a JSON object ({error.msg}); drift.events_log holds one JSON object per line") from None
        if not isinstance(record, dict) or "timestamp" not in record or "drifted" not in record:
            raise DataError(f"{where}: a drift event needs 'timestamp' and 'drifted'; got {line[:200]!r}")
        event = DriftEvent(parse_time(record["timestamp"], where), bool(record["drifted"]))
        if since is None or event.at > since:
            events.append(event)
    return sorted(events, key=lambda event: event.at)


class NoFeedback:
    """The feedback source when the service has not written a store yet: no labelled rows."""

    def labelled(self, since: float = 0.0, until: Optional[float] = None) -> list[dict[str, Any]]:
        return []


def feedback_frame(
    source: FeedbackSource, inputs_frame: Callable[[Sequence[str]], pd.DataFrame], since: datetime, until: Optional[datetime] = None,
) -> pd.DataFrame:
    """Labelled feedback as the model's input columns plus ``label``/``time``/``feedback_at`` (time: when it was predicted).

    ``inputs_frame`` turns the stored inputs back into columns: the ``data`` source's
    :meth:`~lightship.data.source.DataSource.inputs_frame` (texts as ``text``, a table's rows as its columns).
    """
    rows = source.labelled(since=since.timestamp(), until=None if until is None else until.timestamp())
    usable = [row for row in rows if row.get("text")]
    frame = inputs_frame([row["text"] for row in usable]).reset_index(drop=True)
    frame[LABEL] = [row["true_label"] for row in usable]
    frame[TIME] = pd.to_datetime([row["created_at"] for row in usable], unit="s", utc=True)
    frame[FEEDBACK_AT] = pd.to_datetime([row["feedback_at"] for row in usable], unit="s", utc=True)
    return frame


def champion_trained_at(registry: Any) -> tuple[Optional[str], Optional[datetime]]:
    """The champion's version and when it was registered (None, None when there is no champion)."""
    version = registry.champion_version()
    if version is None:
        return None, None
    created_ms = registry.version_details(version)["created_ms"]
    return version, datetime.fromtimestamp(created_ms / 1000.0, tz=timezone.utc)
