"""The tail's memory: a bounded ring of records with absolute sequence numbers.

Every record appended gets the next sequence number (0, 1, 2, ... for the life
of the ring); when the ring is full the oldest records fall out, but the
numbers of the survivors never change, so the UI can key caches and selections
by sequence number.  Appending takes whole batches (one slice assignment or
two), so the cost per record is a pointer copy.

What a record is: the object aiokafka's consumer already made for the message
(``aiokafka.structs.ConsumerRecord``), kept as it is.  kview's code reads it
only through the attributes of the ``Record`` protocol below, the lightweight
record the tail promises: topic, partition, offset, timestamp,
timestamp_type, key (bytes or None), value (bytes or None: a tombstone),
headers (a tuple of (name, bytes or None)).  Not copying is deliberate:
building one more object per message (even a plain tuple) and freeing the
consumer's cost the tail about a third of its throughput at 100,000+
messages a second, more than everything else it does per record.
``make_record`` builds the same kind of object from parts (tests, imports).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from aiokafka.structs import ConsumerRecord

DEFAULT_CAPACITY = 100_000

TIMESTAMP_TYPES = {0: "CreateTime", 1: "LogAppendTime"}

Header = tuple[str, "bytes | None"]


class Record(Protocol):
    """The fields of a tailed record that kview uses (read-only)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int:
        """Milliseconds since the epoch."""

    @property
    def timestamp_type(self) -> int:
        """0: CreateTime (set by the producer), 1: LogAppendTime (set by the broker)."""

    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[Header]: ...


def make_record(
    topic: str,
    partition: int,
    offset: int,
    timestamp: int = 0,
    timestamp_type: int = 0,
    key: bytes | None = None,
    value: bytes | None = None,
    headers: Iterable[Header] = (),
) -> Record:
    """A record from named parts, equal to what the consumer would have made."""
    return ConsumerRecord(
        topic,
        partition,
        offset,
        timestamp,
        timestamp_type,
        key,
        value,
        None,
        len(key) if key is not None else -1,
        len(value) if value is not None else -1,
        tuple(headers),
    )


def record_size(record: Record) -> int:
    """Bytes of key plus value, as produced (headers not counted)."""
    key, value = record.key, record.value
    return (len(key) if key is not None else 0) + (len(value) if value is not None else 0)


def header_value(record: Record, name: str) -> bytes | None:
    """Value of the first header called ``name`` (None if absent or null)."""
    for header_name, value in record.headers:
        if header_name == name:
            return value
    return None


def timestamp_type_name(record: Record) -> str:
    return TIMESTAMP_TYPES.get(record.timestamp_type, str(record.timestamp_type))


class Ring:
    """Bounded buffer of records addressed by absolute sequence number.

    ``first`` is the sequence number of the oldest record kept, ``next`` the
    number the next appended record will get; records ``first .. next-1`` are
    kept.  Counters: ``seen`` (ever appended), ``kept`` (in the ring now),
    ``dropped`` (pushed out by newer records), ``cleared`` (removed by clear()).
    """

    __slots__ = ("_buf", "_capacity", "_next", "_first", "dropped", "cleared")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("ring capacity must be at least 1")
        self._capacity = capacity
        self._buf: list[Any] = [None] * capacity
        self._next = 0
        self._first = 0
        self.dropped = 0
        self.cleared = 0

    # -- sizes and counters ---------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def first(self) -> int:
        """Sequence number of the oldest record kept (== ``next`` when empty)."""
        return self._first

    @property
    def next(self) -> int:
        """Sequence number the next appended record will get."""
        return self._next

    @property
    def last(self) -> int:
        """Sequence number of the newest record; -1 if nothing was ever appended."""
        return self._next - 1

    @property
    def seen(self) -> int:
        return self._next

    @property
    def kept(self) -> int:
        return self._next - self._first

    def __len__(self) -> int:
        return self._next - self._first

    def __bool__(self) -> bool:
        return self._next != self._first

    def __contains__(self, seq: object) -> bool:
        return isinstance(seq, int) and self._first <= seq < self._next

    # -- writing --------------------------------------------------------------------

    def append(self, record: Any) -> int:
        """Append one record; returns its sequence number."""
        return self.extend((record,))

    def extend(self, records: Sequence[Any]) -> int:
        """Append a whole batch; returns the sequence number of its first record.

        Cost is proportional to the batch (two slice copies at most), never to
        the ring's size.  A batch longer than the capacity keeps its tail."""
        start = self._next
        count = len(records)
        if count == 0:
            return start
        cap = self._capacity
        buf = self._buf
        if count > cap:
            # Only the newest ``cap`` records can survive; skip writing the rest.
            records = records[count - cap :]
            write_from = start + count - cap
            n = cap
        else:
            write_from = start
            n = count
        pos = write_from % cap
        head = cap - pos
        if n <= head:
            buf[pos : pos + n] = records
        else:
            buf[pos:] = records[:head]
            buf[: n - head] = records[head:]
        self._next = end = start + count
        low = end - cap
        if low > self._first:
            self.dropped += low - self._first
            self._first = low
        return start

    def clear(self) -> None:
        """Forget every record; sequence numbers keep counting from ``next``."""
        self.cleared += self._next - self._first
        self._buf = [None] * self._capacity
        self._first = self._next

    # -- reading --------------------------------------------------------------------

    def get(self, seq: int, default: Any = None) -> Any:
        """The record with sequence number ``seq``, or ``default`` if not kept."""
        if self._first <= seq < self._next:
            return self._buf[seq % self._capacity]
        return default

    def __getitem__(self, seq: int) -> Any:
        if not isinstance(seq, int):
            raise TypeError("ring indices are sequence numbers (int); use range() for spans")
        if self._first <= seq < self._next:
            return self._buf[seq % self._capacity]
        raise IndexError(f"sequence number {seq} is not in the ring ({self._first}..{self._next - 1})")

    def range(self, start: int | None = None, stop: int | None = None) -> list[Any]:
        """Records with sequence numbers in [start, stop), clipped to what is kept."""
        lo = self._first if start is None or start < self._first else start
        hi = self._next if stop is None or stop > self._next else stop
        if hi <= lo:
            return []
        cap = self._capacity
        a = lo % cap
        b = a + (hi - lo)
        if b <= cap:
            return self._buf[a:b]
        return self._buf[a:] + self._buf[: b - cap]

    def iter_range(self, start: int | None = None, stop: int | None = None) -> Iterator[tuple[int, Any]]:
        """(sequence number, record) pairs for [start, stop), oldest first."""
        lo = self._first if start is None or start < self._first else start
        return enumerate(self.range(lo, stop), lo)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.range())

    def tail(self, n: int) -> list[Any]:
        """The newest ``n`` records, oldest first."""
        return self.range(self._next - n if n > 0 else self._next)

    def __repr__(self) -> str:
        return f"Ring(capacity={self._capacity}, first={self._first}, next={self._next}, dropped={self.dropped})"
