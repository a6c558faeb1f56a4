"""A check shared by the calibration tests of every bundle family."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RECORD_KEYS = {"method", "temperature", "bins", "validation_ece_before", "validation_ece_after", "test_ece"}


def check_bundle_calibration(bundle: str, inputs: list) -> dict:
    """The manifest records the fitted temperature and ECE; the runtime's probabilities are softmax(graph logits / T)."""
    from lightship.inference import load_runtime
    from lightship.inference.runtime import softmax

    runtime = load_runtime(bundle)
    record = json.loads((Path(bundle) / "manifest.json").read_text())["calibration"]
    assert set(record) == RECORD_KEYS and record["method"] == "temperature"
    assert runtime.temperature == record["temperature"] > 0
    assert 0 <= record["validation_ece_after"] <= record["validation_ece_before"] + 0.02
    raw, _ = runtime.forward(runtime.encode(inputs))
    np.testing.assert_allclose(runtime.predict(inputs).probabilities, softmax(raw.astype(np.float64) / runtime.temperature), atol=1e-6)
    return record
