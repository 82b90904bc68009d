"""kview find on the real broker, compared with Kafka's own tools: keys
written by kafka-console-producer are found in the partition Kafka's
producer chose (read back with kafka-console-consumer, print.key=true, and
filtered by hand); a window's per-partition offsets equal kafka-get-offsets
(watermarks and --time); a window's records are all counted (with
transaction markers taking offsets and holding no record); compressed
batches; -n; and the headless command's answers and one-line errors."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time
import uuid

import jsonschema
import pytest
from aiokafka import AIOKafkaProducer
from kafka_tools import parse_get_offsets

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.filters import parse_filter
from kview.core.find.partitioner import partition_for_key
from kview.core.find.scan import Finder, FindQuery
from kview.core.find.window import Bound
from kview.headless.schema import SCHEMAS

pytestmark = pytest.mark.timeout(300)

FIELD, LINE = "<<F>>", "<<L>>"
KEYS = [f"user-{i}" for i in range(23)]
PARTITIONS = 5


def create_topic(kafka, name: str, partitions: int) -> None:
    kafka.run_tool("kafka-topics", "--create", "--topic", name, "--partitions", str(partitions))


def get_offsets(kafka, topic: str, when: int) -> dict[int, int]:
    out = kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", str(when)).stdout
    return {p: o for (t, p), o in parse_get_offsets(out).items() if t == topic}


def console(kafka, topic: str, *position: str, max_messages: int) -> list[tuple[int, int, str, str]]:
    """(partition, offset, key, value) as kafka-console-consumer prints them."""
    out = kafka.run_tool(
        "kafka-console-consumer",
        "--topic",
        topic,
        *position,
        "--max-messages",
        str(max_messages),
        "--timeout-ms",
        "8000",
        "--formatter-property",
        "print.key=true",
        "--formatter-property",
        "print.offset=true",
        "--formatter-property",
        "print.partition=true",
        "--formatter-property",
        f"key.separator={FIELD}",
        "--formatter-property",
        f"line.separator={LINE}",
        check=False,
        timeout=240,
    ).stdout
    rows = []
    for line in out.split(LINE)[:-1]:
        partition, offset, key, value = line.split(FIELD, 3)
        rows.append((int(partition.removeprefix("Partition:")), int(offset.removeprefix("Offset:")), key, value))
    return sorted(rows)


async def find(kafka, query: FindQuery):
    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    try:
        return await Finder(client, query).run()
    finally:
        await client.close()


@pytest.fixture(scope="module")
def keyed_topic(kafka):
    """Keyed records written by Kafka's console producer (its default partitioner)."""
    name = f"find-keys-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, name, PARTITIONS)
    lines = [f"{KEYS[i % len(KEYS)]}:event {i} of {KEYS[i % len(KEYS)]}" for i in range(230)]
    kafka.run_tool(
        "kafka-console-producer",
        "--topic",
        name,
        "--reader-property",
        "parse.key=true",
        "--reader-property",
        "key.separator=:",
        input="\n".join(lines) + "\n",
    )
    return name, lines


@pytest.fixture(scope="module")
def keyed_console(kafka, keyed_topic):
    name, lines = keyed_topic
    rows = console(kafka, name, "--from-beginning", max_messages=len(lines))
    assert len(rows) == len(lines)
    return rows


def test_every_key_is_where_kafkas_producer_put_it(keyed_console):
    placed = {(key, partition) for partition, _offset, key, _value in keyed_console}
    assert placed == {(key, partition_for_key(key.encode(), PARTITIONS)) for key in KEYS}


@pytest.mark.parametrize("key", ["user-7", "user-22"])
async def test_key_found_in_its_partition_matches_console_consumer(kafka, keyed_topic, key):
    name, _lines = keyed_topic
    result = await find(kafka, FindQuery(name, key=key.encode()))
    partition = partition_for_key(key.encode(), PARTITIONS)
    assert result.key_partition == partition
    assert [p.partition for p in result.partitions] == [partition]  # only the key's partition read
    assert result.complete
    # kafka-console-consumer on that partition with print.key=true, filtered by hand.
    rows = console(kafka, name, "--partition", str(partition), "--offset", "earliest", max_messages=1000)
    by_hand = [(offset, value) for _p, offset, k, value in rows if k == key]
    assert by_hand  # the key was written
    assert [(r.offset, r.value.decode()) for r in result.matches] == by_hand
    account = result.partitions[0]
    assert account.records == len(rows) == account.end - account.start


async def test_key_with_all_partitions_reads_every_partition(kafka, keyed_topic, keyed_console):
    name, _lines = keyed_topic
    result = await find(kafka, FindQuery(name, key=b"user-3", all_partitions=True))
    assert sorted(p.partition for p in result.partitions) == list(range(PARTITIONS))
    expected = [(p, o) for p, o, k, _v in keyed_console if k == "user-3"]
    assert [(r.partition, r.offset) for r in result.matches] == expected
    assert result.records == len(keyed_console)


async def test_filter_matches_and_n_stops_with_an_exact_account(kafka, keyed_topic, keyed_console):
    name, _lines = keyed_topic
    expected = [(p, o) for p, o, _k, v in keyed_console if "of user-1" in v]  # user-1, user-10..19
    thresholds = gc.get_threshold()
    result = await find(kafka, FindQuery(name, filter=parse_filter('"of user-1"')))
    assert result.needle == b"of user-1"
    assert [(r.partition, r.offset) for r in result.matches] == expected
    # The matches kept are out of the cycle collector's way, and its settings are back.
    assert not any(gc.is_tracked(r) for r in result.matches) and gc.get_threshold() == thresholds
    assert result.complete and result.records == len(keyed_console)

    limited = await find(kafka, FindQuery(name, filter=parse_filter('"of user-1"'), limit=3))
    assert len(limited.matches) == 3 and limited.limit_reached
    assert set((r.partition, r.offset) for r in limited.matches) <= set(expected)
    for account in limited.partitions:
        # No markers or compaction here: every offset read is one record.
        assert account.records == account.position - account.start
        assert account.matched == sum(1 for r in limited.matches if r.partition == account.partition)


async def test_matches_past_keep_are_counted_not_kept(kafka, keyed_topic, keyed_console):
    name, _lines = keyed_topic
    expected = [(p, o) for p, o, _k, v in keyed_console if "of user-1" in v]
    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    seen: list = []
    try:
        finder = Finder(client, FindQuery(name, filter=parse_filter('"of user-1"')), keep=3, on_match=seen.extend)
        result = await finder.run()
    finally:
        await client.close()
    assert result.complete and result.matched == len(expected) > 3 and not result.kept_all
    assert len(result.matches) == 3 and set((r.partition, r.offset) for r in result.matches) <= set(expected)
    # on_match (the dialog's table) is given only the kept ones.
    assert sorted((r.partition, r.offset) for r in seen) == [(r.partition, r.offset) for r in result.matches]
    assert sum(p.matched for p in result.partitions) == len(expected)  # the account counts them all


async def test_json_filter_decodes_every_record(kafka, keyed_topic, keyed_console):
    name, _lines = keyed_topic
    result = await find(kafka, FindQuery(name, filter=parse_filter("key:user-2 and not key:user-20")))
    assert result.needle is None  # not a plain substring: every record tested
    expected = [(p, o) for p, o, k, _v in keyed_console if "user-2" in k and "user-20" not in k]
    assert [(r.partition, r.offset) for r in result.matches] == expected


@pytest.fixture(scope="module")
def timed_topic(kafka):
    """3 partitions, 60 records each, timestamps a second apart (set by the producer)."""
    name = f"find-window-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, name, 3)
    # An hour ago: older timestamps would be deleted by retention (7 days) under the test.
    base = (int(time.time()) - 3600) * 1000

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, compression_type="gzip", linger_ms=20)
        await producer.start()
        try:
            futures = [
                await producer.send(
                    name,
                    value=f"record {i} {'odd' if i % 2 else 'even'}".encode(),
                    partition=i % 3,
                    timestamp_ms=base + i * 1000,
                )
                for i in range(180)
            ]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    asyncio.run(produce())
    return name, base


async def test_time_window_equals_kafka_get_offsets(kafka, timed_topic):
    name, base = timed_topic
    t1, t2 = base + 40_500, base + 130_000
    result = await find(kafka, FindQuery(name, start=Bound.time(t1), end=Bound.time(t2)))
    starts, ends = get_offsets(kafka, name, t1), get_offsets(kafka, name, t2)
    assert {p.partition: (p.start, p.end) for p in result.partitions} == {p: (starts[p], ends[p]) for p in starts}
    for account in result.partitions:
        assert account.complete
        assert account.records == account.end - account.start
    # Every record in the window is one whose timestamp is in [t1, t2).
    assert result.records == sum(1 for i in range(180) if t1 <= base + i * 1000 < t2)


async def test_whole_topic_window_equals_watermarks(kafka, timed_topic):
    name, _base = timed_topic
    result = await find(kafka, FindQuery(name, filter=parse_filter("odd")))
    low, high = get_offsets(kafka, name, -2), get_offsets(kafka, name, -1)
    assert {p.partition: (p.start, p.end, p.records) for p in result.partitions} == {
        p: (low[p], high[p], high[p] - low[p]) for p in low
    }
    # gzip batches: searched after decompression, same answer as reading each record.
    assert len(result.matches) == 90
    assert all(r.value.endswith(b"odd") for r in result.matches)


async def test_offset_window_and_a_time_past_the_end(kafka, timed_topic):
    name, base = timed_topic
    result = await find(kafka, FindQuery(name, start=Bound.offset(5), end=Bound.offset(20)))
    assert {(p.start, p.end, p.records) for p in result.partitions} == {(5, 20, 15)}
    late = await find(kafka, FindQuery(name, start=Bound.time(base + 7200_000)))  # an hour from now
    high = get_offsets(kafka, name, -1)
    assert {p.partition: (p.start, p.end) for p in late.partitions} == {p: (o, o) for p, o in high.items()}
    assert late.complete and late.records == 0 and not late.matches


async def test_transaction_markers_take_offsets_but_hold_no_record(kafka):
    name = f"find-txn-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, name, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=f"find-{name}")
    await producer.start()
    try:
        for n in range(3):
            async with producer.transaction():
                for i in range(4):
                    await producer.send_and_wait(name, value=f"txn {n} record {i}".encode(), partition=0)
    finally:
        await producer.stop()
    result = await find(kafka, FindQuery(name, filter=parse_filter("record")))
    account = result.partitions[0]
    assert account.end - account.start == 15  # 12 records and 3 commit markers
    assert account.records == 12 and len(result.matches) == 12 and account.complete
    rows = console(kafka, name, "--from-beginning", max_messages=12)
    assert [o for _p, o, _k, _v in rows] == [r.offset for r in result.matches]


# -- headless -----------------------------------------------------------------------------


def kview(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_headless_find_json_and_table(kafka, keyed_topic, keyed_console):
    name, _lines = keyed_topic
    result = kview("find", name, "--bootstrap", kafka.bootstrap, "--key", "user-5", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMAS["find"]).validate(doc)
    partition = partition_for_key(b"user-5", PARTITIONS)
    assert doc["key_partition"] == partition and doc["complete"]
    assert [(m["partition"], m["offset"]) for m in doc["matches"]] == [
        (p, o) for p, o, k, _v in keyed_console if k == "user-5"
    ]
    # --keep: the first match printed, all of them counted, in the document and the table.
    expected = [(p, o) for p, o, _k, v in keyed_console if "of user-1" in v]
    kept = kview("find", name, "--bootstrap", kafka.bootstrap, "--filter", '"of user-1"', "--keep", "1", "--json")
    doc = json.loads(kept.stdout)
    jsonschema.Draft202012Validator(SCHEMAS["find"]).validate(doc)
    assert (doc["matched"], doc["kept"], doc["complete"]) == (len(expected), 1, True)
    assert [(m["partition"], m["offset"]) for m in doc["matches"]] in [[e] for e in expected]
    assert sum(p["matched"] for p in doc["partitions"]) == len(expected)
    kept = kview("find", name, "--bootstrap", kafka.bootstrap, "--filter", '"of user-1"', "--keep", "1")
    assert f"{len(expected)} matches (the first 1 printed: --keep) for filter" in kept.stdout
    table = kview("find", name, "--bootstrap", kafka.bootstrap, "--filter", "no-such-text")
    assert table.returncode == 1  # nothing matched, and the account says the window was read
    assert "0 matches for filter 'no-such-text'; the whole window was read" in table.stdout
    assert len(table.stdout.splitlines()) == 2 + PARTITIONS


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("find", "no-such-topic-here"), 1, "topic 'no-such-topic-here' does not exist"),
        (("find", "TOPIC", "--from", "yesterdayish"), 2, "--from: 'yesterdayish'"),
        (("find", "TOPIC", "--filter", "(("), 2, "filter: '(' at column 2 is never closed"),
        (("find", "TOPIC", "--partition", "99"), 1, "has no partition 99"),
        (("find", "TOPIC", "--all-partitions"), 2, "--all-partitions goes with --key"),
    ],
)
def test_headless_bad_input_is_one_line(kafka, keyed_topic, args, code, says):
    name, _lines = keyed_topic
    result = kview(*(name if a == "TOPIC" else a for a in args), "--bootstrap", kafka.bootstrap)
    assert result.returncode == code
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kview: ") and says in lines[0], result.stderr


# -- decoded schema fields ------------------------------------------------------------------

PAYMENT = {
    "type": "record",
    "name": "Payment",
    "namespace": "kview.test",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "amount", "type": "double"},
        {"name": "currency", "type": "string"},
    ],
}


async def test_filter_on_fields_decoded_with_the_registry(kafka, registry):
    import io

    import fastavro
    from registry_tools import framed, register, unique

    from kview.core.config import RegistrySettings
    from kview.core.schemas.client import RegistryClient
    from kview.core.schemas.decoder import RecordDecoder

    name = f"find-avro-{uuid.uuid4().hex[:6]}"
    create_topic(kafka, name, 2)
    schema_id = register(registry.url, f"{name}-value", unique(PAYMENT, name))
    written = [{"id": i, "amount": 2.5 * (i % 17), "currency": ("EUR", "USD", "JPY")[i % 3]} for i in range(80)]

    def payload(value: dict) -> bytes:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, fastavro.parse_schema(PAYMENT), value)
        return framed(schema_id, out.getvalue())

    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        for value in written:
            await producer.send_and_wait(name, payload(value), partition=value["id"] % 2)
    finally:
        await producer.stop()

    registry_client = RegistryClient(RegistrySettings(urls=(registry.url,), timeout=5.0))
    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    try:

        async def ids(expression: str) -> list[int]:
            query = FindQuery(name, filter=parse_filter(expression))
            decoder = RecordDecoder(registry_client, wait=10.0)
            result = await Finder(client, query, decoder=decoder).run()
            assert result.complete and result.records == len(written)
            return sorted(json.loads(r.value)["id"] for r in result.matches)

        assert await ids('.currency == "JPY"') == [v["id"] for v in written if v["currency"] == "JPY"]
        # A substring of the decoded JSON: Avro writes the double as 8 bytes, so the
        # raw batches do not hold "37.5"; the scan must not search them for it.
        assert await ids("value:37.5") == [v["id"] for v in written if v["amount"] == 37.5]
        assert await ids("value:37.5")  # not vacuous
    finally:
        await client.close()
        await registry_client.close()
