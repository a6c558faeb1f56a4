"""With no drift, false alarms happen at the configured rate (per feature) and below it (per window)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lightship.monitoring.drift import ReferenceProfile
from lightship.monitoring.drift import ks

ALPHA = 0.05


def _quiet(detector):
    detector.histograms = False  # plot data is not under test here
    return detector


def _null_windows(trials, features, n_ref, n_cur, seed):
    rng = np.random.default_rng(seed)
    columns = [f"f{i}" for i in range(features)]
    for _ in range(trials):
        reference = pd.DataFrame(rng.normal(size=(n_ref, features)), columns=columns)
        current = pd.DataFrame(rng.normal(size=(n_cur, features)), columns=columns)
        yield ReferenceProfile.from_frame(reference), current


def test_per_feature_false_alarm_rate_is_alpha():
    detector = _quiet(ks.detector(name="ks", alpha=ALPHA, correction="none", min_effect_size=0.0))
    trials, features = 400, 5
    alarms = sum(
        result.drifted
        for profile, current in _null_windows(trials, features, 400, 150, seed=1)
        for result in detector.fit(profile).compare(current).features.values()
    )
    tests = trials * features
    low, high = stats.binom.ppf([0.0005, 0.9995], tests, ALPHA)
    assert low <= alarms <= high, f"{alarms} false alarms in {tests} tests; expected {low:.0f}..{high:.0f}"


@pytest.mark.parametrize("correction", ["bonferroni", "holm", "bh"])
def test_window_false_alarm_rate_with_correction_is_at_most_alpha(correction):
    detector = _quiet(ks.detector(name="ks", alpha=ALPHA, correction=correction, min_effect_size=0.0))
    trials = 250
    alarms = sum(detector.fit(profile).compare(current).drifted
                 for profile, current in _null_windows(trials, 20, 300, 100, seed=2))
    # One-sided: the observed count must be plausible for a rate of at most alpha.
    assert stats.binom.sf(alarms - 1, trials, ALPHA) > 0.001, f"{alarms}/{trials} windows flagged"


def test_without_correction_many_features_alarm_far_more_often():
    detector = _quiet(ks.detector(name="ks", alpha=ALPHA, correction="none", min_effect_size=0.0))
    alarms = sum(detector.fit(profile).compare(current).drifted
                 for profile, current in _null_windows(100, 20, 300, 100, seed=3))
    assert alarms > 40  # 1 - 0.95**20 = 64% expected
