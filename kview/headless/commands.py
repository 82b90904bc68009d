"""Runs the headless subcommands: one async function per command over
kview.core's services, the refresh loop behind ``--watch``, and the mapping
of every error to one line on stderr and an exit code (see kview.headless).

Status in one run: a group's status needs snapshots over time (kview.core.lag).
One run takes one snapshot, so status is OK (members present) or EMPTY (none)
and rates are null; ``--window W`` watches for a little over W seconds first,
``--watch`` feeds every refresh to the same LagTracker, and then STALL, STOP
and WARN mean what the lag module says.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kview.core.config import ClusterProfile
from kview.core.errors import ClusterUnavailable, ConfigError, KafkaRequestError, KViewError, describe_exception
from kview.core.schedule import delay_until_next
from kview.headless import (
    EXIT_ERROR,
    EXIT_FOUND,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from kview.headless import render
from kview.headless.render import Doc, Printer

log = logging.getLogger(__name__)

DEFAULT_WINDOW = 300.0
"""The LagTracker's default status window (seconds)."""
PRODUCE_WINDOW = 10_000
"""Records ``produce`` may have in flight before it waits for acknowledgements."""
HEADLESS_READ_TIMEOUT = 3.0
"""Seconds a headless refresh reads small lags for their readable count."""
REFRESH_BOUND = 60.0
"""Seconds one refresh (one document) may take at the least; see refresh_bound."""


def refresh_bound(request_timeout_ms: int) -> float:
    """The most one refresh of brokers/topics/topic/groups/group/lag may take
    (``--window`` comes on top): 60 s, or 4 request timeouts when that is more.
    Past it the command stops with an error instead of waiting on."""
    return max(REFRESH_BOUND, 4 * request_timeout_ms / 1000)


class UsageError(KViewError):
    """An argument that cannot be used (exit code 2)."""


class NotFound(KViewError):
    """A topic, partition or group that does not exist (exit code 1)."""


class BadInput(KViewError):
    """A line on stdin that cannot be sent (exit code 1)."""


@dataclass
class _State:
    """What the process exits with when Ctrl-C ends a --watch or --follow."""

    code: int = EXIT_OK
    interruptible: bool = False
    bound: float = REFRESH_BOUND
    """Seconds one refresh may take (refresh_bound of the profile)."""


# -- entry point -----------------------------------------------------------------------


def run_command(args: Any, profile: ClusterProfile) -> int:
    """Run ``args.command`` against ``profile``; returns the exit code.  Never
    raises: errors become one line on stderr."""
    _quiet_logging(bool(getattr(args, "debug", False)))
    state = _State()
    try:
        return asyncio.run(_main(args, profile, state))
    except KeyboardInterrupt:
        return state.code if state.interruptible else EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): not an error of ours.
        _silence_stdout()
        return state.code
    except BaseException as exc:  # every failure is one line, never a traceback
        if not isinstance(exc, Exception):
            raise
        return _fail(exc)


def exit_code_of(exc: BaseException) -> int:
    """The exit code for an error (see kview.headless)."""
    from kview.core.filters import FilterError

    if isinstance(exc, (UsageError, ConfigError, FilterError)):
        return EXIT_USAGE
    if isinstance(exc, ClusterUnavailable) or _is_connection_error(exc):
        return EXIT_UNAVAILABLE
    return EXIT_ERROR


def _fail(exc: BaseException) -> int:
    if isinstance(exc, KViewError):
        message = str(exc)
    else:
        log.error("headless command failed", exc_info=exc)
        message = describe_exception(exc)
    from kview.core.logs import redact

    message = redact(" ".join(message.split())) or type(exc).__name__
    try:
        print(f"kview: {message}", file=sys.stderr, flush=True)
    except OSError:
        pass
    return exit_code_of(exc)


def _is_connection_error(exc: BaseException) -> bool:
    from aiokafka import errors as kafka_errors

    return isinstance(exc, (kafka_errors.KafkaConnectionError, kafka_errors.NodeNotReadyError,
                            kafka_errors.NoBrokersAvailable, ConnectionError))


def _quiet_logging(debug: bool) -> None:
    """Logs go to kview's log file, never to stderr (aiokafka logs connection
    failures at ERROR; Python would print them without a handler)."""
    from kview.core.logs import setup_logging

    try:
        setup_logging(debug)
    except OSError:
        logging.getLogger().addHandler(logging.NullHandler())
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _note(text: str) -> None:
    """A remark on stderr (stdout stays machine-readable)."""
    print(f"kview: {text}", file=sys.stderr, flush=True)


async def _main(args: Any, profile: ClusterProfile, state: _State) -> int:
    from kview.core.cluster import ClusterClient

    command = COMMANDS[args.command]
    state.bound = refresh_bound(profile.request_timeout_ms)
    printer = Printer()
    client = ClusterClient(profile)
    try:
        return await command(args, client, printer, state)
    finally:
        await client.close()


# -- the refresh loop ------------------------------------------------------------------


async def _refresh_loop(
    args: Any,
    printer: Printer,
    state: _State,
    fetch: Callable[[], Awaitable[Doc]],
    view: Callable[[Doc], list[Any]],
    *,
    code_of: Callable[[Doc], int] = lambda doc: EXIT_OK,
) -> int:
    """Fetch and print once, or every ``--watch`` seconds (``--count`` times):
    refreshes start ``--watch`` seconds apart; one that took longer skips to
    the next tick (kview.core.schedule)."""
    watch = getattr(args, "watch", None)
    count = getattr(args, "count", None)
    state.interruptible = bool(watch)
    refreshes = 0
    bound = state.bound
    window = getattr(args, "window", None) or 0.0
    if watch:
        window = 0.0  # --watch feeds every refresh to the tracker instead of watching first
    while True:
        started = time.monotonic()
        try:
            async with asyncio.timeout(bound + window):
                doc = await fetch()
        except TimeoutError:
            raise KViewError(f"no answer within {bound + window:g} s (the bound of one refresh); "
                             "the cluster is slow or unreachable") from None
        refreshes += 1
        state.code = code_of(doc)
        _emit(args, printer, doc, view, watch, refreshes)
        if not watch or (count and refreshes >= count):
            return state.code
        await asyncio.sleep(delay_until_next(started, time.monotonic(), watch))


def _emit(args: Any, printer: Printer, doc: Doc, view: Callable[[Doc], list[Any]],
          watch: float | None, refresh: int) -> None:
    if args.json:
        # Always one compact line per document (the C encoder; `| jq` to read):
        # with --watch, one line per refresh.
        printer.json(doc)
        return
    parts = view(doc)
    if watch:
        header = f"every {watch:g}s  {render.iso_seconds(doc['taken_at'])}  refresh {refresh}"
        if printer.terminal:
            printer.clear()
        elif refresh > 1:
            printer.line("")
        parts = [header, *parts]
    printer.view(parts)


async def _observe(take: Callable[[], Awaitable[Any]], window: float) -> Any:
    """Snapshots every ~W/6 seconds until the last is more than ``window``
    seconds after the first, so the status rules can see idle > W."""
    interval = min(30.0, max(0.5, window / 6))
    started = time.monotonic()
    first = await take()
    snapshot = first
    while snapshot.taken_at - first.taken_at <= window:
        await asyncio.sleep(delay_until_next(started, time.monotonic(), interval))
        started = time.monotonic()
        snapshot = await take()
    return snapshot


# -- topics and brokers ----------------------------------------------------------------


async def require_topic(client: Any, name: str) -> Any:
    """The topic's metadata, or NotFound.  Asks with auto-creation off:
    ``ClusterClient.metadata([name])`` lets a broker with
    auto.create.topics.enable create the topic it is asked about."""
    from aiokafka.protocol.metadata import MetadataRequest

    from kview.core.cluster import metadata_from_response
    from kview.core.errors import error_name

    response = await client.send_any(MetadataRequest([name], False), f"metadata of topic {name}")
    info = metadata_from_response(response.to_object()).topic(name)
    if info is None or (info.error and info.error.startswith(error_name(3))):
        raise NotFound(f"topic '{name}' does not exist")
    if info.error and not info.partitions:
        raise KViewError(f"topic '{name}': {info.error}")
    return info


async def cmd_brokers(args: Any, client: Any, printer: Printer, state: _State) -> int:
    from kview.core.brokers import BrokerService

    service = BrokerService(client)

    async def fetch() -> Doc:
        return render.brokers_doc(await service.brokers())

    return await _refresh_loop(args, printer, state, fetch, render.brokers_view)


async def cmd_topics(args: Any, client: Any, printer: Printer, state: _State) -> int:
    from kview.core.topics import TopicService

    service = TopicService(client)

    async def fetch() -> Doc:
        snapshot = await service.topics(include_internal=not args.exclude_internal)
        return render.topics_doc(snapshot, args.pattern)

    return await _refresh_loop(args, printer, state, fetch, render.topics_view)


async def cmd_topic(args: Any, client: Any, printer: Printer, state: _State) -> int:
    from kview.core.topics import TopicService

    service = TopicService(client)

    async def fetch() -> Doc:
        await require_topic(client, args.name)
        try:
            detail = await service.topic_detail(args.name)
        except KafkaRequestError as exc:
            if exc.code == 3:
                raise NotFound(f"topic '{args.name}' does not exist") from None
            raise
        return render.topic_doc(detail)

    return await _refresh_loop(
        args, printer, state, fetch, lambda doc: render.topic_view(doc, all_configs=args.all_configs)
    )


# -- groups -------------------------------------------------------------------------------


def _absent(summary: Any) -> bool:
    """A group Kafka describes as Dead with no members and no offsets does not exist."""
    return (summary.state in ("Dead", "") and not summary.members and summary.partition_count == 0
            and not summary.error)


def _group_service(client: Any, window: float) -> Any:
    from kview.core.groups import GroupService
    from kview.core.lag import LagTracker

    # One run reads once: it can afford the detail's 3 s for the small gaps too
    # (the UI keeps 1 s, as it refreshes every few seconds).
    return GroupService(client, LagTracker(window=window), refresh_timeout=HEADLESS_READ_TIMEOUT)


class _Counter:
    """Counts the refreshes fed to the tracker (the documents' ``snapshots``)."""

    def __init__(self, take: Callable[[], Awaitable[Any]]) -> None:
        self.take = take
        self.count = 0

    async def __call__(self) -> Any:
        result = await self.take()
        self.count += 1
        return result


async def _describe(service: Any, name: str) -> Any:
    try:
        detail = await service.describe_group(name)
    except KViewError as exc:
        if "GroupIdNotFound" in str(exc):
            raise NotFound(f"group '{name}' does not exist") from None
        raise
    if _absent(detail.summary):
        raise NotFound(f"group '{name}' does not exist")
    return detail


async def cmd_groups(args: Any, client: Any, printer: Printer, state: _State) -> int:
    window = args.window or DEFAULT_WINDOW
    service = _group_service(client, window)
    take = _Counter(service.refresh)

    async def fetch() -> Doc:
        snapshot = await (_observe(take, args.window) if args.window and not args.watch else take())
        return render.groups_doc(snapshot, pattern=args.pattern, window=window, snapshots=take.count)

    try:
        return await _refresh_loop(args, printer, state, fetch, render.groups_view)
    finally:
        await service.close()


async def cmd_group(args: Any, client: Any, printer: Printer, state: _State) -> int:
    window = args.window or DEFAULT_WINDOW
    service = _group_service(client, window)
    name = args.name
    take = _Counter(lambda: service.refresh([name]))
    describe = _Counter(lambda: _describe(service, name))

    async def fetch() -> Doc:
        if args.window and not args.watch:
            await _observe(take, args.window)
        detail = await describe()
        return render.group_doc(detail, window=window, snapshots=take.count + describe.count,
                                taken_at=time.time())

    try:
        return await _refresh_loop(args, printer, state, fetch, render.group_view)
    finally:
        await service.close()


async def cmd_lag(args: Any, client: Any, printer: Printer, state: _State) -> int:
    window = args.window or DEFAULT_WINDOW
    service = _group_service(client, window)
    pattern = args.group
    exact_name = pattern if pattern and not render._has_wildcard(pattern) else None
    match = render.exact_or_glob(pattern) if pattern else (lambda name: True)
    take = _Counter(lambda: service.refresh([exact_name] if exact_name else None, with_partitions=True))

    async def fetch() -> Doc:
        snapshot = await (_observe(take, args.window) if args.window and not args.watch else take())
        groups = [g for g in snapshot.groups if match(g.name)]
        if exact_name is not None:
            found = groups[0] if groups else None
            if found is None or _absent(found):
                raise NotFound(f"group '{exact_name}' does not exist")
            if found.error:
                raise KViewError(f"group '{exact_name}': {found.error}")
        if args.exact:
            groups = [await _with_exact_lags(service, g, args) for g in groups]
        return render.lag_doc(
            groups, taken_at=snapshot.taken_at, window=window, snapshots=take.count, group=pattern,
            min_lag=args.min_lag, statuses=args.status,
            problems=[f"{g.name}: {g.error}" for g in groups if g.error],
        )

    try:
        return await _refresh_loop(
            args, printer, state, fetch, render.lag_view,
            code_of=lambda doc: EXIT_FOUND if doc["matched"] else EXIT_OK,
        )
    finally:
        await service.close()


async def _with_exact_lags(service: Any, summary: Any, args: Any) -> Any:
    """The group with time lags read from the records, when it matches."""
    if not render.lag_matches(render.group_fields(summary), args.min_lag, args.status):
        return summary
    try:
        detail = await service.describe_group(summary.name)
    except KViewError as exc:
        log.info("exact time lag of %s: %s", summary.name, exc)
        return summary
    # Only the time lags and readable counts come from the second look: status,
    # lag and rates stay those of the refresh every other group was judged by.
    read = {(r.topic, r.partition): r for r in detail.partitions}
    rows = []
    for r in summary.partitions:
        found = read.get((r.topic, r.partition))
        rows.append(r if found is None else replace(r, time_lag=found.time_lag, readable=found.readable or r.readable))
    return replace(summary, partitions=tuple(rows), time_lag=detail.summary.time_lag,
                   readable=detail.summary.readable or summary.readable)


# -- tail -------------------------------------------------------------------------------


def parse_start(text: str | None, *, follow: bool) -> Any:
    """``--from`` as a StartPosition; default earliest, or latest with --follow.
    Offsets, counts and times follow the app's grammar (kview.core.inputs)."""
    from kview.core import inputs
    from kview.core.errors import InputError
    from kview.core.tail import StartPosition

    if text is None:
        return StartPosition.latest() if follow else StartPosition.earliest()
    word = text.strip().lower()
    if word in ("earliest", "beginning"):
        return StartPosition.earliest()
    if word in ("latest", "end"):
        return StartPosition.latest()
    try:
        if word.startswith("last:"):
            return StartPosition.last(inputs.parse_count(word[5:]))
        if inputs.is_number(word):
            # Digits are an offset here, however many: a time is typed as a
            # date, a time of day or relative to now.
            return StartPosition.at_offset(inputs.parse_offset(word))
        return StartPosition.at_time(inputs.epoch_ms(inputs.parse_when(text)))
    except InputError as exc:
        raise UsageError(
            f"--from: {exc} (accepted: earliest, latest, an offset, last:N, or a time: {inputs.WHEN_FORMS})"
        ) from None


async def cmd_tail(args: Any, client: Any, printer: Printer, state: _State) -> int:
    from kview.core.filters import parse_filter
    from kview.core.tail import STOPPED, TOPIC_MISSING, UNREACHABLE, Tail

    # Arguments first: a bad filter or position must not wait for the cluster.
    match = parse_filter(args.filter) if args.filter else None
    start = parse_start(args.start, follow=args.follow)
    topic = args.topic
    info = await require_topic(client, topic)
    available = [p.partition for p in info.partitions]
    wanted = sorted(set(args.partition)) if args.partition else None
    if wanted:
        missing = [p for p in wanted if p not in available]
        if missing:
            raise NotFound(f"topic '{topic}' has no partition {', '.join(map(str, missing))} "
                           f"(it has {len(available)})")
    chosen = [p for p in info.partitions if wanted is None or p.partition in wanted]

    ends: dict[int, int] | None = None
    if not args.follow:
        marks = await client.watermarks(chosen)
        ends = {}
        for p in chosen:
            mark = marks.get((topic, p.partition))
            if mark is None:
                _note(f"partition {p.partition} of '{topic}' has no leader; its records are left out")
            else:
                ends[p.partition] = mark.high

    limit = args.max_records
    printed = 0
    done = asyncio.Event()
    if limit == 0:
        done.set()
    as_json = args.json
    out = printer.file
    ascii_only = not printer.utf8

    def caught_up() -> bool:
        positions = tail.positions
        return ends is not None and bool(positions or not ends) and all(
            positions.get(p, -1) >= end for p, end in ends.items()
        )

    def on_batch(batch: Any) -> None:
        nonlocal printed
        if done.is_set():
            return
        lines = []
        for _seq, record in tail.ring.iter_range(batch.first_seq, batch.next_seq):
            if ends is not None and record.offset >= ends.get(record.partition, 0):
                continue  # past the end offsets seen at start
            if match is not None and not match(record):
                continue
            if as_json:
                lines.append(render.dumps(render.record_doc(record), ascii_only=ascii_only))
            else:
                lines.append(render.record_line(record, args.key_format, args.value_format))
            printed += 1
            if limit is not None and printed >= limit:
                done.set()
                break
        if lines:
            out.write("\n".join(lines) + "\n")
            out.flush()
        if caught_up():
            done.set()

    last_status = [""]

    def on_status(status: Any) -> None:
        # Only --follow keeps going through trouble; tell what it waits for.
        if args.follow and status.state not in (STOPPED,) and not status.healthy \
                and status.message != last_status[0]:
            _note(status.message)
        last_status[0] = status.message

    tail = Tail(client.profile, topic, partitions=wanted, start=start, on_batch=on_batch, on_status=on_status)
    state.interruptible = args.follow
    patience = max(5.0, client.profile.request_timeout_ms / 1000)
    await tail.start()
    try:
        seen = 0
        progress_at = time.monotonic()
        unhealthy_since: float | None = None
        while not done.is_set():
            try:
                await asyncio.wait_for(done.wait(), 0.1)
            except TimeoutError:
                pass
            if done.is_set() or caught_up():
                break
            now = time.monotonic()
            status = tail.status
            if status.healthy:
                unhealthy_since = None
            else:
                unhealthy_since = unhealthy_since or now
                if not args.follow and now - unhealthy_since > patience:
                    if status.state == UNREACHABLE:
                        raise ClusterUnavailable(status.message)
                    if status.state == TOPIC_MISSING:
                        raise NotFound(f"topic '{topic}' does not exist (deleted while reading)")
                    raise KViewError(status.message)
            if tail.ring.seen != seen:
                seen, progress_at = tail.ring.seen, now
            elif not args.follow and status.healthy and now - progress_at > args.idle_timeout:
                _note(f"nothing arrived for {args.idle_timeout:g} s before the end offsets seen at start "
                      "were reached (transaction markers at the end?); stopping")
                break
    finally:
        await tail.stop()
    return EXIT_OK


# -- produce ----------------------------------------------------------------------------


def _stdin_lines() -> AsyncIterator[tuple[int, bytes]]:
    """(line number, bytes without the newline) from stdin, as they arrive.

    A daemon thread reads: a blocked read must neither stall the event loop
    nor keep the process alive after Ctrl-C (asyncio.to_thread's executor
    would be joined at exit)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)

    def read() -> None:
        try:
            fd = sys.stdin.fileno() if sys.stdin is not None else -1
        except (OSError, ValueError):
            fd = -1
        try:
            while fd >= 0:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                asyncio.run_coroutine_threadsafe(queue.put(chunk), loop).result()
        except (OSError, RuntimeError):
            pass
        finally:
            try:
                asyncio.run_coroutine_threadsafe(queue.put(None), loop)
            except RuntimeError:  # the loop is closed: nobody is listening
                pass

    threading.Thread(target=read, name="kview-stdin", daemon=True).start()

    async def lines() -> AsyncIterator[tuple[int, bytes]]:
        buffer = b""
        number = 0
        while True:
            chunk = await queue.get()
            if chunk is None:
                break
            buffer += chunk
            if b"\n" in chunk:
                *complete, buffer = buffer.split(b"\n")
                for raw in complete:
                    number += 1
                    yield number, raw
        if buffer:
            yield number + 1, buffer

    return lines()


async def cmd_produce(args: Any, client: Any, printer: Printer, state: _State) -> int:
    from aiokafka import AIOKafkaProducer

    from kview.core.cluster import connection_kwargs
    from kview.core.importers import FileFormat, ImportOptions, ImportProblem, parse_lines
    from kview.core.produce import ProducerSettings, SendResult, explain_error, stop_producer
    from kview.core.readonly import check_writable

    # Refused before stdin is read or anything is sent.
    check_writable(client.read_only, "produce")
    options = ImportOptions(
        format=FileFormat.JSONL if args.format == "jsonl" else FileFormat.CONSOLE,
        parse_key=not args.no_key, key_separator=args.separator, null_marker=args.null_marker,
    )
    settings = ProducerSettings.from_defaults(client.profile.producer)
    if args.acks:
        settings = replace(settings, acks=args.acks, idempotence=settings.idempotence and args.acks == "all")
    problems = settings.problems()
    if problems:
        raise UsageError("; ".join(problems))
    topic = args.topic
    info = await require_topic(client, topic)
    known = {p.partition for p in info.partitions}
    if args.partition is not None and args.partition not in known:
        raise NotFound(f"topic '{topic}' has no partition {args.partition} (it has {len(known)})")

    try:
        producer = AIOKafkaProducer(**connection_kwargs(client.profile), **settings.producer_kwargs())
    except (ValueError, RuntimeError) as exc:
        raise UsageError(f"producer settings rejected: {exc}") from None
    try:
        await producer.start()
    except Exception as exc:
        await stop_producer(producer, undelivered=True)
        raise explain_error(exc, topic) from None

    ack_timeout = client.profile.request_timeout_ms / 1000 + 5
    pending: asyncio.Queue[tuple[int, int | None, Any] | None] = asyncio.Queue(maxsize=PRODUCE_WINDOW)
    failures: list[KViewError] = []
    acked = 0
    ascii_only = not printer.utf8

    async def acknowledge() -> None:
        """Print acknowledgements in input order; after a failure only the
        records already acknowledged are printed."""
        nonlocal acked
        while (item := await pending.get()) is not None:
            line, partition, future = item
            if failures and not future.done():
                continue
            try:
                async with asyncio.timeout(ack_timeout):
                    metadata = await future
            except TimeoutError:
                failures.append(KViewError(
                    f"line {line}: no acknowledgement within {ack_timeout:g} s (broker slow or unreachable); "
                    "the record may or may not have been written"))
                continue
            except Exception as exc:
                failures.append(KViewError(f"line {line}: {explain_error(exc, topic)}"))
                continue
            if metadata is None:  # acks=0: the broker does not answer
                result = SendResult(topic, -1 if partition is None else partition, None, None)
            else:
                result = SendResult(
                    metadata.topic, metadata.partition,
                    metadata.offset if metadata.offset is not None and metadata.offset >= 0 else None,
                    metadata.timestamp if metadata.timestamp is not None and metadata.timestamp >= 0 else None,
                    "LogAppendTime" if metadata.timestamp_type == 1 else "CreateTime",
                )
            doc = render.ack_doc(line, result)
            printer.file.write((render.dumps(doc, ascii_only=ascii_only) if args.json
                                else render.ack_line(doc)) + "\n")
            printer.file.flush()
            acked += 1

    acknowledger = asyncio.create_task(acknowledge())

    async def queue(item: tuple[int, int | None, Any] | None) -> None:
        if not pending.full():
            pending.put_nowait(item)
            return
        # Full window: wait for room, unless the acknowledger is gone (its
        # failure, e.g. a closed stdout, is raised when it is awaited).
        put = asyncio.ensure_future(pending.put(item))
        await asyncio.wait({put, acknowledger}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()

    bad: str | None = None
    try:
        async for number, raw in _stdin_lines():
            if failures or acknowledger.done():
                break
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a byte-order mark is not part of the first record
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = f"line {number}: not valid UTF-8 text (byte {exc.start + 1})"
                break
            items = list(parse_lines([text], options))
            if not items:
                continue  # a blank JSONL line
            item = items[0]
            if isinstance(item, ImportProblem):
                bad = f"line {number}: {item.message}"
                break
            partition = args.partition if args.partition is not None else item.partition
            if partition is not None and partition not in known:
                bad = f"line {number}: topic '{topic}' has no partition {partition} (it has {len(known)})"
                break
            try:
                future = await producer.send(topic, item.value, item.key, partition, headers=list(item.headers))
            except Exception as exc:
                failures.append(KViewError(f"line {number}: {explain_error(exc, topic)}"))
                break
            await queue((number, partition, future))
    finally:
        await queue(None)
        try:
            await acknowledger
        finally:
            await stop_producer(producer, undelivered=bool(failures) or bad is not None)
    if bad is not None:
        raise BadInput(f"stdin {bad}; stopped there ({acked} record(s) before it acknowledged)")
    if failures:
        raise KViewError(f"{failures[0]} ({acked} record(s) acknowledged)")
    return EXIT_OK


COMMANDS: dict[str, Callable[[Any, Any, Printer, _State], Awaitable[int]]] = {
    "brokers": cmd_brokers,
    "topics": cmd_topics,
    "topic": cmd_topic,
    "groups": cmd_groups,
    "group": cmd_group,
    "lag": cmd_lag,
    "tail": cmd_tail,
    "produce": cmd_produce,
}
