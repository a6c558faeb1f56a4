"""``task=stream``: consume an event stream and write one prediction per event (settings: ``stream.*``).

The model is named like the service's (``stream.model``, else ``$LIGHTSHIP_MODEL``, else
the champion alias) and loaded by the service's :class:`~lightship.serving.holder.ModelHolder`
with the ``serve`` group's runtime settings; the alias watcher (``serve.watch_interval_s``)
hot-swaps it. Predictions go to the service's live store (``serve.store_path``) and live drift
monitor (``drift.live``). The broker is the ``stream`` option's ``_target_``
(:mod:`lightship.streaming.redis_broker`, :mod:`lightship.streaming.kafka_broker`).

SIGTERM or SIGINT: the batch in flight is finished and committed, then the task writes its
counts to ``stream_summary.json`` in the run folder and returns.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from contextlib import ExitStack, contextmanager
from typing import Any, Iterator

from omegaconf import DictConfig

from lightship.errors import ConfigError
from lightship.tasks.context import output_dir

log = logging.getLogger(__name__)

SUMMARY_FILE = "stream_summary.json"  # the counts, written to the run folder when the consumer stops
MAX_BATCH = 4096  # events per micro-batch: Redis' Lua stack bounds one commit's acknowledgements


def check_settings(stream: DictConfig) -> None:
    """Values the schema's types cannot bound; fails before any connection or model load."""
    bounds = {"batch_size": (1, MAX_BATCH), "batch_wait_ms": (0, None), "block_ms": (1, None), "claim_idle_ms": (1, None),
              "dedup_ttl_s": (1, None), "metrics_port": (0, 65535), "connect_timeout_s": (0.001, None), "lag_interval_s": (0.001, None)}
    for key, (low, high) in bounds.items():
        value = stream[key]
        if value < low or (high is not None and value > high):
            accepted = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"stream.{key}={value}: out of range; accepted: {accepted}.")
    if stream.max_messages is not None and stream.max_messages < 1:
        raise ConfigError(f"stream.max_messages={stream.max_messages}: must be a positive number of events, or null to run until SIGTERM.")
    if len({stream.input, stream.output, stream.dead_letter}) < 3:
        raise ConfigError(f"stream.input, stream.output and stream.dead_letter must be three different streams (got "
                          f"{stream.input!r}, {stream.output!r}, {stream.dead_letter!r}).")


def open_broker(cfg: DictConfig) -> Any:
    """The ``stream`` option's adapter (its ``_target_``, allow-listed), connected."""
    from hydra.utils import get_class

    from lightship.config.targets import check_targets

    check_targets(cfg.stream, list(cfg.allowed_targets))
    return get_class(cfg.stream._target_)(cfg.stream)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGTERM / SIGINT while inside the block (main thread only), then restore the handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        log.info("%s: finishing the batch in flight, then stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Consume ``stream.input`` until ``stream.max_messages`` events or a stop signal; return the counts."""
    from lightship.monitoring.live import LiveDriftMonitor
    from lightship.serving.holder import ModelHolder, RuntimeOptions
    from lightship.serving.reference import ModelReference
    from lightship.serving.settings import MODEL_ENV
    from lightship.serving.store import PredictionStore
    from lightship.serving.telemetry import DriftMetrics
    from lightship.streaming.consumer import StreamConsumer
    from lightship.streaming.events import input_field
    from lightship.streaming.metrics import StreamMetrics
    from lightship.tracking.uri import resolve_tracking_uri

    stream, serve = cfg.stream, cfg.serve
    check_settings(stream)
    reference = ModelReference.parse(stream.model or os.environ.get(MODEL_ENV), cfg.tracking.model_name, cfg.tracking.champion_alias)
    metrics = StreamMetrics(int(stream.batch_size))
    alias = reference.alias or ""
    options = RuntimeOptions.from_serve(serve)
    holder = ModelHolder(reference, resolve_tracking_uri(cfg.tracking.uri), options, list(serve.smoke_texts),
                         on_change=lambda model: metrics.serving(model.name, model.version, alias, model.labels),
                         on_outcome=lambda outcome: metrics.swaps.labels(outcome.outcome).inc() if outcome.outcome != "unchanged" else None)
    stop = threading.Event()
    with ExitStack() as cleanup:  # closed in reverse order, whatever fails
        broker = open_broker(cfg)
        cleanup.callback(broker.close)
        model = holder.start()
        cleanup.callback(lambda: holder.current.resolved.release() if holder.current else None)
        cleanup.callback(holder.stop)
        try:
            input_field(model.resolved.bundle.input_kind)
        except ValueError as exc:
            raise ConfigError(f"stream.model={reference.text}: {exc}") from exc
        store = PredictionStore(serve.store_path)
        cleanup.callback(store.close)
        drift = LiveDriftMonitor(cfg.drift, DriftMetrics(metrics.registry)).start() if cfg.drift.live else None
        if drift is not None:
            cleanup.callback(drift.stop)
        if stream.metrics_port:
            server = metrics.serve_http(str(stream.metrics_host), int(stream.metrics_port))
            cleanup.callback(server.server_close)
            cleanup.callback(server.shutdown)
        if serve.watch_interval_s > 0 and reference.follows_alias:
            holder.watch(float(serve.watch_interval_s))
        consumer = StreamConsumer(broker, holder, stream, max_batch_tokens=int(serve.max_batch_tokens), metrics=metrics, store=store,
                                  drift=drift, keep_text=bool(serve.store_texts))
        log.info("Consuming %s (%s) as %s/%s with %s version %s%s", stream.input, stream.name, stream.group, stream.consumer,
                 model.name, model.version, f"; metrics on http://{stream.metrics_host}:{stream.metrics_port}/metrics" if stream.metrics_port else "")
        with stop_on_signals(stop):
            summary = consumer.run(stop)
    result = {**summary.to_dict(), "input": stream.input, "output": stream.output, "dead_letter": stream.dead_letter,
              "group": stream.group, "consumer": stream.consumer, "model": reference.text}
    (output_dir() / SUMMARY_FILE).write_text(json.dumps(result, indent=2))
    log.info("Stream consumer stopped: %s", result)
    return result
