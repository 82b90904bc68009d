"""kview against each tested Kafka version (the last 3.x line and the newest
4.x), compared with what that version's own CLI tools print: the brokers,
a topic's partitions and offsets, a group's committed offsets and lag, a reset
dry-run, the tail and produce, and the app's panes showing them.  Every test
runs once per version (the
``versioned_kafka`` fixture of this folder's conftest); the main suite covers
the default version in depth, this is the focused set that must hold on each.

kview runs as a user runs it (``python -m kview.cli COMMAND --json``), in a
thread, so consumers a test keeps alive go on heartbeating."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from dataclasses import replace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.protocol.api import Request
from aiokafka.structs import TopicPartition
from kafka_tools import parse_api_versions_brokers, parse_get_offsets, parse_quorum_status, parse_topics_describe
from screen_text import screen_text, wait_for

from kview.app import make_app
from kview.core.cluster import ClusterClient
from kview.core.config import Config, adhoc_profile
from kview.core.groups import GroupService, ResetSpec
from kview.core.groups.collect import NOT_AVAILABLE
from kview.core.protocol import bulk_requests, cluster_requests, group_requests
from kview.core.protocol.share_requests import ShareGroupDescribeRequest, StreamsGroupDescribeRequest
from kview.ui.panes.brokers import BrokersPane
from kview.ui.panes.groups import GroupsPane

pytestmark = pytest.mark.timeout(300)

FIELD, LINE, NULL = "<<F>>", "<<L>>", "<<NULL>>"


# -- running kview and Kafka's tools ---------------------------------------------------------


def kview(cluster, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args, "--bootstrap", cluster.bootstrap, "--json"],
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def kview_text(cluster, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args, "--bootstrap", cluster.bootstrap],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def kview_json(cluster, *args: str, code: int = 0) -> dict:
    result = await asyncio.to_thread(kview, cluster, *args)
    assert result.returncode == code and "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


async def kview_lines(cluster, *args: str, input: str | None = None) -> list[dict]:
    result = await asyncio.to_thread(kview, cluster, *args, input=input)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


async def tool(cluster, name: str, *args: str) -> str:
    return (await asyncio.to_thread(cluster.run_tool, name, *args)).stdout


def parse_table(stdout: str, key_column: str) -> list[dict[str, str]]:
    """Rows of kafka-consumer-groups' tables: a header (starting GROUP and
    holding ``key_column``) names the columns; the values follow, split on
    whitespace (ids and the test's names hold none).  Read as one stream of
    words because Kafka 3.9's ``--reset-offsets --dry-run`` prints its rows
    without line breaks."""
    words = stdout.split()
    rows: list[dict[str, str]] = []
    i = 0
    while i < len(words):
        if words[i] != "GROUP":
            i += 1
            continue
        end = i
        while end < len(words) and re.fullmatch(r"[A-Z][A-Z-]*", words[end]):
            end += 1
        header = words[i:end]
        if key_column not in header:
            i = end
            continue
        i = end
        while i + len(header) <= len(words) and words[i] != "GROUP":
            rows.append(dict(zip(header, words[i : i + len(header)], strict=False)))
            i += len(header)
    return rows


def parse_api_versions(output: str) -> dict[int, tuple[str, int, int] | None]:
    """``kafka-broker-api-versions`` of the first broker: API key -> (name, min,
    max), None for UNSUPPORTED (lines ``Name(key): 0 to 5 [usable: 5]``,
    ``Name(key): 0 [usable: 0]`` or ``Name(key): UNSUPPORTED``)."""
    versions: dict[int, tuple[str, int, int] | None] = {}
    for match in re.finditer(r"^\s*(\w+)\((\d+)\): (?:(\d+)(?: to (\d+))? \[usable|UNSUPPORTED)", output, re.M):
        name, key, low, high = match.group(1), int(match.group(2)), match.group(3), match.group(4)
        if key not in versions:
            versions[key] = None if low is None else (name, int(low), int(high or low))
    return versions


async def console(cluster, topic: str, count: int) -> list[tuple[int, int, str | None, str | None]]:
    """(partition, offset, key, value) of the first ``count`` records, as
    kafka-console-consumer prints them.  Its formatter options are
    ``--property`` up to 3.x, ``--formatter-property`` from 4.x on (where the
    old name prints a deprecation warning among the records)."""
    option = "--property" if cluster.version.startswith("3.") else "--formatter-property"
    settings = [
        "print.key=true",
        "print.offset=true",
        "print.partition=true",
        f"key.separator={FIELD}",
        f"line.separator={LINE}",
        f"null.literal={NULL}",
    ]
    out = await tool(
        cluster,
        "kafka-console-consumer",
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        str(count),
        "--timeout-ms",
        "20000",
        *(arg for setting in settings for arg in (option, setting)),
    )
    rows = []
    for line in out.split(LINE)[:-1]:
        partition, offset, key, value = line.split(FIELD, 3)
        rows.append(
            (
                int(partition.removeprefix("Partition:")),
                int(offset.removeprefix("Offset:")),
                None if key == NULL else key,
                None if value == NULL else value,
            )
        )
    return rows


# -- setting up ------------------------------------------------------------------------------


@pytest.fixture
async def admin(versioned_kafka):
    client = AIOKafkaAdminClient(bootstrap_servers=versioned_kafka.bootstrap)
    await client.start()
    yield client
    await client.close()


async def create_topic(admin, name: str, partitions: int) -> None:
    await admin.create_topics([NewTopic(name, partitions, 1)])
    deadline = time.monotonic() + 30
    while True:
        described = await admin.describe_topics([name])
        parts = described[0]["partitions"] if described and not described[0]["error_code"] else []
        if len(parts) == partitions and all(p["leader"] >= 0 for p in parts):
            return
        assert time.monotonic() < deadline, f"topic {name} never got leaders"
        await asyncio.sleep(0.2)


async def produce(cluster, topic: str, per_partition: dict[int, int]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, f"v{partition}-{i}".encode(), key=f"k{i}".encode(), partition=partition)
            for partition, count in per_partition.items()
            for i in range(count)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


# -- the tests -------------------------------------------------------------------------------


def _kview_requests() -> list[type[Request]]:
    """Every protocol request kview builds itself (on aiokafka's classes)."""
    found = []
    for module in (bulk_requests, cluster_requests, group_requests):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Request)
                and value is not Request
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


async def test_every_kview_request_has_a_version_the_broker_takes(versioned_kafka):
    """aiokafka sends each request at the highest version both sides know:
    for that to work, kview's versions must meet the broker's range."""
    broker = parse_api_versions(await tool(versioned_kafka, "kafka-broker-api-versions"))
    requests = _kview_requests()
    assert len(requests) >= 10  # the scan found the protocol modules' requests
    for request in requests:
        offered = sorted(struct.API_VERSION for struct in request._CLASSES)
        assert broker.get(request.API_KEY), f"Kafka {versioned_kafka.version} lacks {request.__name__}"
        name, low, high = broker[request.API_KEY]
        assert [v for v in offered if low <= v <= high], (
            f"{request.__name__} offers v{offered}; Kafka {versioned_kafka.version} takes {name} v{low}-{high}"
        )


async def test_share_and_streams_groups_where_the_broker_has_them(versioned_kafka):
    """Kafka 4's share and streams groups: on a broker whose API versions have
    their describe requests, kview's versions meet the broker's range and the
    listing says nothing is missing; on one without (3.9), ``kview groups
    --type share,streams`` says they are not available on this version."""
    broker = parse_api_versions(await tool(versioned_kafka, "kafka-broker-api-versions"))
    doc = await kview_json(versioned_kafka, "groups", "--type", "share,streams")
    for kind, request in (("share", ShareGroupDescribeRequest), ("streams", StreamsGroupDescribeRequest)):
        found = broker.get(request.API_KEY)  # None: UNSUPPORTED (or the tool does not know the key)
        if found:
            _name, low, high = found
            assert [s.API_VERSION for s in request._CLASSES if low <= s.API_VERSION <= high], request.__name__
            assert NOT_AVAILABLE[kind] not in doc["problems"]
        else:
            assert NOT_AVAILABLE[kind] in doc["problems"], doc
    if not broker.get(ShareGroupDescribeRequest.API_KEY):
        assert doc["groups"] == [] and doc["totals"]["share"] == doc["totals"]["streams"] == 0
        # The table says it in a line, never a traceback.
        result = await asyncio.to_thread(kview_text, versioned_kafka, "groups", "--type", "share")
        assert result.returncode == 0 and "Traceback" not in result.stderr
        assert "not available on this Kafka version" in result.stdout


async def test_brokers(versioned_kafka):
    doc = await kview_json(versioned_kafka, "brokers")
    api = parse_api_versions_brokers(await tool(versioned_kafka, "kafka-broker-api-versions"))
    quorum = parse_quorum_status(await tool(versioned_kafka, "kafka-metadata-quorum", "describe", "--status"))
    assert {b["id"]: (f"{b['host']}:{b['port']}", b["rack"]) for b in doc["brokers"]} == api
    assert doc["controller_id"] == int(quorum["LeaderId"]) == doc["quorum"]["leader_id"]
    assert doc["cluster_id"] == quorum["ClusterId"]
    assert all(b["online"] and b["log_dir_bytes"] is not None for b in doc["brokers"])


async def test_topic_partitions_and_offsets(versioned_kafka, admin, unique_name):
    await create_topic(admin, unique_name, 3)
    await produce(versioned_kafka, unique_name, {0: 7, 1: 3, 2: 12})
    doc = await kview_json(versioned_kafka, "topic", unique_name)
    rows = parse_topics_describe(await tool(versioned_kafka, "kafka-topics", "--describe", "--topic", unique_name))
    ends = parse_get_offsets(await tool(versioned_kafka, "kafka-get-offsets", "--topic", unique_name, "--time", "-1"))
    assert doc["partition_count"] == len(rows) == 3
    for p in doc["partitions"]:
        row = rows[(unique_name, p["partition"])]
        assert (p["leader"], tuple(p["replicas"]), tuple(p["isr"])) == (row.leader, row.replicas, row.isr)
        assert p["log_end_offset"] == ends[(unique_name, p["partition"])]
    assert doc["messages"] == sum(ends.values()) == 22
    listed = await kview_json(versioned_kafka, "topics", unique_name)
    assert [(t["name"], t["partitions"], t["messages"]) for t in listed["topics"]] == [(unique_name, 3, 22)]


async def test_group_lag_and_reset_dry_run(versioned_kafka, admin, unique_name):
    topic, group = f"{unique_name}-t", f"{unique_name}-g"
    await create_topic(admin, topic, 3)
    await produce(versioned_kafka, topic, {0: 10, 1: 6, 2: 8})
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=versioned_kafka.bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 60
        while len(consumer.assignment()) < 3:
            assert time.monotonic() < deadline, "the consumer never got its partitions"
            await consumer.getmany(timeout_ms=200)
        await consumer.commit({TopicPartition(topic, 0): 4, TopicPartition(topic, 1): 6, TopicPartition(topic, 2): 5})
        doc = await kview_json(versioned_kafka, "group", group)
        described = await tool(versioned_kafka, "kafka-consumer-groups", "--describe", "--group", group)
    finally:
        await consumer.stop()

    rows = {(r["TOPIC"], int(r["PARTITION"])): r for r in parse_table(described, "LAG")}
    assert len(rows) == len(doc["partitions"]) == 3
    for p in doc["partitions"]:
        row = rows[(p["topic"], p["partition"])]
        assert (str(p["committed_offset"]), str(p["log_end_offset"]), str(p["lag"]), p["consumer_id"]) == (
            row["CURRENT-OFFSET"],
            row["LOG-END-OFFSET"],
            row["LAG"],
            row["CONSUMER-ID"],
        )
    tool_lag = sum(int(r["LAG"]) for r in rows.values())
    assert doc["total_lag"] == tool_lag == 9 and doc["state"] == "Stable"

    # The group is Empty now: lag says it is behind (exit 1) by the same amount.
    lag = await kview_json(versioned_kafka, "lag", "--group", group, code=1)
    assert lag["matched"] == 1 and lag["groups"][0]["total_lag"] == tool_lag

    # A reset preview is what --reset-offsets --dry-run prints.
    client = ClusterClient(adhoc_profile(versioned_kafka.bootstrap))
    service = GroupService(client)
    try:
        for spec, args in [
            (ResetSpec("earliest"), ["--all-topics", "--to-earliest"]),
            (ResetSpec("shift", -3, topic=topic), ["--topic", topic, "--shift-by", "-3"]),
        ]:
            preview = await service.preview_reset(group, spec)
            out = await tool(
                versioned_kafka, "kafka-consumer-groups", "--reset-offsets", "--group", group, *args, "--dry-run"
            )
            dry = parse_table(out, "NEW-OFFSET")
            assert dry, (args, out)
            assert {(r.topic, r.partition, r.new) for r in preview} == {
                (r["TOPIC"], int(r["PARTITION"]), int(r["NEW-OFFSET"])) for r in dry
            }, args
    finally:
        await service.close()
        await client.close()


async def test_tail(versioned_kafka, admin, unique_name):
    await create_topic(admin, unique_name, 2)
    await produce(versioned_kafka, unique_name, {0: 5, 1: 4})
    records = await kview_lines(versioned_kafka, "tail", unique_name)
    theirs = await console(versioned_kafka, unique_name, 9)
    assert len(records) == len(theirs) == 9
    ours = sorted((r["partition"], r["offset"], r["key"], r["value"]) for r in records)
    assert ours == sorted(theirs)


async def test_produce(versioned_kafka, admin, unique_name):
    await create_topic(admin, unique_name, 2)
    lines = [
        {"key": "a", "value": {"n": 1}, "partition": 1},
        {"key": None, "value": "plain", "partition": 0},
        {"key": "c", "value": None, "partition": 1},
    ]
    acks = await kview_lines(
        versioned_kafka, "produce", unique_name, input="".join(json.dumps(line) + "\n" for line in lines)
    )
    assert [(a["line"], a["partition"], a["offset"]) for a in acks] == [(1, 1, 0), (2, 0, 0), (3, 1, 1)]
    back = await console(versioned_kafka, unique_name, 3)
    assert sorted(back) == [(0, 0, None, "plain"), (1, 0, "a", '{"n":1}'), (1, 1, "c", None)]


async def test_the_app_shows_topics_brokers_and_groups(versioned_kafka, admin, unique_name):
    """The panes that read the cluster fill in on this version, with the
    numbers kafka-consumer-groups gives, and show no error."""
    suffix = unique_name.rsplit("-", 1)[1]  # short names: the tables cut long ones
    topic, group = f"compat-t-{suffix}", f"compat-g-{suffix}"
    await create_topic(admin, topic, 2)
    await produce(versioned_kafka, topic, {0: 6, 1: 4})
    consumer = AIOKafkaConsumer(bootstrap_servers=versioned_kafka.bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
        await consumer.commit({TopicPartition(topic, 0): 1, TopicPartition(topic, 1): 4})
    finally:
        await consumer.stop()
    rows = parse_table(await tool(versioned_kafka, "kafka-consumer-groups", "--describe", "--group", group), "LAG")
    tool_lag = sum(int(r["LAG"]) for r in rows)

    profile = replace(adhoc_profile(versioned_kafka.bootstrap), refresh_interval=0.5)
    app = make_app(Config(), profile)
    async with app.run_test(notifications=True, size=(120, 36)) as pilot:
        await pilot.press("2")
        # Its row: 2 partitions, replication 1, the 10 messages written.
        row = re.compile(rf"{re.escape(topic)}\s+2\s+1\s+10\s")
        await wait_for(pilot, lambda: row.search(screen_text(app)), what=f"{topic}'s row in the topics pane")
        await pilot.press("3")
        brokers = app.query_one(BrokersPane)
        await wait_for(pilot, lambda: brokers.brokers_snapshot is not None, what="the brokers refresh")
        assert brokers.brokers_snapshot.quorum is not None and brokers.brokers_snapshot.quorum_error is None
        await wait_for(pilot, lambda: versioned_kafka.bootstrap in screen_text(app), what="the broker's address")
        await pilot.press("4")
        groups = app.query_one(GroupsPane)
        await wait_for(
            pilot,
            lambda: groups.groups_snapshot is not None and groups.groups_snapshot.group(group) is not None,
            what=f"{group} listed",
        )
        shown = groups.groups_snapshot.group(group)
        assert shown.total_lag == tool_lag == 5
        await wait_for(pilot, lambda: group in screen_text(app), what=f"{group} on screen")
        text = screen_text(app, flat=True)
        assert "Traceback" not in text and "rror" not in text, text
