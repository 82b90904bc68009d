"""What a consumer at a committed offset would actually receive: records read
between the committed offset and the log end, with a bound on both the work
and the time.

Lag (``log_end - committed``) counts offsets, and on a topic written by a
transactional producer not every offset is a record a consumer gets: commit
and abort markers (control records) take an offset each, records of aborted
transactions are skipped by ``read_committed`` consumers, and records of a
transaction still open sit past the *last stable offset* (LSO), which a
``read_committed`` consumer does not read beyond.

``RecordReader.read`` reads each partition once from a start offset (one
read serves every group at or after it) and answers with a
``PartitionRead``, whose ``at(committed)`` is a ``Readable``:

- ``records``: data records in ``[committed, LSO)`` a ``read_committed``
  consumer receives (read with that isolation level and counted);
- ``markers`` and ``aborted``: the other offsets of that range, told apart by
  a second read with ``read_uncommitted`` (which delivers aborted records but,
  like every consumer, never the markers);
- ``pending``: the offsets at or past the LSO (``log_end - max(committed,
  LSO)``): open transactions and what follows them, which nobody reading
  committed data can have yet;
- ``first_timestamp``: the timestamp of the first readable record (the exact
  time lag), None when there is none.

Bounds: only ranges of at most ``limit`` offsets are counted (larger ones get
the first readable record only, for the time lag, and ``records`` None);
every read stops ``timeout`` seconds after the readers are started, after which partitions not finished
are left out (their lag is shown without a readable count).  Two private
consumers without a group id (assign + seek) do the reading: kview never
joins or commits for a user's group.  Which ranges are read, and when, is
``readable_lag.py``'s business.
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition as KafkaTopicPartition

from kview.core.cluster import connection_kwargs
from kview.core.config import ClusterProfile
from kview.core.errors import ClusterUnavailable, describe_exception

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]

COUNT_LIMIT = 10_000
"""Largest gap (offsets between the committed offset and the LSO) whose
readable records are counted; past it only the first record is read."""

STOP_TIMEOUT = 5.0
"""Seconds a reader's consumer may take to close before it is abandoned."""


@dataclass(frozen=True)
class Readable:
    """What a ``read_committed`` consumer at the committed offset receives; see
    the module docstring.  ``records`` None: not counted (gap over the limit)."""

    records: int | None
    markers: int | None
    aborted: int | None
    pending: int
    first_timestamp: int | None = None

    @property
    def nothing_left(self) -> bool:
        """True when a read_committed consumer has nothing to read now."""
        return self.records == 0

    def text(self, *, long: bool = False) -> str:
        """``0 (1 marker)``; ``long``: ``0 records (1 marker, 2 in open transactions)``."""
        records = self.records
        if records is None:
            count = "not counted" if long else "?"
        else:
            count = _plural(records, "record") if long else f"{records:,}"
        parts = []
        if self.markers:
            parts.append(_plural(self.markers, "marker"))
        if self.aborted:
            parts.append(f"{self.aborted:,} aborted")
        if records is not None and self.markers is None:
            parts.append("markers/aborted not told apart")
        if self.pending:
            parts.append(f"{self.pending:,} in open transactions" if long else f"{self.pending:,} open")
        return f"{count} ({', '.join(parts)})" if parts else count


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class PartitionRead:
    """What one read of a partition found from ``start``: enough to tell the
    Readable of any committed offset from ``start`` on (groups at different
    offsets of one partition share one read)."""

    start: int
    stable: int
    """The last stable offset (capped at ``end``)."""
    end: int
    readable: tuple[tuple[int, int], ...]
    """(offset, timestamp) of the records a read_committed consumer receives in
    ``[start, stable)``: all of them when ``counted``, else the first only."""
    data: tuple[int, ...] | None
    """Offsets of the data records (committed or aborted) in ``[start,
    stable)``, from read_uncommitted; None when that read did not finish."""
    counted: bool

    def at(self, committed: int) -> Readable | None:
        """The Readable of a consumer at ``committed`` (None: not known there)."""
        if committed < self.start or committed >= self.end:
            return None
        pending = self.end - max(committed, self.stable)
        if committed >= self.stable:
            return Readable(0, 0, 0, pending)
        offsets = [o for o, _ in self.readable]
        first = bisect_left(offsets, committed)
        timestamp = self.readable[first][1] if first < len(offsets) else None
        if timestamp is not None and timestamp < 0:
            timestamp = None  # a record without a timestamp tells no time
        if not self.counted:
            return Readable(None, None, None, pending, timestamp) if committed == self.start else None
        records = len(offsets) - first
        if self.data is None:
            return Readable(records, None, None, pending, timestamp)
        data = len(self.data) - bisect_left(self.data, committed)
        return Readable(records, (self.stable - committed) - data, data - records, pending, timestamp)


@dataclass
class _Pass:
    seen: dict[KafkaTopicPartition, list[tuple[int, int]]]
    finished: set[KafkaTopicPartition]
    stops: dict[KafkaTopicPartition, int]
    """Where each finished partition's read ended (the LSO with find_stable)."""


class RecordReader:
    """Two consumers (read_committed and read_uncommitted) started on first use
    and reused; ``close()`` stops them within ``STOP_TIMEOUT`` each."""

    def __init__(self, profile: ClusterProfile, *, limit: int = COUNT_LIMIT) -> None:
        self.profile = profile
        self.limit = limit
        self._consumers: dict[str, AIOKafkaConsumer] = {}
        self._lock = asyncio.Lock()

    async def _consumer(self, isolation: str) -> AIOKafkaConsumer:
        consumer = self._consumers.get(isolation)
        if consumer is None:
            consumer = AIOKafkaConsumer(
                **connection_kwargs(self.profile),
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level=isolation,
                fetch_max_wait_ms=100,
                max_partition_fetch_bytes=256 * 1024,
                fetch_max_bytes=4 * 1024 * 1024,
            )
            try:
                await consumer.start()
            except Exception as exc:
                await _stop(consumer)
                raise ClusterUnavailable(f"cannot start a reader: {describe_exception(exc)}") from None
            self._consumers[isolation] = consumer
        return consumer

    async def close(self) -> None:
        consumers, self._consumers = list(self._consumers.values()), {}
        for consumer in consumers:
            await _stop(consumer)

    async def read(
        self,
        ranges: Mapping[TopicPartition, tuple[int, int]],
        *,
        timeout: float,
    ) -> dict[TopicPartition, PartitionRead]:
        """Read each partition's ``(start, log_end)`` (start < log end) once,
        with read_committed and then read_uncommitted.  Ends within about
        ``timeout`` seconds (plus starting the consumers, the first time);
        partitions not finished by then are left out."""
        wanted = {KafkaTopicPartition(t, p): span for (t, p), span in ranges.items() if span[0] < span[1]}
        if not wanted:
            return {}
        async with self._lock:
            try:
                # Started (once) before the clock runs: starting is bounded by
                # the profile's request timeout, reading by ``timeout``.
                committed_reader, reader = await asyncio.gather(
                    self._consumer("read_committed"), self._consumer("read_uncommitted")
                )
                deadline = time.monotonic() + timeout
                # The read_committed pass stops at the LSO its fetches report.
                counted = {tp for tp, (start, end) in wanted.items() if end - start <= self.limit}
                readable = await self._pass(committed_reader, wanted, counted, deadline, find_stable=True)
                spans = {tp: (wanted[tp][0], readable.stops[tp]) for tp in readable.finished}
                both = {tp for tp in counted if tp in readable.finished}
                everything = _Pass({}, set(), {})
                if both:
                    everything = await self._pass(reader, {tp: spans[tp] for tp in both}, both, deadline)
            except ClusterUnavailable:
                raise
            except Exception as exc:
                # Readable counts are extra: the lag is shown without them.
                log.warning("reading records for readable lag failed: %s", describe_exception(exc))
                await self.close()
                return {}
        out: dict[TopicPartition, PartitionRead] = {}
        for tp, (start, end) in wanted.items():
            if tp not in readable.finished:
                continue
            data = tuple(o for o, _ in everything.seen[tp]) if tp in everything.finished else None
            out[(tp.topic, tp.partition)] = PartitionRead(
                start, spans[tp][1], end, tuple(readable.seen.get(tp, ())), data, tp in counted
            )
        return out

    @staticmethod
    async def _pass(
        consumer: AIOKafkaConsumer,
        spans: Mapping[KafkaTopicPartition, tuple[int, int]],
        counted: set[KafkaTopicPartition],
        deadline: float,
        *,
        find_stable: bool = False,
    ) -> _Pass:
        """Read each partition from its start: all of ``[start, stop)`` for
        ``counted`` ones, else up to the first record.  With ``find_stable``
        (a read_committed consumer) ``stop`` is the partition's LSO as its
        fetches report it, capped at the given end.  ``seen``: (offset,
        timestamp) of the records delivered below the stop; ``finished``: the
        partitions whose answer is complete."""
        result = _Pass({tp: [] for tp in spans}, set(), {})
        pending = set()
        for tp, (start, stop) in spans.items():
            if stop <= start and not find_stable:
                result.finished.add(tp)
                result.stops[tp] = stop
            else:
                pending.add(tp)
        if not pending:
            return result
        consumer.assign(list(pending))
        for tp in pending:
            consumer.seek(tp, spans[tp][0])

        def stop_of(tp: KafkaTopicPartition) -> int | None:
            end = spans[tp][1]
            if not find_stable:
                return end
            # Known after the first fetch answered (even an empty one); an LSO
            # only moves forward, so the last one seen bounds what was delivered.
            stable = consumer.last_stable_offset(tp)
            return None if stable is None or stable < 0 else min(stable, end)

        try:
            while pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                batch = await consumer.getmany(*pending, timeout_ms=int(min(200, left * 1000)) or 1)
                for tp, records in batch.items():
                    end = spans[tp][1]
                    seen = result.seen[tp]
                    for record in records:
                        if record.offset >= end:
                            break
                        seen.append((record.offset, record.timestamp if record.timestamp is not None else -1))
                for tp in list(pending):
                    stop_at = stop_of(tp)
                    if stop_at is None:
                        continue
                    if tp not in counted and any(o < stop_at for o, _ in result.seen[tp][:1]):
                        done = True
                    else:
                        # The position moves past markers and aborted batches
                        # too, so it tells when the whole range was read.
                        done = await consumer.position(tp) >= stop_at
                    if done:
                        pending.discard(tp)
                        result.finished.add(tp)
                        result.stops[tp] = stop_at
                        result.seen[tp] = [(o, t) for o, t in result.seen[tp] if o < stop_at]
                        consumer.pause(tp)
        finally:
            # Pausing, not unassigning: aiokafka 0.14's fetcher swallows a
            # cancellation that arrives while it cleans up after an unassign,
            # and a stop() right after assign([]) then never returns.
            consumer.pause(*consumer.assignment())
        if pending:
            log.debug("record read unfinished for %d partitions at the deadline", len(pending))
        return result


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """Stop a consumer, giving up after STOP_TIMEOUT (a hung stop must not keep
    a headless command from ending)."""
    try:
        await asyncio.wait_for(consumer.stop(), STOP_TIMEOUT)
    except Exception:  # closing is best effort; nothing to tell the user
        log.debug("reader consumer stop failed or timed out", exc_info=True)
