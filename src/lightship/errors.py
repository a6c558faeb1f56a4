"""Errors a user can act on: each says what was wrong, where, and what is accepted."""


class LightshipError(Exception):
    """Base class for errors reported to the user without a traceback."""


class ConfigError(LightshipError):
    """The composed config is invalid (bad key, bad value, forbidden target)."""


class DataError(LightshipError):
    """Input data cannot be used (missing file or column, bad rows, too few rows)."""


class ExportError(LightshipError):
    """The ONNX export or its parity check failed; nothing is registered."""


class TrackingError(LightshipError):
    """The tracking store cannot be reached or written; raised before any training starts."""
