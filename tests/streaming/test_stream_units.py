"""Event decoding for every input kind, the Kafka adapter's mapping and its failure without a broker, config composition.

No Kafka broker can be installed here (none ships on PyPI or Debian), so the Kafka adapter is
checked through confluent-kafka's own ``Message`` objects and a real connection attempt that
must fail with a clear error; a live round trip is not tested.
"""

from __future__ import annotations

import base64
import json

import pytest

from lightship.streaming.events import Event, decode


TEXT = {"kind": "text"}
TABULAR = {"kind": "tabular", "columns": [{"name": "amount", "type": "numeric", "nullable": True}, {"name": "country", "type": "categorical"}]}


def kinds(decoded) -> list[tuple[str, str]]:
    return [(letter.event.id, letter.reason) for letter in decoded.dead]


def test_text_events() -> None:
    events = [Event("1", {"text": b"hello"}), Event("2", {"text": "caf\xe9"}), Event("3", {"text": b"\xff"}), Event("4", {"text": b"  "}),
              Event("5", {"row": b"{}"}), Event("6", {"text": 3}), Event("7", {}, invalid=("deleted", "gone"))]
    decoded = decode(events, TEXT)
    assert decoded.inputs == ["hello", "caf\xe9"] and [e.id for e in decoded.events] == ["1", "2"]
    assert kinds(decoded) == [("3", "not_utf8"), ("4", "empty"), ("5", "missing_field"), ("6", "wrong_type"), ("7", "deleted")]
    assert "fields present: row" in decoded.dead[2].message


def test_row_events_are_checked_against_the_model_columns() -> None:
    events = [Event("1", {"row": b'{"amount": 12, "country": "FR"}'}), Event("2", {"row": {"amount": None, "country": "DE"}}),
              Event("3", {"row": b"{amount"}), Event("4", {"row": b"[1, 2]"}), Event("5", {"text": b"x"}),
              Event("6", {"row": b'{"amount": "lots", "country": "FR"}'}), Event("7", {"row": b'{"amount": 1}'}),
              Event("8", {"row": b'{"amount": 1, "country": "FR", "colour": "red"}'}), Event("9", {"row": b'{"amount": 1, "country": null}'})]
    decoded = decode(events, TABULAR)
    assert decoded.inputs == [{"amount": 12.0, "country": "FR"}, {"amount": None, "country": "DE"}]
    assert kinds(decoded) == [("3", "not_json"), ("4", "wrong_type"), ("5", "missing_field"), ("6", "wrong_type"), ("7", "missing_field"),
                              ("8", "extra_field"), ("9", "null_value")]
    messages = {letter.event.id: letter.message for letter in decoded.dead}
    assert "not JSON" in messages["3"] and "expected an object" in messages["4"]
    assert "the row.amount must be a number" in messages["6"] and "lacks column(s) ['country']" in messages["7"]


def test_image_events() -> None:
    png = b"\x89PNG\r\n\x1a\n...."
    events = [Event("1", {"image": base64.b64encode(png)}), Event("2", {"image": b"not base64!"}), Event("3", {"image": b""})]
    decoded = decode(events, {"kind": "image"})
    assert decoded.inputs == [png]
    assert kinds(decoded) == [("2", "wrong_type"), ("3", "empty")]


def test_an_input_kind_without_a_field_is_refused() -> None:
    with pytest.raises(ValueError, match="bundle input kind 'audio' cannot be streamed; known kinds: text, tabular, image"):
        decode([Event("1", {"audio": b"..."})], {"kind": "audio"})


def test_dead_letter_record_keeps_the_original_fields() -> None:
    letter = decode([Event("7-0", {"txt": b"\xffhi"})], TEXT).dead[0]
    record = letter.record("dead", "c1", "3")
    assert record.target == "dead" and record.event_id == "7-0"
    assert record.fields["reason"] == "missing_field" and json.loads(record.fields["fields"]) == {"txt": "\ufffdhi"}
    assert record.fields["consumer"] == "c1" and record.fields["model_version"] == "3"


def test_kafka_message_mapping() -> None:
    from confluent_kafka import Message

    from lightship.streaming.kafka_broker import next_offsets, to_event

    good = to_event(Message(topic="in", partition=2, offset=41, value=b'{"text": "hello"}', timestamp=(1, 1_700_000_000_000)))
    assert (good.id, good.fields, good.produced_at, good.position, good.invalid) == ("2:41", {"text": "hello"}, 1_700_000_000.0, ("in", 2, 41), None)
    not_json = to_event(Message(topic="in", partition=0, offset=1, value=b"hello", timestamp=(0, 0)))
    assert not_json.invalid[0] == "not_json" and not_json.produced_at is None and not_json.fields == {"value": "hello"}
    listed = to_event(Message(topic="in", partition=0, offset=2, value=b"[1]", timestamp=(1, 5)))
    assert listed.invalid[0] == "wrong_type"
    assert [letter.reason for letter in decode([good, not_json, listed], TEXT).dead] == ["not_json", "wrong_type"]
    later = to_event(Message(topic="in", partition=2, offset=45, value=b"{}", timestamp=(1, 5)))
    assert next_offsets([good, not_json, later, listed]) == {("in", 2): 46, ("in", 0): 3}


def test_kafka_option_composes_and_fails_clearly_without_a_broker() -> None:
    from lightship.config.validation import compose_config
    from lightship.streaming.broker import StreamError
    from lightship.tasks.stream import open_broker
    from lightship.serving.server_process import free_port

    cfg = compose_config(["task=stream", "stream=kafka", f"stream.url=127.0.0.1:{free_port()}", "stream.connect_timeout_s=1"])
    assert cfg.stream.name == "kafka" and cfg.stream.input == "lightship.events" and cfg.stream.batch_size == 64
    with pytest.raises(StreamError, match="cannot reach a Kafka broker within 1 s"):
        open_broker(cfg)


def test_stream_group_rejects_unknown_keys_and_options() -> None:
    from lightship.config.validation import compose_config
    from lightship.errors import ConfigError

    with pytest.raises(ConfigError, match="Did you mean 'batch_size'"):
        compose_config(["task=stream", "stream.bach_size=3"])
    with pytest.raises(ConfigError, match="Accepted: kafka, redis"):
        compose_config(["task=stream", "stream=rabbit"])
