"""``kview tail`` and ``kview produce``: records read from a topic to stdout
(up to the end offsets seen at start, or ``--follow``), and lines on stdin
sent to a topic, each acknowledgement printed in input order."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import TYPE_CHECKING, TypeAlias

from kview.core.errors import ClusterUnavailable, KViewError
from kview.headless import EXIT_OK, render
from kview.headless.render import Printer
from kview.headless.runner import BadInput, NotFound, RunState, UsageError, note
from kview.headless.topics import require_topic

if TYPE_CHECKING:
    from argparse import Namespace

    from aiokafka.structs import RecordMetadata

    from kview.core.cluster import ClusterClient
    from kview.core.importers import RecordEncoding
    from kview.core.produce import ProducerSettings, SchemaChoice, SchemaUsed
    from kview.core.tail import StartPosition, TailBatch, TailStatus

    # A record sent and not yet acknowledged: its line on stdin, the partition
    # asked for (None: the partitioner's choice), the producer's answer to
    # come, and the schemas its key and value were written with.
    _Pending: TypeAlias = tuple[
        int, int | None, asyncio.Future[RecordMetadata | None], SchemaUsed | None, SchemaUsed | None
    ]

PRODUCE_WINDOW = 10_000
"""Records ``produce`` may have in flight before it waits for acknowledgements."""


# -- tail -------------------------------------------------------------------------------


def parse_start(text: str | None, *, follow: bool) -> StartPosition:
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


async def cmd_tail(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.filters import parse_filter
    from kview.core.tail import STOPPED, TOPIC_MISSING, UNREACHABLE, Tail
    from kview.core.untrack import GC_WHILE_READING

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
            raise NotFound(f"topic '{topic}' has no partition {', '.join(map(str, missing))} (it has {len(available)})")
    chosen = [p for p in info.partitions if wanted is None or p.partition in wanted]

    ends: dict[int, int] | None = None
    if not args.follow:
        marks = await client.watermarks(chosen)
        ends = {}
        for p in chosen:
            mark = marks.get((topic, p.partition))
            if mark is None:
                note(f"partition {p.partition} of '{topic}' has no leader; its records are left out")
            else:
                ends[p.partition] = mark.high

    limit = args.max_records
    printed = 0
    done = asyncio.Event()
    if limit == 0:
        done.set()
    as_json = args.json
    raw = bool(getattr(args, "raw", False))
    out = printer.file
    ascii_only = not printer.utf8

    def caught_up() -> bool:
        positions = tail.positions
        return (
            ends is not None
            and bool(positions or not ends)
            and all(positions.get(p, -1) >= end for p, end in ends.items())
        )

    def on_batch(batch: TailBatch) -> None:
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
                lines.append(render.dumps(render.record_doc(record, raw=raw), ascii_only=ascii_only))
            else:
                lines.append(render.record_line(record, args.key_format, args.value_format))
            printed += 1
            if limit is not None and printed >= limit:
                done.set()
                break
        if lines:
            out.write("\n".join(lines) + "\n")
            out.flush()
        if registry is not None and not registry_noted[0] and registry.status.state == "unreachable":
            # Once, on stderr: the lines say it per record, this says why all at once.
            registry_noted[0] = True
            message = registry.status.message
            if "unreachable" not in message:
                message = f"schema registry unreachable ({message})"
            note(f"{message}; framed records are left undecoded")
        if caught_up():
            done.set()

    last_status = [""]
    registry_noted = [False]

    def on_status(status: TailStatus) -> None:
        # Only --follow keeps going through trouble; tell what it waits for.
        if args.follow and status.state not in (STOPPED,) and not status.healthy and status.message != last_status[0]:
            note(status.message)
        last_status[0] = status.message

    # The profile's registry (or --schema-registry's): framed keys and values
    # are decoded before they are filtered and printed.  Its calls are
    # bounded (the decoder waits at most its ``wait`` per batch, and the
    # client backs off an unreachable registry), so the command's bound holds.
    registry = None
    key_decoding = getattr(args, "key_decoding", "auto")
    value_decoding = getattr(args, "value_decoding", "auto")
    settings = client.profile.schema_registry
    if settings is not None and (key_decoding, value_decoding) != ("none", "none"):
        from kview.core.schemas.client import RegistryClient

        registry = RegistryClient(settings)
    tail = Tail(
        client.profile,
        topic,
        partitions=wanted,
        start=start,
        on_batch=on_batch,
        on_status=on_status,
        registry=registry,
        key_decoding=key_decoding,
        value_decoding=value_decoding,
    )
    state.interruptible = args.follow
    patience = max(5.0, client.profile.request_timeout_ms / 1000)
    # The collector settings of the app's tail (kview/core/untrack.py): a
    # young collection every few batches instead of several per batch.
    GC_WHILE_READING.acquire()
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
                note(
                    f"nothing arrived for {args.idle_timeout:g} s before the end offsets seen at start "
                    "were reached (transaction markers at the end?); stopping"
                )
                break
    finally:
        GC_WHILE_READING.release()
        await tail.stop()
        if registry is not None:
            await registry.close()
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


async def cmd_produce(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from aiokafka import AIOKafkaProducer

    from kview.core.cluster import connection_kwargs
    from kview.core.importers import FileFormat, ImportOptions, ImportProblem, parse_lines
    from kview.core.produce import ProducerSettings, SendResult, explain_error, stop_producer
    from kview.core.readonly import check_writable

    # Refused before stdin is read or anything is sent.
    check_writable(client.read_only, "produce")
    key_schema, value_schema = _schema_choices(args)
    options = ImportOptions(
        format=FileFormat.JSONL if args.format == "jsonl" else FileFormat.CONSOLE,
        parse_key=not args.no_key,
        key_separator=args.separator,
        null_marker=args.null_marker,
    )
    settings = ProducerSettings.from_defaults(client.profile.producer)
    if args.acks:
        settings = replace(settings, acks=args.acks, idempotence=settings.idempotence and args.acks == "all")
    settings = replace(settings, key_schema=key_schema, value_schema=value_schema)
    problems = settings.problems()
    if problems:
        raise UsageError("; ".join(problems))
    topic = args.topic
    info = await require_topic(client, topic)
    known = {p.partition for p in info.partitions}
    if args.partition is not None and args.partition not in known:
        raise NotFound(f"topic '{topic}' has no partition {args.partition} (it has {len(known)})")
    encoding, key_used, value_used = await _record_encoding(client, topic, settings)

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
    pending: asyncio.Queue[_Pending | None] = asyncio.Queue(maxsize=PRODUCE_WINDOW)
    failures: list[KViewError] = []
    acked = 0
    ascii_only = not printer.utf8

    async def acknowledge() -> None:
        """Print acknowledgements in input order; after a failure only the
        records already acknowledged are printed."""
        nonlocal acked
        while (item := await pending.get()) is not None:
            line, partition, future, key_schema, value_schema = item
            if failures and not future.done():
                continue
            try:
                async with asyncio.timeout(ack_timeout):
                    metadata = await future
            except TimeoutError:
                failures.append(
                    KViewError(
                        f"line {line}: no acknowledgement within {ack_timeout:g} s (broker slow or unreachable); "
                        "the record may or may not have been written"
                    )
                )
                continue
            except Exception as exc:
                failures.append(KViewError(f"line {line}: {explain_error(exc, topic)}"))
                continue
            if metadata is None:  # acks=0: the broker does not answer
                result = SendResult(topic, -1 if partition is None else partition, None, None)
            else:
                result = SendResult(
                    metadata.topic,
                    metadata.partition,
                    metadata.offset if metadata.offset is not None and metadata.offset >= 0 else None,
                    metadata.timestamp if metadata.timestamp is not None and metadata.timestamp >= 0 else None,
                    "LogAppendTime" if metadata.timestamp_type == 1 else "CreateTime",
                )
            doc = render.ack_doc(line, result, key_schema, value_schema)
            printer.file.write((render.dumps(doc, ascii_only=ascii_only) if args.json else render.ack_line(doc)) + "\n")
            printer.file.flush()
            acked += 1

    acknowledger = asyncio.create_task(acknowledge())

    async def queue(item: _Pending | None) -> None:
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
            # A line whose key or value does not fit its schema is an ImportProblem
            # naming the field path: refused like any other bad line.
            items = list(parse_lines([text], options, encoding))
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
            await queue(
                (
                    number,
                    partition,
                    future,
                    key_used if item.key is not None else None,
                    value_used if item.value is not None else None,
                )
            )
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


def _schema_choices(args: Namespace) -> tuple[SchemaChoice | None, SchemaChoice | None]:
    """``--key-schema`` / ``--value-schema`` (and their ``-message``) as choices."""
    from kview.core.produce import ProduceError, SchemaChoice

    found: list[SchemaChoice | None] = []
    for field in ("key", "value"):
        text = getattr(args, f"{field}_schema", None)
        message = getattr(args, f"{field}_schema_message", None)
        if text is None:
            if message:
                raise UsageError(f"--{field}-schema-message needs --{field}-schema")
            found.append(None)
            continue
        try:
            found.append(SchemaChoice.parse(text, message=message))
        except ProduceError as exc:
            raise UsageError(f"--{field}-schema: {exc}") from None
    return found[0], found[1]


async def _record_encoding(
    client: ClusterClient, topic: str, settings: ProducerSettings
) -> tuple[RecordEncoding, SchemaUsed | None, SchemaUsed | None]:
    """The encoders of ``--key-schema`` / ``--value-schema``, fetched and
    compiled once before the first line is read, and the schemas they write with."""
    from kview.core.importers import PLAIN, RecordEncoding
    from kview.core.produce import ProduceService

    if not settings.uses_schemas:
        return PLAIN, None, None
    registry_settings = client.profile.schema_registry
    if registry_settings is None:
        raise UsageError(
            "--key-schema / --value-schema need a schema registry: add schema_registry: to the profile "
            "or pass --schema-registry URL"
        )
    from kview.core.schemas.client import RegistryClient

    registry = RegistryClient(registry_settings)
    try:
        encoders = await ProduceService(client, registry=registry).encoders(topic, settings)
    finally:
        await registry.close()
    encoding = RecordEncoding(encoders.field_encoder("key"), encoders.field_encoder("value"))
    return encoding, encoders.key_used, encoders.value_used
