"""The stream consumer: micro-batches of events through the serving runtime, one result per event.

Per micro-batch (at most ``stream.batch_size`` events, filled for at most
``stream.batch_wait_ms`` once the first one is in):

1. decode each event's input field by the model's input kind (bad ones become dead letters);
2. score the inputs with :func:`lightship.serving.scoring.score`, the function behind
   ``POST /predict`` and ``task=predict``, on the model the holder serves now (one model for
   the whole batch, even if a hot swap lands meanwhile);
3. record the predictions in the live store (ids ``<input>/<event id>``, so a redelivered
   event is not stored twice) and queue the batch for the live drift monitor;
4. commit: write predictions and dead letters and acknowledge the events in one broker
   operation that skips event ids already written (see :mod:`lightship.streaming.broker`).

A stop request (SIGTERM) is honoured between batches: the batch in flight is finished and
committed first.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Optional, Sequence

from lightship.serving.holder import LoadedModel, ModelHolder
from lightship.inference.scoring import ScoredBatch, score
from lightship.serving.store import PredictionRecord, PredictionStore
from lightship.streaming.broker import Broker
from lightship.streaming.events import Decoded, DeadLetter, Event, OutputRecord, decode
from lightship.streaming.metrics import StreamMetrics

log = logging.getLogger(__name__)


@dataclass
class StreamSummary:
    events: int = 0
    predictions: int = 0
    dead_letters: int = 0
    written: int = 0
    duplicates_skipped: int = 0
    batches: int = 0
    seconds: float = 0.0
    stopped_by: str = ""
    model_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stored_text(value: Any) -> Optional[str]:
    """What the live store keeps as an input's text: the text, a row as JSON, nothing for an image."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return None


class StreamConsumer:
    """One consumer of a group (``cfg`` is the ``stream`` config node)."""

    def __init__(
        self, broker: Broker, holder: ModelHolder, cfg: Any, *, max_batch_tokens: Optional[int] = None,
        metrics: Optional[StreamMetrics] = None, store: Optional[PredictionStore] = None, drift: Any = None, keep_text: bool = True,
    ) -> None:
        self.broker, self.holder, self.cfg = broker, holder, cfg
        self.max_batch_tokens = max_batch_tokens
        self.metrics, self.store, self.drift, self.keep_text = metrics, store, drift, keep_text
        self.summary = StreamSummary()
        self._next_lag = 0.0

    # -- the loop ----------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> StreamSummary:
        """Consume until ``stop`` is set or ``stream.max_messages`` events are done."""
        started = time.perf_counter()
        limit = self.cfg.max_messages
        while not stop.is_set():
            remaining = None if limit is None else int(limit) - self.summary.events
            if remaining is not None and remaining <= 0:
                self.summary.stopped_by = "max_messages"
                break
            want = min(int(self.cfg.batch_size), remaining) if remaining is not None else int(self.cfg.batch_size)
            read_started = time.perf_counter()
            events = self._collect(want, stop)
            if events:
                self.process(events, time.perf_counter() - read_started)
            self._update_lag()
        else:
            self.summary.stopped_by = "signal"
        self._update_lag(force=True)
        self.summary.seconds = round(time.perf_counter() - started, 3)
        return self.summary

    def _collect(self, want: int, stop: threading.Event) -> list[Event]:
        events = self.broker.read(want, int(self.cfg.block_ms))
        deadline = time.monotonic() + int(self.cfg.batch_wait_ms) / 1000.0
        while events and len(events) < want and not stop.is_set():
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                break
            more = self.broker.read(want - len(events), left_ms)
            if not more:
                break
            events += more
        return events

    # -- one micro-batch ----------------------------------------------------------------------
    def process(self, events: Sequence[Event], read_s: float = 0.0) -> int:
        """Score, store and commit one micro-batch; returns the results written."""
        model = self.holder.current
        assert model is not None, "the holder has no model: call holder.start() first"
        seconds = {"read": read_s}
        t0 = time.perf_counter()
        decoded = decode(events, model.resolved.bundle.input)
        seconds["decode"] = time.perf_counter() - t0
        batch, failed = self._score(model, decoded)
        if batch is not None:
            seconds.update(batch.seconds)
        dead = decoded.dead + failed
        t1 = time.perf_counter()
        predictions = self._predictions(model, decoded.events, decoded.inputs, batch)
        if self.store is not None and predictions:
            self.store.record_predictions([record for record, _ in predictions], keep_text=self.keep_text, ignore_existing=True)
        if self.drift is not None and batch is not None:
            self.drift.observe(model, batch, decoded.inputs)
        seconds["store"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        records = [output for _, output in predictions]
        records += [letter.record(str(self.cfg.dead_letter), str(self.cfg.consumer), model.version) for letter in dead]
        written = self.broker.commit(records, events)
        seconds["write"] = time.perf_counter() - t2
        self._account(model, events, predictions, dead, written, seconds)
        return written

    def _score(self, model: LoadedModel, decoded: Decoded) -> tuple[Optional[ScoredBatch], list[DeadLetter]]:
        """Score the batch; if the model raises, score event by event and dead-letter the ones that fail."""
        if not decoded.inputs:
            return None, []
        try:
            return score(model.runtime, decoded.inputs, int(self.cfg.batch_size), self.max_batch_tokens), []
        except Exception as exc:
            log.warning("scoring a micro-batch of %d failed (%s); scoring its events one by one", len(decoded.inputs), exc)
        failed = []
        for event, value in zip(decoded.events, decoded.inputs):
            try:
                score(model.runtime, [value])
            except Exception as exc:
                failed.append(DeadLetter(event, "scoring_failed", f"the model could not score this event: {exc}"))
        keep = {id(letter.event) for letter in failed}
        decoded.inputs = [value for event, value in zip(decoded.events, decoded.inputs) if id(event) not in keep]
        decoded.events = [event for event in decoded.events if id(event) not in keep]
        return (score(model.runtime, decoded.inputs, int(self.cfg.batch_size), self.max_batch_tokens) if decoded.inputs else None), failed

    def _predictions(self, model: LoadedModel, events: Sequence[Event], inputs: Sequence[Any], batch: Optional[ScoredBatch]) -> list[tuple[PredictionRecord, OutputRecord]]:
        if batch is None:
            return []
        pairs = []
        prefix, target = f"{self.cfg.input}/", str(self.cfg.output)
        for event, value, item in zip(events, inputs, batch.items):
            text = stored_text(value)
            record = PredictionRecord(prefix + event.id, text, len(text or ""), item.tokens, False, item.label, item.confidence,
                                      item.probabilities, model.name, model.version)
            output = OutputRecord(event.id, target, {"event_id": event.id, "label": item.label,
                                                     "probabilities": json.dumps(item.probabilities), "model_version": model.version})
            pairs.append((record, output))
        return pairs

    # -- accounting ------------------------------------------------------------------------------
    def _account(self, model: LoadedModel, events: Sequence[Event], predictions: list, dead: list[DeadLetter], written: int, seconds: dict[str, float]) -> None:
        summary = self.summary
        summary.events += len(events)
        summary.predictions += len(predictions)
        summary.dead_letters += len(dead)
        summary.written += written
        summary.duplicates_skipped += len(predictions) + len(dead) - written
        summary.batches += 1
        summary.model_version = model.version
        for letter in dead:
            log.warning("dead letter %s (%s): %s", letter.event.id, letter.reason, letter.message)
        metrics = self.metrics
        if metrics is None:
            return
        now = time.time()
        metrics.events_in.inc(len(events))
        metrics.events_out.inc(written)
        metrics.duplicates.inc(len(predictions) + len(dead) - written)
        metrics.batch_events.observe(len(events))
        for letter in dead:
            metrics.dead_letters.labels(letter.reason).inc()
        for stage, value in seconds.items():
            metrics.stage_seconds.labels(stage).observe(value)
        for record, _ in predictions:
            metrics.predicted.labels(record.label).inc()
        for event in events:
            if event.produced_at is not None:
                metrics.end_to_end.observe(max(now - event.produced_at, 0.0))

    def _update_lag(self, force: bool = False) -> None:
        if self.metrics is None or (not force and time.monotonic() < self._next_lag):
            return
        self._next_lag = time.monotonic() + float(self.cfg.lag_interval_s)
        try:
            lag = self.broker.lag()
        except Exception as exc:  # lag is advisory: never stop consuming over it
            log.debug("cannot read consumer lag: %s", exc)
            return
        if lag.undelivered is not None:
            self.metrics.lag.set(lag.undelivered)
        if lag.pending is not None:
            self.metrics.pending.set(lag.pending)
