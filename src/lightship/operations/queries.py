"""PromQL for each signal the on-call engineer watches, shared by the alert rules and the dashboard.

Series names are the ones the service exports (:mod:`lightship.serving.telemetry`, the
live drift monitor, the shadow: :mod:`lightship.serving.shadow_metrics`) plus BentoML's own HTTP counter. ``selector`` is added to every series
(for example ``job="lightship",namespace="prod"``) so one file can target one deployment.
"""

from __future__ import annotations

from dataclasses import dataclass

# BentoML's per-request counter (label http_response_code): the only place 5xx answers are counted.
BENTOML_REQUESTS = "bentoml_service_request_total"
SERIES = (
    "lightship_request_duration_seconds", "lightship_stage_duration_seconds", "lightship_batch_rows", "lightship_batch_tokens",
    "lightship_prediction_confidence", "lightship_predictions_total", "lightship_shed_requests_total", "lightship_rejected_requests_total",
    "lightship_live_accuracy", "lightship_live_recall", "lightship_live_labelled", "lightship_runtime_provider_info",
    "lightship_runtime_fallback_total", "lightship_process_cpu_percent", "lightship_process_resident_memory_bytes",
    "lightship_gpu_utilization_ratio", "lightship_gpu_memory_used_bytes", "lightship_model_info",
    "lightship_drift_detected", "lightship_drift_statistic", "lightship_drift_p_value", "lightship_drift_windows_total",
    "lightship_shadow_agreement", "lightship_shadow_confusion", "lightship_shadow_live_accuracy", "lightship_shadow_high_risk_recall",
    "lightship_shadow_latency_seconds", "lightship_shadow_requests_total", "lightship_shadow_loads_total",
    "lightship_estimated_accuracy", "lightship_estimated_high_risk_recall",
    BENTOML_REQUESTS,
)




def matcher(label: str, value: str, op: str = "=") -> str:
    return f'{label}{op}"{value}"'


PREDICT = matcher("endpoint", "predict")
SERVER_ERRORS = matcher("http_response_code", "5..", "=~") + "," + matcher("http_response_code", "503", "!=")
CUDA_ON_CPU = matcher("requested", "cuda") + "," + matcher("in_use", "CUDAExecutionProvider", "!=")


@dataclass(frozen=True)
class Queries:
    """PromQL builders over one label selector and one rate window."""

    selector: str = ""
    window: str = "5m"

    def s(self, name: str, matchers: str = "") -> str:
        """``name{matchers,selector}``: one series selector."""
        inner = ",".join(part for part in (matchers, self.selector) if part)
        return f"{name}{{{inner}}}" if inner else name

    def rate(self, name: str, matchers: str = "", window: str | None = None, offset: str = "") -> str:
        return f"rate({self.s(name, matchers)}[{window or self.window}]{f' offset {offset}' if offset else ''})"

    def latency_quantile(self, quantile: float) -> str:
        return self.quantile(quantile, "lightship_request_duration_seconds", PREDICT)

    def quantile(self, quantile: float, histogram: str, matchers: str = "") -> str:
        """A quantile of a histogram over all workers (``histogram`` without its ``_bucket`` suffix)."""
        return f"histogram_quantile({quantile}, sum by (le) ({self.rate(histogram + '_bucket', matchers)}))"

    def stage_p99(self) -> str:
        return f"histogram_quantile(0.99, sum by (le, stage) ({self.rate('lightship_stage_duration_seconds_bucket')}))"

    def predict_rate(self) -> str:
        return f"sum({self.rate('lightship_request_duration_seconds_count', PREDICT)})"

    def error_ratio(self) -> str:
        """Server errors (5xx except the 503 of shedding, which has its own alert) over all answers."""
        errors = f"sum({self.rate(BENTOML_REQUESTS, SERVER_ERRORS)})"
        return f"({errors} or vector(0)) / sum({self.rate(BENTOML_REQUESTS)})"

    def shed_ratio(self) -> str:
        shed = f"sum({self.rate('lightship_shed_requests_total', PREDICT)})"
        return f"{shed} / ({self.predict_rate()} + {shed})"

    def mean_confidence(self) -> str:
        return f"sum({self.rate('lightship_prediction_confidence_sum')}) / sum({self.rate('lightship_prediction_confidence_count')})"

    def class_share(self, window: str, offset: str = "") -> str:
        total = self.rate("lightship_predictions_total", window=window, offset=offset)
        return f"sum by (label) ({total}) / scalar(sum({total}))"

    def class_mix_shift(self, window: str, baseline: str) -> str:
        """Largest absolute change of a class's share of predictions against the same window ``baseline`` ago."""
        return f"max(abs({self.class_share(window)} - {self.class_share(window, baseline)}))"

    def recall(self, label: str) -> str:
        return f"max({self.s('lightship_live_recall', matcher('label', label))})"

    def labelled(self) -> str:
        return f"max({self.s('lightship_live_labelled')})"

    def gpu_fallback(self) -> str:
        """Workers asked for CUDA and running on CPU (0 when none)."""
        return f"sum({self.s('lightship_runtime_provider_info', CUDA_ON_CPU)})"

    def drift_detected(self) -> str:
        return f"max({self.s('lightship_drift_detected')})"

    def estimated_accuracy(self) -> str:
        """The lowest label-free accuracy estimate of the workers' latest windows (NaN before any: never below a floor)."""
        return f"min({self.s('lightship_estimated_accuracy')})"
