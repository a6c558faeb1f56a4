"""Real shifts are found: KS on a 0.25-sd move, PSI and chi2 on their textbook cases."""

import numpy as np
import pandas as pd

from lightship.monitoring.drift import ReferenceProfile
from lightship.monitoring.drift import chi2, ks, psi

DEFAULTS = {"alpha": 0.05, "correction": "bonferroni", "min_effect_size": 0.05, "drift_share": 0.0}


def test_ks_flags_a_quarter_sd_shift_in_one_of_twenty_features():
    rng = np.random.default_rng(11)
    columns = [f"f{i}" for i in range(20)]
    profile = ReferenceProfile.from_frame(pd.DataFrame(rng.normal(size=(10_000, 20)), columns=columns))
    detector = ks.detector(name="ks", **DEFAULTS).fit(profile)
    detector.histograms = False
    trials, hits, wrong = 20, 0, 0
    for _ in range(trials):
        window = pd.DataFrame(rng.normal(size=(2000, 20)), columns=columns)
        window["f7"] += 0.25
        report = detector.compare(window)
        hits += report.features["f7"].drifted
        wrong += len(set(report.drifted_features) - {"f7"})
    assert hits >= 0.9 * trials
    assert wrong <= 1


def test_effect_floor_ignores_a_negligible_shift_on_a_large_window():
    rng = np.random.default_rng(12)
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": rng.normal(size=50_000)}), max_rows=50_000)
    window = pd.DataFrame({"x": rng.normal(0.05, 1, size=50_000)})
    without_floor = ks.detector(name="ks", **{**DEFAULTS, "min_effect_size": 0.0}).fit(profile).compare(window)
    with_floor = ks.detector(name="ks", **DEFAULTS).fit(profile).compare(window)
    assert without_floor.features["x"].p_value < 1e-3 and without_floor.drifted
    assert not with_floor.drifted and with_floor.features["x"].effect_size < 0.05


def test_psi_alarms_on_a_one_sd_shift():
    rng = np.random.default_rng(13)
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": rng.normal(size=10_000)}))
    detector = psi.detector(name="psi", **DEFAULTS).fit(profile)
    results = [detector.compare(pd.DataFrame({"x": rng.normal(1.0, 1, size=500)})).features["x"] for _ in range(20)]
    assert all(result.level == "alarm" and result.drifted for result in results)


def test_chi2_flags_a_changed_category_mix():
    rng = np.random.default_rng(14)
    reference = pd.DataFrame({"c": rng.choice(["a", "b", "c"], p=[0.5, 0.3, 0.2], size=5000)})
    detector = chi2.detector(name="chi2", **DEFAULTS).fit(ReferenceProfile.from_frame(reference))
    hits = sum(detector.compare(pd.DataFrame({"c": rng.choice(["a", "b", "c"], p=[0.35, 0.35, 0.3], size=500)})).drifted
               for _ in range(20))
    assert hits >= 18
