"""Serving pieces without a server: request rules, the store, references, shedding."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from lightship.serving.ledger import ArrivalLedger
from lightship.serving.reference import ModelNotFound, ModelReference
from lightship.serving.requests import Problem, validate_feedback, validate_predict
from lightship.serving.store import FeedbackRejected, PredictionRecord, PredictionStore

LIMITS = dict(max_bytes=1000, max_texts=3, max_chars=10, truncate=True)


@pytest.mark.parametrize(
    "raw, status, reason, field",
    [
        (b"{", 400, "invalid_json", "body"),
        (b'{"texts": ["\xff"]}', 400, "invalid_utf8", "body"),
        (b"x" * 1001, 413, "payload_too_large", "body"),
        (b"[]", 422, "wrong_type", "body"),
        (b"{}", 422, "missing_field", "texts"),
        (b'{"texts": ["a"], "extra": 1}', 422, "extra_field", "extra"),
        (b'{"texts": "a"}', 422, "wrong_type", "texts"),
        (b'{"texts": []}', 422, "empty_list", "texts"),
        (b'{"texts": ["a", "b", "c", "d"]}', 422, "too_many_items", "texts"),
        (b'{"texts": ["a", 3]}', 422, "wrong_type", "texts[1]"),
        (b'{"texts": ["a", "  "]}', 422, "empty_text", "texts[1]"),
    ],
)
def test_predict_rules_name_the_field(raw: bytes, status: int, reason: str, field: str) -> None:
    with pytest.raises(Problem) as caught:
        validate_predict(raw, **LIMITS)
    assert (caught.value.status, caught.value.reason, caught.value.field) == (status, reason, field)
    assert caught.value.accepted


def test_overlong_text_is_truncated_or_refused() -> None:
    request = validate_predict(b'{"texts": ["0123456789abc", "short"]}', **LIMITS)
    assert request.texts == ["0123456789", "short"] and request.truncated == [True, False]
    with pytest.raises(Problem) as caught:
        validate_predict(b'{"texts": ["0123456789abc"]}', **{**LIMITS, "truncate": False})
    assert caught.value.reason == "text_too_long" and caught.value.field == "texts[0]"


def test_feedback_rules() -> None:
    assert validate_feedback(b'{"feedback": [{"id": "a", "label": "b"}]}', 1000, 3) == [("a", "b")]
    for raw, field in [(b'{"feedback": [{"id": "a"}]}', "feedback[0].label"), (b'{"feedback": [{"id": 1, "label": "b"}]}', "feedback[0].id")]:
        with pytest.raises(Problem) as caught:
            validate_feedback(raw, 1000, 3)
        assert caught.value.field == field


def _record(identifier: str, label: str, created_at: float) -> PredictionRecord:
    return PredictionRecord(identifier, "text", 4, 3, False, label, 0.9, {"a": 0.9, "b": 0.1}, "m", "1", created_at)


def test_store_feedback_quality_and_windows(tmp_path) -> None:
    store = PredictionStore(tmp_path / "live.db")
    store.record_predictions([_record("p1", "a", 10.0), _record("p2", "a", 20.0), _record("p3", "b", 30.0)])
    store.record_feedback([("p1", "a"), ("p2", "b")], now=40.0)
    for items, reason in [([("nope", "a")], "unknown_id"), ([("p1", "a")], "duplicate_feedback"), ([("p3", "zzz")], "unknown_label"), ([("p3", "a"), ("p3", "a")], "duplicate_feedback")]:
        with pytest.raises(FeedbackRejected) as caught:
            store.record_feedback(items)
        assert caught.value.problems[0].reason == reason
    store.close()
    reopened = PredictionStore(tmp_path / "live.db")  # survives a restart
    quality = reopened.quality(window=10)
    assert quality.labelled == 2 and quality.accuracy == 0.5 and quality.recall == {"a": 1.0, "b": 0.0}
    assert [row["id"] for row in reopened.predictions(since=15.0)] == ["p2", "p3"]
    assert [row["true_label"] for row in reopened.labelled(since=0.0)] == ["a", "b"]


def test_references() -> None:
    assert ModelReference.parse(None, "lightship", "champion").alias == "champion"
    assert ModelReference.parse("models:/m/3", "x", "y").version == "3"
    assert ModelReference.parse("models:/m@staging", "x", "y").follows_alias
    assert ModelReference.parse("some/bundle", "x", "y").path is not None
    with pytest.raises(ModelNotFound):
        ModelReference.parse("models:/", "x", "y")


def test_ledger_matches_texts_fifo() -> None:
    ledger = ArrivalLedger()
    ledger.note(1, ["a", "b"], [False, True], at=1.0)
    ledger.note(2, ["a"], [False], at=2.0)
    first, second, missing = ledger.take(["a", "a", "zzz"])
    assert (first.request, second.request, missing) == (1, 2, None)
    assert ledger.take(["b"])[0].truncated


def test_middleware_sheds_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    from lightship.serving import middleware

    shed: list[str] = []
    counter = SimpleNamespace(labels=lambda endpoint: SimpleNamespace(inc=lambda: shed.append(endpoint)))
    state = SimpleNamespace(metrics=SimpleNamespace(shed=counter))
    monkeypatch.setattr(middleware, "current_state", lambda: state)
    front = middleware.LightshipHttpMiddleware(app=None, max_concurrency=0, retry_after_s=2)
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(front({"type": "http", "path": "/predict", "method": "POST", "headers": []}, None, send))
    assert sent[0]["status"] == 503 and (b"retry-after", b"2") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["reason"] == "overloaded" and shed == ["predict"]
