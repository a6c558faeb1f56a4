"""Schemas of the ``model`` group: custom models built from config, pretrained ones loaded by name."""

from dataclasses import dataclass, field
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
    # Token budget per text; null: the ``max_length_quantile`` of the training texts' token
    # lengths, capped at ``max_length_cap`` (short tickets stay fast, long documents keep their content).
    max_length: Optional[int] = 64
    max_length_quantile: float = 0.95
    max_length_cap: int = 256
    # Share of the budget taken from a long text's start; the rest comes from its end (1.0: head only).
    truncation_head_fraction: float = 1.0
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

    vocab_size: int = 12000
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 256
    dropout: float = 0.1
    tokenizer_min_frequency: int = 2
    # The head reads the per-feature maximum over the tokens beside their mean.
    max_pooling: bool = True


@dataclass
class PretrainedConfig(ModelConfig):
    """A pretrained encoder loaded with ``from_pretrained(name)`` (hub name, local folder or ``pkg:<package>``)."""

    finetune: FinetuneMode = FinetuneMode.full
    finetune_layers: int = 2
    dropout: float = 0.1


@dataclass
class TabularMLPConfig:
    """An MLP over raw table columns; standardisation, fills and embeddings (with an unknown bucket) live in the graph."""

    _target_: str = MISSING
    name: str = MISSING
    hidden_sizes: list[int] = field(default_factory=lambda: [128, 64])
    dropout: float = 0.0
    # Embedding width per categorical column: 1.6 * cardinality ** 0.56, at most this.
    embedding_cap: int = 16
    # Share of training category ids sent to the unknown bucket, so it learns to stand for unseen categories.
    unknown_dropout: float = 0.02
    lr: float = 1e-2
    weight_decay: float = 1e-4
    warmup_ratio: float = 0.05
    class_weighting: ClassWeighting = ClassWeighting.sqrt


@dataclass
class GBDTConfig:
    """LightGBM gradient-boosted trees (LightGBM's parameter names), exported to ONNX with the preprocessing in the graph."""

    _target_: str = MISSING
    name: str = MISSING
    n_estimators: int = 500
    learning_rate: float = 0.05
    num_leaves: int = 31
    max_depth: int = -1
    min_child_samples: int = 20
    subsample: float = 0.8
    colsample_bytree: float = 0.9
    reg_lambda: float = 0.0
    # Stop adding trees when the validation loss has not improved for this many rounds.
    early_stopping_rounds: int = 50
    class_weighting: ClassWeighting = ClassWeighting.none
    # Categorical columns as LightGBM categorical features (else their ids are split on as numbers).
    native_categorical: bool = True


@dataclass
class TfidfLinearConfig:
    """TF-IDF n-grams and logistic regression (scikit-learn), exported with the text cleaning inside the graph."""

    _target_: str = MISSING
    name: str = MISSING
    # Candidates fitted on train, the lowest validation log-loss kept: word n-grams 1..word_ngram_max, and C.
    word_ngram_max: list[int] = field(default_factory=lambda: [1, 2])
    C: list[float] = field(default_factory=lambda: [10.0, 30.0])
    # Character n-grams 2..char_ngram_max (0: none).
    char_ngram_max: int = 0
    min_df: int = 2
    max_features: int = 200000
    max_iter: int = 2000
    class_weighting: ClassWeighting = ClassWeighting.sqrt


SCHEMAS = {
    "custom_bert_schema": CustomBertConfig, "pretrained_schema": PretrainedConfig,
    "tabular_mlp_schema": TabularMLPConfig, "gbdt_schema": GBDTConfig, "tfidf_linear_schema": TfidfLinearConfig,
}
