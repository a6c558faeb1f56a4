"""The BentoML service: ``bentoml serve`` from the repo root (``bentofile.yaml``) runs it.

Configuration is composed from ``conf/`` with ``$LIGHTSHIP_OVERRIDES`` when this module is
imported (fast: no torch), because BentoML reads workers, batching and timeouts from the
decorators. The model is loaded in each worker's constructor. Endpoints:

- ``POST /predict``  ``{"texts": [...]}`` (text models) or ``{"rows": [{column: value}]}`` (tabular
  models, validated against the bundle's schema) -> per item: id, label, confidence, probabilities,
  model_version, truncated (adaptive batching merges concurrent requests; rows are scored by
  the ``/predict_rows`` API, where the middleware routes them). Image models take
  ``{"images": ["<base64 PNG/JPEG>"]}`` or a ``multipart/form-data`` upload (``/predict_images``)
- ``POST /feedback`` ``{"feedback": [{"id": ..., "label": ...}]}`` -> accepted items, live accuracy
- ``POST /reload``   header ``Authorization: Bearer $<serve.reload_token_env>`` -> swap outcome
- ``GET /drift``  the latest live drift report (404 before the first window; see docs/drift.md)
- ``GET /model``, ``/livez``, ``/readyz``, ``/metrics``
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any

import bentoml
from starlette.responses import JSONResponse

from lightship.serving.middleware import LightshipHttpMiddleware
from lightship.serving.preflight import preflight
from lightship.serving.settings import load_settings
from lightship.serving.state import ServingState
from lightship.serving.store import FeedbackRejected

log = logging.getLogger(__name__)

SETTINGS = load_settings()
SERVE = SETTINGS.serve
preflight(SETTINGS)  # a model that cannot load stops `bentoml serve` here, naming the file
_FEEDBACK_STATUS = {"unknown_id": 404, "duplicate_feedback": 409, "unknown_label": 422}


@bentoml.service(name="lightship", workers=int(SERVE.workers), traffic={"timeout": int(SERVE.timeout_s)})
class LightshipClassifier:
    """Text classification over the served lightship bundle (see the module docstring)."""

    def __init__(self) -> None:
        self.state = ServingState.start(SETTINGS)

    @bentoml.api(batchable=True, max_batch_size=int(SERVE.max_batch_size), max_latency_ms=int(SERVE.max_latency_ms), route="/predict")
    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        """Classify texts; each answer has an id to send back with /feedback."""
        return self.state.predict_batch(texts)

    @bentoml.api(batchable=True, max_batch_size=int(SERVE.max_batch_size), max_latency_ms=int(SERVE.max_latency_ms), route="/predict_rows")
    def predict_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Classify table rows (``POST /predict`` with ``{"rows": [...]}`` lands here after validation)."""
        return self.state.predict_batch(rows)

    @bentoml.api(batchable=True, max_batch_size=int(SERVE.max_batch_size), max_latency_ms=int(SERVE.max_latency_ms), route="/predict_images")
    def predict_images(self, images: list[str]) -> list[dict[str, Any]]:
        """Classify images, base64 PNG/JPEG (``POST /predict`` with ``{"images": [...]}`` or a multipart upload lands here after validation)."""
        return self.state.predict_batch(images)

    @bentoml.api(route="/feedback")
    def feedback(self, feedback: list[dict[str, str]]) -> dict[str, Any]:
        """Record true labels for earlier predictions (all items or none)."""
        try:
            return self.state.feedback([(item["id"], item["label"]) for item in feedback])
        except FeedbackRejected as exc:
            first = exc.problems[0]
            if self.state.metrics is not None:
                self.state.metrics.rejected.labels("feedback", first.reason).inc()
            body = {
                "error": str(exc),
                "field": f"feedback[{first.index}].{first.field}",
                "reason": first.reason,
                "problems": [vars(problem) for problem in exc.problems],
                "accepted": "ids returned by /predict, each labelled once, with one of the model's labels",
            }
            return JSONResponse(body, status_code=_FEEDBACK_STATUS[first.reason])  # type: ignore[return-value]

    @bentoml.api(route="/reload")
    def reload(self, ctx: bentoml.Context) -> dict[str, Any]:
        """Check the model reference now and swap when it names a new version (token required)."""
        env_name = str(SERVE.reload_token_env)
        expected = os.environ.get(env_name)
        given = ctx.request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            if self.state.metrics is not None:
                self.state.metrics.rejected.labels("reload", "unauthorized").inc()
            why = f"reload is disabled: set ${env_name} on the server" if not expected else "missing or wrong bearer token"
            ctx.response.status_code = 403 if not expected else 401  # with a ctx parameter BentoML takes the status from it
            return {"error": why, "field": "Authorization", "reason": "unauthorized", "accepted": f"Authorization: Bearer <value of ${env_name}>"}
        return self.state.reload().to_dict()

    def __is_ready__(self) -> bool:
        ready, why = self.state.readiness()
        if not ready:
            log.warning("not ready: %s", why)
        return ready

    def __metrics__(self, content: str) -> str:
        return content + self.state.metrics_text()

    @bentoml.on_shutdown
    def close(self) -> None:
        self.state.close()


LightshipClassifier.add_asgi_middleware(LightshipHttpMiddleware, max_concurrency=int(SERVE.max_concurrency), retry_after_s=int(SERVE.retry_after_s))
