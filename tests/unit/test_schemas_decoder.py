"""The record decoder on records made here, with a registry client whose
cache holds the schemas (as after fetching them) and whose URL refuses
connections: decoding, keys and values apart, explicit decodings, and every
bad input becoming a one-line problem on that record only."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import socket
import sys

import fastavro
import pytest

from kview.core.config import RegistrySettings
from kview.core.ring import make_record
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.decoder import DecodedRecord, RecordDecoder, SchemaInfo, raw_key, raw_value
from kview.core.schemas.framing import frame
from kview.core.schemas.models import Schema

V1 = {"type": "record", "name": "User", "fields": [{"name": "id", "type": "int"}]}
V2 = {
    "type": "record",
    "name": "User",
    "fields": [{"name": "id", "type": "int"}, {"name": "email", "type": ["null", "string"], "default": None}],
}
PROTO = 'syntax = "proto3"; package t; message Key { string k = 1; message Inner { int32 n = 1; } }'
JSON_SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}}


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def avro(schema: dict, value: dict) -> bytes:
    stream = io.BytesIO()
    fastavro.schemaless_writer(stream, fastavro.parse_schema(schema), value)
    return stream.getvalue()


@pytest.fixture
async def client():
    c = RegistryClient(RegistrySettings(urls=(refused_url(),)))
    c.remember(Schema("AVRO", json.dumps(V1), id=1))
    c.remember(Schema("AVRO", json.dumps(V2), id=2))
    c.remember(Schema("PROTOBUF", PROTO, id=3))
    c.remember(Schema("JSON", json.dumps(JSON_SCHEMA), id=4))
    c.remember(Schema("AVRO", '{"type": "record", "name": "Broken", "fields": [{"name": "x", "type": "Nope"}]}', id=5))
    yield c
    await c.close()


def rec(offset: int, key: bytes | None, value: bytes | None):
    return make_record("orders", 0, offset, key=key, value=value)


async def decoded(decoder: RecordDecoder, records: list) -> list:
    await decoder.prepare(records)
    return decoder.decode_batch(records)


async def test_records_without_framing_pass_through_untouched(client):
    records = [rec(0, b"k", b'{"a": 1}'), rec(1, None, b"text"), rec(2, b"k", None)]
    out = await decoded(RecordDecoder(client), records)
    assert out is records and all(a is b for a, b in zip(out, records, strict=True))
    assert client.requests == 0


async def test_v1_and_v2_records_each_read_with_their_own_schema(client):
    records = [
        rec(0, b"k1", frame(1, avro(V1, {"id": 1}))),
        rec(1, b"k2", frame(2, avro(V2, {"id": 2, "email": "b@x"}))),
        rec(2, b"k3", frame(1, avro(V1, {"id": 3}))),
    ]
    out = await decoded(RecordDecoder(client), records)
    assert [r.value for r in out] == [b'{"id":1}', b'{"id":2,"email":"b@x"}', b'{"id":3}']
    assert [r.value_schema.schema_id for r in out] == [1, 2, 1]
    first = out[0]
    assert isinstance(first, DecodedRecord)
    assert (first.topic, first.partition, first.offset, first.key) == ("orders", 0, 0, b"k1")
    assert first.raw_value == records[0].value and first.raw_key == b"k1" and first.key_schema is None
    assert raw_value(first) == records[0].value and raw_value(records[0]) == records[0].value
    assert raw_key(first) == b"k1"
    assert first.value_schema == SchemaInfo(schema_id=1, type="AVRO")  # the registry could not say the subject
    assert (first.key_problem, first.value_problem) == (None, None)


async def test_keys_and_values_are_decoded_separately(client):
    key_cls_bytes = b"\n\x02ab"  # t.Key{k: "ab"}
    record = rec(0, frame(3, key_cls_bytes, [0]), frame(4, b'{"n": 5}'))
    [out] = await decoded(RecordDecoder(client), [record])
    assert (out.key, out.value) == (b'{"k":"ab"}', b'{"n":5}')
    assert out.key_schema == SchemaInfo(schema_id=3, type="PROTOBUF", message="t.Key")
    assert out.value_schema == SchemaInfo(schema_id=4, type="JSON")
    [value_only] = await decoded(RecordDecoder(client, key_decoding="none"), [record])
    assert value_only.key == record.key and value_only.key_schema is None and value_only.value == b'{"n":5}'
    nested = rec(1, None, frame(3, b"\x08\x07", [0, 0]))
    [inner] = await decoded(RecordDecoder(client), [nested])
    assert inner.value == b'{"n":7}' and inner.value_schema.message == "t.Key.Inner"


@pytest.mark.parametrize(
    "values",
    [
        [frame(1, avro(V1, {"id": n})) for n in range(5)],
        [frame(2, avro(V2, {"id": n, "email": None if n % 2 else f"{n}@x"})) for n in range(5)],
        [frame(3, b"\n\x02a" + bytes([48 + n]), [0]) for n in range(5)],
    ],
    ids=["avro-v1", "avro-v2", "protobuf"],
)
async def test_a_batch_of_one_schema_decodes_as_a_mixed_batch_does(client, values):
    """A batch whose values all carry one schema id is decoded in one call
    to its codec; the same records in a batch with one more, unframed,
    record go record by record: the results are the same."""
    records = [rec(n, b"k%d" % n, value) for n, value in enumerate(values)]
    uniform = await decoded(RecordDecoder(client), records)
    mixed = await decoded(RecordDecoder(client), [*records, rec(9, None, b"plain")])
    assert mixed[-1].value == b"plain" and not isinstance(mixed[-1], DecodedRecord)  # passed through
    for one, other, original in zip(uniform, mixed, records, strict=False):
        assert isinstance(one, DecodedRecord) and one.value_problem is None
        assert (one.offset, one.key, one.value, one.raw_value, one.value_schema) == (
            other.offset,
            other.key,
            other.value,
            other.raw_value,
            other.value_schema,
        )
        assert one.raw_value == original.value and one.key_schema is None
    assert len(uniform) == len(records) and len({r.value for r in uniform}) == len(records)


async def test_a_bad_record_in_a_batch_of_one_schema_is_worded_and_the_rest_decode(client):
    values = [frame(1, avro(V1, {"id": n})) for n in range(4)]
    values[2] = values[2] + b"\x00"  # one byte too many: not written with this schema
    out = await decoded(RecordDecoder(client), [rec(n, None, value) for n, value in enumerate(values)])
    assert [r.value for r in out[:2]] == [b'{"id":0}', b'{"id":1}'] and out[3].value == b'{"id":3}'
    assert out[2].value == values[2] and out[2].value_problem.startswith(
        "schema id 1: 1 bytes left after the Avro value"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (frame(1, avro(V2, {"id": 1, "email": "x"})[:-1]), "schema id 1: 2 bytes left after the Avro value"),
        (frame(2, avro(V2, {"id": 1, "email": "long text"})[:-3]), "schema id 2: truncated Avro payload"),
        (b"\x00\x01", "starts with a 0 byte but is too short for registry framing (2 bytes)"),
        (frame(5, b"\x02"), "schema id 5 (AVRO): Avro schema cannot be parsed"),
        (frame(3, b"\xff\xff", [9]), "schema id 3: message indexes [9] name no message"),
        (frame(4, b"[1"), "schema id 4: payload is not JSON"),
    ],
)
async def test_a_bad_record_says_why_and_the_others_decode(client, value, problem):
    good = rec(0, None, frame(1, avro(V1, {"id": 9})))
    bad = rec(1, b"key", value)
    out = await decoded(RecordDecoder(client), [good, bad, good])
    assert out[0].value == out[2].value == b'{"id":9}'
    assert out[1].value == value and out[1].raw_value == value
    assert out[1].value_problem.startswith(problem), out[1].value_problem
    assert "\n" not in out[1].value_problem
    assert out[1].key == b"key" and out[1].key_problem is None


async def test_explicit_decodings_insist_on_their_type(client):
    records = [
        rec(0, None, frame(1, avro(V1, {"id": 1}))),
        rec(1, None, frame(4, b"{}")),
        rec(2, None, b"plain"),
        rec(3, None, b""),
        rec(4, None, None),
    ]
    out = await decoded(RecordDecoder(client, value_decoding="avro"), records)
    assert out[0].value == b'{"id":1}'
    assert out[1].value_problem == "schema id 4 is JSON Schema, not Avro" and out[1].value == b"\x00\x00\x00\x00\x04{}"
    assert out[2].value_problem == "not registry framing (first byte 112, not 0)"
    assert out[3].value_problem == "empty: no Avro framing"
    assert out[4] is records[4]  # a null value is no value to decode
    as_json = await decoded(RecordDecoder(client, value_decoding="json-schema"), records[:2])
    assert as_json[0].value_problem == "schema id 1 is Avro, not JSON Schema" and as_json[1].value == b"{}"
    assert (await decoded(RecordDecoder(client, value_decoding="none"), records)) is records


async def test_without_a_registry(client):
    records = [rec(0, None, frame(1, avro(V1, {"id": 1})))]
    assert (await decoded(RecordDecoder(None), records)) is records
    [out] = await decoded(RecordDecoder(None, value_decoding="avro"), records)
    assert out.value_problem == "no schema registry configured for this cluster"


async def test_an_unreachable_registry_is_a_problem_and_backs_off(client):
    decoder = RecordDecoder(client)
    records = [rec(0, None, frame(77, b"\x02")), rec(1, None, frame(1, avro(V1, {"id": 1})))]
    out = await decoded(decoder, records)
    assert out[1].value == b'{"id":1}'
    assert out[0].value_problem.startswith("schema id 77: schema registry unreachable: ")
    assert "connection refused" in out[0].value_problem
    assert client.status.state == "unreachable" and client.backoff == 1
    sent = client.requests
    again = await decoded(decoder, records)  # within the backoff: no request
    assert client.requests == sent
    assert "next try in" in again[0].value_problem
    assert set(decoder.seen_ids()) == {1}


async def test_a_slow_registry_does_not_hold_the_batch():
    # A server that accepts connections and never answers.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        slow = RegistryClient(RegistrySettings(urls=(f"http://127.0.0.1:{server.getsockname()[1]}",), timeout=60))
        decoder = RecordDecoder(slow, wait=0.2)
        try:
            [out] = await asyncio.wait_for(decoded(decoder, [rec(0, None, frame(8, b"x"))]), 30)
            # prepare() gave up waiting long before the request's 60 s timeout
            assert out.value_problem == "schema id 8: the registry has not answered yet"
        finally:
            await decoder.close()
            await slow.close()


async def test_bad_decodings_are_refused():
    with pytest.raises(ValueError, match="value decoding 'xml' is not one of"):
        RecordDecoder(None, value_decoding="xml")


async def test_a_slow_registry_holds_only_the_batch_that_first_met_the_id():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        slow = RegistryClient(RegistrySettings(urls=(f"http://127.0.0.1:{server.getsockname()[1]}",), timeout=60))
        decoder = RecordDecoder(slow, wait=0.2)
        try:
            batch = [rec(0, None, frame(8, b"x"))]
            await asyncio.wait_for(decoder.prepare(batch), 30)
            # the next batch with the same id is not held again: were it, an
            # hour's bound would run into wait_for's 30 s
            decoder.wait = 3600
            await asyncio.wait_for(decoder.prepare(batch), 30)
            assert decoder.decode_batch(batch)[0].value_problem == "schema id 8: the registry has not answered yet"
            assert slow.requests == 1
        finally:
            await decoder.close()
            await slow.close()


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="untracking is CPython's C API")
async def test_decoded_records_are_left_to_reference_counting(client):
    records = [rec(i, None, frame(1, avro(V1, {"id": i}))) for i in range(3)]
    out = await decoded(RecordDecoder(client), records)
    assert all(isinstance(r, DecodedRecord) and not gc.is_tracked(r) for r in out)
    # the records that were not decoded are not touched
    plain = [rec(0, None, b"plain")]
    assert (await decoded(RecordDecoder(client), plain)) is plain and gc.is_tracked(plain[0]) is gc.is_tracked(
        rec(0, None, b"x")
    )
