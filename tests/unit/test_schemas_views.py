"""The pure parts of the registry views: the headless documents against their
JSON Schemas and their tables, the pretty-printing and the diff of the
subject detail, the filter of the Schemas pane, what the schema modal refuses
before sending, the rows of the topic detail's seen ids."""

from __future__ import annotations

import difflib
import json

import jsonschema

from kview.core.schemas.decoder import SchemaInfo
from kview.core.schemas.models import Schema, SchemaReference, SubjectSummary, SubjectVersion
from kview.headless import render
from kview.headless.schema import SCHEMAS
from kview.ui.panes.schema_detail import pretty_schema, schema_diff
from kview.ui.panes.schemas import not_configured_text, subject_matches
from kview.ui.panes.topic_detail import seen_rows
from kview.ui.screens.schema_check import local_problem

AVRO_V1 = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}'
AVRO_V2 = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"y","type":"string","default":""}]}'
PROTO = 'syntax = "proto3";\nimport "b.proto";\nmessage P { B b = 1; }\n'


def version(subject: str, number: int, schema_id: int, kind: str, text: str, refs=()) -> SubjectVersion:
    return SubjectVersion(subject, number, schema_id, Schema(kind, text, tuple(refs), schema_id))


def test_documents_follow_their_schemas_and_tables_show_them():
    summaries = [
        SubjectSummary("a-value", "AVRO", 2, 7, 2, "BACKWARD"),
        SubjectSummary("p-value", "PROTOBUF", 1, 9, 1, None),
    ]
    doc = render.schemas_doc(summaries, registry="http://r:8081", pattern="-value", taken_at=1.5)
    jsonschema.Draft202012Validator(SCHEMAS["schemas"]).validate(doc)
    text = render.plain_text(render.schemas_view(doc)).splitlines()
    assert text[1].split() == ["a-value", "Avro", "2", "7", "2", "BACKWARD"]
    assert text[2].split() == ["p-value", "Protobuf", "1", "9", "1", "-"]
    empty = render.schemas_doc([], registry="http://r:8081", pattern="zz", taken_at=1.5)
    assert render.schemas_view(empty) == ["no subject matches 'zz'"]

    found = version("p-value", 1, 9, "PROTOBUF", PROTO, [SchemaReference("b.proto", "b", 3)])
    one = render.schema_doc(found, registry="http://r:8081", versions=[1], compatibility="NONE", taken_at=2.0)
    jsonschema.Draft202012Validator(SCHEMAS["schema"]).validate(one)
    assert one["references"] == [{"name": "b.proto", "subject": "b", "version": 3}]
    lines = render.plain_text(render.schema_view(one)).splitlines()
    assert lines[0] == "subject p-value: version 1 (of 1), id 9, Protobuf, compatibility NONE"
    assert lines[2].split() == ["b.proto", "b", "3"]
    assert lines[3:] == PROTO.strip("\n").splitlines()


def test_avro_and_json_schema_are_indented_protobuf_kept():
    assert pretty_schema(Schema("AVRO", AVRO_V1)) == json.dumps(json.loads(AVRO_V1), indent=2)
    assert pretty_schema(Schema("JSON", '{"type":"object"}')) == '{\n  "type": "object"\n}'
    assert pretty_schema(Schema("PROTOBUF", PROTO)) == PROTO.strip("\n")
    assert pretty_schema(Schema("AVRO", "not json")) == "not json"


def test_the_diff_is_of_the_pretty_texts():
    old, new = version("a", 1, 1, "AVRO", AVRO_V1), version("a", 2, 2, "AVRO", AVRO_V2)
    lines = schema_diff(old, new)
    assert lines[:2] == ["--- a version 1 (id 1)", "+++ a version 2 (id 2)"]
    expected = list(
        difflib.unified_diff(
            pretty_schema(old.schema).splitlines(), pretty_schema(new.schema).splitlines(), lineterm=""
        )
    )
    assert lines[2:] == expected[2:]
    assert schema_diff(old, old) == []


def test_the_filter_matches_subject_or_type_smart_case():
    avro = SubjectSummary("Orders-value", "AVRO", 1, 1, 1, None)
    proto = SubjectSummary("payments-value", "PROTOBUF", 1, 2, 1, None)
    assert [s.subject for s in (avro, proto) if subject_matches("orders")(s)] == ["Orders-value"]
    assert [s.subject for s in (avro, proto) if subject_matches("protobuf")(s)] == ["payments-value"]
    assert [s.subject for s in (avro, proto) if subject_matches("Orders avro")(s)] == []  # capital: exact case
    assert [s.subject for s in (avro, proto) if subject_matches("Orders AVRO")(s)] == ["Orders-value"]
    assert all(subject_matches("")(s) for s in (avro, proto))


def test_what_the_modal_refuses_before_sending():
    assert local_problem("AVRO", "  ") == "the schema is empty"
    assert (local_problem("AVRO", "{oops") or "").startswith("not valid JSON: ")
    assert (local_problem("JSON", "[1,") or "").startswith("not valid JSON: ")
    assert local_problem("AVRO", AVRO_V1) is None
    assert local_problem("PROTOBUF", PROTO) is None  # the registry judges .proto text


def test_the_advice_names_the_block_and_the_flag():
    text = not_configured_text("prod", "/home/u/.config/kview/config.yaml")
    assert "cluster 'prod'" in text and "/home/u/.config/kview/config.yaml" in text
    assert "      schema_registry:\n        url: " in text and "--schema-registry URL" in text


def test_seen_rows_by_id():
    rows = seen_rows({9: SchemaInfo(9, "PROTOBUF", "p-value", 1, "demo.P"), 3: SchemaInfo(3, "AVRO")})
    assert [(r.key, r.subject, r.role, r.version, r.schema_id, r.type) for r in rows] == [
        ("id:3", None, "seen", None, 3, "AVRO"),
        ("id:9", "p-value", "seen", 1, 9, "PROTOBUF"),
    ]
