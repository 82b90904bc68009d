"""The JSON Schema codec: payloads validated and shown compact, references
resolved by their names, refusals with the path of the breaking value."""

from __future__ import annotations

import json

import pytest

from kview.core.schemas.errors import DecodeError, EncodeError, SchemaError
from kview.core.schemas.framing import frame
from kview.core.schemas.jsonschema_codec import JsonSchemaCodec
from kview.core.schemas.models import Schema, SchemaReference

ADDRESS = {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}, "required": ["zip"]}
PERSON = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "home": {"$ref": "address.json"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def codec() -> JsonSchemaCodec:
    return JsonSchemaCodec(
        Schema("JSON", json.dumps(PERSON), (SchemaReference("address.json", "address", 1),), id=5),
        {"address.json": Schema("JSON", json.dumps(ADDRESS))},
    )


def test_valid_payloads_come_out_compact(codec):
    payload = json.dumps({"name": "Ann", "age": 30, "home": {"zip": "12345"}}, indent=2).encode()
    decoded, message, problem = codec.decode_json(frame(5, payload), 5)
    assert (message, problem) == (None, None)
    assert decoded == b'{"name":"Ann","age":30,"home":{"zip":"12345"}}'


@pytest.mark.parametrize(
    ("doc", "path", "reason"),
    [
        ({"age": 3}, "$", "'name' is a required property"),
        ({"name": "A", "age": -1}, "$.age", "-1 is less than the minimum of 0"),
        ({"name": "A", "home": {"zip": "abc"}}, "$.home.zip", "does not match"),
        ({"name": "A", "tags": ["x", 2]}, "$.tags[1]", "2 is not of type 'string'"),
        ({"name": "A", "colour": "red"}, "$", "Additional properties are not allowed"),
    ],
)
def test_values_that_break_the_schema(codec, doc, path, reason):
    decoded, _, problem = codec.decode_json(frame(5, json.dumps(doc).encode()), 5)
    assert json.loads(decoded) == doc  # still shown
    assert problem.startswith(f"does not match its schema at {path}: ") and reason in problem
    with pytest.raises(EncodeError) as caught:
        codec.write(doc)
    assert caught.value.path == path and reason in caught.value.reason


def test_write_gives_compact_utf8_json(codec):
    assert codec.write({"name": "Zoë"}) == '{"name":"Zoë"}'.encode()


def test_a_payload_that_is_not_json(codec):
    with pytest.raises(DecodeError, match="payload is not JSON"):
        codec.decode_json(frame(5, b'{"name": '), 5)


def test_a_missing_reference_is_said_when_used():
    codec = JsonSchemaCodec(Schema("JSON", json.dumps(PERSON), id=6))
    _, _, problem = codec.decode_json(frame(6, b'{"name": "A", "home": {}}'), 5)
    assert "address.json" in problem and "not supplied by the registry" in problem


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "the JSON Schema is not JSON"),
        ('{"type": "nonsense"}', "JSON Schema is not valid"),
        ("[1, 2]", "neither an object nor a boolean"),
    ],
)
def test_bad_schemas(text, reason):
    with pytest.raises(SchemaError, match=reason):
        JsonSchemaCodec(Schema("JSON", text, id=1))


def test_the_draft_named_by_the_schema_applies():
    # draft 2020-12's prefixItems means nothing to draft-07
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": [{"type": "integer"}]}
    codec = JsonSchemaCodec(Schema("JSON", json.dumps(schema), id=1))
    assert codec.decode_json(frame(1, b'["x"]'), 5)[2] is not None
    draft7 = JsonSchemaCodec(Schema("JSON", json.dumps({"prefixItems": [{"type": "integer"}]}), id=2))
    assert draft7.decode_json(frame(2, b'["x"]'), 5)[2] is None
