"""Export a PyTorch classifier to ONNX with a dynamic batch axis (and, for text, a dynamic sequence axis).

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
    sample = tokenizer(list(sample_texts[:4]), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    args = (sample["input_ids"], sample["attention_mask"])
    return export_module(classifier, args, INPUT_NAMES, OUTPUT_NAMES, {"sequence": (2, max(max_length, 3))}, path, opset, exporter)


def export_module(
    module: Any, args: tuple, input_names: Sequence[str], output_names: Sequence[str], second_axis: dict[str, tuple[int, int]],
    path: Path, opset: int, exporter: str,
) -> Path:
    """Export ``module`` with a dynamic batch axis on every input and output (and, for each entry of ``second_axis``
    in order, a dynamic axis 1, 2, ... on every input between its bounds); check the file with ``onnx.checker``."""
    import onnx
    import torch

    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    module.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if exporter == "dynamo":
                batch = torch.export.Dim("batch", min=1)
                others = {axis: torch.export.Dim(name, min=low, max=high) for axis, (name, (low, high)) in enumerate(second_axis.items(), 1)}
                shapes = tuple({0: batch, **others} for _ in input_names)
                torch.onnx.export(
                    module, args, str(path), input_names=list(input_names), output_names=list(output_names),
                    dynamic_shapes=shapes, dynamo=True, opset_version=opset, external_data=False, verbose=False,
                )
            else:
                axes = {name: {0: "batch", **dict(enumerate(second_axis, 1))} for name in input_names}
                axes.update({name: {0: "batch"} for name in output_names})
                torch.onnx.export(
                    module, args, str(path), input_names=list(input_names), output_names=list(output_names),
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
