"""kview's cluster backend against Kafka's own tools on the three-broker cluster."""

from __future__ import annotations

import asyncio
import time

import pytest
from kafka_tools import (
    parse_api_versions_brokers,
    parse_get_offsets,
    parse_quorum_status,
    parse_topics_describe,
)

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile


@pytest.fixture
async def client3(kafka3):
    client = ClusterClient(adhoc_profile(kafka3.bootstrap))
    await client.start()
    yield client
    await client.close()


@pytest.fixture(scope="module")
def replicated_topics(kafka3):
    names = ["meta-alpha", "meta-beta"]
    for i, name in enumerate(names):
        kafka3.run_tool(
            "kafka-topics",
            "--create",
            "--if-not-exists",
            "--topic",
            name,
            "--partitions",
            str(3 + i),
            "--replication-factor",
            "3",
        )
    kafka3.run_tool(
        "kafka-console-producer", "--topic", names[0], input="".join(f"m{i}\n" for i in range(50)), bootstrap=True
    )
    return names


async def test_brokers_equal_kafkas_listing(kafka3, client3):
    metadata = await client3.metadata()
    tool = parse_api_versions_brokers(kafka3.run_tool("kafka-broker-api-versions").stdout)
    assert {b.node_id: (b.address, b.rack) for b in metadata.brokers} == tool
    assert len(metadata.brokers) == 3


async def test_controller_equals_quorum_leader(kafka3, client3):
    snapshot = await client3.snapshot()
    status = parse_quorum_status(kafka3.run_tool("kafka-metadata-quorum", "describe", "--status").stdout)
    assert snapshot.metadata.cluster_id == status["ClusterId"]
    assert snapshot.metadata.controller_id == int(status["LeaderId"])


async def test_leaders_replicas_isr_equal_kafka_topics(kafka3, client3, replicated_topics):
    metadata = await client3.metadata()
    tool = parse_topics_describe(kafka3.run_tool("kafka-topics", "--describe").stdout)
    ours = {(p.topic, p.partition): (p.leader, p.replicas, p.isr) for p in metadata.partitions}
    theirs = {key: (p.leader, p.replicas, p.isr) for key, p in tool.items()}
    assert ours == theirs
    assert {("meta-alpha", 0), ("meta-beta", 3)} <= set(ours)


async def test_watermarks_equal_get_offsets(kafka3, client3, replicated_topics):
    snapshot = await client3.snapshot()
    high = parse_get_offsets(kafka3.run_tool("kafka-get-offsets", "--time", "-1").stdout)
    low = parse_get_offsets(kafka3.run_tool("kafka-get-offsets", "--time", "-2").stdout)
    assert {k: w.high for k, w in snapshot.watermarks.items()} == high
    assert {k: w.low for k, w in snapshot.watermarks.items()} == low
    assert sum(w.messages for k, w in snapshot.watermarks.items() if k[0] == "meta-alpha") == 50


async def test_under_replicated_count_equals_kafka_listing(kafka3, client3, replicated_topics):
    kafka3.stop_broker(2)
    try:
        deadline = time.monotonic() + 60
        while True:
            metadata = await client3.metadata()
            listing = parse_topics_describe(
                kafka3.run_tool("kafka-topics", "--describe", "--under-replicated-partitions").stdout
            )
            ours = {(p.topic, p.partition) for p in metadata.partitions if p.under_replicated}
            # Both views settle once the controller has fenced broker 2.
            if ours and ours == set(listing) and all(2 not in p.isr for p in metadata.partitions):
                break
            assert time.monotonic() < deadline, f"kview {sorted(ours)} vs kafka {sorted(listing)}"
            await asyncio.sleep(1)
        assert metadata.under_replicated_count == len(listing)
        assert metadata.under_replicated_count > 0
    finally:
        kafka3.start_broker(2)
    deadline = time.monotonic() + 90
    while (await client3.metadata()).under_replicated_count:
        assert time.monotonic() < deadline, "ISR did not recover after restart"
        await asyncio.sleep(1)
