"""The live store: every prediction the service made and the feedback that labels it.

SQLite (WAL mode) so several BentoML workers, a drift monitor and a retraining task
can share one file. Writers are the service (``record_predictions``,
``record_feedback``); readers use the window queries, which return plain rows so a
caller can build a DataFrame or stream them::

    store = PredictionStore("lightship_predictions.db")
    recent = store.predictions(since=time.time() - 3600)          # drift monitor: live inputs/outputs
    labelled = store.labelled(since=last_run_time, model_version="3")  # retraining / online learning
    quality = store.quality(window=1000)                           # live accuracy and per-class recall

Times are Unix seconds (UTC). Text is stored unless ``serve.store_texts=false``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    text TEXT,
    text_chars INTEGER NOT NULL,
    tokens INTEGER,
    truncated INTEGER NOT NULL DEFAULT 0,
    label TEXT NOT NULL,
    confidence REAL NOT NULL,
    probabilities TEXT NOT NULL,
    model_name TEXT,
    model_version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_time ON predictions (created_at);
CREATE TABLE IF NOT EXISTS feedback (
    prediction_id TEXT PRIMARY KEY REFERENCES predictions (id),
    label TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_time ON feedback (created_at);
CREATE TABLE IF NOT EXISTS control (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shadow_predictions (
    prediction_id TEXT PRIMARY KEY REFERENCES predictions (id),
    created_at REAL NOT NULL,
    label TEXT NOT NULL,
    confidence REAL NOT NULL,
    probabilities TEXT NOT NULL,
    model_name TEXT,
    model_version TEXT NOT NULL
);
"""


@dataclass
class PredictionRecord:
    id: str
    text: Optional[str]
    text_chars: int
    tokens: int
    truncated: bool
    label: str
    confidence: float
    probabilities: dict[str, float]
    model_name: Optional[str]
    model_version: str
    created_at: float = field(default_factory=time.time)


@dataclass
class FeedbackProblem:
    """Why one feedback item was refused (its index, the field, the reason)."""

    index: int
    field: str
    reason: str  # unknown_id, duplicate_feedback or unknown_label
    message: str


@dataclass
class Quality:
    """Live accuracy and per-class recall over the most recent labelled predictions."""

    labelled: int
    accuracy: Optional[float]
    recall: dict[str, float]
    support: dict[str, int]


class FeedbackRejected(Exception):
    def __init__(self, problems: list[FeedbackProblem]) -> None:
        super().__init__("; ".join(f"feedback[{p.index}].{p.field}: {p.message}" for p in problems))
        self.problems = problems


class PredictionStore:
    """Thread-safe access to one SQLite file (one connection per store, serialized by a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writers -------------------------------------------------------------------------
    def record_predictions(self, records: Sequence[PredictionRecord], keep_text: bool = True, ignore_existing: bool = False) -> None:
        """Insert predictions; ``ignore_existing`` skips ids already stored (a stream redelivering an event)."""
        rows = [
            (r.id, r.created_at, r.text if keep_text else None, r.text_chars, r.tokens, int(r.truncated), r.label,
             r.confidence, json.dumps(r.probabilities), r.model_name, r.model_version)
            for r in records
        ]
        verb = "INSERT OR IGNORE" if ignore_existing else "INSERT"
        self._insert_many(f"{verb} INTO predictions VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)

    def _insert_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self._lock:
            # One transaction per batch: in autocommit mode every row would be its own commit (several times slower).
            self._db.execute("BEGIN")
            try:
                self._db.executemany(sql, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def record_feedback(self, items: Sequence[tuple[str, str]], now: Optional[float] = None) -> list[dict[str, Any]]:
        """Store ``(prediction_id, true_label)`` pairs, all or nothing.

        Refuses unknown ids, ids that already have feedback (or appear twice in ``items``)
        and labels the answering model does not know; returns, per item, the prediction it labels.
        """
        now = now or time.time()
        with self._lock:
            problems, accepted, seen = [], [], set()
            for index, (prediction_id, label) in enumerate(items):
                row = self._db.execute(
                    "SELECT p.label, p.probabilities, p.model_version, f.label, s.label, s.model_version FROM predictions p "
                    "LEFT JOIN feedback f ON f.prediction_id = p.id LEFT JOIN shadow_predictions s ON s.prediction_id = p.id "
                    "WHERE p.id = ?",
                    (prediction_id,),
                ).fetchone()
                if row is None:
                    problems.append(FeedbackProblem(index, "id", "unknown_id", f"unknown prediction id '{prediction_id}' (ids come from /predict)"))
                    continue
                predicted, probabilities, version, existing, shadow_label, shadow_version = row
                known = list(json.loads(probabilities))
                if existing is not None or prediction_id in seen:
                    problems.append(FeedbackProblem(index, "id", "duplicate_feedback", f"prediction '{prediction_id}' already has feedback"))
                elif label not in known:
                    problems.append(FeedbackProblem(index, "label", "unknown_label", f"unknown label '{label}'; accepted: {', '.join(known)}"))
                else:
                    seen.add(prediction_id)
                    item = {"id": prediction_id, "label": label, "predicted": predicted, "correct": predicted == label, "model_version": version}
                    if shadow_version is not None:  # the challenger answered it too: the label scores both versions
                        item["challenger"] = {"model_version": shadow_version, "predicted": shadow_label, "correct": shadow_label == label}
                    accepted.append(item)
            if problems:
                raise FeedbackRejected(problems)
            self._db.executemany("INSERT INTO feedback VALUES (?,?,?)", [(a["id"], a["label"], now) for a in accepted])
        return accepted

    def record_shadow(self, records: Sequence[PredictionRecord]) -> None:
        """Store the challenger's answers; each ``id`` is that of the champion's prediction of the same request."""
        rows = [(r.id, r.created_at, r.label, r.confidence, json.dumps(r.probabilities), r.model_name, r.model_version) for r in records]
        self._insert_many("INSERT OR IGNORE INTO shadow_predictions VALUES (?,?,?,?,?,?,?)", rows)

    # -- readers (service metrics, drift monitor, retraining) -----------------------------
    def shadow_counts(self, champion_version: Optional[str] = None, challenger_version: Optional[str] = None) -> list[tuple[str, str, Optional[str], int]]:
        """Requests both versions answered, counted by (champion label, challenger label, true label or None).

        Optionally of one version pair; an aggregate, so a scrape stays cheap however large the store grows.
        """
        clauses, params = [], []
        for column, value in (("p.model_version", champion_version), ("s.model_version", challenger_version)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._db.execute(
                "SELECT p.label, s.label, f.label, COUNT(*) FROM shadow_predictions s JOIN predictions p ON p.id = s.prediction_id "
                f"LEFT JOIN feedback f ON f.prediction_id = p.id{where} GROUP BY p.label, s.label, f.label",
                params,
            ).fetchall()
        return [(champion, challenger, true, int(n)) for champion, challenger, true, n in rows]

    def predictions(self, since: float = 0.0, until: Optional[float] = None, model_version: Optional[str] = None, limit: Optional[int] = None) -> list[dict[str, Any]]:
        """Predictions in ``[since, until)``, oldest first, with their feedback label when there is one."""
        return self._rows(
            "SELECT p.*, f.label AS true_label, f.created_at AS feedback_at FROM predictions p "
            "LEFT JOIN feedback f ON f.prediction_id = p.id",
            "p.created_at", since, until, model_version, limit,
        )

    def labelled(self, since: float = 0.0, until: Optional[float] = None, model_version: Optional[str] = None, limit: Optional[int] = None) -> list[dict[str, Any]]:
        """Predictions that received feedback in ``[since, until)`` (by feedback time), oldest first."""
        return self._rows(
            "SELECT p.*, f.label AS true_label, f.created_at AS feedback_at FROM feedback f "
            "JOIN predictions p ON p.id = f.prediction_id",
            "f.created_at", since, until, model_version, limit,
        )

    def quality(self, window: int = 1000) -> Quality:
        """Accuracy and per-class recall over the ``window`` most recent feedback rows."""
        with self._lock:
            rows = self._db.execute(
                "SELECT p.label, f.label FROM feedback f JOIN predictions p ON p.id = f.prediction_id "
                "ORDER BY f.created_at DESC LIMIT ?",
                (window,),
            ).fetchall()
        support: dict[str, int] = {}
        hits: dict[str, int] = {}
        for predicted, true in rows:
            support[true] = support.get(true, 0) + 1
            hits[true] = hits.get(true, 0) + int(predicted == true)
        accuracy = sum(hits.values()) / len(rows) if rows else None
        return Quality(len(rows), accuracy, {label: hits[label] / n for label, n in support.items()}, support)

    def counts(self) -> dict[str, int]:
        with self._lock:
            predictions = self._db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
            feedback = self._db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
            shadow = self._db.execute("SELECT COUNT(*) FROM shadow_predictions").fetchone()[0]
        return {"predictions": predictions, "feedback": feedback, "shadow_predictions": shadow}

    # -- a tiny key/value table the workers use to coordinate (reload requests) ----------
    def get_control(self, key: str) -> Optional[str]:
        with self._lock:
            row = self._db.execute("SELECT value FROM control WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_control(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO control VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def _rows(self, query: str, time_column: str, since: float, until: Optional[float], model_version: Optional[str], limit: Optional[int]) -> list[dict[str, Any]]:
        clauses, params = [f"{time_column} >= ?"], [since]
        if until is not None:
            clauses.append(f"{time_column} < ?")
            params.append(until)
        if model_version is not None:
            clauses.append("p.model_version = ?")
            params.append(model_version)
        sql = f"{query} WHERE {' AND '.join(clauses)} ORDER BY {time_column}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            cursor = self._db.execute(sql, params)
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        for row in rows:
            row["probabilities"] = json.loads(row["probabilities"])
            row["truncated"] = bool(row["truncated"])
        return rows

