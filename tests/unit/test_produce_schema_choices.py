"""The producer's schema choices and the importers' encoding hook, without
Kafka or a registry: ``SUBJECT[:VERSION]`` parsing, the settings' problems,
and how a file's records reach an encoder (JSON Lines: the field's JSON value;
console lines: the text parsed as JSON; null stays null; a refusal is a
problem of its line).  The encoders themselves are tested against the real
registry in tests/integration/test_schema_produce.py."""

from __future__ import annotations

import json

import pytest

from kview.core.importers import FileFormat, ImportOptions, ImportProblem, ImportRecord, RecordEncoding, parse_lines
from kview.core.produce import ProduceError, ProducerSettings, SchemaChoice, SchemaMismatch, SchemaUsed


@pytest.mark.parametrize(
    ("text", "subject", "version"),
    [
        ("orders-value", "orders-value", "latest"),
        ("orders-value:3", "orders-value", 3),
        ("orders-value:latest", "orders-value", "latest"),
        (":.ctx:orders-value", ":.ctx:orders-value", "latest"),  # a registry context, no version
        (":.ctx:orders-value:2", ":.ctx:orders-value", 2),
        ("", None, "latest"),  # the topic name strategy
        (":4", None, 4),
    ],
)
def test_schema_choice_parse(text, subject, version):
    choice = SchemaChoice.parse(text, message="shop.Order")
    assert (choice.subject, choice.version, choice.message) == (subject, version, "shop.Order")


def test_schema_choice_refuses_version_zero_and_names_the_topic_subject():
    with pytest.raises(ProduceError, match="version"):
        SchemaChoice.parse("orders-value:0")
    assert SchemaChoice().subject_for("orders", "value") == "orders-value"
    assert SchemaChoice().describe("key") == "<topic>-key latest"
    assert SchemaChoice("s", 2, "a.B").describe("value", "orders") == "s v2 message a.B"


def test_settings_problems_name_the_field():
    settings = ProducerSettings(value_schema=SchemaChoice("s", -1))
    assert settings.problems() == ["value schema: the schema version must be 'latest' or a number >= 1, not -1"]
    assert settings.uses_schemas
    # The schema is not the producer's business: the same producer serves both.
    assert settings.producer_kwargs() == ProducerSettings().producer_kwargs()


def test_mismatch_names_field_schema_path_and_reason():
    used = SchemaUsed("orders-value", 3, 12, "AVRO")
    refused = SchemaMismatch("value", used, "$.amount", "expected an int, got a string")
    assert str(refused) == (
        "value does not fit schema orders-value v3 (id 12, Avro): $.amount: expected an int, got a string"
    )
    assert str(SchemaUsed("s", 1, 2, "PROTOBUF", "shop.Order")) == "s v1 (id 2, Protobuf shop.Order)"


def needs_an_id(doc):
    """A stand-in for a schema's encoder: an object with an integer id."""
    if not isinstance(doc, dict) or type(doc.get("id")) is not int:
        raise SchemaMismatch("value", None, "$.id", "expected an integer")
    return b"\0ID" + str(doc["id"]).encode()


def upper_key(doc):
    if not isinstance(doc, str):
        raise SchemaMismatch("key", None, "$", "expected a string")
    return doc.upper().encode()


ENCODING = RecordEncoding(key=upper_key, value=needs_an_id)


def test_jsonl_encodes_the_fields_json_value():
    lines = [
        json.dumps({"key": "k", "value": {"id": 7}}),
        json.dumps({"key": "k", "value": None}),  # a tombstone stays null
        json.dumps({"value": {"id": "seven"}}),
        json.dumps({"key": 5, "value": {"id": 1}}),
        json.dumps({"value": '{"id": 1}'}),  # a string is a string, not JSON text to parse again
    ]
    items = list(parse_lines(lines, ImportOptions(), ENCODING))
    assert items[0] == ImportRecord(1, b"K", b"\0ID7")
    assert items[1] == ImportRecord(2, b"K", None)
    assert items[2] == ImportProblem(3, "value does not fit its schema: $.id: expected an integer")
    assert items[3] == ImportProblem(4, "key does not fit its schema: $: expected a string")
    assert isinstance(items[4], ImportProblem) and items[4].line == 5


def test_console_lines_are_parsed_as_json_first():
    options = ImportOptions(format=FileFormat.CONSOLE, key_separator="|", null_marker="NULL")
    lines = ['"a"|{"id": 1}', '"b"|NULL', '"c"|{id: 1}', 'NULL|{"id": 2}', '"d"|{"id": true}']
    items = list(parse_lines(lines, options, ENCODING))
    assert items[0] == ImportRecord(1, b"A", b"\0ID1")
    assert items[1] == ImportRecord(2, b"B", None)
    assert isinstance(items[2], ImportProblem) and items[2].message.startswith("value is not JSON")
    assert items[3] == ImportRecord(4, None, b"\0ID2")
    assert items[4] == ImportProblem(5, "value does not fit its schema: $.id: expected an integer")


def test_without_encoding_nothing_changes():
    lines = [json.dumps({"key": "k", "value": {"id": 7}})]
    assert list(parse_lines(lines)) == [ImportRecord(1, b"k", b'{"id":7}')]
