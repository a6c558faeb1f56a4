"""int8 with an accuracy gate, and fusion with parity after it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lightship.export.quantize import INT8_FILE, TAG_INT8, TAG_INT8_DROP, int8_decision
from lightship_testing import sqlite_uri


def test_the_gate_compares_the_drop_with_the_threshold() -> None:
    assert int8_decision(0.90, 0.895, max_drop=0.01).accepted
    refused = int8_decision(0.90, 0.85, max_drop=0.01)
    assert not refused.accepted and "fp32 serves" in refused.reason
    assert not int8_decision(0.90, 0.90, max_drop=-1).accepted


def test_training_records_int8_and_fusion_in_the_bundle_and_the_registry(smoke_run: dict, smoke_workdir: Path) -> None:
    from lightship.bundle import Bundle
    from lightship.tracking.registry import Registry

    manifest = Bundle.load(smoke_run["bundle"]).manifest
    record = manifest["int8"]
    assert set(record) >= {"accepted", "accuracy_fp32", "accuracy_int8", "accuracy_drop", "max_accuracy_drop", "reason"}
    assert record["accepted"] == (record["accuracy_drop"] <= record["max_accuracy_drop"])
    assert (Path(smoke_run["bundle"]) / INT8_FILE).is_file() == record["accepted"]
    fusion = manifest["fusion"]
    assert fusion["fused_ops"], "the optimizer fuses the smoke BERT's layer norms and GELU"
    assert fusion["applied"] and fusion["parity"]["passed"]
    tags = Registry(sqlite_uri(smoke_workdir), "lightship", "champion").version_tags(smoke_run["version"])
    assert tags[TAG_INT8] == ("accepted" if record["accepted"] else "refused")
    assert float(tags[TAG_INT8_DROP]) == pytest.approx(record["accuracy_drop"], abs=1e-6)


def test_int8_serves_when_accepted(smoke_run: dict) -> None:
    import numpy as np

    from lightship.inference.text import OnnxTextClassifier

    if not (Path(smoke_run["bundle"]) / INT8_FILE).is_file():
        pytest.skip("the smoke model's int8 graph was refused by the gate")
    int8 = OnnxTextClassifier(smoke_run["bundle"], precision="int8")
    fp32 = OnnxTextClassifier(smoke_run["bundle"])
    assert int8.precision == "int8" and int8.graph_path.name == INT8_FILE
    texts = ["my card was charged twice", "where is my parcel", "the app crashes on start"]
    assert np.isfinite(int8.predict(texts).probabilities).all()
    assert fp32.precision == "fp32"


def test_a_graph_over_the_threshold_is_refused_and_fp32_serves(smoke_run: dict, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The train task's own step with export.max_int8_accuracy_drop=-1 (no int8 graph can pass)."""
    from lightship.bundle import Bundle
    from lightship.config.targets import instantiate
    from lightship.config.validation import compose_config
    from lightship.inference.text import OnnxTextClassifier
    from lightship.release.pipeline import faster_graphs

    cfg = compose_config(["experiment=smoke", "export.optimize=false", "export.max_int8_accuracy_drop=-1"])
    data = instantiate(cfg.data, list(cfg.allowed_targets), seed=cfg.seed).prepare()
    folder = shutil.copytree(smoke_run["bundle"], tmp_path / "bundle")
    (folder / INT8_FILE).unlink(missing_ok=True)
    bundle = Bundle.load(folder)
    spec = instantiate(cfg.model, list(cfg.allowed_targets))
    _, fields = faster_graphs(cfg, spec, None, data, bundle, OnnxTextClassifier(bundle), None)
    bundle.update(**fields)
    assert fields["int8"]["accepted"] is False and fields["int8"]["file"] is None
    assert not (folder / INT8_FILE).exists()
    with caplog.at_level("WARNING", logger="lightship.inference.runtime"):
        served = OnnxTextClassifier(folder, precision="int8")
    assert served.precision == "fp32" and served.graph_path == bundle.onnx_path
    assert "fp32 graph serves" in caplog.text and "max_int8_accuracy_drop=-1" in caplog.text
