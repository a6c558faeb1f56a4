"""Calibration: how far a model's confidence is from its accuracy, and temperature scaling to close the gap.

- :func:`expected_calibration_error` (ECE): rows are put in ``bins`` equal-width bins of their
  confidence (the largest class probability); ECE is the row-weighted mean of
  ``|accuracy - mean confidence|`` over the bins (torchmetrics' ``CalibrationError``, L1 norm).
- :func:`fit_temperature`: the one scalar ``T > 0`` that minimises the negative log-likelihood of
  ``softmax(logits / T)`` on held-out (validation) rows. ``T > 1`` softens an over-confident
  model, ``T < 1`` sharpens an under-confident one; the predicted class never changes.

Label-free performance estimation (:mod:`lightship.monitoring.estimation`) reads confidence as
the probability of being right, so it is only as good as the calibration fitted here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

CALIBRATION = "calibration"  # the bundle manifest's field
DEFAULT_BINS = 15
# Search range of log T: a temperature outside [0.02, 50] means the validation split cannot be trusted.
LOG_T_BOUNDS = (float(np.log(0.02)), float(np.log(50.0)))


def logits_of(probabilities: np.ndarray) -> np.ndarray:
    """Logits equivalent to ``probabilities`` (their log: softmax is blind to a per-row shift)."""
    return np.log(np.clip(np.asarray(probabilities, dtype=np.float64), np.finfo(np.float64).tiny, None))


def expected_calibration_error(probabilities: np.ndarray, true_ids: np.ndarray, bins: int = DEFAULT_BINS) -> float:
    """ECE of ``probabilities`` (rows x classes) against the true class ids (see the module docstring); NaN without rows."""
    import torch
    from torchmetrics.functional.classification import multiclass_calibration_error

    probabilities = np.asarray(probabilities, dtype=np.float64)
    if not len(probabilities):
        return float("nan")
    value = multiclass_calibration_error(
        torch.tensor(probabilities), torch.tensor(np.asarray(true_ids), dtype=torch.long),
        num_classes=probabilities.shape[1], n_bins=bins, norm="l1",
    )
    return float(value)


def negative_log_likelihood(logits: np.ndarray, true_ids: np.ndarray, temperature: float) -> float:
    """Mean NLL of the true classes under ``softmax(logits / temperature)``."""
    from scipy.special import log_softmax

    log_p = log_softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1)
    return float(-log_p[np.arange(len(log_p)), np.asarray(true_ids)].mean())


def fit_temperature(logits: np.ndarray, true_ids: np.ndarray) -> float:
    """The temperature minimising validation NLL (bounded search on ``log T``); 1.0 without rows."""
    from scipy.optimize import minimize_scalar

    if not len(logits):
        return 1.0
    result = minimize_scalar(lambda log_t: negative_log_likelihood(logits, true_ids, float(np.exp(log_t))),
                             bounds=LOG_T_BOUNDS, method="bounded")
    return float(np.exp(result.x))


@dataclass(frozen=True)
class Calibration:
    """What the manifest records: the method, the temperature, and ECE on validation before/after and on test."""

    method: str
    temperature: float
    bins: int
    validation_ece_before: float
    validation_ece_after: float
    test_ece: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {key: (None if isinstance(value, float) and np.isnan(value) else value) for key, value in asdict(self).items()}


def calibrate(method: str, probabilities: np.ndarray, true_ids: np.ndarray, bins: int = DEFAULT_BINS) -> Calibration:
    """Fit ``method`` (``temperature`` or ``none``) on validation probabilities; ECE before and after."""
    from lightship.inference.runtime import softmax

    logits = logits_of(probabilities)
    temperature = fit_temperature(logits, true_ids) if method == "temperature" else 1.0
    before = expected_calibration_error(probabilities, true_ids, bins)
    after = expected_calibration_error(softmax(logits / temperature), true_ids, bins)
    return Calibration(method, temperature, bins, before, after)


def temperature_of(manifest: dict[str, Any]) -> float:
    """The bundle's temperature (1.0 for bundles without calibration)."""
    return float((manifest.get(CALIBRATION) or {}).get("temperature") or 1.0)
