"""Length-aware batching: padding to the longest text changes nothing but the cost."""

from __future__ import annotations

import numpy as np
import pytest

from lightship.inference.scoring import plan_batches, score

TEXTS = [
    "card charged twice",
    "my parcel has not arrived and tracking shows nothing",
    "reset password",
    "someone used my account to buy things",
    "app crashes",
    "invoice total looks wrong this month",
]


@pytest.fixture(scope="module")
def runtime(smoke_run: dict):
    from lightship.inference.text import OnnxTextClassifier

    return OnnxTextClassifier(smoke_run["bundle"])


def test_one_batch_in_request_order_when_it_fits() -> None:
    assert plan_batches([5, 9, 3], max_rows=8, max_tokens=100) == [[0, 1, 2]]
    assert plan_batches([]) == []


def test_groups_by_length_under_row_and_token_caps() -> None:
    lengths = [30, 4, 28, 5, 6, 31, 3]
    plan = plan_batches(lengths, max_rows=3, max_tokens=64)
    assert sorted(i for batch in plan for i in batch) == list(range(len(lengths)))
    for batch in plan:
        assert len(batch) <= 3
        assert len(batch) * max(lengths[i] for i in batch) <= 64
    # Short texts travel together instead of being padded to the long ones.
    assert {1, 3, 6} <= set(plan[0])


def test_a_text_over_the_token_cap_gets_its_own_batch() -> None:
    assert plan_batches([100, 2, 2], max_tokens=10) == [[1, 2], [0]]


def test_padding_to_the_longest_gives_the_same_probabilities_as_fixed_padding(runtime) -> None:
    from lightship.inference.runtime import softmax

    fixed = runtime.tokenizer(TEXTS, padding="max_length", truncation=True, max_length=runtime.bundle.max_length, return_tensors="np")
    logits, _ = runtime.run({name: fixed[name].astype(np.int64) for name in ("input_ids", "attention_mask")})
    batch = score(runtime, TEXTS)
    assert batch.padded_tokens < fixed["input_ids"].size
    expected = softmax(logits.astype(np.float64))
    np.testing.assert_allclose(batch.probabilities, expected, atol=1e-5)


def test_length_groups_answer_in_request_order(runtime) -> None:
    whole = score(runtime, TEXTS)
    grouped = score(runtime, TEXTS, max_rows=2, max_tokens=40)
    assert grouped.model_batches > 1
    assert grouped.padded_tokens <= whole.padded_tokens
    np.testing.assert_allclose(grouped.probabilities, whole.probabilities, atol=1e-5)
    assert [item.label for item in grouped.items] == [item.label for item in whole.items]
    np.testing.assert_array_equal(grouped.encoded["attention_mask"].sum(axis=1), [item.tokens for item in whole.items])


def test_a_served_session_lets_idle_threads_sleep_and_batch_scoring_keeps_ort_default(smoke_run: dict) -> None:
    """``serve.allow_spinning=false`` (the serving default) reaches the ORT session; other callers keep ORT's default."""
    from lightship.config.validation import compose_config
    from lightship.inference import load_runtime
    from lightship.serving.holder import RuntimeOptions

    options = RuntimeOptions.from_serve(compose_config(["serve=bentoml_cpu"]).serve)
    assert options.allow_spinning is False
    served = load_runtime(smoke_run["bundle"], options.provider, options.intra_op_threads, allow_spinning=options.allow_spinning)
    assert served.session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    with pytest.raises(Exception, match="does not have configuration"):  # ORT's default: spinning allowed
        load_runtime(smoke_run["bundle"]).session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
