"""Offsets files against the real broker, compared with Kafka's own
``kafka-consumer-groups --reset-offsets``: kview's CSV export is the tool's
``--export``; a file the tool exported imports into kview with the same
preview as the tool's ``--from-file --dry-run`` (clamping included), and a
file kview exported is executed by the tool's ``--from-file --execute``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import jsonschema
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import NewTopic

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.errors import KViewError
from kview.core.groups import GroupService
from kview.core.groups.offsets_file import OffsetsFiles, parse_offsets_file, to_csv
from kview.headless.schema import SCHEMAS


@pytest.fixture
async def client(kafka):
    c = ClusterClient(adhoc_profile(kafka.bootstrap))
    await c.start()
    yield c
    await c.close()


@pytest.fixture
async def groups(client):
    service = GroupService(client)
    yield service
    await service.close()


async def setup_topic(kafka, client, name: str, partitions: int, per_partition: int) -> None:
    await client.admin.create_topics([NewTopic(name, partitions, 1)])
    deadline = time.monotonic() + 30
    while True:
        topic = (await client.metadata([name])).topic(name)
        if topic and len(topic.partitions) == partitions and all(p.leader >= 0 for p in topic.partitions):
            if len(await client.watermarks(topic.partitions)) == partitions:
                break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(name, b"v", partition=p) for p in range(partitions) for _ in range(per_partition)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def consumer_groups(kafka, *args: str) -> str:
    return (await asyncio.to_thread(kafka.run_tool, "kafka-consumer-groups", *args)).stdout


def new_offsets(stdout: str) -> dict[tuple[str, int], int]:
    """The NEW-OFFSET column of the tool's reset table."""
    rows, header = {}, None
    for line in stdout.splitlines():
        fields = line.split()
        if fields[:1] == ["GROUP"] and "NEW-OFFSET" in fields:
            header = fields
        elif header and len(fields) == len(header):
            row = dict(zip(header, fields, strict=True))
            rows[(row["TOPIC"], int(row["PARTITION"]))] = int(row["NEW-OFFSET"])
    return rows


def committed_by_tool(stdout: str) -> dict[tuple[str, int], int]:
    rows, header = {}, None
    for line in stdout.splitlines():
        fields = line.split()
        if fields[:2] == ["GROUP", "TOPIC"]:
            header = fields
        elif header and len(fields) == len(header):
            row = dict(zip(header, fields, strict=True))
            if row["CURRENT-OFFSET"] != "-":
                rows[(row["TOPIC"], int(row["PARTITION"]))] = int(row["CURRENT-OFFSET"])
    return rows


async def test_csv_export_is_the_tools_export_and_json_keeps_the_moment(kafka, client, groups, unique_name):
    topic, other, group = f"{unique_name}-t", f"{unique_name}-o", f"{unique_name}-g"
    await setup_topic(kafka, client, topic, 3, 10)
    await setup_topic(kafka, client, other, 1, 4)
    committed = {(topic, 0): 3, (topic, 1): 7, (topic, 2): 10, (other, 0): 1}
    await groups.commit_offsets(group, committed)
    tool_csv = await consumer_groups(
        kafka, "--reset-offsets", "--group", group, "--all-topics", "--to-current", "--export", "--dry-run"
    )
    files = OffsetsFiles(groups)
    before = int(time.time() * 1000)
    exported = await files.export(group)
    assert exported.text("csv") == to_csv(committed)
    # Byte for byte but the order (the tool's follows a hash map) and its closing blank line.
    assert sorted(tool_csv.split()) == sorted(exported.text("csv").split())
    assert len(topic) > 24 and f'"{topic}",0,3' in tool_csv.splitlines()  # the tool quotes long names

    doc = json.loads(exported.text("json", cluster="here"))
    assert doc["format"] == "kview-offsets" and doc["group"] == group and doc["cluster"] == "here"
    assert before <= doc["exported_at_ms"] <= int(time.time() * 1000)
    assert {(r["topic"], r["partition"]): (r["offset"], r["log_end"], r["lag"]) for r in doc["offsets"]} == {
        tp: (o, 10 if tp[0] == topic else 4, (10 if tp[0] == topic else 4) - o) for tp, o in committed.items()
    }
    only = await files.export(group, [other])
    assert only.offsets == {(other, 0): 1}


async def test_files_round_trip_through_the_tools_from_file(kafka, client, groups, unique_name, tmp_path):
    topic, group = f"{unique_name}-t", f"{unique_name}-g"
    await setup_topic(kafka, client, topic, 3, 10)
    kept = {(topic, 0): 2, (topic, 1): 5, (topic, 2): 9}
    await groups.commit_offsets(group, kept)
    files = OffsetsFiles(groups)
    ours = tmp_path / "kept.csv"
    ours.write_text((await files.export(group)).text("csv"))

    # The group moves on; the tool puts kview's file back.
    await groups.commit_offsets(group, {tp: 10 for tp in kept})
    dry = await consumer_groups(
        kafka, "--reset-offsets", "--group", group, "--all-topics", "--from-file", str(ours), "--dry-run"
    )
    assert new_offsets(dry) == kept
    await consumer_groups(
        kafka, "--reset-offsets", "--group", group, "--all-topics", "--from-file", str(ours), "--execute"
    )
    described = await consumer_groups(kafka, "--describe", "--group", group, "--offsets")
    assert committed_by_tool(described) == kept

    # A file the tool exported, with offsets past the log end and before it: kview previews it as the tool does.
    await groups.commit_offsets(group, {tp: 0 for tp in kept})
    theirs = tmp_path / "theirs.csv"
    exported_by_tool = await consumer_groups(
        kafka,
        "--reset-offsets",
        "--group",
        group,
        "--topic",
        f"{topic}:0,1",
        "--to-offset",
        "4",
        "--export",
        "--dry-run",
    )
    theirs.write_text(exported_by_tool.rstrip("\n") + f"\n{topic},2,99\n")
    tool_out = await consumer_groups(
        kafka, "--reset-offsets", "--group", group, "--all-topics", "--from-file", str(theirs), "--dry-run"
    )
    tool_dry = new_offsets(tool_out)
    parsed = parse_offsets_file(theirs.read_text(), group)
    plan = await files.preview(group, parsed.offsets)
    assert (
        {(r.topic, r.partition): r.new for r in plan.rows} == tool_dry == {(topic, 0): 4, (topic, 1): 4, (topic, 2): 10}
    )
    assert [(r.current, r.lag) for r in plan.rows] == [(0, 6), (0, 6), (0, 0)]
    applied = await files.apply(group, parsed.offsets)
    assert applied.moves == 3
    described = await consumer_groups(kafka, "--describe", "--group", group, "--offsets")
    assert committed_by_tool(described) == tool_dry


async def test_import_is_refused_while_the_group_has_members(kafka, client, groups, unique_name):
    topic, group = f"{unique_name}-t", f"{unique_name}-g"
    await setup_topic(kafka, client, topic, 1, 5)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, group_id=group, auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = time.monotonic() + 60
        while not consumer.assignment():
            assert time.monotonic() < deadline, "consumer never joined"
            await consumer.getmany(timeout_ms=200)
        files = OffsetsFiles(groups)
        plan = await files.preview(group, {(topic, 0): 2})
        assert [(r.new, r.lag) for r in plan.rows] == [(2, 3)]
        with pytest.raises(KViewError, match="active member"):
            await files.apply(group, {(topic, 0): 2})
    finally:
        await consumer.stop()


def kview(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_headless_export_then_import(kafka, client, groups, unique_name, tmp_path):
    topic, group = f"{unique_name}-t", f"{unique_name}-g"
    await setup_topic(kafka, client, topic, 2, 6)
    await groups.commit_offsets(group, {(topic, 0): 1, (topic, 1): 4})
    path = tmp_path / "g.json"
    out = await asyncio.to_thread(kview, "offsets", "export", group, "-o", str(path), "--bootstrap", kafka.bootstrap)
    assert out.returncode == 0, out.stderr
    await groups.commit_offsets(group, {(topic, 0): 6, (topic, 1): 6})
    dry = await asyncio.to_thread(
        kview, "offsets", "import", group, str(path), "--dry-run", "--json", "--bootstrap", kafka.bootstrap
    )
    assert dry.returncode == 0, dry.stderr
    doc = json.loads(dry.stdout)
    jsonschema.Draft202012Validator(SCHEMAS["offsets"]).validate(doc)
    assert not doc["applied"] and [(p["current"], p["new"], p["lag_after"]) for p in doc["partitions"]] == [
        (6, 1, 5),
        (6, 4, 2),
    ]
    assert await groups.committed_offsets(group) == {(topic, 0): 6, (topic, 1): 6}
    done = await asyncio.to_thread(kview, "offsets", "import", group, str(path), "--bootstrap", kafka.bootstrap)
    assert done.returncode == 0, done.stderr
    assert await groups.committed_offsets(group) == {(topic, 0): 1, (topic, 1): 4}
    refused = await asyncio.to_thread(
        kview, "offsets", "import", group, str(path), "--read-only", "--bootstrap", kafka.bootstrap
    )
    assert refused.returncode == 1 and "read-only" in refused.stderr
    missing = await asyncio.to_thread(kview, "offsets", "export", f"{group}-none", "--bootstrap", kafka.bootstrap)
    assert missing.returncode == 1 and "no committed offsets" in missing.stderr
