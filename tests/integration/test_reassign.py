"""Replica and leader operations on the shared three-broker cluster, each on
topics of its own, compared with Kafka's tools: ``kafka-topics --describe``
(replicas, leaders), ``kafka-log-dirs`` (the bytes a plan copies),
``kafka-reassign-partitions --execute/--verify`` (plan files both ways) and
the headless commands' exit codes and one-line errors on bad input.

What stops brokers or throttles a copy runs on a cluster of its own
(test_reassign_faults.py)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import jsonschema
import pytest
from reassign_tools import described, dynamic_configs, log_dir_sizes, make_topic, verify, wait_for

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.reassign.models import ChangeReplicationFactor, MovePartitions
from kview.core.reassign.plan_file import assignments_from_json, read_plan_file, write_plan_file
from kview.core.reassign.planner import PlanError
from kview.core.reassign.service import ReassignService
from kview.headless.schema import SCHEMAS

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
async def service(kafka3):
    client = ClusterClient(adhoc_profile(kafka3.bootstrap))
    yield ReassignService(client)
    await client.close()


def kview(cluster, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args, "--bootstrap", cluster.bootstrap],
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def kview_json(cluster, kind: str, *args: str, code: int = 0) -> dict:
    result = kview(cluster, *args, "--json")
    assert result.returncode == code, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMAS[kind]).validate(doc)
    return doc


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


async def finished(service: ReassignService, targets) -> None:
    await wait_for(lambda: service.progress(targets), lambda p: p.finished, what="the reassignment to finish")


async def test_leaders_match_kafka_topics_describe(kafka3, unique_name):
    await make_topic(kafka3, unique_name, [(1, 2, 3), (2, 3, 1), (3, 1, 2), (1, 3, 2)], records=20, size=100)

    async def both():
        # the same leaders before and after kview's look (another test's broker restart may move some)
        first = await described(kafka3, unique_name)
        result = await asyncio.to_thread(kview, kafka3, "leaders", unique_name, "--json")
        doc = json.loads(result.stdout)
        jsonschema.Draft202012Validator(SCHEMAS["leaders"]).validate(doc)
        assert result.returncode == (0 if doc["balanced"] else 1), result.stderr
        return first, doc, await described(kafka3, unique_name)

    rows, doc, _ = await wait_for(both, lambda seen: seen[0] == seen[2], what="leaders to hold still")
    for broker in doc["brokers"]:
        node = broker["id"]
        assert broker["leaders"] == sum(1 for r in rows.values() if r.leader == node)
        assert broker["preferred_leaders"] == sum(1 for r in rows.values() if r.replicas[0] == node)
        assert broker["replicas"] == sum(1 for r in rows.values() if node in r.replicas)
    not_preferred = {(n["topic"], n["partition"]) for n in doc["not_preferred"]}
    assert not_preferred == {key for key, r in rows.items() if r.leader != r.replicas[0]}
    assert doc["partitions"] == 4


async def test_replication_factor_one_to_three_and_back(kafka3, service, unique_name, tmp_path):
    topic = unique_name
    await make_topic(kafka3, topic, [(1,), (2,), (3,)], records=60)
    up = await service.plan(ChangeReplicationFactor(topic, 3))
    # the preview's bytes are the logs' sizes as kafka-log-dirs reports them
    sizes = await log_dir_sizes(kafka3, topic)
    for move in up.moves:
        assert move.size == sizes[(move.partition, move.current[0])]
        assert move.bytes_to_copy == move.size * 2
    result = await service.apply(up)
    assert result.ok and len(result.started) == 3
    await finished(service, up)
    rows = await described(kafka3, topic)
    for move in up.moves:
        row = rows[move.key]
        assert row.replicas == move.target
        assert sorted(row.isr) == [1, 2, 3]
        assert row.replicas[0] == move.current[0]  # the preferred replica stays
    plan_file = tmp_path / "up.json"
    write_plan_file(str(plan_file), up.assignments)
    out = await verify(kafka3, str(plan_file))
    for move in up.moves:
        assert f"Reassignment of partition {topic}-{move.partition} is completed." in out

    down = await service.plan(ChangeReplicationFactor(topic, 1))
    assert await service.apply(down)
    await finished(service, down)
    rows = await described(kafka3, topic)
    assert {key: row.replicas for key, row in rows.items()} == up.rollback


async def test_a_plan_file_round_trips_through_kafkas_tool(kafka3, service, unique_name, tmp_path):
    topic = unique_name
    await make_topic(kafka3, topic, [(1, 2), (2, 3)], records=10, size=1000)
    plan_file = tmp_path / "plan.json"
    doc = await asyncio.to_thread(
        kview_json,
        kafka3,
        "reassign-plan",
        "reassign",
        "plan",
        "--move",
        f"{topic}:0=3,1",
        "--move",
        f"{topic}:1=1,2",
        "--output",
        str(plan_file),
    )
    assert doc["plan"] == json.loads(plan_file.read_text())
    # Kafka's tool executes kview's file, and prints the current assignment, which kview reads
    execute = await asyncio.to_thread(
        kafka3.run_tool, "kafka-reassign-partitions", "--execute", "--reassignment-json-file", str(plan_file)
    )
    current = next(line for line in execute.stdout.splitlines() if line.startswith("{"))
    assert assignments_from_json(current) == {(topic, 0): (1, 2), (topic, 1): (2, 3)}
    # kview's status of Kafka's reassignment, until done (exit code 0)
    await wait_for(
        lambda: asyncio.to_thread(kview, kafka3, "reassign", "status", "--file", str(plan_file)),
        lambda r: r.returncode == 0,
        what="kview reassign status to report the plan done",
    )
    out = await verify(kafka3, str(plan_file))
    assert out.count("is completed.") == 2
    rows = await described(kafka3, topic)
    assert (rows[(topic, 0)].replicas, rows[(topic, 1)].replicas) == ((3, 1), (1, 2))
    assert read_plan_file(str(plan_file)) == {(topic, 0): (3, 1), (topic, 1): (1, 2)}


async def test_bad_plans_are_refused_with_one_line_and_nothing_changes(kafka3, service, unique_name, tmp_path):
    topic = unique_name
    await make_topic(kafka3, topic, [(1,), (2,)])
    before = await described(kafka3, topic)
    cases = [
        (["--move", f"{topic}:0=1,9"], f"{topic}-0: broker 9 does not exist or is offline (live brokers: 1, 2, 3)"),
        (["--move", f"{topic}:7=1"], f"partition {topic}-7 does not exist ('{topic}' has 2 partition(s), 0-1)"),
        (["--replication-factor", "4", "--topic", topic], "replication factor 4 is above the 3 live broker(s)"),
        (["--move", "no-such-topic-x:0=1"], "topic 'no-such-topic-x' does not exist"),
        (["--drain", "7"], "broker 7 does not exist (brokers: 1, 2, 3)"),
        (["--move", f"{topic}=1"], "is not TOPIC:PARTITION"),
    ]
    for args, message in cases:
        result = await asyncio.to_thread(kview, kafka3, "reassign", "apply", *args)
        assert result.returncode in (1, 2), (args, result.stderr)
        assert message in one_line_error(result), args
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "partitions": [{"topic": "t", "partition": 0}]}')
    result = await asyncio.to_thread(kview, kafka3, "reassign", "apply", "--file", str(bad))
    assert result.returncode == 1
    assert one_line_error(result) == f'kview: {bad}: entry 1 (t-0): "replicas" must be a non-empty list of broker ids'
    result = await asyncio.to_thread(kview, kafka3, "reassign", "plan", "--drain", "1", "--spread")
    assert result.returncode == 2 and "give one plan" in one_line_error(result)
    assert await described(kafka3, topic) == before
    assert await service.ongoing([(topic, 0), (topic, 1)]) == ()


async def test_a_plan_made_before_the_replicas_changed_is_refused(kafka3, service, unique_name):
    topic = unique_name
    await make_topic(kafka3, topic, [(1,)])
    stale = await service.plan(MovePartitions({(topic, 0): (2,)}))
    await service.apply({(topic, 0): (3,)})
    await finished(service, {(topic, 0): (3,)})
    with pytest.raises(PlanError, match=rf"{topic}-0 changed since the plan was made \(replicas now \[3\]"):
        await service.apply(stale)
    assert (await described(kafka3, topic))[(topic, 0)].replicas == (3,)


async def test_dry_runs_send_nothing(kafka3, unique_name):
    topic = unique_name
    await make_topic(kafka3, topic, [(1,)])
    doc = await asyncio.to_thread(
        kview_json,
        kafka3,
        "reassign-apply",
        "reassign",
        "apply",
        "--move",
        f"{topic}:0=2",
        "--throttle",
        "1000",
        "--dry-run",
    )
    assert (
        doc["dry_run"]
        and doc["started"] == []
        and doc["throttle"]["topics"] == [{"topic": topic, "leader_replicas": "0:1", "follower_replicas": "0:2"}]
    )
    election = await asyncio.to_thread(
        kview_json, kafka3, "elect-leaders", "elect-leaders", "--topic", topic, "--dry-run"
    )
    assert election["results"] == []  # its one partition is led by its preferred replica
    assert (await described(kafka3, topic))[(topic, 0)].replicas == (1,)


async def test_apply_waits_until_done_and_removes_the_throttle(kafka3, unique_name):
    topic = unique_name
    await make_topic(kafka3, topic, [(1,)], records=20, size=1000)
    doc = await asyncio.to_thread(
        kview_json,
        kafka3,
        "reassign-apply",
        "reassign",
        "apply",
        "--move",
        f"{topic}:0=2,3",
        "--throttle",
        "50000000",
        "--wait",
        "120",
    )
    assert doc["started"] == [{"topic": topic, "partition": 0}] and doc["errors"] == []
    assert doc["rollback"]["partitions"] == [{"topic": topic, "partition": 0, "replicas": [1], "log_dirs": ["any"]}]
    progress = doc["progress"]
    assert progress["finished"] and progress["throttle_removed"] is True
    assert [(p["replicas"], p["done"]) for p in progress["partitions"]] == [([2, 3], True)]
    assert (await described(kafka3, topic))[(topic, 0)].replicas == (2, 3)
    assert await dynamic_configs(kafka3, "topics", topic) == {}
