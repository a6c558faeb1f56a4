"""Schemas of the ``model`` group: custom models built from config, pretrained ones loaded by name."""

from dataclasses import dataclass
from enum import Enum
from typing import Optional

from omegaconf import MISSING

GROUP = "model"


class ClassWeighting(Enum):
    """How the loss weighs classes: ``balanced`` protects rare classes (inverse frequency)."""

    none = "none"
    balanced = "balanced"
    sqrt = "sqrt"


class FinetuneMode(Enum):
    """How much of a pretrained encoder is trained: the head, the last N layers, or all."""

    head = "head"
    last_n = "last_n"
    full = "full"


@dataclass
class ModelConfig:
    """Fields every text classifier has; ``_target_`` names its spec class."""

    _target_: str = MISSING
    name: str = MISSING
    max_length: int = 64
    lr: float = 1e-3
    # Learning rate of the classification head (None: same as ``lr``); a fresh head on a
    # pretrained encoder wants a much larger step than the encoder.
    head_lr: Optional[float] = None
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    class_weighting: ClassWeighting = ClassWeighting.sqrt


@dataclass
class CustomBertConfig(ModelConfig):
    """A small BERT built from ``transformers.BertConfig`` with a WordPiece tokenizer trained on the train split."""

    vocab_size: int = 4000
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 256
    dropout: float = 0.1
    tokenizer_min_frequency: int = 2


@dataclass
class PretrainedConfig(ModelConfig):
    """A pretrained encoder loaded with ``from_pretrained(name)`` (hub name, local folder or ``pkg:<package>``)."""

    finetune: FinetuneMode = FinetuneMode.full
    finetune_layers: int = 2
    dropout: float = 0.1


SCHEMAS = {"custom_bert_schema": CustomBertConfig, "pretrained_schema": PretrainedConfig}
