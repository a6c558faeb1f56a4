"""The text model-spec base class: what every text ``model`` option (Lightning, transformers) knows how to build.

It implements :class:`lightship.models.protocol.ReleaseSpec` for the Lightning text family
(tiny_bert, minilm, hf): Lightning fit, tokenizer + ONNX graph export, parity against
the PyTorch module on the runtime's own token ids.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from lightship.models.classifier import TextClassifier
    from lightship.models.text_encoding import TextEncoder


class ModelSpec:
    """Base of the ``model`` group's ``_target_`` classes.

    A spec builds the tokenizer (trained or loaded) and the classifier for a label set,
    and carries the optimisation settings (``lr``, ``weight_decay``, ``warmup_ratio``,
    ``class_weighting``) that the Lightning module uses.
    """

    fusable = True
    quantizable = True
    # The backtest's online policy may continue training its PyTorch classifier in place (retrain=online).
    updates_in_place = True

    def __init__(
        self,
        name: str,
        max_length: int | None = 64,
        max_length_quantile: float = 0.95,
        max_length_cap: int = 256,
        truncation_head_fraction: float = 1.0,
        lr: float = 1e-3,
        head_lr: float | None = None,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        class_weighting: Any = "sqrt",
        **_: Any,
    ) -> None:
        self.name = name
        self.max_length = max_length
        self.max_length_quantile = max_length_quantile
        self.max_length_cap = max_length_cap
        self.truncation_head_fraction = truncation_head_fraction
        self.lr = lr
        self.head_lr = head_lr
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.class_weighting = getattr(class_weighting, "value", class_weighting)

    def build_tokenizer(self, train_texts: Sequence[str]) -> "PreTrainedTokenizerBase":
        raise NotImplementedError

    def text_encoder(self, tokenizer: "PreTrainedTokenizerBase", train_texts: Sequence[str]) -> "TextEncoder":
        """The encoding used everywhere after training; an unset ``max_length`` is chosen from ``train_texts``.

        The chosen length is written back to ``self.max_length`` (the bundle records it).
        """
        from lightship.models.text_encoding import TextEncoder, choose_max_length

        if self.max_length is None:
            self.max_length = choose_max_length(tokenizer, train_texts, self.max_length_quantile, self.max_length_cap)
            log.info("model.max_length=%d: the %.0f%% quantile of the training texts' token lengths (cap %d)",
                     self.max_length, 100 * self.max_length_quantile, self.max_length_cap)
        return TextEncoder(tokenizer, self.max_length, self.truncation_head_fraction)

    def build_classifier(self, labels: Sequence[str], tokenizer: "PreTrainedTokenizerBase") -> "TextClassifier":
        raise NotImplementedError

    def class_weights(self, label_ids: np.ndarray, n_classes: int) -> np.ndarray | None:
        """Loss weights per class (see :func:`class_weights`)."""
        return class_weights(self.class_weighting, label_ids, n_classes)

    # -- the release pipeline's protocol (lightship.models.protocol.ReleaseSpec) -------------
    def fit(self, data: Any, context: Any) -> Any:
        from lightship.training.fit import fit

        return fit(self, data, context.trainer_cfg, context.data_cfg, context.seed, context.checkpoint_dir, context.loggers,
                   context.resume_from, extra_callbacks=context.extra_callbacks)

    def bundle_fields(self, fit_result: Any, data: Any) -> dict[str, Any]:
        from lightship.export.onnx_export import INPUT_NAMES, OUTPUT_NAMES

        head_fraction = getattr(self, "truncation_head_fraction", 1.0)
        return {"input": {"kind": "text", "max_length": self.max_length}, "max_length": self.max_length,
                "truncation_head_fraction": head_fraction, "inputs": INPUT_NAMES, "outputs": OUTPUT_NAMES}

    def export(self, fit_result: Any, data: Any, bundle: Any, export_cfg: Any) -> None:
        """The graph (see :mod:`lightship.export.onnx_export`) and the tokenizer beside it."""
        from lightship.data.splits import TEXT
        from lightship.export.onnx_export import export_onnx

        export_onnx(fit_result.classifier, fit_result.tokenizer, data.train[TEXT].tolist(), bundle.onnx_path, bundle.max_length,
                    export_cfg.opset, export_cfg.exporter.value)
        fit_result.tokenizer.save_pretrained(str(bundle.tokenizer_dir))

    def reference(self, fit_result: Any, runtime: Any) -> Any:
        """The PyTorch module on the runtime's own token ids (the check covers the graph, not the tokenizer)."""
        from lightship.export.parity import TorchReference

        return TorchReference(fit_result.classifier, runtime.encode)

    def size(self, fit_result: Any) -> int:
        return int(sum(p.numel() for p in fit_result.classifier.parameters()))


def class_weights(mode: str, label_ids: np.ndarray, n_classes: int) -> np.ndarray | None:
    """Loss weights per class: ``balanced`` = inverse frequency, ``sqrt`` = its square root, ``none``."""
    if mode == "none":
        return None
    counts = np.bincount(label_ids, minlength=n_classes).astype(float)
    weights = counts.sum() / (n_classes * np.maximum(counts, 1.0))
    if mode == "sqrt":
        weights = np.sqrt(weights)
    return weights / weights.mean()
