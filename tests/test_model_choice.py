"""``experiment=model_choice``: the leaderboard on the user's file ends with one recommendation,
made by the rules of :mod:`lightship.sweeps.choice`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lightship.sweeps.choice import recommend
from lightship_testing import sqlite_uri


def row(model: str, family: str, f1: float, ms: float, mb: float, train_rows: int = 5000) -> dict:
    return {"model": model, "family": family, "macro_f1": f1, "onnx_ms_per_text": ms, "onnx_mb": mb, "train_rows": train_rows}


BASELINE, CUSTOM, PRETRAINED = row("tfidf_linear", "baseline", 0.95, 0.2, 2.0), row("tiny_bert", "custom", 0.955, 1.0, 5.0), row("minilm", "pretrained", 0.97, 9.0, 90.0)


def test_a_cheaper_model_within_the_margin_wins() -> None:
    choice = recommend([BASELINE, CUSTOM, PRETRAINED], latency_budget_ms=None, margin=0.02, scarce_rows=1000)
    assert choice.model == "tfidf_linear" and "within 0.02 of the best (minilm" in choice.reason


def test_the_best_wins_when_nothing_cheaper_comes_close() -> None:
    choice = recommend([BASELINE, CUSTOM, PRETRAINED], latency_budget_ms=None, margin=0.005, scarce_rows=1000)
    assert choice.model == "minilm" and choice.reason.startswith("best macro-F1")


def test_the_latency_budget_rules_out_slow_models() -> None:
    choice = recommend([BASELINE, CUSTOM, PRETRAINED], latency_budget_ms=5.0, margin=0.001, scarce_rows=1000)
    assert choice.model == "tiny_bert"
    over = recommend([PRETRAINED], latency_budget_ms=1.0, margin=0.01, scarce_rows=1000)
    assert over.model == "minilm" and "over choice.latency_budget_ms=1.0" in over.reason


def test_scarce_labels_favour_a_pretrained_model_within_the_margin() -> None:
    rows = [{**r, "train_rows": 300} for r in (BASELINE, CUSTOM, PRETRAINED)]
    choice = recommend(rows, latency_budget_ms=None, margin=0.02, scarce_rows=1000)
    assert choice.model == "minilm" and "labelled data is scarce (300 training rows" in choice.reason
    behind = [rows[0], {**rows[2], "macro_f1": 0.90}]
    assert recommend(behind, latency_budget_ms=None, margin=0.02, scarce_rows=1000).model == "tfidf_linear"


def small_file(folder: Path) -> Path:
    """Three easy classes of short texts, 90 rows."""
    topics = {
        "billing": ["charged twice", "refund my payment", "invoice is wrong", "card declined"],
        "shipping": ["parcel never arrived", "delivery is late", "wrong address on the package", "tracking number missing"],
        "technical": ["app crashes on start", "cannot log in", "error when saving", "page does not load"],
    }
    rows = [{"body": f"hello, {phrase} again, order {i}", "queue": label}
            for label, phrases in topics.items() for i in range(30) for phrase in [phrases[i % 4]]]
    path = folder / "tickets.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def run_model_choice(folder: Path, *overrides: str) -> Path:
    path = small_file(folder)
    command = [
        sys.executable, "-m", "lightship", "-m", "experiment=model_choice", "data=text_file", f"data.path={path}",
        "data.text_column=body", "data.label_column=queue", "trainer.max_epochs=2", f"tracking.uri={sqlite_uri(folder)}",
        *overrides,
    ]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Recommended: " in done.stderr
    return next((folder / "multirun").glob("*/*"))


def check_board(sweep_dir: Path, models: set[str]) -> None:
    board = pd.read_csv(sweep_dir / "leaderboard.csv")
    assert set(board["model"]) == models
    assert {"accuracy", "macro_f1", "train_seconds", "onnx_ms_per_text", "onnx_ms_per_text_best", "best_batch", "onnx_mb"} <= set(board.columns)
    assert (board["onnx_ms_per_text_best"] <= board["onnx_ms_per_text"]).all() and (board["onnx_mb"] > 0).all()
    choice = json.loads((sweep_dir / "recommendation.json").read_text())
    assert choice["model"] in models and choice["reason"]
    assert (sweep_dir / "leaderboard.md").read_text().rstrip().endswith(f"Recommended: {choice['model']} ({choice['reason']})")


def test_model_choice_on_a_small_file_ends_with_a_recommendation(tmp_path: Path) -> None:
    sweep_dir = run_model_choice(tmp_path, "model=tfidf_linear,tiny_bert")
    check_board(sweep_dir, {"tfidf_linear", "tiny_bert"})


@pytest.mark.slow
def test_model_choice_with_the_pretrained_model(tmp_path: Path) -> None:
    sweep_dir = run_model_choice(tmp_path, "choice.latency_budget_ms=1000")
    check_board(sweep_dir, {"tfidf_linear", "tiny_bert", "minilm"})


def test_a_failed_job_keeps_the_leaderboard_and_the_recommendation(tmp_path: Path) -> None:
    """Hydra re-raises a job's error at the end of the sweep; the board and the recommendation are written before."""
    path = small_file(tmp_path)
    command = [
        sys.executable, "-m", "lightship", "-m", "experiment=model_choice", "model=tfidf_linear", "data=text_file",
        f"data.path={path}", "data.text_column=body", "data.label_column=queue,no_such_column", f"tracking.uri={sqlite_uri(tmp_path)}",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode != 0
    sweep_dir = next((tmp_path / "multirun").glob("*/*"))
    board = pd.read_csv(sweep_dir / "leaderboard.csv").set_index("job")
    assert list(board["status"].fillna("ok")) == ["ok", "failed"]
    assert "no_such_column" in board.loc[1, "error"] and board.loc[0, "macro_f1"] > 0.5
    choice = json.loads((sweep_dir / "recommendation.json").read_text())
    assert choice["model"] == "tfidf_linear"
