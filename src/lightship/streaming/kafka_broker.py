"""Kafka through confluent-kafka (``stream=kafka``): the scale path.

- Input: a topic read by a consumer group (``stream.group``; partitions are the unit of
  parallelism, so run up to one consumer per partition). Each message value is a JSON
  object with the input field (``{"text": ...}``, ``{"row": {...}}``, ``{"image": "<base64>"}``);
  a value that is not a JSON object is dead-lettered. The event id is ``partition:offset``.
- Output and dead letters: JSON values keyed by the event id, produced in a transaction
  that also commits the consumer's offsets (``send_offsets_to_transaction``), so results
  and progress land together or not at all: exactly-once between Kafka topics. Read the
  output with ``isolation.level=read_committed``; a compacted output topic keeps one
  prediction per event id even across a producer fencing.
- Recovery: offsets move only with a committed transaction, so a killed consumer's
  partitions are re-read from the last commit by whichever consumer gets them next.
- ``stream.options`` go to both the consumer and the producer (security, SASL, ...).

No Kafka broker installs from PyPI or Debian, so the test suite checks this adapter's
message mapping and its failure on an unreachable broker, not a live round trip.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Sequence

from lightship.streaming.broker import Lag, StreamError
from lightship.streaming.events import Event, OutputRecord

log = logging.getLogger(__name__)


def to_event(message: Any) -> Event:
    """A consumed message as an event; a value that is not a JSON object becomes an invalid event."""
    event_id = f"{message.partition()}:{message.offset()}"
    kind, stamp = message.timestamp()
    produced_at = stamp / 1000.0 if kind and stamp and stamp > 0 else None
    position = (message.topic(), message.partition(), message.offset())
    raw = message.value()
    try:
        value = json.loads(raw) if raw is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        preview = {"value": raw.decode("utf-8", "replace")[:1000]}
        return Event(event_id, preview, produced_at, ("not_json", f"message value is not JSON ({exc}); send a JSON object"), position)
    if not isinstance(value, dict):
        return Event(event_id, {"value": value}, produced_at,
                     ("wrong_type", f"message value is a JSON {type(value).__name__}, expected an object with the input field"), position)
    return Event(event_id, value, produced_at, position=position)


def next_offsets(events: Sequence[Event]) -> dict[tuple[str, int], int]:
    """Per (topic, partition): the offset after the last event, which is what Kafka commits."""
    offsets: dict[tuple[str, int], int] = {}
    for event in events:
        topic, partition, offset = event.position
        offsets[(topic, partition)] = max(offsets.get((topic, partition), 0), offset + 1)
    return offsets


class KafkaTopics:
    """The ``stream`` config's Kafka adapter (see the module docstring)."""

    def __init__(self, cfg: Any) -> None:
        from confluent_kafka import Consumer, KafkaException, Producer

        self.cfg = cfg
        self.timeout = float(cfg.connect_timeout_s)
        # librdkafka's own log lines go through Python logging (else straight to stderr).
        common = {"bootstrap.servers": str(cfg.url), "logger": log, **dict(cfg.options)}
        self.consumer = Consumer({
            **common, "group.id": str(cfg.group), "client.id": str(cfg.consumer), "enable.auto.commit": False,
            "auto.offset.reset": cfg.start.value, "isolation.level": "read_committed",
        })
        self.producer = Producer({**common, "transactional.id": f"{cfg.group}.{cfg.consumer}", "enable.idempotence": True})
        try:
            self.consumer.list_topics(timeout=self.timeout)
            self.producer.init_transactions(self.timeout)
        except KafkaException as exc:
            self.consumer.close()
            raise StreamError(f"stream.url={cfg.url}: cannot reach a Kafka broker within {self.timeout:g} s ({exc}). "
                              "Check the bootstrap servers, stream.options (security settings) and that the broker "
                              "supports transactions.") from exc
        self.consumer.subscribe([str(cfg.input)])

    def read(self, max_count: int, block_ms: int) -> list[Event]:
        from confluent_kafka import KafkaException

        events = []
        for message in self.consumer.consume(num_messages=max_count, timeout=block_ms / 1000.0):
            error = message.error()
            if error is None:
                events.append(to_event(message))
            elif error.fatal():
                raise KafkaException(error)
            else:
                log.warning("kafka: %s", error)
        return events

    def commit(self, records: Sequence[OutputRecord], events: Sequence[Event]) -> int:
        from confluent_kafka import KafkaException, TopicPartition

        offsets = [TopicPartition(topic, partition, offset) for (topic, partition), offset in next_offsets(events).items()]
        self.producer.begin_transaction()
        try:
            for record in records:
                self.producer.produce(record.target, key=record.event_id.encode(), value=json.dumps(record.fields).encode())
            self.producer.send_offsets_to_transaction(offsets, self.consumer.consumer_group_metadata(), self.timeout)
            self.producer.commit_transaction(self.timeout)
        except KafkaException as exc:
            if not exc.args[0].txn_requires_abort():
                raise
            # Nothing of this batch is visible; rewind so its events are read and scored again.
            self.producer.abort_transaction(self.timeout)
            for (topic, partition), offset in _first_offsets(events).items():
                self.consumer.seek(TopicPartition(topic, partition, offset))
            log.warning("kafka transaction aborted (%s); %d events will be read again", exc, len(events))
            return 0
        return len(records)

    def lag(self) -> Lag:
        """Messages after this consumer's position summed over its assigned partitions (pending is always 0)."""
        behind = 0
        for position in self.consumer.position(self.consumer.assignment()):
            _, high = self.consumer.get_watermark_offsets(position, timeout=self.timeout, cached=True)
            if position.offset >= 0 and high >= 0:
                behind += max(high - position.offset, 0)
        return Lag(behind, 0)

    def close(self) -> None:
        self.producer.flush(self.timeout)
        self.consumer.close()


def _first_offsets(events: Sequence[Event]) -> dict[tuple[str, int], int]:
    first: dict[tuple[str, int], int] = {}
    for event in events:
        topic, partition, offset = event.position
        first[(topic, partition)] = min(first.get((topic, partition), offset), offset)
    return first
