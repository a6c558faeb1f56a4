"""Pick the test per feature from its type and its data (``drift=auto``).

Parameters: those of ``ks`` and ``chi2`` (``alpha``, ``correction``,
``min_effect_size``, ``drift_share``), plus ``max_discrete_values`` (20).

Rule, decided per feature at fit time from the reference profile:

- categorical → chi-square homogeneity test, with cells whose expected current
  count is below 5 pooled into one (Cochran's rule), so the χ² approximation
  holds on small windows; unseen categories stay named.
- numeric with at most ``max_discrete_values`` distinct reference values (flags,
  counts, ratings) → the same chi-square test with one cell per value: KS is
  conservative on heavily tied data.
- other numeric → KS, exact when both samples have at most 10,000 values and
  asymptotic above (scipy's rule), so its p-value is valid at every window size.

>>> import numpy as np, pandas as pd
>>> from lightship.monitoring.drift.profile import ReferenceProfile
>>> rng = np.random.default_rng(0)
>>> frame = pd.DataFrame({"x": rng.normal(size=2000), "stars": rng.integers(1, 6, 2000), "c": ["a", "b"] * 1000})
>>> report = detector(name="auto").fit(ReferenceProfile.from_frame(frame)).compare(frame.iloc[:300])
>>> {name: result.test for name, result in report.features.items()}
{'x': 'ks', 'stars': 'chi2', 'c': 'chi2'}

Reference: Cochran, W.G. (1954) "Some methods for strengthening the common χ²
tests", Biometrics 10:417-451.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lightship.monitoring.drift.base import FeatureTest
from lightship.monitoring.drift.chi2 import Chi2Test
from lightship.monitoring.drift.detector import Detector
from lightship.monitoring.drift.ks import KSTest
from lightship.monitoring.drift.profile import CategoricalProfile, FeatureProfile

COCHRAN_MIN_EXPECTED = 5.0


class AutoSelector:
    """Chi-square for categories and discrete numbers, KS for continuous numbers."""

    def __init__(self, max_discrete_values: int = 20) -> None:
        self.max_discrete_values = max_discrete_values
        self.categories = Chi2Test(bins=None, min_expected=COCHRAN_MIN_EXPECTED)
        self.continuous = KSTest()

    def select(self, feature: FeatureProfile) -> FeatureTest:
        if isinstance(feature, CategoricalProfile):
            return self.categories
        distinct = len(np.unique(feature.sorted_sample))
        return self.categories if distinct <= self.max_discrete_values else self.continuous


def detector(**config: Any) -> Detector:
    """The ``auto`` rule above (``conf/drift/auto.yaml``)."""
    selector = AutoSelector(max_discrete_values=int(config.get("max_discrete_values", 20)))
    return Detector.from_config(selector, **config)
