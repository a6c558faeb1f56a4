"""Image request bodies: ``{"images": ["<base64 PNG or JPEG>", ...]}`` or a multipart upload of image files.

A multipart body (``multipart/form-data``, any field names, one file per part) is turned
into the JSON form first, so both go through one validation: every item is decoded here
(:func:`lightship.data.images.decode_image`) and a bad one is refused with a 4xx naming
it (``images[2]``, or the uploaded file's name), before anything reaches the model.
"""

from __future__ import annotations

import base64
import binascii
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from lightship.data.images import ImageProblem, accepted, decode_image
from lightship.serving.requests import PredictRequest, Problem

MULTIPART = "multipart/form-data"
EXAMPLE = '{"images": ["<base64 of a PNG or JPEG file>"]}'
_STATUS = {"image_too_large": 413, "unsupported_format": 415}


def is_multipart(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() == MULTIPART  # type: ignore[union-attr]


def multipart_as_json(raw: bytes, content_type: str) -> bytes:
    """The files of a ``multipart/form-data`` body as the JSON form's body (base64 each, in order)."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1") + raw)
    parts = [part for part in message.iter_parts()] if message.is_multipart() else []
    files = [part.get_payload(decode=True) or b"" for part in parts]
    if not files:
        raise Problem(400, "invalid_multipart", "body", "the multipart body has no parts (or no boundary)",
                      "multipart/form-data with one image file per part, e.g. curl -F images=@cat.png")
    return json.dumps({"images": [base64.b64encode(data).decode("ascii") for data in files]}).encode("utf-8")


def validate_images(data: Any, input_spec: dict[str, Any], max_items: int, non_empty_list: Any, object_with: Any) -> PredictRequest:
    """Every item a base64 string of a PNG/JPEG within ``input.max_pixels``; the request keeps the base64 strings."""
    max_pixels = int(input_spec.get("max_pixels", 4096 * 4096))
    mode = str(input_spec.get("mode", "RGB"))
    items = non_empty_list(object_with(data, "images", EXAMPLE), "images", max_items, EXAMPLE, "serve.max_texts_per_request")
    for index, item in enumerate(items):
        where = f"images[{index}]"
        if not isinstance(item, str):
            raise Problem(422, "wrong_type", where, f"{where} must be a base64 string, got {type(item).__name__}", "a base64 string of a PNG or JPEG file")
        try:
            decode_image(base64.b64decode(item, validate=True), mode, max_pixels)
        except (binascii.Error, ValueError) as exc:
            raise Problem(422, "invalid_base64", where, f"{where} is not valid base64 ({exc})", "standard base64 (RFC 4648) of the file's bytes") from exc
        except ImageProblem as problem:
            raise Problem(_STATUS.get(problem.reason, 422), problem.reason, where, f"{where}: {problem.message}", accepted(max_pixels)) from problem
    return PredictRequest(list(items), [False] * len(items), images=list(items))
