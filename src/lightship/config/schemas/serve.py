"""Schema of the ``serve`` group: runtime, batching, limits, the live store and hot swap.

The BentoML service composes this group from ``conf/`` (overrides from
``$LIGHTSHIP_OVERRIDES``), so training and serving share one config language.
"""

from dataclasses import dataclass, field
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
    # The bundle's fp16 graph (image models, for CUDA), when its gate accepted it.
    fp16 = "fp16"


class ShadowIsolation(Enum):
    """Where the challenger scores: its own niced process per worker, or a niced thread of the worker."""

    process = "process"
    thread = "thread"


@dataclass
class ShadowConfig:
    """Shadow deployment: the version under ``tracking.challenger_alias`` answers a copy of the traffic, off the request path."""

    enabled: bool = False
    # Share of /predict items mirrored to the challenger (sampled per batch item, seeded per worker).
    fraction: float = 1.0
    # Mirrored batches waiting for the challenger; a full queue drops the mirror (counted), never the caller's request.
    queue_size: int = 256
    # ONNX Runtime threads of the challenger's session: it shares the worker's cores with the champion.
    intra_op_threads: int = 1
    # How long the mirror thread gathers mirrored items into one challenger run (up to serve.max_batch_size):
    # larger runs cost less CPU per item, and no caller waits for them.
    gather_ms: int = 50
    # Where the challenger scores. process: a child process per worker (spawned when a challenger loads, ended when it
    # is released) does its tokenizing and graph runs, so it never holds the worker's GIL; costs the challenger's
    # memory once more and a copy of each mirrored batch through a pipe. thread: in the worker's mirror thread.
    isolation: ShadowIsolation = ShadowIsolation.process
    # Niceness added to the challenger (the child process, or the mirror thread: Linux, per thread; capped at 19), so
    # the champion's threads get the cores first and the challenger runs on what they leave; 0: the worker's priority.
    nice: int = 19


class OverlongPolicy(Enum):
    """What happens to a text over ``max_text_chars``: cut it (and say so) or refuse the request."""

    truncate = "truncate"
    refuse = "refuse"


@dataclass
class ServeConfig:
    name: str = MISSING
    # Runtime: provider asked for, whether CPU is acceptable, IO binding and CPU threads (0 = ORT default).
    provider: Provider = Provider.cuda
    require_gpu: bool = False
    precision: Precision = Precision.fp32
    io_binding: bool = True
    intra_op_threads: int = 0
    inter_op_threads: int = 1
    # Whether ORT's idle intra-op threads spin between runs. Spinning buys microseconds for one caller on an idle
    # machine and burns the cores that concurrent requests, the clients and the shadow need (docs/serving.md).
    allow_spinning: bool = False
    # BentoML: worker processes, adaptive batching and per-request timeout.
    workers: int = 1
    max_batch_size: int = 32
    # Cap on rows x longest text per model run: an adaptive batch over it is split into length groups (serving/scoring.py).
    max_batch_tokens: int = 4096
    max_latency_ms: int = 100
    timeout_s: int = 30
    # Requests in flight per worker before new ones are shed with 503 + Retry-After.
    max_concurrency: int = 64
    retry_after_s: int = 1
    # Input limits (checked before anything reaches the model).
    max_texts_per_request: int = 64
    max_text_chars: int = 5000
    max_payload_bytes: int = 1_000_000
    overlong: OverlongPolicy = OverlongPolicy.truncate
    # Live store (SQLite): predictions and feedback, read later by drift and retraining.
    store_path: str = "lightship_predictions.db"
    store_texts: bool = True
    # Live accuracy / recall are computed over the most recent N feedback rows.
    quality_window: int = 1000
    # Hot swap: alias poll interval (<= 0 disables the watcher) and the reload endpoint's token.
    watch_interval_s: float = 30.0
    reload_token_env: str = "LIGHTSHIP_RELOAD_TOKEN"
    # Texts a newly loaded version must score (finite probabilities over its labels) before it serves.
    smoke_texts: list[str] = field(default_factory=lambda: ["lightship smoke prediction", "a second, longer smoke text"])
    port: int = 3000
    shadow: ShadowConfig = field(default_factory=ShadowConfig)


SCHEMAS = {"serve_schema": ServeConfig}
