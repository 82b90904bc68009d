"""The Avro codec: reading with the writer's schema into the JSON forms its
module documents, named types from references, and writing from plain JSON
with field paths in the refusals.  Payloads are written by fastavro itself
from Python values, so reading is checked against an independent writer."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import uuid

import fastavro
import pytest

from kview.core.schemas.avro import AvroCodec
from kview.core.schemas.errors import DecodeError, EncodeError, SchemaError
from kview.core.schemas.framing import frame
from kview.core.schemas.models import Schema

NS = "kview.test"
MONEY = {"type": "record", "name": "Money", "namespace": NS, "fields": [{"name": "cents", "type": "long"}]}
ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": NS,
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "total", "type": "Money"},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "blob", "type": "bytes"},
        {"name": "tag", "type": {"type": "fixed", "name": "Tag", "size": 2}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
        {"name": "note", "type": ["null", "string", "Money"], "default": None},
        {"name": "lines", "type": {"type": "array", "items": "Money"}, "default": []},
        {"name": "attrs", "type": {"type": "map", "values": "double"}, "default": {}},
    ],
}
REFS = {f"{NS}.Money": Schema("AVRO", json.dumps(MONEY))}
REF_ID = "0d8f3f4e-5b1c-4a55-9d1e-2b7f2a0c9e11"
PYTHON_VALUE = {
    "id": 2**40,
    "total": {"cents": 1250},
    "price": decimal.Decimal("12.50"),
    "at": dt.datetime(2024, 5, 1, 12, 30, 5, 250000, tzinfo=dt.UTC),
    "at_us": dt.datetime(2024, 5, 1, 12, 30, 5, 123456, tzinfo=dt.UTC),
    "local": dt.datetime(2024, 5, 1, 14, 30, 5, 250000),
    "day": dt.date(2024, 5, 1),
    "ref": uuid.UUID(REF_ID),
    "blob": b"\x00\xffhi",
    "tag": b"ab",
    "status": "PAID",
    "note": {"cents": 7},
    "lines": [{"cents": 1}, {"cents": 2}],
    "attrs": {"w": 1.5},
}
JSON_FORM = {
    "id": 2**40,
    "total": {"cents": 1250},
    "price": "12.50",
    "at": "2024-05-01T12:30:05.250000+00:00",
    "at_us": "2024-05-01T12:30:05.123456+00:00",
    "local": "2024-05-01T14:30:05.250000",
    "day": "2024-05-01",
    "ref": REF_ID,
    "blob": "AP9oaQ==",
    "tag": "YWI=",
    "status": "PAID",
    "note": {"cents": 7},
    "lines": [{"cents": 1}, {"cents": 2}],
    "attrs": {"w": 1.5},
}


def written_by_fastavro(schema: dict, value: dict, named: list[dict] = ()) -> bytes:
    names: dict = {}
    for one in named:
        fastavro.parse_schema(one, names)
    stream = io.BytesIO()
    fastavro.schemaless_writer(stream, fastavro.parse_schema(schema, names), value)
    return stream.getvalue()


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec(Schema("AVRO", json.dumps(ORDER), id=3), REFS)


def test_reads_every_type_into_its_json_form(codec):
    framed = frame(3, written_by_fastavro(ORDER, PYTHON_VALUE, [MONEY]))
    decoded, message, problem = codec.decode_json(framed, 5)
    assert (message, problem) == (None, None)
    assert json.loads(decoded) == JSON_FORM
    assert b" " not in decoded.replace(b"Money", b"")  # compact


def test_a_decimal_keeps_its_scale_and_a_union_is_unwrapped(codec):
    value = dict(PYTHON_VALUE, price=decimal.Decimal("3.00"), note="plain text")
    decoded = json.loads(codec.decode_json(frame(3, written_by_fastavro(ORDER, value, [MONEY])), 5)[0])
    assert decoded["price"] == "3.00" and decoded["note"] == "plain text"
    value = dict(PYTHON_VALUE, note=None)
    assert json.loads(codec.decode_json(frame(3, written_by_fastavro(ORDER, value, [MONEY])), 5)[0])["note"] is None


def test_writes_plain_json_that_fastavro_reads_back(codec):
    payload = codec.write(JSON_FORM)
    read = fastavro.schemaless_reader(io.BytesIO(payload), codec.parsed, None)
    assert read == PYTHON_VALUE


def test_writing_accepts_the_other_forms():
    schema = {
        "type": "record",
        "name": "Forms",
        "fields": [
            {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "at_z", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "maybe", "type": ["null", "long", "string"]},
            {"name": "defaulted", "type": "string", "default": "d"},
        ],
    }
    codec = AvroCodec(Schema("AVRO", json.dumps(schema), id=1))
    payload = codec.write(
        {"price": 12.5, "at": 1714566605250, "at_z": "2024-05-01T12:30:05.250Z", "day": 19844, "maybe": 5}
    )
    read = fastavro.schemaless_reader(io.BytesIO(payload), codec.parsed, None)
    moment = dt.datetime(2024, 5, 1, 12, 30, 5, 250000, tzinfo=dt.UTC)
    assert read == {
        "price": decimal.Decimal("12.50"),
        "at": moment,
        "at_z": moment,
        "day": dt.date(2024, 5, 1),
        "maybe": 5,
        "defaulted": "d",
    }
    assert (
        fastavro.schemaless_reader(
            io.BytesIO(codec.write({"price": "1", "at": 0, "at_z": 0, "day": 0, "maybe": "five"})), codec.parsed, None
        )["maybe"]
        == "five"
    )


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        ({"id": "x"}, "$.id", "expected a whole number (long)"),
        ({"total": {"cents": 1.5}}, "$.total.cents", "expected a whole number"),
        ({"total": {}}, "$.total.cents", "missing (the field has no default)"),
        ({"lines": [{"cents": 1}, {"cents": "2"}]}, "$.lines[1].cents", "expected a whole number"),
        ({"price": "12.505"}, "$.price", "more than 2 digits after the point"),
        ({"price": "123456789.5"}, "$.price", "precision 9"),
        ({"price": "abc"}, "$.price", "is not a decimal number"),
        ({"at": "yesterday"}, "$.at", "not an ISO-8601 timestamp"),
        ({"ref": "not-a-uuid"}, "$.ref", "is not a UUID"),
        ({"blob": "%%%"}, "$.blob", "not valid base64"),
        ({"tag": "YWJj"}, "$.tag", "expected 2 bytes"),
        ({"status": "LOST"}, "$.status", "expected one of NEW, PAID"),
        ({"note": 5}, "$.note", "fits none of the union's types"),
        ({"attrs": {"w": "heavy"}}, "$.attrs.w", "expected a number (double)"),
        ({"colour": "red"}, "$.colour", "not a field of record"),
    ],
)
def test_refusals_name_the_field_and_the_reason(codec, change, path, reason):
    with pytest.raises(EncodeError) as caught:
        codec.write({**JSON_FORM, **change})
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert "\n" not in str(caught.value)


def test_a_record_that_is_not_an_object():
    with pytest.raises(EncodeError, match=r"^\$: expected an object for record"):
        AvroCodec(Schema("AVRO", json.dumps(MONEY), id=1)).write([1])


def test_references_may_come_in_any_order():
    inner = {"type": "record", "name": "Inner", "namespace": NS, "fields": [{"name": "x", "type": "int"}]}
    middle = {"type": "record", "name": "Middle", "namespace": NS, "fields": [{"name": "inner", "type": "Inner"}]}
    outer = {"type": "record", "name": "Outer", "namespace": NS, "fields": [{"name": "m", "type": "Middle"}]}
    refs = {f"{NS}.Middle": Schema("AVRO", json.dumps(middle)), f"{NS}.Inner": Schema("AVRO", json.dumps(inner))}
    codec = AvroCodec(Schema("AVRO", json.dumps(outer), id=1), refs)
    framed = frame(1, written_by_fastavro(outer, {"m": {"inner": {"x": 7}}}, [inner, middle]))
    assert json.loads(codec.decode_json(framed, 5)[0]) == {"m": {"inner": {"x": 7}}}


def test_a_schema_that_is_a_union_or_a_name_at_the_top():
    codec = AvroCodec(Schema("AVRO", json.dumps(["null", f"{NS}.Money"]), id=1), REFS)
    framed = frame(1, written_by_fastavro(["null", MONEY], {"cents": 3}))
    assert json.loads(codec.decode_json(framed, 5)[0]) == {"cents": 3}
    named = AvroCodec(Schema("AVRO", json.dumps(f"{NS}.Money"), id=2), REFS)
    assert json.loads(named.decode_json(frame(2, written_by_fastavro(MONEY, {"cents": 4})), 5)[0]) == {"cents": 4}


def test_truncated_or_overlong_payloads_are_decode_errors(codec):
    payload = written_by_fastavro(ORDER, PYTHON_VALUE, [MONEY])
    with pytest.raises(DecodeError, match="truncated Avro payload"):
        codec.decode_json(frame(3, payload[:-5]), 5)
    with pytest.raises(DecodeError, match="2 bytes left after the Avro value"):
        codec.decode_json(frame(3, payload + b"xx"), 5)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"type": "record", "name": "R"', "the Avro schema is not JSON"),
        ('{"type": "record", "name": "R", "fields": [{"name": "a", "type": "Nowhere"}]}', "cannot be parsed"),
        ('{"type": "fancy"}', "cannot be parsed"),
    ],
)
def test_unparsable_schemas_are_schema_errors(text, reason):
    with pytest.raises(SchemaError, match=reason):
        AvroCodec(Schema("AVRO", text, id=1))


def test_an_unparsable_reference_is_named():
    with pytest.raises(SchemaError, match=f"referenced Avro schema {NS}.Money"):
        AvroCodec(Schema("AVRO", json.dumps(ORDER), id=1), {f"{NS}.Money": Schema("AVRO", '{"type": "record"}')})


def test_timestamps_as_text_match_fastavros_datetimes():
    """The tail's timestamps are formatted by kview's own logical readers
    (from a per-second cache); they must say what fastavro's datetimes say."""
    kinds = ["timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros"]
    schema = {
        "type": "record",
        "name": "Times",
        "fields": [{"name": k.replace("-", "_"), "type": {"type": "long", "logicalType": k}} for k in kinds],
    }
    codec = AvroCodec(Schema("AVRO", json.dumps(schema), id=1))
    standard = fastavro.parse_schema(schema)
    rnd = __import__("random").Random(5)
    values = [0, -1, 1, 999, 1000, -1000, 1714566605250, -62135596800000, 253402300799999]
    values += [rnd.randint(-(10**12), 10**13) for _ in range(2000)] + [rnd.randint(0, 10**6) * 1000 for _ in range(200)]
    for value in values:
        record = {k.replace("-", "_"): value * (1000 if k.endswith("micros") else 1) for k in kinds}
        payload = written_by_fastavro(schema, record)
        read = fastavro.schemaless_reader(io.BytesIO(payload), standard, None)
        assert json.loads(codec.decode_json(frame(1, payload), 5)[0]) == {k: v.isoformat() for k, v in read.items()}
    # fastavro's own readers of the standard types are left as they were
    assert isinstance(fastavro.schemaless_reader(io.BytesIO(payload), standard, None)["timestamp_millis"], dt.datetime)
