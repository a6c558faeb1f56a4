"""Drift detection: compare a window of current data with a reference profile.

The pieces, one job per module:

- ``profile``: :class:`ReferenceProfile`, the compact reference a bundle carries.
- ``base``: the :class:`DriftDetector` protocol and the report dataclasses.
- ``detector``: :class:`Detector`, which runs one test per feature, applies the
  multiple-testing ``corrections``, the effect-size floor and the drift share.
- ``ks``, ``psi``, ``chi2``, ``auto``, ``none``: the strategies, each with a
  ``detector(**config)`` factory named by a ``conf/drift/*.yaml`` ``_target_``.
- ``windows``: count/time, tumbling/sliding windows, offline and live.
- ``report``: ``drift_report.json`` and a self-contained ``drift_report.html``.

Usage::

    profile = ReferenceProfile.from_frame(reference_df)
    detector = hydra.utils.instantiate(cfg.drift).fit(profile)
    report = detector.compare(current_df)
    report.to_dict()["drifted"]
"""

from lightship.monitoring.drift.base import DriftDetector, DriftReport, FeatureResult, TestOutcome
from lightship.monitoring.drift.detector import Detector
from lightship.monitoring.drift.profile import ReferenceProfile

__all__ = ["Detector", "DriftDetector", "DriftReport", "FeatureResult", "ReferenceProfile", "TestOutcome"]
