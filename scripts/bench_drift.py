"""Time lightship's KS drift check against a loop of scipy.stats.ks_2samp on the same data.

    python scripts/bench_drift.py                 # 50 features, 100k reference rows, 10k current rows
    python scripts/bench_drift.py --drifted 10    # 10 of the features shifted by 0.1 sd
    python scripts/bench_drift.py --quick         # tiny sizes, a smoke run

The reference profile keeps every reference row (``max_rows`` = reference size)
so both sides test the same samples, and the script asserts that the p-values
are identical (within 1e-9). Profile building (sorting the reference, done once
at training time) and ``fit`` are timed separately and excluded from the ratio.
Evidently's data-drift preset runs too when it is importable (never a dependency
of lightship); otherwise it is skipped.
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Callable

import numpy as np
import pandas as pd


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, object]:
    """Fastest wall time of ``repeats`` runs (the least disturbed by other load) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def make_data(features: int, reference_rows: int, current_rows: int, drifted: int, seed: int):
    rng = np.random.default_rng(seed)
    columns = [f"f{i}" for i in range(features)]
    reference = pd.DataFrame(rng.normal(size=(reference_rows, features)), columns=columns)
    current = pd.DataFrame(rng.normal(size=(current_rows, features)), columns=columns)
    current.iloc[:, :drifted] += 0.1
    return reference, current


def time_evidently(reference: pd.DataFrame, current: pd.DataFrame) -> str:
    try:
        from evidently import Report  # type: ignore[import-not-found]
        from evidently.presets import DataDriftPreset  # type: ignore[import-not-found]
    except ImportError:
        return "skipped (evidently not installed; it is not a lightship dependency)"
    try:
        seconds, _ = best_of(1, lambda: Report([DataDriftPreset()]).run(current, reference))
    except Exception as error:  # an API this script does not know: report, do not fail the benchmark
        return f"skipped ({type(error).__name__}: {error})"
    return f"{seconds:.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--current-rows", type=int, default=10_000)
    parser.add_argument("--drifted", type=int, default=0, help="features shifted by 0.1 sd")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="5 features, 5k reference rows, 1k current rows")
    args = parser.parse_args()
    if args.quick:
        args.features, args.reference_rows, args.current_rows, args.repeats = 5, 5000, 1000, 2

    from scipy import stats

    from lightship.monitoring.drift import ReferenceProfile
    from lightship.monitoring.drift import ks

    reference, current = make_data(args.features, args.reference_rows, args.current_rows, args.drifted, args.seed)

    start = time.perf_counter()
    profile = ReferenceProfile.from_frame(reference, max_rows=args.reference_rows)
    detector = ks.detector(name="ks", correction="none", min_effect_size=0.0).fit(profile)
    prepare_seconds = time.perf_counter() - start

    with_plots_seconds, _ = best_of(args.repeats, lambda: detector.compare(current))
    detector.histograms = False  # the same tests and report, without the plot data for the HTML page
    lightship_seconds, report = best_of(args.repeats, lambda: detector.compare(current))
    scipy_seconds, scipy_p = best_of(args.repeats, lambda: [
        stats.ks_2samp(reference[name].to_numpy(), current[name].to_numpy()).pvalue for name in reference.columns])

    ours = np.array([report.features[name].p_value for name in reference.columns])
    np.testing.assert_allclose(ours, np.array(scipy_p), rtol=0, atol=1e-9)

    print(f"drift check: {args.features} numeric features, {args.reference_rows:,} reference rows, "
          f"{args.current_rows:,} current rows, {args.drifted} drifted; best of {args.repeats}")
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"p-values identical to ks_2samp (max |diff| {np.max(np.abs(ours - np.array(scipy_p))):.1e})\n")
    print(f"{'implementation':<38}{'seconds':>10}{'vs scipy loop':>16}")
    print(f"{'scipy.stats.ks_2samp loop':<38}{scipy_seconds:>10.3f}{'1.0x':>16}")
    print(f"{'lightship ks detector (compare)':<38}{lightship_seconds:>10.3f}{scipy_seconds / lightship_seconds:>15.1f}x")
    print(f"{'  ... with plot data (histograms)':<38}{with_plots_seconds:>10.3f}"
          f"{scipy_seconds / with_plots_seconds:>15.1f}x")
    print(f"{'  once per profile: build + fit':<38}{prepare_seconds:>10.3f}{'(excluded)':>16}")
    print(f"{'evidently DataDriftPreset':<38}{time_evidently(reference, current):>10}")


if __name__ == "__main__":
    main()
