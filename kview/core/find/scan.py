"""kview find: read a window of a topic, every partition at once, and keep the
records that match; account for every partition, so "not found" is an answer.

Each partition of the window is read by its own task with raw Fetch requests
to its leader (kview.core.protocol.fetch_requests); the record batches are
searched as bytes (kview.core.find.batches) for a needle every match must
hold (the key of ``--key``, or the text of a plain substring filter), and
only the batches that hold it are decoded and put to the real test: the key
compared whole, the filter run on each record (after the schema-registry
decoder, when there is one; the needle is then only the key's, since a
decoded value is not the bytes that were searched).

``--key`` reads only the partition Kafka's default partitioner gives the key
(kview.core.find.partitioner) unless ``all_partitions``.

The matches are kept in memory up to ``keep`` (KEPT_MATCHES by default, as
many records as the tail's ring holds); past it they are still counted, in
the account and in ``FindResult.matched``, but not kept: a find over a big
window with a common filter never holds the window.

The account (``PartitionAccount``) says per partition which offsets were read
(``start`` to ``position``), how many records they held and how many
matched, and whether the window's end was reached.  Offsets are not records:
transaction markers and compacted-away records take offsets and hold no
record, so the record count can be lower than the offsets read.  Nothing
raises out of a partition's task: a failure is that partition's ``error``
and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kview.core.errors import ClusterUnavailable, KViewError, describe_exception, error_name
from kview.core.find.batches import Needle, records_through, scan_batches
from kview.core.find.partitioner import partition_for_key
from kview.core.find.window import Bound, FindError, TopicWindow, resolve_window, topic_info
from kview.core.protocol.fetch_requests import READ_UNCOMMITTED, FetchRequest, read_fetch
from kview.core.ring import DEFAULT_CAPACITY
from kview.core.untrack import GC_WHILE_READING, untrack

if TYPE_CHECKING:
    from kview.core.cluster import ClusterClient
    from kview.core.filters import Filter
    from kview.core.schemas.decoder import RecordDecoder

log = logging.getLogger(__name__)

PARTITION_FETCH_BYTES = 8 * 1024 * 1024
"""Bytes one Fetch asks of a partition (a larger first batch still comes whole)."""
FETCH_WAIT_MS = 500
KEPT_MATCHES = DEFAULT_CAPACITY
"""Matches a find keeps by default; the rest are counted (``FindResult.matched``)."""
STALL_SECONDS = 60.0
"""A partition that reads nothing new for this long (retries included) fails."""
RETRY_DELAY = 0.2

# Errors after which the leader is looked up again and the fetch repeated.
_RETRIABLE = {3, 5, 6, 7, 9, 13, 56, 74, 75}
_OFFSET_OUT_OF_RANGE = 1


@dataclass(frozen=True)
class FindQuery:
    """What to look for.  ``key``: the record key's bytes (compared whole);
    ``filter``: the tail's filter language; ``limit``: stop after that many
    matches (None: read the whole window)."""

    topic: str
    key: bytes | None = None
    all_partitions: bool = False
    partitions: tuple[int, ...] | None = None
    start: Bound = field(default_factory=Bound.earliest)
    end: Bound = field(default_factory=Bound.latest)
    filter: Filter | None = None
    limit: int | None = None


@dataclass
class PartitionAccount:
    """What was read of one partition of the window ``[start, end)``."""

    partition: int
    start: int
    end: int
    low: int
    high: int
    position: int
    """Next offset not read: ``end`` when the window was read to its end."""
    records: int = 0
    """Records in ``[start, position)`` (offsets of markers and compacted
    records hold none)."""
    matched: int = 0
    skipped: int = 0
    """Offsets under the log start when reached (deleted by retention during
    the scan): not read."""
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None and self.position >= self.end

    @property
    def offsets(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class FindProgress:
    scanned: int
    """Offsets of the window read so far."""
    total: int
    records: int
    matched: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Offsets read per second."""
        return self.scanned / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far (None before there is a rate)."""
        rate = self.rate
        if rate <= 0:
            return None
        return max(0.0, (self.total - self.scanned) / rate)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.scanned / self.total)


@dataclass(frozen=True)
class FindResult:
    query: FindQuery
    window: TopicWindow
    key_partition: int | None
    """The partition the key hashes to (--key), whether or not only it was read."""
    partitions: tuple[PartitionAccount, ...]
    matches: tuple[Any, ...]
    """Matching records (kview.core.ring.Record) kept, by partition then
    offset: the first ``keep`` found (all of them when ``kept_all``)."""
    matched: int
    """Matches counted, kept or not."""
    limit_reached: bool
    cancelled: bool
    elapsed: float
    needle: bytes | None
    """What the batches were searched for as bytes (None: every record decoded)."""

    @property
    def complete(self) -> bool:
        """Every partition of the window read to its end without error."""
        return all(p.complete for p in self.partitions) and not self.window.missing

    @property
    def kept_all(self) -> bool:
        return len(self.matches) == self.matched

    @property
    def records(self) -> int:
        return sum(p.records for p in self.partitions)

    @property
    def offsets(self) -> int:
        return sum(p.offsets for p in self.partitions)


class Finder:
    """One find.  ``await run()`` returns the FindResult; ``cancel()`` stops
    it early (the result then says how far each partition got)."""

    def __init__(
        self,
        client: ClusterClient,
        query: FindQuery,
        *,
        decoder: RecordDecoder | None = None,
        on_progress: Callable[[FindProgress], None] | None = None,
        on_match: Callable[[list[Any]], None] | None = None,
        partition_fetch_bytes: int = PARTITION_FETCH_BYTES,
        stall_seconds: float = STALL_SECONDS,
        keep: int | None = KEPT_MATCHES,
    ) -> None:
        self.client = client
        self.query = query
        self.decoder = decoder
        self.on_progress = on_progress
        self.on_match = on_match
        self.partition_fetch_bytes = partition_fetch_bytes
        self.stall_seconds = stall_seconds
        self.keep = keep
        """Matches kept at most (None: all); ``on_match`` sees only those."""
        self._kept = 0
        self.accounts: list[PartitionAccount] = []
        self.window: TopicWindow | None = None
        self._matches: dict[int, list[Any]] = {}
        self._matched = 0
        self._stop = asyncio.Event()
        self._cancelled = False
        self._started = 0.0
        self._leaders: dict[int, int] = {}
        self._proven = False
        self._prepare_lock = asyncio.Lock()

    def cancel(self) -> None:
        self._cancelled = True
        self._stop.set()

    def progress(self) -> FindProgress:
        return FindProgress(
            scanned=sum(a.position - a.start for a in self.accounts),
            total=sum(a.offsets for a in self.accounts),
            records=sum(a.records for a in self.accounts),
            matched=self._matched,
            elapsed=time.monotonic() - self._started if self._started else 0.0,
        )

    async def run(self) -> FindResult:
        query = self.query
        self._started = time.monotonic()
        info = await topic_info(self.client, query.topic)
        key_partition = None
        partitions = list(query.partitions) if query.partitions is not None else None
        if query.key is not None:
            key_partition = partition_for_key(query.key, len(info.partitions))
            if not query.all_partitions and partitions is None:
                partitions = [key_partition]
        window = await resolve_window(
            client=self.client, topic=query.topic, partitions=partitions, start=query.start, end=query.end, info=info
        )
        self.window = window
        self._leaders = {p.partition: p.leader for p in window.partitions}
        self.accounts = [
            PartitionAccount(p.partition, p.start, p.end, p.low, p.high, p.start) for p in window.partitions
        ]
        needle = self._needle()
        self._proven = self._filter_is_needle()
        if query.limit == 0:
            self._stop.set()
        self._report()
        GC_WHILE_READING.acquire()
        try:
            await asyncio.gather(*(self._read(account, needle) for account in self.accounts))
        finally:
            GC_WHILE_READING.release()
        self._report()
        matches: list[Any] = []
        for account in self.accounts:
            matches.extend(self._matches.get(account.partition, ()))
        return FindResult(
            query=query,
            window=window,
            key_partition=key_partition,
            partitions=tuple(self.accounts),
            matches=tuple(matches),
            matched=self._matched,
            limit_reached=query.limit is not None and self._matched >= query.limit,
            cancelled=self._cancelled,
            elapsed=time.monotonic() - self._started,
            needle=needle.text if needle is not None else None,
        )

    def _needle(self) -> Needle | None:
        """Bytes every match holds as written in the log, if any are known."""
        query = self.query
        if query.key:
            return Needle(query.key)
        if query.filter is None or self.decoder is not None:
            return None
        # (needle, ascii case folded, fields) of a filter that is one plain
        # substring term (kview.core.filters.predicates._add_batch_select).
        plain = getattr(query.filter, "_plain", None)
        if plain is None:
            return None
        text, fold, _fields = plain
        return Needle(text, fold) if text else None

    def _filter_is_needle(self) -> bool:
        """The filter is exactly "the needle in the key or the value", which
        the batch scan already tested on every candidate: no second test."""
        query = self.query
        if query.key is not None or self.decoder is not None or query.filter is None:
            return False
        plain = getattr(query.filter, "_plain", None)
        return plain is not None and bool(plain[0]) and tuple(plain[2]) == ("key", "value")

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress())

    async def _read(self, account: PartitionAccount, needle: Needle | None) -> None:
        try:
            await self._read_partition(account, needle)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one partition's failure is its account's, never the find's
            if not isinstance(exc, KViewError):
                log.warning("find: partition %s failed", account.partition, exc_info=True)
            account.error = describe_exception(exc)

    async def _read_partition(self, account: PartitionAccount, needle: Needle | None) -> None:
        query = self.query
        topic, partition = query.topic, account.partition
        timeout = max(5.0, self.client.profile.request_timeout_ms / 1000) + FETCH_WAIT_MS / 1000
        progress_at = time.monotonic()
        last_problem = ""
        while account.position < account.end and not self._stop.is_set():
            if time.monotonic() - progress_at > self.stall_seconds:
                raise FindError(
                    f"no progress at offset {account.position} for {self.stall_seconds:g} s"
                    + (f" ({last_problem})" if last_problem else "")
                )
            request = FetchRequest(
                FETCH_WAIT_MS,
                1,
                self.partition_fetch_bytes,
                READ_UNCOMMITTED,
                [(topic, [(partition, account.position, self.partition_fetch_bytes)])],
            )
            leader = self._leaders.get(partition, -1)
            try:
                if leader < 0:
                    raise FindError(f"partition {partition} has no leader")
                async with asyncio.timeout(timeout):
                    response = await self.client.send(leader, request, f"fetch {topic}-{partition}")
            except (ClusterUnavailable, FindError, TimeoutError) as exc:
                last_problem = describe_exception(exc)
                await self._new_leader(partition)
                continue
            if self._stop.is_set():
                break  # stopped (limit or cancel) while this fetch was out: the account ends before it
            error, parts = read_fetch(response.body, response.version)
            part = next((p for p in parts if p.partition == partition and p.topic == topic), None)
            code = error if part is None or error else part.error_code
            if part is None or code:
                if code == _OFFSET_OUT_OF_RANGE and part is not None and part.log_start_offset > account.position:
                    # Retention deleted what was not read yet: say so, go on from the log start.
                    moved = min(part.log_start_offset, account.end)
                    account.skipped += moved - account.position
                    account.position = moved
                    progress_at = time.monotonic()
                    continue
                if code in _RETRIABLE or part is None:
                    last_problem = error_name(code) if code else "partition missing from the answer"
                    await self._new_leader(partition)
                    continue
                raise FindError(f"{error_name(code)} at offset {account.position}")
            scan = scan_batches(part.records, topic, partition, account.position, account.end, needle)
            untrack(scan.candidates)  # kept for the find; never in a cycle (kview/core/untrack.py)
            if scan.next_offset <= account.position and not scan.done:
                last_problem = "the broker returned no records"
                continue
            progress_at = time.monotonic()
            found = await self._verify(scan.candidates)
            if self._stop.is_set():
                break  # stopped while the decoder fetched schemas: as above
            limit = query.limit
            if limit is not None and found and self._matched + len(found) >= limit:
                # The limit falls in this fetch: the account ends at the last match kept.
                found = found[: limit - self._matched]
                cut = found[-1].offset
                account.records += records_through(scan, part.records, account.position, cut)
                account.position = cut + 1
                self._stop.set()
            else:
                account.records += scan.records
                account.position = account.end if scan.done else max(scan.next_offset, account.position)
            if found:
                account.matched += len(found)
                self._matched += len(found)
                if self.keep is not None:
                    found = found[: max(0, self.keep - self._kept)]
                if found:
                    self._kept += len(found)
                    self._matches.setdefault(partition, []).extend(found)
                    if self.on_match is not None:
                        self.on_match(found)
            self._report()

    async def _verify(self, candidates: list[Any]) -> list[Any]:
        """The candidates that really match: the key compared whole, then the
        filter (on decoded records when there is a decoder)."""
        if not candidates:
            return []
        query = self.query
        records = candidates
        if query.key is not None:
            key = query.key
            records = [r for r in records if r.key == key]
        if self.decoder is not None and records:
            # One partition at a time: the decoder holds a batch only for the
            # schema fetches that batch starts, so a second partition meeting
            # the same new id would otherwise go on undecoded.
            async with self._prepare_lock:
                await self.decoder.prepare(records)
            records = self.decoder.decode_batch(records)
        if query.filter is not None and not query.filter.matches_all and records and not self._proven:
            records = [records[i] for i in query.filter.select(records)]
        return records

    async def _new_leader(self, partition: int) -> None:
        await asyncio.sleep(RETRY_DELAY)
        try:
            info = await topic_info(self.client, self.query.topic)
        except KViewError as exc:
            log.debug("find: metadata of %s failed: %s", self.query.topic, exc)
            return
        for p in info.partitions:
            if p.partition == partition:
                self._leaders[partition] = p.leader
