"""Read-only mode, walked over every write path of the backend: each guarded
method is called on a read-only profile, each is refused with the same clear
message, and the cluster is unchanged afterwards (checked with Kafka's tools)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiokafka import TopicPartition

from kview.core.access import AccessService, AclFilter, new_binding
from kview.core.cluster import ClusterClient
from kview.core.config import RegistrySettings, Secret, adhoc_profile
from kview.core.errors import ReadOnlyError
from kview.core.groups import GroupService, ResetSpec
from kview.core.groups.offsets_file import OffsetsFiles
from kview.core.produce import ComposedMessage, LoadSpec, ProduceService
from kview.core.readonly import WRITE_ACTIONS, WRITE_METHODS, RegistryWrites, refuse_message
from kview.core.reassign.models import ElectionType
from kview.core.reassign.service import ReassignService
from kview.core.replay import CopySpec, RecordCopier
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.models import Schema
from kview.core.topics import TopicService
from kview.core.transactions import TransactionService


def cluster_state(kafka, topic: str, group: str) -> tuple[str, ...]:
    """Everything a write could change, as Kafka's own tools print it."""
    return (
        kafka.run_tool("kafka-topics", "--list").stdout,
        kafka.run_tool("kafka-topics", "--describe", "--topic", topic).stdout.replace("\t", " "),
        kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-2").stdout
        + kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-1").stdout,
        kafka.run_tool("kafka-consumer-groups", "--describe", "--group", group, "--offsets").stdout,
        # SCRAM users and user quotas (the access writes)
        kafka.run_tool("kafka-configs", "--describe", "--entity-type", "users").stdout,
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
    reassign = ReassignService(client)
    # The registry's writes are refused before any request: no registry is needed behind the URL.
    registry = RegistryClient(RegistrySettings(urls=("http://127.0.0.1:1",)))
    schemas = RegistryWrites(registry, profile.read_only)
    transactions = TransactionService(client)
    access = AccessService(client)
    binding = new_binding(principal="User:ro", operation="READ", resource_type="TOPIC", resource_name=topic)
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
        "TransactionService.abort": lambda: transactions.abort(topic, 0, 0),
        "ReassignService.elect_leaders": lambda: reassign.elect_leaders([(topic, 0)], ElectionType.UNCLEAN),
        "ReassignService.apply": lambda: reassign.apply({(topic, 0): (1,)}, throttle=1000),
        "ReassignService.cancel": lambda: reassign.cancel(),
        "ReassignService.remove_throttles": lambda: reassign.remove_throttles(),
        "AccessService.create_acls": lambda: access.create_acls([binding]),
        "AccessService.delete_acls": lambda: access.delete_acls([AclFilter(principal="User:ro")]),
        "AccessService.set_password": lambda: access.set_password("ro-user", Secret("ro-password")),
        "AccessService.delete_user": lambda: access.delete_user("ro-user", ["SCRAM-SHA-512"]),
        "AccessService.set_quota": lambda: access.set_quota((("user", "ro-user"),), "producer_byte_rate", 1024),
        "AccessService.remove_quota": lambda: access.remove_quota((("user", "ro-user"),), ["producer_byte_rate"]),
        "RecordCopier.copy": lambda: RecordCopier(client).copy(CopySpec(topic, f"{topic}-copy")),
        "OffsetsFiles.apply": lambda: OffsetsFiles(groups).apply(group, {(topic, 0): 0}),
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
