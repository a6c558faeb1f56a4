"""A detector that never reports drift (``drift=none``).

For models whose inputs are not watched, or to switch monitoring off without
touching the service: ``fit`` accepts any profile, ``compare`` returns a report
with no features, ``drift_share`` 0 and ``drifted`` false. It accepts (and
ignores) every ``drift`` config field.

>>> import pandas as pd
>>> NoDriftDetector().compare(pd.DataFrame({"x": [1.0, 2.0]})).to_dict()["drifted"]
False
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import pandas as pd

from lightship.monitoring.drift.base import DriftReport
from lightship.monitoring.drift.profile import ReferenceProfile


class NoDriftDetector:
    """Never drifts; the report still says which detector ran and on how many rows."""

    def __init__(self, name: str = "none", **_ignored: Any) -> None:
        self.name = name

    def fit(self, profile: ReferenceProfile) -> "NoDriftDetector":
        return self

    def compare(self, current: pd.DataFrame, metadata: Optional[Mapping[str, Any]] = None) -> DriftReport:
        return DriftReport(detector=self.name, features={}, drift_share=0.0, drift_share_threshold=0.0,
                           drifted=False, alpha=0.0, correction="none", min_effect_size=0.0,
                           n_current=len(current), metadata=dict(metadata or {}))


def detector(**config: Any) -> NoDriftDetector:
    """``conf/drift/none.yaml``."""
    return NoDriftDetector(**config)
