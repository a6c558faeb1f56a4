"""Reference profile: compact, typed, and one file that round-trips."""

import numpy as np
import pandas as pd
import pytest

from lightship.errors import ConfigError, DataError
from lightship.monitoring.drift import ReferenceProfile
from lightship.monitoring.drift.profile import PROFILE_FILENAME, CategoricalProfile, NumericProfile


def _frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "x": np.append(rng.normal(size=999), [np.nan]),
        "n": rng.integers(0, 5, 1000),
        "flag": rng.random(1000) > 0.5,
        "c": rng.choice(["a", "b", None], 1000),
    })


def test_kinds_are_inferred_and_can_be_overridden():
    profile = ReferenceProfile.from_frame(_frame(), kinds={"n": "categorical"})
    assert profile.kinds == {"x": "numeric", "n": "categorical", "flag": "categorical", "c": "categorical"}
    assert isinstance(profile.features["n"], CategoricalProfile)
    assert sum(profile.features["n"].counts.values()) == 1000


def test_numeric_sample_is_sorted_finite_and_capped():
    profile = ReferenceProfile.from_frame(_frame(), max_rows=100)
    x = profile.features["x"]
    assert isinstance(x, NumericProfile) and len(x.sorted_sample) == 100
    assert np.all(np.diff(x.sorted_sample) >= 0) and np.isfinite(x.sorted_sample).all()
    assert (x.n_total, x.n_missing) == (1000, 1)


def test_save_and_load_round_trip_in_a_directory(tmp_path):
    profile = ReferenceProfile.from_frame(_frame(), metadata={"model": "tiny"})
    profile.attachments["pca"] = np.eye(3)
    path = profile.save(tmp_path)
    assert path == tmp_path / PROFILE_FILENAME and len(list(tmp_path.iterdir())) == 1
    loaded = ReferenceProfile.load(tmp_path)
    assert loaded.kinds == profile.kinds and loaded.metadata == {"model": "tiny"}
    assert np.array_equal(loaded.features["x"].sorted_sample, profile.features["x"].sorted_sample)
    assert loaded.features["c"].counts == profile.features["c"].counts
    assert loaded.features["c"].n_missing == profile.features["c"].n_missing
    assert np.array_equal(loaded.attachments["pca"], np.eye(3))


def test_save_to_an_explicit_file_name(tmp_path):
    target = ReferenceProfile.from_frame(_frame()).save(tmp_path / "bundle" / "ref.npz")
    assert ReferenceProfile.load(target).kinds["x"] == "numeric"


def test_integral_floats_and_ints_are_the_same_category():
    profile = ReferenceProfile.from_frame(pd.DataFrame({"k": [1, 2, 2]}), kinds={"k": "categorical"})
    values = CategoricalProfile.read(pd.Series([1.0, 2.0, np.nan])).values
    assert set(values) <= set(profile.features["k"].counts)


def test_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(DataError, match="no reference profile"):
        ReferenceProfile.load(tmp_path / "missing")
    with pytest.raises(DataError, match="lacks columns"):
        ReferenceProfile.from_frame(_frame(), columns=["x", "nope"])
    with pytest.raises(DataError, match="no rows"):
        ReferenceProfile.from_frame(_frame().iloc[:0])
    with pytest.raises(ConfigError, match="accepted"):
        ReferenceProfile.from_frame(_frame(), kinds={"x": "ordinal"})
