"""Reassignments and elections where brokers stop or copies are held back,
on a three-broker cluster of this module's own (started once): stopping a
broker or throttling replication on the session's shared cluster would slow
or break other tests.  Its brokers fetch at most 64 KiB at a time, so a
throttled copy of a few MiB takes minutes and can be caught midway; and
automatic leader rebalancing is off, so leaders stay where a restart left
them until an election moves them.

Compared with Kafka's tools: ``kafka-topics --describe`` (replicas, leaders,
ISR), ``kafka-reassign-partitions --list/--execute``, ``kafka-configs``
(throttles), ``kafka-leader-election``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import jsonschema
import pytest
from reassign_tools import described, dynamic_configs, make_topic, tool_reassignments, wait_for

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.reassign.models import DrainBroker, MovePartitions
from kview.core.reassign.plan_file import write_plan_file
from kview.core.reassign.planner import PlanError
from kview.core.reassign.service import ReassignService
from kview.core.reassign.throttle import FOLLOWER_RATE, FOLLOWER_REPLICAS, LEADER_RATE, LEADER_REPLICAS
from kview.headless.schema import SCHEMAS
from kview.local.cluster import DevCluster

pytestmark = pytest.mark.timeout(400)

THROTTLE = 20_000
"""Bytes/s: a 3 MB copy takes minutes at this rate."""
RECORDS, SIZE = 300, 10_000


@pytest.fixture(scope="module")
def cluster():
    with DevCluster(
        3,
        extra_config={
            "replica.fetch.max.bytes": "65536",
            "replica.fetch.response.max.bytes": "65536",
            "auto.leader.rebalance.enable": "false",
        },
    ) as started:
        yield started


@pytest.fixture
async def service(cluster):
    client = ClusterClient(adhoc_profile(cluster.bootstrap))
    yield ReassignService(client)
    await client.close()


def kview_json(cluster, *args: str, code: int = 0) -> dict:
    """``kview ARGS --json``, its document checked against its schema."""
    result = subprocess.run(
        [sys.executable, "-m", "kview.cli", *args, "--bootstrap", cluster.bootstrap, "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == code, result.stderr
    doc = json.loads(result.stdout)
    kind = f"reassign-{args[1]}" if args[0] == "reassign" else args[0]
    jsonschema.Draft202012Validator(SCHEMAS[kind]).validate(doc)
    return doc


async def midway(service: ReassignService, targets):
    """Wait until the new replicas hold some bytes and are not done."""
    return await wait_for(
        lambda: service.progress(targets),
        lambda p: not p.finished and p.bytes_copied > 0,
        what="the copy to be under way",
    )


async def no_throttle(cluster, topic: str, brokers) -> None:
    assert await dynamic_configs(cluster, "topics", topic) == {}
    for broker in brokers:
        configs = await dynamic_configs(cluster, "brokers", str(broker))
        assert LEADER_RATE not in configs and FOLLOWER_RATE not in configs


async def test_drain_a_broker_and_it_holds_no_replica(cluster, service, unique_name):
    await make_topic(cluster, unique_name, [(3, 1), (1, 3), (2, 3), (3, 2)], records=20, size=100)
    plan = await service.plan(DrainBroker(3))
    assert plan.broker(3).replicas_after == 0
    result = await service.apply(plan)
    assert result.ok
    await wait_for(lambda: service.progress(plan), lambda p: p.finished, what="the drain to finish")
    rows = await described(cluster)
    assert rows, "kafka-topics described nothing"
    assert [key for key, row in rows.items() if 3 in row.replicas] == []
    assert all(len(row.isr) == len(row.replicas) for key, row in rows.items() if key[0] == unique_name)


async def test_cancel_a_throttled_reassignment_midway(cluster, service, unique_name):
    topic = unique_name
    await make_topic(cluster, topic, [(1,)], records=RECORDS, size=SIZE)
    target = {(topic, 0): (1, 2)}
    result = await service.apply(target, throttle=THROTTLE)
    assert result.started == ((topic, 0),)
    # the throttle as Kafka's tool would set it, seen by kafka-configs
    assert await dynamic_configs(cluster, "topics", topic) == {LEADER_REPLICAS: "0:1", FOLLOWER_REPLICAS: "0:2"}
    for broker in (1, 2):
        configs = await dynamic_configs(cluster, "brokers", str(broker))
        assert (configs[LEADER_RATE], configs[FOLLOWER_RATE]) == (str(THROTTLE), str(THROTTLE))
    progress = await midway(service, target)
    (row,) = progress.partitions
    assert row.adding == (2,) and 0 < row.copied < row.size and progress.throttle_rate == THROTTLE
    assert (await tool_reassignments(cluster))[(topic, 0)]["adding"] == (2,)
    status = await asyncio.to_thread(kview_json, cluster, "reassign", "status", code=4)
    mine = [p for p in status["partitions"] if p["topic"] == topic]
    assert [(p["replicas"], p["adding"], p["done"]) for p in mine] == [([1, 2], [2], False)]
    assert status["throttle_rate"] == THROTTLE and not status["finished"]

    cancelled = await service.cancel([(topic, 0)])
    assert cancelled.cancelled == ((topic, 0),) and cancelled.ok and cancelled.throttles_removed
    rows = await described(cluster, topic)
    assert rows[(topic, 0)].replicas == (1,)
    assert (topic, 0) not in await tool_reassignments(cluster)
    await no_throttle(cluster, topic, (1, 2, 3))


async def test_reassignments_of_other_tools_are_listed_and_cancelled(cluster, service, unique_name, tmp_path):
    topic = unique_name
    await make_topic(cluster, topic, [(2,)], records=RECORDS, size=SIZE)
    plan_file = tmp_path / "plan.json"
    write_plan_file(str(plan_file), {(topic, 0): (2, 3)})
    await asyncio.to_thread(
        cluster.run_tool,
        "kafka-reassign-partitions",
        "--execute",
        "--reassignment-json-file",
        str(plan_file),
        "--throttle",
        str(THROTTLE),
    )
    listed = await tool_reassignments(cluster)
    ours = {m.key: m for m in await service.ongoing()}
    assert {
        key: {"replicas": m.replicas, "adding": m.adding, "removing": m.removing} for key, m in ours.items()
    } == listed
    progress = await service.progress()
    assert progress.throttle_rate == THROTTLE and (topic, 0) in {p.key for p in progress.partitions}
    doc = await asyncio.to_thread(kview_json, cluster, "reassign", "cancel", "--partition", f"{topic}:0")
    assert doc["cancelled"] == [{"topic": topic, "partition": 0, "original": [2], "adding": [3]}]
    assert doc["throttles_removed"] is True
    assert (await described(cluster, topic))[(topic, 0)].replicas == (2,)
    await no_throttle(cluster, topic, (1, 2, 3))


async def test_elect_preferred_leaders_after_a_broker_restart(cluster, service, unique_name):
    topic = unique_name
    await make_topic(cluster, topic, [(1, 2, 3), (2, 3, 1), (3, 1, 2)], records=30, size=100)
    await asyncio.to_thread(cluster.stop_broker, 1)
    try:
        await wait_for(
            lambda: described(cluster, topic), lambda rows: rows[(topic, 0)].leader not in (-1, 1), what="a new leader"
        )
    finally:
        await asyncio.to_thread(cluster.start_broker, 1)
    rows = await wait_for(
        lambda: described(cluster, topic),
        lambda rows: all(sorted(r.isr) == [1, 2, 3] for r in rows.values()),
        what="broker 1 back in every ISR",
    )
    moved = {key for key, row in rows.items() if row.leader != row.replicas[0]}
    assert (topic, 0) in moved
    balance = await asyncio.to_thread(kview_json, cluster, "leaders", topic, code=1)
    assert {(n["topic"], n["partition"]) for n in balance["not_preferred"]} == moved
    assert all(n["preferred_in_sync"] for n in balance["not_preferred"])

    doc = await asyncio.to_thread(kview_json, cluster, "elect-leaders", "--topic", topic)
    outcomes = {(r["topic"], r["partition"]): r["outcome"] for r in doc["results"]}
    assert outcomes == {key: ("elected" if key in moved else "not needed") for key in rows}
    after = await described(cluster, topic)
    assert all(row.leader == row.replicas[0] for row in after.values())
    assert {(r["topic"], r["partition"]): r["leader_after"] for r in doc["results"]} == {
        key: row.leader for key, row in after.items()
    }
    # Kafka's tool agrees that nothing is left to elect
    out = await asyncio.to_thread(
        cluster.run_tool, "kafka-leader-election", "--election-type", "PREFERRED", "--topic", topic, "--partition", "0"
    )
    assert "Valid replica already elected for partitions" in out.stdout
    assert (await service.leader_balance([topic])).balanced


async def test_a_broker_that_goes_away_mid_move(cluster, service, unique_name):
    topic = unique_name
    await make_topic(cluster, topic, [(1,)], records=RECORDS, size=SIZE)
    target = {(topic, 0): (1, 3)}
    await service.apply(target, throttle=THROTTLE)
    await midway(service, target)
    await asyncio.to_thread(cluster.stop_broker, 3)
    try:
        progress = await wait_for(
            lambda: service.progress(target),
            lambda p: any("3 taking part are offline" in e for e in p.errors),
            what="progress to name the offline broker",
        )
        assert not progress.finished
        assert [m.key for m in await service.ongoing([(topic, 0)])] == [(topic, 0)]
        with pytest.raises(PlanError, match=r"broker 3 does not exist or is offline \(live brokers: 1, 2\)"):
            await service.plan(MovePartitions({(topic, 0): (3,)}))
        cancelled = await service.cancel([(topic, 0)])
        assert cancelled.cancelled == ((topic, 0),)
        # broker 3's throttle cannot be removed while it is away, and kview says so
        assert not cancelled.throttles_removed
        assert any("broker(s) 3 offline" in n for n in cancelled.notes)
        rows = await described(cluster, topic)
        assert rows[(topic, 0)].replicas == (1,)
    finally:
        await asyncio.to_thread(cluster.start_broker, 3)
    assert await dynamic_configs(cluster, "topics", topic) == {}
    # back, it still has its throttle, until a cancel with nothing left to cancel clears it
    await wait_for(
        lambda: dynamic_configs(cluster, "brokers", "3"),
        lambda c: c.get(FOLLOWER_RATE) == str(THROTTLE),
        what="broker 3's throttle to show",
    )
    again = await wait_for(lambda: service.cancel(), lambda r: r.throttles_removed, what="the throttle removed")
    assert again.cancelled == ()
    await no_throttle(cluster, topic, (1, 2, 3))


async def test_unclean_election_of_a_partition_without_leader(cluster, unique_name):
    """Partition on brokers 1 and 2: 2 stops (1 alone in the ISR), then 1;
    2 comes back out of sync, so the partition stays without a leader until
    an unclean election makes 2 its leader."""
    topic = unique_name
    await make_topic(cluster, topic, [(1, 2)], records=10, size=100)
    try:
        await asyncio.to_thread(cluster.stop_broker, 2)
        await wait_for(lambda: described(cluster, topic), lambda r: r[(topic, 0)].isr == (1,), what="ISR of 1 alone")
        await asyncio.to_thread(cluster.stop_broker, 1)
        await asyncio.to_thread(cluster.start_broker, 2)
        await wait_for(
            lambda: described(cluster, topic), lambda r: r[(topic, 0)].leader == -1, what="the partition leaderless"
        )
        # a preferred election cannot help: its answer says why, per partition
        preferred = await asyncio.to_thread(kview_json, cluster, "elect-leaders", "--partition", f"{topic}:0", code=1)
        assert [(r["outcome"], r["leader_before"]) for r in preferred["results"]] == [("failed", -1)]
        assert preferred["results"][0]["error"]
        refused = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "kview.cli",
                "elect-leaders",
                "-p",
                f"{topic}:0",
                "--type",
                "unclean",
                "--bootstrap",
                cluster.bootstrap,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 2 and "--allow-data-loss" in refused.stderr
        doc = await asyncio.to_thread(
            kview_json,
            cluster,
            "elect-leaders",
            "--partition",
            f"{topic}:0",
            "--type",
            "unclean",
            "--allow-data-loss",
        )
        assert [(r["outcome"], r["leader_after"]) for r in doc["results"]] == [("elected", 2)]
        assert (await described(cluster, topic))[(topic, 0)].leader == 2
    finally:
        await asyncio.to_thread(cluster.start_broker, 2)
        await asyncio.to_thread(cluster.start_broker, 1)
