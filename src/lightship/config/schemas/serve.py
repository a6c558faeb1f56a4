"""Schema of the ``serve`` group: runtime, batching, limits and the live store."""

from dataclasses import dataclass
from enum import Enum

from omegaconf import MISSING

GROUP = "serve"


class Provider(Enum):
    """ONNX Runtime execution provider asked for; ``cuda`` falls back to CPU visibly."""

    cuda = "cuda"
    cpu = "cpu"


class Precision(Enum):
    fp32 = "fp32"
    int8 = "int8"


class OverlongPolicy(Enum):
    """What happens to a text over ``max_text_chars``."""

    truncate = "truncate"
    refuse = "refuse"


@dataclass
class ServeConfig:
    name: str = MISSING
    provider: Provider = Provider.cuda
    require_gpu: bool = False
    precision: Precision = Precision.fp32
    io_binding: bool = True
    intra_op_threads: int = 0
    inter_op_threads: int = 1
    workers: int = 1
    max_batch_size: int = 32
    max_batch_tokens: int = 4096
    max_latency_ms: int = 100
    timeout_s: int = 30
    max_concurrency: int = 64
    max_texts_per_request: int = 64
    max_text_chars: int = 5000
    max_payload_bytes: int = 1_000_000
    overlong: OverlongPolicy = OverlongPolicy.truncate
    store_path: str = "lightship_predictions.db"
    watch_interval_s: float = 30.0
    reload_token_env: str = "LIGHTSHIP_RELOAD_TOKEN"
    port: int = 3000


SCHEMAS = {"serve_schema": ServeConfig}
