"""Bins shared by the binned tests (PSI, chi-square): fixed at fit time from the reference.

Numeric features use reference-quantile bins: interior edges at the reference
quantiles 1/B, ..., (B-1)/B, deduplicated (ties and constant columns give fewer
bins), with open outer bins so every current value lands somewhere. Bins are
right-closed, ``(e[i-1], e[i]]``. Categorical features use one bin per reference
category; current values outside them are counted separately and named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lightship.monitoring.drift.profile import CategoricalProfile, FeatureProfile, NumericProfile


@dataclass(frozen=True)
class BinCounts:
    """Current counts per reference bin, plus counts of categories the reference never saw."""

    counts: np.ndarray
    unseen: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class NumericBins:
    """Right-closed bins between ``edges``, with open ends."""

    edges: np.ndarray
    reference: np.ndarray

    @classmethod
    def from_sample(cls, sorted_sample: np.ndarray, edges: np.ndarray) -> "NumericBins":
        cumulative = np.searchsorted(sorted_sample, edges, side="right")
        reference = np.diff(np.concatenate(([0], cumulative, [len(sorted_sample)])))
        return cls(edges, reference)

    def count(self, values: np.ndarray) -> BinCounts:
        return BinCounts(np.bincount(np.searchsorted(self.edges, values, side="left"),
                                     minlength=len(self.edges) + 1))


@dataclass(frozen=True)
class CategoryBins:
    """One bin per reference category."""

    labels: tuple[str, ...]
    reference: np.ndarray

    def count(self, values: np.ndarray) -> BinCounts:
        observed = pd.Series(values, dtype=object).value_counts()
        counts = observed.reindex(list(self.labels), fill_value=0).to_numpy(dtype=np.int64)
        known = set(self.labels)
        unseen = {str(label): int(n) for label, n in observed.items() if label not in known}
        return BinCounts(counts, unseen)


def quantile_bins(feature: NumericProfile, n_bins: int) -> NumericBins:
    """``n_bins`` reference-quantile bins (fewer where quantiles tie)."""
    sample = feature.sorted_sample
    if len(sample) == 0:
        return NumericBins.from_sample(sample, np.empty(0))
    interior = np.quantile(sample, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    edges = np.unique(interior) if n_bins > 1 else sample[-1:]
    return NumericBins.from_sample(sample, edges)


def value_bins(feature: NumericProfile) -> NumericBins:
    """One bin per distinct reference value (for discrete numbers such as counts), plus one above the largest."""
    return NumericBins.from_sample(feature.sorted_sample, np.unique(feature.sorted_sample))


def category_bins(feature: CategoricalProfile) -> CategoryBins:
    labels = tuple(feature.counts)
    return CategoryBins(labels, np.array([feature.counts[label] for label in labels], dtype=np.int64))


def reference_bins(feature: FeatureProfile, n_bins: "int | None") -> "NumericBins | CategoryBins":
    """The bins of ``feature``: categories, distinct values (``n_bins=None``) or quantiles."""
    if isinstance(feature, CategoricalProfile):
        return category_bins(feature)
    return value_bins(feature) if n_bins is None else quantile_bins(feature, n_bins)
