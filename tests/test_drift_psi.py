"""PSI: the size-aware default keeps no-drift alarms rare on any window size; smoothing keeps it finite."""

import numpy as np
import pandas as pd
import pytest

from lightship.errors import ConfigError
from lightship.monitoring.drift import ReferenceProfile
from lightship.monitoring.drift import psi
from lightship.monitoring.drift.psi import chi2_cutoffs, population_stability_index

FEATURES = 10


def _no_drift_rate(window_rows, trials=300, seed=0, **options):
    rng = np.random.default_rng(seed)
    columns = [f"f{i}" for i in range(FEATURES)]
    profile = ReferenceProfile.from_frame(pd.DataFrame(rng.normal(size=(10_000, FEATURES)), columns=columns))
    detector = psi.detector(name="psi", **options).fit(profile)
    detector.histograms = False
    flagged = warned = 0
    for _ in range(trials):
        report = detector.compare(pd.DataFrame(rng.normal(size=(window_rows, FEATURES)), columns=columns))
        flagged += report.drifted
        warned += any(result.level != "ok" for result in report.features.values())
    return flagged / trials, warned / trials


@pytest.mark.parametrize("window_rows", [500, 100])
def test_size_aware_default_alarms_on_under_5_percent_of_no_drift_windows(window_rows):
    alarm_rate, _ = _no_drift_rate(window_rows)
    assert alarm_rate < 0.05


def test_a_fixed_warn_cutoff_fires_on_most_small_no_drift_windows():
    # The problem the size-aware rule solves: PSI's no-drift mean is (B-1)(1/n+1/m) ≈ 0.09 at 100 rows.
    _, fixed_warn_rate = _no_drift_rate(100, trials=100, psi_threshold="fixed")
    _, size_aware_warn_rate = _no_drift_rate(100, trials=100)
    assert fixed_warn_rate > 0.5
    assert size_aware_warn_rate < fixed_warn_rate / 2


def test_chi2_rule_takes_the_larger_of_the_convention_and_the_null_quantile():
    small_window = chi2_cutoffs(0.1, 0.25, bins=10, scale=1 / 20 + 1 / 10_000, alpha=0.05)
    large_window = chi2_cutoffs(0.1, 0.25, bins=10, scale=1 / 5000 + 1 / 10_000, alpha=0.05)
    assert small_window.alarm == pytest.approx((1 / 20 + 1 / 10_000) * 16.919, rel=1e-3)
    assert (large_window.warn, large_window.alarm) == (0.1, 0.25)


def test_empty_bins_and_unseen_categories_give_a_finite_psi():
    assert np.isfinite(population_stability_index(np.array([100, 0, 50]), np.array([0, 80, 0])))
    profile = ReferenceProfile.from_frame(pd.DataFrame({"c": ["a"] * 90 + ["b"] * 10}))
    result = psi.detector(name="psi").fit(profile).compare(pd.DataFrame({"c": ["a"] * 50 + ["z"] * 50})).features["c"]
    assert result.unseen_categories == {"z": 50} and result.drifted and np.isfinite(result.statistic)


def test_psi_of_identical_distributions_is_zero():
    counts = np.array([10, 20, 30])
    assert population_stability_index(counts, counts) == pytest.approx(0.0)


def test_bad_psi_options_are_config_errors():
    with pytest.raises(ConfigError, match="psi_threshold"):
        psi.detector(name="psi", psi_threshold="sometimes")
    with pytest.raises(ConfigError, match="psi_warn"):
        psi.detector(name="psi", psi_warn=0.3, psi_alarm=0.2)
