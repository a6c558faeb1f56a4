"""Events in, predictions and dead letters out: the broker-neutral records and the input decoding.

An input event carries one field named after the bundle's input kind (``Bundle.input_kind``;
the seam where tabular and image bundles plug in without touching the consumer):

- ``text`` (text bundles): the text, UTF-8;
- ``row`` (tabular bundles): a JSON object of column values;
- ``image`` (image bundles): the encoded image, base64.

A field that is missing, empty, not JSON or of the wrong type makes a :class:`DeadLetter`
with a reason code and a message naming the field and what is accepted; it never raises.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from lightship.serving.requests import Problem, validate_rows

# A field value as a broker hands it over: bytes from Redis, any JSON value from Kafka.
FieldValue = Union[bytes, str, int, float, bool, None, dict, list]

# Input kind (declared by the bundle's manifest) -> the event field that carries it.
INPUT_FIELDS = {"text": "text", "tabular": "row", "image": "image"}

# Dead-letter reason codes (also the ``reason`` label of ``lightship_stream_dead_letters_total``).
REASONS = ("missing_field", "empty", "not_json", "wrong_type", "not_utf8", "extra_field", "null_value", "deleted", "scoring_failed")


@dataclass
class Event:
    """One input entry: its broker id, its fields (names as str) and when the broker got it (Unix seconds, if known)."""

    id: str
    fields: Mapping[str, FieldValue]
    produced_at: Optional[float] = None
    # Set by the adapter when the entry cannot even be read as fields: (reason, message); it is dead-lettered.
    invalid: Optional[tuple[str, str]] = None
    # Broker-specific position (Kafka: (topic, partition, offset)); the consumer never reads it.
    position: Any = None


@dataclass
class OutputRecord:
    """One entry to write (a prediction or a dead letter) for the event ``event_id``."""

    event_id: str
    target: str
    fields: dict[str, str]


@dataclass
class DeadLetter:
    event: Event
    reason: str
    message: str

    def record(self, target: str, consumer: str, model_version: str) -> OutputRecord:
        return OutputRecord(self.event.id, target, {
            "event_id": self.event.id, "reason": self.reason, "error": self.message,
            "fields": json.dumps(printable(self.event.fields)), "consumer": consumer, "model_version": model_version,
        })


@dataclass
class Decoded:
    """A micro-batch split into model inputs (with their events, in order) and dead letters."""

    events: list[Event] = field(default_factory=list)
    inputs: list[Any] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)


class BadEvent(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def printable(fields: Mapping[str, FieldValue]) -> dict[str, Any]:
    """Fields as JSON-safe values (bytes decoded, undecodable bytes replaced) for a dead letter."""
    return {key: value.decode("utf-8", "replace") if isinstance(value, bytes) else value for key, value in fields.items()}


def _as_str(value: FieldValue, name: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadEvent("not_utf8", f"field '{name}' is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if isinstance(value, str):
        return value
    raise BadEvent("wrong_type", f"field '{name}' is {type(value).__name__}, expected a string")


def decode_text(value: FieldValue, spec: Mapping[str, Any]) -> str:
    text = _as_str(value, "text")
    if not text.strip():
        raise BadEvent("empty", "field 'text' is empty; send the text to classify")
    return text


def decode_row(value: FieldValue, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object of column values (a JSON string, or an object already parsed by the broker adapter),
    checked against the model's columns by the HTTP service's own row validation (every column, no other, each of its type)."""

    if not isinstance(value, dict):
        raw = _as_str(value, "row")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BadEvent("not_json", f"field 'row' is not JSON ({exc.msg} at char {exc.pos}); send an object of column values") from None
    if not isinstance(value, dict):
        raise BadEvent("wrong_type", f"field 'row' holds a JSON {type(value).__name__}, expected an object of column values")
    try:
        return validate_rows({"rows": [value]}, dict(spec), 1).rows[0]  # type: ignore[index]
    except Problem as problem:
        raise BadEvent(problem.reason, f"field 'row': {problem.message.replace('rows[0]', 'the row')}; accepted: {problem.accepted}") from None


def decode_image(value: FieldValue, spec: Mapping[str, Any]) -> bytes:
    raw = _as_str(value, "image")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadEvent("wrong_type", f"field 'image' is not base64 ({exc}); send the PNG or JPEG bytes base64-encoded") from None
    if not data:
        raise BadEvent("empty", "field 'image' is empty")
    return data


DECODERS: dict[str, Callable[[FieldValue, Mapping[str, Any]], Any]] = {"text": decode_text, "row": decode_row, "image": decode_image}


def input_field(kind: str) -> str:
    """The event field that carries a model's input kind (``Bundle.input_kind``); an unknown kind names the known ones."""
    if kind not in INPUT_FIELDS:
        raise ValueError(f"bundle input kind '{kind}' cannot be streamed; known kinds: {', '.join(INPUT_FIELDS)}")
    return INPUT_FIELDS[kind]


def decode(events: Sequence[Event], spec: Mapping[str, Any]) -> Decoded:
    """Model inputs for the events whose input field (by ``spec``, the bundle's ``input`` block) is usable; dead letters for the others."""
    kind = str(spec["kind"])
    name = input_field(kind)
    decoder = DECODERS[name]
    result = Decoded()
    for event in events:
        try:
            if event.invalid is not None:
                raise BadEvent(*event.invalid)
            value = event.fields.get(name)
            if value is None:
                present = ", ".join(sorted(event.fields)) or "none"
                raise BadEvent("missing_field", f"no field '{name}' (this {kind} model takes '{name}' events; fields present: {present})")
            result.inputs.append(decoder(value, spec))
            result.events.append(event)
        except BadEvent as exc:
            result.dead.append(DeadLetter(event, exc.reason, str(exc)))
    return result
