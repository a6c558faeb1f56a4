"""Pearson chi-square test of homogeneity per feature (``drift=chi2``).

Parameters: ``alpha``, ``correction``, ``min_effect_size`` (on the total
variation distance), ``drift_share`` from the ``drift`` config; ``psi_bins``
(10) reference-quantile bins for numeric features. Categorical features use one
cell per reference category, plus one per category the reference never saw.

Statistic: the 2 x K table of reference and current counts, X² = Σ (O - E)² / E
with E from the margins, K - 1 degrees of freedom (no Yates correction).
Categories unseen in the reference have a reference count of 0, so they weigh
heavily in X² and are named in ``unseen_categories``. Effect size: the total
variation distance ½ Σ |p_cur - p_ref| (probability scale, like the KS statistic).

``min_expected`` > 0 pools the cells whose expected current count is below it
into one (Cochran's rule, used by ``auto`` with 5), so small windows do not
rely on an invalid asymptotic; the pooled cell keeps the unseen categories' counts.

>>> import pandas as pd
>>> from lightship.monitoring.drift.profile import ReferenceProfile
>>> profile = ReferenceProfile.from_frame(pd.DataFrame({"c": ["a"] * 500 + ["b"] * 500}))
>>> report = detector(name="chi2").fit(profile).compare(pd.DataFrame({"c": ["a"] * 150 + ["b"] * 150 + ["new"] * 100}))
>>> report.drifted, report.features["c"].unseen_categories
(True, {'new': 100})

Reference: Pearson, K. (1900), Phil. Mag. 50:157-175; scipy.stats.chi2_contingency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from lightship.monitoring.drift.base import TestOutcome
from lightship.monitoring.drift.binning import CategoryBins, NumericBins, reference_bins
from lightship.monitoring.drift.detector import ByKind, Detector
from lightship.monitoring.drift.profile import FeatureProfile


def chi2_homogeneity(reference: np.ndarray, current: np.ndarray, min_expected: float = 0.0) -> tuple[float, float, int]:
    """(X², p-value, degrees of freedom) of two count vectors over the same cells."""
    from scipy.stats import chi2

    table = np.vstack([reference, current]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if min_expected > 0 and table.shape[1] > 1:
        expected_current = table.sum(axis=0) * table[1].sum() / table.sum()
        rare = expected_current < min_expected
        if rare.any():
            table = np.column_stack([table[:, ~rare], table[:, rare].sum(axis=1)])
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0, 0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    dof = table.shape[1] - 1
    return statistic, float(chi2.sf(statistic, dof)), dof


def total_variation(reference: np.ndarray, current: np.ndarray) -> float:
    """½ Σ |p_cur - p_ref| over the cells; 0 when a side is empty."""
    if reference.sum() == 0 or current.sum() == 0:
        return 0.0
    return float(0.5 * np.abs(current / current.sum() - reference / reference.sum()).sum())


@dataclass(frozen=True)
class _Chi2Reference:
    bins: Union[NumericBins, CategoryBins]
    min_expected: float

    def compare(self, values: np.ndarray) -> TestOutcome:
        observed = self.bins.count(values)
        unseen = np.array(list(observed.unseen.values()), dtype=np.int64)
        reference = np.concatenate([self.bins.reference, np.zeros(len(unseen), dtype=np.int64)])
        current = np.concatenate([observed.counts, unseen])
        statistic, p_value, dof = chi2_homogeneity(reference, current, self.min_expected)
        return TestOutcome(
            test="chi2",
            statistic=statistic,
            p_value=p_value,
            effect_size=total_variation(reference, current),
            unseen_categories=observed.unseen,
            note=None if dof else "fewer than two cells with data: nothing to compare",
        )


class Chi2Test:
    """Chi-square homogeneity test; ``bins=None`` gives one cell per distinct reference number."""

    name = "chi2"

    def __init__(self, bins: Optional[int] = 10, min_expected: float = 0.0) -> None:
        self.bins = bins
        self.min_expected = min_expected

    def prepare(self, feature: FeatureProfile) -> _Chi2Reference:
        return _Chi2Reference(reference_bins(feature, self.bins), self.min_expected)


def detector(**config: Any) -> Detector:
    """Chi-square on categories and on reference-quantile bins of numbers (``conf/drift/chi2.yaml``)."""
    test = Chi2Test(bins=int(config.get("bins", 10)))
    return Detector.from_config(ByKind(numeric=test, categorical=test), **config)
