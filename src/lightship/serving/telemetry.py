"""lightship's Prometheus series, beyond BentoML's request counters.

Two kinds, both safe with several BentoML workers:

- Event series (latency per stage, batch sizes, confidence, classes, rejections, sheds,
  swaps): ``prometheus_client`` metrics written by each worker into BentoML's
  multiprocess directory. They are created in the worker after BentoML has set
  ``PROMETHEUS_MULTIPROC_DIR`` (importing ``prometheus_client`` earlier would silently
  switch it to single-process mode), and every label child is touched at start so each
  series exists from the first scrape, whichever worker answers it.
- State read at scrape time (:func:`scrape_time_series`): live accuracy and recall from the
  store (shared by the workers), CPU and memory of every server process, and GPU figures
  through NVML when a GPU is present.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Iterable, Optional

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STAGES = ("validation", "queue", "tokenize", "encode", "inference", "postprocess", "store")
ENDPOINTS = ("predict", "feedback", "reload")
SWAP_OUTCOMES = ("swapped", "failed")


def _powers_of_two(limit: int) -> list[float]:
    buckets, value = [], 1
    while value < limit:
        buckets.append(float(value))
        value *= 2
    return buckets + [float(limit)]


class ServingMetrics:
    """The event series of one worker (see the module docstring for the multiprocess rule)."""

    def __init__(self, labels: Iterable[str], reasons: dict[str, tuple[str, ...]], max_batch_size: int, max_batch_tokens: int) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.request_seconds = Histogram("lightship_request_duration_seconds", "End-to-end time of a request inside the worker", ["endpoint"], buckets=LATENCY_BUCKETS)
        self.stage_seconds = Histogram("lightship_stage_duration_seconds", "Time per request spent in each stage (their sum is close to the end-to-end time)", ["stage"], buckets=LATENCY_BUCKETS)
        self.batch_rows = Histogram("lightship_batch_rows", "Texts per model batch (after adaptive batching)", buckets=_powers_of_two(max_batch_size))
        self.batch_tokens = Histogram("lightship_batch_tokens", "Padded tokens per model batch (rows x longest text)", buckets=_powers_of_two(max(max_batch_tokens, 2)))
        self.confidence = Histogram("lightship_prediction_confidence", "Probability of the predicted class", buckets=(0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0))
        self.predicted = Counter("lightship_predictions", "Predictions by predicted class", ["label"])
        self.truncated = Counter("lightship_truncated_texts", "Texts cut to serve.max_text_chars")
        self.rejected = Counter("lightship_rejected_requests", "Requests refused with a 4xx, by endpoint and reason", ["endpoint", "reason"])
        self.shed = Counter("lightship_shed_requests", "Requests shed with 503 because the worker was overloaded", ["endpoint"])
        self.feedback = Counter("lightship_feedback_items", "Feedback items accepted, by whether the prediction was right", ["correct"])
        self.swaps = Counter("lightship_model_swaps", "Hot-swap attempts by outcome", ["outcome"])
        self.fallbacks = Counter("lightship_runtime_fallback", "Model loads where CUDA was asked for and CPU is used")
        self.model_info = Gauge("lightship_model_info", "Model in service (1) per worker", ["name", "version", "alias"], multiprocess_mode="liveall")
        self.provider_info = Gauge("lightship_runtime_provider_info", "ONNX Runtime provider asked for and in use (1) per worker", ["requested", "in_use"], multiprocess_mode="liveall")
        self.ready = Gauge("lightship_ready", "1 when the worker is ready to serve", multiprocess_mode="liveall")
        self.unseen_categories = Counter("lightship_unseen_categories", "Tabular values of a categorical column never seen in training (scored in the unknown bucket)", ["column"])
        for stage in STAGES:
            self.stage_seconds.labels(stage)
        for endpoint in ENDPOINTS:
            self.request_seconds.labels(endpoint)
            self.shed.labels(endpoint)
            for reason in reasons.get(endpoint, ()):
                self.rejected.labels(endpoint, reason)
        for label in labels:
            self.predicted.labels(label)
        for outcome in SWAP_OUTCOMES:
            self.swaps.labels(outcome)
        for correct in ("true", "false"):
            self.feedback.labels(correct)
        self.truncated.inc(0)
        self.fallbacks.inc(0)
        self._served: Optional[tuple[str, ...]] = None
        self._provider: Optional[tuple[str, ...]] = None

    def serving(self, name: str, version: str, alias: str, requested: str, in_use: str) -> None:
        """Point the info gauges at the model now in service (the previous one drops to 0)."""
        if self._served:
            self.model_info.labels(*self._served).set(0)
        if self._provider:
            self.provider_info.labels(*self._provider).set(0)
        self._served, self._provider = (name, version, alias), (requested, in_use)
        self.model_info.labels(*self._served).set(1)
        self.provider_info.labels(*self._provider).set(1)


class DriftMetrics:
    """The live drift monitor's series (event series: created in the worker, like ``ServingMetrics``).

    ``lightship_drift_detected`` is the largest verdict over the live workers (1 when any
    worker's latest window drifted); statistic and p-value per feature are those of the most
    recent window of any worker. A feature without a test result (all missing) reads NaN.
    """

    def __init__(self, registry: Any = None) -> None:
        from prometheus_client import REGISTRY, Counter, Gauge

        registry = registry or REGISTRY
        self.detected = Gauge("lightship_drift_detected", "1 when the latest drift window was drifted", multiprocess_mode="livemax", registry=registry)
        self.statistic = Gauge("lightship_drift_statistic", "Drift test statistic per feature, latest window", ["feature"], multiprocess_mode="livemostrecent", registry=registry)
        self.p_value = Gauge("lightship_drift_p_value", "Drift test p-value per feature (before correction), latest window", ["feature"], multiprocess_mode="livemostrecent", registry=registry)
        self.windows = Counter("lightship_drift_windows", "Drift windows checked, by verdict", ["drifted"], registry=registry)
        self.estimated_accuracy = Gauge("lightship_estimated_accuracy", "Accuracy estimated without labels from calibrated probabilities, latest window (NaN before the first)",
                                        multiprocess_mode="livemostrecent", registry=registry)
        self.estimated_recall = Gauge("lightship_estimated_high_risk_recall", "High-risk recall estimated without labels, latest window (NaN before the first or without a high-risk class)",
                                      multiprocess_mode="livemostrecent", registry=registry)
        self.detected.set(0)
        self.estimated_accuracy.set(float("nan"))
        self.estimated_recall.set(float("nan"))
        for drifted in ("true", "false"):
            self.windows.labels(drifted)

    def publish(self, report: Any, estimate: Any = None) -> None:
        """Export one window's verdict (a ``DriftReport``) and its label-free estimate (a ``PerformanceEstimate``)."""
        if estimate is not None:
            for gauge, value in ((self.estimated_accuracy, estimate.estimated_accuracy), (self.estimated_recall, estimate.estimated_high_risk_recall)):
                gauge.set(float("nan") if value is None else value)
        for name, result in report.features.items():
            self.statistic.labels(name).set(float("nan") if result.statistic is None else result.statistic)
            self.p_value.labels(name).set(float("nan") if result.p_value is None else result.p_value)
        self.detected.set(1 if report.drifted else 0)
        self.windows.labels("true" if report.drifted else "false").inc()


def scrape_time_series(store: Any, window: int, labels: Iterable[str]) -> str:
    """Text exposition of the series computed when ``/metrics`` is read."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    class _Collector:
        def collect(self) -> Iterable[Any]:
            quality = store.quality(window)
            counts = store.counts()
            accuracy = GaugeMetricFamily("lightship_live_accuracy", f"Accuracy over the last {window} feedback items (NaN before any)")
            accuracy.add_metric([], quality.accuracy if quality.accuracy is not None else float("nan"))
            recall = GaugeMetricFamily("lightship_live_recall", "Recall per true class over the feedback window (NaN without support)", labels=["label"])
            for label in labels:
                recall.add_metric([label], quality.recall.get(label, float("nan")))
            labelled = GaugeMetricFamily("lightship_live_labelled", "Feedback items in the quality window")
            labelled.add_metric([], quality.labelled)
            stored = CounterMetricFamily("lightship_store_rows", "Rows in the live store", labels=["table"])
            for table, n in counts.items():
                stored.add_metric([table], n)
            yield from (accuracy, recall, labelled, stored)
            yield from process_families()
            yield from gpu_families()

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return generate_latest(registry).decode("utf-8")


_PROCESSES: dict[int, Any] = {}


def process_families() -> list[Any]:
    """CPU and resident memory of the server: the BentoML parent process and all its workers."""
    import psutil
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    cpu_seconds = CounterMetricFamily("lightship_process_cpu_seconds", "CPU time per server process", labels=["pid", "role"])
    cpu_percent = GaugeMetricFamily("lightship_process_cpu_percent", "CPU use per server process since the previous scrape", labels=["pid", "role"])
    memory = GaugeMetricFamily("lightship_process_resident_memory_bytes", "Resident memory per server process", labels=["pid", "role"])
    me = psutil.Process(os.getpid())
    parent = me.parent()
    members = [(parent, "server")] if parent is not None else []
    members += [(child, "worker") for child in (parent.children(recursive=True) if parent else [me])]
    for process, role in members:
        try:
            tracked = _PROCESSES.setdefault(process.pid, process)
            with tracked.oneshot():
                times = tracked.cpu_times()
                labels = [str(process.pid), role]
                cpu_seconds.add_metric(labels, times.user + times.system)
                cpu_percent.add_metric(labels, tracked.cpu_percent(interval=None))
                memory.add_metric(labels, tracked.memory_info().rss)
        except psutil.Error:
            _PROCESSES.pop(process.pid, None)
    return [cpu_seconds, cpu_percent, memory]


def gpu_families() -> list[Any]:
    """GPU utilisation and memory through NVML; ``lightship_gpu_available 0`` where there is none."""
    from prometheus_client.core import GaugeMetricFamily

    available = GaugeMetricFamily("lightship_gpu_available", "1 when NVML sees at least one GPU")
    utilisation = GaugeMetricFamily("lightship_gpu_utilization_ratio", "GPU busy fraction over the last sample period", labels=["gpu"])
    used = GaugeMetricFamily("lightship_gpu_memory_used_bytes", "GPU memory in use", labels=["gpu"])
    total = GaugeMetricFamily("lightship_gpu_memory_total_bytes", "GPU memory size", labels=["gpu"])
    count = 0
    try:
        import pynvml

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        for index in range(count):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            rates, memory = pynvml.nvmlDeviceGetUtilizationRates(handle), pynvml.nvmlDeviceGetMemoryInfo(handle)
            utilisation.add_metric([str(index)], rates.gpu / 100.0)
            used.add_metric([str(index)], memory.used)
            total.add_metric([str(index)], memory.total)
    except Exception as exc:  # no driver, no GPU or no NVML: report 0 GPUs
        log.debug("NVML unavailable: %s", exc)
        count = 0
    available.add_metric([], 1 if count else 0)
    return [available, utilisation, used, total]
