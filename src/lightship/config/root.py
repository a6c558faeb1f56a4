"""Schema of the primary config: the groups plus the settings every run shares."""

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

from omegaconf import MISSING


@dataclass
class GatesConfig:
    """Promotion gates: a version becomes champion only when all of them pass."""

    min_accuracy: float = 0.6
    min_macro_f1: float = 0.5
    # Floor on every class's recall, and a separate floor on the high-risk class.
    min_class_recall: float = 0.0
    min_high_risk_recall: float = 0.5
    # When a champion exists: how much worse (absolute) the new version may be on the same test data.
    compare_to_champion: bool = True
    max_regression: float = 0.01


class Exporter(Enum):
    """``dynamo``: torch's torch.export-based exporter; ``torchscript``: the older tracer (faster)."""

    dynamo = "dynamo"
    torchscript = "torchscript"


@dataclass
class ExportConfig:
    """ONNX export and the parity check that guards it."""

    exporter: Exporter = Exporter.dynamo
    opset: int = 18
    # Max |ORT - PyTorch| on logits and embedding, and the argmax agreement needed.
    atol: float = 1e-4
    min_argmax_agreement: float = 1.0
    parity_batch_sizes: list[int] = field(default_factory=lambda: [1, 3, 16])


@dataclass
class PredictConfig:
    """Batch scoring (``task=predict``)."""

    input: Optional[str] = None
    model: Optional[str] = None
    text_column: str = "text"
    chunk_size: int = 1000
    output: str = "predictions.parquet"


@dataclass
class LightshipConfig:
    task: Any = MISSING
    model: Any = MISSING
    data: Any = MISSING
    drift: Any = MISSING
    retrain: Any = MISSING
    serve: Any = MISSING
    trainer: Any = MISSING
    tracking: Any = MISSING
    seed: int = 42
    # Resume an interrupted run: a checkpoint file or the run's output folder (uses checkpoints/last.ckpt).
    resume: Optional[str] = None
    gates: GatesConfig = field(default_factory=GatesConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    predict: PredictConfig = field(default_factory=PredictConfig)
    # Module prefixes a ``_target_`` may name; anything else is refused before instantiation.
    allowed_targets: list[str] = field(default_factory=lambda: ["lightship."])
