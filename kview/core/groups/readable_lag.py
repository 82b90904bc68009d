"""The readable lag of groups: which ranges a refresh and a group's detail
read with the ``RecordReader`` (``readable.py``), the settled ranges kept
between reads, and the sums per group.

On a topic written by transactional producers not every offset of the lag
is a record a consumer receives (markers, aborted records, open
transactions).  A refresh reads only small gaps (``REFRESH_GAP`` offsets at
most, ``REFRESH_PARTITIONS`` partitions, within its timeout) and keeps what
it learned of settled ranges; a group's detail reads every lagging
partition (up to ``readable.COUNT_LIMIT`` offsets counted, the first
readable record giving the exact time lag) within its own timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import replace

from kview.core.config import ClusterProfile
from kview.core.groups.models import GroupPartitionLag, TopicPartition
from kview.core.groups.readable import Readable, RecordReader
from kview.core.lag import TimeLag, exact_time_lag
from kview.core.models import Watermarks

REFRESH_GAP = 100
"""Largest lag (offsets) a refresh reads to tell records from markers."""
REFRESH_PARTITIONS = 500
"""Most partitions a refresh reads (the smallest gaps first)."""


class ReadableLag:
    """Reads for the groups of one cluster, with one ``RecordReader``;
    ``close()`` stops its consumers."""

    def __init__(self, profile: ClusterProfile) -> None:
        self._reader = RecordReader(profile)
        # (topic, partition, start, log end) -> what was read there, for ranges
        # with no open transaction: those never change.
        self._settled: dict[tuple[str, int, int, int], Readable] = {}

    async def close(self) -> None:
        """Stop the record-reading consumers, if any were started (bounded:
        ``readable.STOP_TIMEOUT`` each)."""
        await self._reader.close()

    def _keep_if_settled(self, tp: TopicPartition, start: int, end: int, result: Readable) -> None:
        if result.pending == 0 and result.records is not None and result.markers is not None:
            self._settled[(tp[0], tp[1], start, end)] = result

    async def small_gaps(
        self,
        committed: Iterable[Mapping[TopicPartition, int]],
        marks: Mapping[TopicPartition, Watermarks],
        *,
        timeout: float,
    ) -> dict[tuple[TopicPartition, int], Readable]:
        """What lies in the small lags of a refresh (``committed``: each
        group's offsets), keyed by (partition, committed offset): settled
        ranges from the cache, the others read (smallest gaps first, bounded
        by REFRESH_PARTITIONS and ``timeout``)."""
        out: dict[tuple[TopicPartition, int], Readable] = {}
        gaps: dict[tuple[TopicPartition, int], int] = {}
        for offsets in committed:
            for tp, offset in offsets.items():
                mark = marks.get(tp)
                if mark is None or not 0 < mark.high - offset <= REFRESH_GAP or offset < mark.low:
                    continue
                cached = self._settled.get((tp[0], tp[1], offset, mark.high))
                if cached is not None:
                    out[(tp, offset)] = cached
                else:
                    gaps[(tp, offset)] = mark.high - offset
        # One read per partition (REFRESH_PARTITIONS at most, the smallest
        # gaps first), from the lowest offset a group sits at: it tells every
        # group at or after it.
        starts: dict[TopicPartition, int] = {}
        chosen = []
        for tp, offset in sorted(gaps, key=lambda tp: gaps[tp]):
            if tp in starts or len(starts) < REFRESH_PARTITIONS:
                starts[tp] = min(offset, starts.get(tp, offset))
                chosen.append((tp, offset))
        if starts:
            found = await self._reader.read(
                {tp: (start, marks[tp].high) for tp, start in starts.items()}, timeout=timeout
            )
            for tp, offset in chosen:
                read = found.get(tp)
                result = read.at(offset) if read is not None else None
                if read is None or result is None:
                    continue
                out[(tp, offset)] = result
                self._keep_if_settled(tp, offset, read.end, result)
        if len(self._settled) > 4 * REFRESH_PARTITIONS:
            self._settled.clear()  # a bound, not an LRU: the next refresh refills what is current
        return out

    async def rows(self, rows: tuple[GroupPartitionLag, ...], *, timeout: float) -> tuple[GroupPartitionLag, ...]:
        """Rows with what a read_committed consumer receives of their lag, and
        the exact time lag read from the first readable record (from the log
        start when retention deleted the committed offset: the true value is
        then larger).  A partition not read within ``timeout`` keeps its
        estimate."""
        ranges: dict[TopicPartition, tuple[int, int]] = {}
        known = {
            (r.topic, r.partition): r.readable
            for r in rows
            if r.readable is not None and r.readable.records is not None
        }
        for r in rows:
            if r.committed is None or r.log_end is None or r.committed >= r.log_end:
                continue
            if (r.topic, r.partition) in known:
                continue  # the refresh counted it already
            start = r.committed if r.log_start is None else max(r.committed, r.log_start)
            cached = self._settled.get((r.topic, r.partition, start, r.log_end))
            if cached is not None:
                known[(r.topic, r.partition)] = cached
                continue
            ranges[(r.topic, r.partition)] = (start, r.log_end)
        reads = await self._reader.read(ranges, timeout=timeout) if ranges else {}
        found: dict[TopicPartition, Readable] = {}
        for tp, read in reads.items():
            result = read.at(ranges[tp][0])
            if result is None:
                continue
            found[tp] = result
            self._keep_if_settled(tp, read.start, read.end, result)
        found.update(known)
        now = time.time()
        out = []
        for r in rows:
            tp = (r.topic, r.partition)
            if r.committed is not None and r.log_end is not None and r.committed >= r.log_end:
                out.append(replace(r, time_lag=TimeLag(0.0, exact=True)))
                continue
            result = found.get(tp)
            if result is None:
                out.append(r)
                continue
            time_lag = r.time_lag
            if result.nothing_left:
                time_lag = TimeLag(0.0, exact=True)
            elif result.first_timestamp is not None:
                time_lag = exact_time_lag(result.first_timestamp, now, at_least=r.retention_breach)
            # A breach's range starts at the log start: its counts are not the lag's.
            out.append(replace(r, time_lag=time_lag, readable=None if r.retention_breach else result))
        return tuple(out)


def group_readable(
    committed: Mapping[TopicPartition, int],
    log_end: Mapping[TopicPartition, int],
    readable: Mapping[tuple[TopicPartition, int], Readable],
) -> dict[TopicPartition, tuple[int, Readable]]:
    """The group's lagging partitions that were read at its committed offsets."""
    out = {}
    for tp, offset in committed.items():
        end = log_end.get(tp)
        if end is None or end <= offset:
            continue
        found = readable.get((tp, offset))
        if found is not None:
            out[tp] = (offset, found)
    return out


def sum_readable(
    committed: Mapping[TopicPartition, int],
    log_end: Mapping[TopicPartition, int],
    readable: Mapping[TopicPartition, Readable],
) -> Readable | None:
    """The group's Readable: the sum over its lagging partitions; None when
    one of them was not read (a count that one partition lacks is None)."""
    records: int | None = 0
    markers: int | None = 0
    aborted: int | None = 0
    pending = 0
    lagging = False
    for tp, offset in committed.items():
        end = log_end.get(tp)
        if end is None or end <= offset:
            continue
        lagging = True
        found = readable.get(tp)
        if found is None:
            return None
        records = None if records is None or found.records is None else records + found.records
        markers = None if markers is None or found.markers is None else markers + found.markers
        aborted = None if aborted is None or found.aborted is None else aborted + found.aborted
        pending += found.pending
    if not lagging:
        return None
    return Readable(records, markers, aborted, pending)
