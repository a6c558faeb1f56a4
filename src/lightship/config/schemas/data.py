"""Schemas of the ``data`` group: the built-in synthetic stream and the user's text files."""

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from omegaconf import MISSING

GROUP = "data"


class DriftKind(Enum):
    """Shape of the change the synthetic stream goes through after ``drift.start``."""

    none = "none"
    sudden = "sudden"
    gradual = "gradual"
    recurring = "recurring"


class FileFormat(Enum):
    """Format of a text file; ``auto`` picks it from the extension."""

    auto = "auto"
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


@dataclass
class DataConfig:
    """Fields every data pipeline has: splits, batch size and the protected class."""

    _target_: str = MISSING
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    # Fraction of the train split actually used (learning curves, pretrained vs custom).
    train_fraction: float = 1.0
    batch_size: int = 32
    num_workers: int = 0
    # Train batches of texts of similar token length (less padding); the order is still drawn from the seed.
    bucket_by_length: bool = True
    min_rows_per_class: int = 5
    # Label of the rare, high-risk class whose recall is gated and monitored (None: no such class).
    high_risk_label: Optional[str] = None


@dataclass
class SyntheticDriftConfig:
    """Drift knobs of the built-in stream; all off by default."""

    kind: DriftKind = DriftKind.none
    # Position of the (first) change point, as a fraction of the stream's time span.
    start: float = 0.5
    # Share of class keywords replaced by new vocabulary after the change (0..1).
    vocab_shift: float = 0.6
    # How far the class mix moves towards the shifted priors after the change (0..1).
    class_mix_shift: float = 0.5
    # A new label (``new_category_label``) appears after the change.
    new_category: bool = False
    new_category_label: str = "outage"
    # Period of a recurring drift, as a fraction of the time span.
    period: float = 0.25


@dataclass
class SyntheticConfig(DataConfig):
    """A seeded, realistic support-ticket stream with a rare high-risk ``fraud`` class."""

    n_rows: int = 6000
    start_date: str = "2026-01-01"
    days: int = 120
    label_noise: float = 0.02
    high_risk_label: Optional[str] = "fraud"
    drift: SyntheticDriftConfig = field(default_factory=SyntheticDriftConfig)


@dataclass
class TextFileConfig(DataConfig):
    """The user's own texts in CSV, JSON lines or Parquet."""

    path: str = MISSING
    text_column: str = "text"
    label_column: str = "label"
    time_column: Optional[str] = None
    format: FileFormat = FileFormat.auto
    # Drop unusable rows (empty text, missing label) and report them instead of failing.
    drop_invalid_rows: bool = False


class ColumnType(Enum):
    """Type of a table column: numbers, categories (strings) or booleans."""

    numeric = "numeric"
    categorical = "categorical"
    boolean = "boolean"


class NumericMissing(Enum):
    """How a missing number is filled (inside the exported graph), or ``error``: such rows are invalid."""

    mean = "mean"
    median = "median"
    zero = "zero"
    error = "error"


class CategoricalMissing(Enum):
    """A missing category is a ``category`` of its own, goes to the ``unknown`` bucket, or is an ``error``."""

    category = "category"
    unknown = "unknown"
    error = "error"


class BooleanMissing(Enum):
    """A missing boolean becomes the train split's most common value (``mode``), false (``zero``), or is an ``error``."""

    mode = "mode"
    zero = "zero"
    error = "error"


@dataclass
class MissingPolicy:
    """Missing-value policy per column type (the fill values come from the train split)."""

    numeric: NumericMissing = NumericMissing.mean
    categorical: CategoricalMissing = CategoricalMissing.category
    boolean: BooleanMissing = BooleanMissing.mode


@dataclass
class TabularFileConfig(DataConfig):
    """The user's own table (CSV, JSON lines or Parquet) for ``model=tabular_mlp`` or ``model=gbdt``."""

    path: str = MISSING
    label_column: str = "label"
    time_column: Optional[str] = None
    # Feature columns (None: every column but the label and time columns).
    features: Optional[list[str]] = None
    # Declared column types ({name: numeric|categorical|boolean}); the others are inferred.
    columns: dict[str, ColumnType] = field(default_factory=dict)
    missing: MissingPolicy = field(default_factory=MissingPolicy)
    format: FileFormat = FileFormat.auto
    # Drop unusable rows (missing label, a value of the wrong type, ...) and report them instead of failing.
    drop_invalid_rows: bool = False


@dataclass
class TransactionsDriftConfig:
    """Drift knobs of the built-in transaction stream; all off by default (see lightship.data.transactions)."""

    # Position of the change, as a fraction of the stream's time span.
    start: float = 0.5
    # After the change every amount is multiplied by 1 + amount_inflation.
    amount_inflation: float = 0.0
    # New merchant categories (new_cat_1, ...) after the change: their share of the traffic and of the fraud.
    new_categories: int = 0
    new_category_share: float = 0.15
    new_category_fraud: float = 0.7
    # Share of the fraud after the change that follows the second pattern (small amounts at high velocity).
    fraud_pattern_shift: float = 0.0
    # Days after the change before the fraud changes (its share in the new categories, pattern B): traffic moves first.
    fraud_delay_days: float = 0.0


@dataclass
class TransactionsConfig(DataConfig):
    """A seeded card-transaction stream with rare fraud (about 0.5%), split by time."""

    n_rows: int = 60000
    start_date: str = "2026-01-01"
    days: int = 180
    fraud_rate: float = 0.005
    # Share of fraud rows that copy half their columns from legitimate traffic.
    camouflage: float = 0.25
    high_risk_label: Optional[str] = "fraud"
    min_rows_per_class: int = 20
    batch_size: int = 256
    drift: TransactionsDriftConfig = field(default_factory=TransactionsDriftConfig)


SCHEMAS = {"synthetic_schema": SyntheticConfig, "text_file_schema": TextFileConfig, "tabular_file_schema": TabularFileConfig,
           "transactions_schema": TransactionsConfig}
