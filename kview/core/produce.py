"""The producer service: compose and send one message, templated load, file
import, and the words for every way a send can fail.

Data flow: the UI builds a ComposedMessage (or a LoadSpec, or ImportOptions)
and calls ProduceService.  Every sending method is a ``@write_action("produce")``
and checks the topic (and partition) with one short Metadata request first, so
an unknown topic fails at once instead of after aiokafka's metadata wait.

Single sends share one producer, rebuilt when the settings change.  A load or
an import gets its own producer and runs as a ProduceJob: a task that sends
with ``send()`` futures and a bounded in-flight window, counts acknowledgements
in the futures' callbacks, and can be cancelled at any time.  Counting rules:
``sent`` counts records handed to the producer, each of which ends as exactly
one of ``acked`` or ``failed``; a finished job always has
``sent == acked + failed``.  A job stops at its first failure (the records
already in flight still finish), and also when a full window gets no
acknowledgement for ``ack_timeout`` seconds; the records still unanswered then
count as failed.  With ``acks=0`` there is no acknowledgement:
a record counts as acked once it is written to the socket, and its offset and
timestamp are unknown (None).

Importing checks the whole file first and sends nothing when any line is bad;
the error lists the first bad lines with their numbers.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.config import ProducerDefaults
from kview.core.errors import (
    ClusterUnavailable,
    KafkaRequestError,
    KViewError,
    describe_exception,
    error_name,
)
from kview.core.importers import (
    FileCheck,
    ImportFileError,
    ImportOptions,
    ImportProblem,
    check_file,
    read_file,
)
from kview.core.models import TopicInfo
from kview.core.readonly import write_action
from kview.core.templates import MessageTemplate

log = logging.getLogger(__name__)

ACKS = ("0", "1", "all")
COMPRESSIONS = ("none", "gzip", "snappy", "lz4", "zstd")

DEFAULT_WINDOW = 10_000
"""Records a job may have in flight (sent, not yet acknowledged)."""

CATCH_UP_SECONDS = 1.0
"""A rate-limited job that falls further behind its schedule than this (the
broker pushed back) restarts the schedule instead of bursting to catch up."""


# -- errors ------------------------------------------------------------------------


class ProduceError(KViewError):
    """A message, a setting or a send was refused."""


class InvalidMessage(ProduceError):
    """The composed message is not valid (nothing was sent)."""


class InvalidJSON(InvalidMessage):
    """The value is not valid JSON; ``line`` and ``column`` are 1-based."""

    def __init__(self, problem: str, line: int, column: int, *, what: str = "value") -> None:
        self.problem = problem
        self.line = line
        self.column = column
        super().__init__(f"{what} is not valid JSON: {problem} at line {line}, column {column}")


def validate_json(text: str, *, what: str = "value") -> None:
    """Raise InvalidJSON (with line and column) unless ``text`` is one JSON document."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidJSON(exc.msg, exc.lineno, exc.colno, what=what) from None
    except RecursionError:
        raise InvalidJSON("nested too deeply", 1, 1, what=what) from None


# -- settings ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProducerSettings:
    """Producer settings the user can change; defaults from the cluster profile."""

    acks: str = "all"
    idempotence: bool = True
    compression: str = "none"
    linger_ms: int = 5
    batch_size: int = 16384

    @classmethod
    def from_defaults(cls, defaults: ProducerDefaults) -> ProducerSettings:
        return cls(defaults.acks, defaults.idempotence, defaults.compression,
                   defaults.linger_ms, defaults.batch_size)

    def problems(self) -> list[str]:
        """Every reason these settings cannot be used (empty when valid)."""
        found = []
        if self.acks not in ACKS:
            found.append(f"acks must be one of {', '.join(ACKS)}, not {self.acks!r}")
        elif self.idempotence and self.acks != "all":
            found.append(
                f"idempotence needs acks=all (with acks={self.acks} the broker cannot confirm every "
                "write exactly once): set acks to all or turn idempotence off"
            )
        if self.compression not in COMPRESSIONS:
            found.append(f"compression must be one of {', '.join(COMPRESSIONS)}, not {self.compression!r}")
        if not isinstance(self.linger_ms, int) or self.linger_ms < 0:
            found.append("linger_ms must be a whole number >= 0")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            found.append("batch_size must be a whole number >= 1")
        return found

    def validate(self) -> None:
        found = self.problems()
        if found:
            raise ProduceError("; ".join(found))

    def producer_kwargs(self) -> dict[str, Any]:
        """AIOKafkaProducer arguments for these settings (without connection ones)."""
        return {
            "acks": "all" if self.acks == "all" else int(self.acks),
            "enable_idempotence": self.idempotence,
            "compression_type": None if self.compression == "none" else self.compression,
            "linger_ms": self.linger_ms,
            "max_batch_size": self.batch_size,
        }


# -- composing one message --------------------------------------------------------


class ValueFormat(enum.Enum):
    TEXT = "text"
    JSON = "json"


Headers = tuple[tuple[str, str], ...]


def parse_header_rows(rows: str | Iterable[str]) -> Headers:
    """``name=value`` rows (a string is split into lines) -> header pairs.

    Blank rows are skipped; a row splits at its first ``=``; the name is
    trimmed, the value kept exactly.  Names may repeat, as Kafka allows."""
    lines = rows.splitlines() if isinstance(rows, str) else list(rows)
    headers = []
    for n, row in enumerate(lines, 1):
        if not row.strip():
            continue
        name, sep, value = row.partition("=")
        name = name.strip()
        if not sep:
            raise InvalidMessage(f"header row {n}: expected name=value, got {row.strip()!r}")
        if not name:
            raise InvalidMessage(f"header row {n}: the header name is empty")
        headers.append((name, value))
    return tuple(headers)


def format_header_rows(headers: Headers) -> str:
    """Inverse of parse_header_rows, for re-opening a message in the form."""
    return "\n".join(f"{name}={value}" for name, value in headers)


@dataclass(frozen=True)
class ComposedMessage:
    """One message as the user wrote it.  ``key=None`` is a null key,
    ``value=None`` a tombstone; ``partition=None`` lets the partitioner choose."""

    topic: str
    key: str | None = None
    value: str | None = ""
    headers: Headers = ()
    partition: int | None = None
    value_format: ValueFormat = ValueFormat.TEXT

    def check(self) -> None:
        """Raise InvalidMessage when this message cannot be sent (nothing is sent)."""
        if not self.topic:
            raise InvalidMessage("choose a topic")
        if self.partition is not None and (isinstance(self.partition, bool) or self.partition < 0):
            raise InvalidMessage(f"partition must be a number >= 0, not {self.partition}")
        if self.key is None and self.value is None:
            raise InvalidMessage("a message needs a key or a value: the key and the value cannot both be null")
        for name, _ in self.headers:
            if not name:
                raise InvalidMessage("a header name is empty")
        if self.value_format is ValueFormat.JSON and self.value is not None:
            validate_json(self.value)

    def encode(self) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]:
        """Checked and encoded for the producer: (key, value, headers)."""
        self.check()
        return (
            None if self.key is None else self.key.encode(),
            None if self.value is None else self.value.encode(),
            [(name, value.encode()) for name, value in self.headers],
        )


@dataclass(frozen=True)
class SendResult:
    """The broker's acknowledgement of one message."""

    topic: str
    partition: int
    """-1 with acks=0 when the partitioner chose (the broker does not answer)."""
    offset: int | None
    """None with acks=0."""
    timestamp: int | None
    """Milliseconds since the epoch: the create time, or the broker's append
    time when the topic uses LogAppendTime; None with acks=0."""
    timestamp_type: str | None = None
    """'CreateTime' or 'LogAppendTime'."""


@dataclass(frozen=True)
class HistoryEntry:
    message: ComposedMessage
    result: SendResult
    sent_at: float
    """``time.time()`` when the acknowledgement arrived."""


class SendHistory:
    """The last ``capacity`` messages sent (acknowledged), newest first.  Pure
    data: the UI lists ``entries``, re-opens ``reopen(n)`` in the form and sends
    it again.  Failed sends are not recorded; the form still holds them."""

    def __init__(self, capacity: int = 100) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._entries: deque[HistoryEntry] = deque(maxlen=capacity)

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def record(self, message: ComposedMessage, result: SendResult, sent_at: float | None = None) -> HistoryEntry:
        entry = HistoryEntry(message, result, time.time() if sent_at is None else sent_at)
        self._entries.appendleft(entry)
        return entry

    @property
    def entries(self) -> tuple[HistoryEntry, ...]:
        return tuple(self._entries)

    def reopen(self, index: int) -> ComposedMessage:
        """The message of entry ``index`` (0 = newest), to edit and send again."""
        return self._entries[index].message

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[HistoryEntry]:
        return iter(tuple(self._entries))


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


ProgressCallback = Callable[[LoadProgress], None]
Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes]], int | None]


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
            sent=self.sent, acked=self.acked, failed=self.failed, elapsed=elapsed,
            state=self._state, total=self._total, duration=self._duration,
            target_rate=self._rate, error=self._error,
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
        for key, value, headers, partition in self._source:
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
                except asyncio.TimeoutError:
                    self._note_failure(kafka_errors.KafkaTimeoutError(
                        f"no acknowledgement for {self._drain_timeout:g} s"))
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
            except asyncio.TimeoutError:
                self._counting = False
                missing = self.sent - self.acked - self.failed
                self.failed += missing
                self._note_failure(kafka_errors.KafkaTimeoutError(
                    f"{missing} message(s) not acknowledged within {self._drain_timeout:g} s"
                ))
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
            await stop_producer(self._producer, undelivered=self.sent - self.acked - self.failed > 0
                                or not self._counting)
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


def _template_source(spec: LoadSpec, template: MessageTemplate) -> Iterator[Record]:
    render = template.renderer(spec.seed)
    partition = spec.partition
    i = 0
    count = spec.count
    while count is None or i < count:
        key, value, headers = render(i)
        yield key, value, headers, partition
        i += 1


def _file_source(path: Path | str, options: ImportOptions, partition: int | None) -> Iterator[Record]:
    for item in read_file(path, options):
        if isinstance(item, ImportProblem):
            # The file was checked before sending; a change since then stops the job.
            raise ImportFileError(f"{path}: {item} (the file changed while importing)", (item,))
        yield item.key, item.value, list(item.headers), item.partition if partition is None else partition


# -- errors in words -----------------------------------------------------------------

_UNREACHABLE = (
    kafka_errors.KafkaConnectionError, kafka_errors.NodeNotReadyError, kafka_errors.NoBrokersAvailable,
    kafka_errors.RequestTimedOutError, kafka_errors.KafkaTimeoutError, ConnectionError, asyncio.TimeoutError,
)


def explain_error(
    exc: BaseException,
    topic: str,
    *,
    size: int | None = None,
    max_message_bytes: int | None = None,
    isr: tuple[int, int, int] | None = None,
) -> KViewError:
    """A send failure as a KViewError the user can read (never a traceback).

    ``size`` is the record's estimated size, ``max_message_bytes`` the topic's
    limit, ``isr`` (partition, in-sync replicas, min.insync.replicas): details
    the service looks up after the failure, when it can."""
    if isinstance(exc, KViewError):
        return exc
    subject = f"topic '{topic}'" if topic else "producer"
    if isinstance(exc, kafka_errors.MessageSizeTooLargeError) and "max_request_size" in str(exc):
        # aiokafka refused it before sending: the producer's own request limit.
        detail = f" ({size} bytes)" if size else ""
        return KafkaRequestError(10, f"the message{detail} is larger than the producer's maximum "
                                     "request size (1048576 bytes)", subject=subject)
    if isinstance(exc, (kafka_errors.MessageSizeTooLargeError, kafka_errors.RecordListTooLargeError)):
        what = f"the message (about {size} bytes)" if size else "the message"
        limit = f"max.message.bytes={max_message_bytes}" if max_message_bytes is not None else "max.message.bytes"
        return KafkaRequestError(10, f"{what} is larger than the topic accepts ({limit})", subject=subject)
    if isinstance(exc, kafka_errors.UnknownTopicOrPartitionError):
        return KafkaRequestError(3, "the topic (or partition) does not exist", subject=subject)
    if isinstance(exc, (kafka_errors.NotEnoughReplicasError, kafka_errors.NotEnoughReplicasAfterAppendError)):
        code = exc.errno
        if isr is not None:
            partition, in_sync, needed = isr
            detail = (f"partition {partition} has {in_sync} in-sync replica(s) but min.insync.replicas is "
                      f"{needed}, so acks=all cannot be satisfied")
        else:
            detail = "fewer in-sync replicas than min.insync.replicas, so acks=all cannot be satisfied"
        return KafkaRequestError(code, f"{detail}; bring the replicas back or send with acks=1", subject=subject)
    if isinstance(exc, kafka_errors.TopicAuthorizationFailedError):
        return KafkaRequestError(29, "this user is not allowed to write to the topic", subject=subject)
    if isinstance(exc, kafka_errors.ClusterAuthorizationFailedError):
        return KafkaRequestError(31, "this user may not use the idempotent producer (cluster "
                                     "IdempotentWrite permission); turn idempotence off", subject=subject)
    if isinstance(exc, kafka_errors.TransactionalIdAuthorizationFailed):
        return KafkaRequestError(53, "this user may not use the idempotent producer", subject=subject)
    if isinstance(exc, (kafka_errors.SaslAuthenticationFailed, kafka_errors.UnsupportedSaslMechanismError)):
        return ClusterUnavailable(f"authentication failed: {describe_exception(exc)}")
    if isinstance(exc, _UNREACHABLE):
        return ClusterUnavailable(f"{subject}: broker unreachable or not answering: {describe_exception(exc)}")
    if isinstance(exc, kafka_errors.ProducerClosed):
        return ProduceError(f"{subject}: the producer was closed before the message was delivered")
    errno = getattr(exc, "errno", None)
    if isinstance(exc, kafka_errors.KafkaError) and isinstance(errno, int) and errno > 0:
        text = str(exc)
        name = type(exc).__name__
        detail = None if not text or text == name or text.startswith(name) else text
        return KafkaRequestError(errno, detail, subject=subject)
    return ProduceError(f"{subject}: {describe_exception(exc)}")


# -- the service ---------------------------------------------------------------------


class ProduceService:
    """Sends messages to one cluster.  ``close()`` when done."""

    def __init__(self, client: ClusterClient, *, history_size: int = 100, ack_timeout: float | None = None) -> None:
        self.client = client
        self.ack_timeout = ack_timeout if ack_timeout is not None else client.profile.request_timeout_ms / 1000 + 5
        """How long a send, or a job with a full window, waits for acknowledgements."""
        self.settings = ProducerSettings.from_defaults(client.profile.producer)
        """The settings used when a call passes none; the UI's form edits them."""
        self.history = SendHistory(history_size)
        self._producer: AIOKafkaProducer | None = None
        self._producer_settings: ProducerSettings | None = None
        self._producer_lock = asyncio.Lock()
        self._jobs: set[ProduceJob] = set()

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    @property
    def jobs(self) -> tuple[ProduceJob, ...]:
        """Loads and imports still running."""
        return tuple(job for job in self._jobs if not job.done)

    async def close(self) -> None:
        """Cancel running jobs (their counts settle) and close the producers."""
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        for job in jobs:
            if job._task is not None:
                await asyncio.wait([job._task])
        async with self._producer_lock:
            producer, self._producer = self._producer, None
            if producer is not None:
                await stop_producer(producer)

    # -- single message --

    @write_action("produce")
    async def send(
        self,
        message: ComposedMessage,
        settings: ProducerSettings | None = None,
        *,
        timeout: float | None = None,
    ) -> SendResult:
        """Send one message and wait for the broker's acknowledgement.

        Nothing is sent when the message or the settings are invalid (JSON
        errors carry line and column), the topic does not exist, or the
        partition is out of range.  ``timeout`` (default: ``ack_timeout``,
        the profile's request timeout plus 5 s) bounds the wait; past it the producer is
        discarded and the cause is looked for (e.g. too few in-sync replicas)."""
        settings = settings or self.settings
        settings.validate()
        key, value, headers = message.encode()
        topic = message.topic
        await self._check_topic(topic, message.partition)
        size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
        if timeout is None:
            timeout = self.ack_timeout
        producer = await self._shared_producer(settings)
        try:
            async with asyncio.timeout(timeout):
                fut = await producer.send(topic, value, key, message.partition, headers=headers)
                metadata = await fut
        except TimeoutError:
            await self._discard_shared_producer(producer)
            raise await self._timeout_error(topic, message.partition, settings, timeout) from None
        except Exception as exc:
            raise await self._explain(exc, topic, size=size) from None
        if metadata is None:  # acks=0
            result = SendResult(topic, message.partition if message.partition is not None else -1, None, None)
        else:
            result = SendResult(
                metadata.topic, metadata.partition, metadata.offset, metadata.timestamp,
                "LogAppendTime" if metadata.timestamp_type == 1 else "CreateTime",
            )
        self.history.record(message, result)
        return result

    # -- templated load --

    @write_action("produce")
    async def start_load(
        self,
        spec: LoadSpec,
        settings: ProducerSettings | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> ProduceJob:
        """Check everything (templates, topic, settings), then start sending in
        the background.  Raises before anything is sent when something is wrong."""
        settings = settings or self.settings
        settings.validate()
        problems = spec.problems()
        if problems:
            raise ProduceError("; ".join(problems))
        template = MessageTemplate.compile(spec.key, spec.value, spec.headers)  # TemplateError
        if spec.value_format is ValueFormat.JSON and template.value is not None:
            # Placeholders can make any one message differ; the first one shows
            # mistakes in the template's JSON structure before anything is sent.
            validate_json(template.value.render_at(0, seed=spec.seed), what="the first rendered value")
        await self._check_topic(spec.topic, spec.partition)
        producer = await self._start_producer(settings, spec.topic)
        job = ProduceJob(
            producer, spec.topic, _template_source(spec, template),
            explain=lambda exc: self._explain(exc, spec.topic, settings=settings, partition=spec.partition),
            total=spec.count, duration=spec.duration, rate=spec.rate, window=window,
            on_progress=on_progress, drain_timeout=self.ack_timeout,
        )
        self._launch(job)
        return job

    @write_action("produce")
    async def run_load(
        self,
        spec: LoadSpec,
        settings: ProducerSettings | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> LoadProgress:
        """start_load and wait for the end; cancelling the caller cancels the load."""
        job = await self.start_load(spec, settings, on_progress=on_progress, window=window)
        return await job.wait()

    # -- file import --

    def check_import(self, path: Path | str, options: ImportOptions = ImportOptions()) -> FileCheck:
        """Read the whole file without sending: record count and first problems.
        Blocking file I/O: call it from a worker thread.  For the first records
        only, use ``kview.core.importers.preview_file``."""
        return check_file(path, options)

    @write_action("produce")
    async def start_import(
        self,
        path: Path | str,
        topic: str,
        options: ImportOptions = ImportOptions(),
        settings: ProducerSettings | None = None,
        *,
        partition: int | None = None,
        rate: float | None = None,
        on_progress: ProgressCallback | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> ProduceJob:
        """Check the whole file (sending nothing if any line is bad: the
        ImportFileError lists the first bad lines), then send its records in
        the background.  ``partition`` overrides the records' own."""
        settings = settings or self.settings
        settings.validate()
        checked = await asyncio.to_thread(check_file, path, options)
        if not checked.ok:
            shown = "; ".join(str(p) for p in checked.problems[:5])
            more = f" (and {checked.problem_count - 5} more)" if checked.problem_count > 5 else ""
            raise ImportFileError(
                f"{path}: {checked.problem_count} bad line(s), nothing sent: {shown}{more}", checked.problems
            )
        if checked.records == 0:
            raise ImportFileError(f"{path}: no records to send")
        info = await self._check_topic(topic, partition)
        if partition is None:
            known = {p.partition for p in info.partitions}
            missing = sorted(checked.partitions - known)
            if missing:
                raise ImportFileError(
                    f"{path}: records name partition {missing[0]}, but topic '{topic}' has "
                    f"{len(known)} partition(s) (0-{len(known) - 1}); nothing sent"
                )
        producer = await self._start_producer(settings, topic)
        job = ProduceJob(
            producer, topic, _file_source(path, options, partition),
            explain=lambda exc: self._explain(exc, topic, settings=settings, partition=partition),
            total=checked.records, rate=rate, window=window, on_progress=on_progress,
            drain_timeout=self.ack_timeout,
        )
        self._launch(job)
        return job

    @write_action("produce")
    async def import_file(
        self,
        path: Path | str,
        topic: str,
        options: ImportOptions = ImportOptions(),
        settings: ProducerSettings | None = None,
        *,
        partition: int | None = None,
        rate: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> LoadProgress:
        """start_import and wait for the end."""
        job = await self.start_import(
            path, topic, options, settings, partition=partition, rate=rate, on_progress=on_progress
        )
        return await job.wait()

    # -- internals --

    def _launch(self, job: ProduceJob) -> None:
        self._jobs.add(job)
        job._start()
        assert job._task is not None
        job._task.add_done_callback(lambda _task: self._jobs.discard(job))

    async def _check_topic(self, topic: str, partition: int | None) -> TopicInfo:
        """One Metadata request: the topic exists, is writable, has the partition."""
        metadata = await self.client.metadata([topic])
        info = metadata.topic(topic)
        if info is None:
            raise KafkaRequestError(3, "the topic does not exist", subject=f"topic '{topic}'")
        if info.error is not None:
            # TopicInfo keeps Kafka's error in words, led by its name.
            if info.error.startswith(error_name(3)):
                raise KafkaRequestError(3, "the topic does not exist", subject=f"topic '{topic}'")
            if info.error.startswith(error_name(29)):
                raise explain_error(kafka_errors.TopicAuthorizationFailedError(), topic)
            raise ProduceError(f"topic '{topic}': {info.error}")
        if partition is not None:
            known = {p.partition for p in info.partitions}
            if partition not in known:
                raise ProduceError(
                    f"topic '{topic}' has {len(known)} partition(s) (0-{len(known) - 1}); "
                    f"there is no partition {partition}"
                )
        return info

    async def _start_producer(self, settings: ProducerSettings, topic: str) -> AIOKafkaProducer:
        kwargs = connection_kwargs(self.client.profile)
        kwargs.update(settings.producer_kwargs())
        try:
            producer = AIOKafkaProducer(**kwargs)
        except (ValueError, RuntimeError) as exc:
            raise ProduceError(f"producer settings rejected: {exc}") from None
        try:
            await producer.start()
        except BaseException as exc:
            await stop_producer(producer, undelivered=True)
            if isinstance(exc, Exception):
                raise await self._explain(exc, topic) from None
            raise
        return producer

    async def _shared_producer(self, settings: ProducerSettings) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is not None and self._producer_settings == settings:
                return self._producer
            old, self._producer = self._producer, None
            if old is not None:
                await stop_producer(old)
            self._producer = await self._start_producer(settings, "")
            self._producer_settings = settings
            return self._producer

    async def _discard_shared_producer(self, producer: AIOKafkaProducer) -> None:
        async with self._producer_lock:
            if self._producer is producer:
                self._producer = None
        await stop_producer(producer, undelivered=True)

    async def _topic_config(self, topic: str, name: str) -> str | None:
        """One topic config value, or None when it cannot be read."""
        try:
            responses = await asyncio.wait_for(
                self.client.admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)]), 5
            )
            for response in responses:
                for resource in response.to_object()["resources"]:
                    for entry in resource["config_entries"]:
                        if entry["config_names"] == name:
                            return entry["config_value"]
        except Exception:  # only used to enrich an error message
            log.debug("describe configs of %s failed", topic, exc_info=True)
        return None

    async def _isr_detail(self, topic: str, partition: int | None) -> tuple[int, int, int] | None:
        try:
            metadata = await self.client.metadata([topic])
            info = metadata.topic(topic)
            min_isr = await self._topic_config(topic, "min.insync.replicas")
            if info is None or min_isr is None:
                return None
            needed = int(min_isr)
            for p in info.partitions:
                if (partition is None or p.partition == partition) and len(p.isr) < needed:
                    return p.partition, len(p.isr), needed
        except Exception:
            log.debug("ISR lookup of %s failed", topic, exc_info=True)
        return None

    async def _explain(
        self,
        exc: BaseException,
        topic: str,
        *,
        size: int | None = None,
        settings: ProducerSettings | None = None,
        partition: int | None = None,
    ) -> KViewError:
        """explain_error, with the topic's limits looked up when they help."""
        if isinstance(exc, kafka_errors.KafkaTimeoutError) and settings is not None and settings.acks == "all":
            # Unanswered acks=all writes are most often a partition short of in-sync replicas.
            isr = await self._isr_detail(topic, partition)
            if isr is not None:
                return explain_error(kafka_errors.NotEnoughReplicasError(), topic, isr=isr)
        if isinstance(exc, (kafka_errors.MessageSizeTooLargeError, kafka_errors.RecordListTooLargeError)) \
                and "max_request_size" not in str(exc):
            limit = await self._topic_config(topic, "max.message.bytes")
            return explain_error(exc, topic, size=size, max_message_bytes=int(limit) if limit else None)
        if isinstance(exc, (kafka_errors.NotEnoughReplicasError, kafka_errors.NotEnoughReplicasAfterAppendError)):
            return explain_error(exc, topic, isr=await self._isr_detail(topic, None))
        return explain_error(exc, topic, size=size)

    async def _timeout_error(
        self, topic: str, partition: int | None, settings: ProducerSettings, timeout: float
    ) -> KViewError:
        """No acknowledgement in time: name the likely cause."""
        if settings.acks == "all":
            isr = await self._isr_detail(topic, partition)
            if isr is not None:
                return explain_error(kafka_errors.NotEnoughReplicasError(), topic, isr=isr)
        return ProduceError(
            f"topic '{topic}': no acknowledgement within {timeout:g} s (broker slow or unreachable); "
            "the message may or may not have been written"
        )

