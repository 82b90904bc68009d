"""The tail against the real broker, compared with Kafka's own console consumer.

Every start position must yield exactly the records kafka-console-consumer
prints for the same position (``--from-beginning``, ``--offset N --partition
P``, and times turned into offsets by ``kafka-get-offsets --time``); headers,
null keys, tombstones, binary values, every compression codec and a 5 MB
value included.  The tail must never create a consumer group, and must live
through its topic being deleted (and re-created) and its broker going away.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import subprocess
import time
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from kafka_tools import parse_get_offsets

from kview.core.config import adhoc_profile
from kview.core.export import export_jsonl, read_jsonl
from kview.core.tail import RUNNING, TOPIC_MISSING, UNREACHABLE, StartPosition, Tail

pytestmark = pytest.mark.timeout(420)

# Separators no test record contains, so values with tabs and newlines parse.
FIELD, LINE, NULL, HEADER = b"<<F>>", b"<<L>>", b"<<NULL>>", b"<<H>>"
PER_PARTITION = 20
BASE_TS = (int(time.time()) - 3600) * 1000  # an hour ago, whole seconds


# -- Kafka's tools ---------------------------------------------------------------------


def console(kafka, topic: str, *position: str, max_messages: int, timeout_ms: int = 8000) -> list[tuple]:
    """Records kafka-console-consumer prints, as (partition, offset, headers, key, value)."""
    argv = kafka.tool_command(
        "kafka-console-consumer",
        "--bootstrap-server",
        kafka.bootstrap,
        "--topic",
        topic,
        *position,
        "--max-messages",
        str(max_messages),
        "--timeout-ms",
        str(timeout_ms),
        "--formatter-property",
        "print.key=true",
        "--formatter-property",
        "print.offset=true",
        "--formatter-property",
        "print.partition=true",
        "--formatter-property",
        "print.headers=true",
        "--formatter-property",
        f"key.separator={FIELD.decode()}",
        "--formatter-property",
        f"line.separator={LINE.decode()}",
        "--formatter-property",
        f"headers.separator={HEADER.decode()}",
        "--formatter-property",
        f"null.literal={NULL.decode()}",
    )
    out = subprocess.run(argv, capture_output=True, timeout=240).stdout
    rows = []
    for line in out.split(LINE)[:-1]:
        partition, offset, headers, key, value = line.split(FIELD, 4)
        rows.append(
            (
                int(partition.removeprefix(b"Partition:")),
                int(offset.removeprefix(b"Offset:")),
                _console_headers(headers),
                None if key == NULL else key,
                None if value == NULL else value,
            )
        )
    return sorted(rows)


def _console_headers(text: bytes) -> tuple:
    if text == b"NO_HEADERS":
        return ()
    headers = []
    for item in text.split(HEADER):
        name, _, value = item.partition(b":")
        headers.append((name.decode(), None if value == NULL else value))
    return tuple(headers)


def as_rows(records) -> list[tuple]:
    """Tail records in the console's shape."""
    return sorted((r.partition, r.offset, tuple(r.headers), r.key, r.value) for r in records)


def get_offsets(kafka, topic: str, when: int) -> dict[int, int]:
    out = kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", str(when)).stdout
    return {p: o for (t, p), o in parse_get_offsets(out).items() if t == topic}


def group_list(kafka) -> set[str]:
    return set(kafka.run_tool("kafka-consumer-groups", "--list").stdout.split())


def create_topic(kafka, name: str, partitions: int = 1, *extra: str) -> None:
    kafka.run_tool("kafka-topics", "--create", "--topic", name, "--partitions", str(partitions), *extra)


async def produce(kafka, topic: str, messages, **settings) -> None:
    """messages: (partition, key, value, headers, timestamp_ms or None)."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, **settings)
    await producer.start()
    try:
        for partition, key, value, headers, ts in messages:
            await producer.send(topic, value, key=key, partition=partition, headers=headers, timestamp_ms=ts)
        await producer.flush()
    finally:
        await producer.stop()


# -- the tail --------------------------------------------------------------------------


async def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def read_tail(kafka, topic: str, start: StartPosition, expect: int, **options):
    """Run a tail until it has ``expect`` records, let it run a little longer (so
    any extra record would show), stop it; returns the tail."""
    tail = Tail(adhoc_profile(kafka.bootstrap), topic, start=start, poll_timeout_ms=100, **options)
    await tail.start()
    try:
        await wait_for(
            lambda: tail.ring.seen >= expect, 90, f"{expect} records (have {tail.ring.seen}, status {tail.status})"
        )
        await asyncio.sleep(1.0)
    finally:
        await tail.stop()
    return tail


# -- a topic with a bit of everything ----------------------------------------------------


def position_messages():
    """Per partition: 20 records a second apart, text and JSON values, null keys
    (every 5th), tombstones (every 7th), headers (every 3rd, one with a null
    value), binary values (every 6th), values with tabs and newlines."""
    messages = []
    for p in range(3):
        for i in range(PER_PARTITION):
            key = None if i % 5 == 1 else f"k{p}-{i}".encode()  # never with a tombstone
            if i % 7 == 3:
                value = None
            elif i % 6 == 1:
                value = bytes([0xFF, 0x00, p, i, 0x80, 0x0A, 0x09]) + b"bin"
            elif i % 4 == 2:
                value = f"line one\tcol\nline two {p}/{i}".encode()
            else:
                value = f'{{"p": {p}, "i": {i}, "status": "{"FAILED" if i % 3 else "OK"}"}}'.encode()
            headers = [("trace", f"{p}.{i}".encode()), ("null-header", None)] if i % 3 == 0 else []
            messages.append((p, key, value, headers, BASE_TS + i * 1000 + p))
    return messages


@pytest.fixture(scope="module")
def positions_topic(kafka):
    name = f"tail-positions-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, name, 3)
    asyncio.run(produce(kafka, name, position_messages()))
    return name


@pytest.fixture(scope="module")
def console_everything(kafka, positions_topic):
    """What kafka-console-consumer --from-beginning prints for the topic."""
    rows = console(kafka, positions_topic, "--from-beginning", max_messages=3 * PER_PARTITION)
    assert len(rows) == 3 * PER_PARTITION
    return rows


def test_the_topic_has_every_kind_of_record(console_everything):
    # Guards the comparisons below against a fixture that lost its variety.
    assert any(row[3] is None for row in console_everything)  # null keys
    assert any(row[4] is None for row in console_everything)  # tombstones
    assert any(row[2] and row[2][1][1] is None for row in console_everything)  # null header value
    assert any(row[4] and row[4].startswith(b"\xff") for row in console_everything)  # binary
    assert any(row[4] and b"\n" in row[4] for row in console_everything)


async def test_earliest_matches_console_from_beginning(kafka, positions_topic, console_everything, tmp_path):
    batches = []
    tail = await read_tail(
        kafka, positions_topic, StartPosition.earliest(), len(console_everything), on_batch=batches.append
    )
    records = tail.ring.range()
    assert as_rows(records) == console_everything
    low = get_offsets(kafka, positions_topic, -2)
    assert tail.start_offsets == low
    # One callback per appended batch, covering every record once, in order.
    assert sum(b.count for b in batches) == tail.ring.seen == len(console_everything)
    assert [b.first_seq for b in batches] == [0] + [b.next_seq for b in batches[:-1]]
    # Kept out of the cycle collector's lists (kview/core/untrack.py), every kind of record.
    assert not any(gc.is_tracked(r) for r in records)
    stats = tail.stats()
    assert stats.bytes_total == sum(len(r.key or b"") + len(r.value or b"") for r in records)
    assert stats.positions == get_offsets(kafka, positions_topic, -1)
    # The export holds the same records, bytes for bytes.
    path = tmp_path / "tail.jsonl"
    assert export_jsonl(records, path) == len(records)
    assert read_jsonl(path) == records


async def test_offset_in_one_partition_matches_console(kafka, positions_topic):
    expected = console(kafka, positions_topic, "--partition", "1", "--offset", "7", max_messages=PER_PARTITION - 7)
    assert len(expected) == PER_PARTITION - 7
    tail = await read_tail(kafka, positions_topic, StartPosition.at_offset(7), len(expected), partitions=[1])
    assert as_rows(tail.ring.range()) == expected
    assert tail.start_offsets == {1: 7} and tail.stats().positions == {1: PER_PARTITION}


async def test_offsets_per_partition_match_console(kafka, positions_topic):
    expected = console(
        kafka, positions_topic, "--partition", "0", "--offset", "3", max_messages=PER_PARTITION - 3
    ) + console(kafka, positions_topic, "--partition", "2", "--offset", "15", max_messages=PER_PARTITION - 15)
    end = get_offsets(kafka, positions_topic, -1)
    start = StartPosition.at_offset({0: 3, 2: 15})  # partition 1: not named, so from its end
    tail = await read_tail(kafka, positions_topic, start, len(expected))
    assert as_rows(tail.ring.range()) == sorted(expected)
    assert tail.start_offsets == {0: 3, 1: end[1], 2: 15}


async def test_time_matches_get_offsets_and_console(kafka, positions_topic, console_everything):
    when = BASE_TS + 7500
    offsets = get_offsets(kafka, positions_topic, when)
    expected = console(
        kafka, positions_topic, "--partition", "2", "--offset", str(offsets[2]), max_messages=PER_PARTITION - offsets[2]
    )
    moment = datetime.fromtimestamp(when / 1000, tz=UTC)
    total = sum(PER_PARTITION - o for o in offsets.values())
    tail = await read_tail(kafka, positions_topic, StartPosition.at_time(moment), total)
    assert tail.start_offsets == offsets
    rows = as_rows(tail.ring.range())
    assert [r for r in rows if r[0] == 2] == expected
    assert rows == [r for r in console_everything if r[1] >= offsets[r[0]]]


async def test_time_after_the_last_record_starts_at_the_end(kafka, positions_topic):
    when = BASE_TS + PER_PARTITION * 1000 + 5000
    assert get_offsets(kafka, positions_topic, when) == {}  # Kafka's tool: no record that late
    tail = Tail(adhoc_profile(kafka.bootstrap), positions_topic, start=StartPosition.at_time(when))
    await tail.start()
    try:
        await wait_for(lambda: tail.status.state == RUNNING, 30, "running")
        assert tail.start_offsets == get_offsets(kafka, positions_topic, -1)
    finally:
        await tail.stop()


async def test_last_n_matches_console(kafka, positions_topic):
    end = get_offsets(kafka, positions_topic, -1)
    expected = console(kafka, positions_topic, "--partition", "2", "--offset", str(end[2] - 5), max_messages=5)
    tail = await read_tail(kafka, positions_topic, StartPosition.last(5), 15)
    assert tail.start_offsets == {p: o - 5 for p, o in end.items()}
    rows = as_rows(tail.ring.range())
    assert len(rows) == 15 and [r for r in rows if r[0] == 2] == expected


async def test_latest_sees_only_new_records(kafka):
    topic = f"tail-latest-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, topic, 2)
    await produce(kafka, topic, [(p, b"old", b"old", [], None) for p in (0, 1) for _ in range(3)])
    end = get_offsets(kafka, topic, -1)
    tail = Tail(adhoc_profile(kafka.bootstrap), topic, start=StartPosition.latest(), poll_timeout_ms=100)
    await tail.start()
    try:
        await wait_for(lambda: tail.status.state == RUNNING, 30, "running")
        assert tail.start_offsets == end
        await produce(kafka, topic, [(1, b"new", f"new-{i}".encode(), [("h", b"v")], None) for i in range(4)])
        await wait_for(lambda: tail.ring.seen >= 4, 30, "new records")
        await asyncio.sleep(0.5)
    finally:
        await tail.stop()
    expected = console(kafka, topic, "--partition", "1", "--offset", str(end[1]), max_messages=4)
    assert as_rows(tail.ring.range()) == expected and len(expected) == 4


async def test_reseek_while_running(kafka, positions_topic, console_everything):
    tail = Tail(adhoc_profile(kafka.bootstrap), positions_topic, start=StartPosition.latest(), poll_timeout_ms=100)
    await tail.start()
    try:
        await wait_for(lambda: tail.status.state == RUNNING, 30, "running")
        offsets = await tail.reseek(StartPosition.at_offset(12))
        assert offsets == {0: 12, 1: 12, 2: 12}
        wanted = [r for r in console_everything if r[1] >= 12]
        await wait_for(lambda: len(tail.ring) >= len(wanted), 30, "records after the jump")
        await asyncio.sleep(0.5)
        assert as_rows(tail.ring.range()) == wanted

        when = BASE_TS + 17_000
        offsets = await tail.reseek(StartPosition.at_time(when))
        assert offsets == get_offsets(kafka, positions_topic, when)
        wanted = [r for r in console_everything if r[1] >= offsets[r[0]]]
        await wait_for(lambda: len(tail.ring) >= len(wanted), 30, "records after the second jump")
        await asyncio.sleep(0.5)
        assert as_rows(tail.ring.range()) == wanted  # the ring was cleared by the jump
        assert tail.ring.first == tail.ring.next - len(wanted)
    finally:
        await tail.stop()


async def test_every_compression_codec(kafka):
    # One partition per codec, each written by a producer using that codec.
    codecs = ["gzip", "snappy", "lz4", "zstd"]
    topic = f"tail-codecs-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, topic, len(codecs))
    sent = {}
    for p, codec in enumerate(codecs):
        messages = [
            (
                p,
                f"{codec}-{i}".encode(),
                (f'{{"codec": "{codec}", "i": {i}}}' * 20).encode(),
                [("codec", codec.encode())],
                None,
            )
            for i in range(30)
        ]
        sent[p] = [(m[1], m[2]) for m in messages]
        await produce(kafka, topic, messages, compression_type=codec, linger_ms=50)
    expected = console(kafka, topic, "--from-beginning", max_messages=30 * len(codecs))
    tail = await read_tail(kafka, topic, StartPosition.earliest(), len(expected))
    rows = as_rows(tail.ring.range())
    assert rows == expected
    for p, codec in enumerate(codecs):
        assert [(r[3], r[4]) for r in rows if r[0] == p] == sent[p], codec


async def test_five_megabyte_value(kafka):
    topic = f"tail-big-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, topic, 1)
    big = (b"0123456789abcdef" * (5 * 1024 * 1024 // 16))[: 5 * 1024 * 1024]
    await produce(
        kafka,
        topic,
        [(0, b"small-1", b"before", [], None), (0, b"big", big, [], None), (0, b"small-2", b"after", [], None)],
        max_request_size=16 * 1024 * 1024,
    )
    expected = console(kafka, topic, "--partition", "0", "--offset", "0", max_messages=3)
    tail = await read_tail(kafka, topic, StartPosition.earliest(), 3)
    records = tail.ring.range()
    assert [r.key for r in records] == [b"small-1", b"big", b"small-2"]
    assert records[1].value == big
    assert hashlib.sha256(expected[1][4]).digest() == hashlib.sha256(records[1].value).digest()
    assert as_rows(records) == expected


async def test_tailing_never_creates_a_consumer_group(kafka, positions_topic):
    before = group_list(kafka)
    tail = await read_tail(kafka, positions_topic, StartPosition.earliest(), 3 * PER_PARTITION)
    assert tail.ring.seen == 3 * PER_PARTITION
    tail = Tail(adhoc_profile(kafka.bootstrap), positions_topic, start=StartPosition.last(2))
    await tail.start()
    try:
        await wait_for(lambda: tail.ring.seen >= 6, 30, "records")
        await tail.reseek(StartPosition.earliest())
        await wait_for(lambda: tail.ring.seen >= 6 + 3 * PER_PARTITION, 30, "records after reseek")
    finally:
        await tail.stop()
    assert group_list(kafka) == before


async def test_deleted_topic_is_a_status_and_a_recreated_one_is_tailed(kafka):
    topic = f"tail-deleted-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, topic, 1)
    await produce(kafka, topic, [(0, None, f"before-{i}".encode(), [], None) for i in range(3)])
    states = []
    tail = Tail(
        adhoc_profile(kafka.bootstrap),
        topic,
        start=StartPosition.earliest(),
        poll_timeout_ms=100,
        health_interval=0.5,
        on_status=lambda s: states.append(s.state),
    )
    await tail.start()
    try:
        await wait_for(lambda: tail.ring.seen == 3, 30, "first records")
        kafka.run_tool("kafka-topics", "--delete", "--topic", topic)
        await wait_for(lambda: tail.status.state == TOPIC_MISSING, 60, "topic-missing status")
        assert topic in tail.status.message and "does not exist" in tail.status.message
        assert tail.running  # a status, not a crash
        await asyncio.sleep(1.5)
        assert tail.running and tail.status.state == TOPIC_MISSING

        deadline = time.monotonic() + 60
        while True:  # deletion finishes in the background; retry until the name is free
            result = kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "1", check=False)
            if result.returncode == 0:
                break
            assert time.monotonic() < deadline, result.stderr
            await asyncio.sleep(1)
        await produce(kafka, topic, [(0, None, f"after-{i}".encode(), [], None) for i in range(2)])
        await wait_for(lambda: tail.ring.seen == 5, 60, f"records of the new topic ({tail.status})")
        assert tail.status.state == RUNNING
    finally:
        await tail.stop()
    assert [r.value for r in tail.ring.range()] == [b"before-0", b"before-1", b"before-2", b"after-0", b"after-1"]
    expected = console(kafka, topic, "--partition", "0", "--offset", "0", max_messages=2)
    assert as_rows(tail.ring.range()[3:]) == expected
    assert TOPIC_MISSING in states and states[-1] == "stopped"


async def test_run_in_the_callers_task_with_pause_and_resume(kafka):
    # The UI may await run() in a worker of its own rather than call start().
    topic = f"tail-pause-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, topic, 1)
    await produce(kafka, topic, [(0, None, f"a-{i}".encode(), [], None) for i in range(5)])
    states = []
    tail = Tail(
        adhoc_profile(kafka.bootstrap),
        topic,
        start=StartPosition.earliest(),
        poll_timeout_ms=100,
        on_status=lambda s: states.append(s.state),
    )
    worker = asyncio.create_task(tail.run())
    try:
        await wait_for(lambda: tail.ring.seen == 5, 30, "first records")
        assert tail.running
        tail.pause()
        await wait_for(lambda: tail.status.state == "paused", 10, "paused status")
        await produce(kafka, topic, [(0, None, f"b-{i}".encode(), [], None) for i in range(3)])
        await asyncio.sleep(1.5)
        assert tail.ring.seen == 5  # nothing fetched while paused
        tail.resume()
        await wait_for(lambda: tail.ring.seen == 8, 30, "records after resume")
        assert tail.status.state == RUNNING
        assert (await tail.reseek(StartPosition.at_offset(6))) == {0: 6}
        await wait_for(lambda: len(tail.ring) == 2, 30, "records after the jump")
    finally:
        await tail.stop()
    # stop() ends the loop; the caller's task returns right after it.
    await asyncio.wait_for(worker, timeout=10)
    assert worker.exception() is None
    assert not tail.running and states[-1] == "stopped"
    assert [r.value for r in tail.ring.range()] == [b"b-1", b"b-2"]
    # A jump asked of a stopped tail applies at the next start, and says so by returning {}.
    assert (await tail.reseek(StartPosition.earliest())) == {}


async def test_unreachable_cluster_is_a_status_not_an_exception():
    from kview.local.cluster import free_port

    tail = Tail(adhoc_profile(f"127.0.0.1:{free_port()}"), "anything", start=StartPosition.earliest())
    await tail.start()
    try:
        await wait_for(lambda: tail.status.state == UNREACHABLE, 60, "unreachable status")
        assert "cannot reach" in tail.status.message
        await asyncio.sleep(1)
        assert tail.running
    finally:
        await tail.stop()
    assert tail.status.state == "stopped"


async def test_broker_gone_and_back(kafka):
    # Runs last in this file: it stops the session's broker and starts it again.
    topic = f"tail-broker-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, topic, 1)
    await produce(kafka, topic, [(0, None, b"one", [], None)])
    tail = Tail(
        adhoc_profile(kafka.bootstrap), topic, start=StartPosition.earliest(), poll_timeout_ms=100, health_interval=0.5
    )
    await tail.start()
    try:
        await wait_for(lambda: tail.ring.seen == 1, 30, "first record")
        await asyncio.to_thread(kafka.stop_broker, 1)
        try:
            await wait_for(lambda: tail.status.state == UNREACHABLE, 90, "unreachable status")
            assert tail.running
        finally:
            await asyncio.to_thread(kafka.start_broker, 1)
            await asyncio.to_thread(kafka.wait_ready, 120)
        await produce(kafka, topic, [(0, None, b"two", [], None)])
        await wait_for(lambda: tail.ring.seen == 2, 120, f"record after the restart ({tail.status})")
        await wait_for(lambda: tail.status.state == RUNNING, 30, "running again")
    finally:
        await tail.stop()
    assert [r.value for r in tail.ring.range()] == [b"one", b"two"]
