"""The headless commands on a real broker, run as a user runs them
(``python -m kview.cli COMMAND --bootstrap ... --json`` in a subprocess), and
compared with what Kafka's own tools print: ``kafka-topics --describe`` and
``kafka-get-offsets`` for ``kview topic``, ``kafka-consumer-groups --describe``
for ``kview group`` and ``kview lag``, ``kafka-console-consumer`` for ``kview
tail`` and for reading back what ``kview produce`` wrote.  Every JSON document
is validated against kview.headless.schema.

The conftest points KVIEW_CONFIG at an absent temp file, so only --bootstrap
counts.  Kafka's tools and kview run in threads while a test keeps consumers
alive, so their heartbeats go on."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time

import jsonschema
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic, RecordsToDelete
from aiokafka.structs import TopicPartition
from kafka_tools import parse_api_versions_brokers, parse_get_offsets, parse_quorum_status, parse_topics_describe

from kview.headless.schema import SCHEMAS
from kview.local.cluster import free_port

pytestmark = pytest.mark.timeout(300)

FIELD, LINE, NULL, HEADER = "<<F>>", "<<L>>", "<<NULL>>", "<<H>>"


# -- running kview ---------------------------------------------------------------------


def kview(*args: str, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def validated(kind: str, text: str) -> dict:
    doc = json.loads(text)
    jsonschema.Draft202012Validator(SCHEMAS[kind]).validate(doc)
    return doc


def kview_json(kafka, command: str, *args: str, code: int = 0) -> dict:
    """One JSON document from ``kview COMMAND ... --json``, checked against its schema."""
    result = kview(command, *args, "--bootstrap", kafka.bootstrap, "--json")
    assert result.returncode == code, result.stderr
    assert result.stderr == ""
    return validated(command, result.stdout)


def kview_lines(kafka, command: str, *args: str, input: str | None = None) -> list[dict]:
    """JSONL from ``kview tail``/``produce``, every line checked against its schema."""
    result = kview(command, *args, "--bootstrap", kafka.bootstrap, "--json", input=input)
    assert result.returncode == 0, result.stderr
    return [validated(command, line) for line in result.stdout.splitlines()]


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


# -- Kafka's tools ---------------------------------------------------------------------


async def tool(kafka, name: str, *args: str) -> str:
    return (await asyncio.to_thread(kafka.run_tool, name, *args)).stdout


async def get_offsets(kafka, topic: str, when: int) -> dict[int, int]:
    out = await tool(kafka, "kafka-get-offsets", "--topic", topic, "--time", str(when))
    return {p: o for (t, p), o in parse_get_offsets(out).items() if t == topic}


def parse_group_describe(stdout: str) -> list[dict[str, str]]:
    """Rows of ``kafka-consumer-groups --describe``: the header names the
    columns; data rows split on whitespace (ids and hosts hold no spaces)."""
    rows, header = [], None
    for line in stdout.splitlines():
        fields = line.split()
        if fields[:2] == ["GROUP", "TOPIC"]:
            header = fields
        elif header and len(fields) == len(header):
            rows.append(dict(zip(header, fields, strict=False)))
    return rows


async def console(kafka, topic: str, *position: str, max_messages: int) -> list[tuple]:
    """(partition, offset, headers text, key, value) as kafka-console-consumer prints them."""
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
        "10000",
        "--formatter-property",
        "print.key=true",
        "--formatter-property",
        "print.offset=true",
        "--formatter-property",
        "print.partition=true",
        "--formatter-property",
        "print.headers=true",
        "--formatter-property",
        f"key.separator={FIELD}",
        "--formatter-property",
        f"line.separator={LINE}",
        "--formatter-property",
        f"headers.separator={HEADER}",
        "--formatter-property",
        f"null.literal={NULL}",
    )
    result = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=120)
    rows = []
    for line in result.stdout.split(LINE)[:-1]:
        partition, offset, headers, key, value = line.split(FIELD, 4)
        rows.append(
            (
                int(partition.removeprefix("Partition:")),
                int(offset.removeprefix("Offset:")),
                headers,
                None if key == NULL else key,
                None if value == NULL else value,
            )
        )
    return rows


def headers_text(headers: list[dict]) -> str:
    """kview's JSON headers in the console consumer's shape."""
    if not headers:
        return "NO_HEADERS"
    return HEADER.join(f"{h['key']}:{NULL if h['value'] is None else h['value']}" for h in headers)


# -- setting up ------------------------------------------------------------------------


@pytest.fixture
async def admin(kafka):
    client = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await client.start()
    yield client
    await client.close()


async def create_topic(admin, name: str, partitions: int, configs: dict[str, str] | None = None) -> None:
    await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])
    deadline = time.monotonic() + 30
    while True:
        described = await admin.describe_topics([name])
        parts = described[0]["partitions"] if described and not described[0]["error_code"] else []
        if len(parts) == partitions and all(p["leader"] >= 0 for p in parts):
            return
        assert time.monotonic() < deadline, f"topic {name} never got leaders"
        await asyncio.sleep(0.2)


async def produce(
    kafka, topic: str, per_partition: dict[int, int], *, timestamp_ms: int | None = None, headers: bool = False
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = []
        for partition, count in per_partition.items():
            for i in range(count):
                futures.append(
                    await producer.send(
                        topic,
                        f'{{"p":{partition},"i":{i}}}'.encode(),
                        key=None if i % 4 == 3 else f"k{i}".encode(),
                        partition=partition,
                        timestamp_ms=timestamp_ms,
                        headers=[("trace", f"t{i}".encode())] if headers and i % 2 else [],
                    )
                )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def commit(kafka, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Offsets committed by a consumer that then leaves: an Empty group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


# -- brokers, topics, topic ----------------------------------------------------------------


async def test_brokers_match_kafka_tools(kafka):
    doc = await asyncio.to_thread(kview_json, kafka, "brokers")
    api = parse_api_versions_brokers(await tool(kafka, "kafka-broker-api-versions"))
    quorum = parse_quorum_status(await tool(kafka, "kafka-metadata-quorum", "describe", "--status"))
    assert {b["id"]: (f"{b['host']}:{b['port']}", b["rack"]) for b in doc["brokers"]} == api
    assert doc["controller_id"] == int(quorum["LeaderId"]) == doc["quorum"]["leader_id"]
    assert doc["cluster_id"] == quorum["ClusterId"]
    assert [b["id"] for b in doc["brokers"] if b["controller"]] == [int(quorum["LeaderId"])]
    assert all(b["online"] and b["log_dir_bytes"] is not None for b in doc["brokers"])


async def test_topic_matches_kafka_topics_and_get_offsets(kafka, admin, unique_name):
    topic = unique_name
    await create_topic(admin, topic, 3, {"retention.ms": "86400000", "cleanup.policy": "delete"})
    await produce(kafka, topic, {0: 7, 1: 3, 2: 12})
    await admin.delete_records({TopicPartition(topic, 2): RecordsToDelete(5)}, timeout_ms=10_000)

    doc = await asyncio.to_thread(kview_json, kafka, "topic", topic)
    described = await tool(kafka, "kafka-topics", "--describe", "--topic", topic)
    ends, starts = await get_offsets(kafka, topic, -1), await get_offsets(kafka, topic, -2)

    tool_rows = parse_topics_describe(described)
    assert doc["name"] == topic and doc["partition_count"] == len(tool_rows) == 3
    for p in doc["partitions"]:
        row = tool_rows[(topic, p["partition"])]
        assert (p["leader"], tuple(p["replicas"]), tuple(p["isr"])) == (row.leader, row.replicas, row.isr)
        assert p["log_end_offset"] == ends[p["partition"]]
        assert p["log_start_offset"] == starts[p["partition"]]
        assert p["messages"] == ends[p["partition"]] - starts[p["partition"]]
        assert p["size_bytes"] > 0
    assert starts[2] == 5  # the deleted records really moved the log start
    assert doc["messages"] == sum(ends.values()) - sum(starts.values())
    # kafka-topics lists every config not at its default on its first line.
    tool_configs = dict(re.findall(r"([\w.]+)=([^,\s]+)", re.search(r"Configs:\s*(.*)", described).group(1)))
    assert {c["name"]: c["value"] for c in doc["configs"] if not c["default"]} == tool_configs
    overrides = {c["name"]: c["value"] for c in doc["configs"] if c["source"] == "DYNAMIC_TOPIC_CONFIG"}
    assert overrides == {"retention.ms": "86400000", "cleanup.policy": "delete"}

    # The topics table says the same of it.
    listed = await asyncio.to_thread(kview_json, kafka, "topics", topic)
    row = next(t for t in listed["topics"] if t["name"] == topic)
    assert (row["partitions"], row["messages"]) == (3, doc["messages"])
    assert all(t["name"].startswith(topic) for t in listed["topics"])


async def test_topics_table_and_watch(kafka, admin, unique_name):
    await create_topic(admin, unique_name, 2)
    await produce(kafka, unique_name, {0: 4, 1: 1})
    table = await asyncio.to_thread(kview, "topics", unique_name, "--bootstrap", kafka.bootstrap)
    assert table.returncode == 0 and "\x1b" not in table.stdout
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["TOPIC", "PARTITIONS", "RF", "MESSAGES"]
    assert lines[1].split()[:4] == [unique_name, "2", "1", "5"]
    # --watch prints one compact document per refresh; the second has a rate.
    watched = await asyncio.to_thread(
        kview, "topics", unique_name, "--bootstrap", kafka.bootstrap, "--json", "--watch", "0.5", "--count", "2"
    )
    assert watched.returncode == 0, watched.stderr
    docs = [validated("topics", line) for line in watched.stdout.splitlines()]
    assert len(docs) == 2 and docs[1]["taken_at"] > docs[0]["taken_at"]
    assert docs[0]["topics"][0]["rate"] is None and docs[1]["topics"][0]["rate"] == 0.0


# -- groups and lag ---------------------------------------------------------------------


async def test_group_matches_kafka_consumer_groups(kafka, admin, unique_name):
    topic, group = f"{unique_name}-t", f"{unique_name}-g"
    await create_topic(admin, topic, 3)
    written = int(time.time() * 1000) - 90_000  # every record written "90 s ago"
    await produce(kafka, topic, {0: 10, 1: 6, 2: 8}, timestamp_ms=written)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka.bootstrap, group_id=group, client_id="kview-headless", enable_auto_commit=False
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 60
        while len(consumer.assignment()) < 3:
            assert time.monotonic() < deadline, "the consumer never got its partitions"
            await consumer.getmany(timeout_ms=200)
        # Partition 0 behind, 1 caught up, 2 never committed (the tool's '-').
        await consumer.commit({TopicPartition(topic, 0): 4, TopicPartition(topic, 1): 6})
        # The member stays alive (aiokafka heartbeats in the background) while
        # kview and the tool run in threads.
        doc = await asyncio.to_thread(kview_json, kafka, "group", group)
        stdout = await tool(kafka, "kafka-consumer-groups", "--describe", "--group", group)
    finally:
        await consumer.stop()

    tool_rows = {(r["TOPIC"], int(r["PARTITION"])): r for r in parse_group_describe(stdout)}
    assert len(tool_rows) == len(doc["partitions"]) == 3

    def dash(value):
        return "-" if value is None else str(value)

    for row in doc["partitions"]:
        expected = tool_rows[(row["topic"], row["partition"])]
        assert (
            dash(row["committed_offset"]),
            dash(row["log_end_offset"]),
            dash(row["lag"]),
            dash(row["consumer_id"]),
            dash(row["host"]),
            dash(row["client_id"]),
        ) == (
            expected["CURRENT-OFFSET"],
            expected["LOG-END-OFFSET"],
            expected["LAG"],
            expected["CONSUMER-ID"],
            expected["HOST"],
            expected["CLIENT-ID"],
        )
    assert doc["total_lag"] == sum(int(r["LAG"]) for r in tool_rows.values() if r["LAG"] != "-") == 6
    assert doc["member_count"] == 1 and doc["state"] == "Stable" and doc["snapshots"] == 1
    # Exact time lag: read from the record at the committed offset, written 90 s ago.
    behind = next(r for r in doc["partitions"] if r["partition"] == 0)
    assert behind["time_lag"]["exact"] and 90 <= behind["time_lag"]["seconds"] < 150
    caught_up = next(r for r in doc["partitions"] if r["partition"] == 1)
    assert caught_up["time_lag"] == {"seconds": 0.0, "exact": True, "at_least": False}


async def test_groups_list(kafka, admin, unique_name):
    topic = f"{unique_name}-t"
    await create_topic(admin, topic, 2)
    await produce(kafka, topic, {0: 5, 1: 5})
    await commit(kafka, f"{unique_name}-a", {TopicPartition(topic, 0): 5, TopicPartition(topic, 1): 2})
    await commit(kafka, f"{unique_name}-b", {TopicPartition(topic, 0): 5, TopicPartition(topic, 1): 5})
    doc = await asyncio.to_thread(kview_json, kafka, "groups", f"{unique_name}-*")
    described = parse_group_describe(await tool(kafka, "kafka-consumer-groups", "--describe", "--all-groups"))
    assert [g["name"] for g in doc["groups"]] == [f"{unique_name}-a", f"{unique_name}-b"]
    for g in doc["groups"]:
        rows = [r for r in described if r["GROUP"] == g["name"]]
        assert g["total_lag"] == sum(int(r["LAG"]) for r in rows)
        assert g["partition_count"] == len(rows) and g["state"] == "Empty" and g["status"] == "EMPTY"
    assert doc["groups"][0]["total_lag"] == 3


async def test_lag_exit_codes(kafka, admin, unique_name):
    topic, group, idle = f"{unique_name}-t", f"{unique_name}-g", f"{unique_name}-idle"
    await create_topic(admin, topic, 2)
    await produce(kafka, topic, {0: 10, 1: 10})
    await commit(kafka, group, {TopicPartition(topic, 0): 4, TopicPartition(topic, 1): 9})
    await commit(kafka, idle, {TopicPartition(topic, 0): 10, TopicPartition(topic, 1): 10})
    rows = parse_group_describe(await tool(kafka, "kafka-consumer-groups", "--describe", "--group", group))
    lag = sum(int(r["LAG"]) for r in rows)
    assert lag == 7

    # Behind: exit 1, and the document names the group and its lagging partitions.
    doc = await asyncio.to_thread(kview_json, kafka, "lag", "--group", group, code=1)
    assert doc["matched"] == 1 and doc["groups"][0]["total_lag"] == lag
    assert {(r["partition"], r["lag"]) for r in doc["groups"][0]["partitions"]} == {
        (int(r["PARTITION"]), int(r["LAG"])) for r in rows if int(r["LAG"]) > 0
    }
    # --min-lag above the lag: nothing matches, exit 0; at the lag: exit 1.
    above = await asyncio.to_thread(kview_json, kafka, "lag", "--group", group, "--min-lag", str(lag + 1))
    assert above["matched"] == 0 and above["groups"] == []
    await asyncio.to_thread(kview_json, kafka, "lag", "--group", group, "--min-lag", str(lag), code=1)
    # A caught-up group is not behind.
    await asyncio.to_thread(kview_json, kafka, "lag", "--group", idle)
    # The table form has the same exit code.
    table = await asyncio.to_thread(kview, "lag", "--group", group, "--bootstrap", kafka.bootstrap)
    assert table.returncode == 1 and table.stdout.splitlines()[1].split()[:6] == [
        group,
        "classic",
        "EMPTY",
        "Empty",
        "0",
        "7",
    ]
    # One snapshot cannot tell STOP; watching longer than the window can.
    await asyncio.to_thread(kview_json, kafka, "lag", "--group", group, "--status", "STOP")
    stopped = await asyncio.to_thread(
        kview_json, kafka, "lag", "--group", group, "--status", "STOP", "--window", "2", code=1
    )
    assert stopped["groups"][0]["status"] == "STOP" and stopped["snapshots"] >= 3
    # --exact reads the records for the time lag; the match is unchanged.
    exact = await asyncio.to_thread(kview_json, kafka, "lag", "--group", group, "--exact", code=1)
    assert all(r["time_lag"]["exact"] for r in exact["groups"][0]["partitions"])


# -- tail ---------------------------------------------------------------------------------


async def test_tail_matches_console_consumer(kafka, admin, unique_name):
    topic = unique_name
    await create_topic(admin, topic, 3)
    await produce(kafka, topic, {0: 9, 1: 4, 2: 7}, headers=True)
    total = 20

    records = await asyncio.to_thread(kview_lines, kafka, "tail", topic)
    expected = await console(kafka, topic, "--from-beginning", max_messages=total)
    assert len(records) == len(expected) == total
    for partition in range(3):
        ours = [
            (r["partition"], r["offset"], headers_text(r["headers"]), r["key"], r["value"])
            for r in records
            if r["partition"] == partition
        ]
        theirs = [row for row in expected if row[0] == partition]
        assert ours == theirs  # same records, same order per partition

    # -n with a partition and an offset: exactly the console consumer's records.
    some = await asyncio.to_thread(kview_lines, kafka, "tail", topic, "--partition", "2", "--from", "3", "-n", "3")
    theirs = await console(kafka, topic, "--partition", "2", "--offset", "3", max_messages=3)
    assert [(r["partition"], r["offset"], r["key"], r["value"]) for r in some] == [
        (p, o, k, v) for p, o, _h, k, v in theirs
    ] and len(some) == 3

    # The filter language of the tail pane: JSON predicates on the value.
    filtered = await asyncio.to_thread(kview_lines, kafka, "tail", topic, "--filter", ".i >= 5 and .p == 0")
    assert [r["offset"] for r in filtered] == [5, 6, 7, 8]

    # Lines: one per record, the key and the value as the tail pane shows them.
    lines = await asyncio.to_thread(kview, "tail", topic, "-p", "1", "--bootstrap", kafka.bootstrap)
    assert lines.returncode == 0
    assert [line.split()[:2] + line.split()[3:] for line in lines.stdout.splitlines()] == [
        ["1", "0", "k0", '{"p":1,"i":0}'],
        ["1", "1", "k1", '{"p":1,"i":1}'],
        ["1", "2", "k2", '{"p":1,"i":2}'],
        ["1", "3", "<null>", '{"p":1,"i":3}'],
    ]


async def test_tail_single_partition_n_matches_max_messages(kafka, admin, unique_name):
    await create_topic(admin, unique_name, 1)
    await produce(kafka, unique_name, {0: 15})
    ours = await asyncio.to_thread(kview_lines, kafka, "tail", unique_name, "-n", "7")
    theirs = await console(kafka, unique_name, "--from-beginning", max_messages=7)
    assert [(r["offset"], r["key"], r["value"]) for r in ours] == [(o, k, v) for _p, o, _h, k, v in theirs]
    assert len(ours) == 7


async def test_tail_follow_prints_new_records(kafka, admin, unique_name):
    await create_topic(admin, unique_name, 1)
    await produce(kafka, unique_name, {0: 3})  # before the start: --follow starts after them
    process = await asyncio.to_thread(
        subprocess.Popen,
        [
            sys.executable,
            "-m",
            "kview.cli",
            "tail",
            unique_name,
            "--follow",
            "-n",
            "2",
            "--json",
            "--bootstrap",
            kafka.bootstrap,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        # One record every half second until -n 2 ends it (however long it took to start).
        for _ in range(120):
            if process.poll() is not None:
                break
            await produce(kafka, unique_name, {0: 1})
            await asyncio.sleep(0.5)
        stdout, stderr = await asyncio.to_thread(process.communicate, timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    offsets = [validated("tail", line)["offset"] for line in stdout.splitlines()]
    assert len(offsets) == 2 and offsets[0] >= 3 and offsets[1] == offsets[0] + 1


# -- produce --------------------------------------------------------------------------------


async def test_produce_read_back_by_console_consumer(kafka, admin, unique_name):
    topic = unique_name
    await create_topic(admin, topic, 2)
    lines = [
        {"key": "a", "value": {"n": 1}, "headers": {"h": "x"}, "partition": 1},
        {"key": None, "value": "plain text", "partition": 0},
        {"key": "c", "value": "third", "headers": [["h", "1"], ["h", "2"]], "partition": 1},
        {"key": "tomb", "value": None, "partition": 0},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n\n"  # a trailing blank line is skipped
    acks = await asyncio.to_thread(kview_lines, kafka, "produce", topic, input=stdin)
    assert [a["line"] for a in acks] == [1, 2, 3, 4]
    assert [(a["partition"], a["offset"]) for a in acks] == [(1, 0), (0, 0), (1, 1), (0, 1)]
    assert all(a["timestamp_type"] == "CreateTime" and a["timestamp"] > 0 for a in acks)

    back = await console(kafka, topic, "--from-beginning", max_messages=4)
    by_position = {(p, o): (h, k, v) for p, o, h, k, v in back}
    assert by_position == {
        (1, 0): ("h:x", "a", '{"n":1}'),
        (0, 0): ("NO_HEADERS", None, "plain text"),
        (1, 1): (f"h:1{HEADER}h:2", "c", "third"),
        (0, 1): ("NO_HEADERS", "tomb", None),
    }

    # Console lines KEY<sep>VALUE, all to one partition; the table form prints one ack per line.
    result = await asyncio.to_thread(
        kview,
        "produce",
        topic,
        "--format",
        "console",
        "--separator",
        ":",
        "--partition",
        "0",
        "--bootstrap",
        kafka.bootstrap,
        input="k1:v:1\nk2:v2\n",
    )
    assert result.returncode == 0, result.stderr
    assert [line.split()[:6] for line in result.stdout.splitlines()] == [
        ["line", "1", "partition", "0", "offset", "2"],
        ["line", "2", "partition", "0", "offset", "3"],
    ]
    back = await console(kafka, topic, "--partition", "0", "--offset", "2", max_messages=2)
    assert [(k, v) for _p, _o, _h, k, v in back] == [("k1", "v:1"), ("k2", "v2")]


async def test_produce_refusals(kafka, admin, unique_name):
    topic = unique_name
    await create_topic(admin, topic, 1)
    # Read-only: refused before anything is read or sent.
    refused = await asyncio.to_thread(
        kview, "produce", topic, "--read-only", "--bootstrap", kafka.bootstrap, input='{"value": "x"}\n'
    )
    assert refused.returncode == 1
    assert "read-only" in one_line_error(refused)
    # A bad line stops there: the lines before it are sent and acknowledged.
    bad = await asyncio.to_thread(
        kview,
        "produce",
        topic,
        "--json",
        "--bootstrap",
        kafka.bootstrap,
        input='{"value": "ok"}\n{"vaule": "typo"}\n{"value": "never"}\n',
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "line 2" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert [validated("produce", line)["offset"] for line in bad.stdout.splitlines()] == [0]
    assert await get_offsets(kafka, topic, -1) == {0: 1}


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["topic", "no-such-topic-x"], 1, "kview: topic 'no-such-topic-x' does not exist"),
        (["tail", "no-such-topic-x"], 1, "kview: topic 'no-such-topic-x' does not exist"),
        (["group", "no-such-group-x"], 1, "kview: group 'no-such-group-x' does not exist"),
        (["lag", "--group", "no-such-group-x"], 1, "kview: group 'no-such-group-x' does not exist"),
        (["tail", "__consumer_offsets", "--from", "soon"], 2, "kview: --from: 'soon' is not"),
        (["tail", "__consumer_offsets", "--filter", "(a"], 2, "kview: filter:"),
    ],
)
def test_errors_are_one_line(kafka, argv, code, message):
    for output in ([], ["--json"]):
        result = kview(*argv, *output, "--bootstrap", kafka.bootstrap)
        assert result.returncode == code
        assert one_line_error(result).startswith(message)


def test_unknown_topic_is_not_created(kafka):
    kview("topic", "never-made-by-kview", "--bootstrap", kafka.bootstrap)
    listed = kafka.run_tool("kafka-topics", "--list").stdout.split()
    assert "never-made-by-kview" not in listed


def test_unreachable_bootstrap(tmp_path):
    port = free_port()  # nothing listens there
    for command in (["brokers"], ["topics", "--json"], ["lag"]):
        started = time.monotonic()
        result = kview(*command, "--bootstrap", f"127.0.0.1:{port}")
        assert result.returncode == 3
        assert f"127.0.0.1:{port}" in one_line_error(result)
        assert time.monotonic() - started < 60
    # Without Textual: the whole failing run never imports it.
    code = (
        "import sys\nfrom kview import cli\n"
        f"rc = cli.main(['brokers', '--bootstrap', '127.0.0.1:{port}'])\n"
        "print(rc, 'textual' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.split() == ["3", "False"]


def test_bad_bootstrap_and_config_exit_2(tmp_path):
    result = kview("topics", "--bootstrap", "no-port-here")
    assert result.returncode == 2 and "not host:port" in one_line_error(result)
    result = kview("groups", "--cluster", "nope")
    assert result.returncode == 2 and "unknown cluster 'nope'" in one_line_error(result)
