"""``data=transactions``: the seeded card-transaction stream and its drift knobs do what they say."""

from __future__ import annotations

import pandas as pd
import pytest

from lightship.data.transactions import COLUMN_TYPES, FRAUD, TransactionsData

SEED = 3


def _stream(**drift: float) -> tuple[pd.DataFrame, pd.Series]:
    source = TransactionsData(seed=SEED, drift=drift)
    frame, _ = source.load()
    return frame, frame["time"] >= source.change_point


@pytest.fixture(scope="module")
def base() -> tuple[pd.DataFrame, pd.Series]:
    return _stream()


def _new(frame: pd.DataFrame) -> pd.Series:
    return frame["merchant_category"].str.startswith("new_cat_")


def test_the_stream_is_seeded_rare_and_spans_months(base: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, _ = base
    assert list(frame.columns) == [*COLUMN_TYPES, "label", "time"]
    assert 0.004 <= (frame["label"] == FRAUD).mean() <= 0.006
    assert frame["time"].is_monotonic_increasing and (frame["time"].max() - frame["time"].min()).days >= 170
    assert frame.equals(TransactionsData(seed=SEED).load()[0])
    assert not frame.equals(TransactionsData(seed=SEED + 1).load()[0])
    fraud = frame["label"] == FRAUD
    # Fraud looks different, but no single column gives it away.
    assert frame.loc[fraud, "amount"].median() > 4 * frame.loc[~fraud, "amount"].median()
    assert 0.05 < (frame.loc[fraud, "amount"] < frame.loc[~fraud, "amount"].quantile(0.9)).mean() < 0.5


def test_amount_inflation_scales_amounts_after_the_change_only(base: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, after = _stream(amount_inflation=0.3)
    reference, _ = base
    assert frame.loc[after, "amount"].sum() / reference.loc[after, "amount"].sum() == pytest.approx(1.3, rel=1e-3)
    assert frame.loc[~after].equals(reference.loc[~after])


def test_new_categories_appear_mid_stream_and_carry_the_fraud() -> None:
    frame, after = _stream(new_categories=3, new_category_share=0.15, new_category_fraud=0.7)
    new = _new(frame)
    assert not new[~after].any()
    assert set(frame.loc[new, "merchant_category"]) == {"new_cat_1", "new_cat_2", "new_cat_3"}
    assert new[after & (frame["label"] != FRAUD)].mean() == pytest.approx(0.15, abs=0.01)
    assert new[after & (frame["label"] == FRAUD)].mean() == pytest.approx(0.7, abs=0.1)


def test_fraud_pattern_shift_changes_what_fraud_looks_like(base: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, after = _stream(fraud_pattern_shift=0.8)
    fraud = frame["label"] == FRAUD
    reference, _ = base
    reference_fraud = reference["label"] == FRAUD
    # Before the change fraud is large; after it, mostly small payments at a high velocity.
    assert frame.loc[fraud & ~after, "amount"].median() > 150
    assert frame.loc[fraud & after, "amount"].median() < 20 < reference.loc[reference_fraud & after, "amount"].median()
    assert frame.loc[fraud & after, "velocity_24h"].median() > 2 * reference.loc[reference_fraud & after, "velocity_24h"].median()


def test_data_transactions_composes_and_bad_knobs_fail_at_compose_time() -> None:
    from lightship.config.validation import compose_config
    from lightship.errors import ConfigError

    cfg = compose_config(["data=transactions", "model=gbdt", "data.drift.new_categories=2"])
    assert cfg.data.high_risk_label == FRAUD and cfg.data.drift.new_categories == 2
    with pytest.raises(ConfigError):
        compose_config(["data=transactions", "data.drift.new_categories=many"])
    with pytest.raises(ConfigError, match=r"metrics.alert_rate=1.5: must be a share of rows"):
        compose_config(["data=transactions", "metrics.alert_rate=1.5"])
    with pytest.raises(ConfigError, match="metrics.threshold"):
        compose_config(["metrics.threshold=budget"])
