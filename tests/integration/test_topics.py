"""kview's topics backend against Kafka's own tools.

Three brokers: leaders, replicas and ISR equal ``kafka-topics --describe``,
watermarks equal ``kafka-get-offsets``, sizes equal ``kafka-log-dirs``, and
under-replicated marks equal ``--under-replicated-partitions`` while a broker
is down.  One broker: every operation, checked with the tools, its errors in
words, and every write refused on a read-only profile."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from aiokafka import AIOKafkaProducer
from kafka_tools import parse_get_offsets, parse_topics_describe

from kview.core.brokers import BrokerService
from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.config import adhoc_profile
from kview.core.errors import KafkaRequestError, ReadOnlyError
from kview.core.readonly import WRITE_ACTIONS
from kview.core.topics import TopicFormError, TopicService

# -- helpers --------------------------------------------------------------------------


def parse_log_dirs(output: str) -> dict[tuple[int, str, int], int]:
    """``kafka-log-dirs --describe`` JSON: (broker, topic, partition) -> size."""
    line = next(line for line in output.splitlines() if line.startswith("{"))
    sizes = {}
    for broker in json.loads(line)["brokers"]:
        for log_dir in broker["logDirs"]:
            for part in log_dir["partitions"]:
                if part["isFuture"]:
                    continue
                topic, _, partition = part["partition"].rpartition("-")
                sizes[(broker["broker"], topic, int(partition))] = part["size"]
    return sizes


def parse_topic_header(output: str, topic: str) -> dict[str, str]:
    """The ``Topic: x  TopicId: ..  PartitionCount: n  ReplicationFactor: r  Configs: ..`` line."""
    for line in output.splitlines():
        if line.startswith(f"Topic: {topic}\t"):
            return {k: v.strip() for k, v in re.findall(r"(\w+): ?([^\t]*)", line)}
    raise AssertionError(f"no header line for {topic} in:\n{output}")


def parse_config_lines(output: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """``kafka-configs --describe`` lines: name -> (value, [(synonym source, value), ...])."""
    configs = {}
    for line in output.splitlines():
        match = re.match(r"^\s+([^=\s]+)=(.*) sensitive=(?:true|false) synonyms=\{(.*)\}$", line)
        if match:
            synonyms = re.findall(r"([A-Z_]+):[^=]+=([^,]*)(?:, |$)", match.group(3))
            configs[match.group(1)] = (match.group(2), synonyms)
    return configs


def parse_dynamic_configs(output: str) -> dict[str, str]:
    """``kafka-configs --describe`` (no --all): the entity's own settings."""
    return {name: value for name, (value, _) in parse_config_lines(output).items()}


async def produce(bootstrap: str, topic: str, counts: dict[int, int]) -> None:
    """Write ``counts[p]`` small records to partition ``p`` and wait for acks."""
    producer = AIOKafkaProducer(**connection_kwargs(adhoc_profile(bootstrap)), acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(topic, f"record-{partition}-{i}".encode() * 4, partition=partition)
            for partition, count in counts.items()
            for i in range(count)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


@pytest.fixture
async def client3(kafka3):
    client = ClusterClient(adhoc_profile(kafka3.bootstrap))
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def client1(kafka):
    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    await client.start()
    yield client
    await client.close()


# -- three brokers --------------------------------------------------------------------


@pytest.fixture
async def replicated_topic(kafka3, client3, unique_name):
    """A 6-partition, RF 3 topic with different amounts of data per partition
    and records deleted from the start of one, so low watermarks differ too."""
    service = TopicService(client3)
    await service.create_topic(unique_name, 6, 3)
    await produce(kafka3.bootstrap, unique_name, {0: 30, 1: 5, 2: 0, 3: 17, 4: 1, 5: 60})
    await service.delete_records(unique_name, {3: 7})
    yield unique_name
    await service.delete_topic(unique_name)


async def test_partitions_and_watermarks_equal_kafka_tools(kafka3, client3, replicated_topic):
    service = TopicService(client3)
    detail = await service.topic_detail(replicated_topic)
    snapshot = await service.topics()

    described = parse_topics_describe(kafka3.run_tool("kafka-topics", "--describe", "--topic", replicated_topic).stdout)
    assert {p.partition: (p.leader, p.replicas, p.isr) for p in detail.partitions} == {
        key[1]: (p.leader, p.replicas, p.isr) for key, p in described.items()
    }

    high = parse_get_offsets(kafka3.run_tool("kafka-get-offsets", "--topic", replicated_topic, "--time", "-1").stdout)
    low = parse_get_offsets(kafka3.run_tool("kafka-get-offsets", "--topic", replicated_topic, "--time", "-2").stdout)
    assert {p.partition: (p.low, p.high) for p in detail.partitions} == {
        partition: (low[(topic, partition)], high[(topic, partition)]) for topic, partition in high
    }
    assert low[(replicated_topic, 3)] > 0  # the delete above really moved a low watermark

    row = snapshot.topic(replicated_topic)
    assert row is not None
    assert (row.partitions, row.replication_factor, row.internal) == (len(described), 3, False)
    assert row.messages == sum(high[k] - low[k] for k in high) == detail.messages
    assert row.under_replicated == 0 and row.offline == 0
    assert snapshot.problems == ()


async def test_sizes_equal_kafka_log_dirs(kafka3, client3, replicated_topic):
    service = TopicService(client3)
    detail = await service.topic_detail(replicated_topic)
    row = (await service.topics()).topic(replicated_topic)
    tool = parse_log_dirs(kafka3.run_tool("kafka-log-dirs", "--describe", "--topic-list", replicated_topic).stdout)

    ours = {
        (broker, replicated_topic, p.partition): size for p in detail.partitions for broker, size in p.replica_sizes
    }
    assert ours == tool
    assert any(size > 0 for size in tool.values())
    # size = the leader's replica, replicated_size = every replica (see kview.core.topics).
    leader_total = sum(tool[(p.leader, replicated_topic, p.partition)] for p in detail.partitions)
    assert detail.size == row.size == leader_total
    assert row.replicated_size == sum(tool.values())


async def test_rate_follows_high_watermark_deltas(kafka3, client3, replicated_topic):
    service = TopicService(client3)
    first_started = time.monotonic()
    first = await service.topics()
    first_done = time.monotonic()
    assert first.topic(replicated_topic).rate is None  # no earlier sample yet

    await produce(kafka3.bootstrap, replicated_topic, {0: 40, 1: 10})
    second_started = time.monotonic()
    second = await service.topics()
    second_done = time.monotonic()

    # Each sample is taken inside its refresh, so the interval between them
    # lies between these two wall-clock spans.
    rate = second.topic(replicated_topic).rate
    assert 50 / (second_done - first_started) <= rate <= 50 / (second_started - first_done)


async def test_under_replicated_marks_equal_kafka_while_a_broker_is_down(kafka3, client3, replicated_topic):
    service = TopicService(client3)
    brokers = BrokerService(client3)
    quorum = await brokers.quorum()
    # A broker other than the quorum leader: no controller election slows the test.
    stopped = next(n for n in (1, 2, 3) if n != quorum.leader_id)

    def under_replicated(output: str) -> set[tuple[str, int]]:
        return set(parse_topics_describe(output))

    kafka3.stop_broker(stopped)
    try:
        deadline = time.monotonic() + 90
        while True:
            detail = await service.topic_detail(replicated_topic)
            if all(stopped not in p.isr for p in detail.partitions):
                break
            assert time.monotonic() < deadline, "the ISR never shrank"
            await asyncio.sleep(0.5)

        # Compare whole-cluster sets; accept only a reading where kview's view
        # was the same just before and just after Kafka's tool ran.
        for _ in range(10):
            before_rows = (await service.topics()).topics
            before = {r.name: r.under_replicated for r in before_rows if r.under_replicated}
            tool = under_replicated(
                kafka3.run_tool("kafka-topics", "--describe", "--under-replicated-partitions").stdout
            )
            after_rows = (await service.topics()).topics
            after = {r.name: r.under_replicated for r in after_rows if r.under_replicated}
            if before == after:
                break
        tool_counts: dict[str, int] = {}
        for topic, _partition in tool:
            tool_counts[topic] = tool_counts.get(topic, 0) + 1
        assert after == tool_counts
        assert after[replicated_topic] == 6

        detail = await service.topic_detail(replicated_topic)
        assert {(replicated_topic, p.partition) for p in detail.partitions if p.under_replicated} == {
            key for key in tool if key[0] == replicated_topic
        }
        assert all(p.out_of_sync == (stopped,) for p in detail.partitions)
        assert all(p.leader != stopped for p in detail.partitions)

        # The brokers pane still lists the stopped broker, marked offline.
        row = (await brokers.brokers()).broker(stopped)
        assert row is not None and not row.online and row.replicas > 0
    finally:
        kafka3.start_broker(stopped)
        deadline = time.monotonic() + 120
        while True:
            detail = await service.topic_detail(replicated_topic)
            if not any(p.under_replicated for p in detail.partitions):
                break
            assert time.monotonic() < deadline, "the ISR did not recover after the restart"
            await asyncio.sleep(1)


async def test_offline_partitions_equal_kafka_while_their_only_broker_is_down(kafka3, client3, unique_name):
    """A replication-factor-1 topic placed on one broker, that broker stopped:
    kview's offline counts (the overview's cluster total, the topics table's
    per-topic count, the topic's partition rows) equal what
    ``kafka-topics --describe --unavailable-partitions`` lists."""
    service = TopicService(client3)
    quorum = await BrokerService(client3).quorum()
    # Not the quorum leader: no controller election slows the test.  One of
    # three combined nodes down leaves the quorum its majority.
    stopped = next(n for n in (1, 2, 3) if n != quorum.leader_id)
    other = next(n for n in (1, 2, 3) if n not in (stopped, quorum.leader_id))
    # Partitions 0 and 1 only on the broker that stops, partition 2 elsewhere.
    await asyncio.to_thread(
        kafka3.run_tool,
        "kafka-topics",
        "--create",
        "--topic",
        unique_name,
        "--replica-assignment",
        f"{stopped},{stopped},{other}",
    )
    deadline = time.monotonic() + 60
    while not (
        (topic := (await client3.metadata()).topic(unique_name)) and topic.partition_count == 3 and topic.offline == 0
    ):
        assert time.monotonic() < deadline, "the new topic never had leaders"
        await asyncio.sleep(0.2)
    assert {p.partition: p.replicas for p in topic.partitions} == {0: (stopped,), 1: (stopped,), 2: (other,)}

    def unavailable(output: str) -> set[tuple[str, int]]:
        return set(parse_topics_describe(output))

    kafka3.stop_broker(stopped)
    try:
        deadline = time.monotonic() + 90
        while (await client3.metadata()).topic(unique_name).offline < 2:
            assert time.monotonic() < deadline, "the stopped broker's partitions never went offline"
            await asyncio.sleep(0.5)

        # Whole-cluster comparison (other tests may have left topics on that
        # broker); accept only a reading where kview's view was the same just
        # before and just after Kafka's tool ran.
        for _ in range(10):
            before = await client3.metadata()
            tool = unavailable(
                (
                    await asyncio.to_thread(kafka3.run_tool, "kafka-topics", "--describe", "--unavailable-partitions")
                ).stdout
            )
            after = await client3.metadata()
            ours = {(p.topic, p.partition) for p in after.partitions if p.offline}
            if ours == {(p.topic, p.partition) for p in before.partitions if p.offline}:
                break
        assert ours == tool
        assert {key for key in tool if key[0] == unique_name} == {(unique_name, 0), (unique_name, 1)}
        # The overview's count, the topics table and the topic's rows agree.
        assert after.offline_count == len(tool)
        tool_counts: dict[str, int] = {}
        for topic_name, _partition in tool:
            tool_counts[topic_name] = tool_counts.get(topic_name, 0) + 1
        rows = (await service.topics()).topics
        assert {r.name: r.offline for r in rows if r.offline} == tool_counts
        detail = await service.topic_detail(unique_name)
        assert {p.partition for p in detail.partitions if p.offline} == {0, 1}
        assert all(p.leader == -1 for p in detail.partitions if p.offline)
    finally:
        kafka3.start_broker(stopped)
        # Leave the cluster as the other tests expect it: every broker back,
        # nothing offline or under-replicated.
        deadline = time.monotonic() + 120
        while True:
            metadata = await client3.metadata()
            if len(metadata.brokers) == 3 and metadata.offline_count == 0 and metadata.under_replicated_count == 0:
                break
            assert time.monotonic() < deadline, "the cluster did not recover after the restart"
            await asyncio.sleep(1)
        await service.delete_topic(unique_name)


# -- one broker: operations -------------------------------------------------------------


async def test_create_topic_then_kafka_describes_it(kafka, client1, unique_name):
    service = TopicService(client1)
    spec = await service.create_topic(unique_name, "4", 1, {"retention.ms": "3600000", "cleanup.policy": "compact"})
    assert (spec.partitions, spec.replication_factor) == (4, 1)

    output = kafka.run_tool("kafka-topics", "--describe", "--topic", unique_name).stdout
    header = parse_topic_header(output, unique_name)
    assert (header["PartitionCount"], header["ReplicationFactor"]) == ("4", "1")
    assert "retention.ms=3600000" in header["Configs"] and "cleanup.policy=compact" in header["Configs"]

    # Our own view agrees right after the call returns.
    detail = await service.topic_detail(unique_name)
    assert len(detail.partitions) == 4
    tool = parse_config_lines(
        kafka.run_tool("kafka-configs", "--describe", "--entity-type", "topics", "--entity-name", unique_name).stdout
    )
    assert (
        {c.name: c.value for c in detail.overrides}
        == {name: value for name, (value, _) in tool.items()}
        == {"retention.ms": "3600000", "cleanup.policy": "compact"}
    )
    for name, (_, synonyms) in tool.items():
        entry = detail.config(name)
        assert entry.source == synonyms[0][0] == "DYNAMIC_TOPIC_CONFIG" and entry.non_default
        # The value a delete would fall back to is the next synonym, if Kafka names one.
        expected = synonyms[1] if len(synonyms) > 1 else (None, None)
        assert (entry.fallback_source, entry.fallback) == expected
    assert detail.config("cleanup.policy").fallback == "delete"
    assert detail.config("segment.ms").is_default

    await service.delete_topic(unique_name)
    listed = kafka.run_tool("kafka-topics", "--list").stdout.split()
    assert unique_name not in listed


async def test_kafka_errors_come_back_in_words(kafka, client1, unique_name):
    service = TopicService(client1)
    await service.create_topic(unique_name, 1, 1)
    try:
        with pytest.raises(KafkaRequestError) as exists:
            await service.create_topic(unique_name, 1, 1)
        assert exists.value.name == "TopicAlreadyExists"
        assert str(exists.value).startswith(f"{unique_name}: TopicAlreadyExists")

        with pytest.raises(KafkaRequestError) as bad_value:
            await service.create_topic(unique_name + "-x", 1, 1, {"retention.ms": "soon"})
        assert bad_value.value.name == "InvalidConfiguration"
        assert "retention.ms" in str(bad_value.value)

        with pytest.raises(KafkaRequestError) as bad_alter:
            await service.alter_configs(unique_name, {"cleanup.policy": "sometimes"})
        assert bad_alter.value.name == "InvalidConfiguration"

        with pytest.raises(KafkaRequestError) as missing:
            await service.delete_topic(unique_name + "-missing")
        assert missing.value.name == "UnknownTopicOrPartition"
    finally:
        await service.delete_topic(unique_name)


async def test_replication_factor_is_refused_before_sending_like_kafka_would(kafka, client1, unique_name):
    service = TopicService(client1)
    with pytest.raises(TopicFormError) as info:
        await service.create_topic(unique_name, 1, 3)
    assert info.value.problems == {"replication_factor": "3 replicas need 3 brokers; the cluster has 1"}
    # Kafka's own tool, sending the same request, gets InvalidReplicationFactor.
    tool = kafka.run_tool(
        "kafka-topics",
        "--create",
        "--topic",
        unique_name,
        "--partitions",
        "1",
        "--replication-factor",
        "3",
        check=False,
    )
    assert tool.returncode != 0 and "InvalidReplicationFactor" in tool.stdout + tool.stderr
    # An invalid form sends nothing: the topic does not exist afterwards.
    with pytest.raises(TopicFormError):
        await service.create_topic(unique_name, 0, 1, {"retention.ms": 5})
    assert unique_name not in kafka.run_tool("kafka-topics", "--list").stdout.split()


async def test_add_partitions(kafka, client1, unique_name):
    service = TopicService(client1)
    await service.create_topic(unique_name, 2, 1)
    try:
        assert await service.add_partitions(unique_name, 5) == 5
        header = parse_topic_header(
            kafka.run_tool("kafka-topics", "--describe", "--topic", unique_name).stdout, unique_name
        )
        assert header["PartitionCount"] == "5"
        with pytest.raises(TopicFormError, match="only be increased: the topic has 5"):
            await service.add_partitions(unique_name, 3)
    finally:
        await service.delete_topic(unique_name)


async def test_alter_configs_incrementally(kafka, client1, unique_name):
    service = TopicService(client1)
    await service.create_topic(unique_name, 1, 1, {"retention.ms": "100000", "max.message.bytes": "5000"})

    def kafka_view() -> dict[str, str]:
        return parse_dynamic_configs(
            kafka.run_tool(
                "kafka-configs", "--describe", "--entity-type", "topics", "--entity-name", unique_name
            ).stdout
        )

    try:
        changes = {"retention.ms": None, "cleanup.policy": "compact", "segment.ms": "7200000"}
        plan = await service.plan_config_changes(unique_name, changes)
        assert [(c.name, c.op, c.old, c.new) for c in plan] == [
            ("cleanup.policy", "set", "delete", "compact"),
            # Kafka names no synonym behind retention.ms (its default comes
            # from log.retention.hours), so the value after the delete is unknown.
            ("retention.ms", "delete", "100000", None),
            ("segment.ms", "set", "604800000", "7200000"),
        ]
        applied = await service.alter_configs(unique_name, changes)
        assert applied == plan
        # Incremental: max.message.bytes, not mentioned, is kept.
        assert kafka_view() == {"cleanup.policy": "compact", "segment.ms": "7200000", "max.message.bytes": "5000"}
        assert await service.plan_config_changes(unique_name, changes) == ()  # nothing left to do

        dry = await service.alter_configs(unique_name, {"segment.ms": "100000"}, validate_only=True)
        assert [c.new for c in dry] == ["100000"]
        assert kafka_view()["segment.ms"] == "7200000"
    finally:
        await service.delete_topic(unique_name)


async def test_delete_records_moves_low_watermarks(kafka, client1, unique_name):
    service = TopicService(client1)
    await service.create_topic(unique_name, 3, 1)

    def low_watermarks() -> dict[int, int]:
        output = kafka.run_tool("kafka-get-offsets", "--topic", unique_name, "--time", "-2").stdout
        return {p: offset for (_, p), offset in parse_get_offsets(output).items()}

    try:
        await produce(kafka.bootstrap, unique_name, {0: 10, 1: 6, 2: 3})
        assert await service.delete_records(unique_name, {0: 4}) == {0: 4}
        assert low_watermarks() == {0: 4, 1: 0, 2: 0}

        with pytest.raises(TopicFormError, match="past the high watermark 6"):
            await service.delete_records(unique_name, {1: 7})

        assert await service.truncate_topic(unique_name) == {0: 10, 1: 6, 2: 3}
        assert low_watermarks() == {0: 10, 1: 6, 2: 3}
        detail = await service.topic_detail(unique_name)
        assert detail.messages == 0
    finally:
        await service.delete_topic(unique_name)


async def test_every_write_is_refused_on_a_read_only_profile(kafka, client1, unique_name):
    writer = TopicService(client1)
    await writer.create_topic(unique_name, 1, 1)
    read_only = ClusterClient(adhoc_profile(kafka.bootstrap, read_only=True))
    service = TopicService(read_only)
    try:
        attempts = {
            "create topic": lambda: service.create_topic(unique_name + "-new", 1, 1),
            "delete topic": lambda: service.delete_topic(unique_name),
            "add partitions": lambda: service.add_partitions(unique_name, 2),
            "alter topic configs": lambda: service.alter_configs(unique_name, {"retention.ms": "1000"}),
            "delete records": lambda: service.delete_records(unique_name, {0: 0}),
            "truncate topic": lambda: service.truncate_topic(unique_name),
        }
        ours = {action for action, where in WRITE_ACTIONS.items() if where.startswith("TopicService.")}
        assert set(attempts) == ours
        for action, attempt in attempts.items():
            with pytest.raises(ReadOnlyError, match=action):
                await attempt()
        # Reads still work, and nothing was changed.
        detail = await service.topic_detail(unique_name)
        assert len(detail.partitions) == 1 and detail.overrides == ()
        listed = kafka.run_tool("kafka-topics", "--list").stdout.split()
        assert unique_name in listed and unique_name + "-new" not in listed
    finally:
        await read_only.close()
        await writer.delete_topic(unique_name)
