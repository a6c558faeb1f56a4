"""Image classifiers: ``uint8 [batch, height, width, channels]`` in, ``(logits, embedding)`` out.

:meth:`ImageClassifier.forward` is what is exported: scale to [0, 1], bilinear resize to
``input_size``, normalise with the train split's per-channel mean and standard deviation
(buffers), then the body (conv blocks from config, or a pretrained backbone) and global average
pooling (the embedding drift watches).
Training feeds already resized tensors to :class:`ResizedView` (same weights), so each image
is resized once per run instead of once per epoch; augmentation only happens there.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class ImageClassifier(nn.Module):
    """Resize, normalise, a convolutional ``body`` (feature maps out), global average pooling and a linear head.

    The body is the only part that differs between the CNN from config and a pretrained backbone.
    """

    def __init__(self, body: nn.Module, width: int, mean: np.ndarray, std: np.ndarray, input_size: int, n_labels: int,
                 dropout: float, shift: int = 0, hflip: bool = False, brightness: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(np.where(std > 1e-6, std, 1.0), dtype=torch.float32).view(1, -1, 1, 1))
        self.input_size, self.shift, self.hflip, self.brightness = int(input_size), int(shift), bool(hflip), float(brightness)
        self.body = body
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, n_labels)

    def resize(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 NHWC -> float NCHW in [0, 1] at ``input_size`` x ``input_size``."""
        pixels = image.permute(0, 3, 1, 2).to(torch.float32) / 255.0
        return F.interpolate(pixels, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)

    def augment(self, pixels: torch.Tensor) -> torch.Tensor:
        if self.brightness > 0:
            factor = 1 + (torch.rand(len(pixels), 1, 1, 1) * 2 - 1) * self.brightness
            pixels = (pixels * factor).clamp(0, 1)
        if self.hflip:
            flip = torch.rand(len(pixels)) < 0.5
            pixels = torch.where(flip.view(-1, 1, 1, 1), pixels.flip(3), pixels)
        if self.shift > 0:
            dy, dx = (int(v) for v in torch.randint(-self.shift, self.shift + 1, (2,)))
            pixels = F.pad(pixels, (self.shift,) * 4)[..., self.shift + dy : self.shift + dy + pixels.shape[2],
                                                       self.shift + dx : self.shift + dx + pixels.shape[3]]
        return pixels

    def classify(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Resized pixels in [0, 1] -> (logits, embedding); augmented while training."""
        if self.training:
            pixels = self.augment(pixels)
        hidden = self.body((pixels - self.mean) / self.std)
        embedding = hidden.mean(dim=(2, 3))
        return self.head(self.dropout(embedding)), embedding

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.classify(self.resize(image))


class ImageCNN(ImageClassifier):
    """The CNN from config: one conv 3x3 / batch norm / ReLU / 2x2 max-pool block per entry of ``channels``."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, input_size: int, channels: Sequence[int], n_labels: int,
                 dropout: float, shift: int = 0, hflip: bool = False, brightness: float = 0.0) -> None:
        blocks: list[nn.Module] = []
        width = len(mean)
        for out in channels:
            blocks += [nn.Conv2d(width, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            width = out
        super().__init__(nn.Sequential(*blocks), width, mean, std, input_size, n_labels, dropout, shift, hflip, brightness)


class PretrainedBody(nn.Module):
    """A pretrained backbone's feature extractor as a body: greyscale images are repeated to its three channels.

    With ``frozen`` its weights are not trained and its batch norms keep their pretrained statistics.
    """

    def __init__(self, backbone: nn.Module, grey: bool, frozen: bool) -> None:
        super().__init__()
        self.backbone, self.grey, self.frozen = backbone, bool(grey), bool(frozen)
        self.backbone.requires_grad_(not frozen)
        self.train()  # a frozen backbone starts in eval mode: Lightning keeps the modes it finds, it does not call train()

    def train(self, mode: bool = True) -> "PretrainedBody":
        return super().train(mode and not self.frozen)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.backbone.extract_features(pixels.repeat(1, 3, 1, 1) if self.grey else pixels)


class ResizedView(nn.Module):
    """The CNN on already resized pixels (the training path; shares the CNN's weights)."""

    def __init__(self, cnn: ImageClassifier) -> None:
        super().__init__()
        self.cnn = cnn

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.cnn.classify(pixels)
