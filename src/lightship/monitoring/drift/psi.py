"""Population stability index per feature (``drift=psi``).

Parameters (``drift`` config): ``bins`` (10 reference-quantile bins for numbers;
categories for categoricals), ``psi_warn`` / ``psi_alarm`` (0.1 / 0.25, the
usual convention), ``psi_threshold`` (``size_aware``, how the cut-offs grow on
small windows), ``alpha`` (used by the ``chi2`` rule), ``min_effect_size``,
``drift_share``.

Statistic: PSI = Σ_i (p_i - q_i) ln(p_i / q_i) over B bins, p the current and
q the reference shares. Empty bins: every cell gets half a count on both sides
(p_i = (c_i + ½) / (m + B/2)), so a bin empty on one side adds a large but finite
term. Categories unseen in the reference form one extra bin, and are named.

Window size: with no drift, PSI ≈ (1/n + 1/m)·χ²(B-1) (n reference, m current
values), whose mean (B-1)(1/n + 1/m) is 0.09 for B = 10, m = 100: a fixed 0.1
fires on most small no-drift windows. Rules for the cut-offs (``psi_threshold``):

- ``fixed``: ``psi_warn`` / ``psi_alarm`` as they are.
- ``size_aware`` (default): each cut-off plus the no-drift bias (B-1)(1/n + 1/m).
- ``chi2``: each cut-off, or the (1 - alpha) quantile of (1/n + 1/m)·χ²(B-1)
  where that is larger.

A feature drifts when PSI reaches the alarm cut-off (``level`` is ``warn``
between the two). PSI decides on its statistic, so the multiple-testing
correction does not apply to it; ``p_value`` is the χ² approximation above, for
information. Effect size: PSI itself.

>>> import numpy as np, pandas as pd
>>> from lightship.monitoring.drift.profile import ReferenceProfile
>>> rng = np.random.default_rng(0)
>>> profile = ReferenceProfile.from_frame(pd.DataFrame({"x": rng.normal(size=5000)}))
>>> result = detector(name="psi").fit(profile).compare(pd.DataFrame({"x": rng.normal(1, 1, 500)})).features["x"]
>>> result.drifted, result.level
(True, 'alarm')

Reference: Yurdakul, B. (2018) "Statistical properties of population stability
index", Western Michigan University dissertation 3208.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

import numpy as np

from lightship.errors import ConfigError
from lightship.monitoring.drift.base import TestOutcome
from lightship.monitoring.drift.binning import CategoryBins, NumericBins, reference_bins
from lightship.monitoring.drift.detector import ByKind, Detector
from lightship.monitoring.drift.profile import FeatureProfile

PSEUDO_COUNT = 0.5


def population_stability_index(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of two count vectors over the same bins, with half-count smoothing."""
    bins = len(reference)
    q = (reference + PSEUDO_COUNT) / (reference.sum() + PSEUDO_COUNT * bins)
    p = (current + PSEUDO_COUNT) / (current.sum() + PSEUDO_COUNT * bins)
    return float(np.sum((p - q) * np.log(p / q)))


@dataclass(frozen=True)
class Cutoffs:
    warn: float
    alarm: float


def fixed_cutoffs(warn: float, alarm: float, bins: int, scale: float, alpha: float) -> Cutoffs:
    return Cutoffs(warn, alarm)


def size_aware_cutoffs(warn: float, alarm: float, bins: int, scale: float, alpha: float) -> Cutoffs:
    bias = (bins - 1) * scale
    return Cutoffs(warn + bias, alarm + bias)


def chi2_cutoffs(warn: float, alarm: float, bins: int, scale: float, alpha: float) -> Cutoffs:
    from scipy.stats import chi2

    quantile = scale * float(chi2.isf(alpha, max(bins - 1, 1)))
    return Cutoffs(max(warn, quantile), max(alarm, quantile))


PSI_CUTOFFS: dict[str, Callable[..., Cutoffs]] = {
    "fixed": fixed_cutoffs,
    "size_aware": size_aware_cutoffs,
    "chi2": chi2_cutoffs,
}


@dataclass(frozen=True)
class _PSIReference:
    bins: Union[NumericBins, CategoryBins]
    test: "PSITest"

    def compare(self, values: np.ndarray) -> TestOutcome:
        from scipy.stats import chi2

        observed = self.bins.count(values)
        reference, current = self.bins.reference, observed.counts
        if observed.unseen:
            reference = np.append(reference, 0)
            current = np.append(current, sum(observed.unseen.values()))
        n_bins = len(reference)
        scale = 1.0 / reference.sum() + 1.0 / current.sum()
        statistic = population_stability_index(reference, current)
        cutoffs = self.test.cutoffs(self.test.warn, self.test.alarm, n_bins, scale, self.test.alpha)
        level = "alarm" if statistic >= cutoffs.alarm else "warn" if statistic >= cutoffs.warn else "ok"
        return TestOutcome(
            test="psi",
            statistic=statistic,
            p_value=float(chi2.sf(statistic / scale, n_bins - 1)) if n_bins > 1 else 1.0,
            effect_size=statistic,
            threshold=cutoffs.alarm,
            level=level,
            unseen_categories=observed.unseen,
        )


class PSITest:
    """PSI on reference bins, with warn/alarm cut-offs chosen by ``threshold`` (a ``PSI_CUTOFFS`` key)."""

    name = "psi"

    def __init__(self, bins: int = 10, warn: float = 0.1, alarm: float = 0.25, threshold: Any = "size_aware",
                 alpha: float = 0.05) -> None:
        rule = str(getattr(threshold, "value", threshold))
        if rule not in PSI_CUTOFFS:
            raise ConfigError(f"drift.psi_threshold={rule!r} is not known; accepted: {sorted(PSI_CUTOFFS)}")
        if not 0 <= warn <= alarm:
            raise ConfigError(f"drift.psi_warn={warn} and drift.psi_alarm={alarm}: need 0 <= psi_warn <= psi_alarm")
        if bins < 2:
            raise ConfigError(f"drift.bins={bins}: PSI needs at least 2 bins")
        self.bins, self.warn, self.alarm, self.alpha = bins, warn, alarm, alpha
        self.cutoffs = PSI_CUTOFFS[rule]

    def prepare(self, feature: FeatureProfile) -> _PSIReference:
        return _PSIReference(reference_bins(feature, self.bins), self)


def detector(**config: Any) -> Detector:
    """PSI for numeric and categorical features (``conf/drift/psi.yaml``)."""
    test = PSITest(
        bins=int(config.get("bins", 10)),
        warn=float(config.get("psi_warn", 0.1)),
        alarm=float(config.get("psi_alarm", 0.25)),
        threshold=config.get("psi_threshold", "size_aware"),
        alpha=float(config.get("alpha", 0.05)),
    )
    return Detector.from_config(ByKind(numeric=test, categorical=test), **config)
