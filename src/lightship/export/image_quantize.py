"""Faster graphs for the image CNN: static int8 for CPU and fp16 for CUDA, each behind a gate.

- :func:`static_int8`: dynamic quantization does little for convolutions (it quantizes
  MatMul/Gemm weights only), so the CNN is quantized statically (QDQ, int8 weights per
  channel, uint8 activations) with activation ranges calibrated on training images. The
  accuracy gate is the one every family goes through (:func:`lightship.export.quantize.make_int8`).
- :func:`fp16_graph` converts weights and activations to float16 with ONNX Runtime's
  converter, keeping the graph's uint8 input and float32 outputs; :func:`fp16_decision`
  keeps it only when its logits stay within a tolerance of the fp32 graph's on held-out images.

Reference: ONNX Runtime docs, "Quantize ONNX models" (static quantization, QDQ format) and
"Float16 and mixed precision models".
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

FP16_FILE = "model.fp16.onnx"


def calibration_batches(images: Sequence[np.ndarray], max_images: int = 256, batch_size: int = 16) -> list[np.ndarray]:
    """Up to ``max_images`` images as uint8 batches of equal-size images (the graph's input)."""
    groups: dict[tuple, list[np.ndarray]] = {}
    for image in images[:max_images]:
        groups.setdefault(image.shape, []).append(image)
    return [np.stack(group[i : i + batch_size]) for group in groups.values() for i in range(0, len(group), batch_size)]


class _Reader:
    """ONNX Runtime's ``CalibrationDataReader`` protocol over prepared batches."""

    def __init__(self, input_name: str, batches: Sequence[np.ndarray]) -> None:
        self._batches: Iterator[np.ndarray] = iter(batches)
        self.input_name = input_name

    def get_next(self) -> Optional[dict[str, np.ndarray]]:
        batch = next(self._batches, None)
        return None if batch is None else {self.input_name: batch}


def static_int8(images: Sequence[np.ndarray], input_name: str = "image") -> Callable[[Path, Path], Path]:
    """A quantizer ``(fp32 graph, int8 target) -> target`` calibrated on ``images`` (training images)."""

    def quantize(source: Path, target: Path) -> Path:
        from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

        from lightship.export.quantize import _without_stale_shapes, without_preprocessing_hint

        with tempfile.TemporaryDirectory() as scratch, without_preprocessing_hint():
            clean = _without_stale_shapes(source, Path(scratch) / "clean.onnx")
            quantize_static(
                str(clean), str(target), _Reader(input_name, calibration_batches(images)), quant_format=QuantFormat.QDQ,
                per_channel=True, weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
                calibrate_method=CalibrationMethod.MinMax,
            )
        return target

    return quantize


def fp16_graph(source: Path, target: Path) -> Path:
    """``source`` with float16 weights and activations; inputs and outputs keep their types."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(source)), keep_io_types=True)
    onnx.save(model, str(target))
    return target


@dataclass
class Fp16Decision:
    """The fp16 gate's verdict (stored in the manifest as ``fp16``)."""

    accepted: bool
    max_abs_diff_logits: float
    tolerance: float
    argmax_agreement: float
    provider: str
    reason: str
    file: Optional[str] = FP16_FILE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fp16_decision(fp32_logits: np.ndarray, fp16_logits: np.ndarray, tolerance: float, provider: str) -> Fp16Decision:
    """Accept the fp16 graph when its logits are within ``tolerance`` of fp32's (absolute, worst case)."""
    diff = float(np.abs(np.asarray(fp32_logits, np.float64) - np.asarray(fp16_logits, np.float64)).max(initial=0.0))
    agreement = float((np.asarray(fp32_logits).argmax(-1) == np.asarray(fp16_logits).argmax(-1)).mean()) if len(fp32_logits) else 1.0
    accepted = diff <= tolerance
    reason = (f"fp16 logits differ from fp32 by at most {diff:.2e} on {provider} ({'within' if accepted else 'over'} "
              f"export.fp16_tolerance={tolerance}; argmax agreement {agreement:.3f})")
    if not accepted:
        reason += "; the fp16 graph was refused and fp32 serves"
    return Fp16Decision(accepted, diff, tolerance, agreement, provider, reason, FP16_FILE if accepted else None)


def make_fp16(bundle: Any, logits_of: Callable[[Path], np.ndarray], tolerance: float, provider: str) -> Fp16Decision:
    """Convert the bundle's graph to fp16, compare its logits with fp32's (``logits_of(graph)``), keep it only when accepted."""
    target = bundle.path / FP16_FILE
    fp16_graph(bundle.onnx_path, target)
    try:
        decision = fp16_decision(logits_of(bundle.onnx_path), logits_of(target), tolerance, provider)
    except Exception as exc:  # a provider without fp16 kernels for an op fails at session creation
        decision = Fp16Decision(False, float("nan"), tolerance, float("nan"), provider, f"fp16 graph could not run on {provider}: {exc}", None)
    if not decision.accepted:
        target.unlink(missing_ok=True)
    return decision
