"""Build the Lightning ``Trainer`` from the ``trainer`` group and fit; keep the best checkpoint."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
from omegaconf import DictConfig

from lightship.data.splits import LABEL, TEXT, SplitData
from lightship.models.classifier import TextClassifier
from lightship.models.spec import ModelSpec
from lightship.models.text_encoding import TextEncoder

log = logging.getLogger(__name__)

MONITOR = "val_macro_f1"
LAST_CHECKPOINT, TOKENIZER_DIR = "last.ckpt", "tokenizer"


def resolve_resume(resume: str) -> Path:
    """``resume=`` accepts a checkpoint file or a run folder (its ``checkpoints/last.ckpt``)."""
    from lightship.errors import ConfigError

    path = Path(resume).expanduser()
    candidates = [path, path / LAST_CHECKPOINT, path / "checkpoints" / LAST_CHECKPOINT]
    found = next((candidate for candidate in candidates if candidate.is_file()), None)
    if found is None:
        raise ConfigError(
            f"resume={resume}: no checkpoint there. Give a .ckpt file or a run folder holding checkpoints/{LAST_CHECKPOINT}."
        )
    return found.resolve()


@dataclass
class FitResult:
    classifier: TextClassifier
    tokenizer: Any
    encoder: TextEncoder
    train_seconds: float
    best_checkpoint: Optional[str]
    best_score: Optional[float]
    epochs: int
    # Processes that trained (trainer.world_size: devices x nodes under DDP).
    world_size: int = 1


def build_trainer(trainer_cfg: DictConfig, checkpoint_dir: Path, loggers: list[Any], seed: int, extra_callbacks: Sequence[Any] = ()) -> Any:
    """A ``pl.Trainer`` with checkpointing and early stopping on the validation macro-F1, per-epoch reseeding and a progress bar.

    ``trainer.max_epochs`` is a cap: training stops once the validation macro-F1 has not
    improved by ``early_stopping_min_delta`` for ``early_stopping_patience`` epochs.
    """
    import pytorch_lightning as pl
    from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint, RichProgressBar

    from lightship.training.reproducibility import BatchReseed

    checkpoint = ModelCheckpoint(
        dirpath=str(checkpoint_dir), monitor=MONITOR, mode="max", save_last=True, filename="best", save_on_train_epoch_end=True
    )
    callbacks: list[Any] = [checkpoint, BatchReseed(seed), *extra_callbacks]
    if trainer_cfg.early_stopping_patience is not None:
        callbacks.append(EarlyStopping(
            monitor=MONITOR, mode="max", patience=trainer_cfg.early_stopping_patience,
            min_delta=trainer_cfg.early_stopping_min_delta, check_on_train_epoch_end=False, verbose=False,
        ))
    if trainer_cfg.enable_progress_bar:
        callbacks.append(RichProgressBar())
    return pl.Trainer(
        accelerator=trainer_cfg.accelerator,
        devices=trainer_cfg.devices,
        strategy=trainer_cfg.strategy,
        num_nodes=trainer_cfg.num_nodes,
        precision=trainer_cfg.precision,
        max_epochs=trainer_cfg.max_epochs,
        limit_train_batches=trainer_cfg.limit_train_batches,
        limit_val_batches=trainer_cfg.limit_val_batches,
        gradient_clip_val=trainer_cfg.gradient_clip_val,
        accumulate_grad_batches=trainer_cfg.accumulate_grad_batches,
        deterministic=trainer_cfg.deterministic,
        enable_progress_bar=trainer_cfg.enable_progress_bar,
        log_every_n_steps=trainer_cfg.log_every_n_steps,
        num_sanity_val_steps=0,
        # The loaders shard their own training draw across DDP ranks (reproducibility.Shard) and evaluate every
        # rank on the whole validation split, so Lightning must not swap their samplers for DistributedSampler.
        use_distributed_sampler=False,
        callbacks=callbacks,
        logger=loggers or False,
        enable_model_summary=False,
    )


def _tokenizer(spec: ModelSpec, data: SplitData, checkpoint_dir: Path, resume_from: Optional[Path]) -> Any:
    """Build the tokenizer, or reload the one saved beside the checkpoint being resumed."""
    if resume_from is not None and (resume_from.parent / TOKENIZER_DIR).is_dir():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(resume_from.parent / TOKENIZER_DIR))
    else:
        tokenizer = spec.build_tokenizer(data.train["text"].tolist())
    tokenizer.save_pretrained(str(checkpoint_dir / TOKENIZER_DIR))
    return tokenizer


def fit(
    spec: ModelSpec,
    data: SplitData,
    trainer_cfg: DictConfig,
    data_cfg: DictConfig,
    seed: int,
    checkpoint_dir: Path,
    loggers: list[Any],
    resume_from: Optional[Path] = None,
    extra_callbacks: Sequence[Any] = (),
) -> FitResult:
    """Train a classifier on ``data.train``, validate each epoch, return the best weights.

    With ``resume_from`` (a ``last.ckpt``), Lightning restores weights, optimizer, scheduler
    and loop state, and training continues to ``max_epochs`` as if never interrupted.
    """
    import pytorch_lightning as pl
    import torch

    from lightship.training.datamodule import TextDataModule
    from lightship.training.module import ClassifierModule

    if resume_from is not None:
        # Keep writing where the interrupted run did: ModelCheckpoint restores its best score
        # only for the same folder, and the best epoch must be chosen as if never interrupted.
        checkpoint_dir = resume_from.parent
    pl.seed_everything(seed, workers=True)
    if trainer_cfg.num_threads:
        torch.set_num_threads(trainer_cfg.num_threads)
    tokenizer = _tokenizer(spec, data, checkpoint_dir, resume_from)
    encoder = spec.text_encoder(tokenizer, data.train[TEXT].tolist())
    classifier = spec.build_classifier(data.labels, tokenizer)
    label_ids = data.train[LABEL].map(data.label_to_id).to_numpy()
    weights = spec.class_weights(label_ids, len(data.labels))
    module = ClassifierModule(
        classifier,
        data.labels,
        lr=spec.lr,
        weight_decay=spec.weight_decay,
        warmup_ratio=spec.warmup_ratio,
        class_weights=None if weights is None else np.asarray(weights).tolist(),
        head_lr=spec.head_lr,
    )
    datamodule = TextDataModule(data, encoder, data_cfg.batch_size, data_cfg.num_workers, seed, data_cfg.bucket_by_length)
    trainer = build_trainer(trainer_cfg, checkpoint_dir, loggers, seed, extra_callbacks)
    outcome = train_best(trainer, module, datamodule, resume_from)
    return FitResult(classifier, tokenizer, encoder, outcome.train_seconds, outcome.best_checkpoint, outcome.best_score, outcome.epochs,
                     outcome.world_size)


@dataclass
class TrainOutcome:
    train_seconds: float
    best_checkpoint: Optional[str]
    best_score: Optional[float]
    epochs: int
    world_size: int = 1


def train_best(trainer: Any, module: Any, datamodule: Any, resume_from: Optional[Path] = None) -> TrainOutcome:
    """Fit ``module`` (any input kind), then load the best checkpoint's weights into it and set eval mode."""
    import torch

    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule, ckpt_path=str(resume_from) if resume_from else None)
    train_seconds = time.perf_counter() - started
    checkpoint = trainer.checkpoint_callback
    best_path = checkpoint.best_model_path if checkpoint is not None else ""
    if best_path:
        state = torch.load(best_path, map_location="cpu", weights_only=False)["state_dict"]
        module.load_state_dict(state)
        log.info("Best checkpoint %s (%s=%.4f)", best_path, MONITOR, float(checkpoint.best_model_score))
    module.eval()
    best_score = float(checkpoint.best_model_score) if best_path and checkpoint.best_model_score is not None else None
    return TrainOutcome(train_seconds, best_path or None, best_score, trainer.current_epoch, int(trainer.world_size))
