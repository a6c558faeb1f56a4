"""Library noise is filtered where it starts, and only there: the quantizer's pre-processing hint
is dropped without touching the root logger's level, so later warnings still reach the user."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest


def test_quantizer_hint_is_dropped_and_later_warnings_are_not(smoke_run: dict, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from lightship.export.quantize import PREPROCESSING_HINT, quantize_int8

    caplog.set_level(logging.WARNING)
    level = logging.getLogger().level
    quantize_int8(Path(smoke_run["bundle"]) / "model.onnx", tmp_path / "model.int8.onnx")
    assert (tmp_path / "model.int8.onnx").stat().st_size > 0
    assert not [record for record in caplog.records if PREPROCESSING_HINT in record.getMessage()]
    assert logging.getLogger().level == level and not logging.getLogger().filters
    logging.getLogger("lightship.release.pipeline").warning("Version 3 kept but not promoted: macro_f1 below the gate")
    assert "kept but not promoted" in caplog.text


def test_the_quantizer_still_logs_the_hint_it_is_filtered_for(smoke_run: dict, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Pins ONNX Runtime's message: when an upgrade rewords it, the filter above needs the new text."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from lightship.export.quantize import PREPROCESSING_HINT, _without_stale_shapes

    caplog.set_level(logging.WARNING)
    clean = _without_stale_shapes(Path(smoke_run["bundle"]) / "model.onnx", tmp_path / "clean.onnx")
    import onnx

    quantize_dynamic(clean, tmp_path / "q.onnx", weight_type=QuantType.QInt8, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    assert any(record.getMessage().startswith(PREPROCESSING_HINT) for record in caplog.records), caplog.text[-2000:]


NOISE = [
    "torchvision is not installed", "LeafSpec", "exists and is not empty", "GPU available", "TPU available",
    "Tip:", "was configured so 100%", "Seed set to", "Creating initial MLflow database tables", "pre-processing before quantization",
]


@pytest.mark.slow
def test_a_newcomers_run_prints_only_what_they_can_act_on(tmp_path: Path) -> None:
    """The smoke pipeline from the command line, as ``make run`` runs the default one."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "lightship", "experiment=smoke", f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert [line for line in output.splitlines() if any(noise in line for noise in NOISE)] == []
    assert "Data synthetic tickets" in output and "lightship train" in output and "parity max|diff|" in output


def test_static_quantizer_scale_notes_are_dropped_while_quantizing_and_other_root_records_kept(caplog: pytest.LogCaptureFixture) -> None:
    from lightship.export.quantize import without_preprocessing_hint

    note = "Increased scale[7] for weight `body.w` by ratio 2.5 to ensure bias input `body.b` has a valid scale."
    with caplog.at_level(logging.INFO):
        with without_preprocessing_hint():
            logging.info(note)
            logging.info("a root record lightship does not filter")
        logging.info(note)  # outside the quantizer's block nothing is filtered
    assert [record.getMessage() for record in caplog.records] == ["a root record lightship does not filter", note]
    assert not logging.getLogger().filters
