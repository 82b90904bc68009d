"""The tail's memory: a bounded ring of records with absolute sequence numbers.

Every record appended gets the next sequence number (0, 1, 2, ... for the life
of the ring); when the ring is full the oldest records fall out, but the
numbers of the survivors never change, so the UI can key caches and selections
by sequence number.  Appending takes whole batches (one slice assignment or
two), so the cost per record is a pointer copy.

``Record`` is the one per-message object the tail creates: a tuple (cheap to
build, cheap to keep) with named accessors.  It is a tuple *subclass* without
``__slots__``, so an instance can carry per-record caches (the filter's parsed
JSON) as attributes, created only when first needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

DEFAULT_CAPACITY = 100_000

TIMESTAMP_TYPES = {0: "CreateTime", 1: "LogAppendTime"}


class Record(tuple):
    """One Kafka record as the tail keeps it: (topic, partition, offset,
    timestamp, timestamp_type, key, value, headers).  ``key`` and ``value`` are
    raw bytes or None; ``headers`` is a tuple of (name, bytes | None)."""

    # No __slots__ on purpose: see the module docstring (per-record caches).

    _fields = ("topic", "partition", "offset", "timestamp", "timestamp_type", "key", "value", "headers")

    topic: str = property(itemgetter(0))  # type: ignore[assignment]
    partition: int = property(itemgetter(1))  # type: ignore[assignment]
    offset: int = property(itemgetter(2))  # type: ignore[assignment]
    timestamp: int = property(itemgetter(3))  # type: ignore[assignment]
    timestamp_type: int = property(itemgetter(4))  # type: ignore[assignment]
    key: bytes | None = property(itemgetter(5))  # type: ignore[assignment]
    value: bytes | None = property(itemgetter(6))  # type: ignore[assignment]
    headers: tuple[tuple[str, bytes | None], ...] = property(itemgetter(7))  # type: ignore[assignment]

    def __new__(
        cls,
        topic: str,
        partition: int,
        offset: int,
        timestamp: int,
        timestamp_type: int = 0,
        key: bytes | None = None,
        value: bytes | None = None,
        headers: Iterable[tuple[str, bytes | None]] = (),
    ) -> Record:
        return tuple.__new__(
            cls, (topic, partition, offset, timestamp, timestamp_type, key, value, tuple(headers))
        )

    def __repr__(self) -> str:
        return (
            f"Record({self[0]!r}, {self[1]}, {self[2]}, ts={self[3]}, key={self[5]!r}, "
            f"value={_short(self[6])}, headers={self[7]!r})"
        )

    @property
    def size(self) -> int:
        """Bytes of key plus value, as produced (not counting headers)."""
        return (len(self[5]) if self[5] is not None else 0) + (len(self[6]) if self[6] is not None else 0)

    @property
    def is_tombstone(self) -> bool:
        return self[6] is None

    @property
    def timestamp_type_name(self) -> str:
        return TIMESTAMP_TYPES.get(self[4], str(self[4]))

    def header(self, name: str) -> bytes | None:
        """Value of the first header called ``name`` (None if absent or null)."""
        for header_name, value in self[7]:
            if header_name == name:
                return value
        return None


def _short(value: bytes | None) -> str:
    if value is None:
        return "None"
    return repr(value[:40]) + ("..." if len(value) > 40 else "")


make_record = tuple.__new__
"""``make_record(Record, (topic, partition, offset, ts, ts_type, key, value, headers))``:
the fast constructor the tail uses per record (no argument parsing, no copy)."""


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
            records = records[count - cap:]
            write_from = start + count - cap
            n = cap
        else:
            write_from = start
            n = count
        pos = write_from % cap
        head = cap - pos
        if n <= head:
            buf[pos:pos + n] = records
        else:
            buf[pos:] = records[:head]
            buf[:n - head] = records[head:]
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
        return self._buf[a:] + self._buf[:b - cap]

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
        return (
            f"Ring(capacity={self._capacity}, first={self._first}, next={self._next}, "
            f"dropped={self.dropped})"
        )
