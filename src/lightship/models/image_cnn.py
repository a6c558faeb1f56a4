"""``model=image_cnn``: a CNN from config over decoded images, trained with Lightning.

The exported graph takes ``image``: ``uint8 [batch, height, width, channels]`` (height and
width dynamic) and does the resize and normalisation itself (:mod:`lightship.models.image_network`),
so serving only decodes PNG/JPEG and parity compares PyTorch and ONNX Runtime on raw decoded images.

It trains from scratch; ``model=image_pretrained`` (:mod:`lightship.models.image_pretrained`) puts an
ImageNet-pretrained backbone in place of the conv blocks and keeps everything else.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from lightship.data.image_folder import IMAGE
from lightship.data.splits import LABEL

log = logging.getLogger(__name__)

GRAPH_INPUTS, GRAPH_OUTPUTS = ["image"], ["logits", "embedding"]
# Bounds of the dynamic height and width of the exported graph.
MIN_SIDE, MAX_SIDE = 2, 8192


@dataclass
class ImageFitResult:
    classifier: Any
    train_seconds: float
    best_checkpoint: Any
    best_score: Any
    epochs: int


def channel_stats(cnn: Any, images: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of the train images after the resize (what the graph normalises with)."""
    from lightship.training.image_datamodule import resized

    pixels = np.stack([p.numpy() for p in resized(cnn, images)])
    return pixels.mean(axis=(0, 2, 3)), pixels.std(axis=(0, 2, 3))


def stack_batch(images: Sequence[np.ndarray]) -> np.ndarray:
    """One ``uint8 [batch, height, width, channels]`` array; images of another size than the first are refused."""
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise ValueError(f"a batch of the image graph holds images of one size; got sizes {sorted(shapes)[:4]}. Score sizes apart.")
    return np.ascontiguousarray(np.stack(images), dtype=np.uint8)


class ImageCNNSpec:
    """``model=image_cnn`` (a :class:`lightship.models.protocol.ReleaseSpec`)."""

    fusable = False  # no transformer patterns
    quantizable = True
    family = "image_cnn"

    def __init__(self, name: str = "image_cnn", input_size: int = 32, channels: Sequence[int] = (16, 32, 64), dropout: float = 0.1,
                 augmentation: Any = None, min_epochs: int = 10, fp16: bool = True, fp16_tolerance: float = 1e-2, lr: float = 3e-3, weight_decay: float = 1e-4, warmup_ratio: float = 0.05,
                 class_weighting: Any = "sqrt", **_: Any) -> None:
        self.name, self.input_size, self.channels, self.dropout = name, int(input_size), list(channels), dropout
        augmentation = dict(augmentation or {})
        self.shift, self.hflip, self.brightness = int(augmentation.get("shift", 2)), bool(augmentation.get("hflip", False)), float(augmentation.get("brightness", 0.1))
        self.min_epochs = int(min_epochs)
        self.fp16, self.fp16_tolerance = bool(fp16), float(fp16_tolerance)
        self.lr, self.weight_decay, self.warmup_ratio = lr, weight_decay, warmup_ratio
        self.class_weighting = getattr(class_weighting, "value", class_weighting)

    def build(self, n_channels: int, n_labels: int, train_images: Sequence[np.ndarray]) -> Any:
        """The CNN with its normalisation statistics from ``train_images``."""
        from lightship.models.image_network import ImageCNN

        cnn = ImageCNN(np.zeros(n_channels), np.ones(n_channels), self.input_size, self.channels, n_labels, self.dropout,
                       self.shift, self.hflip, self.brightness)
        mean, std = channel_stats(cnn, train_images)
        return ImageCNN(mean, std, self.input_size, self.channels, n_labels, self.dropout, self.shift, self.hflip, self.brightness)

    def fit(self, data: Any, context: Any) -> ImageFitResult:
        import pytorch_lightning as pl
        import torch

        from lightship.models.image_network import ResizedView
        from lightship.models.spec import class_weights
        from lightship.training.fit import build_trainer, train_best
        from lightship.training.image_datamodule import ImageDataModule
        from lightship.training.module import ClassifierModule

        pl.seed_everything(context.seed, workers=True)
        if context.trainer_cfg.num_threads:
            torch.set_num_threads(context.trainer_cfg.num_threads)
        cnn = self.build(int(data.input["channels"]), len(data.labels), data.train[IMAGE].tolist())
        weights = class_weights(self.class_weighting, data.train[LABEL].map(data.label_to_id).to_numpy(), len(data.labels))
        module = ClassifierModule(ResizedView(cnn), data.labels, lr=self.lr, weight_decay=self.weight_decay, warmup_ratio=self.warmup_ratio,
                                  class_weights=None if weights is None else np.asarray(weights).tolist())
        datamodule = ImageDataModule(data, cnn, int(context.data_cfg.batch_size), context.seed)
        trainer = build_trainer(context.trainer_cfg, context.checkpoint_dir, context.loggers, context.seed, context.extra_callbacks)
        trainer.fit_loop.min_epochs = min(self.min_epochs, int(context.trainer_cfg.max_epochs))  # early stopping waits for it
        outcome = train_best(trainer, module, datamodule, context.resume_from)
        cnn.eval()
        return ImageFitResult(cnn, outcome.train_seconds, outcome.best_checkpoint, outcome.best_score, outcome.epochs)

    def bundle_fields(self, fit_result: Any, data: Any) -> dict[str, Any]:
        return {"input": {**data.input, "input_size": self.input_size}, "inputs": GRAPH_INPUTS, "outputs": GRAPH_OUTPUTS}

    def export(self, fit_result: Any, data: Any, bundle: Any, export_cfg: Any) -> None:
        import torch

        from lightship.export.onnx_export import export_module

        sample = torch.from_numpy(stack_batch([np.zeros_like(data.train[IMAGE].iloc[0])] * 2))
        axes = {"height": (MIN_SIDE, MAX_SIDE), "width": (MIN_SIDE, MAX_SIDE)}
        with tempfile.TemporaryDirectory() as scratch:
            raw = export_module(fit_result.classifier, (sample,), GRAPH_INPUTS, GRAPH_OUTPUTS, axes, Path(scratch) / "cnn.onnx",
                                export_cfg.opset, export_cfg.exporter.value)
            bundle.onnx_path.write_bytes(raw.read_bytes())
        if self.fp16:
            bundle.update(fp16=self.fp16_gate(data, bundle).to_dict())

    def fp16_gate(self, data: Any, bundle: Any) -> Any:
        """The fp16 graph beside the fp32 one, kept when its logits on held-out images stay within ``fp16_tolerance``.

        Checked on CUDA where a GPU is visible (the provider it is made for), else on CPU; the manifest says which.
        """
        import torch

        from lightship.export.image_quantize import make_fp16
        from lightship.inference import load_runtime

        provider = "cuda" if torch.cuda.is_available() else "cpu"
        held_out = (data.val if len(data.val) else data.train)[IMAGE].tolist()[:64]

        def logits_of(graph: Path) -> np.ndarray:
            return load_runtime(bundle, provider=provider, graph=graph).run_grouped(held_out, 64)[0]

        decision = make_fp16(bundle, logits_of, self.fp16_tolerance, provider)
        (log.info if decision.accepted else log.warning)("fp16 graph %s: %s", "kept" if decision.accepted else "refused", decision.reason)
        return decision

    def reference(self, fit_result: Any, runtime: Any) -> Any:
        """The PyTorch module on the same raw uint8 batch the runtime feeds (resize and normalisation included)."""
        from lightship.export.parity import TorchReference

        return TorchReference(fit_result.classifier, runtime.encode)

    def int8_quantizer(self, data: Any) -> Any:
        """Static int8 calibrated on training images (dynamic int8 leaves convolutions in float)."""
        from lightship.export.image_quantize import static_int8

        return static_int8(data.train[IMAGE].tolist(), GRAPH_INPUTS[0])

    def size(self, fit_result: Any) -> int:
        return int(sum(p.numel() for p in fit_result.classifier.parameters()))
