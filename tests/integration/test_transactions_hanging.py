"""Transactions, producers and hanging transactions on a real broker,
compared with ``kafka-transactions`` (list, describe, describe-producers,
find-hanging, abort).  Producers are real processes killed with ``kill -9``
in the middle of their transaction (``txn_producer_process.py``).

The module runs its own one-broker cluster (``txn_cluster.txn_kafka``: why
is said there).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import AIOKafkaProducer
from kafka_tools import parse_get_offsets, parse_transactions_table
from test_headless import kview, validated
from test_transactions import console_offsets
from txn_cluster import killed_producer, txn_kafka  # noqa: F401

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.transactions import HANGING, OVERDUE, TransactionService
from kview.local.cluster import DevCluster

pytestmark = pytest.mark.timeout(600)


def tool_rows(kafka: DevCluster, *args: str) -> list[dict[str, str]]:
    return parse_transactions_table(kafka.run_tool("kafka-transactions", *args).stdout)


def kview_transactions(kafka: DevCluster, *args: str, code: int = 0) -> dict:
    result = kview("transactions", *args, "--bootstrap", kafka.bootstrap, "--json")
    assert result.returncode == code, result.stderr
    assert result.stderr == ""
    return validated("transactions", result.stdout)


def none_or_int(text: str) -> int | None:
    return None if text == "None" else int(text)


def create(kafka: DevCluster, topic: str, partitions: int) -> None:
    kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", str(partitions))


def wait_for(check, what: str, timeout: float = 60.0):
    """Poll ``check()`` until it returns something true (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.3)


async def test_views_match_kafka_transactions(txn_kafka, unique_name):  # noqa: F811
    kafka = txn_kafka
    topic = f"{unique_name}-t"
    create(kafka, topic, 3)
    registered, unregistered, committed = (f"{unique_name}-{s}" for s in ("reg", "unreg", "done"))
    held = killed_producer(kafka, topic, 0, registered, "registered")
    lost = killed_producer(kafka, topic, 1, unregistered, "unregistered", count=4)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=committed)
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, b"x", partition=2)
    finally:
        await producer.stop()
    mine = {registered, unregistered, committed}

    # The registered one runs past its timeout (the coordinator holds it, and
    # with its sweep an hour away does not abort it): overdue, then compare.
    def overdue() -> dict | None:
        doc = kview_transactions(kafka, "--topic", topic, "--max-transaction-timeout", "0", "--producers")
        statuses = {(p["partition"]): p["status"] for p in doc["partitions"]}
        return doc if statuses.get(0) == OVERDUE else None

    doc = await asyncio.to_thread(wait_for, overdue, "the killed producer's transaction past its timeout")

    # list
    listed = {r["TransactionalId"]: r for r in await asyncio.to_thread(tool_rows, kafka, "list")}
    ours = {t["transactional_id"]: t for t in doc["transactions"] if t["transactional_id"] in mine}
    assert set(ours) == mine <= set(listed)
    for tid, t in ours.items():
        row = listed[tid]
        assert (t["coordinator"], t["producer_id"], t["state"]) == (
            int(row["Coordinator"]),
            int(row["ProducerId"]),
            row["TransactionState"],
        )
    # describe
    for tid, t in ours.items():
        (row,) = await asyncio.to_thread(tool_rows, kafka, "describe", "--transactional-id", tid)
        assert t["coordinator"] == int(row["CoordinatorId"])
        assert t["producer_id"] == int(row["ProducerId"])
        assert t["producer_epoch"] == int(row["ProducerEpoch"])
        assert t["state"] == row["TransactionState"]
        assert t["timeout_ms"] == int(row["TransactionTimeoutMs"])
        assert t["start_ms"] == none_or_int(row["CurrentTransactionStartTimeMs"])
        partitions = sorted(f"{p['topic']}-{p['partition']}" for p in t["partitions"])
        assert partitions == sorted(x for x in row["TopicPartitions"].split(",") if x)
    assert ours[registered]["state"] == "Ongoing" and ours[registered]["partitions"] == [
        {"topic": topic, "partition": 0}
    ]
    assert ours[unregistered]["partitions"] == []  # the coordinator never heard of partition 1
    assert ours[registered]["producer_id"] == held["producer_id"]
    assert ours[unregistered]["producer_id"] == lost["producer_id"]

    # describe-producers, per partition, and the LSO next to the high watermark
    ends = parse_get_offsets(kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-1").stdout)
    rows = {p["partition"]: p for p in doc["partitions"]}
    assert set(rows) == {0, 1, 2}
    for partition in (0, 1, 2):
        tool = await asyncio.to_thread(
            tool_rows, kafka, "describe-producers", "--topic", topic, "--partition", str(partition)
        )
        mine_rows = sorted(
            (
                s["producer_id"],
                s["producer_epoch"],
                -1 if s["coordinator_epoch"] is None else s["coordinator_epoch"],
                s["last_sequence"],
                s["last_timestamp"],
                s["txn_start_offset"],
            )
            for s in rows[partition]["producers"]
        )
        tool_tuples = sorted(
            (
                int(r["ProducerId"]),
                int(r["ProducerEpoch"]),
                int(r["LatestCoordinatorEpoch"]),
                int(r["LastSequence"]),
                int(r["LastTimestamp"]),
                none_or_int(r["CurrentTransactionStartOffset"]),
            )
            for r in tool
        )
        assert mine_rows == tool_tuples
        assert rows[partition]["high_watermark"] == ends[(topic, partition)]
    # The open transactions hold the LSO at their first record; the committed partition is stable.
    assert rows[0]["last_stable_offset"] == held["offsets"][0]
    assert rows[1]["last_stable_offset"] == lost["offsets"][0]
    assert rows[2]["last_stable_offset"] == rows[2]["high_watermark"]
    assert rows[0]["behind"] == ends[(topic, 0)] - held["offsets"][0]
    # A read_committed consumer gets nothing of the held partitions.
    assert await console_offsets(kafka, topic, 0, "read_committed") == []
    assert rows[1]["status"] == HANGING and rows[2]["status"] == ""
    assert rows[0]["open"][0]["transactional_id"] == registered
    assert rows[1]["open"][0]["transactional_id"] == unregistered

    # find-hanging: the same rows, from --hanging and from the full view.
    hanging_tool = await asyncio.to_thread(
        tool_rows, kafka, "find-hanging", "--topic", topic, "--max-transaction-timeout", "0"
    )
    hanging_doc = await asyncio.to_thread(
        kview_transactions, kafka, "--hanging", "--topic", topic, "--max-transaction-timeout", "0", code=1
    )

    def as_tool(rows: list[dict]) -> list[tuple]:
        return sorted(
            (
                h["topic"],
                h["partition"],
                h["producer_id"],
                h["producer_epoch"],
                -1 if h["coordinator_epoch"] is None else h["coordinator_epoch"],
                h["start_offset"],
                h["last_timestamp"],
                h["duration_minutes"],
            )
            for h in rows
        )

    expected = sorted(
        (
            r["Topic"],
            int(r["Partition"]),
            int(r["ProducerId"]),
            int(r["ProducerEpoch"]),
            int(r["CoordinatorEpoch"]),
            int(r["StartOffset"]),
            int(r["LastTimestamp"]),
            int(r["Duration(min)"]),
        )
        for r in hanging_tool
    )
    assert len(expected) == 1 and expected[0][:2] == (topic, 1)
    assert as_tool(hanging_doc["hanging"]) == expected
    assert as_tool(doc["hanging"]) == expected
    # With find-hanging's default bound (15 min) nothing here hangs yet, for both.
    assert await asyncio.to_thread(tool_rows, kafka, "find-hanging", "--topic", topic) == []
    quiet = await asyncio.to_thread(kview_transactions, kafka, "--hanging", "--topic", topic)
    assert quiet["hanging"] == []


async def test_abort_equals_kafka_transactions_abort(txn_kafka, unique_name):  # noqa: F811
    """Two partitions each held by a hanging transaction with committed data
    behind it; kview aborts one, ``kafka-transactions abort`` the other: both
    partitions end the same (LSO at the high watermark, the same records for
    read_committed and read_uncommitted consumers, no open transaction)."""
    kafka = txn_kafka
    topic = f"{unique_name}-t"
    create(kafka, topic, 2)
    lost = {p: killed_producer(kafka, topic, p, f"{unique_name}-{p}", "unregistered") for p in (0, 1)}
    plain = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await plain.start()
    after_offsets: dict[int, list[int]] = {0: [], 1: []}
    try:
        for p in (0, 1):
            for i in range(2):
                sent = await plain.send_and_wait(topic, f"after-{i}".encode(), partition=p)
                after_offsets[p].append(sent.offset)
    finally:
        await plain.stop()
    assert await console_offsets(kafka, topic, 0, "read_committed") == []

    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    service = TransactionService(client)
    try:
        metadata = await client.metadata([topic])
        before = await service.offsets([(topic, 0), (topic, 1)], metadata)
        assert before[(topic, 0)] == (lost[0]["offsets"][0], after_offsets[0][-1] + 1)
        hanging = await service.find_hanging(topic=topic, max_timeout_ms=0)
        assert sorted((h.partition, h.start_offset) for h in hanging) == [(0, 0), (1, 0)]

        spec = await service.abort(topic, 0, lost[0]["offsets"][0])
        assert (spec.producer_id, spec.producer_epoch) == (lost[0]["producer_id"], lost[0]["epoch"])
        await asyncio.to_thread(
            kafka.run_tool,
            "kafka-transactions",
            "abort",
            "--topic",
            topic,
            "--partition",
            "1",
            "--start-offset",
            str(lost[1]["offsets"][0]),
        )

        async def settled() -> dict:
            marks = await service.offsets([(topic, 0), (topic, 1)], metadata)
            return marks if all(lso == hw for lso, hw in marks.values()) else {}

        deadline = time.monotonic() + 60
        while not (after := await settled()):
            assert time.monotonic() < deadline, "the LSO never reached the high watermark"
            await asyncio.sleep(0.3)
        assert after[(topic, 0)] == after[(topic, 1)]
        assert after[(topic, 0)][0] > before[(topic, 0)][0]  # the LSO moved
        assert await service.find_hanging(topic=topic, max_timeout_ms=0) == []
    finally:
        await client.close()

    ends = parse_get_offsets(kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-1").stdout)
    assert ends[(topic, 0)] == ends[(topic, 1)] == after[(topic, 0)][1]
    committed = {p: await console_offsets(kafka, topic, p, "read_committed") for p in (0, 1)}
    everything = {p: await console_offsets(kafka, topic, p, "read_uncommitted") for p in (0, 1)}
    # read_committed consumers now get the records written after the aborted transaction, and only those.
    for p in (0, 1):
        assert committed[p] == after_offsets[p]
        assert everything[p] == lost[p]["offsets"] + after_offsets[p]
    assert committed[0] == committed[1] and everything[0] == everything[1]
    for p in (0, 1):
        (row,) = await asyncio.to_thread(
            tool_rows, kafka, "describe-producers", "--topic", topic, "--partition", str(p)
        )
        assert row["CurrentTransactionStartOffset"] == "None"
    assert (
        await asyncio.to_thread(tool_rows, kafka, "find-hanging", "--topic", topic, "--max-transaction-timeout", "0")
        == []
    )


async def test_headless_errors_and_bound(txn_kafka, unique_name):  # noqa: F811
    """Bad input is one line and an exit code; the command ends within the bound its --help states."""
    kafka = txn_kafka
    result = await asyncio.to_thread(kview, "transactions", "--partition", "0", "--bootstrap", kafka.bootstrap)
    assert result.returncode == 2 and result.stderr.strip() == "kview: --partition needs --topic"
    result = await asyncio.to_thread(
        kview, "transactions", "--topic", f"{unique_name}-none", "--bootstrap", kafka.bootstrap
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"kview: topic '{unique_name}-none': does not exist"
    help_text = (await asyncio.to_thread(kview, "transactions", "--help")).stdout
    assert "Ends within a bound" in " ".join(help_text.split())
    from kview.headless.runner import refresh_bound

    table = await asyncio.to_thread(
        kview, "transactions", "--bootstrap", kafka.bootstrap, timeout=refresh_bound(15_000) + 30
    )
    assert table.returncode == 0, table.stderr
    assert "transactional id" in table.stdout


async def test_group_lag_behind_an_open_transaction(txn_kafka, unique_name):  # noqa: F811
    """A group at the start of a partition whose LSO a killed producer's
    transaction holds: the records past the LSO are put down to that
    transaction, by name and age, as kafka-transactions describes it."""
    from aiokafka.structs import TopicPartition
    from test_headless import commit

    from kview.core.groups import GroupService
    from kview.core.transactions.behind import behind_open_transactions

    kafka = txn_kafka
    topic, group, holder = f"{unique_name}-t", f"{unique_name}-g", f"{unique_name}-h"
    create(kafka, topic, 1)
    committer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"{unique_name}-c")
    await committer.start()
    try:
        async with committer.transaction():
            for i in range(5):
                await committer.send_and_wait(topic, f"c{i}".encode(), partition=0)
    finally:
        await committer.stop()
    held = killed_producer(kafka, topic, 0, holder, "registered")
    plain = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await plain.start()
    try:
        for i in range(4):
            await plain.send_and_wait(topic, f"p{i}".encode(), partition=0)
    finally:
        await plain.stop()
    await commit(kafka, group, {TopicPartition(topic, 0): 0})

    (described,) = await asyncio.to_thread(tool_rows, kafka, "describe", "--transactional-id", holder)
    (producer,) = [
        r
        for r in await asyncio.to_thread(tool_rows, kafka, "describe-producers", "--topic", topic, "--partition", "0")
        if r["CurrentTransactionStartOffset"] != "None"
    ]
    ends = parse_get_offsets(kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-1").stdout)
    start_offset = int(producer["CurrentTransactionStartOffset"])
    assert start_offset == held["offsets"][0]
    start_ms = int(described["CurrentTransactionStartTimeMs"])

    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    groups = GroupService(client)
    try:
        detail = await groups.describe_group(group)
        (row,) = detail.partitions
        assert row.readable is not None and row.readable.pending == ends[(topic, 0)] - start_offset
        deadline = time.monotonic() + 60
        while True:
            before = int(time.time() * 1000)
            (behind,) = await behind_open_transactions(TransactionService(client), detail.partitions)
            after = int(time.time() * 1000)
            if behind.holder.status == OVERDUE or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
    finally:
        await groups.close()
        await client.close()
    assert behind.holder.status == OVERDUE  # open past its 2 s timeout
    assert behind.pending == ends[(topic, 0)] - start_offset
    assert behind.partitions == ((topic, 0),)
    assert behind.holder.transactional_id == holder == described["TransactionalId"]
    assert before - start_ms <= behind.holder.open_ms <= after - start_ms
    assert behind.holder.timeout_ms == int(described["TransactionTimeoutMs"])
    text = behind.text()
    assert text.startswith(
        f"{behind.pending:,} records behind the last stable offset ({topic}-0): transaction {holder} open for "
    )
    assert text.endswith(" · past its timeout of 2s")
