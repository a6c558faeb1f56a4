"""Constant, all-missing and non-finite columns, missing-rate rises, strict JSON, actionable errors."""

import json

import numpy as np
import pandas as pd
import pytest

from lightship.errors import ConfigError, DataError
from lightship.monitoring.drift import Detector, ReferenceProfile
from lightship.monitoring.drift import auto, chi2, ks, none, psi

DETECTORS = [ks.detector, psi.detector, chi2.detector, auto.detector]


def _reference(rows=2000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(size=rows),
        "constant": np.full(rows, 3.0),
        "empty": np.full(rows, np.nan),
        "c": rng.choice(["a", "b"], rows),
    })


@pytest.mark.parametrize("factory", DETECTORS)
def test_awkward_columns_never_crash_and_never_emit_nan(factory):
    profile = ReferenceProfile.from_frame(_reference())
    current = _reference(rows=300, seed=1)
    current.loc[:20, "x"] = np.inf
    current.loc[21:40, "x"] = np.nan
    current["c"] = None
    report = factory(name="t").fit(profile).compare(current)
    text = report.to_json()  # allow_nan=False: raises on any NaN
    data = json.loads(text)
    assert data["features"]["empty"]["statistic"] is None
    assert "reference" in data["features"]["empty"]["note"]
    assert data["features"]["c"]["note"] == "all values missing in the current window"
    assert data["features"]["c"]["missing_drifted"] is True
    assert data["features"]["x"]["nonfinite_cur"] == 21
    assert data["features"]["constant"]["drifted"] is False


def test_constant_column_that_changes_value_is_drift():
    profile = ReferenceProfile.from_frame(pd.DataFrame({"k": np.ones(1000)}))
    for factory in DETECTORS:
        report = factory(name="t").fit(profile).compare(pd.DataFrame({"k": np.full(200, 2.0)}))
        assert report.features["k"].drifted, factory.__module__


def test_a_rise_in_missing_rate_is_its_own_drift_signal():
    rng = np.random.default_rng(2)
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": rng.normal(size=5000)}))
    current = pd.DataFrame({"x": rng.normal(size=1000)})
    current.loc[:299, "x"] = np.nan
    result = ks.detector(name="ks").fit(profile).compare(current).features["x"]
    assert result.missing_drifted and result.drifted and not result.distribution_drifted
    assert result.missing_rate_cur == pytest.approx(0.3) and result.missing_rate_ref == 0.0


def test_text_in_a_numeric_column_counts_as_missing():
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": np.arange(100.0)}))
    current = pd.DataFrame({"x": ["1.5", "oops", 3, None]})
    result = ks.detector(name="ks").fit(profile).compare(current).features["x"]
    assert result.n_cur == 2 and result.missing_rate_cur == 0.5


def test_missing_feature_column_is_a_data_error_naming_it():
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 2.0]}))
    with pytest.raises(DataError, match=r"\['y'\]"):
        ks.detector(name="ks").fit(profile).compare(pd.DataFrame({"x": [1.0]}))


def test_unfitted_detector_and_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="fit"):
        ks.detector(name="ks").compare(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(ConfigError, match="correction"):
        ks.detector(name="ks", correction="sidak")
    with pytest.raises(ConfigError, match="alpha"):
        ks.detector(name="ks", alpha=1.5)


def test_drift_share_decides_the_window():
    rng = np.random.default_rng(4)
    columns = [f"f{i}" for i in range(4)]
    profile = ReferenceProfile.from_frame(pd.DataFrame(rng.normal(size=(3000, 4)), columns=columns))
    window = pd.DataFrame(rng.normal(size=(500, 4)), columns=columns)
    window["f0"] += 1.0
    assert ks.detector(name="ks", drift_share=0.0).fit(profile).compare(window).drifted
    assert ks.detector(name="ks", drift_share=0.25).fit(profile).compare(window).drifted
    strict = ks.detector(name="ks", drift_share=0.5).fit(profile).compare(window)
    assert not strict.drifted and strict.drift_share == 0.25


def test_none_never_drifts():
    detector = none.detector(name="none", alpha=0.05, window={"size": 10})
    shifted = _reference(seed=9).assign(x=lambda frame: frame["x"] + 100)
    report = detector.fit(ReferenceProfile.from_frame(_reference())).compare(shifted)
    assert report.to_dict()["drifted"] is False and report.features == {}


def test_report_layout_matches_the_documented_json():
    profile = ReferenceProfile.from_frame(_reference())
    data = Detector.from_config(ks.detector().selector, name="ks").fit(profile).compare(_reference(seed=3)).to_dict()
    assert {"features", "drift_share", "drifted"} <= set(data)
    assert {"test", "statistic", "p_value", "threshold", "drifted", "effect_size", "n_ref", "n_cur",
            "missing_rate_ref", "missing_rate_cur"} <= set(data["features"]["x"])
