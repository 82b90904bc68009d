"""The Protobuf codec: .proto text compiled by protoc in-process, or a base64
FileDescriptorProto (how confluent-kafka's Python serializer registers); the
message chosen by the message indexes; imports supplied as references; the
proto3 JSON mapping for oneofs, enums and well-known types; refusals with
field paths.  Payloads are built by setting fields on the message classes
(not through JSON), and the expected JSON is written out by hand."""

from __future__ import annotations

import base64
import json

import pytest
from google.protobuf import descriptor_pb2

from kview.core.schemas.errors import DecodeError, EncodeError, SchemaError
from kview.core.schemas.framing import frame
from kview.core.schemas.models import Schema, SchemaReference
from kview.core.schemas.protobuf import ProtobufCodec

MONEY = """syntax = "proto3";
package acme.common;
message Money { int64 cents = 1; string currency = 2; }
"""
ORDER = """syntax = "proto3";
package acme.orders;
import "acme/common/money.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";

message Ping { string text = 1; }

message Order {
  enum Status { NEW = 0; PAID = 1; }
  message Line {
    string sku = 1;
    int32 qty = 2;
    message Note { string text = 1; }
    Note note = 3;
  }
  string id = 1;
  acme.common.Money total = 2;
  Status status = 3;
  repeated Line lines = 4;
  oneof contact { string email = 5; string phone = 6; }
  google.protobuf.Timestamp created = 7;
  google.protobuf.Struct extra = 8;
  google.protobuf.Int32Value maybe = 9;
  map<string, int64> counts = 10;
  bytes blob = 11;
}
"""
REFS = {"acme/common/money.proto": Schema("PROTOBUF", MONEY)}
REF_LIST = (SchemaReference("acme/common/money.proto", "acme-money", 1),)


@pytest.fixture(scope="module")
def codec() -> ProtobufCodec:
    return ProtobufCodec(Schema("PROTOBUF", ORDER, REF_LIST, id=11), REFS)


def test_messages_in_file_order(codec):
    assert codec.message_names() == [
        "acme.orders.Ping",
        "acme.orders.Order",
        "acme.orders.Order.Line",
        "acme.orders.Order.Line.Note",
    ]
    assert codec.indexes_of("acme.orders.Order.Line.Note") == (1, 0, 0)
    assert codec.indexes_of("Ping") == (0,)
    with pytest.raises(SchemaError, match="no message Nope"):
        codec.indexes_of("Nope")


def test_decodes_the_message_the_indexes_choose(codec):
    order_cls, name = codec.message_class((1,))
    assert name == "acme.orders.Order"
    order = order_cls()
    order.id = "o-1"
    order.total.cents = 2**40
    order.total.currency = "EUR"
    order.status = 1
    line = order.lines.add()
    line.sku = "a"
    line.qty = 2
    line.note.text = "gift"
    order.phone = "+44"
    order.created.seconds = 1714566605
    order.created.nanos = 250_000_000
    order.extra.update({"k": [1, "b"], "flag": True})
    order.maybe.value = 0
    order.counts["n"] = 3
    order.blob = b"\x00\xff"
    decoded, message, problem = codec.decode_json(frame(11, order.SerializeToString(), [1]), 5)
    assert (message, problem) == ("acme.orders.Order", None)
    assert json.loads(decoded) == {
        "id": "o-1",
        "total": {"cents": str(2**40), "currency": "EUR"},  # int64 as a string (proto3 JSON)
        "status": "PAID",
        "lines": [{"sku": "a", "qty": 2, "note": {"text": "gift"}}],
        "phone": "+44",  # the oneof's field that is set, and only it
        "created": "2024-05-01T12:30:05.250Z",
        "extra": {"k": [1.0, "b"], "flag": True},
        "maybe": 0,  # a wrapper: set to its default, still shown
        "counts": {"n": "3"},
        "blob": "AP8=",
    }
    note_cls, note_name = codec.message_class((1, 0, 0))
    note = note_cls(text="deep")
    decoded, message, _ = codec.decode_json(frame(11, note.SerializeToString(), [1, 0, 0]), 5)
    assert message == note_name == "acme.orders.Order.Line.Note"
    assert json.loads(decoded) == {"text": "deep"}


def test_defaults_are_shown(codec):
    decoded, _, _ = codec.decode_json(frame(11, b"", [0]), 5)
    assert json.loads(decoded) == {"text": ""}


def test_write_then_read(codec):
    doc = {"id": "o-2", "lines": [{"sku": "b", "qty": 3}], "email": "a@b", "created": "2024-05-01T12:30:05Z"}
    payload, indexes = codec.write(doc, "acme.orders.Order")
    assert indexes == (1,)
    decoded = json.loads(codec.decode_json(frame(11, payload, indexes), 5)[0])
    # an unset message field (note) has presence: left out; scalars show their defaults
    assert decoded["lines"] == [{"sku": "b", "qty": 3}]
    assert (decoded["status"], decoded["counts"], decoded["blob"]) == ("NEW", {}, "")
    assert (decoded["id"], decoded["email"], decoded["created"]) == ("o-2", "a@b", "2024-05-01T12:30:05Z")
    assert codec.write({"text": "x"}) == (b"\n\x01x", (0,))  # the first message by default


@pytest.mark.parametrize(
    ("doc", "path", "reason"),
    [
        ({"id": 5}, "$.id", ""),
        ({"nope": 1}, "$.nope", "no field named nope in acme.orders.Order"),
        ({"lines": [{"sku": "a"}, {"qty": "many"}]}, "$.lines[1].qty", ""),
        ({"lines": [{"note": {"text": 3}}]}, "$.lines[0].note.text", ""),
        ({"total": {"cents": "abc"}}, "$.total.cents", ""),
        ({"total": 5}, "$.total", "expected an object (acme.common.Money)"),
        ({"lines": 5}, "$.lines", "expected an array"),
        ({"status": "GONE"}, "$.status", "GONE"),
        ({"created": "yesterday"}, "$.created", "timestamp"),
        ({"counts": {"n": "x"}}, "$.counts.n", ""),
    ],
)
def test_refusals_name_the_field(codec, doc, path, reason):
    with pytest.raises(EncodeError) as caught:
        codec.write(doc, "acme.orders.Order")
    assert caught.value.path == path
    assert reason in caught.value.reason and caught.value.reason
    assert "\n" not in str(caught.value)


def test_a_base64_file_descriptor_as_confluents_python_serializer_registers():
    # Compile .proto text once, then hand the codec only the serialized descriptor.
    compiled = ProtobufCodec(Schema("PROTOBUF", ORDER, REF_LIST, id=1), REFS).file
    text = base64.b64encode(compiled.SerializeToString()).decode()
    codec = ProtobufCodec(Schema("PROTOBUF", text, REF_LIST, id=2), REFS)
    cls, name = codec.message_class((1, 0))
    assert name == "acme.orders.Order.Line"
    decoded, _, _ = codec.decode_json(frame(2, cls(sku="z", qty=1).SerializeToString(), [1, 0]), 5)
    assert json.loads(decoded) == {"sku": "z", "qty": 1}


def test_a_base64_reference():
    money = ProtobufCodec(Schema("PROTOBUF", MONEY, id=1)).file
    money.name = "acme/common/money.proto"
    refs = {"acme/common/money.proto": Schema("PROTOBUF", base64.b64encode(money.SerializeToString()).decode())}
    codec = ProtobufCodec(Schema("PROTOBUF", ORDER, REF_LIST, id=3), refs)
    cls, _ = codec.message_class((1,))
    order = cls()
    order.total.cents = 5
    assert json.loads(codec.decode_json(frame(3, order.SerializeToString(), [1]), 5)[0])["total"] == {
        "cents": "5",
        "currency": "",
    }


def test_two_schemas_with_the_same_names_do_not_clash():
    first = ProtobufCodec(Schema("PROTOBUF", 'syntax = "proto3"; package p; message M { string a = 1; }', id=1))
    second = ProtobufCodec(Schema("PROTOBUF", 'syntax = "proto3"; package p; message M { int32 b = 1; }', id=2))
    assert json.loads(first.decode_json(frame(1, b"\n\x01x", [0]), 5)[0]) == {"a": "x"}
    assert json.loads(second.decode_json(frame(2, b"\x08\x07", [0]), 5)[0]) == {"b": 7}


@pytest.mark.parametrize(
    ("text", "refs", "reason"),
    [
        ('syntax = "proto3"; message { }', {}, r"does not compile: kview_schema_9\.proto:1:\d+: Expected message name"),
        ('syntax = "proto3"; import "missing.proto"; message A { int32 x = 1; }', {}, "missing.proto"),
        ('syntax = "proto3"; package only;', {}, "defines no message"),
        (
            'syntax = "proto3"; import "bad.proto"; message A { B b = 1; }',
            {"bad.proto": Schema("PROTOBUF", "message B {")},
            "does not compile: bad.proto",
        ),
    ],
)
def test_schemas_that_do_not_compile(text, refs, reason):
    with pytest.raises(SchemaError, match=reason) as caught:
        ProtobufCodec(Schema("PROTOBUF", text, id=9), refs)
    assert "\n" not in str(caught.value) and "kview-proto-" not in str(caught.value)


def test_a_descriptor_whose_import_was_not_supplied():
    proto = descriptor_pb2.FileDescriptorProto(name="x.proto", syntax="proto3", dependency=["elsewhere.proto"])
    proto.message_type.add(name="X")
    text = base64.b64encode(proto.SerializeToString()).decode()
    with pytest.raises(SchemaError, match="imports elsewhere.proto, which the registry did not supply"):
        ProtobufCodec(Schema("PROTOBUF", text, id=4))


def test_bad_payloads(codec):
    cls, _ = codec.message_class((1,))
    payload = cls(id="x" * 40).SerializeToString()
    with pytest.raises(DecodeError, match="truncated or corrupt Protobuf payload for acme.orders.Order"):
        codec.decode_json(frame(11, payload[:-10], [1]), 5)
    with pytest.raises(DecodeError, match=r"message indexes \[7\] name no message"):
        codec.decode_json(frame(11, payload, [7]), 5)
    with pytest.raises(DecodeError, match="truncated Protobuf message indexes"):
        codec.decode_json(b"\x00\x00\x00\x00\x0b\x04\x02", 5)
