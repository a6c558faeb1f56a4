"""Validation of request bodies before they reach BentoML: every refusal names the field.

Pure functions over bytes, so each rule is testable without a server. A refusal is a
:class:`Problem` (HTTP status, a short ``reason`` used as a metric label, the field,
and what would be accepted); the middleware turns it into a JSON 4xx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

_BODY_REASONS = (
    "unsupported_media_type", "payload_too_large", "invalid_utf8", "invalid_json", "wrong_type", "missing_field", "extra_field", "empty_list", "too_many_items",
)
# Every reason each endpoint can refuse a request for; pre-registered as metric labels.
REASONS: dict[str, tuple[str, ...]] = {
    "predict": (*_BODY_REASONS, "empty_text", "text_too_long", "wrong_input_kind", "null_value",
                "invalid_base64", "not_an_image", "unsupported_format", "image_too_large", "image_too_small", "invalid_multipart"),
    "feedback": (*_BODY_REASONS, "unknown_id", "duplicate_feedback", "unknown_label"),
    "reload": ("unauthorized", "unsupported_media_type", "payload_too_large"),
}


@dataclass
class Problem(Exception):
    status: int
    reason: str
    field: str
    message: str
    accepted: str

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "field": self.field, "reason": self.reason, "accepted": self.accepted}


@dataclass
class PredictRequest:
    texts: list[str]
    truncated: list[bool] = field(default_factory=list)
    # Tabular requests: the validated rows (numbers as floats); ``texts`` then holds each row as canonical JSON.
    rows: Optional[list[dict[str, Any]]] = None
    # Image requests: the validated base64 strings (also in ``texts``, as the store keeps them).
    images: Optional[list[str]] = None

    @property
    def route(self) -> str:
        """The service endpoint that scores this request (rows and images have their own batchable APIs)."""
        return "/predict_images" if self.images is not None else "/predict" if self.rows is None else "/predict_rows"

    def body(self) -> bytes:
        if self.images is not None:
            return json.dumps({"images": self.images}).encode("utf-8")
        return json.dumps({"texts": self.texts} if self.rows is None else {"rows": self.rows}).encode("utf-8")


def check_content_type(value: Optional[str]) -> None:
    """Bodies are JSON: no ``Content-Type`` or ``application/json`` (``charset=utf-8`` allowed); anything else is a 415."""
    if not value:
        return
    media_type, *params = [part.strip().lower() for part in value.split(";")]
    charsets = [param.split("=", 1)[1].strip('" ') for param in params if param.startswith("charset=")]
    if media_type != "application/json" or any(charset not in ("utf-8", "utf8") for charset in charsets):
        raise Problem(415, "unsupported_media_type", "Content-Type", f"Content-Type '{value[:200]}' is not accepted", "Content-Type: application/json")


def check_size(raw: bytes, max_bytes: int) -> None:
    if len(raw) > max_bytes:
        raise Problem(413, "payload_too_large", "body", f"request body is {len(raw)} bytes, over the limit", f"at most {max_bytes} bytes (serve.max_payload_bytes)")


def parse_json(raw: bytes, max_bytes: int) -> Any:
    """Decode a body: size, UTF-8 and JSON, in that order."""
    check_size(raw, max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "invalid_utf8", "body", f"request body is not valid UTF-8 (byte {exc.start})", "a UTF-8 encoded JSON object") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Problem(400, "invalid_json", "body", f"request body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", "a JSON object") from exc


def _object_with(data: Any, required: str, example: str) -> Any:
    """The single required key of a JSON object; refuses other shapes and extra keys."""
    if not isinstance(data, dict):
        raise Problem(422, "wrong_type", "body", f"expected a JSON object, got {type(data).__name__}", example)
    extra = sorted(set(data) - {required})
    if extra:
        raise Problem(422, "extra_field", extra[0], f"unknown field(s) {extra}", f"only '{required}': {example}")
    if required not in data:
        raise Problem(422, "missing_field", required, f"field '{required}' is required", example)
    return data[required]


def _non_empty_list(value: Any, name: str, limit: int, example: str, limit_key: str) -> list[Any]:
    if not isinstance(value, list):
        raise Problem(422, "wrong_type", name, f"'{name}' must be a list, got {type(value).__name__}", example)
    if not value:
        raise Problem(422, "empty_list", name, f"'{name}' is empty", f"1 to {limit} items")
    if len(value) > limit:
        raise Problem(422, "too_many_items", name, f"'{name}' has {len(value)} items", f"at most {limit} per request ({limit_key}); split the request")
    return value


def validate_predict(
    raw: bytes, max_bytes: int, max_texts: int, max_chars: int, truncate: bool, input_spec: Optional[dict[str, Any]] = None,
) -> PredictRequest:
    """``{"texts": [non-empty strings]}`` for text models (over-long texts are cut (``truncate``) or refused);
    ``{"rows": [{column: value}]}`` for tabular models, checked against ``input_spec`` (the bundle's ``input``)."""
    data = parse_json(raw, max_bytes)
    kind = (input_spec or {}).get("kind", "text")
    keys = {"tabular": "rows", "image": "images"}
    wanted = keys.get(kind, "texts")
    others = {"texts", *keys.values()} - {wanted}
    if isinstance(data, dict) and wanted not in data and others & set(data):
        other = sorted(others & set(data))[0]
        examples = {"rows": '{"rows": [{"column": value, ...}]}', "images": '{"images": ["<base64 PNG or JPEG>"]}', "texts": '{"texts": ["..."]}'}
        raise Problem(422, "wrong_input_kind", other, f"the model in service takes {kind} inputs ('{wanted}'), not '{other}'", examples[wanted])
    if kind == "tabular":
        return validate_rows(data, input_spec or {}, max_texts)
    if kind == "image":
        from lightship.serving.image_requests import validate_images

        return validate_images(data, input_spec or {}, max_texts, _non_empty_list, _object_with)
    example = '{"texts": ["my card was charged twice"]}'
    texts = _non_empty_list(_object_with(data, "texts", example), "texts", max_texts, example, "serve.max_texts_per_request")
    request = PredictRequest([], [])
    for index, text in enumerate(texts):
        where = f"texts[{index}]"
        if not isinstance(text, str):
            raise Problem(422, "wrong_type", where, f"{where} must be a string, got {type(text).__name__}", "a non-empty string")
        if not text.strip():
            raise Problem(422, "empty_text", where, f"{where} is empty or only whitespace", "a non-empty string")
        too_long = len(text) > max_chars
        if too_long and not truncate:
            raise Problem(422, "text_too_long", where, f"{where} has {len(text)} characters", f"at most {max_chars} characters (serve.max_text_chars; serve.overlong=truncate cuts instead)")
        request.texts.append(text[:max_chars])
        request.truncated.append(too_long)
    return request


def _cell(value: Any, column: dict[str, Any], where: str) -> Any:
    """One row value checked against its column: numbers (JSON integers too) as floats, booleans, category strings."""
    kind, nullable = column["type"], bool(column.get("nullable", False))
    if value is None:
        if nullable:
            return None
        raise Problem(422, "null_value", where, f"{where} is null but column '{column['name']}' does not allow missing values",
                      f"a {kind} value")
    if kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Problem(422, "wrong_type", where, f"{where} must be a number, got {type(value).__name__}", "a JSON number (integers accepted)")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise Problem(422, "wrong_type", where, f"{where} must be true or false, got {type(value).__name__}", "true or false")
        return value
    if not isinstance(value, str):
        raise Problem(422, "wrong_type", where, f"{where} must be a string (a category), got {type(value).__name__}",
                      "a string; unseen categories are accepted and scored as unknown")
    return value


def validate_rows(data: Any, input_spec: dict[str, Any], max_rows: int) -> PredictRequest:
    """``{"rows": [{column: value, ...}]}``: every column of the schema, no other, each of its type; names row and column."""
    columns = list(input_spec.get("columns", []))
    names = [column["name"] for column in columns]
    example = '{"rows": [{' + ", ".join(f'"{name}": ...' for name in names[:3]) + "}]}"
    rows = _non_empty_list(_object_with(data, "rows", example), "rows", max_rows, example, "serve.max_texts_per_request")
    checked = []
    for index, row in enumerate(rows):
        where = f"rows[{index}]"
        if not isinstance(row, dict):
            raise Problem(422, "wrong_type", where, f"{where} must be an object of column values, got {type(row).__name__}", example)
        unknown = [key for key in row if key not in names]
        if unknown:
            raise Problem(422, "extra_field", f"{where}.{unknown[0]}", f"{where} has unknown column(s) {unknown}", f"the model's columns: {names}")
        missing = [name for name in names if name not in row]
        if missing:
            raise Problem(422, "missing_field", f"{where}.{missing[0]}", f"{where} lacks column(s) {missing}",
                          f"every column of the model: {names} (null where a column allows missing values)")
        checked.append({column["name"]: _cell(row[column["name"]], column, f"{where}.{column['name']}") for column in columns})
    texts = [json.dumps(row, sort_keys=True, default=str) for row in checked]
    return PredictRequest(texts, [False] * len(checked), checked)


def validate_feedback(raw: bytes, max_bytes: int, max_items: int) -> list[tuple[str, str]]:
    """``{"feedback": [{"id": "<id from /predict>", "label": "<true label>"}]}``."""
    example = '{"feedback": [{"id": "<id from /predict>", "label": "billing"}]}'
    items = _non_empty_list(_object_with(parse_json(raw, max_bytes), "feedback", example), "feedback", max_items, example, "serve.max_texts_per_request")
    pairs = []
    for index, item in enumerate(items):
        where = f"feedback[{index}]"
        if not isinstance(item, dict):
            raise Problem(422, "wrong_type", where, f"{where} must be an object", '{"id": "...", "label": "..."}')
        extra = sorted(set(item) - {"id", "label"})
        if extra:
            raise Problem(422, "extra_field", f"{where}.{extra[0]}", f"unknown field(s) {extra}", "only 'id' and 'label'")
        for key in ("id", "label"):
            value: Optional[Any] = item.get(key)
            if key not in item:
                raise Problem(422, "missing_field", f"{where}.{key}", f"{where}.{key} is required", '{"id": "...", "label": "..."}')
            if not isinstance(value, str) or not value.strip():
                raise Problem(422, "wrong_type", f"{where}.{key}", f"{where}.{key} must be a non-empty string", "a non-empty string")
        pairs.append((item["id"], item["label"]))
    return pairs
