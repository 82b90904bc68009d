"""Read-only mode, walked over every write path of the backend: each guarded
method is called on a read-only profile, each is refused with the same clear
message, and the cluster is unchanged afterwards (checked with Kafka's tools)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiokafka import TopicPartition

from kview.core.cluster import ClusterClient
from kview.core.config import RegistrySettings, adhoc_profile
from kview.core.errors import ReadOnlyError
from kview.core.groups import GroupService, ResetSpec
from kview.core.produce import ComposedMessage, LoadSpec, ProduceService
from kview.core.readonly import WRITE_ACTIONS, WRITE_METHODS, RegistryWrites, refuse_message
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.models import Schema
from kview.core.topics import TopicService


def cluster_state(kafka, topic: str, group: str) -> tuple[str, str, str, str]:
    """Everything a write could change, as Kafka's own tools print it."""
    return (
        kafka.run_tool("kafka-topics", "--list").stdout,
        kafka.run_tool("kafka-topics", "--describe", "--topic", topic).stdout.replace("\t", " "),
        kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-2").stdout
        + kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-1").stdout,
        kafka.run_tool("kafka-consumer-groups", "--describe", "--group", group, "--offsets").stdout,
    )


@pytest.fixture
async def fixture_data(kafka, unique_name, tmp_path):
    topic, group = f"ro-{unique_name}", f"ro-group-{unique_name}"
    kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "2")
    kafka.run_tool("kafka-console-producer", "--topic", topic, input="a\nb\nc\nd\n")
    writer = ClusterClient(adhoc_profile(kafka.bootstrap))
    try:
        await GroupService(writer).commit_offsets(group, {TopicPartition(topic, 0): 1})
    finally:
        await writer.close()
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text('{"key": "k", "value": "v"}\n')
    return topic, group, jsonl


async def test_every_write_is_refused_and_nothing_changes(kafka, fixture_data):
    topic, group, jsonl = fixture_data
    profile = replace(adhoc_profile(kafka.bootstrap), read_only=True)
    client = ClusterClient(profile)
    topics, groups, producer = TopicService(client), GroupService(client), ProduceService(client)
    # The registry's writes are refused before any request: no registry is needed behind the URL.
    registry = RegistryClient(RegistrySettings(urls=("http://127.0.0.1:1",)))
    schemas = RegistryWrites(registry, profile.read_only)
    before = cluster_state(kafka, topic, group)
    calls = {
        "TopicService.create_topic": lambda: topics.create_topic(f"{topic}-new", 1, 1),
        "TopicService.delete_topic": lambda: topics.delete_topic(topic),
        "TopicService.add_partitions": lambda: topics.add_partitions(topic, 4),
        "TopicService.alter_configs": lambda: topics.alter_configs(topic, {"retention.ms": "1000"}),
        "TopicService.delete_records": lambda: topics.delete_records(topic, {0: 1}),
        "TopicService.truncate_topic": lambda: topics.truncate_topic(topic),
        "GroupService.apply_reset": lambda: groups.apply_reset(group, ResetSpec("earliest")),
        "GroupService.commit_offsets": lambda: groups.commit_offsets(group, {TopicPartition(topic, 0): 0}),
        "GroupService.delete_group": lambda: groups.delete_group(group),
        "GroupService.delete_offsets": lambda: groups.delete_offsets(group, topic),
        "GroupService.apply_share_reset": lambda: groups.apply_share_reset(group, ResetSpec("earliest")),
        "ProduceService.send": lambda: producer.send(ComposedMessage(topic, "k", "v")),
        "ProduceService.start_load": lambda: producer.start_load(LoadSpec(topic, value="x", count=10)),
        "ProduceService.run_load": lambda: producer.run_load(LoadSpec(topic, value="x", count=10)),
        "ProduceService.start_import": lambda: producer.start_import(jsonl, topic),
        "ProduceService.import_file": lambda: producer.import_file(jsonl, topic),
        "RegistryWrites.register": lambda: schemas.register(f"{topic}-value", Schema("AVRO", '"string"')),
        "RegistryWrites.set_compatibility": lambda: schemas.set_compatibility(f"{topic}-value", "NONE"),
        "RegistryWrites.delete_version": lambda: schemas.delete_version(f"{topic}-value", 1),
        "RegistryWrites.delete_subject": lambda: schemas.delete_subject(f"{topic}-value"),
    }
    # A write method added to the backend without a line here fails this test.
    assert set(calls) == set(WRITE_METHODS), set(WRITE_METHODS) ^ set(calls)
    try:
        for qualname, call in calls.items():
            with pytest.raises(ReadOnlyError) as info:
                await call()
            assert str(info.value) == refuse_message(WRITE_METHODS[qualname])
    finally:
        await producer.close()
        await groups.close()
        await registry.close()
        await client.close()
    assert registry.requests == 0
    assert set(WRITE_METHODS.values()) == set(WRITE_ACTIONS)
    assert cluster_state(kafka, topic, group) == before
