"""Temperature scaling: it repairs a miscalibrated model, every bundle family records it, and every consumer of a
bundle (the service's scoring, batch scoring, the drift monitor) reads the same calibrated probabilities."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from calibration_testing import RECORD_KEYS, check_bundle_calibration

from lightship.evaluation.calibration import calibrate, expected_calibration_error, fit_temperature, logits_of
from lightship.inference.runtime import softmax


def sampled(n: int = 4000, classes: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels drawn from softmax(logits): calibrated by construction."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, classes))
    probabilities = softmax(logits)
    labels = np.array([rng.choice(classes, p=row) for row in probabilities])
    return logits, labels


def test_temperature_scaling_repairs_logits_scaled_by_five() -> None:
    logits, labels = sampled()
    overconfident = 5.0 * logits
    temperature = fit_temperature(overconfident, labels)
    assert temperature == pytest.approx(5.0, rel=0.1)
    before = expected_calibration_error(softmax(overconfident), labels)
    after = expected_calibration_error(softmax(overconfident / temperature), labels)
    assert before > 0.2 and after < 0.03 and after < before / 5
    # Predicted classes never change.
    assert (softmax(overconfident / temperature).argmax(1) == overconfident.argmax(1)).all()


def test_calibrate_records_before_and_after_and_none_keeps_the_probabilities() -> None:
    logits, labels = sampled(seed=1)
    underconfident = softmax(logits / 3.0)
    fitted = calibrate("temperature", underconfident, labels)
    assert fitted.temperature == pytest.approx(1 / 3.0, rel=0.1)
    assert fitted.validation_ece_after < fitted.validation_ece_before
    kept = calibrate("none", underconfident, labels)
    assert kept.temperature == 1.0 and kept.validation_ece_after == pytest.approx(kept.validation_ece_before)
    assert set(fitted.to_dict()) == RECORD_KEYS and fitted.to_dict()["test_ece"] is None


def test_ece_matches_its_definition_on_fixed_probabilities() -> None:
    # Two bins used: confidence 0.9 (right 1 of 2) and 0.6 (right 2 of 2): |0.5-0.9|*2/4 + |1.0-0.6|*2/4 = 0.4.
    probabilities = np.array([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6], [0.4, 0.6]])
    assert expected_calibration_error(probabilities, np.array([0, 1, 1, 1])) == pytest.approx(0.4)
    assert np.isnan(expected_calibration_error(np.zeros((0, 2)), np.zeros(0, int)))


def test_a_real_overconfident_model_is_repaired(smoke_run: dict, tmp_path: Path) -> None:
    """The smoke model with its logits multiplied by 5 (T=0.2): fitting again lowers ECE on fresh tickets."""
    from lightship.data.synthetic import SyntheticTickets
    from lightship.inference import load_runtime

    runtime = load_runtime(smoke_run["bundle"])
    runtime.temperature = 0.2
    frame = SyntheticTickets(n_rows=600, seed=23).load()[0]
    labels = frame["label"].map({name: i for i, name in enumerate(runtime.labels)}).to_numpy()
    fitted = calibrate("temperature", runtime.predict(frame["text"].tolist()).probabilities, labels)
    assert fitted.temperature > 2.0  # undoes most of the sharpening
    assert fitted.validation_ece_after < fitted.validation_ece_before


def test_text_bundle_records_and_applies_its_temperature(smoke_run: dict) -> None:
    record = check_bundle_calibration(smoke_run["bundle"], ["I was charged twice", "my parcel never arrived", "reset my password"])
    assert record["test_ece"] is not None


@pytest.mark.parametrize("model", ["gbdt", "tabular_mlp"])
def test_tabular_bundles_record_and_apply_their_temperature(tabular_runs: dict, model: str) -> None:
    rows = pd.read_csv(tabular_runs["table"]).head(8)
    rows = rows[["amount", "age", "region", "channel", "is_member"]].astype(object).where(rows.notna(), None).to_dict("records")
    check_bundle_calibration(tabular_runs[model]["bundle"], rows)


def test_image_bundle_records_and_applies_its_temperature(image_run: dict) -> None:
    images = sorted(Path(image_run["folder"]).rglob("*.png"))[:4]
    check_bundle_calibration(image_run["bundle"], [path.read_bytes() for path in images])


def test_service_scoring_batch_scoring_and_drift_read_the_same_calibrated_probabilities(smoke_run: dict, tmp_path: Path) -> None:
    """One bundle, three consumers: the service's ``score``, ``task=predict`` and the drift features' confidence."""
    from lightship.config.validation import compose_config
    from lightship.data.synthetic import SyntheticTickets
    from lightship.inference import load_runtime
    from lightship.inference.scoring import score
    from lightship.monitoring.model_features import ModelFeatures
    from lightship.tasks import run_task
    from lightship_testing import working_directory

    bundle = tmp_path / "bundle"
    shutil.copytree(smoke_run["bundle"], bundle)
    texts = SyntheticTickets(n_rows=40, seed=31).load()[0]["text"].tolist()
    runtime = load_runtime(bundle)
    assert runtime.temperature != 1.0
    served = score(runtime, texts, max_rows=7).probabilities
    source = tmp_path / "tickets.csv"
    pd.DataFrame({"text": texts}).to_csv(source, index=False)
    cfg = compose_config(["task=predict", f"predict.input={source}", f"predict.model={bundle}", "serve=bentoml_cpu", "predict.output=scored.csv"])
    with working_directory(tmp_path):
        scored = pd.read_csv(run_task(cfg)["output"])
    batch = scored[[f"pred_p_{label}" for label in runtime.labels]].to_numpy()
    np.testing.assert_allclose(batch, served, atol=1e-6)
    features = ModelFeatures.from_bundle(bundle, runtime.labels).frame(runtime.batch_predictions(score(runtime, texts)), texts)
    np.testing.assert_allclose(features["confidence"].to_numpy(), served.max(axis=1), atol=1e-9)
    # Calibrated, not the graph's own probabilities (the temperature moved them).
    raw = softmax(runtime.forward(runtime.encode(texts))[0].astype(np.float64))
    assert np.abs(raw - served).max() > 1e-3


def test_logits_of_probabilities_give_the_same_softmax() -> None:
    logits, _ = sampled(n=50, seed=3)
    np.testing.assert_allclose(softmax(logits_of(softmax(logits))), softmax(logits), atol=1e-12)
