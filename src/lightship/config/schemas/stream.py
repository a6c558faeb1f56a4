"""Schema of the ``stream`` group: the broker, the streams, micro-batching and the consumer's metrics.

``task=stream`` reads events from ``input``, scores them in micro-batches through the
bundle's runtime (model and runtime settings as for serving: ``stream.model`` or
``$LIGHTSHIP_MODEL`` or the champion, ``serve.provider``/``precision``/threads, the live
store ``serve.store_path``, the alias watcher ``serve.watch_interval_s``) and writes one
prediction per event to ``output``. The broker adapter is the option's ``_target_``.
"""

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

from omegaconf import MISSING

GROUP = "stream"


class StartPosition(Enum):
    """Where a consumer group that does not exist yet starts: the oldest retained event or only new ones."""

    earliest = "earliest"
    latest = "latest"


@dataclass
class StreamConfig:
    # The broker adapter class (takes this config node).
    _target_: str = MISSING
    name: str = MISSING
    # redis://HOST:PORT/DB for Redis; bootstrap servers (HOST:PORT[,HOST:PORT]) for Kafka.
    url: str = MISSING
    # Stream (Redis) or topic (Kafka) names.
    input: str = "lightship:events"
    output: str = "lightship:predictions"
    dead_letter: str = "lightship:dead-letters"
    # Consumer group (shares the load) and this consumer's name in it: stable across restarts, unique per process.
    group: str = "lightship"
    consumer: str = "lightship-1"
    start: StartPosition = StartPosition.earliest
    # Micro-batch: at most batch_size events, waiting at most batch_wait_ms to fill it once the first event is in.
    batch_size: int = 64
    batch_wait_ms: int = 20
    # Longest wait for the first event of a batch when the stream is idle (also bounds how fast SIGTERM is noticed).
    block_ms: int = 250
    # Stop by itself after this many events (scored or dead-lettered); null runs until SIGTERM.
    max_messages: Optional[int] = None
    # Redis: take over pending entries idle this long in another (dead) consumer of the group.
    claim_idle_ms: int = 30_000
    # Redis: how long the per-event keys that make the output idempotent are kept (longer than any redelivery).
    dedup_ttl_s: int = 7 * 24 * 3600
    # Seconds to reach the broker at start before failing with what to check.
    connect_timeout_s: float = 10.0
    # Prometheus metrics over HTTP (GET /metrics); port 0 turns the endpoint off.
    metrics_host: str = "0.0.0.0"
    metrics_port: int = 9400
    # How often consumer lag is read from the broker.
    lag_interval_s: float = 1.0
    # The model to score with (as predict.model); null: $LIGHTSHIP_MODEL, else the champion alias.
    model: Optional[str] = None
    # Client settings passed through unchanged (redis-py connection keywords; librdkafka properties).
    options: dict[str, Any] = field(default_factory=dict)


SCHEMAS = {"stream_schema": StreamConfig}
