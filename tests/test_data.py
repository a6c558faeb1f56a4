"""The built-in stream and the text-file loader: formats, splits, and every bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lightship.data.synthetic import SyntheticTickets
from lightship.data.text_file import TextFileData
from lightship.errors import DataError


def tickets(n: int = 300) -> pd.DataFrame:
    frame, _ = SyntheticTickets(n_rows=n, seed=7).load()
    return frame.rename(columns={"text": "body", "label": "queue", "time": "created"})


def write(frame: pd.DataFrame, path: Path) -> Path:
    {".csv": lambda: frame.to_csv(path, index=False), ".jsonl": lambda: frame.to_json(path, orient="records", lines=True, date_format="iso"),
     ".parquet": lambda: frame.to_parquet(path)}[path.suffix]()
    return path


def loader(path: Path, **overrides) -> TextFileData:
    options = dict(path=str(path), text_column="body", label_column="queue", min_rows_per_class=3, seed=1)
    options.update(overrides)
    return TextFileData(**options)


def test_synthetic_stream_is_seeded_imbalanced_and_timestamped() -> None:
    first, _ = SyntheticTickets(n_rows=3000, seed=3).load()
    second, _ = SyntheticTickets(n_rows=3000, seed=3).load()
    pd.testing.assert_frame_equal(first, second)
    shares = first["label"].value_counts(normalize=True)
    assert set(shares.index) == {"billing", "technical", "account", "shipping", "fraud"}
    assert 0.01 < shares["fraud"] < 0.06 and shares.max() < 0.4
    assert first["time"].is_monotonic_increasing


def test_synthetic_drift_knobs_change_vocabulary_mix_and_labels() -> None:
    drift = dict(kind="sudden", start=0.5, vocab_shift=1.0, class_mix_shift=1.0, new_category=True, new_category_label="outage")
    frame, _ = SyntheticTickets(n_rows=4000, seed=3, drift=drift).load()
    before, after = frame.iloc[:2000], frame.iloc[2000:]
    assert "outage" not in set(before["label"]) and (after["label"] == "outage").mean() > 0.05
    assert after["label"].eq("fraud").mean() > 2 * before["label"].eq("fraud").mean()
    assert before["text"].str.contains("wallet|passkey|redesign").mean() < 0.02
    assert after["text"].str.contains("wallet|passkey|redesign|locker|dashboard").mean() > 0.3


def test_split_by_time_keeps_order_and_every_class_in_train() -> None:
    split = SyntheticTickets(n_rows=2000, seed=3).prepare()
    assert split.train["time"].max() <= split.val["time"].min() <= split.test["time"].min()
    assert set(split.train["label"]) == set(split.labels)
    assert (len(split.train), len(split.val), len(split.test)) == (1400, 300, 300)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_text_file_formats_load_the_same_rows(tmp_path: Path, suffix: str) -> None:
    frame = tickets()
    split = loader(write(frame, tmp_path / f"tickets{suffix}"), time_column="created").prepare()
    assert split.labels == sorted(frame["queue"].unique())
    assert split.report["rows"] == len(frame) and split.report["dropped_rows"] == 0
    assert len(split.train) + len(split.val) + len(split.test) == len(frame)
    assert split.fingerprint.startswith("sha256:")


def test_without_time_column_the_split_is_stratified(tmp_path: Path) -> None:
    split = loader(write(tickets(), tmp_path / "t.csv")).prepare()
    for part in (split.train, split.val, split.test):
        assert set(part["label"]) == set(split.labels)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.csv: no such file"):
        loader(tmp_path / "nope.csv").prepare()


def test_unknown_extension_says_what_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "tickets.xlsx"
    path.write_text("x")
    with pytest.raises(DataError, match="data.format=csv|jsonl|parquet"):
        loader(path).prepare()


def test_missing_column_lists_columns_and_suggests(tmp_path: Path) -> None:
    path = write(tickets(), tmp_path / "t.csv")
    with pytest.raises(DataError) as caught:
        loader(path, text_column="bodyy").prepare()
    message = str(caught.value)
    assert "column 'bodyy' (from data.text_column) not found" in message and "Did you mean 'body'?" in message


def test_empty_texts_and_missing_labels_fail_with_rows(tmp_path: Path) -> None:
    frame = tickets()
    frame.loc[[3, 10], "body"] = "   "
    frame.loc[5, "queue"] = None
    path = write(frame, tmp_path / "t.csv")
    with pytest.raises(DataError) as caught:
        loader(path).prepare()
    message = str(caught.value)
    assert "3 of 300 rows cannot be used" in message
    assert "2 row(s) with empty or missing text (body), e.g. data row(s) [4, 11]" in message
    assert "1 row(s) with missing label (queue), e.g. data row(s) [6]" in message


def test_invalid_rows_can_be_dropped_and_are_counted(tmp_path: Path) -> None:
    frame = tickets()
    frame.loc[[3, 10], "body"] = ""
    split = loader(write(frame, tmp_path / "t.parquet"), drop_invalid_rows=True).prepare()
    assert split.report["dropped_rows"] == 2 and split.report["rows"] == 298
    assert split.report["dropped_by_reason"] == {"empty or missing text (body)": 2}


def test_a_class_too_small_to_split_fails(tmp_path: Path) -> None:
    frame = tickets()
    frame.loc[[0, 1], "queue"] = "legal"
    with pytest.raises(DataError, match=r"'legal' \(2 rows\).*data.min_rows_per_class=3"):
        loader(write(frame, tmp_path / "t.csv")).prepare()


def test_unparseable_times_are_reported(tmp_path: Path) -> None:
    frame = tickets().astype({"created": str})
    frame.loc[7, "created"] = "not a date"
    with pytest.raises(DataError, match=r"missing or unparseable time \(created\)"):
        loader(write(frame, tmp_path / "t.csv"), time_column="created").prepare()
