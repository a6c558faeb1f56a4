"""The detector every strategy shares: one test per feature, then one verdict per window.

A strategy module (``ks``, ``psi``, ``chi2``, ``auto``) only says *which test*
each feature gets, through a :class:`TestSelector`; this module does the rest,
identically for all of them:

1. read each feature's column from the current window (values a test can see,
   missing and non-finite counts);
2. run the feature's test and the missing-rate test (``missing``);
3. adjust all p-values of the window together with the configured correction
   (``corrections``); a p-value test rejects when its adjusted p-value <= alpha,
   a statistic test (PSI) when its statistic reaches its own threshold;
4. ignore rejections whose effect size is below ``min_effect_size``;
5. flag the window when the share of drifted features reaches ``drift_share``
   (0: any one feature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Protocol

import numpy as np
import pandas as pd

from lightship.errors import ConfigError, DataError
from lightship.monitoring.drift.base import DriftReport, FeatureResult, FeatureTest, PreparedTest, TestOutcome
from lightship.monitoring.drift.corrections import correction_by_name
from lightship.monitoring.drift.missing import missing_rate_rise
from lightship.monitoring.drift.profile import ColumnValues, FeatureProfile, NumericProfile, ReferenceProfile
from lightship.monitoring.drift.summary import histogram


class TestSelector(Protocol):
    """Chooses the test of one feature from its reference profile."""

    def select(self, feature: FeatureProfile) -> FeatureTest:
        ...


@dataclass(frozen=True)
class ByKind:
    """The same test for every feature of a kind."""

    numeric: FeatureTest
    categorical: FeatureTest

    def select(self, feature: FeatureProfile) -> FeatureTest:
        return getattr(self, feature.kind)


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _check_range(key: str, value: float, low: float, high: float) -> float:
    if not (low <= float(value) <= high):
        raise ConfigError(f"drift.{key}={value} is out of range; accepted: {low} <= {key} <= {high}")
    return float(value)


class Detector:
    """Compares current windows with a reference profile, one test per feature.

    Parameters: ``name`` (reported), ``selector`` (which test each feature gets),
    ``alpha`` (level of the corrected tests), ``correction`` (``bonferroni``,
    ``holm``, ``bh`` or ``none``), ``min_effect_size`` (floor on the effect size,
    probability scale), ``drift_share`` (share of drifted features that flags the
    window; 0 = any one), ``histograms`` (attach plot data to each result).
    """

    def __init__(
        self,
        name: str,
        selector: TestSelector,
        alpha: float = 0.05,
        correction: Any = "bonferroni",
        min_effect_size: float = 0.0,
        drift_share: float = 0.0,
        histograms: bool = True,
    ) -> None:
        self.name = name
        self.selector = selector
        self.alpha = _check_range("alpha", alpha, 1e-12, 1.0)
        self.correction = str(_enum_value(correction))
        self._adjust = correction_by_name(self.correction)
        self.min_effect_size = _check_range("min_effect_size", min_effect_size, 0.0, float("inf"))
        self.drift_share = _check_range("drift_share", drift_share, 0.0, 1.0)
        self.histograms = histograms
        self.profile: Optional[ReferenceProfile] = None
        self._prepared: dict[str, tuple[str, PreparedTest]] = {}

    @classmethod
    def from_config(cls, selector: TestSelector, **config: Any) -> "Detector":
        """Build from the fields of a ``drift`` config node; fields a detector does not use are ignored."""
        options = {key: config[key] for key in ("alpha", "correction", "min_effect_size", "drift_share") if key in config}
        return cls(str(config.get("name", "drift")), selector, **options)

    def fit(self, profile: ReferenceProfile) -> "Detector":
        """Bind each feature's test to its reference (sorting, binning: done once here)."""
        prepared = {}
        for name, feature in profile.features.items():
            test = self.selector.select(feature)
            prepared[name] = (test.name, test.prepare(feature))
        self.profile, self._prepared = profile, prepared
        return self

    def compare(self, current: pd.DataFrame, metadata: Optional[Mapping[str, Any]] = None) -> DriftReport:
        """Test every profiled feature of ``current`` against the reference."""
        if self.profile is None:
            raise ConfigError(f"drift detector {self.name!r} was not fitted; call .fit(profile) before .compare()")
        absent = [name for name in self.profile.features if name not in current.columns]
        if absent:
            raise DataError(f"current data lacks the profiled features {absent}; it has {list(map(str, current.columns))}")
        rows = []
        for name, feature in self.profile.features.items():
            column = feature.read(current[name])
            test_name, prepared = self._prepared[name]
            outcome = _run(test_name, prepared, feature, column)
            missing = missing_rate_rise(feature.n_missing, feature.n_total, column.n_missing, column.n_total)
            rows.append((feature, column, outcome, missing))
        features = self._decide(rows)
        n_drifted = sum(result.drifted for result in features.values())
        share = n_drifted / len(features) if features else 0.0
        return DriftReport(
            detector=self.name,
            features=features,
            drift_share=share,
            drift_share_threshold=self.drift_share,
            drifted=n_drifted > 0 and share >= self.drift_share,
            alpha=self.alpha,
            correction=self.correction,
            min_effect_size=self.min_effect_size,
            n_current=len(current),
            metadata=dict(metadata or {}),
        )

    def _decide(self, rows: list) -> dict[str, FeatureResult]:
        # One family per window: the p-value-decided distribution tests and every missing-rate test.
        by_p_value = [i for i, (_, _, outcome, _) in enumerate(rows) if outcome.tested and outcome.threshold is None]
        raw = np.array([rows[i][2].p_value for i in by_p_value] + [missing[0] for *_, missing in rows], dtype=float)
        adjusted = self._adjust(raw) if len(raw) else raw
        adjusted_dist = dict(zip(by_p_value, adjusted[: len(by_p_value)]))
        adjusted_missing = adjusted[len(by_p_value):]
        results = {}
        for i, (feature, column, outcome, (missing_p, missing_rise)) in enumerate(rows):
            adjusted_p = adjusted_dist.get(i)
            if outcome.threshold is not None:
                threshold, threshold_on = outcome.threshold, "statistic"
                significant = outcome.tested and outcome.statistic >= threshold
            else:
                threshold, threshold_on = self.alpha, "adjusted_p_value"
                significant = adjusted_p is not None and adjusted_p <= self.alpha
            distribution_drifted = bool(significant and outcome.effect_size >= self.min_effect_size)
            missing_drifted = bool(adjusted_missing[i] <= self.alpha
                                   and missing_rise >= max(self.min_effect_size, 1e-12))
            results[feature.name] = FeatureResult(
                name=feature.name,
                kind=feature.kind,
                test=outcome.test,
                statistic=outcome.statistic,
                p_value=outcome.p_value,
                adjusted_p_value=adjusted_p,
                threshold=threshold,
                threshold_on=threshold_on,
                drifted=distribution_drifted or missing_drifted,
                distribution_drifted=distribution_drifted,
                effect_size=outcome.effect_size,
                n_ref=feature.n_valid,
                n_cur=len(column.values),
                missing_rate_ref=feature.missing_rate,
                missing_rate_cur=column.n_missing / column.n_total if column.n_total else 0.0,
                missing_p_value=missing_p,
                missing_adjusted_p_value=float(adjusted_missing[i]),
                missing_drifted=missing_drifted,
                nonfinite_cur=column.n_nonfinite,
                level=outcome.level,
                unseen_categories=outcome.unseen_categories,
                note=_join_notes(_reference_note(feature), outcome.note),
                histogram=histogram(feature, column.values) if self.histograms else None,
            )
        return results


def _run(test_name: str, prepared: PreparedTest, feature: FeatureProfile, column: ColumnValues) -> TestOutcome:
    if feature.n_valid == 0:
        return TestOutcome.skipped(test_name, "all values missing in the reference; only the missing rate is watched")
    if len(column.values) == 0:
        return TestOutcome.skipped(test_name, "all values missing in the current window")
    return prepared.compare(column.values)


def _reference_note(feature: FeatureProfile) -> Optional[str]:
    if isinstance(feature, NumericProfile):
        sample = feature.sorted_sample
        return "constant in the reference" if len(sample) and sample[0] == sample[-1] else None
    return "a single category in the reference" if len(feature.counts) == 1 else None


def _join_notes(*notes: Optional[str]) -> Optional[str]:
    present = [note for note in notes if note]
    return "; ".join(present) if present else None
