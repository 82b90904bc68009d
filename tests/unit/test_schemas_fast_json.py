"""The decoders' JSON encoder (orjson, falling back to the json module for
what orjson refuses or would write differently) against the json module's
compact encoding, which it must reproduce byte for byte: non-finite and small
floats, integers beyond 64 bits, keys that are not text, text with lone
surrogates, dates and times, decimals, bytes, deep nesting; and the Avro and
Protobuf codecs' decode_json against the json module on their own values."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import math
import random
import uuid

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kview.core.schemas.avro import AvroCodec, ExactFloat, compact_json, exact_float, fast_compact_json, to_json_default
from kview.core.schemas.framing import frame
from kview.core.schemas.models import Schema
from kview.core.schemas.protobuf import ProtobufCodec

FAST = fast_compact_json(to_json_default)
REFERENCE = compact_json(to_json_default)
FAST_PLAIN = fast_compact_json()
REFERENCE_PLAIN = compact_json()


def marked(value):
    """``value`` with its floats through exact_float, as the codecs' readers make them."""
    if isinstance(value, float):
        return exact_float(value)
    if isinstance(value, dict):
        return {k: marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [marked(v) for v in value]
    return value


def nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


CASES = [
    None,
    True,
    0,
    -(2**63),
    2**64 - 1,
    2**64,  # beyond orjson's 64 bits
    -(2**63) - 1,
    10**40,
    "plain",
    'quote " backslash \\ slash / é ✓ 😀',
    "\x00\x01\x1f\x7f\u2028\u2029\t\n\r\b\f",
    "</script>",
    {"a": [1, 2.5, None, {"b": "c"}], "": {}},
    {1: "int key", None: "null key", 2.5: "float key"},
    {True: "bool key", False: "another"},
    (1, "tuple"),
    dt.datetime(2024, 5, 1, 12, 30, 5, 250000, tzinfo=dt.UTC),
    dt.datetime(2024, 5, 1, 12, 30, 5),
    dt.datetime(2024, 5, 1, 12, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30))),
    dt.date(2024, 5, 1),
    dt.time(12, 30, 5, 250000),
    dt.time(0, 0),
    decimal.Decimal("12.50"),
    decimal.Decimal("-0.000001"),
    b"\x00\xffbytes",
    bytearray(b"ba"),
    uuid.UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
    nested(300),  # deeper than orjson's limit
    [True, False, 1, 1.0],
]
FLOATS = [
    0.0,
    -0.0,
    1.0,
    0.1,
    1 / 3,
    100.0,
    1e15,
    1e16,
    1.7976931348623157e308,
    1e22,
    123456789012345678.0,
    0.0001,
    0.00009999999999999999,
    1e-5,
    -2.5e-5,
    1e-7,
    1e-9,
    1e-10,
    5e-324,
    math.nan,
    math.inf,
    -math.inf,
]


@pytest.mark.parametrize("value", CASES + [[f] for f in FLOATS], ids=repr)
def test_writes_what_the_json_module_writes(value):
    assert FAST(marked(value)) == REFERENCE(value)


@pytest.mark.parametrize("value", FLOATS, ids=repr)
def test_a_float_is_exact_only_where_orjson_would_differ(value):
    out = exact_float(value)
    assert out == value or (math.isnan(out) and math.isnan(value))
    assert FAST_PLAIN({"x": out}) == REFERENCE_PLAIN({"x": value})
    # Ordinary floats stay plain floats (orjson's fast path); the rest go to the json module.
    plain = value == 0 or 1e-4 <= abs(value) < math.inf
    assert (type(out) is float) == plain
    assert (type(out) is ExactFloat) == (not plain)


def test_text_with_a_lone_surrogate_fails_as_it_did():
    with pytest.raises(UnicodeEncodeError):
        REFERENCE("a\ud800b")
    with pytest.raises(UnicodeEncodeError):
        FAST("a\ud800b")


def test_what_json_refuses_is_still_refused():
    with pytest.raises(TypeError):
        REFERENCE(object())
    with pytest.raises(TypeError):
        FAST(object())
    with pytest.raises(TypeError):
        FAST_PLAIN(b"bytes without a default")


class Text(str):
    pass


class Number(int):
    pass


def test_subclasses_of_json_types_are_written_by_the_json_module():
    value = {Text("k"): [Text("v"), Number(5)]}
    assert FAST(value) == REFERENCE(value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_random_json_values(value):
    assert FAST_PLAIN(marked(value)) == REFERENCE_PLAIN(value)


# -- the codecs -------------------------------------------------------------------------

FLOATY = {
    "type": "record",
    "name": "Floaty",
    "namespace": "kview.test",
    "fields": [
        {"name": "d", "type": "double"},
        {"name": "f", "type": "float"},
        {"name": "maybe", "type": ["null", "double"], "default": None},
        {"name": "many", "type": {"type": "array", "items": "double"}},
        {"name": "by_name", "type": {"type": "map", "values": {"type": "float"}}},
        {
            "name": "inner",
            "type": {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": {"type": "double"}}]},
        },
        # Names, symbols and defaults that read "double" are not types: they stay as they are.
        {"name": "double", "type": "string", "default": "double"},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["float", "double"]}},
        {"name": "odd", "type": {"type": "double", "logicalType": "not-a-standard-one"}},
    ],
}


def test_avro_floats_of_every_kind_are_written_as_the_json_module_writes_them():
    codec = AvroCodec(Schema("AVRO", json.dumps(FLOATY), id=1))
    parsed = fastavro.parse_schema(FLOATY)
    rnd = random.Random(3)
    for _ in range(200):
        pick = lambda: rnd.choice(FLOATS + [rnd.uniform(-1, 1) * 10 ** rnd.randint(-12, 20)])  # noqa: E731
        value = {
            "d": pick(),
            "f": pick(),
            "maybe": rnd.choice([None, pick()]),
            "many": [pick() for _ in range(rnd.randint(0, 3))],
            "by_name": {"k": pick()},
            "inner": {"x": pick()},
            "double": "double",
            "kind": rnd.choice(["float", "double"]),
            "odd": pick(),
        }
        stream = io.BytesIO()
        fastavro.schemaless_writer(stream, parsed, value)
        data = frame(1, stream.getvalue())
        shown = codec.decode_json(data, 5)[0]
        # The reference: the values fastavro reads, written by the json module.
        assert shown == REFERENCE(fastavro.schemaless_reader(io.BytesIO(data[5:]), parsed, None))
    small = {**value, "d": 1e-5, "maybe": math.nan, "many": [math.inf], "inner": {"x": -2.5e-7}}
    stream = io.BytesIO()
    fastavro.schemaless_writer(stream, parsed, small)
    text = codec.decode_json(frame(1, stream.getvalue()), 5)[0].decode()
    assert '"d":1e-05' in text and '"maybe":NaN' in text and '"many":[Infinity]' in text
    assert '"inner":{"x":-2.5e-07}' in text and '"double":"double"' in text


PROTO = """syntax = "proto3";
package t;
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
message M {
  double d = 1; float f = 2; repeated double rd = 3; map<string, double> md = 4;
  google.protobuf.Struct extra = 5; google.protobuf.DoubleValue wd = 6; google.protobuf.FloatValue wf = 7;
  int64 big = 8; string s = 9;
}
"""


def test_protobuf_floats_of_every_kind_are_written_as_the_json_module_writes_them():
    codec = ProtobufCodec(Schema("PROTOBUF", PROTO, id=2))
    cls, _ = codec.message_class((0,))
    rnd = random.Random(5)
    for _ in range(200):
        pick = lambda: rnd.choice(FLOATS + [rnd.uniform(-1, 1) * 10 ** rnd.randint(-12, 20)])  # noqa: E731
        message = cls(d=pick(), f=pick(), rd=[pick(), pick()], big=rnd.randint(-(2**63), 2**63 - 1), s="é")
        message.md["k"] = pick()
        finite = pick()
        if math.isfinite(finite):  # a Struct holds no NaN or infinity as JSON
            message.extra.update({"n": finite, "l": [finite]})
        message.wd.value = pick()
        message.wf.value = pick()
        data = frame(2, message.SerializeToString(), [0])
        value, _name = codec.read(data, 5)
        assert codec.decode_json(data, 5)[0] == REFERENCE_PLAIN(value)
    message = cls(d=1e-5, f=math.nan)
    message.extra.update({"n": 2.5e-6})
    text = codec.decode_json(frame(2, message.SerializeToString(), [0]), 5)[0].decode()
    assert '"d":1e-05' in text and '"f":"NaN"' in text and '"n":2.5e-06' in text
