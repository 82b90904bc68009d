"""Groups on a topic written by a transactional producer (commits, aborts, a
transaction left open), on the real broker: kview's lag equals
``kafka-consumer-groups --describe``; what kview says a read_committed consumer
receives of it equals what ``kafka-console-consumer --isolation-level
read_committed`` prints; markers and aborted records are told apart by what the
console consumer prints with read_uncommitted.  And every headless command that
reads ends, on this topic, within the bound it states (a subprocess timeout).

Layout (offsets come from the producer's acknowledgements, never assumed):
partition 0: committed txn (3), aborted txn (2), committed txn (2), each with
its marker; partition 1: committed txn (2), then a transaction left open (2);
partition 2: plain records (5)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import TopicPartition
from test_headless import admin, commit, create_topic, kview, kview_json, parse_group_describe, tool  # noqa: F401

from kview.core.groups.readable import STOP_TIMEOUT
from kview.headless.runner import refresh_bound

pytestmark = pytest.mark.timeout(600)

LINE = "<<L>>"


async def send_txn(producer: AIOKafkaProducer, topic: str, partition: int, count: int, *, outcome: str) -> list[int]:
    """``count`` records in one transaction, then commit/abort/leave it open;
    the offsets the broker gave them."""
    await producer.begin_transaction()
    futures = [await producer.send(topic, f"{outcome}-{i}".encode(), partition=partition) for i in range(count)]
    offsets = [(await f).offset for f in futures]
    if outcome == "commit":
        await producer.commit_transaction()
    elif outcome == "abort":
        await producer.abort_transaction()
    return offsets


async def console_offsets(kafka, topic: str, partition: int, isolation: str) -> list[int]:
    """Offsets kafka-console-consumer prints from the partition's start."""
    argv = kafka.tool_command(
        "kafka-console-consumer",
        "--bootstrap-server",
        kafka.bootstrap,
        "--topic",
        topic,
        "--partition",
        str(partition),
        "--offset",
        "earliest",
        "--isolation-level",
        isolation,
        "--timeout-ms",
        "5000",
        "--formatter-property",
        "print.offset=true",
        "--formatter-property",
        "print.value=false",
        "--formatter-property",
        f"line.separator={LINE}",
    )
    result = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=120)
    return [int(item.strip().removeprefix("Offset:")) for item in result.stdout.split(LINE)[:-1]]


@pytest.fixture
async def txn_topic(kafka, admin, unique_name):  # noqa: F811
    topic = f"{unique_name}-t"
    await create_topic(admin, topic, 3)
    committer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"{unique_name}-a")
    holder = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"{unique_name}-b")
    plain = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    for producer in (committer, holder, plain):
        await producer.start()
    try:
        layout = {
            "first": await send_txn(committer, topic, 0, 3, outcome="commit"),
            "aborted": await send_txn(committer, topic, 0, 2, outcome="abort"),
            "second": await send_txn(committer, topic, 0, 2, outcome="commit"),
            "p1_committed": await send_txn(holder, topic, 1, 2, outcome="commit"),
            "open": await send_txn(holder, topic, 1, 2, outcome="open"),
        }
        await asyncio.gather(*[await plain.send(topic, b"plain", partition=2) for _ in range(5)])
        yield topic, layout
    finally:
        try:
            await holder.abort_transaction()
        finally:
            for producer in (committer, holder, plain):
                await producer.stop()


async def test_readable_lag_matches_kafka_tools(kafka, txn_topic, unique_name):
    topic, layout = txn_topic
    ends = {p: o for (t, p), o in (await _get_offsets(kafka, topic)).items()}
    lso_1 = layout["open"][0]  # the open transaction's first record holds the LSO back
    groups = {
        # On the final commit marker: lag 1, nothing readable.
        "end": {0: ends[0] - 1},
        # From the start: two commits with an aborted transaction between them.
        "all": {0: layout["first"][0]},
        # On the aborted records.
        "aborted": {0: layout["aborted"][0]},
        # At the LSO of a partition with an open transaction, and behind on plain records.
        "open": {1: lso_1, 2: 2},
    }
    for suffix, offsets in groups.items():
        await commit(kafka, f"{unique_name}-{suffix}", {TopicPartition(topic, p): o for p, o in offsets.items()})

    described = parse_group_describe(await tool(kafka, "kafka-consumer-groups", "--describe", "--all-groups"))
    tool_lag = {(r["GROUP"], int(r["PARTITION"])): int(r["LAG"]) for r in described if r["TOPIC"] == topic}
    committed_seen = {p: await console_offsets(kafka, topic, p, "read_committed") for p in (0, 1, 2)}
    everything_seen = {p: await console_offsets(kafka, topic, p, "read_uncommitted") for p in (0, 1)}
    # What the tools say: records a read_committed consumer at c receives; data
    # records (committed or aborted) below the LSO from read_uncommitted.
    lso = {0: ends[0], 1: lso_1, 2: ends[2]}

    for suffix, offsets in groups.items():
        name = f"{unique_name}-{suffix}"
        doc = await asyncio.to_thread(kview_json, kafka, "group", name)
        rows = {r["partition"]: r for r in doc["partitions"]}
        total_records = 0
        for p, c in offsets.items():
            row = rows[p]
            assert row["lag"] == tool_lag[(name, p)] == ends[p] - c
            records = sum(1 for o in committed_seen[p] if c <= o < lso[p])
            total_records += records
            readable = row["readable"]
            assert readable["records"] == records, (suffix, p, readable)
            assert readable["pending"] == ends[p] - lso[p]
            if p in everything_seen:
                data = sum(1 for o in everything_seen[p] if c <= o < lso[p])
                assert readable["aborted"] == data - records
                assert readable["markers"] == (lso[p] - c) - data
            assert readable["records"] + readable["markers"] + readable["aborted"] + readable["pending"] == row["lag"]
            assert row["readable_lag"] == records
            assert row["time_lag"]["exact"]
            if records == 0:
                assert row["time_lag"]["seconds"] == 0.0
        assert doc["total_lag"] == sum(tool_lag[(name, p)] for p in offsets)
        assert doc["readable"]["records"] == doc["readable_lag"] == total_records

        # kview lag judges the readable lag: behind (exit 1) only with records to read.
        lag = await asyncio.to_thread(
            kview_json, kafka, "lag", "--group", name, "--exact", code=1 if total_records else 0
        )
        assert lag["matched"] == (1 if total_records else 0)
        # The groups list reads small gaps too: same split.
        listed = await asyncio.to_thread(kview_json, kafka, "groups", name)
        assert listed["groups"][0]["total_lag"] == doc["total_lag"]
        assert listed["groups"][0]["readable"] == doc["readable"]

    # The layout gave each case something to show (the numbers above came from the tools).
    end_doc = await asyncio.to_thread(kview_json, kafka, "group", f"{unique_name}-end")
    assert end_doc["readable"] == {"records": 0, "markers": 1, "aborted": 0, "pending": 0}
    table = await asyncio.to_thread(kview, "group", f"{unique_name}-end", "--bootstrap", kafka.bootstrap)
    assert table.returncode == 0 and "lag 1 · 0 records (1 marker)" in table.stdout.splitlines()[0]


async def _get_offsets(kafka, topic: str) -> dict[tuple[str, int], int]:
    from kafka_tools import parse_get_offsets

    out = await tool(kafka, "kafka-get-offsets", "--topic", topic, "--time", "-1")
    return {k: v for k, v in parse_get_offsets(out).items() if k[0] == topic}


async def test_every_reading_command_ends_within_its_bound(kafka, txn_topic, unique_name):
    """Each command that reads, on a topic whose groups sit on markers, aborted
    records and an open transaction, ends (exit 0 or 1, never killed) within
    the bound it states: one refresh's bound, plus closing the two record
    readers, plus the interpreter's start."""
    topic, layout = txn_topic
    group = f"{unique_name}-g"
    ends = await _get_offsets(kafka, topic)
    await commit(
        kafka,
        group,
        {
            TopicPartition(topic, 0): ends[(topic, 0)] - 1,
            TopicPartition(topic, 1): layout["open"][0],
            TopicPartition(topic, 2): 2,
        },
    )
    bound = refresh_bound(15_000) + 2 * STOP_TIMEOUT + 30
    idle = "5"
    tail_bound = float(idle) + 60
    runs = [
        (["brokers"], bound),
        (["topics"], bound),
        (["topic", topic], bound),
        (["groups"], bound),
        (["group", group], bound),
        (["group", group, "--json"], bound),
        (["lag"], bound),
        (["lag", "--exact"], bound),
        (["lag", "--group", group, "--exact", "--json"], bound),
        (["tail", topic, "--idle-timeout", idle], tail_bound),
        (["tail", topic, "-p", "0", "--from", str(ends[(topic, 0)] - 1), "--idle-timeout", idle], tail_bound),
        (["tail", topic, "-p", "1", "--idle-timeout", idle, "--json"], tail_bound),
        (["tail", topic, "-n", "3", "--idle-timeout", idle], tail_bound),
        (["tail", topic, "--from", "latest", "--idle-timeout", idle], tail_bound),
    ]
    for argv, limit in runs:
        try:
            result = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "kview.cli", *argv, "--bootstrap", kafka.bootstrap],
                capture_output=True,
                text=True,
                timeout=limit,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"kview {' '.join(argv)} still running after {limit:g} s")
        assert result.returncode in (0, 1), (argv, result.stderr)
        assert "Traceback" not in result.stderr


async def test_large_lag_read_only_where_the_bound_allows(kafka, admin, unique_name):  # noqa: F811
    """A lag over REFRESH_GAP offsets: the groups list shows just the lag (not
    read), the group detail counts it (it is under the count limit)."""
    from kview.core.groups import REFRESH_GAP

    topic, group = f"{unique_name}-t", f"{unique_name}-g"
    await create_topic(admin, topic, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"{unique_name}-x")
    await producer.start()
    try:
        offsets = await send_txn(producer, topic, 0, REFRESH_GAP + 20, outcome="commit")
    finally:
        await producer.stop()
    await commit(kafka, group, {TopicPartition(topic, 0): offsets[0]})
    described = parse_group_describe(await tool(kafka, "kafka-consumer-groups", "--describe", "--group", group))
    lag = int(described[0]["LAG"])
    assert lag > REFRESH_GAP
    records = len(await console_offsets(kafka, topic, 0, "read_committed"))

    listed = await asyncio.to_thread(kview_json, kafka, "groups", group)
    assert listed["groups"][0]["total_lag"] == listed["groups"][0]["readable_lag"] == lag
    assert listed["groups"][0]["readable"] is None
    doc = await asyncio.to_thread(kview_json, kafka, "group", group)
    assert doc["total_lag"] == lag
    assert doc["readable"] == {"records": records, "markers": lag - records, "aborted": 0, "pending": 0}
    exact = await asyncio.to_thread(kview_json, kafka, "lag", "--group", group, "--exact", code=1)
    assert exact["groups"][0]["readable_lag"] == records
