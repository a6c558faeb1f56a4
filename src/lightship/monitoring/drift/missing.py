"""The missing-rate signal: has the share of missing values risen since the reference?

A feature that starts arriving empty (a broken upstream join, a tokenizer that
fails on a new script) is drift even when the values that do arrive look normal.
Missing means null, or for numeric features also non-finite (±inf) or
not parseable as a number.

Test: one-sided Fisher exact test on the 2x2 table (missing, present) x
(current, reference), alternative "the current missing odds are higher".
Effect size: the rise in missing rate, current minus reference (probability
scale, like the KS statistic), so the same ``min_effect_size`` floor applies.

>>> p_value, rise = missing_rate_rise(ref_missing=10, ref_total=1000, cur_missing=60, cur_total=500)
>>> p_value < 1e-6, round(rise, 2)
(True, 0.11)
"""

from __future__ import annotations


def missing_rate_rise(ref_missing: int, ref_total: int, cur_missing: int, cur_total: int) -> tuple[float, float]:
    """(one-sided p-value, rise in missing rate) of the current window against the reference."""
    ref_rate = ref_missing / ref_total if ref_total else 0.0
    cur_rate = cur_missing / cur_total if cur_total else 0.0
    if cur_missing == 0 or ref_total == 0 or cur_rate <= ref_rate:
        return 1.0, cur_rate - ref_rate
    from scipy.stats import fisher_exact

    table = [[cur_missing, cur_total - cur_missing], [ref_missing, ref_total - ref_missing]]
    return float(fisher_exact(table, alternative="greater").pvalue), cur_rate - ref_rate
