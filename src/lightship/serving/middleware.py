"""The HTTP front of the service, an ASGI middleware inside BentoML's app.

It does what BentoML's own layers do not: reads bodies up to ``serve.max_payload_bytes``,
validates them with :mod:`lightship.serving.requests` (so bad input gets a JSON 4xx
naming the field, never a 500), sheds load with ``503`` + ``Retry-After`` once
``serve.max_concurrency`` requests are in flight in the worker (and adds
``Retry-After`` to BentoML's own 503 when its batching queue sheds), times each request
end to end, and answers ``GET /model`` and ``GET /drift`` (the latest live drift report).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from typing import Any, Awaitable, Callable

from lightship.monitoring.live import disabled_answer
from lightship.serving.image_requests import is_multipart, multipart_as_json
from lightship.serving.requests import Problem, check_content_type, check_size, validate_feedback, validate_predict
from lightship.serving.state import ServingState, current_state

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

ENDPOINTS = {"/predict": "predict", "/predict_rows": "predict", "/predict_images": "predict", "/feedback": "feedback", "/reload": "reload"}
_request_ids = itertools.count(1)


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body, default=str).encode("utf-8")
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw_headers += [(key.lower().encode(), value.encode()) for key, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


async def read_body(receive: Receive, limit: int) -> bytes:
    """The request body, or ``limit + 1`` bytes of it when it is longer (enough to refuse it)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body", False):
            break
    return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class LightshipHttpMiddleware:
    def __init__(self, app: Any, max_concurrency: int, retry_after_s: int) -> None:
        self.app = app
        self.max_concurrency = max_concurrency
        self.retry_after = str(retry_after_s)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = current_state()
        if scope["type"] != "http" or state is None:
            return await self.app(scope, receive, send)
        path, method = scope["path"].rstrip("/") or "/", scope["method"]
        if path in ("/model", "/drift") and method != "GET":
            return await send_json(send, 405, {"error": f"{method} is not allowed on {path}", "reason": "method_not_allowed", "accepted": "GET"}, {"Allow": "GET"})
        if path == "/model":
            return await send_json(send, 200, state.describe())
        if path == "/drift":
            return await send_json(send, *(state.drift.http_answer() if state.drift else disabled_answer()))
        if path == "/docs.json" and method == "GET":
            return await self._faithful_docs(state, scope, receive, send)
        endpoint = ENDPOINTS.get(path)
        if endpoint is None or method != "POST":
            return await self.app(scope, receive, send)
        metrics = state.metrics
        if self.in_flight >= self.max_concurrency:
            if metrics is not None:
                metrics.shed.labels(endpoint).inc()
            message = f"overloaded: {self.in_flight} requests in flight in this worker (serve.max_concurrency={self.max_concurrency}); retry later"
            return await send_json(send, 503, {"error": message, "reason": "overloaded"}, {"Retry-After": self.retry_after})
        self.in_flight += 1
        started = time.perf_counter()
        try:
            await self._handle(state, endpoint, scope, receive, send, started)
        finally:
            self.in_flight -= 1
            if metrics is not None:
                metrics.request_seconds.labels(endpoint).observe(time.perf_counter() - started)

    async def _handle(self, state: ServingState, endpoint: str, scope: Scope, receive: Receive, send: Send, started: float) -> None:
        serve = state.settings.serve
        try:
            content_type = _header(scope, b"content-type")
            multipart = endpoint == "predict" and is_multipart(content_type)  # image uploads; the model's kind is checked below
            if not multipart:
                check_content_type(content_type)
            declared_text = _header(scope, b"content-length")
            declared = int(declared_text) if declared_text and declared_text.isdigit() else None
            if declared is not None and declared > serve.max_payload_bytes:
                raw = b"x" * (serve.max_payload_bytes + 1)  # refuse without reading a body we will not use
            else:
                raw = await read_body(receive, serve.max_payload_bytes)
            if endpoint == "predict":
                model = state.holder.current
                if multipart:
                    check_size(raw, serve.max_payload_bytes)
                    raw = multipart_as_json(raw, str(content_type))
                request = validate_predict(raw, serve.max_payload_bytes, serve.max_texts_per_request, serve.max_text_chars,
                                           serve.overlong.value == "truncate", model.runtime.input_spec if model else None)
                body = request.body()
                validated = time.perf_counter()
                state.ledger.note(next(_request_ids), request.texts, request.truncated, validated)
                scope = {**scope, "path": request.route, "raw_path": request.route.encode()}
            elif endpoint == "reload":  # takes no body: what came is dropped, so BentoML never parses it
                check_size(raw, serve.max_payload_bytes)
                body, validated = b"{}", time.perf_counter()
            else:
                validate_feedback(raw, serve.max_payload_bytes, serve.max_texts_per_request)
                body, validated = raw, time.perf_counter()
        except Problem as problem:
            if state.metrics is not None:
                state.metrics.rejected.labels(endpoint, problem.reason).inc()
            return await send_json(send, problem.status, problem.body())
        if state.metrics is not None:
            state.metrics.stage_seconds.labels("validation").observe(validated - started)
        await self.app(self._with_json_body(scope, body), self._replay(body, receive), self._shed_aware(send, state, endpoint))

    async def _faithful_docs(self, state: ServingState, scope: Scope, receive: Receive, send: Send) -> None:
        """BentoML's OpenAPI document, rewritten to what the service enforces (:mod:`lightship.serving.openapi`)."""
        from lightship.serving.openapi import faithful_spec

        answer: dict[str, Any] = {"status": 500, "body": b""}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self.app(scope, receive, capture)
        if answer["status"] != 200:
            return await send_json(send, answer["status"], {"error": "the OpenAPI document is not available", "reason": "no_document"})
        model = state.holder.current
        labels = list(model.labels) if model is not None else []
        input_spec = getattr(model.runtime, "input_spec", None) if model is not None else None
        await send_json(send, 200, faithful_spec(json.loads(answer["body"]), state.settings.serve, labels, input_spec))

    @staticmethod
    def _with_json_body(scope: Scope, body: bytes) -> Scope:
        headers = [(k, v) for k, v in scope.get("headers", []) if k not in (b"content-type", b"content-length")]
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        return {**scope, "headers": headers}

    @staticmethod
    def _replay(body: bytes, original: Receive) -> Receive:
        """Hand the (validated, possibly rewritten) body to BentoML, then the client's own events."""
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return await original()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return receive

    def _shed_aware(self, send: Send, state: ServingState, endpoint: str) -> Send:
        """BentoML's batching queue sheds with a bare 503: count it and add ``Retry-After``."""

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 503:
                message = {**message, "headers": [*message.get("headers", []), (b"retry-after", self.retry_after.encode())]}
                if state.metrics is not None:
                    state.metrics.shed.labels(endpoint).inc()
            await send(message)

        return wrapped
