"""Validated train/val/test splits of a labelled frame (by time when a time column exists).

Text frames have ``text``/``label`` (and ``time``); tabular frames have their feature
columns instead of ``text``, described by ``SplitData.input`` (the bundle's ``input`` block).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Optional, Sequence

import pandas as pd

from lightship.errors import DataError

log = logging.getLogger(__name__)

TEXT, LABEL, TIME = "text", "label", "time"


@dataclass
class SplitData:
    """The three splits, the label names (index = class id) and what happened to the rows."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    labels: list[str]
    source: str
    fingerprint: str
    report: dict = field(default_factory=dict)
    # What the model takes: {"kind": "text"} or the tabular schema (kind, columns with types and categories).
    input: dict = field(default_factory=lambda: {"kind": "text"})

    @property
    def label_to_id(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.labels)}


def fingerprint(frame: pd.DataFrame, feature_columns: Sequence[str] = ()) -> str:
    """A stable SHA-256 of the rows (text or feature columns, label and time when present), for lineage."""
    columns = [column for column in (TEXT, *feature_columns, LABEL, TIME) if column in frame.columns]
    hashed = pd.util.hash_pandas_object(frame[columns].astype(str), index=False).to_numpy()
    return "sha256:" + hashlib.sha256(hashed.tobytes()).hexdigest()


def check_class_counts(frame: pd.DataFrame, min_rows: int, where: str) -> None:
    """Fail when a class has too few rows to appear in every split."""
    counts = frame[LABEL].value_counts()
    small = counts[counts < min_rows]
    if not small.empty:
        listed = ", ".join(f"{label!r} ({count} rows)" for label, count in small.items())
        raise DataError(
            f"{where}: class(es) {listed} have fewer than data.min_rows_per_class={min_rows} rows, "
            "too few to split into train/val/test. Add rows, merge the class, or lower data.min_rows_per_class."
        )


def split_frame(
    frame: pd.DataFrame,
    val_fraction: float,
    test_fraction: float,
    train_fraction: float,
    seed: int,
    source: str,
    min_rows_per_class: int,
    report: Optional[dict] = None,
    input_spec: Optional[dict] = None,
) -> SplitData:
    """Split by time (oldest to train, newest to test) when ``time`` exists, else stratified at random.

    ``train_fraction`` keeps a seeded, stratified share of the train split (learning curves).
    ``input_spec`` describes the model's input (default: text).
    """
    if not 0 < val_fraction < 1 or not 0 < test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise DataError(
            f"data.val_fraction={val_fraction} and data.test_fraction={test_fraction} must each lie in (0, 1) "
            "and sum to less than 1."
        )
    if not 0 < train_fraction <= 1:
        raise DataError(f"data.train_fraction={train_fraction} must lie in (0, 1].")
    check_class_counts(frame, min_rows_per_class, source)
    labels = sorted(frame[LABEL].unique().tolist())
    if TIME in frame.columns:
        ordered = frame.sort_values(TIME, kind="stable").reset_index(drop=True)
        n = len(ordered)
        n_test, n_val = int(round(n * test_fraction)), int(round(n * val_fraction))
        train = ordered.iloc[: n - n_val - n_test]
        val = ordered.iloc[n - n_val - n_test : n - n_test]
        test = ordered.iloc[n - n_test :]
    else:
        shuffled = frame.sample(frac=1.0, random_state=seed)
        rank = shuffled.groupby(LABEL).cumcount() / shuffled.groupby(LABEL)[LABEL].transform("size")
        test = shuffled[rank < test_fraction]
        val = shuffled[(rank >= test_fraction) & (rank < test_fraction + val_fraction)]
        train = shuffled[rank >= test_fraction + val_fraction]
    if train_fraction < 1:
        train = train.groupby(LABEL, group_keys=False).sample(frac=train_fraction, random_state=seed)
    missing = sorted(set(labels) - set(train[LABEL]))
    if missing:
        raise DataError(
            f"{source}: class(es) {missing} have no rows in the train split (split by time, "
            f"train_fraction={train_fraction}). Add older rows for them or lower data.val_fraction/test_fraction."
        )
    for name, part in (("val", val), ("test", test)):
        absent = sorted(set(labels) - set(part[LABEL]))
        if absent:
            log.warning("%s: class(es) %s have no rows in the %s split; their recall there is undefined.", source, absent, name)
    report = dict(report or {})
    report.update(rows=len(frame), train_rows=len(train), val_rows=len(val), test_rows=len(test))
    return SplitData(
        train=train.reset_index(drop=True),
        val=val.reset_index(drop=True),
        test=test.reset_index(drop=True),
        labels=labels,
        source=source,
        fingerprint=fingerprint(frame, [column["name"] for column in (input_spec or {}).get("columns", [])]),
        report=report,
        input=dict(input_spec or {"kind": "text"}),
    )
