"""The producer service against the real broker.

What the service sends is read back with Kafka's own tools
(kafka-console-consumer, kafka-get-offsets) and compared field by field.
The service's pure parts are tested without Kafka in tests/unit/test_produce.py."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import pytest

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.errors import ClusterUnavailable, KafkaRequestError, ReadOnlyError
from kview.core.importers import FileFormat, ImportFileError, ImportOptions
from kview.core.produce import (
    ComposedMessage,
    InvalidJSON,
    JobState,
    LoadProgress,
    LoadSpec,
    ProduceError,
    ProducerSettings,
    ProduceService,
    ValueFormat,
)
from kview.core.readonly import WRITE_ACTIONS
from kview.core.templates import TemplateError
from kview.local.cluster import free_port

# -- helpers: Kafka's own tools ---------------------------------------------------------


def create_topic(kafka, name: str, partitions: int = 1, *configs: str, replication: int = 1) -> None:
    args = ["--create", "--topic", name, "--partitions", str(partitions), "--replication-factor", str(replication)]
    for config in configs:
        args += ["--config", config]
    kafka.run_tool("kafka-topics", *args)


def end_offsets(kafka, topic: str) -> dict[int, int]:
    """Log-end offset per partition, as kafka-get-offsets prints them."""
    out = kafka.run_tool("kafka-get-offsets", "--topic", topic).stdout
    offsets = {}
    for line in out.splitlines():
        name, partition, offset = line.rsplit(":", 2)
        assert name == topic
        offsets[int(partition)] = int(offset)
    assert offsets, out
    return offsets


@dataclass(frozen=True)
class Consumed:
    partition: int
    offset: int
    headers: str
    key: str
    value: str


def consume(kafka, topic: str, count: int) -> list[Consumed]:
    """Every message of the topic, read by kafka-console-consumer from the beginning."""
    out = kafka.run_tool(
        "kafka-console-consumer",
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        str(count),
        "--timeout-ms",
        "30000",
        "--property",
        "print.key=true",
        "--property",
        "print.headers=true",
        "--property",
        "print.partition=true",
        "--property",
        "print.offset=true",
        timeout=120,
    ).stdout
    found = []
    for line in out.splitlines():
        if not line.startswith("Partition:"):
            continue  # the tool's own notices (deprecations) share stdout
        partition, offset, headers, key, value = line.split("\t", 4)
        found.append(
            Consumed(
                int(partition.removeprefix("Partition:")), int(offset.removeprefix("Offset:")), headers, key, value
            )
        )
    assert len(found) == count, out
    return found


def printed_headers(headers) -> str:
    """How the console consumer prints headers."""
    if not headers:
        return "NO_HEADERS"
    return ",".join(f"{name}:{'null' if value is None else value}" for name, value in headers)


@pytest.fixture
async def service(kafka):
    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    svc = ProduceService(client)
    yield svc
    await svc.close()
    await client.close()


# -- one message -------------------------------------------------------------------------


async def test_sent_messages_read_back_identically(kafka, service, unique_name):
    topic = unique_name
    create_topic(kafka, topic, 3)
    messages = [
        ComposedMessage(topic, "k1", "plain text", headers=(("trace", "abc"), ("n", "1")), partition=0),
        ComposedMessage(topic, "k2", '{"a": [1, 2], "b": "c"}', partition=1, value_format=ValueFormat.JSON),
        ComposedMessage(topic, None, "no key", partition=2),
        ComposedMessage(topic, "gone", None, partition=1),  # tombstone
        ComposedMessage(topic, "auto-key", "partitioner chooses"),
        ComposedMessage(topic, "ünï", "välue ✓", headers=(("h", "ä=b"),), partition=0),
        ComposedMessage(topic, "", "", partition=2),  # empty, not null
    ]
    before = time.time() * 1000
    results = [await service.send(m) for m in messages]
    after = time.time() * 1000

    for message, result in zip(messages, results, strict=True):
        assert result.topic == topic
        if message.partition is not None:
            assert result.partition == message.partition
        assert before - 1000 <= result.timestamp <= after + 1000
        assert result.timestamp_type == "CreateTime"

    consumed = {(c.partition, c.offset): c for c in consume(kafka, topic, len(messages))}
    assert set(consumed) == {(r.partition, r.offset) for r in results}
    for message, result in zip(messages, results, strict=True):
        got = consumed[(result.partition, result.offset)]
        assert got.key == ("null" if message.key is None else message.key)
        assert got.value == ("null" if message.value is None else message.value)
        assert got.headers == printed_headers(message.headers)
    # The tombstone arrives as null, the empty value as an empty string.
    tombstone = consumed[(results[3].partition, results[3].offset)]
    assert tombstone.value == "null" and tombstone.key == "gone"
    assert consumed[(2, results[6].offset)].value == ""

    assert len(service.history) == len(messages)
    assert service.history.reopen(0) == messages[-1]
    assert service.history.entries[-1].result == results[0]


async def test_resending_from_history(kafka, service, unique_name):
    create_topic(kafka, unique_name)
    first = await service.send(ComposedMessage(unique_name, "k", "again"))
    second = await service.send(service.history.reopen(0))
    assert (first.offset, second.offset) == (0, 1)
    assert end_offsets(kafka, unique_name) == {0: 2}


async def test_invalid_json_sends_nothing(kafka, service, unique_name):
    create_topic(kafka, unique_name)
    await service.send(ComposedMessage(unique_name, "k", '{"ok": true}', value_format=ValueFormat.JSON))
    with pytest.raises(InvalidJSON) as info:
        await service.send(ComposedMessage(unique_name, "k", '{"a": 1,\n  "b": }', value_format=ValueFormat.JSON))
    assert (info.value.line, info.value.column) == (2, 8)
    assert "line 2, column 8" in str(info.value)
    # The same text as plain text is fine: only the JSON format validates.
    assert end_offsets(kafka, unique_name) == {0: 1}


async def test_unknown_topic_fails_quickly_in_words(kafka, service, unique_name):
    started = time.monotonic()
    with pytest.raises(KafkaRequestError) as info:
        await service.send(ComposedMessage(f"{unique_name}-absent", "k", "v"))
    assert time.monotonic() - started < 5
    assert info.value.name == "UnknownTopicOrPartition"
    assert f"topic '{unique_name}-absent'" in str(info.value) and "does not exist" in str(info.value)
    started = time.monotonic()
    with pytest.raises(KafkaRequestError, match="does not exist"):
        await service.start_load(LoadSpec(f"{unique_name}-absent", value="v", count=10))
    assert time.monotonic() - started < 5


async def test_partition_out_of_range_sends_nothing(kafka, service, unique_name):
    create_topic(kafka, unique_name, 2)
    with pytest.raises(ProduceError, match=r"has 2 partition\(s\) \(0-1\); there is no partition 2"):
        await service.send(ComposedMessage(unique_name, "k", "v", partition=2))
    assert end_offsets(kafka, unique_name) == {0: 0, 1: 0}


async def test_message_larger_than_max_message_bytes(kafka, service, unique_name):
    create_topic(kafka, unique_name, 1, "max.message.bytes=1000")
    with pytest.raises(KafkaRequestError) as info:
        await service.send(ComposedMessage(unique_name, "k", "x" * 2000))
    assert info.value.name == "MessageSizeTooLarge"
    assert "max.message.bytes=1000" in str(info.value)
    assert "Traceback" not in str(info.value)
    # The producer is still usable afterwards.
    small = await service.send(ComposedMessage(unique_name, "k", "x" * 100))
    assert small.offset == 0
    assert end_offsets(kafka, unique_name) == {0: 1}


async def test_settings_acks_idempotence_and_compression(kafka, service, unique_name):
    create_topic(kafka, unique_name)
    with pytest.raises(ProduceError, match="idempotence needs acks=all"):
        await service.send(ComposedMessage(unique_name, "k", "v"), ProducerSettings(acks="1", idempotence=True))
    sent = []
    for compression in ("none", "gzip", "snappy", "lz4", "zstd"):
        settings = ProducerSettings(compression=compression, linger_ms=0, batch_size=1024)
        result = await service.send(
            ComposedMessage(unique_name, compression, f"compressed with {compression}"), settings
        )
        sent.append((compression, result))
    one = await service.send(ComposedMessage(unique_name, "acks1", "v"), ProducerSettings(acks="1", idempotence=False))
    assert one.offset == 5
    zero = await service.send(ComposedMessage(unique_name, "acks0", "v"), ProducerSettings(acks="0", idempotence=False))
    assert zero.offset is None and zero.timestamp is None  # no acknowledgement with acks=0
    consumed = consume(kafka, unique_name, 7)
    for compression, result in sent:
        assert consumed[result.offset].key == compression
        assert consumed[result.offset].value == f"compressed with {compression}"
    assert consumed[6].key == "acks0"


async def test_read_only_profile_refuses_every_sending_method(kafka, unique_name, tmp_path):
    create_topic(kafka, unique_name)
    client = ClusterClient(adhoc_profile(kafka.bootstrap, read_only=True))
    svc = ProduceService(client)
    path = tmp_path / "one.jsonl"
    path.write_text('{"value": "v"}\n')
    try:
        calls = [
            svc.send(ComposedMessage(unique_name, "k", "v")),
            svc.start_load(LoadSpec(unique_name, value="v", count=1)),
            svc.run_load(LoadSpec(unique_name, value="v", count=1)),
            svc.start_import(path, unique_name),
            svc.import_file(path, unique_name),
        ]
        for call in calls:
            with pytest.raises(ReadOnlyError, match="'produce' is not allowed"):
                await call
    finally:
        await svc.close()
        await client.close()
    assert "produce" in WRITE_ACTIONS
    assert end_offsets(kafka, unique_name) == {0: 0}


async def test_unreachable_broker_is_cluster_unavailable():
    address = f"127.0.0.1:{free_port()}"
    client = ClusterClient(adhoc_profile(address))
    svc = ProduceService(client)
    started = time.monotonic()
    try:
        with pytest.raises(ClusterUnavailable) as info:
            await svc.send(ComposedMessage("any", "k", "v"))
        assert address in str(info.value) and "Traceback" not in str(info.value)
    finally:
        await svc.close()
        await client.close()
    assert time.monotonic() - started < 30


# -- templated load ------------------------------------------------------------------------


async def test_templated_load_100k_full_speed_counts_match_watermarks(kafka, service, unique_name):
    create_topic(kafka, unique_name, 3)
    snapshots: list[LoadProgress] = []
    spec = LoadSpec(
        unique_name,
        key="k-{{i}}",
        value='{"i": {{i}}, "id": "{{uuid}}", "at": "{{now}}"}',
        headers=(("src", "kview"), ("n", "{{i}}")),
        count=100_000,
        value_format=ValueFormat.JSON,
    )
    progress = await service.run_load(spec, on_progress=snapshots.append)
    assert progress.state is JobState.DONE, progress.error
    assert (progress.sent, progress.acked, progress.failed) == (100_000, 100_000, 0)
    offsets = end_offsets(kafka, unique_name)
    assert sum(offsets.values()) == 100_000
    assert all(count > 0 for count in offsets.values())  # keyed messages spread over all partitions
    acked = [s.acked for s in snapshots]
    assert acked == sorted(acked) and snapshots[-1] == progress
    assert progress.fraction == 1.0


async def test_rate_limited_load_is_within_five_percent(kafka, service, unique_name):
    create_topic(kafka, unique_name)
    progress = await service.run_load(LoadSpec(unique_name, key="k{{i}}", value="v{{i}}", duration=5, rate=2000))
    assert progress.state is JobState.DONE, progress.error
    assert progress.failed == 0
    assert abs(progress.acked - 10_000) <= 500
    assert abs(progress.rate - 2000) <= 100, progress
    assert end_offsets(kafka, unique_name) == {0: progress.acked}


async def test_count_limited_load_at_a_rate_sends_exactly_count(kafka, service, unique_name):
    create_topic(kafka, unique_name)
    started = time.monotonic()
    progress = await service.run_load(LoadSpec(unique_name, value="{{i}}", count=1500, rate=1000))
    elapsed = time.monotonic() - started
    assert progress.acked == 1500
    assert 1.3 <= elapsed < 4  # 1,500 at 1,000/s: the limiter, not full speed
    assert end_offsets(kafka, unique_name) == {0: 1500}


async def test_cancel_method_leaves_counts_consistent(kafka, service, unique_name):
    create_topic(kafka, unique_name, 2)
    job = await service.start_load(LoadSpec(unique_name, key="{{i}}", value="x", count=10**8))
    await asyncio.sleep(1.5)
    assert service.jobs == (job,)
    running = job.progress()
    assert running.state is JobState.RUNNING and running.sent > 0
    job.cancel()
    progress = await job.wait()
    assert progress.state is JobState.CANCELLED
    assert progress.sent == progress.acked + progress.failed
    assert progress.failed == 0 and 0 < progress.acked < 10**8
    assert sum(end_offsets(kafka, unique_name).values()) == progress.acked
    assert service.jobs == ()


async def test_asyncio_cancellation_leaves_counts_consistent(kafka, service, unique_name):
    create_topic(kafka, unique_name)
    snapshots: list[LoadProgress] = []
    task = asyncio.create_task(
        service.run_load(LoadSpec(unique_name, value="{{uuid}}", count=10**8), on_progress=snapshots.append)
    )
    await asyncio.sleep(1.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    final = snapshots[-1]
    assert final.state is JobState.CANCELLED
    assert final.sent == final.acked + final.failed and final.acked > 0
    assert end_offsets(kafka, unique_name) == {0: final.acked}


async def test_malformed_template_sends_nothing(kafka, service, unique_name):
    create_topic(kafka, unique_name)
    with pytest.raises(TemplateError) as info:
        await service.run_load(LoadSpec(unique_name, key="k{{i}}", value='{"a": {{rand_int 5}}}', count=10))
    assert info.value.field == "value" and info.value.column == 9
    with pytest.raises(InvalidJSON, match="first rendered value"):
        await service.run_load(LoadSpec(unique_name, value='{"a": {{i}}', count=10, value_format=ValueFormat.JSON))
    with pytest.raises(ProduceError, match="give a message count or a duration"):
        await service.run_load(LoadSpec(unique_name, value="v"))
    assert end_offsets(kafka, unique_name) == {0: 0}


# -- file import ----------------------------------------------------------------------------


async def test_import_jsonl_matches_topic_content(kafka, service, unique_name, tmp_path):
    create_topic(kafka, unique_name, 3)
    rows = [
        {"key": "a", "value": "text value", "headers": {"h1": "x", "h2": "y"}, "partition": 0},
        {"key": "b", "value": {"nested": [1, 2, {"c": None}]}, "partition": 1},
        {"key": "c", "value": 3.5, "headers": [["dup", "1"], ["dup", "2"]], "partition": 2},
        {"key": "d", "value": None, "partition": 0},
        {"value": "no key", "partition": 1},
        {"key": 7, "value": True, "partition": 2},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    progress_seen: list[LoadProgress] = []
    progress = await service.import_file(path, unique_name, on_progress=progress_seen.append)
    assert progress.state is JobState.DONE, progress.error
    assert (progress.total, progress.acked, progress.failed) == (6, 6, 0)

    consumed = consume(kafka, unique_name, len(rows))
    by_partition: dict[int, list[Consumed]] = {}
    for c in sorted(consumed, key=lambda c: (c.partition, c.offset)):
        by_partition.setdefault(c.partition, []).append(c)

    def as_text(value) -> str:
        if value is None:
            return "null"
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    expected: dict[int, list[tuple[str, str, str]]] = {}
    for row in rows:
        headers = row.get("headers", {})
        pairs = list(headers.items()) if isinstance(headers, dict) else [tuple(p) for p in headers]
        expected.setdefault(row["partition"], []).append(
            (printed_headers(pairs), as_text(row.get("key")), as_text(row["value"]))
        )
    assert {p: [(c.headers, c.key, c.value) for c in cs] for p, cs in by_partition.items()} == expected
    assert by_partition[1][0].value == '{"nested":[1,2,{"c":null}]}'


async def test_import_console_format_matches_topic_content(kafka, service, unique_name, tmp_path):
    create_topic(kafka, unique_name)
    tab_file = tmp_path / "tab.txt"
    tab_file.write_text("k1\tv1\nk2\tvalue with: colon\nk3\t\n")
    colon_file = tmp_path / "colon.txt"
    colon_file.write_text('user-1:{"a": "b:c"}\r\nNULL:keyless\nuser-2:NULL\n')
    first = await service.import_file(tab_file, unique_name, ImportOptions(format=FileFormat.CONSOLE))
    second = await service.import_file(
        colon_file,
        unique_name,
        ImportOptions(format=FileFormat.CONSOLE, key_separator=":", null_marker="NULL"),
    )
    assert (first.acked, second.acked) == (3, 3)
    consumed = consume(kafka, unique_name, 6)
    assert [(c.key, c.value) for c in consumed] == [
        ("k1", "v1"),
        ("k2", "value with: colon"),
        ("k3", ""),
        ("user-1", '{"a": "b:c"}'),
        ("null", "keyless"),
        ("user-2", "null"),
    ]
    assert end_offsets(kafka, unique_name) == {0: 6}


async def test_bad_import_file_sends_nothing_and_names_the_lines(kafka, service, unique_name, tmp_path):
    create_topic(kafka, unique_name, 2)
    path = tmp_path / "bad.jsonl"
    lines = [f'{{"key": "k{n}", "value": "v"}}' for n in range(1, 11)]
    lines[2] = '{"key": "k3", "value": }'
    lines[6] = '{"key": "k7"}'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportFileError) as info:
        await service.import_file(path, unique_name)
    message = str(info.value)
    assert "2 bad line(s), nothing sent" in message
    assert "line 3: invalid JSON" in message and "line 7: missing field 'value'" in message
    assert [p.line for p in info.value.problems] == [3, 7]

    out_of_range = tmp_path / "partition.jsonl"
    out_of_range.write_text('{"value": "a", "partition": 0}\n{"value": "b", "partition": 5}\n')
    with pytest.raises(ImportFileError, match="partition 5"):
        await service.import_file(out_of_range, unique_name)
    assert end_offsets(kafka, unique_name) == {0: 0, 1: 0}


async def test_import_with_partition_override_and_rate(kafka, service, unique_name, tmp_path):
    create_topic(kafka, unique_name, 3)
    path = tmp_path / "many.txt"
    path.write_text("".join(f"key-{n}:value-{n}\n" for n in range(600)))
    started = time.monotonic()
    progress = await service.import_file(
        path,
        unique_name,
        ImportOptions(format=FileFormat.CONSOLE, key_separator=":"),
        partition=2,
        rate=1000,
    )
    assert progress.acked == 600 and progress.total == 600
    assert time.monotonic() - started >= 0.5
    assert end_offsets(kafka, unique_name) == {0: 0, 1: 0, 2: 600}


# -- not enough replicas (three brokers) ---------------------------------------------------


@pytest.mark.kafka3
async def test_not_enough_replicas_in_words(kafka3, unique_name):
    topic = unique_name
    create_topic(kafka3, topic, 1, "min.insync.replicas=3", replication=3)
    client = ClusterClient(adhoc_profile(kafka3.bootstrap))
    svc = ProduceService(client, ack_timeout=4)
    try:
        await svc.send(ComposedMessage(topic, "k", "all replicas in sync"))
        metadata = await client.metadata([topic])
        victim = next(
            r for r in metadata.topic(topic).partitions[0].replicas if r != metadata.topic(topic).partitions[0].leader
        )
        kafka3.stop_broker(victim)
        try:
            deadline = time.monotonic() + 60
            while len((await client.metadata([topic])).topic(topic).partitions[0].isr) == 3:
                assert time.monotonic() < deadline, "ISR did not shrink"
                await asyncio.sleep(0.5)
            started = time.monotonic()
            with pytest.raises(KafkaRequestError) as info:
                await svc.send(ComposedMessage(topic, "k", "one replica short"), timeout=5)
            assert time.monotonic() - started < 15
            assert info.value.name == "NotEnoughReplicas"
            assert "2 in-sync replica(s) but min.insync.replicas is 3" in str(info.value)
            # A load stalls the same way: it stops with the same words and settled counts.
            progress = await svc.run_load(LoadSpec(topic, key="{{i}}", value="v", count=100), window=10)
            assert progress.state is JobState.FAILED
            assert "NotEnoughReplicas" in progress.error and "min.insync.replicas is 3" in progress.error
            assert progress.acked == 0 and progress.sent == progress.failed >= 10
            # acks=1 does not wait for the replicas: it goes through.
            result = await svc.send(
                ComposedMessage(topic, "k", "acks=1"), ProducerSettings(acks="1", idempotence=False)
            )
            assert result.offset is not None
        finally:
            kafka3.start_broker(victim)
    finally:
        await svc.close()
        await client.close()
