"""Jobs that send many records: a templated load or a file import, run as a
ProduceJob with a bounded in-flight window.

Counting rules: ``sent`` counts records handed to the producer, each of
which ends as exactly one of ``acked`` or ``failed``; a finished job always
has ``sent == acked + failed``.  A record refused before it reached the
producer (one that does not fit its schema: ``RecordRefused``) counts as
sent and failed, as one aiokafka refuses does.  A job stops at its first failure (the
records already in flight still finish), and also when a full window gets no
acknowledgement for ``ack_timeout`` seconds; the records still unanswered
then count as failed.  With ``acks=0`` there is no acknowledgement: a record
counts as acked once it is written to the socket, and its offset and
timestamp are unknown (None)."""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors

from kview.core.errors import KViewError
from kview.core.importers import (
    PLAIN,
    ImportFileError,
    ImportOptions,
    ImportProblem,
    RecordEncoding,
    read_file,
)
from kview.core.produce.encoding import NO_ENCODERS, MessageEncoders
from kview.core.produce.errors import InvalidMessage
from kview.core.produce.message import Headers, ValueFormat
from kview.core.templates import MessageTemplate

log = logging.getLogger(__name__)


DEFAULT_WINDOW = 10_000
"""Records a job may have in flight (sent, not yet acknowledged)."""

CATCH_UP_SECONDS = 1.0
"""A rate-limited job that falls further behind its schedule than this (the
broker pushed back) restarts the schedule instead of bursting to catch up."""


# -- jobs: templated load and file import ------------------------------------------


@dataclass(frozen=True)
class LoadSpec:
    """A templated load: ``count`` messages, or for ``duration`` seconds (the
    first limit reached ends it), at ``rate`` messages per second or, with
    ``rate=None``, as fast as the broker takes them.  Key, value and header
    names/values are templates (see ``kview.core.templates``).  With
    ``value_format=JSON`` the first rendered value is validated before sending
    (placeholders could still make a later one differ)."""

    topic: str
    key: str | None = None
    value: str | None = ""
    headers: Headers = ()
    partition: int | None = None
    count: int | None = None
    duration: float | None = None
    rate: float | None = None
    value_format: ValueFormat = ValueFormat.TEXT
    seed: int | None = None

    def problems(self) -> list[str]:
        found = []
        if not self.topic:
            found.append("choose a topic")
        if self.count is None and self.duration is None:
            found.append("give a message count or a duration")
        if self.count is not None and self.count < 1:
            found.append("the count must be at least 1")
        if self.duration is not None and not self.duration > 0:
            found.append("the duration must be more than 0 seconds")
        if self.rate is not None and not (self.rate > 0 and math.isfinite(self.rate)):
            found.append("the rate must be more than 0 messages per second (or full speed)")
        if self.key is None and self.value is None:
            found.append("a message needs a key or a value: the key and the value cannot both be null")
        if self.partition is not None and self.partition < 0:
            found.append("the partition must be a number >= 0")
        return found


class JobState(enum.Enum):
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class LoadProgress:
    """A snapshot of a job's counters (cheap; the UI polls it)."""

    sent: int
    acked: int
    failed: int
    elapsed: float
    """Seconds since the first send; frozen when the job finishes."""
    state: JobState = JobState.RUNNING
    total: int | None = None
    """Records the job will send, when known (count, or records in the file)."""
    duration: float | None = None
    target_rate: float | None = None
    error: str | None = None

    @property
    def in_flight(self) -> int:
        return self.sent - self.acked - self.failed

    @property
    def rate(self) -> float:
        """Acknowledged messages per second so far."""
        return self.acked / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def finished(self) -> bool:
        return self.state is not JobState.RUNNING

    @property
    def fraction(self) -> float | None:
        """0..1 for a progress bar: by count when known, else by time."""
        if self.total:
            return min(1.0, (self.acked + self.failed) / self.total)
        if self.duration:
            return min(1.0, self.elapsed / self.duration)
        return None


class RecordRefused(KViewError):
    """A record the job could not even hand to the producer (it does not fit
    its schema): counted as failed, and the job stops there."""


ProgressCallback = Callable[[LoadProgress], None]
Record = tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes | None]], int | None]


class ProduceJob:
    """One running load or import.  ``progress()`` for a snapshot, ``cancel()``
    to stop (records in flight still finish and are counted), ``await wait()``
    for the final LoadProgress.  Created by ProduceService, never directly."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        topic: str,
        source: Iterator[Record],
        *,
        explain: Callable[[BaseException], Any],
        total: int | None = None,
        duration: float | None = None,
        rate: float | None = None,
        window: int = DEFAULT_WINDOW,
        on_progress: ProgressCallback | None = None,
        progress_interval: float = 0.25,
        drain_timeout: float = 30.0,
    ) -> None:
        self.topic = topic
        self.sent = 0
        self.acked = 0
        self.failed = 0
        self._producer = producer
        self._source = source
        self._explain = explain
        self._total = total
        self._duration = duration
        self._rate = rate
        self._window = max(1, window)
        self._low_water = self._window // 2
        self._on_progress = on_progress
        self._progress_interval = progress_interval
        self._drain_timeout = drain_timeout
        self._started: float | None = None
        self._finished: float | None = None
        self._state = JobState.RUNNING
        self._first_exc: BaseException | None = None
        self._error: str | None = None
        self._counting = True
        self._stalled = False
        self._space: asyncio.Future[None] | None = None
        self._idle: asyncio.Future[None] | None = None
        self._task: asyncio.Task[LoadProgress] | None = None

    def _start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"kview-produce-{self.topic}")

    # -- what the UI calls --

    def progress(self) -> LoadProgress:
        """The counters as of now."""
        if self._started is None:
            elapsed = 0.0
        else:
            elapsed = (self._finished if self._finished is not None else time.monotonic()) - self._started
        return LoadProgress(
            sent=self.sent,
            acked=self.acked,
            failed=self.failed,
            elapsed=elapsed,
            state=self._state,
            total=self._total,
            duration=self._duration,
            target_rate=self._rate,
            error=self._error,
        )

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done()

    def cancel(self) -> None:
        """Stop sending; the job then waits for the records in flight."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def wait(self) -> LoadProgress:
        """The final progress.  Cancelling the caller cancels the job too, and
        still waits for it to settle its counts before re-raising."""
        assert self._task is not None
        try:
            return await asyncio.shield(self._task)
        except asyncio.CancelledError:
            self.cancel()
            await asyncio.wait([self._task])
            raise

    # -- the sending loop --

    def _note_failure(self, exc: BaseException) -> None:
        if self._first_exc is None:
            self._first_exc = exc

    def _on_done(self, fut: asyncio.Future[Any]) -> None:
        if not self._counting:
            return  # already written off as unacknowledged by _drain
        if fut.cancelled():
            self.failed += 1
            self._note_failure(kafka_errors.KafkaTimeoutError("delivery was cancelled"))
        else:
            exc = fut.exception()
            if exc is None:
                self.acked += 1
            else:
                self.failed += 1
                self._note_failure(exc)
        in_flight = self.sent - self.acked - self.failed
        space = self._space
        if space is not None and in_flight <= self._low_water and not space.done():
            space.set_result(None)
        idle = self._idle
        if idle is not None and in_flight == 0 and not idle.done():
            idle.set_result(None)

    def _report(self) -> None:
        if self._on_progress is None:
            return
        try:
            self._on_progress(self.progress())
        except Exception:  # a broken progress display must not stop the job
            log.exception("produce progress callback failed")

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        send = self._producer.send
        topic = self.topic
        on_done = self._on_done
        window = self._window
        rate = self._rate
        interval = 1.0 / rate if rate else 0.0
        monotonic = time.monotonic
        start = self._started = monotonic()
        origin = start
        deadline = start + self._duration if self._duration else math.inf
        next_report = start + self._progress_interval
        source = self._source
        while True:
            try:
                key, value, headers, partition = next(source)
            except StopIteration:
                break
            except RecordRefused as exc:
                self.sent += 1
                self.failed += 1
                self._note_failure(exc)
                break
            now = monotonic()
            if rate:
                # Schedule by time: record n is due at origin + n/rate.  Sleeping
                # until the next due time and then sending everything due keeps
                # the average exact even though the loop's timers are coarse.
                due = origin + self.sent * interval
                if due >= deadline:
                    break
                if now < due:
                    await asyncio.sleep(due - now)
                    now = monotonic()
                elif now - due > CATCH_UP_SECONDS:
                    origin = now - self.sent * interval
            elif now >= deadline:
                break
            try:
                fut = await send(topic, value, key, partition, headers=headers)
            except asyncio.CancelledError:
                raise  # the record was not queued: it is not counted
            except Exception as exc:
                self.sent += 1
                self.failed += 1
                self._note_failure(exc)
                break
            self.sent += 1
            fut.add_done_callback(on_done)
            if self.sent - self.acked - self.failed >= window:
                self._space = loop.create_future()
                try:
                    # A broker that stops answering (or an idempotent producer
                    # retrying a refused batch forever) must not hang the job.
                    await asyncio.wait_for(asyncio.shield(self._space), self._drain_timeout)
                except TimeoutError:
                    self._note_failure(
                        kafka_errors.KafkaTimeoutError(f"no acknowledgement for {self._drain_timeout:g} s")
                    )
                    self._stalled = True
                    break
                finally:
                    self._space = None
            if self._first_exc is not None:
                break
            if now >= next_report:
                self._report()
                next_report = now + self._progress_interval

    async def _drain(self) -> None:
        """Wait for every record in flight; after drain_timeout the rest count as failed."""
        if self.sent - self.acked - self.failed > 0:
            self._idle = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._idle), 0 if self._stalled else self._drain_timeout)
            except TimeoutError:
                self._counting = False
                missing = self.sent - self.acked - self.failed
                self.failed += missing
                self._note_failure(
                    kafka_errors.KafkaTimeoutError(
                        f"{missing} message(s) not acknowledged within {self._drain_timeout:g} s"
                    )
                )
        self._finished = time.monotonic()

    async def _run(self) -> LoadProgress:
        cancelled = False
        try:
            try:
                await self._pump()
            except asyncio.CancelledError:
                cancelled = True
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()  # we handle it: drain and settle the counts
            except Exception as exc:  # a bad source (file changed) or a producer bug
                self._note_failure(exc)
            await self._drain()
        finally:
            if self._finished is None:
                self._finished = time.monotonic()
            if self._started is None:
                self._started = self._finished
            await stop_producer(
                self._producer, undelivered=self.sent - self.acked - self.failed > 0 or not self._counting
            )
            if self._first_exc is not None:
                self._error = str(await self._explain(self._first_exc))
                self._state = JobState.FAILED
            elif cancelled:
                self._state = JobState.CANCELLED
            else:
                self._state = JobState.DONE
            self._report()
        return self.progress()


async def stop_producer(producer: AIOKafkaProducer, *, undelivered: bool = False, timeout: float = 10.0) -> None:
    """Close a producer without hanging on batches the broker will never take."""
    if undelivered:
        # aiokafka's stop() flushes first, and an idempotent producer retries a
        # refused batch forever; stopping its sender task first ends that.
        sender_task = getattr(getattr(producer, "_sender", None), "sender_task", None)
        if sender_task is not None and not sender_task.done():
            sender_task.cancel()
    try:
        await asyncio.wait_for(producer.stop(), timeout)
    except Exception:  # closing is best effort; the connection dies with the process anyway
        log.debug("producer stop failed", exc_info=True)


def template_source(
    spec: LoadSpec, template: MessageTemplate, encoders: MessageEncoders = NO_ENCODERS
) -> Iterator[Record]:
    render = template.renderer(spec.seed)
    partition = spec.partition
    i = 0
    count = spec.count
    encode = encoders.encode_bytes if encoders.active else None
    while count is None or i < count:
        key, value, headers = render(i)
        if encode is not None:
            try:
                key, value = encode("key", key), encode("value", value)
            except InvalidMessage as exc:
                raise RecordRefused(f"message {i + 1} ({{{{i}}}}={i}): {exc}") from None
        yield key, value, headers, partition
        i += 1


def file_source(
    path: Path | str, options: ImportOptions, partition: int | None, encoding: RecordEncoding = PLAIN
) -> Iterator[Record]:
    for item in read_file(path, options, encoding):
        if isinstance(item, ImportProblem):
            # The file was checked before sending; a change since then stops the job.
            raise ImportFileError(f"{path}: {item} (the file changed while importing)", (item,))
        yield item.key, item.value, list(item.headers), item.partition if partition is None else partition
