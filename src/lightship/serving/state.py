"""One worker's serving state: the model holder, the live store, the metrics and the ledger.

The BentoML service class is a thin adapter over this object, and the HTTP middleware
reaches it through :func:`current_state`, so the logic is testable without BentoML.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Optional

from omegaconf import OmegaConf

from lightship.serving.holder import LoadedModel, ModelHolder, RuntimeOptions, SwapOutcome
from lightship.serving.ledger import ArrivalLedger
from lightship.serving.requests import REASONS
from lightship.inference.scoring import score
from lightship.serving.settings import ServingSettings
from lightship.serving.store import PredictionRecord, PredictionStore

log = logging.getLogger(__name__)

RELOAD_KEY = "reload_generation"
_CURRENT: Optional["ServingState"] = None


def current_state() -> Optional["ServingState"]:
    return _CURRENT


def as_text(item: Any) -> str:
    """An input as the store and the arrival ledger keep it: a text as is, a row as canonical JSON."""
    return item if isinstance(item, str) else json.dumps(item, sort_keys=True, default=str)


def start_live_monitor(drift_cfg: Any) -> Any:
    """The worker's drift monitor with its Prometheus series, running; None when ``drift.live`` is false."""
    if not drift_cfg.live:
        return None
    from lightship.monitoring.live import LiveDriftMonitor
    from lightship.serving.telemetry import DriftMetrics

    return LiveDriftMonitor(drift_cfg, DriftMetrics()).start()


def start_shadow(settings: ServingSettings, store: PredictionStore, champion: ModelHolder) -> Any:
    """The worker's challenger in shadow (:mod:`lightship.serving.shadow`), running; None when ``serve.shadow.enabled`` is false."""
    if not settings.serve.shadow.enabled:
        return None
    from lightship.serving.shadow import ShadowMirror

    return ShadowMirror(settings, store, champion).start(float(settings.serve.watch_interval_s))


class ServingState:
    def __init__(self, settings: ServingSettings) -> None:
        from lightship.serving.telemetry import ServingMetrics

        serve = settings.serve
        self.settings = settings
        self.store = PredictionStore(serve.store_path)
        self.ledger = ArrivalLedger(max_age_s=max(float(serve.timeout_s) * 2, 60.0))
        options = RuntimeOptions.from_serve(serve)
        self.holder = ModelHolder(settings.reference, settings.tracking_uri, options, list(serve.smoke_texts), self._on_change, self._on_outcome)
        self.metrics: Optional[ServingMetrics] = None
        self._reload_generation = self.store.get_control(RELOAD_KEY)
        model = self.holder.start()
        self.metrics = ServingMetrics(model.labels, REASONS, serve.max_batch_size, serve.max_batch_tokens)
        self.drift = start_live_monitor(settings.cfg.drift)
        self._on_change(model)
        if serve.watch_interval_s > 0 and settings.reference.follows_alias:
            self.holder.watch(float(serve.watch_interval_s), self._reload_requested)
        self.shadow = start_shadow(settings, self.store, self.holder)
        log.info("Serving %s version %s on %s", model.name, model.version, model.runtime.provider_in_use)

    @classmethod
    def start(cls, settings: ServingSettings) -> "ServingState":
        global _CURRENT
        _CURRENT = cls(settings)
        return _CURRENT

    def close(self) -> None:
        global _CURRENT
        self.holder.stop()
        if self.shadow is not None:
            self.shadow.stop()
        if self.drift is not None:
            self.drift.stop()
        self.store.close()
        if _CURRENT is self:
            _CURRENT = None

    # -- serving -------------------------------------------------------------------------
    def predict_batch(self, inputs: list[Any]) -> list[dict[str, Any]]:
        """Score one adaptive batch (texts or rows), record it, observe stage times once per request."""
        started = time.perf_counter()
        texts = [as_text(item) for item in inputs]
        arrivals = self.ledger.take(texts)
        model = self.holder.current  # one model for the whole batch, even if a swap lands meanwhile
        assert model is not None
        serve = self.settings.serve
        batch = score(model.runtime, inputs, int(serve.max_batch_size), int(serve.max_batch_tokens))
        if self.drift is not None:
            self.drift.observe(model, batch, inputs)  # a queue append: the check runs in the monitor's thread
        scored = time.perf_counter()
        records = [
            PredictionRecord(item.id, text, len(text), item.tokens, bool(arrival and arrival.truncated), item.label, item.confidence,
                             item.probabilities, model.name, model.version)
            for item, text, arrival in zip(batch.items, texts, arrivals)
        ]
        self.store.record_predictions(records, keep_text=bool(self.settings.serve.store_texts))
        stored = time.perf_counter()
        if self.shadow is not None:
            self.shadow.offer(inputs, records)  # a queue append: the challenger scores in the shadow's thread
        self._observe_batch(batch, records, arrivals, started, stored - scored)
        return [
            {"id": r.id, "label": r.label, "confidence": r.confidence, "probabilities": r.probabilities,
             "model_version": r.model_version, "truncated": r.truncated}
            for r in records
        ]

    def _observe_batch(self, batch: Any, records: list[PredictionRecord], arrivals: list[Any], started: float, store_s: float) -> None:
        metrics = self.metrics
        if metrics is None:
            return
        metrics.batch_rows.observe(batch.rows)
        metrics.batch_tokens.observe(batch.padded_tokens)
        for column, count in batch.unseen.items():
            metrics.unseen_categories.labels(column).inc(count)
        for record in records:
            metrics.confidence.observe(record.confidence)
            metrics.predicted.labels(record.label).inc()
            if record.truncated:
                metrics.truncated.inc()
        requests = {a.request: a.at for a in arrivals if a is not None}
        for arrival_at in requests.values() or [started]:
            metrics.stage_seconds.labels("queue").observe(max(started - arrival_at, 0.0))
            for stage, seconds in batch.seconds.items():
                metrics.stage_seconds.labels(stage).observe(seconds)
            metrics.stage_seconds.labels("store").observe(store_s)

    def feedback(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        accepted = self.store.record_feedback(pairs)
        if self.metrics is not None:
            for item in accepted:
                self.metrics.feedback.labels("true" if item["correct"] else "false").inc()
        quality = self.store.quality(int(self.settings.serve.quality_window))
        return {"accepted": len(accepted), "items": accepted, "live_accuracy": quality.accuracy, "live_recall": quality.recall, "labelled": quality.labelled}

    # -- model management ----------------------------------------------------------------
    def reload(self) -> SwapOutcome:
        """Check the reference now in this worker, and ask the other workers to do the same."""
        self.store.set_control(RELOAD_KEY, str(time.time_ns()))
        if self.shadow is not None:
            self.shadow.holder.refresh("reload endpoint", retry_failed=True)
        return self.holder.refresh("reload endpoint", retry_failed=True)

    def _reload_requested(self) -> bool:
        generation = self.store.get_control(RELOAD_KEY)
        if generation == self._reload_generation:
            return False
        self._reload_generation = generation
        return True

    def _on_change(self, model: LoadedModel) -> None:
        if self.metrics is None:
            return
        runtime = model.runtime
        alias = self.settings.reference.alias or ""
        self.metrics.serving(model.name, model.version, alias, runtime.requested_provider, runtime.provider_in_use)
        for column in runtime.input_spec.get("columns", []):
            if column["type"] == "categorical":
                self.metrics.unseen_categories.labels(column["name"])
        if runtime.fell_back:
            self.metrics.fallbacks.inc()
        self.metrics.ready.set(1 if self.readiness()[0] else 0)

    def _on_outcome(self, outcome: SwapOutcome) -> None:
        if self.metrics is not None and outcome.outcome in ("swapped", "failed"):
            self.metrics.swaps.labels(outcome.outcome).inc()

    # -- introspection -------------------------------------------------------------------
    def readiness(self) -> tuple[bool, str]:
        model = self.holder.current
        if model is None:
            return False, "no model loaded"
        if self.settings.serve.require_gpu and not self.holder.on_gpu:
            return False, f"serve.require_gpu=true but ONNX Runtime runs on {model.runtime.provider_in_use}: {model.runtime.fallback_reason}"
        return True, "ready"

    def describe(self) -> dict[str, Any]:
        """``GET /model``: identity, metrics, parity, lineage, runtime and the serving config."""
        model = self.holder.current
        assert model is not None
        manifest, runtime = model.resolved.bundle.manifest, model.runtime
        ready, why = self.readiness()
        return {
            "name": model.name,
            "version": model.version,
            "alias": self.settings.reference.alias,
            "reference": self.settings.reference.text,
            "tracking_uri": self.settings.tracking_uri,
            "identity": model.resolved.identity,
            "loaded_at": model.loaded_at,
            "labels": model.labels,
            "high_risk_label": manifest.get("high_risk_label"),
            "max_length": manifest.get("max_length"),
            "metrics": manifest.get("metrics"),
            "parity": manifest.get("parity"),
            "lineage": manifest.get("lineage"),
            "runtime": {
                "requested_provider": runtime.requested_provider,
                "provider_in_use": runtime.provider_in_use,
                "providers": runtime.session.get_providers(),
                "fallback_reason": runtime.fallback_reason,
                "io_binding": runtime.io_binding,
                "precision": runtime.precision,
            },
            "ready": ready,
            "readiness": why,
            "last_swap": self.holder.last_outcome.to_dict() if self.holder.last_outcome else None,
            "shadow": self.shadow.describe() if self.shadow is not None else None,
            "overrides": self.settings.overrides,
            "serve": OmegaConf.to_container(self.settings.serve, resolve=True, enum_to_str=True),
        }

    def metrics_text(self) -> str:
        from lightship.serving.telemetry import scrape_time_series

        model = self.holder.current
        text = scrape_time_series(self.store, int(self.settings.serve.quality_window), model.labels if model else [])
        return text + (self.shadow.metrics_text() if self.shadow is not None else "")
