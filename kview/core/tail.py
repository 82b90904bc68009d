"""The tail: follow one topic (or some of its partitions) into a Ring.

The consumer never joins a group and never commits: ``group_id=None``,
``enable_auto_commit=False``, ``assign()`` and ``seek()``, so tailing can never
disturb a user's consumer group.  It loops on ``getmany()`` and appends each
batch whole to the ring, the consumer's record objects as they are (see
ring.Record); nothing is decoded here (the view decodes only what it draws),
unless the tail has a schema-registry ``decoder`` (kview.core.schemas.decoder):
then each batch's framed keys and values are decoded before it enters the ring
(a DecodedRecord in place of the consumer's record; see ``_decode``), so the
view, the filters and export all see the decoded JSON.
While ``hold`` is set (a paused view) a full ring keeps what it has and the
records read meanwhile are only counted.
After every batch it calls ``on_batch`` once, so the UI posts one message per
batch, not per record.

Nothing raises out of ``run()``: a deleted topic, an unreachable cluster or an
error from Kafka becomes a ``TailStatus`` the caller can show, and the tail
resumes by itself when it can (a re-created topic is tailed from its start).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka import errors as kafka_errors

from kview.core.cluster import connection_kwargs
from kview.core.config import ClusterProfile
from kview.core.errors import describe_exception
from kview.core.filters import Filter, FilterView, parse_filter
from kview.core.ring import DEFAULT_CAPACITY, Ring
from kview.core.untrack import untrack

if TYPE_CHECKING:
    from kview.core.schemas.client import RegistryClient
    from kview.core.schemas.decoder import RecordDecoder

log = logging.getLogger(__name__)

DEFAULT_PARTITION_FETCH_BYTES = 8 * 1024 * 1024
"""Per-partition fetch bound: large enough for a 5 MB record in one fetch
(and the broker still returns a larger first batch whole, KIP-74), small
enough that one fetch cannot hold hundreds of megabytes."""
DEFAULT_FETCH_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_RECORDS = 10_000
INGEST_CATCH_UP = 10_000
"""Records of a new filter's backlog each batch scans besides its own."""
STOP_TIMEOUT = 10.0
"""Seconds stop() waits for the loop and for the consumer to close."""
RATE_WINDOW = 2.0
"""Seconds over which msgs/s and bytes/s are averaged."""

STARTING = "starting"
RUNNING = "running"
PAUSED = "paused"
TOPIC_MISSING = "topic-missing"
UNREACHABLE = "unreachable"
ERROR = "error"
STOPPED = "stopped"

_values = attrgetter("value")
_keys = attrgetter("key")


# -- what the caller asks for and gets back ---------------------------------------------


@dataclass(frozen=True)
class StartPosition:
    """Where a tail starts (or reseeks to).  Build with the class methods."""

    mode: str
    """'latest', 'earliest', 'offset', 'time' or 'last'."""
    offset: int | None = None
    """'offset': the offset for every partition not in ``offsets``."""
    offsets: tuple[tuple[int, int], ...] = ()
    """'offset': (partition, offset) pairs."""
    timestamp_ms: int | None = None
    count: int | None = None

    @classmethod
    def latest(cls) -> StartPosition:
        """Only records produced from now on."""
        return cls("latest")

    @classmethod
    def earliest(cls) -> StartPosition:
        """Everything the topic still holds."""
        return cls("earliest")

    @classmethod
    def at_offset(cls, offset: int | Mapping[int, int]) -> StartPosition:
        """One offset for every partition, or a {partition: offset} mapping
        (partitions not in it start at the end).  Offsets outside a partition's
        range are clamped to it."""
        if isinstance(offset, Mapping):
            pairs = tuple(sorted((int(p), int(o)) for p, o in offset.items()))
            if any(o < 0 for _, o in pairs):
                raise ValueError("offsets must not be negative")
            return cls("offset", offsets=pairs)
        if offset < 0:
            raise ValueError("offset must not be negative")
        return cls("offset", offset=int(offset))

    @classmethod
    def at_time(cls, when: datetime | int | float) -> StartPosition:
        """The first record whose timestamp is at or after ``when`` (a datetime,
        naive meaning local time, or milliseconds since the epoch)."""
        if isinstance(when, datetime):
            ms = int(when.timestamp() * 1000)
        else:
            ms = int(when)
        if ms < 0:
            raise ValueError("time must not be before 1970")
        return cls("time", timestamp_ms=ms)

    @classmethod
    def last(cls, count: int) -> StartPosition:
        """The last ``count`` records of every partition."""
        if count < 0:
            raise ValueError("count must not be negative")
        return cls("last", count=int(count))

    def describe(self) -> str:
        if self.mode == "latest":
            return "new records only"
        if self.mode == "earliest":
            return "the beginning"
        if self.mode == "offset":
            if self.offsets:
                return "offsets " + ", ".join(f"p{p}@{o}" for p, o in self.offsets)
            return f"offset {self.offset}"
        if self.mode == "time":
            stamp = datetime.fromtimestamp((self.timestamp_ms or 0) / 1000).astimezone()
            return f"time {stamp.isoformat(timespec='seconds')}"
        return f"the last {self.count} per partition"


@dataclass(frozen=True)
class TailStatus:
    """What the tail is doing, in words fit for a status bar."""

    state: str
    message: str
    at: float = field(default_factory=time.time)

    @property
    def healthy(self) -> bool:
        return self.state in (STARTING, RUNNING, PAUSED)


@dataclass(frozen=True)
class TailBatch:
    """One getmany() batch appended to the ring: sequence numbers
    ``first_seq .. first_seq+count-1`` (``count`` is less than the batch
    while the ring is held and full, see Tail.hold; ``bytes`` is the whole
    batch's).  ``matched``: records the filter view gained (the batch's
    matches, plus older ones after a filter change); ``count`` when there is
    no filter."""

    first_seq: int
    count: int
    bytes: int
    matched: int

    @property
    def next_seq(self) -> int:
        return self.first_seq + self.count


@dataclass(frozen=True)
class TailStats:
    seen: int
    """Records read since the tail was created (all seeks), kept or skipped."""
    kept: int
    dropped: int
    """Records pushed out of the ring by newer ones."""
    skipped: int
    """Records read while the ring was full and held (``Tail.hold``): counted,
    not kept."""
    bytes_total: int
    msgs_per_s: float
    bytes_per_s: float
    matched: int
    """Records in the ring that pass the filter (== kept without a filter)."""
    positions: dict[int, int]
    """Next offset to be read, per partition."""


BatchHook = Callable[[TailBatch], Awaitable[None] | None]
StatusHook = Callable[[TailStatus], Awaitable[None] | None]


class _Rates:
    """Messages and bytes per second over the last RATE_WINDOW seconds."""

    def __init__(self) -> None:
        self._events: deque[tuple[float, int, int]] = deque()
        self._origin = time.monotonic()

    def restart(self) -> None:
        self._events.clear()
        self._origin = time.monotonic()

    def add(self, count: int, nbytes: int) -> None:
        self._events.append((time.monotonic(), count, nbytes))

    def rates(self) -> tuple[float, float]:
        now = time.monotonic()
        horizon = now - RATE_WINDOW
        events = self._events
        while events and events[0][0] < horizon:
            events.popleft()
        span = min(RATE_WINDOW, max(now - self._origin, 1e-3))
        return sum(e[1] for e in events) / span, sum(e[2] for e in events) / span


# -- the tail --------------------------------------------------------------------------


class Tail:
    """Follow ``topic`` into a Ring.

    ``await tail.start()`` runs the loop in a task (or ``await tail.run()`` in
    a worker of your own); ``await tail.stop()`` ends it.  ``partitions=None``
    follows every partition, including ones added while tailing.
    ``on_batch(TailBatch)`` and ``on_status(TailStatus)`` may be plain
    functions or coroutines; an exception in one is logged and ignored.
    """

    def __init__(
        self,
        profile: ClusterProfile,
        topic: str,
        *,
        partitions: Iterable[int] | None = None,
        start: StartPosition | None = None,
        capacity: int = DEFAULT_CAPACITY,
        ring: Ring | None = None,
        filter: str | Filter | None = None,
        on_batch: BatchHook | None = None,
        on_status: StatusHook | None = None,
        poll_timeout_ms: int = 200,
        max_records: int = DEFAULT_MAX_RECORDS,
        max_partition_fetch_bytes: int = DEFAULT_PARTITION_FETCH_BYTES,
        fetch_max_bytes: int = DEFAULT_FETCH_MAX_BYTES,
        fetch_max_wait_ms: int = 100,
        health_interval: float = 2.0,
        ingest_catch_up: int = INGEST_CATCH_UP,
        decoder: RecordDecoder | None = None,
        registry: RegistryClient | None = None,
        key_decoding: str = "auto",
        value_decoding: str = "auto",
        schemas_seen: dict[int, Any] | None = None,
    ) -> None:
        """``decoder``: decode registry-framed keys/values before they enter
        the ring; or ``registry`` with ``key_decoding`` / ``value_decoding``
        (decoder.DECODINGS) to have one built (none when both are 'none').
        ``schemas_seen``: a dict the schema ids met are written into
        (id -> SchemaInfo; ClusterServices.schemas_seen[topic])."""
        self.profile = profile
        self.topic = topic
        self.wanted_partitions = None if partitions is None else tuple(sorted(set(partitions)))
        self.start_position = start or StartPosition.latest()
        self.ring = ring if ring is not None else Ring(capacity)
        if isinstance(filter, str):
            filter = parse_filter(filter)
        self.view = FilterView(self.ring, filter)
        self.on_batch = on_batch
        self.on_status = on_status
        self.poll_timeout_ms = poll_timeout_ms
        self.max_records = max_records
        self.max_partition_fetch_bytes = max_partition_fetch_bytes
        self.fetch_max_bytes = fetch_max_bytes
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.health_interval = health_interval
        if decoder is None and registry is not None and (key_decoding, value_decoding) != ("none", "none"):
            from kview.core.schemas.decoder import RecordDecoder

            decoder = RecordDecoder(registry, key_decoding=key_decoding, value_decoding=value_decoding)
        self.decoder = decoder
        self.schemas_seen = schemas_seen
        self._ids_reported = 0
        self.decode_failures = 0
        """Batches the decoder itself failed on (kept raw; see _decode)."""
        self.ingest_catch_up = ingest_catch_up
        """Older records a new filter scans per batch (0: the caller catches
        up itself, e.g. the UI in time-bounded slices between key presses)."""

        self.status = TailStatus(STARTING, f"connecting to {profile.bootstrap_servers}")
        self.start_offsets: dict[int, int] = {}
        """Where the last start or reseek put each partition."""
        self.positions: dict[int, int] = {}
        """Next offset to read, per partition (survives reconnects)."""
        self.bytes_total = 0
        self.hold = False
        """While set, the ring never evicts: a batch fills what room is left
        and the rest of it is read (positions, rates, bytes and ``skipped``
        move on) but not kept.  The UI sets it while its view is paused: the
        paused view shows the ring's records, and had the ring pushed them
        out for new ones, the view would keep them alive besides the ring's
        new ones (a second ring's worth of memory per pause).  Skipped
        records stay in Kafka, where a jump (reseek) finds them."""
        self.skipped = 0
        """Records read while ``hold`` was set and the ring was full."""

        self._consumer: AIOKafkaConsumer | None = None
        self._assigned: tuple[TopicPartition, ...] = ()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._paused = False
        self._pending: list[tuple[StartPosition, bool, asyncio.Future[dict[int, int]] | None]] = []
        self._needs_position = True
        self._topic_was_missing = False
        self._missing_partitions = ""
        self._next_check = 0.0
        self._failures = 0
        self._loop_active = False
        self._status_task: asyncio.Task[None] | None = None
        self._rates = _Rates()

    # -- control (none of these raise on Kafka trouble) ------------------------------------

    async def start(self) -> None:
        """Run the tail in a background task (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name=f"kview-tail-{self.topic}")

    async def stop(self) -> None:
        """Stop the loop (started by start() or awaited as run() elsewhere) and
        close the consumer."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_TIMEOUT)
        # A run() awaited by someone else's worker notices _stopping within a poll.
        deadline = time.monotonic() + STOP_TIMEOUT
        while self._loop_active and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await self._close_consumer()
        if self.status.state != STOPPED:
            await self._set_status(STOPPED, "stopped")

    @property
    def running(self) -> bool:
        return self._loop_active or (self._task is not None and not self._task.done())

    async def reseek(self, start: StartPosition, *, clear: bool = True) -> dict[int, int]:
        """Jump to ``start`` while running (the ring is cleared unless
        ``clear=False``); returns the new start offsets per partition, or {} if
        the tail is not connected (then it applies when it connects)."""
        self.start_position = start
        if not self.running or self._consumer is None:
            self._needs_position = True
            self.positions = {}  # so a (re)connect starts at ``start``, not where it was
            if clear:
                self._clear()
            return {}
        future: asyncio.Future[dict[int, int]] = asyncio.get_running_loop().create_future()
        self._pending.append((start, clear, future))
        try:
            return await future
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop reports its own failures as status
            return {}

    def pause(self) -> None:
        """Stop fetching; the ring keeps what it has."""
        self._paused = True
        if self._consumer is not None and self._assigned:
            self._consumer.pause(*self._assigned)
        self._report_soon()

    def resume(self) -> None:
        self._paused = False
        if self._consumer is not None and self._assigned:
            self._consumer.resume(*self._assigned)
        self._report_soon()

    def _report_soon(self) -> None:
        if self.status.state in (RUNNING, PAUSED):
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # called outside the loop: status only
                self.status = TailStatus(PAUSED if self._paused else RUNNING, self._running_message())
                return
            # Keep a reference: the loop only holds tasks weakly.
            self._status_task = loop.create_task(self._report_running())

    @property
    def paused(self) -> bool:
        return self._paused

    def set_filter(self, filter: str | Filter | None) -> Filter | None:
        """Use a new filter (raises FilterError for a malformed expression).
        Matches are found lazily: call ``view.update(limit)`` to catch up in
        chunks, or leave it to the next batches (each scans its own records
        and up to INGEST_CATCH_UP of the ring's older ones)."""
        if isinstance(filter, str):
            filter = parse_filter(filter)
        self.view.reset(filter)
        return self.view.filter

    def stats(self) -> TailStats:
        msgs, nbytes = self._rates.rates()
        ring = self.ring
        return TailStats(
            seen=ring.seen + self.skipped,
            kept=ring.kept,
            dropped=ring.dropped,
            skipped=self.skipped,
            bytes_total=self.bytes_total,
            msgs_per_s=msgs,
            bytes_per_s=nbytes,
            matched=len(self.view),
            positions=dict(self.positions),
        )

    @property
    def seen(self) -> int:
        """Records read since the tail was created, kept or skipped (cheaper than stats())."""
        return self.ring.seen + self.skipped

    @property
    def assigned_partitions(self) -> tuple[int, ...]:
        return tuple(tp.partition for tp in self._assigned)

    # -- the loop --------------------------------------------------------------------------

    async def run(self) -> None:
        """Tail until stop() or cancellation.  Never raises anything else."""
        self._loop_active = True
        self._stopping = False
        try:
            while not self._stopping:
                try:
                    await self._step()
                    self._failures = 0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # every failure becomes a status, then a retry
                    if self._stopping:
                        break
                    await self._on_failure(exc)
        finally:
            self._loop_active = False
            for _, _, future in self._pending:
                if future is not None and not future.done():
                    future.set_result({})  # nobody is left to make the jump
            self._pending = []
            await self._close_consumer()

    async def _step(self) -> None:
        if self._consumer is None:
            await self._open()
        consumer = self._consumer
        assert consumer is not None
        if self._pending:
            await self._apply_pending()
        if self._needs_position:
            await self._assign_and_seek(self.start_position)
            self._needs_position = False
        now = time.monotonic()
        if not self._assigned or self._paused:
            if now >= self._next_check:
                await self._check_health(idle=True)
            await asyncio.sleep(min(self.poll_timeout_ms / 1000, 0.2))
            return
        data = await consumer.getmany(timeout_ms=self.poll_timeout_ms, max_records=self.max_records)
        if self._pending:
            return  # fetched from before the jump: the jump wins
        if data:
            await self._ingest(data)
            if time.monotonic() >= self._next_check + 10 * self.health_interval:
                await self._check_health(idle=False)
            # getmany() returns buffered records without suspending, so a busy
            # topic would keep the loop for as many batches as one fetch holds
            # (hundreds of ms); let the UI (keys, repaints) in between batches.
            await asyncio.sleep(0)
        elif time.monotonic() >= self._next_check:
            await self._check_health(idle=True)

    async def _ingest(self, data: dict[TopicPartition, list[Any]]) -> None:
        # The hot path.  The consumer's own record objects go into the ring
        # as they are (see ring.py for why); sizes are summed in C (map and
        # filter), never in a Python loop.
        # The positions move when the batch is in the ring, not before: a
        # decoder awaits the registry in between, and whoever watches the
        # positions (``kview tail`` stops at the end offsets) must find the
        # records in the ring once they say so.
        ends: dict[int, int] = {}
        batch: list[Any] = []
        nbytes = 0
        for tp, messages in data.items():
            batch = messages if not batch else batch + messages
            nbytes += sum(map(len, filter(None, map(_values, messages))))
            nbytes += sum(map(len, filter(None, map(_keys, messages))))
            ends[tp.partition] = messages[-1].offset + 1
        read = len(batch)
        ring = self.ring
        if self.hold:
            # Held: what fits in the ring's free room, the rest counted only.
            room = ring.capacity - len(ring)
            if room < read:
                self.skipped += read - room
                batch = batch[:room]
        if self.decoder is not None and batch:
            batch = await self._decode(batch)
            if self._pending:
                return  # a jump came while the registry was asked: it wins
        # Records live in the ring until newer ones push them out, and never
        # in cycles: the cycle collector need not walk them (untrack.py).
        # After decoding: the decoder untracks the DecodedRecords it makes,
        # and untracking the consumer's records they replace would be work
        # on objects freed right away; untrack leaves a mixed batch alone.
        untrack(batch)
        first = ring.extend(batch)
        self.positions.update(ends)
        # The batch, plus at most INGEST_CATCH_UP older records a new filter
        # has not looked at yet: after a filter change, scanning the whole
        # ring here would hold the loop (and the keys) for tens of ms.
        matched = self.view.update(len(batch) + self.ingest_catch_up) if self.view.active else len(batch)
        self.bytes_total += nbytes
        self._rates.add(read, nbytes)
        if self.status.state not in (RUNNING, ERROR) and not self._paused:
            await self._set_status(RUNNING, self._running_message())
        if self.on_batch is not None:
            await self._call_hook(self.on_batch, TailBatch(first, len(batch), nbytes, matched))

    async def _decode(self, batch: list[Any]) -> list[Any]:
        """``batch`` with its framed keys/values decoded.  A record that does
        not decode carries its reason (the decoder's contract); should the
        decoder itself fail, the batch goes into the ring raw: bad input or a
        bug there must never stop the tail."""
        decoder = self.decoder
        assert decoder is not None
        try:
            await decoder.prepare(batch)
            decoded = decoder.decode_batch(batch)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.decode_failures += 1
            log.warning("decoding a batch of %s failed; kept raw", self.topic, exc_info=True)
            return batch
        seen = self.schemas_seen
        if seen is not None:
            try:
                ids = decoder.seen_ids()
            except Exception:  # pragma: no cover - the decoder's contract says it does not raise
                log.debug("seen_ids failed", exc_info=True)
            else:
                if len(ids) != self._ids_reported:
                    self._ids_reported = len(ids)
                    seen.update(ids)
        return decoded

    # -- connecting and positioning ---------------------------------------------------------

    def _consumer_kwargs(self) -> dict[str, Any]:
        return {
            **connection_kwargs(self.profile),
            # The two settings that keep a tail harmless to the cluster's groups.
            "group_id": None,
            "enable_auto_commit": False,
            # Retention can delete records under a slow tail; carry on from the
            # oldest record still there rather than stall.
            "auto_offset_reset": "earliest",
            "max_partition_fetch_bytes": self.max_partition_fetch_bytes,
            "fetch_max_bytes": self.fetch_max_bytes,
            "fetch_max_wait_ms": self.fetch_max_wait_ms,
            "max_poll_records": self.max_records,
        }

    async def _open(self) -> None:
        if self.status.state not in (UNREACHABLE, ERROR):
            await self._set_status(STARTING, f"connecting to {self.profile.bootstrap_servers}")
        consumer = AIOKafkaConsumer(**self._consumer_kwargs())
        try:
            await consumer.start()
        except BaseException:
            await _stop_quietly(consumer)
            raise
        self._consumer = consumer
        self._assigned = ()
        if self.positions:
            # Reconnecting: carry on where we were, not at the start position.
            self._needs_position = False
            await self._resume_positions()
        else:
            self._needs_position = True

    async def _close_consumer(self) -> None:
        consumer, self._consumer = self._consumer, None
        self._assigned = ()
        if consumer is not None:
            await _stop_quietly(consumer)

    async def _topic_partitions(self) -> list[int] | None:
        """Partitions of the topic per fresh metadata; None if it does not exist."""
        assert self._consumer is not None
        # consumer.partitions_for_topic() only reads a cache that is never
        # refreshed for a topic we are not assigned to; ask the brokers.
        cluster = await asyncio.wait_for(self._consumer._client.fetch_all_metadata(), self._request_timeout())
        parts = cluster.partitions_for_topic(self.topic)
        if parts is None:
            return None
        return sorted(parts)

    def _request_timeout(self) -> float:
        return max(1.0, self.profile.request_timeout_ms / 1000)

    async def _choose_partitions(self) -> list[TopicPartition] | None:
        """The partitions to follow, per fresh metadata; None if the topic is
        missing.  Asked-for partitions that do not exist leave an ERROR status."""
        available = await self._topic_partitions()
        if available is None:
            return None
        chosen = available if self.wanted_partitions is None else [p for p in self.wanted_partitions if p in available]
        self._missing_partitions = self._missing_in(available)
        return [TopicPartition(self.topic, p) for p in chosen]

    def _missing_in(self, available: list[int]) -> str:
        """Why the asked-for partitions cannot all be followed ('' if they can)."""
        if self.wanted_partitions is None:
            return ""
        missing = [p for p in self.wanted_partitions if p not in available]
        if not missing:
            return ""
        return f"topic '{self.topic}' has no partition {', '.join(map(str, missing))} (it has {len(available)})"

    async def _report_running(self) -> None:
        if self._missing_partitions:
            await self._set_status(ERROR, self._missing_partitions)
        else:
            await self._set_status(PAUSED if self._paused else RUNNING, self._running_message())

    async def _assign_and_seek(self, start: StartPosition) -> dict[int, int]:
        consumer = self._consumer
        assert consumer is not None
        tps = await self._choose_partitions()
        if tps is None:
            await self._topic_missing()
            return {}
        if not tps:
            self._assigned = ()
            consumer.assign([])
            await self._report_running()
            return {}
        consumer.assign(tps)
        self._assigned = tuple(tps)
        if self._paused:
            consumer.pause(*tps)
        offsets = await self._resolve(start, tps)
        for tp in tps:
            consumer.seek(tp, offsets[tp.partition])
        self.start_offsets = dict(offsets)
        self.positions = dict(offsets)
        self._rates.restart()
        self._topic_was_missing = False
        await self._report_running()
        return dict(offsets)

    async def _resume_positions(self) -> None:
        """After a reconnect: same partitions, same next offsets."""
        consumer = self._consumer
        assert consumer is not None
        tps = await self._choose_partitions()
        if tps is None:
            await self._topic_missing()
            return
        consumer.assign(tps)
        self._assigned = tuple(tps)
        if self._paused and tps:
            consumer.pause(*tps)
        low, high = await self._watermarks(tps)
        for tp in tps:
            p = tp.partition
            position = self.positions.get(p, low[p])
            consumer.seek(tp, min(max(position, low[p]), high[p]))
        await self._report_running()

    async def _watermarks(self, tps: list[TopicPartition]) -> tuple[dict[int, int], dict[int, int]]:
        consumer = self._consumer
        assert consumer is not None
        low = await consumer.beginning_offsets(tps)
        high = await consumer.end_offsets(tps)
        return ({tp.partition: o for tp, o in low.items()}, {tp.partition: o for tp, o in high.items()})

    async def _resolve(self, start: StartPosition, tps: list[TopicPartition]) -> dict[int, int]:
        """Start offset of every partition for ``start``, inside [low, high]."""
        consumer = self._consumer
        assert consumer is not None
        low, high = await self._watermarks(tps)
        mode = start.mode
        offsets: dict[int, int] = {}
        if mode == "earliest":
            offsets = dict(low)
        elif mode == "latest":
            offsets = dict(high)
        elif mode == "last":
            n = start.count or 0
            offsets = {p: max(low[p], high[p] - n) for p in high}
        elif mode == "offset":
            explicit = dict(start.offsets)
            for p in high:
                wanted = explicit.get(p, start.offset if start.offset is not None else high[p])
                offsets[p] = min(max(wanted, low[p]), high[p])
        elif mode == "time":
            found = await consumer.offsets_for_times({tp: start.timestamp_ms for tp in tps})
            for tp in tps:
                hit = found.get(tp)
                # No record at or after that time: start at the end.
                offsets[tp.partition] = hit.offset if hit is not None else high[tp.partition]
        else:
            raise ValueError(f"unknown start mode {mode!r}")
        return offsets

    async def _apply_pending(self) -> None:
        pending, self._pending = self._pending, []
        # Only the last jump matters; earlier callers get its answer too.
        start, clear, _ = pending[-1]
        try:
            if clear:
                self._clear()
            offsets = await self._assign_and_seek(start)
        except Exception as exc:
            for _, _, future in pending:
                if future is not None and not future.done():
                    future.set_exception(exc)
                    future.exception()  # mark retrieved: the status reports it
            raise
        for _, _, future in pending:
            if future is not None and not future.done():
                future.set_result(offsets)

    def _clear(self) -> None:
        self.ring.clear()
        self.view.reset(self.view.filter)
        self._rates.restart()

    # -- health ----------------------------------------------------------------------------

    async def _check_health(self, *, idle: bool) -> None:
        """Is the topic still there (and did it gain partitions)?  Can we reach
        the cluster?  Runs when the tail is idle, and now and then when busy."""
        self._next_check = time.monotonic() + self.health_interval
        try:
            available = await self._topic_partitions()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._set_status(UNREACHABLE, f"cannot reach the cluster: {describe_exception(exc)}; retrying")
            return
        if available is None:
            await self._topic_missing()
            return
        if self._topic_was_missing:
            # It came back: a new topic with the same name, so read all of it.
            await self._assign_and_seek(StartPosition.earliest())
            await self._set_status(RUNNING, f"topic '{self.topic}' exists again; tailing it from its beginning")
            return
        self._missing_partitions = self._missing_in(available)
        assigned = {tp.partition for tp in self._assigned}
        wanted = set(available) if self.wanted_partitions is None else set(self.wanted_partitions) & set(available)
        if wanted - assigned:
            await self._add_partitions(sorted(wanted - assigned))
            return
        if self.status.state in (UNREACHABLE, TOPIC_MISSING, STARTING, ERROR):
            await self._report_running()

    async def _add_partitions(self, new: list[int]) -> None:
        """Partitions that appeared while tailing: read them from their start."""
        consumer = self._consumer
        assert consumer is not None
        old = list(self._assigned)
        fresh = [TopicPartition(self.topic, p) for p in new]
        tps = old + fresh
        consumer.assign(tps)
        self._assigned = tuple(tps)
        low, high = await self._watermarks(tps)
        for tp in tps:
            p = tp.partition
            position = self.positions.get(p, low[p]) if tp in old else low[p]
            consumer.seek(tp, min(max(position, low[p]), high[p]))
            self.positions.setdefault(p, low[p])
        if self._paused:
            consumer.pause(*tps)
        if self._missing_partitions:
            await self._set_status(ERROR, self._missing_partitions)
        else:
            await self._set_status(RUNNING, f"tailing {self.topic}: new partition(s) {', '.join(map(str, new))} added")

    async def _topic_missing(self) -> None:
        self._topic_was_missing = True
        if self._assigned and self._consumer is not None:
            # Unassign so the fetcher stops asking for a topic that is gone.
            self._consumer.assign([])
        self._assigned = ()
        if self.status.state != TOPIC_MISSING:
            await self._set_status(
                TOPIC_MISSING,
                f"topic '{self.topic}' does not exist (deleted?); waiting for it to come back",
            )

    async def _on_failure(self, exc: Exception) -> None:
        self._failures += 1
        message = describe_exception(exc)
        reconnect = (
            isinstance(
                exc,
                (
                    kafka_errors.KafkaConnectionError,
                    kafka_errors.ConsumerStoppedError,
                    kafka_errors.NodeNotReadyError,
                    kafka_errors.KafkaTimeoutError,
                    asyncio.TimeoutError,
                    ConnectionError,
                    OSError,
                ),
            )
            or self._consumer is None
        )
        if isinstance(exc, kafka_errors.UnknownTopicOrPartitionError):
            await self._topic_missing()
        elif reconnect:
            await self._set_status(UNREACHABLE, f"cannot reach the cluster: {message}; retrying")
        else:
            await self._set_status(ERROR, f"{message}; retrying")
        log.debug("tail of %s failed", self.topic, exc_info=True)
        if reconnect or self._failures >= 5:
            await self._close_consumer()
        # Back off: 0.5 s, 1 s, 2 s ... up to 5 s between attempts.
        await asyncio.sleep(min(5.0, 0.25 * (2 ** min(self._failures, 5))))

    # -- reporting -------------------------------------------------------------------------

    def _running_message(self) -> str:
        parts = self.assigned_partitions
        which = (
            "all partitions"
            if self.wanted_partitions is None
            else ("partition " + ", ".join(map(str, parts)) if parts else "no partition")
        )
        state = "paused" if self._paused else "tailing"
        return f"{state} {self.topic} ({which}) from {self.start_position.describe()}"

    async def _set_status(self, state: str, message: str) -> None:
        if self.status.state == state and self.status.message == message:
            return
        if self._stopping and state != STOPPED:
            return  # failures caused by stopping are not news
        self.status = TailStatus(state, message)
        if self.on_status is not None:
            await self._call_hook(self.on_status, self.status)

    async def _call_hook(self, hook: Callable[[Any], Any], argument: Any) -> None:
        try:
            result = hook(argument)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("tail callback %r failed", hook)


async def _stop_quietly(consumer: AIOKafkaConsumer) -> None:
    try:
        await asyncio.wait_for(consumer.stop(), STOP_TIMEOUT)
    except asyncio.CancelledError:
        # aiokafka's stop() can re-raise the cancellation of its own internal
        # task (one cancelled before it first ran); only ours must propagate.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.debug("consumer stop: internal task cancelled")
    except Exception:  # a half-started consumer can fail to stop; nothing to report
        log.debug("consumer stop failed", exc_info=True)
