"""Producing with a schema, against the real broker and the real registry
(Apicurio's Confluent-compatible API): through the core produce service
(single sends, a templated load, a file import) and headless ``kview
produce``.  What kview writes is read back raw and decoded with Confluent's
own deserializers (confluent-kafka's AvroDeserializer, ProtobufDeserializer,
JSONDeserializer) to the values sent; a record that does not fit is refused
with its field path and nothing reaches the topic (kafka-get-offsets)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from confluent_kafka.schema_registry import Schema as ConfluentSchema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from kafka_tools import parse_get_offsets

from kview.core.cluster import ClusterClient
from kview.core.config import RegistrySettings, adhoc_profile
from kview.core.errors import ReadOnlyError
from kview.core.importers import ImportFileError
from kview.core.produce import (
    ComposedMessage,
    InvalidMessage,
    JobState,
    LoadSpec,
    ProduceError,
    ProduceService,
    SchemaChoice,
    SchemaMismatch,
)
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.errors import RegistryError
from kview.core.templates import MessageTemplate

ORDER_AVRO = {
    "type": "record",
    "name": "Order",
    "namespace": "kview.test",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "item", "type": "string"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}, "default": "A"},
    ],
}

SHOP_PROTO = """
syntax = "proto3";
package kview.test;

message Ping {
  string from = 1;
}

message Order {
  int32 id = 1;
  string item = 2;
  Line line = 3;
  message Line {
    int32 qty = 1;
    string sku = 2;
  }
}
"""

ORDER_JSON_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "item": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["id", "item"],
    "additionalProperties": False,
}


# -- helpers ---------------------------------------------------------------------------


def create_topic(kafka, name: str, partitions: int = 1) -> None:
    kafka.run_tool(
        "kafka-topics", "--create", "--topic", name, "--partitions", str(partitions), "--replication-factor", "1"
    )


def end_offsets(kafka, topic: str) -> dict[int, int]:
    """Log-end offset per partition, as kafka-get-offsets prints them."""
    found = parse_get_offsets(kafka.run_tool("kafka-get-offsets", "--topic", topic).stdout)
    offsets = {partition: offset for (name, partition), offset in found.items() if name == topic}
    assert offsets
    return offsets


async def raw_records(kafka, topic: str, count: int, *, partitions: int = 1, bound: float = 60.0) -> list:
    """The topic's first ``count`` records as Kafka holds them (bytes), in
    partition then offset order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        found: list = []
        async with asyncio.timeout(bound):
            while len(found) < count:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    found.extend(records)
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


def register(registry, subject: str, schema_type: str, text: str) -> int:
    """Register with Confluent's own client (so what kview reads was written by another)."""
    return SchemaRegistryClient({"url": registry.url}).register_schema(subject, ConfluentSchema(text, schema_type))


def value_context(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


def protobuf_classes(tmp_path: Path, text: str, filename: str = "shop.proto") -> dict[str, type]:
    """Message classes for a .proto text, compiled by protoc (grpc_tools) into a
    descriptor set: what a Confluent user's generated code would give."""
    from grpc_tools import protoc

    source = tmp_path / "proto"
    source.mkdir(exist_ok=True)
    (source / filename).write_text(text)
    out = tmp_path / "shop.desc"
    code = protoc.main(["protoc", f"-I{source}", f"--descriptor_set_out={out}", str(source / filename)])
    assert code == 0
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    classes = {}
    for file in files.file:
        for message in file.message_type:
            name = f"{file.package}.{message.name}"
            classes[name] = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
    return classes


@pytest.fixture
async def registry_client(registry):
    client = RegistryClient(RegistrySettings(urls=(registry.url,)))
    yield client
    await client.close()


@pytest.fixture
async def service(kafka, registry, registry_client):
    profile = dataclasses.replace(
        adhoc_profile(kafka.bootstrap), schema_registry=RegistrySettings(urls=(registry.url,))
    )
    client = ClusterClient(profile)
    svc = ProduceService(client, registry=registry_client)
    yield svc
    await svc.close()
    await client.close()


def with_value_schema(service: ProduceService, **choice) -> None:
    service.settings = dataclasses.replace(service.settings, value_schema=SchemaChoice(**choice))


# -- single sends, each type decoded by Confluent's deserializers ------------------------


async def test_avro_key_and_value_decode_with_confluents_deserializer(kafka, registry, service, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    value_id = register(registry, f"{topic}-value", "AVRO", json.dumps(ORDER_AVRO))
    key_id = register(registry, f"{topic}-key", "AVRO", '"string"')
    # No subject named: <topic>-key and <topic>-value (TopicNameStrategy).
    service.settings = dataclasses.replace(service.settings, key_schema=SchemaChoice(), value_schema=SchemaChoice())
    sent = [
        {"id": 1, "item": "apple", "note": None, "kind": "A"},
        {"id": 2**40, "item": "pear ✓", "note": "ripe", "kind": "B"},
    ]
    results = []
    for n, doc in enumerate(sent):
        # Avro's JSON encoding of a union names the branch; kview takes the plain value too.
        results.append(await service.send(ComposedMessage(topic, json.dumps(f"k{n}"), json.dumps(doc))))
    assert [r.offset for r in results] == [0, 1]
    assert {(r.value_schema.subject, r.value_schema.id, r.value_schema.version) for r in results} == {
        (f"{topic}-value", value_id, 1)
    }
    assert {r.key_schema.id for r in results} == {key_id}

    sr = SchemaRegistryClient({"url": registry.url})
    values = AvroDeserializer(sr)
    keys = AvroDeserializer(sr)
    records = await raw_records(kafka, topic, 2)
    assert [values(r.value, value_context(topic)) for r in records] == sent
    key_context = SerializationContext(topic, MessageField.KEY)
    assert [keys(r.key, key_context) for r in records] == ["k0", "k1"]
    # The framing itself: magic byte 0, then the registered id, big-endian.
    assert {r.value[:5] for r in records} == {b"\0" + value_id.to_bytes(4, "big")}


async def test_latest_follows_a_newly_registered_version(kafka, registry, service, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    v1 = {"type": "record", "name": "Item", "fields": [{"name": "id", "type": "long"}]}
    v2 = {**v1, "fields": [*v1["fields"], {"name": "size", "type": "string", "default": "M"}]}
    first_id = register(registry, f"{topic}-value", "AVRO", json.dumps(v1))
    with_value_schema(service)
    with pytest.raises(SchemaMismatch, match=r"v1 .*size"):  # not a field of v1
        await service.send(ComposedMessage(topic, None, '{"id": 1, "size": "L"}'))
    one = await service.send(ComposedMessage(topic, None, '{"id": 1}'))
    second_id = register(registry, f"{topic}-value", "AVRO", json.dumps(v2))
    two = await service.send(ComposedMessage(topic, None, '{"id": 2, "size": "L"}'))
    assert (one.value_schema.version, one.value_schema.id) == (1, first_id)
    assert (two.value_schema.version, two.value_schema.id) == (2, second_id) and second_id != first_id
    # A chosen version stays: v1 refuses the new field still.
    with_value_schema(service, version=1)
    with pytest.raises(SchemaMismatch, match="size"):
        await service.send(ComposedMessage(topic, None, '{"id": 3, "size": "S"}'))
    values = AvroDeserializer(SchemaRegistryClient({"url": registry.url}))
    assert [values(r.value, value_context(topic)) for r in await raw_records(kafka, topic, 2)] == [
        {"id": 1},
        {"id": 2, "size": "L"},
    ]


async def test_protobuf_value_default_and_named_message(kafka, registry, service, unique_name, tmp_path):
    topic = unique_name
    create_topic(kafka, topic)
    schema_id = register(registry, f"{topic}-value", "PROTOBUF", SHOP_PROTO)
    classes = protobuf_classes(tmp_path, SHOP_PROTO)

    with_value_schema(service)  # the first message: Ping
    ping = {"from": "kview"}
    await service.send(ComposedMessage(topic, None, json.dumps(ping)))
    with_value_schema(service, message="kview.test.Order")
    order = {"id": 7, "item": "box", "line": {"qty": 3, "sku": "B-1"}}
    result = await service.send(ComposedMessage(topic, None, json.dumps(order)))
    assert result.value_schema.id == schema_id and result.offset == 1

    records = await raw_records(kafka, topic, 2)
    conf = {"use.deprecated.format": False}
    first = ProtobufDeserializer(classes["kview.test.Ping"], conf)(records[0].value, value_context(topic))
    second = ProtobufDeserializer(classes["kview.test.Order"], conf)(records[1].value, value_context(topic))
    assert json_format.MessageToDict(first, preserving_proto_field_name=True) == ping
    assert json_format.MessageToDict(second, preserving_proto_field_name=True) == order


async def test_json_schema_value_decodes_with_confluents_deserializer(kafka, registry, service, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    text = json.dumps(ORDER_JSON_SCHEMA)
    subject = f"{unique_name}-orders"  # a subject of its own name, not the topic's
    schema_id = register(registry, subject, "JSON", text)
    with_value_schema(service, subject=subject, version=1)
    doc = {"id": 3, "item": "lamp", "tags": ["x", "y"]}
    result = await service.send(ComposedMessage(topic, "k", json.dumps(doc)))
    assert (result.value_schema.subject, result.value_schema.version, result.value_schema.id) == (
        subject,
        1,
        schema_id,
    )
    (record,) = await raw_records(kafka, topic, 1)
    assert record.key == b"k"  # the key has no schema: its text, as typed
    assert JSONDeserializer(text)(record.value, value_context(topic)) == doc


# -- refusals: nothing sent ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema_type", "schema", "bad", "path"),
    [
        ("AVRO", json.dumps(ORDER_AVRO), {"id": "seven", "item": "x"}, "id"),
        ("AVRO", json.dumps(ORDER_AVRO), {"id": 1, "item": "x", "kind": "C"}, "kind"),
        ("JSON", json.dumps(ORDER_JSON_SCHEMA), {"id": 1, "item": "x", "tags": ["ok", 5]}, "tags"),
        ("PROTOBUF", SHOP_PROTO, {"from": 12}, "from"),
    ],
    ids=["avro-type", "avro-enum", "json-schema-item", "protobuf-type"],
)
async def test_record_that_does_not_fit_is_refused_and_nothing_sent(
    kafka, registry, service, unique_name, schema_type, schema, bad, path
):
    topic = unique_name
    create_topic(kafka, topic)
    register(registry, f"{topic}-value", schema_type, schema)
    with_value_schema(service)
    with pytest.raises(SchemaMismatch) as refused:
        await service.send(ComposedMessage(topic, "k", json.dumps(bad)))
    assert refused.value.field == "value"
    assert path in refused.value.path, refused.value
    assert refused.value.reason
    assert f"{topic}-value v1" in str(refused.value)
    # Not JSON at all: refused with line and column, nothing sent either.
    with pytest.raises(InvalidMessage, match="value is not valid JSON"):
        await service.send(ComposedMessage(topic, "k", "{not json"))
    assert end_offsets(kafka, topic) == {0: 0}
    assert len(service.history) == 0


async def test_unknown_subject_and_missing_registry_send_nothing(kafka, registry, service, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    with_value_schema(service)  # <topic>-value was never registered
    with pytest.raises(RegistryError, match=f"{topic}-value"):
        await service.send(ComposedMessage(topic, "k", "{}"))
    with_value_schema(service, subject=f"{topic}-value", version=3)
    register(registry, f"{topic}-value", "AVRO", '"string"')
    with pytest.raises(RegistryError, match="v3"):
        await service.send(ComposedMessage(topic, "k", '"x"'))
    service.registry = None
    with pytest.raises(ProduceError, match="no schema registry is configured"):
        await service.send(ComposedMessage(topic, "k", '"x"'))
    assert end_offsets(kafka, topic) == {0: 0}


async def test_read_only_refuses_producing_with_a_schema(kafka, registry, registry_client, unique_name):
    create_topic(kafka, unique_name)
    register(registry, f"{unique_name}-value", "AVRO", '"string"')
    client = ClusterClient(adhoc_profile(kafka.bootstrap, read_only=True))
    svc = ProduceService(client, registry=registry_client)
    with_value_schema(svc)
    try:
        with pytest.raises(ReadOnlyError):
            await svc.send(ComposedMessage(unique_name, None, '"x"'))
        with pytest.raises(ReadOnlyError):
            await svc.start_load(LoadSpec(unique_name, value='"x"', count=1))
    finally:
        await svc.close()
        await client.close()
    assert end_offsets(kafka, unique_name) == {0: 0}


# -- templated load and import ---------------------------------------------------------------


async def test_templated_load_with_a_schema(kafka, registry, service, unique_name):
    topic = unique_name
    create_topic(kafka, topic, 2)
    register(registry, f"{topic}-value", "AVRO", json.dumps(ORDER_AVRO))
    with_value_schema(service)
    spec = LoadSpec(topic, key="k{{i}}", value='{"id": {{i}}, "item": "n-{{i}}", "kind": "{{choice A|B}}"}', count=200)
    progress = await service.run_load(spec)
    assert (progress.state, progress.acked, progress.failed) == (JobState.DONE, 200, 0)
    assert sum(end_offsets(kafka, topic).values()) == 200
    values = AvroDeserializer(SchemaRegistryClient({"url": registry.url}))
    decoded = [values(r.value, value_context(topic)) for r in await raw_records(kafka, topic, 200, partitions=2)]
    assert sorted(d["id"] for d in decoded) == list(range(200))
    assert all(d["item"] == f"n-{d['id']}" and d["kind"] in ("A", "B") and d["note"] is None for d in decoded)


async def test_load_stops_at_the_first_message_that_does_not_fit(kafka, registry, service, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    register(registry, f"{topic}-value", "AVRO", json.dumps(ORDER_AVRO))
    with_value_schema(service)
    value = '{"id": {{i}}, "item": "x", "kind": "{{choice A|B|C}}"}'  # C is not a symbol
    # A seed whose first message fits (it is checked before sending) and a later one does not.
    renderer = None
    for seed in range(100):
        render = MessageTemplate.compile(None, value).renderer(seed)
        kinds = [json.loads(render(i)[1])["kind"] for i in range(50)]
        if kinds[0] != "C" and "C" in kinds:
            renderer = seed
            break
    assert renderer is not None
    first_bad = kinds.index("C")
    progress = await service.run_load(LoadSpec(topic, value=value, count=50, seed=renderer))
    assert progress.state is JobState.FAILED
    assert progress.failed == 1 and progress.acked == first_bad and progress.sent == first_bad + 1
    assert f"message {first_bad + 1}" in progress.error and "kind" in progress.error
    assert end_offsets(kafka, topic) == {0: first_bad}
    # The first message not fitting: refused before anything is sent.
    with pytest.raises(InvalidMessage, match="first rendered message.*kind"):
        await service.start_load(LoadSpec(topic, value='{"id": {{i}}, "item": "x", "kind": "Z"}', count=5))
    assert end_offsets(kafka, topic) == {0: first_bad}


async def test_import_with_a_schema(kafka, registry, service, unique_name, tmp_path):
    topic = unique_name
    create_topic(kafka, topic)
    text = json.dumps(ORDER_JSON_SCHEMA)
    register(registry, f"{topic}-value", "JSON", text)
    with_value_schema(service)
    docs = [{"id": n, "item": f"i{n}", "tags": ["t"] * n} for n in range(5)]
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"key": f"k{d['id']}", "value": d}) + "\n" for d in docs))
    progress = await service.import_file(good, topic)
    assert (progress.state, progress.acked) == (JobState.DONE, 5)
    records = await raw_records(kafka, topic, 5)
    assert [JSONDeserializer(text)(r.value, value_context(topic)) for r in records] == docs
    assert [r.key for r in records] == [f"k{n}".encode() for n in range(5)]

    # One line that does not fit: the whole file is refused, naming the line and the path.
    bad = tmp_path / "bad.jsonl"
    lines = [json.dumps({"value": d}) for d in docs]
    lines[3] = json.dumps({"value": {"id": 3}})  # 'item' is required
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportFileError, match="line 4: value does not fit") as refused:
        await service.import_file(bad, topic)
    assert [p.line for p in refused.value.problems] == [4]
    assert "item" in refused.value.problems[0].message
    assert end_offsets(kafka, topic) == {0: 5}


# -- headless ---------------------------------------------------------------------------------


def kview_produce(kafka, registry, *args: str, input: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", "produce", *args, "--bootstrap", kafka.bootstrap]
        + ["--schema-registry", registry.url, "--json"],
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )


async def test_headless_produce_with_value_and_key_schemas(kafka, registry, unique_name, tmp_path):
    topic = unique_name
    create_topic(kafka, topic)
    value_id = register(registry, f"{topic}-value", "AVRO", json.dumps(ORDER_AVRO))
    key_id = register(registry, f"{topic}-key", "AVRO", '"long"')
    proto_subject = f"{topic}-proto"
    proto_id = register(registry, proto_subject, "PROTOBUF", SHOP_PROTO)
    docs = [{"id": n, "item": f"i{n}", "note": None, "kind": "B"} for n in range(3)]
    lines = "".join(json.dumps({"key": 100 + d["id"], "value": d}) + "\n" for d in docs)
    done = await asyncio.to_thread(
        kview_produce, kafka, registry, topic, "--value-schema", "--key-schema", f"{topic}-key:1", input=lines
    )
    assert done.returncode == 0, done.stderr
    acks = [json.loads(line) for line in done.stdout.splitlines()]
    assert [ack["offset"] for ack in acks] == [0, 1, 2]
    # Each acknowledgement names the schemas written with, as the records' framing does.
    assert {(ack["key_schema"]["id"], ack["key_schema"]["subject"], ack["key_schema"]["version"]) for ack in acks} == {
        (key_id, f"{topic}-key", 1)
    }
    assert {(ack["value_schema"]["id"], ack["value_schema"]["type"]) for ack in acks} == {(value_id, "AVRO")}
    sr = SchemaRegistryClient({"url": registry.url})
    records = await raw_records(kafka, topic, 3)
    assert {(r.key[1:5], r.value[1:5]) for r in records} == {(key_id.to_bytes(4, "big"), value_id.to_bytes(4, "big"))}
    assert [AvroDeserializer(sr)(r.value, value_context(topic)) for r in records] == docs
    key_context = SerializationContext(topic, MessageField.KEY)
    assert [AvroDeserializer(sr)(r.key, key_context) for r in records] == [100, 101, 102]

    # Protobuf with a named message; a bad second line is refused with its number and path.
    order = {"id": 9, "item": "crate", "line": {"qty": 2, "sku": "C-9"}}
    bad = {"id": 10, "item": "crate", "line": {"qty": "two"}}
    stopped = await asyncio.to_thread(
        kview_produce,
        kafka,
        registry,
        topic,
        "--value-schema",
        proto_subject,
        "--value-schema-message",
        "kview.test.Order",
        input=json.dumps({"value": order}) + "\n" + json.dumps({"value": bad}) + "\n" + json.dumps({"value": order}),
    )
    assert stopped.returncode == 1
    assert "Traceback" not in stopped.stderr and len(stopped.stderr.strip().splitlines()) == 1
    assert "line 2" in stopped.stderr and "qty" in stopped.stderr and proto_subject in stopped.stderr
    [ack] = [json.loads(line) for line in stopped.stdout.splitlines()]
    assert ack["offset"] == 3 and ack["key_schema"] is None  # no key: nothing written with a key schema
    assert ack["value_schema"] == {
        "id": proto_id,
        "type": "PROTOBUF",
        "subject": proto_subject,
        "version": 1,
        "message": "kview.test.Order",
    }
    assert end_offsets(kafka, topic) == {0: 4}
    (record,) = (await raw_records(kafka, topic, 4))[3:]
    classes = protobuf_classes(tmp_path, SHOP_PROTO)
    message = ProtobufDeserializer(classes["kview.test.Order"], {"use.deprecated.format": False})(
        record.value, value_context(topic)
    )
    assert json_format.MessageToDict(message, preserving_proto_field_name=True) == order

    # JSON Schema from console lines (KEY|VALUE, the value parsed as JSON).
    json_subject = f"{topic}-json"
    text = json.dumps(ORDER_JSON_SCHEMA)
    register(registry, json_subject, "JSON", text)
    docs = [{"id": 20, "item": "cup", "tags": ["blue"]}, {"id": 21, "item": "mug"}]
    console = "".join(f"k{d['id']}|{json.dumps(d)}\n" for d in docs)
    sent = await asyncio.to_thread(
        kview_produce,
        kafka,
        registry,
        topic,
        "--format",
        "console",
        "--separator",
        "|",
        "--value-schema",
        json_subject,
        input=console,
    )
    assert sent.returncode == 0, sent.stderr
    assert [json.loads(line)["offset"] for line in sent.stdout.splitlines()] == [4, 5]
    tail = (await raw_records(kafka, topic, 6))[4:]
    assert [JSONDeserializer(text)(r.value, value_context(topic)) for r in tail] == docs
    assert [r.key for r in tail] == [b"k20", b"k21"]

    # Usage errors: exit code 2, one line, nothing read or sent.
    no_registry = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "kview.cli", "produce", topic, "--value-schema", "--bootstrap", kafka.bootstrap],
        capture_output=True,
        text=True,
        input=lines,
        timeout=120,
    )
    assert no_registry.returncode == 2 and "schema registry" in no_registry.stderr
    bad_version = await asyncio.to_thread(
        kview_produce, kafka, registry, topic, "--value-schema", f"{topic}-value:0", input=lines
    )
    assert bad_version.returncode == 2 and "version" in bad_version.stderr
    # Read-only: refused before anything is read or looked up.
    read_only = await asyncio.to_thread(
        kview_produce, kafka, registry, topic, "--read-only", "--value-schema", input=lines
    )
    assert read_only.returncode == 1 and "read-only" in read_only.stderr
    assert end_offsets(kafka, topic) == {0: 6}
