"""``model=tfidf_linear``: the scikit-learn baseline exported with its text cleaning inside the
ONNX graph, checked on raw strings, registered, and scored by ``task=predict`` like any bundle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lightship_testing import sqlite_uri, working_directory

# Unseen words, accents and case, punctuation only, empty, one-letter words: what the graph's tokenizer must treat as scikit-learn does.
HARD_TEXTS = [
    "I was charged twice for my order",
    "zyzzyva quokka xylophone",
    "",
    "!!! ??? ...",
    "a b c",
    "CAFÉ Résumé naïve ÉCOLE straße",
    "Refund   please\n\tnow",
    "order_id 12345 was 2nd",
]


@pytest.fixture(scope="module")
def tfidf_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The release pipeline with ``model=tfidf_linear`` on a small built-in stream (seconds)."""
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    workdir = tmp_path_factory.mktemp("tfidf")
    cfg = compose_config(["model=tfidf_linear", "data.n_rows=900", "data.days=30", f"tracking.uri={sqlite_uri(workdir)}"])
    with working_directory(workdir):
        return run_task(cfg)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory):
    """A spec fitted directly on a tiny corpus, exported into a bare bundle folder."""
    from omegaconf import OmegaConf

    from lightship.bundle import start_bundle
    from lightship.data.splits import SplitData
    from lightship.models.tfidf_linear import TfidfLinearSpec

    texts = ["charged twice on my card", "refund my payment please", "parcel never arrived", "where is my delivery",
             "app crashes at login", "error when I open settings", "Café crème résumé", "naïve straße façade"] * 6
    labels = ["billing", "billing", "shipping", "shipping", "technical", "technical", "billing", "shipping"] * 6
    frame = pd.DataFrame({"text": texts, "label": labels})
    data = SplitData(frame, frame.iloc[:16], frame.iloc[:0], sorted(set(labels)), "test", "sha256:0")
    spec = TfidfLinearSpec(min_df=1)
    result = spec.fit(data, None)
    folder = tmp_path_factory.mktemp("tfidf_bundle")
    bundle = start_bundle(folder, data.labels, None, {"name": "tfidf_linear"}, "", **spec.bundle_fields(result, data))
    spec.export(result, data, bundle, OmegaConf.create({"opset": 18}))
    return spec, result, bundle


def test_graph_matches_scikit_learn_on_raw_strings(fitted) -> None:
    from lightship.inference import load_runtime

    spec, result, bundle = fitted
    runtime = load_runtime(bundle)
    assert type(runtime).__name__ == "OnnxStringClassifier"
    got = runtime.predict(HARD_TEXTS).probabilities
    expected = result.pipeline.predict_proba(HARD_TEXTS)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    logits, _ = spec.reference(result, runtime)(HARD_TEXTS)
    np.testing.assert_allclose(runtime.run(runtime.encode(HARD_TEXTS))[0], logits, atol=1e-4)


def test_empty_after_cleaning_text_gets_the_prior_and_words_are_counted(fitted) -> None:
    from lightship.inference import load_runtime

    _, result, bundle = fitted
    runtime = load_runtime(bundle)
    predictions = runtime.predict(["", "!!! ???", "zyzzyva charged quokka"])
    np.testing.assert_allclose(predictions.probabilities[0], predictions.probabilities[1], atol=1e-7)
    np.testing.assert_allclose(predictions.probabilities[0], result.pipeline.predict_proba([""])[0], atol=1e-5)
    assert predictions.token_counts.tolist() == [0, 0, 3] and predictions.unk_counts.tolist() == [0, 0, 2]


def test_grid_is_chosen_on_validation_log_loss(fitted) -> None:
    _, result, _ = fitted
    assert len(result.candidates) == 4  # word_ngram_max [1, 2] x C [10, 30]
    best = min(result.candidates, key=lambda row: row["val_log_loss"])
    assert (best["word_ngram_max"], best["C"]) == (result.chosen["word_ngram_max"], result.chosen["C"])


def test_release_pipeline_registers_a_tfidf_bundle(tfidf_run: dict) -> None:
    from lightship.bundle import Bundle

    bundle = Bundle.load(tfidf_run["bundle"])
    assert bundle.input == {"kind": "text", "encoding": "strings"} and bundle.manifest["inputs"] == ["text"]
    assert tfidf_run["parity"]["passed"] and tfidf_run["parity"]["max_abs_diff_logits"] < 1e-4
    assert tfidf_run["parity"]["argmax_agreement"] == 1.0
    assert tfidf_run["metrics"]["accuracy"] > 0.8 and tfidf_run["version"] == "1" and tfidf_run["promoted"]
    assert (Path(tfidf_run["bundle"]) / "vocabulary.txt").is_file() and not bundle.tokenizer_dir.exists()


def test_tfidf_bundle_records_and_applies_its_temperature(tfidf_run: dict) -> None:
    from calibration_testing import check_bundle_calibration

    check_bundle_calibration(tfidf_run["bundle"], ["I was charged twice this month", "my parcel never arrived", "app crashes"])


def test_predict_task_scores_a_file_with_a_tfidf_bundle(tmp_path: Path, tfidf_run: dict) -> None:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    source = tmp_path / "backlog.csv"
    pd.DataFrame({"text": ["I was charged twice this month", "", "my parcel never arrived"], "label": ["billing"] * 3}).to_csv(source, index=False)
    cfg = compose_config(["task=predict", f"predict.input={source}", f"predict.model={tfidf_run['bundle']}", "predict.output=scored.csv"])
    with working_directory(tmp_path):
        summary = run_task(cfg)
    scored = pd.read_csv(summary["output"])
    assert summary["scored"] == 2 and scored["label"].tolist() == ["billing"] * 3
    assert scored["pred_label"].notna().tolist() == [True, False, True]
