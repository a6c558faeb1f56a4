"""KS statistic and p-value equal scipy.stats.ks_2samp (method='auto') within 1e-9."""

import numpy as np
import pytest
from scipy import special, stats

from lightship.monitoring.drift.ks import SortedReference, ks_2samp_presorted, ks_statistic, smirnov_sf

SIZES = [(1, 1), (3, 7), (20, 20), (150, 90), (1000, 200), (10_000, 500), (9_999, 10_000), (10_001, 300),
         (30_000, 12_000), (100_000, 10_000)]


def _assert_matches_scipy(reference, current):
    expected = stats.ks_2samp(reference, current)
    statistic, p_value = ks_2samp_presorted(np.sort(reference), current)
    assert statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert p_value == pytest.approx(expected.pvalue, abs=1e-9)


@pytest.mark.parametrize("n,m", SIZES)
def test_random_continuous_data_matches_scipy(n, m):
    rng = np.random.default_rng(n + m)
    _assert_matches_scipy(rng.normal(size=n), rng.normal(0.05, 1.1, size=m))


@pytest.mark.parametrize("n,m", SIZES)
def test_tied_data_matches_scipy(n, m):
    rng = np.random.default_rng(n * m)
    _assert_matches_scipy(rng.integers(0, 6, n).astype(float), rng.integers(0, 7, m).astype(float))


@pytest.mark.parametrize("seed", range(40))
def test_mixed_sizes_and_shapes_match_scipy(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 15_000)), int(rng.integers(1, 4_000))
    reference = np.round(rng.exponential(size=n), int(rng.integers(0, 4)))
    current = np.round(rng.exponential(1 + 0.2 * rng.random(), size=m), int(rng.integers(0, 4)))
    _assert_matches_scipy(reference, current)


def test_indexed_reference_gives_the_direct_statistic_bit_for_bit():
    rng = np.random.default_rng(7)
    for _ in range(200):
        reference = np.sort(np.round(rng.normal(size=int(rng.integers(4096, 20_000))), int(rng.integers(1, 4))))
        current = np.sort(rng.normal(rng.normal() * 0.1, size=int(rng.integers(1, 3000))))
        assert SortedReference(reference).statistic(current) == ks_statistic(reference, current)


def test_identical_samples_have_statistic_zero_and_p_one():
    values = np.arange(50, dtype=float)
    assert ks_2samp_presorted(values, values) == (0.0, 1.0)


@pytest.mark.parametrize("shift", [0.01, 0.02, 0.03, 0.05, 0.1, 0.5])
def test_large_drifted_samples_match_scipy(shift):
    # Asymptotic regime, across the p-value range where kstwo.sf switches to 2*smirnov.
    rng = np.random.default_rng(int(shift * 1000))
    _assert_matches_scipy(rng.normal(size=60_000), rng.normal(shift, 1, size=12_000))


@pytest.mark.parametrize("n", [141, 1000, 9091, 50_000])
def test_smirnov_sum_matches_scipy_special(n):
    for x in np.linspace(np.sqrt(2.2 / n), min(0.49, np.sqrt(370 / n)), 25):
        assert smirnov_sf(n, x) == pytest.approx(special.smirnov(n, x), abs=1e-12)
