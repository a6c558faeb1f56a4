"""Small reference-vs-current distributions for reports and plots (not for testing).

Numeric: shares of each side in ``bins`` equal-width bins over the joint range
(both sides sorted, as the profile and ``NumericProfile.read`` give them).
Categorical: shares of the ``top`` most frequent categories (over both sides),
the rest pooled as ``(other)``. A few dozen numbers per feature, so they can sit
in ``drift_report.json`` and be drawn in the HTML report.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from lightship.monitoring.drift.profile import CategoricalProfile, FeatureProfile


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return np.round(counts / total, 6).tolist() if total else [0.0] * len(counts)


def _counts_between(sorted_values: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Counts in the right-closed bins that ``inner_edges`` cut the real line into."""
    cumulative = np.searchsorted(sorted_values, inner_edges, "right")
    return np.diff(np.concatenate(([0], cumulative, [len(sorted_values)])))


def numeric_histogram(sorted_reference: np.ndarray, sorted_current: np.ndarray, bins: int = 20) -> dict[str, list]:
    sides = [side for side in (sorted_reference, sorted_current) if len(side)]
    if not sides:
        return {"edges": [], "reference": [], "current": []}
    low, high = float(min(side[0] for side in sides)), float(max(side[-1] for side in sides))
    if low == high:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    return {"edges": edges.tolist(), "reference": _shares(_counts_between(sorted_reference, edges[1:-1])),
            "current": _shares(_counts_between(sorted_current, edges[1:-1]))}


def categorical_histogram(reference_counts: dict[str, int], current: np.ndarray, top: int = 12) -> dict[str, list]:
    # Plain dicts, not pandas: this runs on every live window, in the service's drift thread.
    current_counts = Counter(current.tolist())
    categories = list(reference_counts) + sorted(set(current_counts) - set(reference_counts),
                                                 key=lambda category: -current_counts[category])
    table = {"reference": np.array([reference_counts.get(c, 0) for c in categories], dtype=float),
             "current": np.array([current_counts.get(c, 0) for c in categories], dtype=float)}
    combined = table["reference"] / max(table["reference"].sum(), 1) + table["current"] / max(table["current"].sum(), 1)
    order = np.argsort(-combined, kind="stable")
    kept, rest = order[:top], order[top:]
    labels = [str(categories[i]) for i in kept] + (["(other)"] if len(rest) else [])
    shares = {}
    for side, counts in table.items():
        shares[side] = _shares(np.append(counts[kept], counts[rest].sum()) if len(rest) else counts[kept])
    return {"labels": labels, **shares}


def histogram(feature: FeatureProfile, current: np.ndarray) -> dict[str, list]:
    if isinstance(feature, CategoricalProfile):
        return categorical_histogram(feature.counts, current)
    return numeric_histogram(feature.sorted_sample, current)
