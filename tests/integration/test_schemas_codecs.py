"""The decoder and the encoder against the real registry: schemas registered
there (with references), records encoded by kview and decoded back, schema
evolution, the subject and version shown, an id the registry does not know,
one request per new id, and refusals before anything is framed."""

from __future__ import annotations

import asyncio
import json

import pytest

from kview.core.config import RegistrySettings
from kview.core.ring import make_record
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.decoder import RecordDecoder
from kview.core.schemas.encoder import RecordEncoder
from kview.core.schemas.errors import EncodeError, RegistryError, SchemaError
from kview.core.schemas.framing import frame, read_message_indexes, schema_id
from kview.core.schemas.models import Schema, SchemaReference


@pytest.fixture
async def client(registry):
    c = RegistryClient(RegistrySettings(urls=(registry.url,)))
    yield c
    await c.close()


def avro_user(*extra: dict) -> Schema:
    fields = [{"name": "id", "type": "long"}, *extra]
    return Schema("AVRO", json.dumps({"type": "record", "name": "User", "namespace": "kview.it", "fields": fields}))


async def roundtrip(client, registry_url, topic, values, **kwargs):
    """Decode ``values`` (framed bytes) as a fresh tail would."""
    fresh = RegistryClient(RegistrySettings(urls=(registry_url,)))
    try:
        decoder = RecordDecoder(fresh, **kwargs)
        records = [make_record(topic, 0, i, value=v) for i, v in enumerate(values)]
        await decoder.prepare(records)
        return decoder.decode_batch(records), decoder, fresh
    finally:
        await fresh.close()


async def test_avro_evolution_v1_and_v2_interleaved(client, registry, unique_name):
    subject = f"{unique_name}-value"
    await client.register(subject, avro_user())
    v1 = await RecordEncoder.for_subject(client, subject)
    await client.register(subject, avro_user({"name": "email", "type": ["null", "string"], "default": None}))
    v2 = await RecordEncoder.for_subject(client, subject)
    assert (v1.subject_version.version, v2.subject_version.version) == (1, 2)
    values = [v1.encode({"id": 1}), v2.encode({"id": 2, "email": "b@x"}), v1.encode({"id": 3}), v2.encode({"id": 4})]
    out, decoder, fresh = await roundtrip(client, registry.url, unique_name, values)
    assert [json.loads(r.value) for r in out] == [
        {"id": 1},
        {"id": 2, "email": "b@x"},
        {"id": 3},
        {"id": 4, "email": None},
    ]
    # the subject named after the topic, with the version that holds each id
    assert [(r.value_schema.subject, r.value_schema.version) for r in out] == [
        (subject, 1),
        (subject, 2),
        (subject, 1),
        (subject, 2),
    ]
    assert set(decoder.seen_ids()) == {v1.schema_id, v2.schema_id}
    # the version before: encodes with v1's id
    assert schema_id((await RecordEncoder.for_subject(client, subject, 1)).encode({"id": 5})) == v1.schema_id


async def test_a_burst_with_a_new_id_makes_one_schema_request(client, registry, unique_name):
    subject = f"{unique_name}-value"
    await client.register(subject, avro_user())
    encoder = await RecordEncoder.for_subject(client, subject)
    values = [encoder.encode({"id": i}) for i in range(500)]
    fresh = RegistryClient(RegistrySettings(urls=(registry.url,)))
    try:
        decoder = RecordDecoder(fresh)
        batches = [[make_record(unique_name, 0, i, value=v) for i, v in enumerate(values[n::5])] for n in range(5)]
        await asyncio.gather(*(decoder.prepare(b) for b in batches))
        # one request for the schema, one for the subjects that hold it
        assert fresh.requests == 2
        assert all(r.value_problem is None for b in batches for r in decoder.decode_batch(b))
    finally:
        await fresh.close()


async def test_an_id_the_registry_does_not_know(client, registry, unique_name):
    out, _, fresh = await roundtrip(client, registry.url, unique_name, [frame(987_654, b"\x02"), b"\x00\x00\x00"])
    assert out[0].value_problem == (
        "schema id 987654 is unknown to the registry (not registry framing, or another registry's id)"
    )
    assert out[1].value_problem.startswith("starts with a 0 byte but is too short")
    assert fresh.status.state == "ok"  # the registry answered: it is reachable


async def test_protobuf_with_an_import_and_nested_messages(client, registry, unique_name):
    common = f"{unique_name}/money.proto"
    await client.register(
        f"{unique_name}-money",
        Schema("PROTOBUF", 'syntax = "proto3";\npackage it.common;\nmessage Money { int64 cents = 1; }\n'),
    )
    order_text = (
        'syntax = "proto3";\npackage it.orders;\n'
        f'import "{common}";\nimport "google/protobuf/timestamp.proto";\n'
        "message Order {\n  string id = 1;\n  it.common.Money total = 2;\n"
        "  message Line { string sku = 1; }\n  repeated Line lines = 3;\n"
        "  oneof contact { string email = 4; string phone = 5; }\n"
        "  enum State { OPEN = 0; DONE = 1; }\n  State state = 6;\n"
        "  google.protobuf.Timestamp at = 7;\n}\n"
    )
    subject = f"{unique_name}-value"
    await client.register(
        subject, Schema("PROTOBUF", order_text, (SchemaReference(common, f"{unique_name}-money", 1),))
    )
    order = await RecordEncoder.for_subject(client, subject)
    line = await RecordEncoder.for_subject(client, subject, message="it.orders.Order.Line")
    assert order.messages == ["it.orders.Order", "it.orders.Order.Line"]
    doc = {
        "id": "o1",
        "total": {"cents": "7"},
        "lines": [{"sku": "a"}],
        "phone": "1",
        "state": "DONE",
        "at": "2024-05-01T00:00:00Z",
    }
    values = [order.encode(doc), line.encode({"sku": "z"})]
    assert read_message_indexes(values[1])[0] == (0, 0)
    out, _, _ = await roundtrip(client, registry.url, unique_name, values)
    assert json.loads(out[0].value) == doc
    assert out[0].value_schema.message == "it.orders.Order" and out[0].value_schema.type == "PROTOBUF"
    assert json.loads(out[1].value) == {"sku": "z"} and out[1].value_schema.message == "it.orders.Order.Line"
    with pytest.raises(EncodeError) as caught:
        order.encode({"lines": [{"sku": "a"}, {"sku": 5}]})
    assert caught.value.path == "$.lines[1].sku"
    with pytest.raises(SchemaError, match="no message Nope"):
        await RecordEncoder.for_subject(client, subject, message="Nope")


async def test_json_schema(client, registry, unique_name):
    subject = f"{unique_name}-value"
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"n": {"type": "integer", "maximum": 10}},
        "required": ["n"],
    }
    await client.register(subject, Schema("JSON", json.dumps(schema)))
    encoder = await RecordEncoder.for_subject(client, subject)
    assert encoder.type == "JSON"
    with pytest.raises(EncodeError) as caught:
        encoder.encode({"n": 11})
    assert caught.value.path == "$.n" and "maximum" in caught.value.reason
    out, _, _ = await roundtrip(client, registry.url, unique_name, [encoder.encode_text('{"n": 3}')])
    assert out[0].value == b'{"n":3}' and out[0].value_schema.type == "JSON"


async def test_encoding_refuses_what_does_not_fit(client, unique_name):
    subject = f"{unique_name}-value"
    await client.register(subject, avro_user({"name": "tags", "type": {"type": "array", "items": "string"}}))
    encoder = await RecordEncoder.for_subject(client, subject)
    with pytest.raises(EncodeError) as caught:
        encoder.encode({"id": 1, "tags": ["a", 2]})
    assert (caught.value.path, caught.value.reason) == ("$.tags[1]", "expected text, got a number")
    with pytest.raises(EncodeError, match=r"^\$: not JSON"):
        encoder.encode_text("{id: 1}")
    with pytest.raises(RegistryError) as missing:
        await RecordEncoder.for_subject(client, f"{unique_name}-nothing")
    assert missing.value.status == 404
