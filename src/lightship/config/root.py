"""Schema of the primary config: the groups plus the settings every run shares."""

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

from omegaconf import II, MISSING


@dataclass
class GatesConfig:
    """Promotion gates: a version becomes champion only when all of them pass."""

    min_accuracy: float = 0.6
    min_macro_f1: float = 0.5
    # Floor on every class's recall, and a separate floor on the high-risk class.
    min_class_recall: float = 0.0
    min_high_risk_recall: float = 0.5
    # Floor on the high-risk detection rate at the alert budget (test recall_at_alert_rate, see metrics.alert_rate);
    # against a champion it may not regress by more than max_regression either.
    min_detection_rate: float = 0.0
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
    # Parity on logits and embedding: |ORT - PyTorch| <= atol + rtol * |PyTorch| everywhere (numpy's allclose rule;
    # rtol lets deep backbones' large logits and features differ by their float32 rounding), and the argmax agreement needed.
    atol: float = 1e-4
    rtol: float = 1e-4
    min_argmax_agreement: float = 1.0
    parity_batch_sizes: list[int] = field(default_factory=lambda: [1, 3, 16])
    # ORT transformer optimizer (fused attention / layer norm / GELU where patterns match); the fused graph must pass parity too.
    optimize: bool = True
    # A dynamically quantized int8 graph for serve.precision=int8, refused when its test accuracy is more
    # than max_int8_accuracy_drop (absolute) below fp32's.
    int8: bool = True
    max_int8_accuracy_drop: float = 0.01


class ThresholdTarget(Enum):
    """How the high-risk class is decided: the most probable class, or a threshold on its probability chosen on
    validation so that ``metrics.alert_rate`` of the rows are flagged, or so that precision reaches ``metrics.precision_target``."""

    argmax = "argmax"
    alert_rate = "alert_rate"
    precision = "precision"


@dataclass
class MetricsConfig:
    """Metrics of the rare high-risk class (``data.high_risk_label``) and its decision threshold."""

    # Share of traffic the team can afford to flag: recall_at_alert_rate is the detection rate at this budget.
    alert_rate: float = 0.01
    # recall_at_precision is the best recall whose precision is at least this.
    precision_target: float = 0.5
    # Stored in the bundle (manifest ``decision``) and applied by serving, batch scoring and the release's metrics.
    threshold: ThresholdTarget = ThresholdTarget.argmax


class CalibrationMethod(Enum):
    """``temperature``: one scalar T fitted on validation divides the logits (probabilities that mean what they say,
    which label-free performance estimates rely on); ``none``: the model's own probabilities."""

    temperature = "temperature"
    none = "none"


@dataclass
class CalibrationConfig:
    """Calibration of the bundle's probabilities, fitted on validation before the decision threshold is chosen."""

    method: CalibrationMethod = CalibrationMethod.temperature
    # Equal-width confidence bins of the expected calibration error recorded in the manifest.
    bins: int = 15


class PredictEngine(Enum):
    """Where ``task=predict`` scores (:mod:`lightship.inference.engines`): this process, or Ray Data batches on a Ray cluster."""

    local = "lightship.inference.engines.LocalEngine"
    ray = "lightship.inference.engines.RayEngine"


@dataclass
class RayEngineConfig:
    """``predict.engine=ray``: the cluster (``address``, else ``$RAY_ADDRESS``, else a local instance of ``num_cpus``) and the work split."""

    address: Optional[str] = None
    num_cpus: Optional[int] = None
    # Actors, each with its own copy of the runtime, and rows per Ray Data batch.
    actors: int = 2
    batch_rows: int = 2000


@dataclass
class PredictConfig:
    """Batch scoring (``task=predict``)."""

    input: Optional[str] = None
    model: Optional[str] = None
    text_column: str = "text"
    chunk_size: int = 1000
    output: str = "predictions.parquet"
    # Output columns are <prefix>id, <prefix>label, <prefix>confidence, <prefix>p_<label>, <prefix>model_version;
    # an input column with one of those names is refused (never overwritten).
    output_prefix: str = "pred_"
    engine: PredictEngine = PredictEngine.local
    ray: RayEngineConfig = field(default_factory=RayEngineConfig)


@dataclass
class TrialConfig:
    """Set by ``hydra/sweeper=optuna`` for each job, so training can report to its trial (pruning)."""

    number: Optional[int] = None
    study_name: Optional[str] = None
    storage: Optional[str] = None
    monitor: str = "val_macro_f1"


@dataclass
class BacktestConfig:
    """Replay of a timestamped stream under the ``retrain`` policy (``task=backtest``); durations in days."""

    # Each window is predicted before its labels are revealed, then the policy decides.
    window_days: float = 7.0
    # The first model trains on the first ``warmup_days``; a retrain uses the latest ``train_window_days`` of labels.
    warmup_days: float = 28.0
    train_window_days: float = 28.0
    # Compute budget: each retrain runs this many epochs (in place of trainer.max_epochs), and the
    # model is shrunk by these ``model.*`` values (keys the chosen model does not have are ignored).
    max_epochs: int = 4
    model: dict[str, Any] = field(
        default_factory=lambda: {"hidden_size": 64, "num_layers": 1, "num_heads": 2, "intermediate_size": 128, "max_length": 48, "vocab_size": 2000, "lr": 3e-3}
    )
    # Each replayed model is exported to ONNX and served by its runtime. The TorchScript tracer takes seconds where
    # dynamo takes about a minute per export on 2 cores; a release checks parity for either.
    exporter: Exporter = Exporter.torchscript
    # A window whose accuracy is below this counts as "below the floor".
    accuracy_floor: float = 0.8
    # A window whose high-risk recall is below this is degraded too (0: only accuracy decides).
    high_risk_recall_floor: float = 0.0
    min_window_rows: int = 20
    # Drift shape replayed on the built-in stream when ``data.drift.kind`` is none (``none`` keeps it drift-free).
    stream_drift: str = "sudden"
    # The stream's first change point (ISO time) for ``post_drift_accuracy``; the built-in stream knows its own.
    change_point: Optional[str] = None


@dataclass
class AlertsConfig:
    """Thresholds of ``task=alerts``: Prometheus alert rules and the Grafana dashboard built from them."""

    # Extra PromQL label matchers on every series (e.g. 'job="lightship"'); rate window; how long a condition must hold.
    selector: str = ""
    window: str = "5m"
    pending: str = "5m"
    latency_p99_seconds: float = 0.5
    # Fractions of /predict answers: 5xx other than shedding's 503, and 503 sheds.
    max_error_rate: float = 0.01
    max_shed_rate: float = 0.05
    # Mean confidence of served predictions below this: the model no longer recognises its inputs.
    min_mean_confidence: float = 0.5
    # Largest change of one class's share of predictions over class_mix_window against class_mix_baseline ago.
    max_class_mix_shift: float = 0.15
    class_mix_window: str = "1h"
    class_mix_baseline: str = "1d"
    # Live recall of the high-risk class from feedback, once at least min_labelled items are in the window.
    high_risk_label: str = "fraud"
    min_high_risk_recall: float = 0.5
    min_labelled: int = 50
    drift_pending: str = "15m"
    # Label-free estimated accuracy (lightship_estimated_accuracy, per drift window) below this: the early warning
    # before labels arrive. The same floor as the backtest's windows (backtest.accuracy_floor), declared there.
    min_estimated_accuracy: float = II("backtest.accuracy_floor")
    rules_file: str = "alert_rules.yml"
    dashboard_file: str = "dashboard.json"


@dataclass
class ChoiceConfig:
    """The model-choice rules of ``experiment=model_choice`` (see docs/text_models.md)."""

    # Models slower than this per input at batch 1 (ms, ONNX Runtime) are not recommended (null: no budget).
    latency_budget_ms: Optional[float] = None
    # A cheaper model within this much of the best macro-F1 is recommended over the best.
    margin: float = 0.01
    # Below this many training rows, labelled data counts as scarce and a pretrained model within the margin wins.
    scarce_rows: int = 1000


@dataclass
class LightshipConfig:
    task: Any = MISSING
    model: Any = MISSING
    data: Any = MISSING
    drift: Any = MISSING
    retrain: Any = MISSING
    serve: Any = MISSING
    stream: Any = MISSING
    trainer: Any = MISSING
    tracking: Any = MISSING
    seed: int = 42
    # Resume an interrupted run: a checkpoint file or the run's output folder (uses checkpoints/last.ckpt).
    resume: Optional[str] = None
    gates: GatesConfig = field(default_factory=GatesConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    predict: PredictConfig = field(default_factory=PredictConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    backtest: BacktestConfig = field(default_factory=BacktestConfig)
    trial: TrialConfig = field(default_factory=TrialConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    choice: ChoiceConfig = field(default_factory=ChoiceConfig)
    # Module prefixes a ``_target_`` may name; anything else is refused before instantiation.
    allowed_targets: list[str] = field(default_factory=lambda: ["lightship."])
