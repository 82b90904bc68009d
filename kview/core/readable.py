"""What a consumer at a committed offset would actually receive: records read
between the committed offset and the log end, with a bound on both the work
and the time.

Lag (``log_end - committed``) counts offsets, and on a topic written by a
transactional producer not every offset is a record a consumer gets: commit
and abort markers (control records) take an offset each, records of aborted
transactions are skipped by ``read_committed`` consumers, and records of a
transaction still open sit past the *last stable offset* (LSO), which a
``read_committed`` consumer does not read beyond.

``RecordReader.read`` answers, per partition, with a ``Readable``:

- ``records``: data records in ``[committed, LSO)`` a ``read_committed``
  consumer receives (read with that isolation level and counted);
- ``markers`` and ``aborted``: the other offsets of that range, told apart by
  a second read with ``read_uncommitted`` (which delivers aborted records but,
  like every consumer, never the markers);
- ``pending``: ``log_end - LSO``, the offsets of open transactions (and what
  follows them) that nobody reading committed data can have yet;
- ``first_timestamp``: the timestamp of the first readable record (the exact
  time lag), None when there is none.

Bounds: only ranges of at most ``limit`` offsets are counted (larger ones get
the first readable record only, for the time lag, and ``records`` None);
every read stops at ``deadline`` seconds, after which partitions not finished
are left out (their lag is shown without a readable count).  Two private
consumers without a group id (assign + seek) do the reading: kview never
joins or commits for a user's group.
"""

from __future__ import annotations

import asyncio
import logging
import time
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


@dataclass
class _Pass:
    counts: dict[KafkaTopicPartition, int]
    first: dict[KafkaTopicPartition, int]
    finished: set[KafkaTopicPartition]


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
    ) -> dict[TopicPartition, Readable]:
        """For each partition's ``(committed, log_end)`` with committed < log
        end, what a read_committed consumer at ``committed`` receives.  Ends
        within about ``timeout`` seconds (plus starting the consumers, the first time);
        partitions not finished by then are left out."""
        wanted = {KafkaTopicPartition(t, p): span for (t, p), span in ranges.items() if span[0] < span[1]}
        if not wanted:
            return {}
        async with self._lock:
            try:
                # Started (once) before the clock runs: starting is bounded by
                # the profile's request timeout, reading by ``timeout``.
                committed_reader = await self._consumer("read_committed")
                reader = await self._consumer("read_uncommitted")
                deadline = time.monotonic() + timeout
                remaining = max(0.1, deadline - time.monotonic())
                stable = await asyncio.wait_for(committed_reader.end_offsets(list(wanted)), remaining)
                # Ranges below the LSO; a committed offset at or past it has nothing readable yet.
                spans = {tp: (start, min(stable.get(tp, end), end)) for tp, (start, end) in wanted.items()}
                counted = {tp for tp, (start, stop) in spans.items() if stop - start <= self.limit}
                readable = await self._pass(committed_reader, spans, counted, deadline)
                uncommitted = {tp for tp in counted if tp in readable.finished and spans[tp][1] > spans[tp][0]}
                everything = _Pass({}, {}, set())
                if uncommitted:
                    everything = await self._pass(reader, {tp: spans[tp] for tp in uncommitted}, uncommitted,
                                                  deadline)
            except ClusterUnavailable:
                raise
            except Exception as exc:
                # Readable counts are extra: the lag is shown without them.
                log.warning("reading records for readable lag failed: %s", describe_exception(exc))
                await self.close()
                return {}
        out: dict[TopicPartition, Readable] = {}
        for tp, (start, end) in wanted.items():
            stop = spans[tp][1]
            pending = end - stop
            if stop <= start:
                out[(tp.topic, tp.partition)] = Readable(0, 0, 0, end - start)
                continue
            if tp not in readable.finished:
                continue
            first = readable.first.get(tp)
            if tp not in counted:
                out[(tp.topic, tp.partition)] = Readable(None, None, None, pending, first)
                continue
            records = readable.counts.get(tp, 0)
            markers = aborted = None
            if tp in everything.finished:
                data = everything.counts.get(tp, 0)
                markers, aborted = (stop - start) - data, data - records
            out[(tp.topic, tp.partition)] = Readable(records, markers, aborted, pending, first)
        return out

    @staticmethod
    async def _pass(
        consumer: AIOKafkaConsumer,
        spans: Mapping[KafkaTopicPartition, tuple[int, int]],
        counted: set[KafkaTopicPartition],
        deadline: float,
    ) -> _Pass:
        """Read each partition from its start: all of ``[start, stop)`` for
        ``counted`` ones, else up to the first record.  ``finished``: the
        partitions whose answer is complete."""
        result = _Pass({tp: 0 for tp in spans}, {}, set())
        pending = set()
        for tp, (start, stop) in spans.items():
            if stop <= start:
                result.finished.add(tp)
            else:
                pending.add(tp)
        if not pending:
            return result
        consumer.assign(list(pending))
        for tp in pending:
            consumer.seek(tp, spans[tp][0])
        try:
            while pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                batch = await consumer.getmany(*pending, timeout_ms=int(min(200, left * 1000)) or 1)
                for tp, records in batch.items():
                    stop = spans[tp][1]
                    for record in records:
                        if record.offset >= stop:
                            break
                        if tp not in result.first and record.timestamp is not None and record.timestamp >= 0:
                            result.first[tp] = record.timestamp
                        result.counts[tp] += 1
                for tp in list(pending):
                    if tp not in counted and result.counts[tp] > 0:
                        done = True
                    else:
                        # The position moves past markers and aborted batches
                        # too, so it tells when the whole range was read.
                        done = await consumer.position(tp) >= spans[tp][1]
                    if done:
                        pending.discard(tp)
                        result.finished.add(tp)
                        consumer.pause(tp)
        finally:
            # Pausing, not unassigning: aiokafka 0.14's fetcher swallows a
            # cancellation that arrives while it cleans up after an unassign,
            # and a stop() right after assign([]) then never returns.
            consumer.pause(*consumer.assignment())
        if pending:
            log.debug("readable count unfinished for %d partitions at the deadline", len(pending))
        return result


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """Stop a consumer, giving up after STOP_TIMEOUT (a hung stop must not keep
    a headless command from ending)."""
    try:
        await asyncio.wait_for(consumer.stop(), STOP_TIMEOUT)
    except Exception:  # closing is best effort; nothing to tell the user
        log.debug("reader consumer stop failed or timed out", exc_info=True)
