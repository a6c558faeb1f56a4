"""``data=transactions``: a seeded card-transaction stream with rare fraud (about 0.5%) and drift knobs.

Each row is one card payment: ``amount``, ``merchant_category``, ``country``, ``device``,
``hour``, ``account_age_days``, ``velocity_24h`` (the card's payments in the last day) and
``card_present``, with a ``time`` spread over ``days`` and a label ``fraud`` or ``legit``.
Fraud follows one of two patterns:

- **A** (the pattern of the first months): large amounts, at night, abroad, on young
  accounts, card not present, in electronics, jewelry and gift cards;
- **B** (``drift.fraud_pattern_shift``): card testing and account takeover, small amounts
  at a high velocity, by day, on mobile, in digital goods, on old accounts.

``camouflage`` of the fraud rows draw half their columns from legitimate traffic, so no
single column separates the classes. After ``drift.start`` (a fraction of the span):

- ``drift.amount_inflation``: every amount is multiplied by ``1 + amount_inflation``;
- ``drift.new_categories``: that many new merchant categories (``new_cat_1``, ...) take
  ``drift.new_category_share`` of the traffic, and ``drift.new_category_fraud`` of the
  fraud happens there (the model has never seen them: they go to the unknown bucket);
- ``drift.fraud_pattern_shift``: that share of the fraud follows pattern B.

The fraud-side changes (the fraud's share in the new categories, pattern B) wait
``drift.fraud_delay_days`` more: legitimate traffic moves first, fraudsters follow.

Example::

    >>> frame, _ = TransactionsData(n_rows=2000, seed=1).load()
    >>> sorted(frame.columns)[:3]
    ['account_age_days', 'amount', 'card_present']
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np
import pandas as pd

from lightship.data.splits import LABEL, TIME
from lightship.data.tabular_file import TabularFileData

FRAUD, LEGIT = "fraud", "legit"
CATEGORIES = ["grocery", "restaurants", "fuel", "travel", "electronics", "jewelry", "gift_cards", "digital_goods",
              "pharmacy", "clothing", "utilities", "entertainment"]
_CATEGORY_WEIGHTS = np.array([20, 14, 10, 5, 5, 1, 2, 6, 6, 9, 12, 10], dtype=float)
_PATTERN_A_CATEGORIES = ["electronics", "jewelry", "gift_cards"]
_PATTERN_B_CATEGORIES = ["digital_goods", "gift_cards"]
COUNTRIES = ["home", "neighbour", "eu", "us", "asia", "latam", "africa", "other"]
_LEGIT_COUNTRY = np.array([88, 5, 3, 2, 1, 0.5, 0.3, 0.2])
_FRAUD_COUNTRY = np.array([30, 5, 15, 15, 15, 10, 5, 5])
DEVICES = ["pos", "mobile", "desktop", "tablet"]
_LEGIT_DEVICE = np.array([50, 30, 15, 5])
_CATEGORY_AMOUNT = {"grocery": 3.5, "restaurants": 3.4, "fuel": 3.8, "travel": 5.5, "electronics": 5.0, "jewelry": 5.5,
                    "gift_cards": 4.0, "digital_goods": 2.8, "pharmacy": 3.2, "clothing": 4.0, "utilities": 4.5, "entertainment": 3.3}
COLUMN_TYPES = {"amount": "numeric", "merchant_category": "categorical", "country": "categorical", "device": "categorical",
                "hour": "numeric", "account_age_days": "numeric", "velocity_24h": "numeric", "card_present": "boolean"}
_KNOBS = ("amount_inflation", "new_categories", "fraud_pattern_shift")


def _choice(rng: np.random.Generator, values: list[str], weights: np.ndarray, n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=weights / weights.sum())]


def _legit(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    category = _choice(rng, CATEGORIES, _CATEGORY_WEIGHTS, n)
    mean = np.array([_CATEGORY_AMOUNT[c] for c in category])
    present = rng.random(n) < 0.6
    return {
        "amount": np.exp(rng.normal(mean, 0.7)),
        "merchant_category": category,
        "country": _choice(rng, COUNTRIES, _LEGIT_COUNTRY, n),
        "device": np.where(present, "pos", _choice(rng, DEVICES[1:], _LEGIT_DEVICE[1:], n)),
        "hour": np.clip(rng.normal(14, 4, n).round(), 0, 23),
        "account_age_days": np.round(rng.gamma(2.0, 600.0, n)),
        "velocity_24h": rng.poisson(2.0, n).astype(float),
        "card_present": present,
    }


def _pattern_a(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    category = _choice(rng, _PATTERN_A_CATEGORIES + CATEGORIES, np.array([6, 3, 5] + [0.5] * len(CATEGORIES)), n)
    return {
        "amount": np.exp(rng.normal(6.0, 0.6, n)),
        "merchant_category": category,
        "country": _choice(rng, COUNTRIES, _FRAUD_COUNTRY, n),
        "device": _choice(rng, DEVICES, np.array([5, 35, 50, 10]), n),
        "hour": (rng.normal(3, 2.5, n).round() % 24),
        "account_age_days": np.round(rng.gamma(1.2, 40.0, n)),
        "velocity_24h": rng.poisson(5.0, n).astype(float),
        "card_present": rng.random(n) < 0.08,
    }


def _pattern_b(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    category = _choice(rng, _PATTERN_B_CATEGORIES + CATEGORIES, np.array([8, 4] + [0.5] * len(CATEGORIES)), n)
    return {
        "amount": np.exp(rng.normal(1.2, 0.5, n)),
        "merchant_category": category,
        "country": _choice(rng, COUNTRIES, _LEGIT_COUNTRY, n),
        "device": _choice(rng, DEVICES, np.array([2, 80, 15, 3]), n),
        "hour": np.clip(rng.normal(13, 4, n).round(), 0, 23),
        "account_age_days": np.round(rng.gamma(2.0, 700.0, n)),
        "velocity_24h": rng.poisson(14.0, n).astype(float),
        "card_present": rng.random(n) < 0.02,
    }


class TransactionsData(TabularFileData):
    """``data=transactions``: see the module docstring for the columns and the knobs."""

    def __init__(
        self,
        n_rows: int = 60000,
        start_date: str = "2026-01-01",
        days: int = 180,
        fraud_rate: float = 0.005,
        camouflage: float = 0.25,
        drift: Optional[Mapping[str, Any]] = None,
        high_risk_label: Optional[str] = FRAUD,
        **common: Any,
    ) -> None:
        common.pop("path", None)
        super().__init__(path="transactions", label_column=LABEL, time_column=TIME, columns=COLUMN_TYPES,
                         high_risk_label=high_risk_label, **common)
        self.n_rows, self.start_date, self.days = n_rows, start_date, days
        self.fraud_rate, self.camouflage = fraud_rate, camouflage
        self.drift = {key: value for key, value in (drift or {}).items()}

    @property
    def description(self) -> str:
        knobs = ", ".join(f"{k}={self.drift[k]}" for k in _KNOBS if self.drift.get(k))
        return f"transactions (seed={self.seed}, rows={self.n_rows}{', drift: ' + knobs if knobs else ''})"

    @property
    def change_point(self) -> pd.Timestamp:
        """When the drift knobs take effect (``drift.start`` of the span)."""
        return pd.Timestamp(self.start_date, tz="UTC") + pd.Timedelta(days=float(self.drift.get("start", 0.5)) * self.days)

    def load(self) -> tuple[pd.DataFrame, dict]:
        """Generate the stream, sorted by time (see the module docstring)."""
        rng = np.random.default_rng(self.seed)
        n = self.n_rows
        position = np.sort(rng.random(n))
        after = position >= float(self.drift.get("start", 0.5))
        fraud_after = position >= float(self.drift.get("start", 0.5)) + float(self.drift.get("fraud_delay_days", 0.0)) / self.days
        fraud = rng.random(n) < self.fraud_rate
        frame = pd.DataFrame(_legit(rng, n))
        pattern_b = fraud & fraud_after & (rng.random(n) < float(self.drift.get("fraud_pattern_shift", 0.0)))
        for mask, draw in ((fraud & ~pattern_b, _pattern_a), (pattern_b, _pattern_b)):
            drawn = pd.DataFrame(draw(rng, int(mask.sum())))
            # Camouflaged fraud keeps half of its (legitimate-looking) columns.
            keep = rng.random(drawn.shape) < 0.5
            keep &= (rng.random(len(drawn)) < self.camouflage)[:, None]
            mixed = drawn.where(~keep, frame.loc[mask].reset_index(drop=True))
            for column in drawn.columns:
                values = frame[column].to_numpy().copy()
                values[mask] = mixed[column].to_numpy()
                frame[column] = values
        self._new_categories(frame, fraud, after, fraud_after, rng)
        inflation = 1.0 + float(self.drift.get("amount_inflation", 0.0)) * after
        frame["amount"] = (frame["amount"].astype(float) * inflation).round(2)
        for column in ("hour", "account_age_days", "velocity_24h"):
            frame[column] = frame[column].astype(float)
        frame["card_present"] = frame["card_present"].astype(bool)
        frame[LABEL] = np.where(fraud, FRAUD, LEGIT)
        start = pd.Timestamp(self.start_date, tz="UTC")
        frame[TIME] = (start + pd.to_timedelta(position * self.days, unit="D")).round("s")
        self.nullable = {name: False for name in COLUMN_TYPES}
        return frame, {"generated_rows": n, "fraud_rows": int(fraud.sum())}

    def _new_categories(self, frame: pd.DataFrame, fraud: np.ndarray, after: np.ndarray, fraud_after: np.ndarray,
                        rng: np.random.Generator) -> None:
        """After the change, new merchant categories take a share of the traffic, and from ``fraud_after`` on of the fraud."""
        count = int(self.drift.get("new_categories", 0))
        if not count:
            return
        names = np.asarray([f"new_cat_{i + 1}" for i in range(count)], dtype=object)
        share = float(self.drift.get("new_category_share", 0.15))
        fraud_share = float(self.drift.get("new_category_fraud", 0.7))
        moved = np.where(fraud, fraud_after & (rng.random(len(frame)) < fraud_share), after & (rng.random(len(frame)) < share))
        frame.loc[moved, "merchant_category"] = names[rng.integers(count, size=int(moved.sum()))]
