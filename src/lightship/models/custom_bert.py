"""``model=tiny_bert``: a small BERT built from config, with a tokenizer trained on the data.

A custom model pays off when latency or size matter more than the last points of
accuracy, or when the language is far from what public checkpoints saw.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from lightship.models.spec import ModelSpec

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from lightship.models.classifier import MeanPoolClassifier

SPECIAL_TOKENS = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"}


def wordpiece_vocabulary(texts: Iterable[str], vocab_size: int, min_frequency: int, normalize: Any, split: Any) -> dict[str, int]:
    """A deterministic WordPiece vocabulary: special tokens, every character seen (as a word
    start and as a ``##`` continuation), then the most frequent words (ties broken by the
    word itself) up to ``vocab_size``.

    Any word made of seen characters is tokenizable; frequent words are single tokens. Unlike
    the merge-based trainer, whose ties fall in hash order, the same texts always give the
    same vocabulary, so the same seed gives the same model.
    """
    words: Counter[str] = Counter()
    for text in texts:
        words.update(piece for piece, _ in split(normalize(text)))
    characters = sorted({character for word in words for character in word})
    vocabulary = list(SPECIAL_TOKENS.values()) + characters + [f"##{character}" for character in characters]
    budget = max(vocab_size - len(vocabulary), 0)
    frequent = sorted((word for word, count in words.items() if count >= min_frequency and len(word) > 1), key=lambda w: (-words[w], w))
    vocabulary += frequent[:budget]
    return {token: index for index, token in enumerate(vocabulary)}


def train_wordpiece(texts: Sequence[str], vocab_size: int, min_frequency: int) -> "PreTrainedTokenizerBase":
    """A lower-casing BERT WordPiece tokenizer whose vocabulary comes from ``texts`` (deterministic)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    vocabulary = wordpiece_vocabulary(texts, vocab_size, min_frequency, normalizer.normalize_str, pre_tokenizer.pre_tokenize_str)
    tokenizer = Tokenizer(models.WordPiece(vocab=vocabulary, unk_token=SPECIAL_TOKENS["unk_token"]))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocabulary["[CLS]"]), ("[SEP]", vocabulary["[SEP]"])],
    )
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, **SPECIAL_TOKENS)


class CustomBertSpec(ModelSpec):
    """Builds a BERT encoder from a ``BertConfig`` given in the ``model`` group, with a mean-pooled head."""

    # The model-choice rules (lightship.sweeps.choice) weigh families differently.
    family = "custom"

    def __init__(
        self,
        vocab_size: int = 12000,
        hidden_size: int = 128,
        num_layers: int = 2,
        num_heads: int = 4,
        intermediate_size: int = 256,
        dropout: float = 0.1,
        tokenizer_min_frequency: int = 2,
        max_pooling: bool = True,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.dropout = dropout
        self.tokenizer_min_frequency = tokenizer_min_frequency
        self.max_pooling = max_pooling

    def build_tokenizer(self, train_texts: Sequence[str]) -> "PreTrainedTokenizerBase":
        return train_wordpiece(train_texts, self.vocab_size, self.tokenizer_min_frequency)

    def build_classifier(self, labels: Sequence[str], tokenizer: "PreTrainedTokenizerBase") -> "MeanPoolClassifier":
        from transformers import BertConfig, BertModel

        from lightship.models.classifier import MeanPoolClassifier

        config = BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=self.hidden_size,
            num_hidden_layers=self.num_layers,
            num_attention_heads=self.num_heads,
            intermediate_size=self.intermediate_size,
            hidden_dropout_prob=self.dropout,
            attention_probs_dropout_prob=self.dropout,
            max_position_embeddings=max(self.max_length, 32),
            pad_token_id=tokenizer.pad_token_id,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: index for index, label in enumerate(labels)},
        )
        config._attn_implementation = "eager"
        return MeanPoolClassifier(BertModel(config, add_pooling_layer=False), self.hidden_size, len(labels), self.dropout, self.max_pooling)
