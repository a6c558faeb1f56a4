"""Private SciPy and Optuna internals lightship calls, pinned: an upgrade that moves one fails here,
with what moved and where lightship uses it, instead of deep inside a drift check or a sweep.

- ``scipy.stats.kstwo._sf`` and ``scipy.stats._stats_py._attempt_exact_2kssamp``:
  ``lightship/monitoring/drift/ks.py`` (the KS test without per-call overhead, bit-equal p-values);
- ``FrozenTrial._trial_id``, ``optuna.Trial(study, trial_id)``, ``Study._storage.set_trial_state_values``:
  ``lightship/training/pruning.py`` and ``hydra_plugins/lightship_optuna_sweeper/sweeper.py``
  (binding a training run to its stored trial; failing trials an interrupted search left running).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import pytest


@contextmanager
def pinned(name: str, used_in: str) -> Iterator[None]:
    """Turn a missing attribute or a changed signature into a message that says what to update."""
    try:
        yield
    except (AttributeError, ImportError, TypeError) as exc:
        pytest.fail(f"{name} moved or changed ({type(exc).__name__}: {exc}); lightship calls it in {used_in}: update that call", pytrace=False)


def test_scipy_kstwo_private_sf_matches_the_public_sf() -> None:
    from scipy import stats

    with pinned("scipy.stats.kstwo._sf(d, n)", "lightship/monitoring/drift/ks.py"):
        for d, n in [(0.05, 500.0), (0.2, 80.0), (0.6, 1000.0)]:
            assert stats.kstwo._sf(d, n) == pytest.approx(stats.kstwo.sf(d, n), rel=1e-12)


def test_scipy_exact_two_sample_ks_matches_ks_2samp() -> None:
    from scipy import stats

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=60), rng.normal(0.4, size=45)
    public = stats.ks_2samp(a, b, method="exact")
    with pinned("scipy.stats._stats_py._attempt_exact_2kssamp(n1, n2, g, d, alternative)", "lightship/monitoring/drift/ks.py"):
        from scipy.stats import _stats_py

        success, statistic, p_value = _stats_py._attempt_exact_2kssamp(60, 45, math.gcd(60, 45), public.statistic, "two-sided")
    assert success and statistic == public.statistic and p_value == pytest.approx(public.pvalue, rel=1e-12)


def test_optuna_trial_binding_and_state_override() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=optuna.storages.InMemoryStorage())
    asked = study.ask()
    with pinned("optuna FrozenTrial._trial_id", "lightship/training/pruning.py"):
        frozen = next(t for t in study.get_trials(deepcopy=False) if t.number == asked.number)
        trial_id = frozen._trial_id
    with pinned("optuna.Trial(study, trial_id)", "lightship/training/pruning.py"):
        bound = optuna.Trial(study, trial_id)
        bound.report(0.5, step=0)
    assert study.get_trials()[0].intermediate_values == {0: 0.5}
    with pinned("optuna Study._storage.set_trial_state_values(trial_id, state)", "hydra_plugins/lightship_optuna_sweeper/sweeper.py"):
        study._storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
    assert study.get_trials()[0].state == optuna.trial.TrialState.FAIL
