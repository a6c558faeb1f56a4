"""``task=predict`` keeps every input column and writes its outputs in columns that cannot collide."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lightship_testing import working_directory


def _predict(workdir: Path, bundle: str, source: Path, *overrides: str) -> dict:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task

    cfg = compose_config(["task=predict", f"predict.input={source}", f"predict.model={bundle}", "serve=bentoml_cpu", *overrides])
    with working_directory(workdir):
        return run_task(cfg)


@pytest.fixture()
def tickets(tmp_path: Path) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [10, 11, 12],
        "text": ["I was charged twice this month", "", "my parcel never arrived"],
        "label": ["billing", "shipping", "shipping"],  # ground truth: must survive scoring
        "confidence": [0.1, 0.2, 0.3],
    })


def test_predict_keeps_input_columns_and_adds_prefixed_outputs(tmp_path: Path, smoke_run: dict, tickets: pd.DataFrame) -> None:
    from lightship.tasks.predict import output_names

    source = tmp_path / "tickets.csv"
    tickets.to_csv(source, index=False)
    summary = _predict(tmp_path, smoke_run["bundle"], source, "predict.output=scored.csv")
    scored = pd.read_csv(summary["output"], keep_default_na=False, na_values=[""])
    labels = sorted({name.removeprefix("pred_p_") for name in scored.columns if name.startswith("pred_p_")})
    assert list(scored.columns) == [*tickets.columns, *output_names("pred_", labels)]
    pd.testing.assert_frame_equal(scored[tickets.columns].fillna({"text": ""}), tickets)
    assert summary["rows"] == 3 and summary["scored"] == 2 and summary["skipped_empty"] == 1
    assert scored["pred_label"].isna().tolist() == [False, True, False]
    assert set(scored["pred_label"].dropna()) <= set(labels)


def test_predict_refuses_an_input_whose_columns_the_outputs_would_overwrite(tmp_path: Path, smoke_run: dict, tickets: pd.DataFrame) -> None:
    from lightship.errors import DataError

    source = tmp_path / "scored_before.parquet"
    tickets.assign(pred_label="billing").to_parquet(source)
    with pytest.raises(DataError, match=r"\['pred_label'\] would be overwritten.*predict.output_prefix"):
        _predict(tmp_path, smoke_run["bundle"], source)
    summary = _predict(tmp_path, smoke_run["bundle"], source, "predict.output_prefix=second_")
    scored = pd.read_parquet(summary["output"])
    assert (scored["pred_label"] == "billing").all() and scored["second_label"].notna().sum() == 2
