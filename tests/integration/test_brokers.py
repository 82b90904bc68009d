"""kview's brokers backend against Kafka's own tools on the three-broker cluster:
broker listing, leader/replica counts, log dirs, broker configs and the KRaft
quorum (``kafka-metadata-quorum describe --status`` / ``--replication``)."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections import Counter

import pytest
from kafka_tools import parse_api_versions_brokers, parse_quorum_status, parse_topics_describe

from kview.core.brokers import BrokerService
from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile


def parse_quorum_replication(output: str) -> dict[int, dict[str, str]]:
    """``kafka-metadata-quorum describe --replication``: node id -> column -> text."""
    lines = [line for line in output.splitlines() if line.strip()]
    header = lines[0].split()
    rows = {}
    for line in lines[1:]:
        values = line.split()
        row = dict(zip(header, values, strict=True))
        rows[int(row["NodeId"])] = row
    return rows


def parse_log_dirs_by_broker(output: str) -> dict[int, dict[str, int]]:
    """``kafka-log-dirs --describe`` JSON: broker -> log dir -> bytes of its partitions."""
    line = next(line for line in output.splitlines() if line.startswith("{"))
    return {
        broker["broker"]: {d["logDir"]: sum(p["size"] for p in d["partitions"]) for d in broker["logDirs"]}
        for broker in json.loads(line)["brokers"]
    }


def parse_all_configs(output: str) -> dict[str, tuple[str, str | None]]:
    """``kafka-configs --describe --all``: name -> (value, source of the first synonym)."""
    configs = {}
    for line in output.splitlines():
        match = re.match(r"^\s+([^=\s]+)=(.*) sensitive=(?:true|false) synonyms=\{(.*)\}$", line)
        if match:
            source = match.group(3).split(":", 1)[0] if match.group(3) else None
            configs[match.group(1)] = (match.group(2), source)
    return configs


@pytest.fixture
async def client3(kafka3):
    client = ClusterClient(adhoc_profile(kafka3.bootstrap))
    await client.start()
    yield client
    await client.close()


@pytest.fixture(scope="module")
def some_data(kafka3):
    """A replicated topic with data, so leader counts and log dirs are not trivial."""
    name = "brokers-pane-data"
    kafka3.run_tool(
        "kafka-topics", "--create", "--if-not-exists", "--topic", name, "--partitions", "5", "--replication-factor", "2"
    )
    kafka3.run_tool("kafka-console-producer", "--topic", name, input="".join(f"r{i}\n" for i in range(200)))
    yield name
    kafka3.run_tool("kafka-topics", "--delete", "--topic", name, check=False)


async def test_brokers_equal_kafka_listing_and_controller_is_quorum_leader(kafka3, client3):
    snapshot = await BrokerService(client3).brokers()
    tool = parse_api_versions_brokers(kafka3.run_tool("kafka-broker-api-versions").stdout)
    assert {b.node_id: (b.address, b.rack) for b in snapshot.brokers} == tool
    # Each broker of the harness's three has its own rack (a one-broker
    # cluster has none): the racks compared above are real values.
    assert len({rack for _address, rack in tool.values()} - {None}) == 3
    assert all(b.online for b in snapshot.brokers)

    status = parse_quorum_status(kafka3.run_tool("kafka-metadata-quorum", "describe", "--status").stdout)
    assert [b.node_id for b in snapshot.brokers if b.is_controller] == [int(status["LeaderId"])]
    assert snapshot.controller_id == int(status["LeaderId"])
    assert snapshot.cluster_id == status["ClusterId"]


async def test_leader_and_replica_counts_equal_kafka_topics(kafka3, client3, some_data):
    service = BrokerService(client3)
    for _ in range(5):  # accept a reading where nothing moved while the tool ran
        before = await service.brokers()
        described = parse_topics_describe(kafka3.run_tool("kafka-topics", "--describe").stdout)
        after = await service.brokers()
        counts_before = {b.node_id: (b.leaders, b.replicas) for b in before.brokers}
        if counts_before == {b.node_id: (b.leaders, b.replicas) for b in after.brokers}:
            break
    leaders = Counter(p.leader for p in described.values() if p.leader >= 0)
    replicas = Counter(r for p in described.values() for r in p.replicas)
    assert counts_before == {n: (leaders[n], replicas[n]) for n in (1, 2, 3)}
    assert sum(leaders.values()) >= 5


async def test_log_dirs_equal_kafka_log_dirs(kafka3, client3, some_data):
    service = BrokerService(client3)
    for _ in range(5):
        before = await service.brokers()
        tool = parse_log_dirs_by_broker(kafka3.run_tool("kafka-log-dirs", "--describe").stdout)
        after = await service.brokers()
        sizes_before = {b.node_id: {d.path: d.size for d in b.log_dirs} for b in before.brokers}
        if sizes_before == {b.node_id: {d.path: d.size for d in b.log_dirs} for b in after.brokers}:
            break
    assert sizes_before == tool
    assert all(b.log_dir_size == sum(tool[b.node_id].values()) for b in before.brokers)
    assert any(b.log_dir_size > 0 for b in before.brokers)

    # total/usable bytes (v4+) describe the volume holding each dir: the same
    # figures the operating system reports for it.
    for broker in before.brokers:
        for log_dir in broker.log_dirs:
            assert log_dir.error is None
            stat = os.statvfs(log_dir.path)
            assert log_dir.total_bytes == stat.f_blocks * stat.f_frsize
            # Free space moves with everything else on the disk; allow 1 GiB.
            assert abs(log_dir.usable_bytes - stat.f_bavail * stat.f_frsize) < 2**30
        assert 0.0 <= broker.used_fraction <= 1.0


async def test_quorum_equals_kafka_metadata_quorum(kafka3, client3):
    service = BrokerService(client3)
    before = await service.quorum()
    status = parse_quorum_status(kafka3.run_tool("kafka-metadata-quorum", "describe", "--status").stdout)
    replication = parse_quorum_replication(kafka3.run_tool("kafka-metadata-quorum", "describe", "--replication").stdout)
    after = await service.quorum()

    assert before.leader_id == after.leader_id == int(status["LeaderId"])
    assert before.leader_epoch == int(status["LeaderEpoch"])
    # The metadata log grows all the time: the tool's figures lie between ours.
    assert before.high_watermark <= int(status["HighWatermark"]) <= after.high_watermark

    voters = {v["id"]: tuple(v["endpoints"]) for v in json.loads(status["CurrentVoters"])}
    assert {v.node_id for v in before.voters} == set(voters) == {1, 2, 3}
    assert before.endpoints == voters
    assert [o.node_id for o in before.observers] == [o["id"] for o in json.loads(status["CurrentObservers"])]

    ours_before = {r.node_id: r for r in before.replicas}
    ours_after = {r.node_id: r for r in after.replicas}
    assert set(ours_before) == set(replication)
    for node, row in replication.items():
        mine, later = ours_before[node], ours_after[node]
        assert mine.status == row["Status"]
        assert mine.directory_id == row["DirectoryId"]
        assert mine.log_end_offset <= int(row["LogEndOffset"]) <= later.log_end_offset
        assert mine.last_fetch_timestamp <= int(row["LastFetchTimestamp"]) <= later.last_fetch_timestamp
    assert [r.node_id for r in before.voters if r.status == "Leader"] == [before.leader_id]


async def test_broker_configs_mark_non_defaults_like_kafka_configs(kafka3, client3):
    service = BrokerService(client3)
    kafka3.run_tool(
        "kafka-configs",
        "--alter",
        "--entity-type",
        "brokers",
        "--entity-name",
        "1",
        "--add-config",
        "log.cleaner.backoff.ms=16000",
    )
    try:
        # The broker applies a dynamic config when it reads it from the metadata
        # log, a moment after the tool returns: wait until it reports it.
        for _ in range(60):
            ours = {c.name: c for c in await service.broker_configs(1)}
            if ours["log.cleaner.backoff.ms"].value == "16000":
                break
            await asyncio.sleep(0.25)
        tool = parse_all_configs(
            kafka3.run_tool(
                "kafka-configs", "--describe", "--entity-type", "brokers", "--entity-name", "1", "--all"
            ).stdout
        )
        assert set(ours) == set(tool)
        for name, (value, source) in tool.items():
            entry = ours[name]
            assert ("null" if entry.value is None else entry.value) == value, name
            if source is not None:
                assert entry.source == source, name
            assert entry.non_default == (source not in (None, "DEFAULT_CONFIG")), name

        backoff = ours["log.cleaner.backoff.ms"]
        assert (backoff.value, backoff.source, backoff.dynamic) == ("16000", "DYNAMIC_BROKER_CONFIG", True)
        assert (backoff.fallback, backoff.fallback_source) == ("15000", "DEFAULT_CONFIG")
        static = ours["broker.session.timeout.ms"]  # set in the dev cluster's server.properties
        assert static.source == "STATIC_BROKER_CONFIG" and static.non_default and not static.dynamic
        assert ours["background.threads"].is_default
    finally:
        kafka3.run_tool(
            "kafka-configs",
            "--alter",
            "--entity-type",
            "brokers",
            "--entity-name",
            "1",
            "--delete-config",
            "log.cleaner.backoff.ms",
        )
