"""Copy and redrive against the real broker: what lands in the target is read
back record by record with ``kafka-console-consumer`` and compared with the
source read the same way; a failure mid-copy (a record larger than the
target's ``max.message.bytes``) is reported exactly: the target holds the
records reported sent, and only those."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import jsonschema
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.find.window import Bound
from kview.core.replay import FAILED, NO_TARGET, SENT, UNCONFIRMED, CopySpec, RecordCopier
from kview.headless.schema import SCHEMAS

FIELD, LINE, NULL, HEADER = "<<F>>", "<<L>>", "<<NULL>>", "<<H>>"

BASE = int(time.time() * 1000) - 3_600_000
"""Source records are stamped BASE + i: an hour old, well inside the broker's
retention (a 2023 timestamp lets retention delete the records under a test)."""


@pytest.fixture
async def admin(kafka):
    client = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def client(kafka):
    c = ClusterClient(adhoc_profile(kafka.bootstrap))
    yield c
    await c.close()


async def create_topic(admin, client, name: str, partitions: int, configs: dict[str, str] | None = None) -> None:
    await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])
    deadline = time.monotonic() + 30
    while True:
        topic = (await client.metadata([name])).topic(name)
        if topic is not None and len(topic.partitions) == partitions and all(p.leader >= 0 for p in topic.partitions):
            if len(await client.watermarks(topic.partitions)) == partitions:
                return
        assert time.monotonic() < deadline, f"topic {name} has no leaders"
        await asyncio.sleep(0.2)


async def produce(kafka, topic: str, records: list[tuple[int, bytes | None, bytes, list]]) -> None:
    """(partition, key, value, headers), sent in order, each acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=5, max_request_size=1 << 20)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key, partition, timestamp_ms=BASE + i, headers=headers)
            for i, (partition, key, value, headers) in enumerate(records)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def console(kafka, topic: str, count: int) -> list[tuple]:
    """(partition, offset, timestamp, headers text, key, value) as kafka-console-consumer prints them."""
    argv = kafka.tool_command(
        "kafka-console-consumer",
        "--bootstrap-server",
        kafka.bootstrap,
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        str(count),
        "--timeout-ms",
        "30000",
        *(
            arg
            for prop in (
                "print.key=true",
                "print.offset=true",
                "print.partition=true",
                "print.headers=true",
                "print.timestamp=true",
                f"key.separator={FIELD}",
                f"line.separator={LINE}",
                f"headers.separator={HEADER}",
                f"null.literal={NULL}",
            )
            for arg in ("--formatter-property", prop)
        ),
    )
    result = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=120)
    rows = []
    for line in result.stdout.split(LINE)[:-1]:
        stamp, partition, offset, headers, key, value = line.split(FIELD, 5)
        rows.append(
            (
                int(partition.removeprefix("Partition:")),
                int(offset.removeprefix("Offset:")),
                stamp,
                headers,
                None if key == NULL else key,
                None if value == NULL else value,
            )
        )
    return sorted(rows)


def sent_offsets(result) -> set[tuple[int, int]]:
    return {
        (p.partition, o)
        for p in result.partitions
        for r in p.runs
        if r.fate == SENT
        for o in range(r.first, r.last + 1)
    }


# -- copy -------------------------------------------------------------------------------


async def test_copy_equals_the_source_record_by_record(kafka, admin, client, unique_name):
    source, target = f"{unique_name}-a", f"{unique_name}-b"
    await create_topic(admin, client, source, 3)
    await create_topic(admin, client, target, 3)
    records = [
        (
            i % 3,
            f"k{i}".encode() if i % 4 else None,
            f'{{"n": {i}}}'.encode(),
            [("h", f"x{i}".encode())] if i % 2 else [],
        )
        for i in range(60)
    ]
    await produce(kafka, source, records)
    copier = RecordCopier(client)
    spec = CopySpec(source, target)
    seen = []
    counted = await copier.count(spec, on_progress=seen.append)
    assert counted.dry_run and counted.ok and counted.matched == len(records)
    assert seen and seen[-1].scanned == len(records)
    assert await console(kafka, target, 1) == []  # the dry run sent nothing

    result = await copier.copy(spec)
    assert result.ok, result.stopped
    assert result.count(SENT) == len(records) == result.scanned
    assert [(p.partition, p.window.start, p.window.end, p.read_to) for p in result.partitions] == [
        (p, 0, 20, 20) for p in range(3)
    ]
    # Same partition, offset, timestamp, headers, key and value as the source.
    assert await console(kafka, target, len(records)) == await console(kafka, source, len(records))


async def test_copy_a_filtered_window_by_key_without_keys_headers_or_times(kafka, admin, client, unique_name):
    source, target = f"{unique_name}-a", f"{unique_name}-b"
    await create_topic(admin, client, source, 2)
    await create_topic(admin, client, target, 1)
    records = [
        (i % 2, b"k%d" % i, b'{"n": %d, "even": %s}' % (i, b"true" if i % 2 == 0 else b"false"), [("h", b"v")])
        for i in range(40)
    ]
    await produce(kafka, source, records)
    # Offsets 5..14 of each partition, records whose "n" is a multiple of 3.
    spec = CopySpec(
        source,
        target,
        start=Bound.offset(5),
        end=Bound.offset(15),
        filter=".n in [" + ", ".join(str(n) for n in range(0, 40, 3)) + "]",
        keep_keys=False,
        keep_headers=False,
        keep_timestamps=False,
        partitioning="chosen",
        target_partition=0,
    )
    copied_at = int(time.time() * 1000)
    result = await RecordCopier(client).copy(spec)
    assert result.ok, result.stopped
    in_window = [(i % 2, i // 2, v) for i, (_p, _k, v, _h) in enumerate(records) if 5 <= i // 2 < 15]
    wanted = sorted(v.decode() for _p, _o, v in in_window if int(json.loads(v)["n"]) % 3 == 0)
    assert result.scanned == len(in_window) and result.count(SENT) == len(wanted)
    copied = await console(kafka, target, len(wanted))
    assert sorted(value for *_rest, value in copied) == wanted
    assert {(p, key, headers) for p, _o, _t, headers, key, _v in copied} == {(0, None, "NO_HEADERS")}
    # Stamped by the producer when copied, not the source's times (an hour before).
    assert all(int(stamp.removeprefix("CreateTime:")) >= copied_at for _p, _o, stamp, *_ in copied)


async def test_copy_by_time_window(kafka, admin, client, unique_name):
    source, target = f"{unique_name}-a", f"{unique_name}-b"
    await create_topic(admin, client, source, 1)
    await create_topic(admin, client, target, 1)
    await produce(kafka, source, [(0, None, b"v%d" % i, []) for i in range(10)])  # timestamps base + i
    base = BASE
    result = await RecordCopier(client).copy(
        CopySpec(source, target, start=Bound.time(base + 3), end=Bound.time(base + 7))
    )
    assert result.ok and [(p.window.start, p.window.end) for p in result.partitions] == [(3, 7)]
    assert [v for *_r, v in await console(kafka, target, 4)] == ["v3", "v4", "v5", "v6"]


# -- redrive ------------------------------------------------------------------------------


async def test_redrive_sends_records_back_to_the_topic_their_header_names(kafka, admin, client, unique_name):
    dlq, first, second = f"{unique_name}-dlq", f"{unique_name}-one", f"{unique_name}-two"
    for name in (dlq, first, second):
        await create_topic(admin, client, name, 1)
    header = "original-topic"
    records = [
        (
            0,
            b"k%d" % i,
            b"r%d" % i,
            [(header, (first if i % 3 == 0 else second).encode()), ("why", b"boom")] if i % 5 else [("why", b"boom")],
        )
        for i in range(30)
    ]
    await produce(kafka, dlq, records)
    spec = CopySpec(dlq, redrive_header=header, keep_headers=False, partitioning="key")
    counted = await RecordCopier(client).count(spec)
    to_first = sum(1 for i in range(30) if i % 5 and i % 3 == 0)
    to_second = sum(1 for i in range(30) if i % 5 and i % 3)
    assert counted.targets == {first: to_first, second: to_second}
    assert counted.count(NO_TARGET) == 6 and not counted.missing_targets

    result = await RecordCopier(client).copy(spec)
    assert result.ok, result.stopped
    assert result.count(SENT) == to_first + to_second and result.count(NO_TARGET) == 6
    no_target = {
        o for p in result.partitions for r in p.runs if r.fate == NO_TARGET for o in range(r.first, r.last + 1)
    }
    assert no_target == {i for i in range(30) if i % 5 == 0}
    back_first = await console(kafka, first, to_first)
    assert [(k, v, h) for _p, _o, _t, h, k, v in back_first] == [
        (f"k{i}", f"r{i}", "NO_HEADERS") for i in range(30) if i % 5 and i % 3 == 0
    ]
    assert len(await console(kafka, second, to_second)) == to_second


async def test_redrive_to_a_missing_topic_is_counted_then_refused_exactly(kafka, admin, client, unique_name):
    dlq, real = f"{unique_name}-dlq", f"{unique_name}-real"
    await create_topic(admin, client, dlq, 1)
    await create_topic(admin, client, real, 1)
    header = "__connect.errors.topic"
    gone = f"{unique_name}-gone"
    await produce(
        kafka, dlq, [(0, None, b"r%d" % i, [(header, (real if i != 4 else gone).encode())]) for i in range(8)]
    )
    counted = await RecordCopier(client).count(CopySpec(dlq, redrive_header=header))
    assert counted.missing_targets == (gone,) and not counted.ok
    result = await RecordCopier(client).copy(CopySpec(dlq, redrive_header=header))
    account = result.partitions[0]
    assert [(r.first, r.last, r.fate) for r in account.runs] == [(0, 3, SENT), (4, 4, FAILED)]
    assert account.read_to == 5 and not result.ok  # 5..7 never read, never sent
    assert [v for *_r, v in await console(kafka, real, 4)] == ["r0", "r1", "r2", "r3"]


# -- failure mid-copy ---------------------------------------------------------------------


async def test_a_record_too_large_for_the_target_is_reported_exactly(kafka, admin, client, unique_name):
    source, target = f"{unique_name}-a", f"{unique_name}-b"
    await create_topic(admin, client, source, 2)
    await create_topic(admin, client, target, 2, {"max.message.bytes": "2000"})
    big = 25  # the 26th record of partition 0
    records = [(p, b"k", (b"x" * 5000 if (p, i) == (0, big) else b"v%d" % i), []) for i in range(60) for p in range(2)]
    await produce(kafka, source, records)
    result = await RecordCopier(client, ack_timeout=60).copy(CopySpec(source, target))
    assert not result.ok and result.stopped
    zero = result.partitions[0]
    failed = {o for r in zero.runs if r.fate == FAILED for o in range(r.first, r.last + 1)}
    assert big in failed, zero.runs
    # The broker refuses the whole batch the big record travels in: all of it is failed, with the reason.
    assert {r.reason for r in zero.runs if r.fate == FAILED} == {
        "MessageSizeTooLargeError: [Error 10] MessageSizeTooLargeError"
    }
    # Every offset has one fate: sent, failed, unconfirmed, or unread.
    for account in result.partitions:
        seen = [o for r in account.runs for o in range(r.first, r.last + 1)]
        assert len(seen) == len(set(seen)) == account.scanned
        assert set(seen) == set(range(account.window.start, account.read_to))
        assert all(r.fate in (SENT, FAILED, UNCONFIRMED) for r in account.runs)
    # The target holds exactly the records reported sent.
    sent = sent_offsets(result)
    expected = sorted((p, f"v{o}") for p, o in sent)
    copied = await console(kafka, target, len(sent) + 1)
    assert sorted((p, v) for p, _o, _t, _h, _k, v in copied) == expected


# -- headless -----------------------------------------------------------------------------


def validated(kind: str, text: str) -> dict:
    doc = json.loads(text)
    jsonschema.Draft202012Validator(SCHEMAS[kind]).validate(doc)
    return doc


def kview(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_headless_copy_dry_run_then_copy(kafka, admin, client, unique_name):
    source, target = f"{unique_name}-a", f"{unique_name}-b"
    await create_topic(admin, client, source, 2)
    await create_topic(admin, client, target, 2)
    await produce(kafka, source, [(i % 2, None, b"v%d" % i, []) for i in range(20)])
    args = ("copy", source, target, "--bootstrap", kafka.bootstrap, "--filter", "v1", "--json")
    dry = await asyncio.to_thread(kview, *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    doc = validated("copy", dry.stdout)
    wanted = [f"v{i}" for i in range(20) if "v1" in f"v{i}"]
    assert doc["dry_run"] and doc["matched"] == len(wanted) and doc["sent"] == 0
    done = await asyncio.to_thread(kview, *args)
    assert done.returncode == 0, done.stderr
    assert validated("copy", done.stdout)["sent"] == len(wanted), done.stdout
    assert sorted(v for *_r, v in await console(kafka, target, len(wanted))) == sorted(wanted)
    refused = await asyncio.to_thread(kview, *args, "--read-only")
    assert refused.returncode == 1 and "read-only" in refused.stderr and refused.stdout == ""


async def test_headless_copy_to_another_profile(kafka, admin, client, unique_name, tmp_path):
    """--to-cluster writes through another profile's client (here a second
    profile of the same broker); a read-only target profile refuses."""
    source, target = f"{unique_name}-a", f"{unique_name}-b"
    await create_topic(admin, client, source, 1)
    await create_topic(admin, client, target, 1)
    await produce(kafka, source, [(0, b"k", b"v%d" % i, [("h", b"1")]) for i in range(5)])
    config = os.environ["KVIEW_CONFIG"]
    with open(config, "w") as out:
        out.write(
            f"clusters:\n  here:\n    bootstrap: {kafka.bootstrap}\n  there:\n    bootstrap: {kafka.bootstrap}\n"
            f"  locked:\n    bootstrap: {kafka.bootstrap}\n    read_only: true\n"
        )
    done = await asyncio.to_thread(
        kview, "copy", source, target, "--cluster", "here", "--to-cluster", "there", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert validated("copy", done.stdout)["sent"] == 5
    assert await console(kafka, target, 5) == await console(kafka, source, 5)
    refused = await asyncio.to_thread(kview, "copy", source, target, "--cluster", "here", "--to-cluster", "locked")
    assert refused.returncode == 1 and "read-only" in refused.stderr
    # Nothing more was written (the refused copy sent nothing): the fifth record is still the last.
    assert len(await console(kafka, target, 6)) == 5
