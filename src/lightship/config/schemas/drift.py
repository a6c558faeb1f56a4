"""Schema of the ``drift`` group: statistical tests, thresholds and windows.

Every option in ``conf/drift/`` names a detector factory in ``_target_``; the
factory receives all the fields below as keyword arguments (see
``lightship.monitoring.drift``). The rules behind each field are in
``docs/drift.md``.
"""

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from omegaconf import MISSING

GROUP = "drift"


class Correction(Enum):
    """Multiple-testing correction across features."""

    none = "none"
    bonferroni = "bonferroni"
    holm = "holm"
    bh = "bh"


class WindowBy(Enum):
    count = "count"
    time = "time"


class WindowMode(Enum):
    tumbling = "tumbling"
    sliding = "sliding"


class PsiThreshold(Enum):
    """How the PSI alarm cut-off depends on the window size.

    ``fixed``: the convention as is (``psi_warn``/``psi_alarm``).
    ``size_aware`` (default): the convention plus the no-drift bias (B-1)(1/n+1/m).
    ``chi2``: the larger of the convention and the (1 - alpha/K) quantile of
    (1/n+1/m)·chi2(B-1), the no-drift distribution of PSI.
    """

    fixed = "fixed"
    size_aware = "size_aware"
    chi2 = "chi2"


@dataclass
class WindowConfig:
    """The slice of data one drift check looks at.

    ``by=count``: ``size`` rows; ``by=time``: ``duration`` (a pandas offset such
    as ``1h`` or ``15min``) of rows by ``time_column``. ``mode=sliding`` starts a
    new window every ``step`` rows (count) or every ``time_step`` (time); both
    default to half a window. Windows with fewer than ``min_rows`` rows are
    skipped.
    """

    by: WindowBy = WindowBy.count
    size: int = 500
    duration: str = "1h"
    mode: WindowMode = WindowMode.tumbling
    step: Optional[int] = None
    time_step: Optional[str] = None
    time_column: Optional[str] = None
    min_rows: int = 20
    # Upper bound on rows the live (in-service) window holds, whatever the duration.
    max_rows: int = 100_000


@dataclass
class DriftConfig:
    """A drift strategy: its detector, its significance and its window."""

    _target_: str = MISSING
    name: str = MISSING
    # Family-wise (or, with bh, false-discovery) level of the tests in one window.
    alpha: float = 0.05
    correction: Correction = Correction.bonferroni
    # Floor on the effect size (probability scale: KS statistic, total variation
    # distance, rise in missing rate) below which a significant result is ignored.
    min_effect_size: float = 0.05
    # A window is drifted when at least this share of features drifted (0: any one feature).
    drift_share: float = 0.0
    # Reference-quantile bins of numeric features, for PSI and for chi-square.
    bins: int = 10
    psi_warn: float = 0.1
    psi_alarm: float = 0.25
    psi_threshold: PsiThreshold = PsiThreshold.size_aware
    # ``auto``: numeric features with at most this many distinct reference values are tested as categories.
    max_discrete_values: int = 20
    # Rows of each numeric feature kept (sorted) in the reference profile.
    max_reference_rows: int = 10_000
    window: WindowConfig = field(default_factory=WindowConfig)
    # task=drift: the current data file, and the reference (a model: models:/name@alias,
    # models:/name/3 or a bundle folder; or a second data file).
    reference: Optional[str] = None
    current: Optional[str] = None
    # task=drift: the text column scored by a model reference (default: predict.text_column).
    text_column: Optional[str] = None
    # task=drift with a data-file reference: the columns compared (empty: all of the reference's).
    columns: list[str] = field(default_factory=list)
    # Live monitor in the service: on/off, how often its background thread looks for a due
    # window, the JSON-lines log of checked windows (read by task=retrain) and the latest report.
    live: bool = True
    check_interval_s: float = 1.0
    events_log: str = "drift_events.jsonl"
    live_report: str = "drift_live_report.json"


SCHEMAS = {"drift_schema": DriftConfig}
