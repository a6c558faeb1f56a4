"""Decoding PNG/JPEG bytes to uint8 arrays: the one decoder training, batch scoring, serving and drift share.

The exported graph takes ``uint8 [batch, height, width, channels]`` and does the resizing
and normalisation itself, so decoding is all that happens outside it. Every refusal is an
:class:`ImageProblem` with a short ``reason`` (a metric label in serving) and a message
that says what was wrong and what is accepted; callers prefix where (a path, ``images[3]``).
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMATS = ("PNG", "JPEG")
MODES = {"L": 1, "RGB": 3}  # decoded mode -> channels


@dataclass
class ImageProblem(Exception):
    """Why bytes are not a usable image: ``reason`` is one of ``invalid_base64``, ``not_an_image``, ``unsupported_format``, ``image_too_large``, ``image_too_small``."""

    reason: str
    message: str

    def __str__(self) -> str:
        return self.message


def accepted(max_pixels: int) -> str:
    return f"a {' or '.join(FORMATS)} image of at least 2x2 and at most {max_pixels} pixels"


def decode_image(raw: bytes, mode: str, max_pixels: int) -> np.ndarray:
    """``raw`` (PNG or JPEG bytes) as ``uint8 [height, width, channels]`` in ``mode`` (``L`` or ``RGB``).

    The size is checked from the header before the pixels are decoded, so an oversized
    image costs no memory (Pillow's own decompression-bomb limit is far larger).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageProblem("not_an_image", f"not a readable image ({type(exc).__name__}: {exc})") from exc
    if image.format not in FORMATS:
        raise ImageProblem("unsupported_format", f"format {image.format} is not accepted")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageProblem("image_too_large", f"{width}x{height} = {width * height} pixels is over the limit")
    if width < 2 or height < 2:
        raise ImageProblem("image_too_small", f"{width}x{height} is too small to classify")
    try:
        array = np.asarray(image.convert(mode), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt pixel data shows up here, not at open
        raise ImageProblem("not_an_image", f"corrupt image data ({type(exc).__name__}: {exc})") from exc
    return array.reshape(height, width, MODES[mode])


def to_array(item: Any, mode: str, max_pixels: int) -> np.ndarray:
    """Any accepted image input as ``uint8 [height, width, channels]``: arrays pass, bytes are decoded,
    strings are base64 of PNG/JPEG bytes (the JSON request form)."""
    if isinstance(item, np.ndarray):
        return item
    if isinstance(item, str):
        try:
            item = base64.b64decode(item, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImageProblem("invalid_base64", f"not valid base64 ({exc})") from exc
    return decode_image(bytes(item), mode, max_pixels)


def encode_png(array: np.ndarray) -> bytes:
    """A uint8 ``[height, width, channels]`` array as PNG bytes (tests, smoke inputs, the built-in data set)."""
    from PIL import Image

    squeezed = array[..., 0] if array.ndim == 3 and array.shape[2] == 1 else array
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(squeezed, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def image_mode(arrays: Any) -> str:
    """``RGB`` when any image has colour (channels that differ), else ``L``."""
    for array in arrays:
        if array.shape[2] == 3 and not (np.array_equal(array[..., 0], array[..., 1]) and np.array_equal(array[..., 1], array[..., 2])):
            return "RGB"
    return "L"
