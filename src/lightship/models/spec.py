"""The model-spec base class: what every ``model`` option knows how to build."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from lightship.models.classifier import TextClassifier


class ModelSpec:
    """Base of the ``model`` group's ``_target_`` classes.

    A spec builds the tokenizer (trained or loaded) and the classifier for a label set,
    and carries the optimisation settings (``lr``, ``weight_decay``, ``warmup_ratio``,
    ``class_weighting``) that the Lightning module uses.
    """

    def __init__(
        self,
        name: str,
        max_length: int = 64,
        lr: float = 1e-3,
        head_lr: float | None = None,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        class_weighting: Any = "sqrt",
        **_: Any,
    ) -> None:
        self.name = name
        self.max_length = max_length
        self.lr = lr
        self.head_lr = head_lr
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.class_weighting = getattr(class_weighting, "value", class_weighting)

    def build_tokenizer(self, train_texts: Sequence[str]) -> "PreTrainedTokenizerBase":
        raise NotImplementedError

    def build_classifier(self, labels: Sequence[str], tokenizer: "PreTrainedTokenizerBase") -> "TextClassifier":
        raise NotImplementedError

    def class_weights(self, label_ids: np.ndarray, n_classes: int) -> np.ndarray | None:
        """Loss weights per class: ``balanced`` = inverse frequency, ``sqrt`` = its square root."""
        if self.class_weighting == "none":
            return None
        counts = np.bincount(label_ids, minlength=n_classes).astype(float)
        weights = counts.sum() / (n_classes * np.maximum(counts, 1.0))
        if self.class_weighting == "sqrt":
            weights = np.sqrt(weights)
        return weights / weights.mean()
