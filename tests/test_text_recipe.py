"""The text recipe: token budget from the data, head-and-tail truncation shared by training and
serving, length-bucketed batches, early stopping on validation macro-F1."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from lightship.models.custom_bert import train_wordpiece
from lightship.models.text_encoding import MIN_LENGTH, TextEncoder, choose_max_length
from lightship.training.batching import LengthBucketBatchSampler

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau".split()


@pytest.fixture(scope="module")
def tokenizer():
    return train_wordpiece([" ".join(WORDS)] * 3, vocab_size=200, min_frequency=1)


def tokens(tokenizer, ids: list[int]) -> list[str]:
    return tokenizer.convert_ids_to_tokens(ids)


def test_short_texts_get_a_short_budget_long_texts_the_cap(tokenizer) -> None:
    short = [" ".join(WORDS[: 3 + i % 4]) for i in range(50)]  # 5-8 tokens with [CLS]/[SEP]
    assert choose_max_length(tokenizer, short, 0.95, 256) == MIN_LENGTH
    medium = [" ".join(WORDS * 2)[: 40 * (i % 5 + 1)] for i in range(50)]
    chosen = choose_max_length(tokenizer, medium, 0.95, 256)
    lengths = [len(ids) for ids in tokenizer(medium)["input_ids"]]
    assert chosen % 8 == 0 and np.quantile(lengths, 0.95) <= chosen < np.quantile(lengths, 0.95) + 8
    long = [" ".join(WORDS * 40)] * 10  # 760 words
    assert choose_max_length(tokenizer, long, 0.95, 256) == 256


def test_head_and_tail_truncation_keeps_the_start_and_the_end(tokenizer) -> None:
    encoder = TextEncoder(tokenizer, max_length=8, head_fraction=0.5)
    (ids,) = encoder.ids([" ".join(WORDS[:10])])
    assert tokens(tokenizer, ids) == ["[CLS]", "alpha", "beta", "gamma", "theta", "iota", "kappa", "[SEP]"]
    short, empty = encoder.ids(["alpha beta", ""])
    assert tokens(tokenizer, short) == ["[CLS]", "alpha", "beta", "[SEP]"]
    assert tokens(tokenizer, empty) == ["[CLS]", "[SEP]"]


def test_head_only_truncation_is_the_tokenizers_own(tokenizer) -> None:
    texts = [" ".join(WORDS[:n]) for n in (2, 9, 19)]
    encoder = TextEncoder(tokenizer, max_length=10, head_fraction=1.0)
    assert encoder.ids(texts) == tokenizer(texts, truncation=True, max_length=10)["input_ids"]
    batch = encoder.encode(texts)
    reference = tokenizer(texts, truncation=True, max_length=10, padding=True, return_tensors="np")
    np.testing.assert_array_equal(batch["input_ids"], reference["input_ids"])
    np.testing.assert_array_equal(batch["attention_mask"], reference["attention_mask"])


def test_serving_encodes_as_training_did(smoke_run: dict) -> None:
    """The runtime reads the bundle's length and truncation: its ids equal the training encoder's."""
    from lightship.bundle import Bundle
    from lightship.inference import load_runtime

    bundle = Bundle.load(smoke_run["bundle"])
    runtime = load_runtime(bundle)
    assert bundle.manifest["truncation_head_fraction"] == runtime.encoder.head_fraction
    training = TextEncoder(runtime.tokenizer, bundle.max_length, bundle.manifest["truncation_head_fraction"])
    long_text = "my card was charged twice and nobody answers " * 40
    assert runtime.tokenize([long_text]) == training.ids([long_text])
    assert len(runtime.tokenize([long_text])[0]) == bundle.max_length


def test_length_buckets_cover_every_row_once_with_close_lengths() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 500, size=1000)
    sampler = LengthBucketBatchSampler(lengths, batch_size=16, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 63
    assert sorted(i for batch in batches for i in batch) == list(range(1000))
    spread = np.mean([lengths[batch].max() - lengths[batch].min() for batch in batches])
    random_spread = np.mean([lengths[batch].max() - lengths[batch].min() for batch in np.array_split(rng.permutation(1000), 63)])
    assert spread < random_spread / 5
    sampler.set_epoch(0)
    assert [list(b) for b in sampler] == batches  # same seed and epoch: same batches (resume-safe)
    sampler.set_epoch(1)
    assert [list(b) for b in sampler] != batches


def test_evaluation_batches_are_sorted_and_complete() -> None:
    lengths = [9, 1, 5, 7, 3]
    batches = list(LengthBucketBatchSampler(lengths, batch_size=2, seed=0, shuffle=False))
    assert batches == [[1, 4], [2, 3], [0]]


def test_early_stopping_watches_validation_macro_f1(tmp_path) -> None:
    from pytorch_lightning.callbacks import EarlyStopping

    from lightship.config.validation import compose_config
    from lightship.training.fit import MONITOR, build_trainer

    cfg = compose_config([])
    assert cfg.trainer.max_epochs >= 20 and cfg.trainer.early_stopping_patience == 3
    trainer = build_trainer(cfg.trainer, tmp_path, [], seed=0)
    (stopper,) = [callback for callback in trainer.callbacks if isinstance(callback, EarlyStopping)]
    assert stopper.monitor == MONITOR and stopper.mode == "max" and stopper.patience == 3
    off = OmegaConf.merge(cfg.trainer, {"early_stopping_patience": None})
    assert not any(isinstance(callback, EarlyStopping) for callback in build_trainer(off, tmp_path, [], seed=0).callbacks)


def test_tiny_bert_defaults_choose_length_from_data() -> None:
    from lightship.config.validation import compose_config

    cfg = compose_config([])
    assert cfg.model.max_length is None and cfg.model.max_length_cap == 256 and 0 < cfg.model.truncation_head_fraction < 1


def test_max_pooling_ignores_padding_and_exports(tmp_path) -> None:
    """The head's max over tokens never picks a padded position; the graph gives what PyTorch gives."""
    import onnxruntime as ort
    import torch

    from lightship.config.root import ExportConfig
    from lightship.export.onnx_export import export_onnx
    from lightship.models.classifier import max_pool
    from lightship.models.custom_bert import CustomBertSpec

    hidden = torch.tensor([[[1.0, -5.0], [3.0, -1.0], [9.0, 9.0]]])
    assert max_pool(hidden, torch.tensor([[1, 1, 0]])).tolist() == [[3.0, -1.0]]

    texts = ["the film was great fun", "dull and far too long", "great", "a long dull film"]
    spec = CustomBertSpec(name="tiny_bert", max_length=16, vocab_size=200, hidden_size=16, num_layers=1, num_heads=2,
                          intermediate_size=32, max_pooling=True)
    tokenizer = spec.build_tokenizer(texts)
    classifier = spec.build_classifier(["fresh", "rotten"], tokenizer).eval()
    assert classifier.head.in_features == 32
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    path = export_onnx(classifier, tokenizer, texts, tmp_path / "model.onnx", 16, ExportConfig.opset, ExportConfig.exporter.value)
    logits = ort.InferenceSession(str(path)).run(["logits"], {k: batch[k].numpy() for k in ("input_ids", "attention_mask")})[0]
    with torch.no_grad():
        expected = classifier(batch["input_ids"], batch["attention_mask"])[0].numpy()
    np.testing.assert_allclose(logits, expected, atol=1e-5)
