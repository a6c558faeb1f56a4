"""The stream consumer's Prometheus series, served over HTTP by the consumer itself.

One registry per consumer (the process is one consumer; tests run several in one
process). The live drift monitor publishes its ``lightship_drift_*`` series into the same
registry, and the model series share the service's names (``lightship_model_info``,
``lightship_model_swaps_total``), so the dashboards and alert rules read both targets.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from lightship.serving.telemetry import LATENCY_BUCKETS, SWAP_OUTCOMES, _powers_of_two
from lightship.streaming.events import REASONS

STAGES = ("read", "decode", "tokenize", "inference", "postprocess", "store", "write")


class StreamMetrics:
    def __init__(self, max_batch: int) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        r = self.registry
        self.events_in = Counter("lightship_stream_events_in", "Events read from the input (redeliveries included)", registry=r)
        self.events_out = Counter("lightship_stream_events_out", "Results written: predictions to the output, dead letters to the dead-letter stream", registry=r)
        self.duplicates = Counter("lightship_stream_duplicates_skipped", "Results not written again because the event already had one (redeliveries)", registry=r)
        self.dead_letters = Counter("lightship_stream_dead_letters", "Events sent to the dead-letter stream, by reason", ["reason"], registry=r)
        self.lag = Gauge("lightship_stream_lag", "Input events not yet delivered to the consumer group", registry=r)
        self.pending = Gauge("lightship_stream_pending", "Events delivered to the group and not yet acknowledged", registry=r)
        self.batch_events = Histogram("lightship_stream_batch_events", "Events per micro-batch", buckets=_powers_of_two(max_batch), registry=r)
        self.stage_seconds = Histogram("lightship_stream_stage_duration_seconds", "Time per micro-batch in each stage", ["stage"], buckets=LATENCY_BUCKETS, registry=r)
        self.end_to_end = Histogram("lightship_stream_end_to_end_seconds", "From the broker receiving an event to its prediction written", buckets=LATENCY_BUCKETS, registry=r)
        self.predicted = Counter("lightship_predictions", "Predictions by predicted class", ["label"], registry=r)
        self.model_info = Gauge("lightship_model_info", "Model in service (1)", ["name", "version", "alias"], registry=r)
        self.swaps = Counter("lightship_model_swaps", "Hot-swap attempts by outcome", ["outcome"], registry=r)
        for reason in REASONS:
            self.dead_letters.labels(reason)
        for stage in STAGES:
            self.stage_seconds.labels(stage)
        for outcome in SWAP_OUTCOMES:
            self.swaps.labels(outcome)
        self._served: Optional[tuple[str, str, str]] = None

    def serving(self, name: str, version: str, alias: str, labels: Iterable[str]) -> None:
        """Point ``lightship_model_info`` at the model now scoring (the previous one drops to 0); touch its classes."""
        for label in labels:
            self.predicted.labels(label)
        if self._served:
            self.model_info.labels(*self._served).set(0)
        self._served = (name, version, alias)
        self.model_info.labels(*self._served).set(1)

    def serve_http(self, host: str, port: int) -> Any:
        """Start ``GET /metrics`` on ``host:port`` in a daemon thread; returns the server (``shutdown()`` stops it)."""
        from prometheus_client import start_http_server

        server, _ = start_http_server(port, addr=host, registry=self.registry)
        return server
