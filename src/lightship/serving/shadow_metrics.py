"""The ``lightship_shadow_*`` Prometheus series (see :mod:`lightship.serving.shadow`).

Like the other serving series, two kinds (rules in :mod:`lightship.serving.telemetry`):

- event series written by each worker: mirrored, dropped and failed requests, the
  challenger's scoring time per mirrored batch, challenger loads by outcome, and the
  challenger version each worker holds;
- series read from the live store at scrape time (shared by the workers), over the requests
  that the champion and challenger now in service both answered: agreement, the confusion
  between the two versions, and each version's live accuracy and high-risk recall on the
  labelled overlap.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Optional

from lightship.evaluation.paired import ROLES, PairedCounts
from lightship.serving.telemetry import LATENCY_BUCKETS

OUTCOMES = ("mirrored", "dropped", "failed")
LOAD_OUTCOMES = ("swapped", "failed", "released")


class ShadowMetrics:
    """The shadow's event series of one worker (created in the worker, after BentoML set up multiprocess mode)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("lightship_shadow_requests", "Predict items offered to the challenger: mirrored (scored), dropped (queue full), failed", ["outcome"])
        self.latency = Histogram("lightship_shadow_latency_seconds", "Challenger's scoring time per mirrored batch (off the request path)", buckets=LATENCY_BUCKETS)
        self.loads = Counter("lightship_shadow_loads", "Challenger loads by outcome (failed: the champion serves on, the version is not retried until the alias moves)", ["outcome"])
        self.challenger = Gauge("lightship_shadow_challenger_info", "Challenger version held in shadow (1) per worker", ["version"], multiprocess_mode="liveall")
        for outcome in OUTCOMES:
            self.requests.labels(outcome)
        for outcome in LOAD_OUTCOMES:
            self.loads.labels(outcome)
        self._held: Optional[str] = None

    def holding(self, version: Optional[str]) -> None:
        """Point the info gauge at the challenger now held (None: no challenger)."""
        if self._held is not None:
            self.challenger.labels(self._held).set(0)
        self._held = version
        if version is not None:
            self.challenger.labels(version).set(1)


def _nan(value: Optional[float]) -> float:
    return math.nan if value is None else value


def shadow_families(counts: PairedCounts, versions: dict[str, str], high_risk_label: Optional[str]) -> Iterable[Any]:
    """Scrape-time families over the pairs of the champion and challenger in ``versions`` (role -> version)."""
    from prometheus_client.core import GaugeMetricFamily

    agreement = GaugeMetricFamily("lightship_shadow_agreement", "Share of mirrored requests where champion and challenger predicted the same label (NaN before any)")
    agreement.add_metric([], _nan(counts.agreement))
    pairs = GaugeMetricFamily("lightship_shadow_pairs", "Requests both versions answered", labels=["labelled"])
    pairs.add_metric(["false"], counts.pairs - counts.labelled)
    pairs.add_metric(["true"], counts.labelled)
    confusion = GaugeMetricFamily("lightship_shadow_confusion", "Requests both versions answered, by champion and challenger label", labels=["champion_label", "challenger_label"])
    for (champion_label, challenger_label), n in sorted(counts.confusion().items()):
        confusion.add_metric([champion_label, challenger_label], n)
    accuracy = GaugeMetricFamily("lightship_shadow_live_accuracy", "Live accuracy of each version on the labelled requests both answered (NaN before any)", labels=["role", "version"])
    recall = GaugeMetricFamily("lightship_shadow_high_risk_recall", "Live recall of the high-risk class per version on the labelled overlap (NaN without support)", labels=["role", "version", "label"])
    for role, index in ROLES.items():
        accuracy.add_metric([role, versions[role]], _nan(counts.accuracy(index)))
        if high_risk_label:
            recall.add_metric([role, versions[role], high_risk_label], _nan(counts.recall(index, high_risk_label)))
    return (agreement, pairs, confusion, accuracy, recall)
