"""Chi-square: the textbook statistic, unseen categories named, pooling of rare cells."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lightship.monitoring.drift import ReferenceProfile
from lightship.monitoring.drift import auto, chi2
from lightship.monitoring.drift.chi2 import chi2_homogeneity, total_variation


def _frame(counts):
    return pd.DataFrame({"c": [label for label, n in counts.items() for _ in range(n)]})


def test_textbook_table_matches_scipy_chi2_contingency():
    reference, current = np.array([90, 60, 104, 95]), np.array([30, 50, 51, 20])
    expected = stats.chi2_contingency(np.vstack([reference, current]), correction=False)
    statistic, p_value, dof = chi2_homogeneity(reference, current)
    assert statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert dof == expected.dof == 3


def test_detector_reports_the_same_statistic_through_profiles():
    reference = {"a": 90, "b": 60, "c": 104, "d": 95}
    current = {"a": 30, "b": 50, "c": 51, "d": 20}
    profile = ReferenceProfile.from_frame(_frame(reference))
    result = chi2.detector(name="chi2").fit(profile).compare(_frame(current)).features["c"]
    expected = stats.chi2_contingency([list(reference.values()), list(current.values())], correction=False)
    assert result.statistic == pytest.approx(expected.statistic) and result.p_value == pytest.approx(expected.pvalue)
    assert result.effect_size == pytest.approx(total_variation(np.array(list(reference.values())),
                                                               np.array(list(current.values()))))


def test_a_new_category_is_drift_and_is_named():
    profile = ReferenceProfile.from_frame(_frame({"billing": 400, "shipping": 600}))
    report = chi2.detector(name="chi2").fit(profile).compare(_frame({"billing": 160, "shipping": 240, "crypto": 100}))
    result = report.features["c"]
    assert report.drifted and result.drifted
    assert result.unseen_categories == {"crypto": 100}
    assert report.to_dict()["features"]["c"]["unseen_categories"] == {"crypto": 100}


def test_no_change_is_not_drift():
    profile = ReferenceProfile.from_frame(_frame({"a": 500, "b": 500}))
    assert not chi2.detector(name="chi2").fit(profile).compare(_frame({"a": 100, "b": 100})).drifted


def test_rare_cells_are_pooled_under_cochrans_rule():
    reference, current = np.array([500, 500, 3, 2]), np.array([50, 50, 0, 1])
    _, _, dof = chi2_homogeneity(reference, current, min_expected=5)
    assert dof == 2  # the two rare cells became one


def test_auto_tests_discrete_numbers_by_value_and_continuous_ones_by_ks():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"stars": rng.integers(1, 6, 3000), "x": rng.normal(size=3000), "c": rng.choice(["p", "q"], 3000)})
    report = auto.detector(name="auto").fit(ReferenceProfile.from_frame(frame)).compare(frame.iloc[:400])
    assert {name: r.test for name, r in report.features.items()} == {"stars": "chi2", "x": "ks", "c": "chi2"}
    assert not report.drifted
