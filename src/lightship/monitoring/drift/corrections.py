"""Multiple-testing corrections: adjusted p-values for the tests of one window.

A window tests many features at once; without a correction the chance that at
least one of K independent no-drift features crosses ``alpha`` is
1 - (1 - alpha)^K (64% for K = 20 at alpha = 0.05). Each function maps raw
p-values to adjusted ones; a test rejects when its adjusted p-value <= alpha.

- ``bonferroni`` (default): p·K. Controls the family-wise error rate (the chance
  of any false alarm) under any dependence.
- ``holm``: step-down Bonferroni, max over i' <= i of (K - i' + 1)·p(i'). Same
  guarantee, never less powerful.
- ``bh``: Benjamini-Hochberg step-up, min over i' >= i of K·p(i')/i'. Controls the
  expected share of false alarms among alarms (FDR) for independent or
  positively dependent tests; more alarms, weaker guarantee.
- ``none``: raw p-values.

References: Holm (1979) Scand. J. Statist. 6:65-70; Benjamini & Hochberg (1995)
J. R. Statist. Soc. B 57:289-300.

>>> import numpy as np
>>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from lightship.errors import ConfigError


def no_correction(p_values: np.ndarray) -> np.ndarray:
    return np.asarray(p_values, dtype=np.float64).copy()


def bonferroni(p_values: np.ndarray) -> np.ndarray:
    p_values = np.asarray(p_values, dtype=np.float64)
    return np.minimum(p_values * len(p_values), 1.0)


def holm(p_values: np.ndarray) -> np.ndarray:
    p_values = np.asarray(p_values, dtype=np.float64)
    k = len(p_values)
    order = np.argsort(p_values, kind="stable")
    stepped = np.maximum.accumulate((k - np.arange(k)) * p_values[order])
    adjusted = np.empty(k)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    p_values = np.asarray(p_values, dtype=np.float64)
    k = len(p_values)
    order = np.argsort(p_values, kind="stable")
    scaled = p_values[order] * k / np.arange(1, k + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(k)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


CORRECTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": no_correction,
    "bonferroni": bonferroni,
    "holm": holm,
    "bh": benjamini_hochberg,
}


def correction_by_name(name: object) -> Callable[[np.ndarray], np.ndarray]:
    """The correction called ``name`` (a string or the config's ``Correction`` enum)."""
    key = str(getattr(name, "value", name))
    try:
        return CORRECTIONS[key]
    except KeyError:
        raise ConfigError(f"drift.correction={key!r} is not known; accepted: {sorted(CORRECTIONS)}") from None
