"""End to end on CPU through the smoke preset: bundle, parity, MLflow run, version, champion alias."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

from lightship_testing import sqlite_uri, train
from lightship.bundle import Bundle
from lightship.errors import ExportError
from lightship.inference.text import OnnxTextClassifier
from lightship.tracking.registry import TAG_REASON, TAG_STATUS


@pytest.fixture(scope="module")
def client(smoke_workdir: Path, smoke_run: dict) -> MlflowClient:
    return MlflowClient(tracking_uri=sqlite_uri(smoke_workdir), registry_uri=sqlite_uri(smoke_workdir))


def test_bundle_holds_everything_serving_needs(smoke_run: dict) -> None:
    folder = Path(smoke_run["bundle"])
    assert {"manifest.json", "model.onnx", "tokenizer", "config.yaml", "reference_profile.npz"} <= {p.name for p in folder.iterdir()}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["labels"] == ["account", "billing", "fraud", "shipping", "technical"]
    assert manifest["outputs"] == ["logits", "sentence_embedding"] and manifest["max_length"] == 32
    assert manifest["high_risk_label"] == "fraud"
    assert manifest["lineage"]["data_fingerprint"].startswith("sha256:")
    assert {"torch", "transformers", "onnxruntime-gpu", "mlflow"} <= set(manifest["lineage"]["packages"])
    assert manifest["metrics"]["accuracy"] == pytest.approx(smoke_run["metrics"]["accuracy"])
    assert "model:" in (folder / "config.yaml").read_text()


def test_parity_figures_are_within_tolerance(smoke_run: dict) -> None:
    parity = smoke_run["parity"]
    assert parity["passed"] and parity["argmax_agreement"] == 1.0
    assert 0 <= parity["max_abs_diff_logits"] <= parity["atol"] and parity["max_abs_diff_embedding"] <= parity["atol"]
    assert [shape[0] for shape in parity["shapes"]] == [1, 3, 16]
    assert len({shape[1] for shape in parity["shapes"]}) > 1, "parity must cover several sequence lengths"


def test_parity_scales_its_tolerance_with_the_reference_magnitude() -> None:
    """Logits of magnitude 20 off by 1.5e-4 (float32 rounding of a deep backbone) pass with rtol 1e-4; the same
    difference on logits near 0, or with rtol 0, does not."""
    from types import SimpleNamespace

    from lightship.export.parity import check_parity

    def parity(reference_logits: np.ndarray, rtol: float) -> object:
        runtime = SimpleNamespace(encode=lambda batch: {"x": np.zeros((len(batch), 1))},
                                  run=lambda encoded: (reference_logits + 1.5e-4, np.zeros((len(reference_logits), 2))))
        return check_parity(lambda batch: (reference_logits, np.zeros((len(batch), 2))), runtime, [0, 1], [2], atol=1e-4,
                            min_argmax_agreement=1.0, rtol=rtol)

    large, small = np.array([[20.0, -3.0], [-18.0, 12.0]]), np.array([[0.2, -0.3], [-0.1, 0.4]])
    report = parity(large, rtol=1e-4)
    assert report.passed and report.max_abs_diff_logits == pytest.approx(1.5e-4) and report.max_excess_logits < 1e-4
    assert not parity(large, rtol=0.0).passed
    assert not parity(small, rtol=1e-4).passed  # 1.5e-4 > 1e-4 + 1e-4 x 0.4


def test_bundle_alone_reproduces_the_metrics(smoke_run: dict) -> None:
    from lightship.data.synthetic import SyntheticTickets
    from lightship.evaluation.metrics import classification_metrics

    runtime = OnnxTextClassifier(Bundle.load(smoke_run["bundle"]))
    data = SyntheticTickets(n_rows=1000, days=30, seed=42).prepare()
    predictions = runtime.predict(data.test["text"].tolist(), batch_size=7)
    np.testing.assert_allclose(predictions.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert predictions.embeddings.shape == (len(data.test), 32)
    true_ids = data.test["label"].map(data.label_to_id).to_numpy()
    assert classification_metrics(true_ids, predictions.label_ids, runtime.labels)["accuracy"] == pytest.approx(
        smoke_run["metrics"]["accuracy"]
    )


def test_mlflow_run_has_params_epoch_metrics_and_bundle(smoke_run: dict, client: MlflowClient) -> None:
    run = client.get_run(smoke_run["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["model.hidden_size"] == "32" and run.data.params["trainer.max_epochs"] == "4"
    assert run.data.metrics["test_accuracy"] == pytest.approx(smoke_run["metrics"]["accuracy"])
    history = client.get_metric_history(run.info.run_id, "val_macro_f1")
    assert len(history) == 4, "one validation point per epoch"
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id, "bundle")}
    assert {"bundle/model.onnx", "bundle/manifest.json", "bundle/tokenizer"} <= artifacts


def test_first_version_becomes_champion(smoke_run: dict, client: MlflowClient) -> None:
    assert smoke_run["promoted"] and smoke_run["champion_before"] is None
    champion = client.get_model_version_by_alias("lightship", "champion")
    assert str(champion.version) == smoke_run["version"] and champion.run_id == smoke_run["run_id"]
    assert champion.tags[TAG_STATUS] == "promoted"


def test_registered_champion_downloads_as_a_working_bundle(smoke_run: dict, smoke_workdir: Path, tmp_path: Path) -> None:
    from lightship.tracking.registry import Registry

    registry = Registry(sqlite_uri(smoke_workdir), "lightship", "champion")
    folder = registry.download(registry.champion_version(), tmp_path)
    texts = ["Someone used my card for purchases I did not make", "my parcel never arrived"]
    downloaded = OnnxTextClassifier(folder).predict(texts).probabilities
    local = OnnxTextClassifier(smoke_run["bundle"]).predict(texts).probabilities
    np.testing.assert_allclose(downloaded, local, atol=1e-6)


def test_failed_gate_keeps_version_but_not_alias(smoke_run: dict, smoke_workdir: Path, client: MlflowClient) -> None:
    summary = train(smoke_workdir, "gates.min_accuracy=1.01", "trainer.max_epochs=1", "export.exporter=torchscript")
    assert summary["promoted"] is False and summary["champion_before"] == smoke_run["version"]
    assert any(reason.startswith("accuracy=") and "< 1.0100" in reason for reason in summary["gate_reasons"])
    assert str(client.get_model_version_by_alias("lightship", "champion").version) == smoke_run["version"]
    rejected = client.get_model_version("lightship", summary["version"])
    assert rejected.tags[TAG_STATUS] == "rejected" and "accuracy=" in rejected.tags[TAG_REASON]
    assert summary["champion_metrics"]["accuracy"] == pytest.approx(smoke_run["metrics"]["accuracy"])


def test_failed_parity_registers_nothing(smoke_run: dict, smoke_workdir: Path, client: MlflowClient) -> None:
    before = len(client.search_model_versions("name='lightship'"))
    with pytest.raises(ExportError, match="ONNX parity failed.*Nothing was registered"):
        train(smoke_workdir, "export.atol=-1.0", "trainer.max_epochs=1", "export.exporter=torchscript")
    assert len(client.search_model_versions("name='lightship'")) == before
    failed = client.search_runs([client.get_experiment_by_name("lightship").experiment_id], "attributes.status = 'FAILED'")
    assert failed, "the interrupted run is recorded as FAILED"
    assert str(client.get_model_version_by_alias("lightship", "champion").version) == smoke_run["version"]


def test_bundle_carries_a_reference_profile_of_the_model_outputs(smoke_run: dict) -> None:
    from lightship.monitoring.drift import ReferenceProfile
    from lightship.monitoring.text_features import TextFeatureExtractor

    profile = ReferenceProfile.load(smoke_run["bundle"])
    assert {"confidence", "predicted_class", "text_length", "unk_rate", "embedding_pc1"} <= set(profile.features)
    assert profile.features["confidence"].n_total == 150, "profiled on the validation split"
    extractor = TextFeatureExtractor.from_profile(profile)
    assert extractor.components.shape == (3, 32)
