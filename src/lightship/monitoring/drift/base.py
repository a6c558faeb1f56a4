"""The drift detector protocol and the report it returns.

A detector is fitted once on a :class:`~lightship.monitoring.drift.profile.ReferenceProfile`
and then compares any number of current windows with it. Each comparison gives a
:class:`DriftReport`: one :class:`FeatureResult` per feature plus the window-level
verdict. ``DriftReport.to_dict()`` is the layout of ``drift_report.json``::

    {"features": {NAME: {"test", "statistic", "p_value", "threshold", "drifted", ...}},
     "drift_share": ..., "drifted": true|false, ...}

Every number in it is finite or ``null``: a statistic that could not be computed
(an all-missing column, say) is reported as ``null`` with a ``note`` saying why.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Optional, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lightship.monitoring.drift.profile import FeatureProfile, ReferenceProfile

FeatureKind = Literal["numeric", "categorical"]
NUMERIC: FeatureKind = "numeric"
CATEGORICAL: FeatureKind = "categorical"
FEATURE_KINDS: tuple[FeatureKind, ...] = (NUMERIC, CATEGORICAL)


def finite_or_none(value: Optional[float]) -> Optional[float]:
    """``value`` as a plain float, or ``None`` when it is missing or not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class TestOutcome:
    """What one test says about one feature, before corrections and floors.

    ``threshold`` is set by tests that decide on their statistic (PSI): the
    feature drifts when ``statistic >= threshold``. Otherwise the decision is on
    the p-value, after the multiple-testing correction.
    """

    test: str
    statistic: Optional[float]
    p_value: Optional[float]
    effect_size: Optional[float]
    threshold: Optional[float] = None
    level: Optional[str] = None
    unseen_categories: dict[str, int] = field(default_factory=dict)
    note: Optional[str] = None

    @property
    def tested(self) -> bool:
        return self.statistic is not None

    @classmethod
    def skipped(cls, test: str, note: str) -> "TestOutcome":
        """A test that could not run (no data on one side); ``note`` says why."""
        return cls(test=test, statistic=None, p_value=None, effect_size=None, note=note)


class PreparedTest(Protocol):
    """A test bound to one feature's reference (sorted sample, bins, counts)."""

    def compare(self, values: "np.ndarray") -> TestOutcome:
        """Test the current window's valid values of the feature (numbers: finite, sorted ascending)."""
        ...


class FeatureTest(Protocol):
    """A two-sample test for one kind of feature."""

    name: str

    def prepare(self, feature: "FeatureProfile") -> PreparedTest:
        """Precompute what the test needs from the reference (done once, at fit time)."""
        ...


@dataclass
class FeatureResult:
    """The verdict on one feature: its distribution test and its missing-rate test.

    ``drifted`` is ``distribution_drifted or missing_drifted``. For p-value tests
    ``threshold`` is the level the *adjusted* p-value is compared with
    (``threshold_on == "adjusted_p_value"``); for PSI it is the cut-off on the
    statistic (``threshold_on == "statistic"``).
    """

    name: str
    kind: FeatureKind
    test: str
    statistic: Optional[float]
    p_value: Optional[float]
    adjusted_p_value: Optional[float]
    threshold: Optional[float]
    threshold_on: str
    drifted: bool
    distribution_drifted: bool
    effect_size: Optional[float]
    n_ref: int
    n_cur: int
    missing_rate_ref: float
    missing_rate_cur: float
    missing_p_value: Optional[float]
    missing_adjusted_p_value: Optional[float]
    missing_drifted: bool
    nonfinite_cur: int = 0
    level: Optional[str] = None
    unseen_categories: dict[str, int] = field(default_factory=dict)
    note: Optional[str] = None
    histogram: Optional[dict[str, list]] = None

    def to_dict(self) -> dict[str, Any]:
        floats = ("statistic", "p_value", "adjusted_p_value", "threshold", "effect_size",
                  "missing_rate_ref", "missing_rate_cur", "missing_p_value", "missing_adjusted_p_value")
        out: dict[str, Any] = {
            "test": self.test,
            "kind": self.kind,
            "drifted": bool(self.drifted),
            "distribution_drifted": bool(self.distribution_drifted),
            "missing_drifted": bool(self.missing_drifted),
            "threshold_on": self.threshold_on,
            "n_ref": int(self.n_ref),
            "n_cur": int(self.n_cur),
            "nonfinite_cur": int(self.nonfinite_cur),
            "level": self.level,
            "unseen_categories": {str(k): int(v) for k, v in self.unseen_categories.items()},
            "note": self.note,
        }
        out.update({name: finite_or_none(getattr(self, name)) for name in floats})
        if self.histogram is not None:
            out["histogram"] = self.histogram
        return out


@dataclass
class DriftReport:
    """The verdict on one window: per-feature results and the window-level flag.

    ``drift_share`` is the observed share of drifted features;
    ``drift_share_threshold`` the configured share that makes the window drifted
    (0: any single drifted feature).
    """

    detector: str
    features: dict[str, FeatureResult]
    drift_share: float
    drift_share_threshold: float
    drifted: bool
    alpha: float
    correction: str
    min_effect_size: float
    n_current: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def drifted_features(self) -> list[str]:
        return [name for name, result in self.features.items() if result.drifted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": {name: result.to_dict() for name, result in self.features.items()},
            "drift_share": finite_or_none(self.drift_share) or 0.0,
            "drifted": bool(self.drifted),
            "drifted_features": self.drifted_features,
            "drift_share_threshold": float(self.drift_share_threshold),
            "detector": self.detector,
            "alpha": float(self.alpha),
            "correction": self.correction,
            "min_effect_size": float(self.min_effect_size),
            "n_features": len(self.features),
            "n_current": int(self.n_current),
            "metadata": self.metadata,
        }

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The report as strict JSON (``allow_nan=False``: a NaN here is a bug, not data)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)


class DriftDetector(Protocol):
    """Fitted once on a reference profile, then compares current windows with it."""

    def fit(self, profile: "ReferenceProfile") -> "DriftDetector":
        ...

    def compare(self, current: "pd.DataFrame") -> DriftReport:
        ...
