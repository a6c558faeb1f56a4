"""Export a :class:`TextClassifier` to ONNX with dynamic batch and sequence axes.

Two outputs: ``logits`` and ``sentence_embedding`` (the mean-pooled last hidden layer,
which drift monitoring watches). The default exporter is torch's ``torch.export``-based
one (``dynamo``); the older TorchScript tracer (``torchscript``) is kept as an option
because it exports in a fraction of the time.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any, Sequence

from lightship.errors import ExportError

log = logging.getLogger(__name__)

# The exporter's graph passes log every rewrite at INFO; keep their warnings only.
_CHATTY_LOGGERS = ("onnxscript", "onnx_ir", "torch.onnx")

INPUT_NAMES = ["input_ids", "attention_mask"]
OUTPUT_NAMES = ["logits", "sentence_embedding"]


def export_onnx(
    classifier: Any, tokenizer: Any, sample_texts: Sequence[str], path: Path, max_length: int, opset: int, exporter: str
) -> Path:
    """Write ``path`` (a single self-contained .onnx file) and check it with ``onnx.checker``."""
    import onnx
    import torch

    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    classifier.eval()
    sample = tokenizer(list(sample_texts[:4]), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    args = (sample["input_ids"], sample["attention_mask"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if exporter == "dynamo":
                batch, sequence = torch.export.Dim("batch", min=1), torch.export.Dim("sequence", min=2, max=max(max_length, 3))
                shapes = {name: {0: batch, 1: sequence} for name in INPUT_NAMES}
                torch.onnx.export(
                    classifier, args, str(path), input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
                    dynamic_shapes=shapes, dynamo=True, opset_version=opset, external_data=False, verbose=False,
                )
            else:
                axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
                axes.update({name: {0: "batch"} for name in OUTPUT_NAMES})
                torch.onnx.export(
                    classifier, args, str(path), input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
                    dynamic_axes=axes, dynamo=False, opset_version=opset,
                )
        except Exception as exc:  # exporters raise many internal types
            raise ExportError(f"ONNX export ({exporter}) failed: {exc}. Try export.exporter=torchscript.") from exc
    try:
        onnx.checker.check_model(str(path))
    except Exception as exc:
        raise ExportError(f"{path}: the exported graph is not valid ONNX: {exc}") from exc
    log.info("Exported %s (%s, opset %d, %.1f MB)", path, exporter, opset, path.stat().st_size / 1e6)
    return path
