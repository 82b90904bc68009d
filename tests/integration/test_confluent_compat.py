"""kview against Confluent's own serializers (confluent-kafka's
schema_registry package) on the real registry: what AvroSerializer,
ProtobufSerializer and JSONSerializer write decodes in kview to the same
values, and what kview's encoder writes decodes with AvroDeserializer,
ProtobufDeserializer and JSONDeserializer to the same values.  Serializer
level (SerializationContext, no Kafka) for each type, and once through the
real broker.

The Protobuf classes are generated at test time from .proto files by
grpcio-tools' protoc (a nested message, an enum, a oneof, an import of
another file and of a well-known type).  confluent-kafka's Python serializer
registers the schema and its import as base64 FileDescriptorProtos, not .proto
text; Apicurio stores and serves them as given, and kview reads them."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import decimal
import importlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from kview.core.config import RegistrySettings
from kview.core.ring import make_record
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.decoder import RecordDecoder
from kview.core.schemas.encoder import RecordEncoder
from kview.core.schemas.models import Schema, SchemaReference

AVRO_SCHEMA = {
    "type": "record",
    "name": "Payment",
    "namespace": "kview.compat",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "SETTLED"]}},
        {"name": "memo", "type": ["null", "string"], "default": None},
        {
            "name": "card",
            "type": ["null", {"type": "record", "name": "Card", "fields": [{"name": "last4", "type": "string"}]}],
        },
        {"name": "raw", "type": "bytes"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
    ],
}
REF = "3f8e2b1c-6d4a-4e5f-9a7b-1c2d3e4f5a6b"
AVRO_PYTHON = {
    "id": 42,
    "amount": decimal.Decimal("1234.50"),
    "at": dt.datetime(2024, 5, 1, 12, 30, 5, 250000, tzinfo=dt.UTC),
    "day": dt.date(2024, 5, 1),
    "ref": uuid.UUID(REF),
    "status": "SETTLED",
    "memo": "rent",
    "card": {"last4": "4242"},
    "raw": b"\x00\x01\xfe",
    "tags": ["a", "b"],
}
AVRO_JSON = {
    "id": 42,
    "amount": "1234.50",
    "at": "2024-05-01T12:30:05.250000+00:00",
    "day": "2024-05-01",
    "ref": REF,
    "status": "SETTLED",
    "memo": "rent",
    "card": {"last4": "4242"},
    "raw": base64.b64encode(b"\x00\x01\xfe").decode(),
    "tags": ["a", "b"],
}

JSON_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Shipment",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "weight": {"type": "number"},
        "fragile": {"type": "boolean"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    },
    "required": ["id"],
}
JSON_VALUE = {"id": "s-1", "weight": 2.5, "fragile": True, "items": [{"sku": "a"}, {"sku": "b"}]}

PROTO_MONEY = """syntax = "proto3";
package kview.compat.common;
message Money {
  int64 cents = 1;
  string currency = 2;
}
"""
PROTO_ORDER = """syntax = "proto3";
package kview.compat.orders;
import "kview_compat_money.proto";
import "google/protobuf/timestamp.proto";
message Order {
  message Line {
    string sku = 1;
    int32 qty = 2;
  }
  enum State {
    OPEN = 0;
    DONE = 1;
  }
  string id = 1;
  kview.compat.common.Money total = 2;
  repeated Line lines = 3;
  oneof contact {
    string email = 4;
    string phone = 5;
  }
  State state = 6;
  google.protobuf.Timestamp at = 7;
}
"""
ORDER_JSON = {
    "id": "o-9",
    "total": {"cents": "1999", "currency": "EUR"},
    "lines": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 0}],
    "phone": "+44 20",
    "state": "DONE",
    "at": "2024-05-01T12:30:05.250Z",
}


@pytest.fixture(scope="module")
def order_module(tmp_path_factory):
    """The Order class, generated now by protoc from the .proto files."""
    import grpc_tools

    directory = tmp_path_factory.mktemp("compat_proto")
    (directory / "kview_compat_money.proto").write_text(PROTO_MONEY)
    (directory / "kview_compat_order.proto").write_text(PROTO_ORDER)
    include = Path(grpc_tools.__file__).parent / "_proto"
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{directory}", f"-I{include}", f"--python_out={directory}"]
        + ["kview_compat_money.proto", "kview_compat_order.proto"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module("kview_compat_order_pb2")
    finally:
        sys.path.remove(str(directory))


def order_message(module):
    order = module.Order(id="o-9", phone="+44 20", state=module.Order.DONE)
    order.total.cents = 1999
    order.total.currency = "EUR"
    order.lines.add(sku="a", qty=2)
    order.lines.add(sku="b", qty=0)
    order.at.FromDatetime(dt.datetime(2024, 5, 1, 12, 30, 5, 250000))
    return order


@pytest.fixture
def confluent(registry):
    return SchemaRegistryClient({"url": registry.url})


@pytest.fixture
async def kview_client(registry):
    client = RegistryClient(RegistrySettings(urls=(registry.url,)))
    yield client
    await client.close()


async def kview_decode(registry_url: str, topic: str, value: bytes, key: bytes | None = None):
    """What a fresh kview tail shows for a record (its own client: nothing cached)."""
    client = RegistryClient(RegistrySettings(urls=(registry_url,)))
    try:
        decoder = RecordDecoder(client)
        records = [make_record(topic, 0, 0, key=key, value=value)]
        await decoder.prepare(records)
        [record] = decoder.decode_batch(records)
        return record
    finally:
        await client.close()


def context(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


# -- Confluent writes, kview reads -----------------------------------------------------------
async def test_avro_serializer_to_kview(confluent, registry, unique_name):
    value = AvroSerializer(confluent, json.dumps(AVRO_SCHEMA))(AVRO_PYTHON, context(unique_name))
    record = await kview_decode(registry.url, unique_name, value)
    assert record.value_problem is None
    assert json.loads(record.value) == AVRO_JSON
    assert (record.value_schema.type, record.value_schema.subject) == ("AVRO", f"{unique_name}-value")


async def test_protobuf_serializer_to_kview(confluent, registry, kview_client, order_module, unique_name):
    serializer = ProtobufSerializer(order_module.Order, confluent, {"use.deprecated.format": False})
    value = serializer(order_message(order_module), context(unique_name))
    record = await kview_decode(registry.url, unique_name, value)
    assert record.value_problem is None
    assert json.loads(record.value) == ORDER_JSON
    assert record.value_schema.message == "kview.compat.orders.Order"
    # How it was registered: base64 descriptors, the import as a reference named by its file
    subject = await kview_client.version(f"{unique_name}-value")
    assert [r.name for r in subject.schema.references] == ["kview_compat_money.proto"]
    assert "syntax" not in subject.schema.text and base64.b64decode(subject.schema.text)


async def test_protobuf_serializer_nested_message_to_kview(confluent, registry, order_module, unique_name):
    serializer = ProtobufSerializer(order_module.Order.Line, confluent, {"use.deprecated.format": False})
    value = serializer(order_module.Order.Line(sku="n", qty=5), context(unique_name))
    assert value[5:7] == b"\x04\x00"  # message indexes [0, 0]: Order, then its first nested type
    record = await kview_decode(registry.url, unique_name, value)
    assert json.loads(record.value) == {"sku": "n", "qty": 5}
    assert record.value_schema.message == "kview.compat.orders.Order.Line"


async def test_json_serializer_to_kview(confluent, registry, unique_name):
    value = JSONSerializer(json.dumps(JSON_SCHEMA), confluent)(JSON_VALUE, context(unique_name))
    record = await kview_decode(registry.url, unique_name, value)
    assert record.value_problem is None
    assert json.loads(record.value) == JSON_VALUE
    assert record.value_schema.type == "JSON"


# -- kview writes, Confluent reads -----------------------------------------------------------
async def test_kview_avro_to_avro_deserializer(confluent, kview_client, unique_name):
    subject = f"{unique_name}-value"
    await kview_client.register(subject, Schema("AVRO", json.dumps(AVRO_SCHEMA)))
    encoder = await RecordEncoder.for_subject(kview_client, subject)
    value = encoder.encode(AVRO_JSON)
    assert AvroDeserializer(confluent)(value, context(unique_name)) == AVRO_PYTHON


async def test_kview_protobuf_to_protobuf_deserializer(confluent, kview_client, order_module, unique_name):
    # Registered by Confluent's serializer (base64 descriptors), written by kview
    ProtobufSerializer(order_module.Order, confluent, {"use.deprecated.format": False})(
        order_module.Order(id="first"), context(unique_name)
    )
    encoder = await RecordEncoder.for_subject(kview_client, f"{unique_name}-value")
    value = encoder.encode(ORDER_JSON)
    deserialize = ProtobufDeserializer(order_module.Order, {"use.deprecated.format": False})
    assert deserialize(value, context(unique_name)) == order_message(order_module)
    line_encoder = await RecordEncoder.for_subject(
        kview_client, f"{unique_name}-value", message="kview.compat.orders.Order.Line"
    )
    line = ProtobufDeserializer(order_module.Order.Line, {"use.deprecated.format": False})(
        line_encoder.encode({"sku": "q", "qty": 3}), context(unique_name)
    )
    assert line == order_module.Order.Line(sku="q", qty=3)


async def test_kview_protobuf_from_proto_text_to_protobuf_deserializer(kview_client, order_module, unique_name):
    # Registered as .proto text (as kview's Schemas pane or Confluent's registry holds it)
    await kview_client.register(f"{unique_name}-money", Schema("PROTOBUF", PROTO_MONEY))
    await kview_client.register(
        f"{unique_name}-value",
        Schema("PROTOBUF", PROTO_ORDER, (SchemaReference("kview_compat_money.proto", f"{unique_name}-money", 1),)),
    )
    encoder = await RecordEncoder.for_subject(kview_client, f"{unique_name}-value")
    deserialize = ProtobufDeserializer(order_module.Order, {"use.deprecated.format": False})
    assert deserialize(encoder.encode(ORDER_JSON), context(unique_name)) == order_message(order_module)


async def test_kview_json_to_json_deserializer(confluent, kview_client, unique_name):
    await kview_client.register(f"{unique_name}-value", Schema("JSON", json.dumps(JSON_SCHEMA)))
    encoder = await RecordEncoder.for_subject(kview_client, f"{unique_name}-value")
    value = encoder.encode(JSON_VALUE)
    assert JSONDeserializer(None, schema_registry_client=confluent)(value, context(unique_name)) == JSON_VALUE


# -- through the real broker -----------------------------------------------------------------
async def test_through_the_broker(kafka, registry, confluent, kview_client, unique_name):
    """Confluent's producer writes Avro values with AvroSerializer and kview
    writes more with its encoder; a consumer reads both back from Kafka, kview
    decodes every one and AvroDeserializer agrees on kview's."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition
    from confluent_kafka import Producer

    topic = unique_name
    kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "1")
    serializer = AvroSerializer(confluent, json.dumps(AVRO_SCHEMA))
    producer = Producer({"bootstrap.servers": kafka.bootstrap})
    for i in range(3):
        producer.produce(topic, serializer({**AVRO_PYTHON, "id": i}, context(topic)), key=f"c{i}".encode())
    encoder = await RecordEncoder.for_subject(kview_client, f"{topic}-value")
    for i in range(3, 6):
        producer.produce(topic, encoder.encode({**AVRO_JSON, "id": i}), key=f"k{i}".encode())
    assert producer.flush(30) == 0

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        records = []
        async with asyncio.timeout(60):
            while len(records) < 6:
                batch = await consumer.getmany(partition, timeout_ms=1000)
                records.extend(batch.get(partition, []))
    finally:
        await consumer.stop()
    decoder = RecordDecoder(kview_client)
    await decoder.prepare(records)
    decoded = decoder.decode_batch(records)
    assert [json.loads(r.value) for r in decoded] == [{**AVRO_JSON, "id": i} for i in range(6)]
    assert {r.value_schema.schema_id for r in decoded} == {encoder.schema_id}
    deserialize = AvroDeserializer(confluent)
    assert [deserialize(r.value, context(topic)) for r in records[3:]] == [
        {**AVRO_PYTHON, "id": i} for i in range(3, 6)
    ]
