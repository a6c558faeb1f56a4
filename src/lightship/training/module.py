"""The LightningModule: weighted cross-entropy, AdamW with linear warm-up/decay, torchmetrics."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score, MulticlassRecall


def make_metrics(n_classes: int) -> MetricCollection:
    """Accuracy (micro), macro-F1 and per-class recall: the figures the gates and dashboards use."""
    return MetricCollection(
        {
            "accuracy": MulticlassAccuracy(n_classes, average="micro"),
            "macro_f1": MulticlassF1Score(n_classes, average="macro"),
            "recall": MulticlassRecall(n_classes, average="none"),
        }
    )


def flatten_metrics(values: dict[str, torch.Tensor], labels: Sequence[str], prefix: str) -> dict[str, float]:
    """``{"val_accuracy": ..., "val_recall_fraud": ...}`` from a computed MetricCollection."""
    flat: dict[str, float] = {}
    for name, value in values.items():
        if value.ndim == 0:
            flat[f"{prefix}{name}"] = float(value)
        else:
            flat.update({f"{prefix}{name}_{label}": float(v) for label, v in zip(labels, value)})
    return flat


class ClassifierModule(pl.LightningModule):
    def __init__(
        self,
        classifier: nn.Module,
        labels: Sequence[str],
        lr: float,
        weight_decay: float,
        warmup_ratio: float,
        class_weights: Optional[Sequence[float]] = None,
        head_lr: Optional[float] = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["classifier"])
        self.classifier = classifier
        self.labels = list(labels)
        weight = torch.tensor(class_weights, dtype=torch.float32) if class_weights is not None else None
        self.loss = nn.CrossEntropyLoss(weight=weight)
        self.val_metrics = make_metrics(len(self.labels))

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The classifier on a batch's input tensors (text: ids and mask; tabular: numeric and category ids)."""
        return self.classifier(*inputs)

    @staticmethod
    def inputs(batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """A collated batch's model inputs, in the collator's order (everything but ``labels``)."""
        return [value for key, value in batch.items() if key != "labels"]

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        logits, _ = self(*self.inputs(batch))
        loss = self.loss(logits, batch["labels"])
        self.log("train_loss", loss, prog_bar=True, batch_size=len(logits))
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        logits, _ = self(*self.inputs(batch))
        self.log("val_loss", self.loss(logits, batch["labels"]), prog_bar=True, batch_size=len(logits))
        self.val_metrics.update(logits, batch["labels"])

    def on_validation_epoch_end(self) -> None:
        flat = flatten_metrics(self.val_metrics.compute(), self.labels, "val_")
        self.val_metrics.reset()
        self.log("val_macro_f1", flat.pop("val_macro_f1"), prog_bar=True)
        self.log_dict(flat, prog_bar=False)

    def _parameter_groups(self) -> list[dict[str, Any]]:
        """Encoder parameters at ``lr``, the head (everything outside the encoder) at ``head_lr``."""
        backbone = getattr(self.classifier, "backbone", None)  # models without a pretrained encoder: one group
        encoder_ids = {id(p) for p in backbone.base_model.parameters()} if backbone is not None else set()
        trainable = [p for p in self.parameters() if p.requires_grad]
        encoder = [p for p in trainable if id(p) in encoder_ids]
        head = [p for p in trainable if id(p) not in encoder_ids]
        head_lr = self.hparams.head_lr or self.hparams.lr
        return [group for group in ({"params": encoder, "lr": self.hparams.lr}, {"params": head, "lr": head_lr}) if group["params"]]

    def configure_optimizers(self) -> Any:
        """AdamW; linear warm-up over ``warmup_ratio`` of the steps (at most one epoch), then linear decay to
        zero at ``trainer.max_epochs`` (a cap that early stopping usually cuts short, while the rate is still high)."""
        from transformers import get_linear_schedule_with_warmup

        optimizer = torch.optim.AdamW(self._parameter_groups(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        per_epoch = max(total // max(int(self.trainer.max_epochs or 1), 1), 1)
        warmup = min(int(total * self.hparams.warmup_ratio), per_epoch)
        scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=warmup, num_training_steps=total)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
