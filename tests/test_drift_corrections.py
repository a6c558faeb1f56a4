"""Adjusted p-values of the multiple-testing corrections."""

import numpy as np
import pytest

from lightship.errors import ConfigError
from lightship.monitoring.drift.corrections import CORRECTIONS, correction_by_name

P = np.array([0.01, 0.04, 0.03, 0.005, 0.5])


def test_bonferroni_multiplies_by_the_number_of_tests():
    assert np.allclose(CORRECTIONS["bonferroni"](P), [0.05, 0.2, 0.15, 0.025, 1.0])


def test_holm_steps_down():
    # sorted: 0.005*5, 0.01*4, 0.03*3, 0.04*2, 0.5*1, made monotone
    assert np.allclose(CORRECTIONS["holm"](P), [0.04, 0.09, 0.09, 0.025, 0.5])


def test_benjamini_hochberg_steps_up():
    # sorted: 0.005*5/1, 0.01*5/2, 0.03*5/3, 0.04*5/4, 0.5*5/5, then running minimum from the top
    assert np.allclose(CORRECTIONS["bh"](P), [0.025, 0.05, 0.05, 0.025, 0.5])


def test_none_keeps_raw_p_values():
    assert np.array_equal(CORRECTIONS["none"](P), P)


def test_corrections_never_lower_a_p_value_and_stay_in_range():
    rng = np.random.default_rng(0)
    p_values = rng.random(50) ** 3
    for correct in CORRECTIONS.values():
        adjusted = correct(p_values)
        assert np.all(adjusted >= p_values - 1e-15) and np.all(adjusted <= 1.0)


def test_enum_values_are_accepted_and_unknown_names_refused():
    class Option:
        value = "holm"

    assert correction_by_name(Option()) is CORRECTIONS["holm"]
    with pytest.raises(ConfigError, match="accepted"):
        correction_by_name("sidak")
