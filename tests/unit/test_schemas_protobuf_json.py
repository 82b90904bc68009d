"""The fast Protobuf-to-JSON converters against json_format.MessageToDict
itself, on messages that cover the proto3 JSON mapping: every scalar type
(NaN and infinities, 32-bit floats), presence (oneofs, optional, message
fields, proto2), repeated fields, maps with each key kind, enums (with a
number the schema does not name), recursion and the well-known types."""

from __future__ import annotations

import json
import math
import random

import pytest
from google.protobuf import json_format

from kview.core.schemas.framing import frame
from kview.core.schemas.models import Schema
from kview.core.schemas.protobuf import ProtobufCodec

PROTO3 = """syntax = "proto3";
package t;
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message All {
  enum Colour { RED = 0; GREEN = 1; }
  message Inner { string s = 1; repeated All again = 2; }
  int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4; sint32 s32 = 5; sint64 s64 = 6;
  fixed32 f32 = 7; fixed64 f64 = 8; sfixed32 sf32 = 9; sfixed64 sf64 = 10;
  float fl = 11; double db = 12; bool b = 13; string s = 14; bytes by = 15; Colour colour = 16;
  optional int32 maybe = 17;
  oneof choice { string text = 18; Inner inner = 19; int64 number = 20; }
  repeated int64 r64 = 21; repeated double rdb = 22; repeated Colour rcolour = 23; repeated Inner rinner = 24;
  repeated bytes rby = 25;
  map<string, Inner> by_name = 26; map<int64, string> by_i64 = 27; map<bool, Colour> by_bool = 28;
  map<int32, double> by_i32 = 29;
  google.protobuf.Timestamp at = 30; google.protobuf.Duration took = 31; google.protobuf.Struct extra = 32;
  google.protobuf.Value any_value = 33; google.protobuf.ListValue list = 34; google.protobuf.Int64Value w64 = 35;
  google.protobuf.DoubleValue wdb = 36; google.protobuf.BytesValue wby = 37; google.protobuf.Any packed = 38;
  google.protobuf.Empty nothing = 39; google.protobuf.FieldMask mask = 40; google.protobuf.StringValue ws = 41;
  repeated google.protobuf.Timestamp times = 42; Inner single = 43;
}
"""
PROTO2 = """syntax = "proto2";
package t2;
message Old {
  optional int32 a = 1 [default = 7];
  required string b = 2;
  repeated int32 c = 3;
  optional Old next = 4;
  optional bytes d = 5;
}
"""


@pytest.fixture(scope="module")
def codec() -> ProtobufCodec:
    return ProtobufCodec(Schema("PROTOBUF", PROTO3, id=1))


def expected(codec: ProtobufCodec, message) -> dict:
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True, descriptor_pool=codec.pool
    )


def converted(codec: ProtobufCodec, message, indexes=(0,)) -> dict:
    return json.loads(codec.decode_json(frame(1, message.SerializeToString(), list(indexes)), 5)[0])


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN (MessageToDict writes NaN as a string too)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b and type(a) is type(b)


def random_all(cls, rnd: random.Random, depth: int = 0):
    """A message with every field drawn at random (packed is set by the caller)."""
    m = cls()
    m.i32 = rnd.randint(-(2**31), 2**31 - 1)
    m.i64 = rnd.randint(-(2**63), 2**63 - 1)
    m.u32 = rnd.randint(0, 2**32 - 1)
    m.u64 = rnd.randint(0, 2**64 - 1)
    m.s32, m.s64 = rnd.randint(-100, 100), rnd.randint(-(2**40), 2**40)
    m.f32, m.f64, m.sf32, m.sf64 = rnd.randint(0, 9), rnd.randint(0, 2**64 - 1), -3, -(2**50)
    m.fl = rnd.choice([0.1, 1.5, -2.25e10, float("nan"), float("inf"), float("-inf"), 3.4e38])
    m.db = rnd.choice([0.1, 1e300, -0.0, float("nan"), float("-inf"), 1 / 3])
    m.b = rnd.random() < 0.5
    m.s = rnd.choice(["", "plain", 'quote " and \\ and é ✓', "\n\t\x00"])
    m.by = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 9)))
    m.colour = rnd.choice([0, 1, 7])  # 7: a number the enum does not name
    if rnd.random() < 0.5:
        m.maybe = rnd.choice([0, 5])
    choice = rnd.randrange(4)
    if choice == 1:
        m.text = "t"
    elif choice == 2:
        m.inner.s = "in"
    elif choice == 3:
        m.number = 2**62
    m.r64.extend(rnd.randint(-(2**63), 2**63 - 1) for _ in range(rnd.randint(0, 3)))
    m.rdb.extend([1.5, float("nan")][: rnd.randint(0, 2)])
    m.rcolour.extend([1, 0, 9][: rnd.randint(0, 3)])
    for _ in range(rnd.randint(0, 2)):
        inner = m.rinner.add(s="r")
        if depth < 2 and rnd.random() < 0.5:
            inner.again.append(random_all(cls, rnd, depth + 1))
    m.rby.extend([b"\x00", b"ab"][: rnd.randint(0, 2)])
    m.by_name["k"].s = "v"
    m.by_i64[-(2**40)] = "neg"
    m.by_bool[True] = 1
    m.by_bool[False] = 9
    m.by_i32[3] = float("inf")
    if rnd.random() < 0.7:
        m.at.seconds, m.at.nanos = rnd.randint(0, 2**33), rnd.choice([0, 5_000_000, 123_456_000, 1])
    if rnd.random() < 0.7:
        m.took.seconds, m.took.nanos = rnd.randint(-5, 5000), 0
    m.extra.update({"a": [1, "b", None, True, {"c": 2.5}]})
    m.any_value.string_value = "x"
    m.list.extend([1, "two"])
    m.w64.value = 2**60
    if rnd.random() < 0.5:
        m.wdb.value = float("nan")
    m.wby.value = b"\xff"
    m.nothing.SetInParent()
    m.mask.paths.extend(["a.b", "c"])
    m.ws.value = ""
    for _ in range(rnd.randint(0, 2)):
        m.times.add(seconds=rnd.randint(0, 2**33), nanos=rnd.choice([0, 10]))
    return m


def test_random_messages_match_message_to_dict(codec):
    cls, _ = codec.message_class((0,))
    inner_cls, _ = codec.message_class((0, 0))
    rnd = random.Random(15)
    for _ in range(300):
        message = random_all(cls, rnd)
        message.packed.Pack(inner_cls(s="packed"))
        assert same(converted(codec, message), expected(codec, message)), message


def test_an_empty_message_matches(codec):
    cls, _ = codec.message_class((0,))
    assert same(converted(codec, cls()), expected(codec, cls()))
    inner_cls, _ = codec.message_class((0, 0))
    assert converted(codec, inner_cls(s="x"), (0, 0)) == {"s": "x", "again": []}


def test_proto2_presence_and_defaults():
    codec = ProtobufCodec(Schema("PROTOBUF", PROTO2, id=2))
    cls, _ = codec.message_class((0,))
    for message in (cls(b="x"), cls(b="y", a=0, c=[1, 2], d=b""), cls(b="z", next=cls(b="inner", a=3))):
        assert json.loads(codec.decode_json(frame(2, message.SerializeToString(), [0]), 5)[0]) == expected(
            codec, message
        )


def test_a_recursive_message_type():
    codec = ProtobufCodec(Schema("PROTOBUF", 'syntax = "proto3"; message Node { string v = 1; Node next = 2; }', id=3))
    cls, _ = codec.message_class((0,))
    message = cls(v="a", next=cls(v="b", next=cls(v="c")))
    assert converted(codec, message) == {"v": "a", "next": {"v": "b", "next": {"v": "c"}}} == expected(codec, message)
