"""Faster graphs from the verified fp32 export: ORT transformer fusion, then dynamic int8.

Two steps, each guarded:

- :func:`fuse_graph` runs ONNX Runtime's transformer optimizer, which rewrites matching
  subgraphs into fused kernels (attention, skip + layer normalization, bias + GELU). What
  matches depends on the exporter (the TorchScript tracer's attention fuses, ``torch.export``'s
  scaled-dot-product attention usually does not), so the fused-op counts are recorded. The
  fused graph replaces ``model.onnx`` only when it passes the same parity check as the export.
- :func:`quantize_int8` writes ``model.int8.onnx``: weights of MatMul/Gemm (and fused
  Attention) as int8, activations quantized per batch at run time. No calibration data,
  and on CPU it is usually 1.5-3x faster than fp32. :func:`int8_decision` is the accuracy
  gate: an int8 graph whose test accuracy is more than ``export.max_int8_accuracy_drop``
  (absolute) below fp32 is refused, deleted, and fp32 serves.

Reference: ONNX Runtime docs, "Transformers optimizer" and "Quantize ONNX models".
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, Sequence

log = logging.getLogger(__name__)

INT8_FILE = "model.int8.onnx"
# Tags set on the registered model version (MLflow), next to the manifest's "int8" record.
TAG_INT8, TAG_INT8_DROP = "lightship.int8", "lightship.int8_accuracy_drop"


def _without_stale_shapes(source: Path, target: Path) -> Path:
    """Copy a graph without its intermediate ``value_info``.

    The exporters and the optimizer leave shape annotations that ONNX shape inference
    (run by the quantizer) can contradict; dropping them lets it infer fresh ones.
    """
    import onnx

    model = onnx.load(str(source))
    del model.graph.value_info[:]
    onnx.save(model, str(target))
    return target


def attention_shape(classifier: Any) -> tuple[int, int]:
    """``(num_heads, hidden_size)`` of a transformers backbone, ``(0, 0)`` (let the optimizer guess) otherwise."""
    config = getattr(getattr(classifier, "backbone", None), "config", None)
    return int(getattr(config, "num_attention_heads", 0) or 0), int(getattr(config, "hidden_size", 0) or 0)


def fuse_graph(source: Path, target: Path, num_heads: int = 0, hidden_size: int = 0) -> dict[str, int]:
    """Write the transformer-optimized graph to ``target``; return the count of each fused op (non-zero only)."""
    from onnxruntime.transformers.optimizer import optimize_model

    # Attention fusion needs the head count and width (0: read from the graph, which often fails);
    # opt_level 0: graph fusions only, so the file stays portable between CPU and CUDA providers.
    optimized = optimize_model(str(source), model_type="bert", num_heads=num_heads, hidden_size=hidden_size, opt_level=0)
    optimized.save_model_to_file(str(target))
    return {op: count for op, count in optimized.get_fused_operator_statistics().items() if count}


# ORT's quantizer logs this through the root logger (``logging.warning``) for every graph that
# lacks its pre-processing metadata; its own pre-processing fails on these graphs (symbolic shape
# inference is incomplete on dynamic sequence axes), and ours (:func:`_without_stale_shapes`) is enough.
PREPROCESSING_HINT = "Please consider to run pre-processing before quantization"
# The static quantizer's wording of the same hint (image models, :mod:`lightship.export.image_quantize`).
STATIC_PREPROCESSING_HINT = "Please consider pre-processing before quantization"
# The static quantizer's note for each channel scale it widens to keep a bias representable (info,
# on the root logger too): dozens of lines for a pretrained backbone; the int8 gate judges the result.
STATIC_SCALE_NOTE = "Increased scale["


@contextmanager
def without_preprocessing_hint() -> Iterator[None]:
    """Drop the quantizer's pre-processing hint and scale notes, and only them, while the block runs (levels untouched)."""
    from lightship.quiet import DropMessages

    hint = DropMessages((PREPROCESSING_HINT, STATIC_PREPROCESSING_HINT, STATIC_SCALE_NOTE))
    logging.root.addFilter(hint)
    try:
        yield
    finally:
        logging.root.removeFilter(hint)


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization of ``source`` (weights int8, activations quantized at run time)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as scratch, without_preprocessing_hint():
        clean = _without_stale_shapes(source, Path(scratch) / "clean.onnx")
        quantize_dynamic(
            clean, target, weight_type=QuantType.QInt8,
            # Tensors produced by contrib (fused) ops get no inferred type; they are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    return target


@dataclass
class FusionReport:
    """What the optimizer fused, whether the fused graph passed parity, and whether it serves."""

    fused_ops: dict[str, int]
    applied: bool
    reason: str
    parity: Optional[dict] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Int8Decision:
    """The int8 accuracy gate's verdict (stored in the manifest as ``int8``)."""

    accepted: bool
    accuracy_fp32: float
    accuracy_int8: float
    accuracy_drop: float
    max_accuracy_drop: float
    argmax_agreement: float
    reason: str
    file: Optional[str] = INT8_FILE
    bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def tags(self) -> dict[str, str]:
        return {TAG_INT8: "accepted" if self.accepted else "refused", TAG_INT8_DROP: f"{self.accuracy_drop:.6f}"}


def int8_decision(accuracy_fp32: float, accuracy_int8: float, max_drop: float, argmax_agreement: float = float("nan")) -> Int8Decision:
    """Accept the int8 graph when fp32 accuracy minus int8 accuracy is at most ``max_drop``."""
    drop = accuracy_fp32 - accuracy_int8
    accepted = drop <= max_drop
    verdict = "within" if accepted else "over"
    reason = (
        f"int8 test accuracy {accuracy_int8:.4f} vs fp32 {accuracy_fp32:.4f}: drop {drop:.4f} is {verdict} "
        f"export.max_int8_accuracy_drop={max_drop}"
    )
    if not accepted:
        reason += "; the int8 graph was refused and fp32 serves (raise the threshold or set export.int8=false)"
    return Int8Decision(accepted, accuracy_fp32, accuracy_int8, drop, max_drop, argmax_agreement, reason)


def fuse_and_verify(bundle: Any, check: Callable[[Path], Any], classifier: Any = None) -> FusionReport:
    """Fuse ``bundle``'s graph; replace ``model.onnx`` only if something fused and ``check`` passes.

    ``check(graph_path)`` returns a parity report (``passed``, ``to_dict()``) for a candidate graph;
    ``classifier`` (the PyTorch module) gives the attention shape. A failure here never fails
    the run: the unfused, verified graph stays.
    """
    candidate = bundle.path / "model.fused.onnx"
    try:
        fused_ops = fuse_graph(bundle.onnx_path, candidate, *attention_shape(classifier))
    except Exception as exc:  # the optimizer raises many internal types on patterns it does not know
        candidate.unlink(missing_ok=True)
        log.warning("ORT transformer optimizer failed (%s); serving the unfused graph", exc)
        return FusionReport({}, False, f"optimizer failed: {exc}")
    if not fused_ops:
        candidate.unlink(missing_ok=True)
        return FusionReport({}, False, "no transformer pattern matched; the exported graph serves as is")
    parity = check(candidate)
    if not parity.passed:
        candidate.unlink(missing_ok=True)
        log.warning("Fused graph failed parity (%s); serving the unfused graph", parity.to_dict())
        return FusionReport(fused_ops, False, "fused graph failed parity; the unfused graph serves", parity.to_dict())
    candidate.replace(bundle.onnx_path)
    log.info("Fused %s; parity after fusion passed", fused_ops)
    return FusionReport(fused_ops, True, "fused graph passed parity and replaced model.onnx", parity.to_dict())


def make_int8(bundle: Any, evaluate: Callable[[Path], tuple[float, Sequence[int]]], max_drop: float,
              quantize: Optional[Callable[[Path, Path], Path]] = None) -> Int8Decision:
    """Quantize the bundle's graph, gate it on test accuracy, keep it only when accepted.

    ``evaluate(graph_path)`` returns (test accuracy, predicted label ids) for a graph;
    ``quantize(source, target)`` writes the int8 graph (default: dynamic, :func:`quantize_int8`;
    a spec may bring its own, e.g. static quantization calibrated on training images).
    """
    import numpy as np

    target = bundle.path / INT8_FILE
    (quantize or quantize_int8)(bundle.onnx_path, target)
    accuracy_fp32, ids_fp32 = evaluate(bundle.onnx_path)
    accuracy_int8, ids_int8 = evaluate(target)
    agreement = float(np.mean(np.asarray(ids_fp32) == np.asarray(ids_int8))) if len(ids_fp32) else 1.0
    decision = int8_decision(accuracy_fp32, accuracy_int8, max_drop, agreement)
    if decision.accepted:
        decision.bytes = target.stat().st_size
        log.info("int8 graph accepted: %s", decision.reason)
    else:
        target.unlink()
        decision.file = None
        log.warning("int8 graph refused: %s", decision.reason)
    return decision
