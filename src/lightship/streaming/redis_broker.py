"""Redis Streams with a consumer group (``stream=redis``).

Reading, in order of priority:

1. this consumer's own pending entries (delivered before a crash, never acknowledged),
   once at start;
2. entries another consumer of the group left pending for ``claim_idle_ms``
   (``XAUTOCLAIM``: a consumer that died and is not coming back);
3. new entries (``XREADGROUP ... >``).

Committing runs one Lua script (atomic in Redis): per record, ``SET <output>:done:<input>:<event id>
NX EX dedup_ttl_s`` and only when that key is new ``XADD`` the record; then ``XACK`` the events.
A redelivered event therefore never writes a second prediction. The per-event keys are not
declared to the script, so a Redis Cluster needs all names in one hash slot (``{tag}`` names).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Optional, Sequence

from lightship.streaming.broker import Lag, StreamError
from lightship.streaming.events import Event, OutputRecord

log = logging.getLogger(__name__)

# KEYS: input, output, dead-letter stream. ARGV: group, dedup key prefix, ttl, record count, then per record:
# event id, target (2 = output, 3 = dead letters: an index into KEYS), its fields as a JSON list [name, value, ...];
# then the ids to acknowledge.
COMMIT = """
local group, prefix, ttl, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local i, written = 5, 0
for _ = 1, n do
  if redis.call('SET', prefix .. ARGV[i], '1', 'NX', 'EX', ttl) then
    redis.call('XADD', KEYS[tonumber(ARGV[i + 1])], '*', unpack(cjson.decode(ARGV[i + 2])))
    written = written + 1
  end
  i = i + 3
end
if i <= #ARGV then
  redis.call('XACK', KEYS[1], group, unpack(ARGV, i, #ARGV))
end
return written
"""


def _entry_time(entry_id: str) -> Optional[float]:
    """Unix seconds from an entry id's millisecond part (ids made by ``XADD *``)."""
    try:
        return int(entry_id.split("-", 1)[0]) / 1000.0
    except ValueError:
        return None


def to_events(entries: Sequence[tuple[bytes, Optional[dict[bytes, bytes]]]]) -> list[Event]:
    """Stream entries as events: ids and field names as str, values as the bytes Redis holds."""
    events = []
    for raw_id, fields in entries:
        entry_id = raw_id.decode()
        if fields is None:  # trimmed or deleted while pending
            events.append(Event(entry_id, {}, _entry_time(entry_id), ("deleted", "the entry was deleted from the stream before it was processed")))
        else:
            events.append(Event(entry_id, {name.decode("utf-8", "replace"): value for name, value in fields.items()}, _entry_time(entry_id)))
    return events


class RedisStreams:
    """The ``stream`` config's Redis adapter (see the module docstring)."""

    def __init__(self, cfg: Any) -> None:
        import redis

        self.cfg = cfg
        self.input, self.group, self.consumer = str(cfg.input), str(cfg.group), str(cfg.consumer)
        self.client = redis.Redis.from_url(str(cfg.url), socket_connect_timeout=float(cfg.connect_timeout_s), **dict(cfg.options))
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise StreamError(f"stream.url={cfg.url}: cannot reach Redis ({exc}). Start redis-server or point stream.url at "
                              "a running one (redis://HOST:PORT/DB).") from exc
        self._ensure_group(redis.ResponseError)
        self._commit = self.client.register_script(COMMIT)
        self._dedup_prefix = f"{cfg.output}:done:{cfg.input}:"
        self._keys = [self.input, str(cfg.output), str(cfg.dead_letter)]
        self._targets = {str(cfg.output): 2, str(cfg.dead_letter): 3}
        self._recovering = True
        # Ids read and not yet committed: XAUTOCLAIM also returns this consumer's own idle entries.
        self._in_flight: set[str] = set()
        self._claim_cursor = "0-0"
        self._next_claim = 0.0

    def _ensure_group(self, response_error: type[Exception]) -> None:
        start = "0" if self.cfg.start.value == "earliest" else "$"
        try:
            self.client.xgroup_create(self.input, self.group, id=start, mkstream=True)
            log.info("created consumer group %s on %s (from %s)", self.group, self.input, self.cfg.start.value)
        except response_error as exc:
            if "BUSYGROUP" not in str(exc):
                raise StreamError(f"stream.input={self.input}: cannot create consumer group {self.group}: {exc}") from exc

    def read(self, max_count: int, block_ms: int) -> list[Event]:
        events = self._next(max_count, block_ms)
        self._in_flight.update(event.id for event in events)
        return events

    def _next(self, max_count: int, block_ms: int) -> list[Event]:
        if self._recovering:
            own = [event for event in self._read("0", max_count, None) if event.id not in self._in_flight]
            if own:
                log.info("recovering %d pending entries of consumer %s", len(own), self.consumer)
                return own
            self._recovering = False
        claimed = [event for event in self._claim(max_count) if event.id not in self._in_flight]
        return claimed or self._read(">", max_count, block_ms)

    def _read(self, start: str, count: int, block_ms: Optional[int]) -> list[Event]:
        reply = self.client.xreadgroup(self.group, self.consumer, {self.input: start}, count=count, block=block_ms)
        return to_events(reply[0][1]) if reply else []

    def _claim(self, count: int) -> list[Event]:
        """Pending entries idle for ``claim_idle_ms`` in other consumers (scanned at most every half of that)."""
        now = time.monotonic()
        if now < self._next_claim:
            return []
        idle_ms = int(self.cfg.claim_idle_ms)
        cursor, entries, *_ = self.client.xautoclaim(self.input, self.group, self.consumer, idle_ms, self._claim_cursor, count=count)
        self._claim_cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        if self._claim_cursor == "0-0":  # a full pass over the pending list: rest before the next
            self._next_claim = now + idle_ms / 2000.0
        if entries:
            log.warning("claimed %d entries left pending by another consumer for over %d ms", len(entries), idle_ms)
        return to_events(entries)

    def commit(self, records: Sequence[OutputRecord], events: Sequence[Event]) -> int:
        args: list[Any] = [self.group, self._dedup_prefix, int(self.cfg.dedup_ttl_s), len(records)]
        for record in records:
            args += [record.event_id, self._targets[record.target], json.dumps([part for pair in record.fields.items() for part in pair])]
        args += [event.id for event in events]
        written = int(self._commit(keys=self._keys, args=args))
        self._in_flight.difference_update(event.id for event in events)
        return written

    def lag(self) -> Lag:
        for group in self.client.xinfo_groups(self.input):
            name = group["name"].decode() if isinstance(group["name"], bytes) else group["name"]
            if name == self.group:
                return Lag(group.get("lag"), group.get("pending"))
        return Lag(None, None)

    def close(self) -> None:
        self.client.close()
