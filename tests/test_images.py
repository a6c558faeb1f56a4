"""Image family: folder and manifest loading with bad files named by path, the built-in sets, parity on raw
decoded images (resize and normalisation in the graph), the image runtime, and drift on a brightness shift."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from image_testing import SHAPES, draw, write_shapes
from lightship.data.image_folder import IMAGE, ImageFolderData
from lightship.data.images import encode_png
from lightship.errors import DataError


def corrupt(folder: Path) -> dict[str, Path]:
    """One bad file of each kind in ``folder/circle``: random bytes, a truncated PNG, a GIF, an oversized PNG."""
    from PIL import Image

    target = folder / "circle"
    good = (target / "1.png").read_bytes()
    files = {"not an image": target / "noise.png", "corrupt": target / "truncated.png", "unsupported format": target / "anim.png",
             "image too large": target / "huge.png"}
    files["not an image"].write_bytes(np.random.default_rng(0).bytes(200))
    files["corrupt"].write_bytes(good[: len(good) // 2])
    Image.new("RGB", (8, 8)).save(files["unsupported format"], format="GIF")
    Image.new("RGB", (300, 300)).save(files["image too large"])
    return files


def test_folder_with_bad_files_names_each_path_or_drops_and_counts_them(tmp_path: Path) -> None:
    folder = write_shapes(tmp_path / "shapes", per_class=10)
    bad = corrupt(folder)
    with pytest.raises(DataError) as error:
        ImageFolderData(path=str(folder), max_pixels=100 * 100).load()
    message = str(error.value)
    assert "4 of 34 images cannot be used" in message and "drop_invalid_rows" in message
    for path in bad.values():
        assert str(path) in message
    frame, report = ImageFolderData(path=str(folder), max_pixels=100 * 100, drop_invalid_rows=True).load()
    assert len(frame) == 30 and report["dropped_rows"] == 4
    assert report["dropped_by_reason"] == {"not an image": 2, "unsupported format": 1, "image too large": 1} or sum(report["dropped_by_reason"].values()) == 4
    assert report["mode"] == "RGB" and frame[IMAGE].iloc[0].shape == (32, 32, 3) and frame[IMAGE].iloc[0].dtype == np.uint8


def test_missing_folder_and_empty_folder_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        ImageFolderData(path=str(tmp_path / "absent")).load()
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(DataError, match="no .png/.jpg/.jpeg files"):
        ImageFolderData(path=str(tmp_path / "empty")).load()


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_manifest_with_relative_paths_time_column_and_a_missing_file(tmp_path: Path, suffix: str) -> None:
    folder = write_shapes(tmp_path / "shapes", per_class=8)
    files = sorted(folder.glob("*/*"), key=lambda p: (int(p.stem), p.parent.name))  # classes interleaved in time
    manifest = pd.DataFrame({"file": [str(p.relative_to(tmp_path)) for p in files], "kind": [p.parent.name for p in files],
                             "taken": pd.date_range("2026-01-01", periods=len(files), freq="h").astype(str)})
    manifest.loc[len(manifest)] = ["shapes/circle/gone.png", "circle", "2026-03-01"]
    path = tmp_path / f"images.{suffix}"
    manifest.to_csv(path, index=False) if suffix == "csv" else manifest.to_parquet(path)
    options = dict(manifest=str(path), path_column="file", label_column="kind", time_column="taken", min_rows_per_class=2)
    with pytest.raises(DataError, match=r"1 with no such file, e\.g\. \['.*shapes/circle/gone\.png'\]"):
        ImageFolderData(**options).load()
    data = ImageFolderData(**options, drop_invalid_rows=True).prepare()
    assert data.labels == sorted(SHAPES) and data.input["kind"] == "image" and data.input["mode"] == "RGB"
    assert data.train["time"].max() <= data.test["time"].min()  # split by time
    with pytest.raises(DataError, match="data.path and data.manifest are both set"):
        ImageFolderData(path=str(folder), manifest=str(path))


def test_builtin_sets_ship_inside_installed_packages() -> None:
    frame, report = ImageFolderData(builtin="mnist").load()
    assert len(frame) == 5000 and sorted(frame["label"].unique()) == [str(d) for d in range(10)]
    assert report["mode"] == "L" and frame[IMAGE].iloc[0].shape == (28, 28, 1)
    digits, _ = ImageFolderData(builtin="digits").load()
    assert len(digits) == 1797 and digits[IMAGE].iloc[0].shape == (8, 8, 1) and digits[IMAGE].iloc[0].max() > 200


def test_exported_graph_resizes_and_normalises_like_pytorch_on_raw_images_of_any_size(tmp_path: Path) -> None:
    """Parity on raw uint8 images of sizes other than the training size (the resize is in the graph)."""
    from types import SimpleNamespace

    from lightship.bundle import start_bundle
    from lightship.export.parity import check_parity
    from lightship.inference import load_runtime
    from lightship.models.image_cnn import ImageCNNSpec

    rng = np.random.default_rng(1)
    spec = ImageCNNSpec(channels=[8, 16], input_size=24, fp16=False)
    train_images = [draw(shape, 32, rng) for shape in SHAPES * 4]
    cnn = spec.build(3, 3, train_images)
    data = SimpleNamespace(train=pd.DataFrame({IMAGE: train_images}), input={"kind": "image", "mode": "RGB", "channels": 3, "max_pixels": 10**6})
    fit = SimpleNamespace(classifier=cnn.eval())
    bundle = start_bundle(tmp_path / "bundle", labels=list(SHAPES), high_risk_label=None, model={"name": "image_cnn"}, config_yaml="",
                          **spec.bundle_fields(fit, data))
    spec.export(fit, data, bundle, SimpleNamespace(opset=18, exporter=SimpleNamespace(value="torchscript")))
    runtime = load_runtime(bundle)
    for side in (17, 32, 61):
        images = [draw(shape, side, rng) for shape in SHAPES * 3]
        report = check_parity(spec.reference(fit, runtime), runtime, images, [1, 4], atol=1e-4, min_argmax_agreement=1.0)
        assert report.passed, report.to_dict()
    mixed = [draw("circle", 20, rng), draw("square", 45, rng), encode_png(draw("triangle", 33, rng))]
    by_one = np.concatenate([runtime.predict([image]).probabilities for image in mixed])
    np.testing.assert_allclose(runtime.predict(mixed).probabilities, by_one, atol=1e-6)


def test_image_smoke_model_trains_exports_with_parity_and_registers(image_run: dict) -> None:
    from lightship.bundle import Bundle
    from lightship.inference import load_runtime

    assert image_run["parity"]["passed"] and image_run["parity"]["shapes"][0][1:] == [32, 32, 3]
    assert image_run["promoted"] and image_run["version"] == "1"
    bundle = Bundle.load(image_run["bundle"])
    assert bundle.input["kind"] == "image" and bundle.input["mode"] == "RGB" and bundle.input["input_size"] == 32
    runtime = load_runtime(bundle)
    image = draw("square", 32, np.random.default_rng(3))
    from_bytes = runtime.predict([encode_png(image)]).probabilities
    np.testing.assert_allclose(from_bytes, runtime.predict([image]).probabilities, atol=1e-6)
    batch = runtime.score([encode_png(image)] * 3)
    assert set(batch.seconds) == {"decode", "inference", "postprocess"} and len(batch.items) == 3


def test_drift_is_flagged_on_a_brightness_shift_and_not_on_fresh_images(image_run: dict) -> None:
    from lightship.config.validation import compose_config
    from lightship.inference import load_runtime
    from lightship.monitoring.model_features import ModelFeatures, fitted_detector

    runtime = load_runtime(image_run["bundle"])
    features = ModelFeatures.from_bundle(image_run["bundle"], runtime.labels)
    detector = fitted_detector(compose_config(["drift=ks"]).drift, features.profile)
    rng = np.random.default_rng(7)

    def report(brightness: float):
        images = [encode_png(draw(SHAPES[i % 3], 32, rng, brightness)) for i in range(150)]
        return detector.compare(features.frame(runtime.predict(images), images))

    steady, dark = report(1.0), report(0.5)
    assert "brightness" not in steady.drifted_features
    assert dark.drifted and "brightness" in dark.drifted_features and "contrast" in dark.drifted_features


def test_fp16_and_static_int8_gates_keep_a_graph_within_tolerance_and_refuse_one_over_it(image_run: dict, tmp_path: Path) -> None:
    import shutil
    from types import SimpleNamespace

    import onnx

    from lightship.bundle import Bundle
    from lightship.export.image_quantize import FP16_FILE, static_int8
    from lightship.export.quantize import INT8_FILE, make_int8
    from lightship.inference import load_runtime
    from lightship.models.image_cnn import ImageCNNSpec

    manifest = Bundle.load(image_run["bundle"]).manifest
    assert manifest["fp16"]["provider"] == "cpu" and "fp16_tolerance" in manifest["fp16"]["reason"]
    assert manifest["int8"]["accuracy_drop"] <= manifest["int8"]["max_accuracy_drop"] or not manifest["int8"]["accepted"]
    bundle = Bundle.load(shutil.copytree(image_run["bundle"], tmp_path / "bundle"))
    rng = np.random.default_rng(11)
    images = [draw(SHAPES[i % 3], 32, rng) for i in range(30)]
    data = SimpleNamespace(val=pd.DataFrame({IMAGE: images}), train=pd.DataFrame({IMAGE: images}))

    refused = ImageCNNSpec(fp16_tolerance=1e-12).fp16_gate(data, bundle)
    assert not refused.accepted and refused.max_abs_diff_logits > 1e-12 and "refused" in refused.reason
    assert not (bundle.path / FP16_FILE).exists()
    kept = ImageCNNSpec(fp16_tolerance=1.0).fp16_gate(data, bundle)
    assert kept.accepted and (bundle.path / FP16_FILE).is_file()
    bundle.update(fp16=kept.to_dict())
    assert load_runtime(bundle, precision="fp16").precision == "fp16"

    labels = load_runtime(bundle).labels
    truth = np.array([labels.index(SHAPES[i % 3]) for i in range(30)])

    def accuracy(graph: Path) -> tuple[float, np.ndarray]:
        predicted = load_runtime(bundle, graph=graph).predict(images).label_ids
        return float((predicted == truth).mean()), predicted

    quantizer = static_int8(images)
    assert not make_int8(bundle, accuracy, -1.0, quantizer).accepted and not (bundle.path / INT8_FILE).exists()
    decision = make_int8(bundle, accuracy, 1.0, quantizer)
    assert decision.accepted and (bundle.path / INT8_FILE).is_file()
    ops = {node.op_type for node in onnx.load(str(bundle.path / INT8_FILE)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops  # static QDQ: the convolutions are quantized too


def test_task_predict_scores_a_folder_and_a_manifest_and_skips_unreadable_files(image_run: dict, tmp_path: Path) -> None:
    from lightship.config.validation import compose_config
    from lightship.tasks import run_task
    from lightship_testing import working_directory

    folder = write_shapes(tmp_path / "new", per_class=3, seed=9)
    (folder / "circle" / "broken.png").write_bytes(b"not an image")
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame({"path": [str(p.relative_to(tmp_path)) for p in sorted(folder.glob("*/*"))]}).to_csv(manifest, index=False)
    for source in (folder, manifest):
        cfg = compose_config(["task=predict", f"predict.input={source}", f"predict.model={image_run['bundle']}", "serve=bentoml_cpu",
                              "predict.output=scored.csv"])
        with working_directory(tmp_path):
            summary = run_task(cfg)
        scored = pd.read_csv(summary["output"])
        assert summary["rows"] == 10 and summary["scored"] == 9
        assert scored.loc[scored["path"].str.endswith("broken.png"), "pred_label"].isna().all()
        assert set(scored["pred_label"].dropna()) <= set(SHAPES)


def test_task_drift_flags_a_darker_camera_from_a_manifest(image_run: dict, tmp_path: Path) -> None:
    import json

    from lightship.config.validation import compose_config
    from lightship.tasks import run_task
    from lightship_testing import working_directory
    from PIL import Image

    rng = np.random.default_rng(21)
    folder = tmp_path / "night"
    folder.mkdir()
    for i in range(120):
        Image.fromarray(draw(SHAPES[i % 3], 32, rng, brightness=0.45)).save(folder / f"{i}.png")
    manifest = tmp_path / "night.csv"
    pd.DataFrame({"path": [f"night/{i}.png" for i in range(120)]}).to_csv(manifest, index=False)
    cfg = compose_config(["task=drift", "serve=bentoml_cpu", f"drift.reference={image_run['bundle']}", f"drift.current={manifest}"])
    with working_directory(tmp_path):
        summary = run_task(cfg)
    report = json.loads(Path(summary["report"]).read_text())
    assert report["drifted"] and {"brightness", "contrast"} <= set(report["drifted_features"])
    assert report["metadata"]["input_kind"] == "image" and report["n_current"] == 120
