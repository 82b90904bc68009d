"""``RecordCopier``: copies (or redrives) records from one topic to another,
on the same cluster or another profile's, and counts them first (dry run).

Reading: a consumer without a group (nothing committed), read_committed (no
aborted records copied), ``auto_offset_reset`` none (records deleted under the
copy stop it with the offsets said, never skipped silently), assigned the
window's partitions.  Writing: an idempotent producer with ``acks=all``, so a
retried batch is not written twice; every record's acknowledgement is
awaited.  On the first refusal the copy stops reading, waits for what is in
flight, and reports per source partition which offsets were sent, which
failed and why, and from which offset nothing was read."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.errors import KViewError, describe_exception
from kview.core.filters import parse_filter
from kview.core.readonly import write_action
from kview.core.replay.models import (
    FAILED,
    MATCHED,
    NO_TARGET,
    SENT,
    UNCONFIRMED,
    CopyProgress,
    CopyResult,
    CopySpec,
    PartitionAccount,
    runs_of,
)
from kview.core.replay.window import PartitionWindow, resolve_window

log = logging.getLogger(__name__)

ProgressCallback = Callable[[CopyProgress], Any]

IDLE_TIMEOUT = 15.0
"""Seconds without a fetched record before the end of the window: the copy
stops and says where (an open transaction, an offline partition)."""
MAX_RECORDS = 2000
"""Records per fetch."""


class RecordCopier:
    """Copies from ``source``'s cluster to ``target``'s (the same when None).
    Refused when either profile is read-only.  ``ack_timeout`` bounds the wait
    for the last acknowledgements (default: the target's request timeout + 5 s)."""

    def __init__(
        self,
        source: ClusterClient,
        target: ClusterClient | None = None,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        ack_timeout: float | None = None,
    ) -> None:
        self.source = source
        self.target = target or source
        self.idle_timeout = idle_timeout
        self.ack_timeout = ack_timeout if ack_timeout is not None else self.target.profile.request_timeout_ms / 1000 + 5
        self._cancel = asyncio.Event()

    @property
    def read_only(self) -> bool:
        return self.source.read_only or self.target.read_only

    def cancel(self) -> None:
        """Stop reading; what is in flight is still awaited and reported."""
        self._cancel.set()

    async def count(self, spec: CopySpec, on_progress: ProgressCallback | None = None) -> CopyResult:
        """The dry run: scan the window, count matches per target topic,
        send nothing."""
        return await _Run(self, spec, dry_run=True, on_progress=on_progress).run()

    @write_action("copy records")
    async def copy(self, spec: CopySpec, on_progress: ProgressCallback | None = None) -> CopyResult:
        """Copy the matching records; the result accounts for every one."""
        return await _Run(self, spec, dry_run=False, on_progress=on_progress).run()


class _Run:
    """One pass over a window (a dry run or a copy)."""

    def __init__(
        self, copier: RecordCopier, spec: CopySpec, *, dry_run: bool, on_progress: ProgressCallback | None
    ) -> None:
        self.copier = copier
        self.spec = spec
        self.dry_run = dry_run
        self.on_progress = on_progress
        self.filter = parse_filter(spec.filter) if spec.filter.strip() else None
        self.fates: dict[int, list[tuple[int, str, str]]] = {}
        self.scanned: dict[int, int] = {}
        self.matched: dict[int, int] = {}
        self.read_to: dict[int, int] = {}
        self.targets: dict[str, int] = {}
        self.target_partitions: dict[str, int | None] = {}
        self.stopped: str | None = None
        self.in_flight: set[asyncio.Future[Any]] = set()
        self.sent = 0
        self.failed = 0
        self.started = time.monotonic()

    # -- the run -----------------------------------------------------------------------

    async def run(self) -> CopyResult:
        spec = self.spec
        self.copier._cancel.clear()  # a stop asked of an earlier run does not carry over
        source_meta = await self.copier.source.metadata([spec.source])
        topic = source_meta.topic(spec.source)
        if topic is None or topic.error:
            raise KViewError(f"topic '{spec.source}' does not exist")
        available = [p.partition for p in topic.partitions]
        partitions = list(spec.partitions) if spec.partitions is not None else available
        unknown = [str(p) for p in partitions if p not in available]
        if unknown:
            raise KViewError(f"topic '{spec.source}' has no partition {', '.join(unknown)}")
        if not spec.redrive:
            await self._check_target(spec.target or "", partitions)
        consumer = AIOKafkaConsumer(
            **connection_kwargs(self.copier.source.profile),
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="none",
            max_poll_records=MAX_RECORDS,
            fetch_max_wait_ms=200,
        )
        producer: AIOKafkaProducer | None = None
        try:
            await consumer.start()
            windows = await resolve_window(consumer, spec.source, sorted(partitions), spec.start, spec.end)
            if not self.dry_run:
                producer = AIOKafkaProducer(
                    **connection_kwargs(self.copier.target.profile), acks="all", enable_idempotence=True
                )
                await producer.start()
            await self._scan(consumer, producer, windows)
            if producer is not None:
                await self._settle()
        finally:
            await _quietly(consumer.stop())
            if producer is not None:
                # Anything still unanswered is reported as unconfirmed; do not flush on.
                await _stop_producer(producer)
        missing = tuple(sorted(t for t, n in self.target_partitions.items() if n is None))
        return CopyResult(
            spec,
            self.dry_run,
            tuple(self._account(w) for w in windows),
            dict(sorted(self.targets.items())),
            missing,
            time.monotonic() - self.started,
            self.stopped,
        )

    async def _check_target(self, name: str, partitions: list[int]) -> None:
        count = await self._target_partition_count(name)
        if count is None:
            raise KViewError(f"target topic '{name}' does not exist")
        spec = self.spec
        if spec.partitioning == "chosen" and (spec.target_partition or 0) >= count:
            raise KViewError(f"target topic '{name}' has no partition {spec.target_partition} (it has {count})")
        if spec.partitioning == "keep" and partitions and max(partitions) >= count:
            raise KViewError(
                f"target topic '{name}' has {count} partition(s), fewer than the source's partition "
                f"{max(partitions)}: choose partitioning by key or a partition"
            )

    async def _target_partition_count(self, name: str) -> int | None:
        if name not in self.target_partitions:
            meta = await self.copier.target.metadata([name])
            topic = meta.topic(name)
            ok = topic is not None and not topic.error and topic.partitions
            self.target_partitions[name] = len(topic.partitions) if ok and topic is not None else None
        return self.target_partitions[name]

    async def _scan(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer | None, windows: list[PartitionWindow]
    ) -> None:
        spec = self.spec
        pending: dict[TopicPartition, PartitionWindow] = {}
        for w in windows:
            self.read_to[w.partition] = w.start
            self.fates[w.partition] = []
            self.scanned[w.partition] = self.matched[w.partition] = 0
            if w.size:
                pending[TopicPartition(spec.source, w.partition)] = w
        consumer.assign(list(pending))
        for tp, w in pending.items():
            consumer.seek(tp, w.start)
        total = sum(w.size for w in windows)
        limiter = _RateLimit(spec.rate)
        last_progress = idle_since = time.monotonic()
        while pending and self.stopped is None:
            if self.copier._cancel.is_set():
                self.stopped = "cancelled"
                break
            try:
                data = await consumer.getmany(*pending, timeout_ms=500, max_records=MAX_RECORDS)
            except Exception as exc:
                self.stopped = f"reading '{spec.source}' failed: {describe_exception(exc)}"
                break
            now = time.monotonic()
            if data:
                idle_since = now
            for tp, records in data.items():
                window = pending.get(tp)
                if window is None:
                    continue
                for record in records:
                    if record.offset >= window.end or self.stopped is not None:
                        break
                    await self._one(record, producer, limiter)
                    # This record has its fate; the ones after it are unread if the copy stops.
                    self.read_to[tp.partition] = record.offset + 1
            for tp in list(pending):
                w = pending[tp]
                if self.stopped is None and (
                    self.read_to[tp.partition] >= w.end or await consumer.position(tp) >= w.end
                ):
                    # Markers and aborted records take offsets too: the position says we are past them.
                    self.read_to[tp.partition] = w.end
                    del pending[tp]
            if pending and now - idle_since > self.copier.idle_timeout:
                where = ", ".join(f"{tp.partition}@{self.read_to[tp.partition]}" for tp in pending)
                self.stopped = (
                    f"nothing could be read for {self.copier.idle_timeout:g} s before the end of the window "
                    f"(partition@offset: {where})"
                )
            if self.on_progress is not None and (now - last_progress > 0.25 or not pending):
                last_progress = now
                self._progress(total)
        if self.on_progress is not None:
            self._progress(total)

    def _progress(self, total: int) -> None:
        assert self.on_progress is not None
        progress = CopyProgress(
            sum(self.scanned.values()),
            total,
            sum(self.matched.values()),
            self.sent,
            self.failed,
            time.monotonic() - self.started,
        )
        try:
            self.on_progress(progress)
        except Exception:  # a broken progress display must not break the copy
            log.exception("copy progress callback failed")

    async def _one(self, record: Any, producer: AIOKafkaProducer | None, limiter: _RateLimit) -> None:
        spec = self.spec
        partition = record.partition
        self.scanned[partition] += 1
        if self.filter is not None and not self.filter(record):
            return
        self.matched[partition] += 1
        fates = self.fates[partition]
        headers = list(record.headers or ())
        if spec.redrive:
            target = _header_text(headers, spec.redrive_header or "")
            if not target:
                fates.append((record.offset, NO_TARGET, ""))
                return
        else:
            target = spec.target or ""
        self.targets[target] = self.targets.get(target, 0) + 1
        count = await self._target_partition_count(target)
        if producer is None:
            fates.append((record.offset, MATCHED, ""))
            return
        if count is None:
            self._fail(record.offset, partition, f"topic '{target}' does not exist")
            return
        if spec.partitioning == "keep":
            to_partition: int | None = partition
            if partition >= count:
                self._fail(record.offset, partition, f"'{target}' has no partition {partition}")
                return
        elif spec.partitioning == "chosen":
            to_partition = spec.target_partition
            if (to_partition or 0) >= count:
                self._fail(record.offset, partition, f"'{target}' has no partition {to_partition}")
                return
        else:
            to_partition = None
        await limiter.wait()
        index = len(fates)
        fates.append((record.offset, UNCONFIRMED, ""))
        try:
            future = await producer.send(
                target,
                record.value,
                record.key if spec.keep_keys else None,
                to_partition,
                record.timestamp if spec.keep_timestamps else None,
                headers if spec.keep_headers and headers else None,
            )
        except Exception as exc:  # refused before sending (e.g. larger than the producer's max request size)
            fates[index] = (record.offset, FAILED, describe_exception(exc))
            self.failed += 1
            self.stopped = f"offset {record.offset} of partition {partition} was refused: {describe_exception(exc)}"
            return
        self.in_flight.add(future)
        future.add_done_callback(lambda f: self._acked(f, partition, index, record.offset))

    def _fail(self, offset: int, partition: int, reason: str) -> None:
        self.fates[partition].append((offset, FAILED, reason))
        self.failed += 1
        self.stopped = f"offset {offset} of partition {partition}: {reason}"

    def _acked(self, future: asyncio.Future[Any], partition: int, index: int, offset: int) -> None:
        self.in_flight.discard(future)
        if future.cancelled():
            return  # stays unconfirmed
        exc = future.exception()
        if exc is None:
            self.fates[partition][index] = (offset, SENT, "")
            self.sent += 1
            return
        reason = describe_exception(exc)
        self.fates[partition][index] = (offset, FAILED, reason)
        self.failed += 1
        if self.stopped is None:
            self.stopped = f"offset {offset} of partition {partition} was refused: {reason}"

    async def _settle(self) -> None:
        """Wait (bounded) for every acknowledgement still outstanding."""
        if self.in_flight:
            await asyncio.wait(set(self.in_flight), timeout=self.copier.ack_timeout)
        if self.in_flight and self.stopped is None:
            self.stopped = f"{len(self.in_flight)} record(s) unacknowledged after {self.copier.ack_timeout:g} s"

    def _account(self, w: PartitionWindow) -> PartitionAccount:
        fates = sorted(self.fates.get(w.partition, []))
        return PartitionAccount(
            w,
            self.scanned.get(w.partition, 0),
            self.matched.get(w.partition, 0),
            self.read_to.get(w.partition, w.start),
            runs_of(fates),
        )


class _RateLimit:
    """At most ``rate`` records a second, smoothed over the whole run."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.started = time.monotonic()
        self.count = 0

    async def wait(self) -> None:
        if self.rate is None:
            return
        self.count += 1
        due = self.started + (self.count - 1) / self.rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


def _header_text(headers: list[tuple[str, bytes | None]], name: str) -> str:
    for key, value in headers:
        if key == name and value:
            try:
                return value.decode("utf-8").strip()
            except UnicodeDecodeError:
                return ""
    return ""


async def _quietly(coro: Any) -> None:
    try:
        await asyncio.wait_for(coro, 10)
    except Exception:  # closing is best effort
        log.debug("close failed", exc_info=True)


async def _stop_producer(producer: AIOKafkaProducer) -> None:
    # aiokafka's stop() flushes first, and an idempotent producer may retry a
    # refused batch forever: stop its sender first (as produce/jobs.py does).
    sender_task = getattr(getattr(producer, "_sender", None), "sender_task", None)
    if sender_task is not None and not sender_task.done():
        sender_task.cancel()
    await _quietly(producer.stop())
