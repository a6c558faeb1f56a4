"""The service's OpenAPI document as the service really behaves (``GET /docs.json``).

BentoML derives the document from the Python signatures: ``list[str]`` says nothing about
the limits :mod:`lightship.serving.requests` enforces, and the only errors it lists are its
own 400/404/500. :func:`faithful_spec` rewrites BentoML's document from the serving config
and the model in service:

- request bodies carry every constraint the validator checks (non-empty lists up to
  ``serve.max_texts_per_request`` items, non-blank strings, ``serve.max_text_chars`` when
  over-long texts are refused, the model's labels as the feedback enum, no extra fields);
- every status code an endpoint can answer is listed with its body schema (:data:`ERROR`
  for every refusal), ``Retry-After`` on 503;
- ``/reload`` declares its bearer token; ``GET /model`` (with its ``shadow`` object) and ``GET /drift``,
  answered by the middleware, are documented too. ``/predict_rows`` and ``/predict_images`` are internal
  (``/predict`` routes rows and images to them) and are left out; an image model's ``/predict``
  documents both its JSON body and its multipart upload.

Pure function over dicts, so it is tested without a server; a fuzzer (schemathesis) checks
the served document against the served behaviour (``tests/serving/test_openapi_conformance.py``).
"""

from __future__ import annotations

import copy
from typing import Any, Optional

JSON = "application/json"
# A string with at least one non-whitespace character (what ``str.strip()`` leaves non-empty).
NOT_BLANK = r"\S"

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "what was wrong"},
        "reason": {"type": "string", "description": "a short machine-readable reason (also a metric label)"},
        "field": {"type": "string", "description": "where: body, a field, or an item such as texts[3]"},
        "accepted": {"type": "string", "description": "what would be accepted"},
        "problems": {"type": "array", "items": {"type": "object"}},
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/LightshipError"}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1, "nullable": True}
# ``GET /model``: open-ended, except the ``shadow`` object (null when serve.shadow is off or there is no challenger to report).
MODEL: dict[str, Any] = {
    "type": "object",
    "additionalProperties": True,
    "required": ["name", "version", "shadow"],
    "properties": {
        "name": {"type": "string"},
        "version": {"type": "string"},
        "shadow": {
            "type": "object",
            "nullable": True,
            "required": ["version", "agreement", "labelled"],
            "additionalProperties": True,
            "properties": {
                "version": {"type": "string", "nullable": True, "description": "registry version of the challenger in shadow (null: it failed to load)"},
                "agreement": {**_SHARE, "description": "share of mirrored requests where both versions agreed (null before any)"},
                "labelled": {"type": "integer", "minimum": 0, "description": "labelled requests both versions answered"},
                "pairs": {"type": "integer", "minimum": 0, "description": "requests both versions answered"},
                "failed_version": {"type": "string", "nullable": True, "description": "a challenger version that failed to load (not retried until the alias moves)"},
            },
        },
    },
}

_STATUS_TEXT = {
    400: "Body is not UTF-8 JSON",
    401: "Missing or wrong bearer token",
    403: "Reload is disabled on this server (no token configured)",
    404: "Not found",
    409: "A prediction already has feedback",
    413: "Body over serve.max_payload_bytes",
    415: "Content-Type is not application/json",
    422: "Body does not match the schema (the field and what is accepted are in the answer)",
    503: "Overloaded or no model ready: retry after Retry-After seconds",
}
_BODY_ERRORS = (400, 413, 415, 422, 503)


def _error_responses(statuses: tuple[int, ...]) -> dict[str, Any]:
    responses = {}
    for status in statuses:
        answer: dict[str, Any] = {"description": _STATUS_TEXT[status], "content": {JSON: {"schema": _ERROR_REF}}}
        if status == 503:
            answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}
        responses[str(status)] = answer
    return responses


def _text_item(serve: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": NOT_BLANK}
    if getattr(serve.overlong, "value", serve.overlong) != "truncate":
        item["maxLength"] = int(serve.max_text_chars)
    return item


def _rows_item(input_spec: dict[str, Any]) -> dict[str, Any]:
    """One tabular row: every column of the bundle's schema, of its type (null where allowed)."""
    kinds = {"numeric": "number", "boolean": "boolean"}
    properties = {}
    for column in input_spec.get("columns", []):
        schema: dict[str, Any] = {"type": kinds.get(column["type"], "string")}
        if column.get("nullable"):
            schema["nullable"] = True
        properties[column["name"]] = schema
    return {"type": "object", "required": list(properties), "properties": properties, "additionalProperties": False}


def _list_body(key: str, item: dict[str, Any], limit: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [key],
        "additionalProperties": False,
        "properties": {key: {"type": "array", "minItems": 1, "maxItems": limit, "items": item}},
    }


def _predict_body(serve: Any, input_spec: Optional[dict[str, Any]]) -> dict[str, Any]:
    limit = int(serve.max_texts_per_request)
    if (input_spec or {}).get("kind") == "tabular":
        return _list_body("rows", _rows_item(input_spec or {}), limit)
    if (input_spec or {}).get("kind") == "image":
        return _list_body("images", {"type": "string", "format": "byte", "minLength": 1, "description": "base64 of a PNG or JPEG file"}, limit)
    return _list_body("texts", _text_item(serve), limit)


def _multipart_body() -> dict[str, Any]:
    """Image models also take a multipart upload: one PNG/JPEG file per part, any field name."""
    return {"type": "object", "properties": {"images": {"type": "array", "items": {"type": "string", "format": "binary"}}}}


def _prediction(labels: list[str]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id", "label", "confidence", "probabilities", "model_version"],
            "properties": {
                "id": {"type": "string"},
                "label": {"type": "string", "enum": labels} if labels else {"type": "string"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "probabilities": {"type": "object", "additionalProperties": {"type": "number"}},
                "model_version": {"type": "string"},
                "truncated": {"type": "boolean"},
            },
        },
    }


def _feedback_body(serve: Any, labels: list[str]) -> dict[str, Any]:
    label: dict[str, Any] = {"type": "string", "enum": labels} if labels else {"type": "string", "minLength": 1, "pattern": NOT_BLANK}
    item = {
        "type": "object",
        "required": ["id", "label"],
        "additionalProperties": False,
        "properties": {"id": {"type": "string", "minLength": 1, "pattern": NOT_BLANK, "description": "an id returned by /predict"}, "label": label},
    }
    return _list_body("feedback", item, int(serve.max_texts_per_request))


def _operation(existing: dict[str, Any], body: Optional[dict[str, Any]], ok: dict[str, Any], errors: tuple[int, ...]) -> dict[str, Any]:
    operation = {key: value for key, value in existing.items() if key not in ("requestBody", "responses")}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    operation["responses"] = {"200": {"description": "Successful Response", "content": {JSON: {"schema": ok}}}, **_error_responses(errors)}
    return operation


def faithful_spec(spec: dict[str, Any], serve: Any, labels: list[str], input_spec: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """BentoML's document with lightship's request constraints, status codes and error bodies."""
    spec = copy.deepcopy(spec)
    paths = spec.setdefault("paths", {})
    paths.pop("/predict_rows", None)
    paths.pop("/predict_images", None)
    any_object = {"type": "object", "additionalProperties": True}
    if "post" in paths.get("/predict", {}):
        paths["/predict"]["post"] = _operation(paths["/predict"]["post"], _predict_body(serve, input_spec), _prediction(labels), _BODY_ERRORS)
        if (input_spec or {}).get("kind") == "image":
            paths["/predict"]["post"]["requestBody"]["content"]["multipart/form-data"] = {"schema": _multipart_body()}
    if "post" in paths.get("/feedback", {}):
        paths["/feedback"]["post"] = _operation(paths["/feedback"]["post"], _feedback_body(serve, labels), any_object, (*_BODY_ERRORS, 404, 409))
    if "post" in paths.get("/reload", {}):
        reload = _operation(paths["/reload"]["post"], None, any_object, (401, 403, 413, 415, 503))
        reload["security"] = [{"reloadToken": []}]
        paths["/reload"]["post"] = reload
    paths["/model"] = {"get": {"summary": "The model in service: identity, metrics, lineage, runtime, config, and the challenger in shadow",
                               "responses": {"200": {"description": "Successful Response", "content": {JSON: {"schema": MODEL}}}}}}
    paths["/drift"] = {"get": {"summary": "The latest live drift report",
                               "responses": {"200": {"description": "Successful Response", "content": {JSON: {"schema": any_object}}},
                                             **_error_responses((404,))}}}
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["LightshipError"] = ERROR
    components.setdefault("securitySchemes", {})["reloadToken"] = {
        "type": "http", "scheme": "bearer", "description": f"the value of ${serve.reload_token_env} on the server",
    }
    return spec
