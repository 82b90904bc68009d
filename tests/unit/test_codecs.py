"""Decoders for keys and values, and the JSONL export: never raise on bad
bytes, previews stay on one line within their limit, JSON is laid out exactly
as json.dumps(indent=2) would, hex dumps match hexdump -C."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kview.core.codecs import (
    EMPTY_TEXT,
    FORMATS,
    KEY,
    NOT_JSON,
    NULL_TEXT,
    NUMBER,
    STRING,
    TRUNCATED,
    detect,
    encode_bytes,
    hexdump,
    loads,
    preview,
    render,
    sanitize,
)
from kview.core.export import ExportError, export_jsonl, read_jsonl, record_from_json, record_to_json
from kview.core.ring import make_record

CONTROL = {chr(c) for c in range(0x20)} | {"\x7f"} | {chr(c) for c in range(0x80, 0xA0)}


def no_controls(text: str, *, allow_newline: bool = False) -> bool:
    bad = CONTROL - ({"\n"} if allow_newline else set())
    return not any(ch in bad for ch in text)


# -- null, empty, detection ----------------------------------------------------------


def test_null_and_empty_have_markers():
    for fmt in FORMATS:
        assert preview(None, fmt) == NULL_TEXT
        assert preview(b"", fmt) == EMPTY_TEXT
    assert render(None).format == "null" and render(None).text == NULL_TEXT
    assert render(b"").format == "empty" and render(b"").text == ""


@pytest.mark.parametrize(
    "data, kind",
    [
        (None, "null"),
        (b"", "empty"),
        (b'{"a": 1}', "json"),
        (b"  [1, 2]", "json"),
        (b"42", "text"),  # a JSON scalar reads fine as text
        (b"{not json", "text"),
        ("héllo wörld".encode(), "text"),
        (b"log line \x1b[31mred\x1b[0m", "text"),
        (b"\x00\x01\x02binary", "hex"),
        (b"\xff\xfe\xfd", "hex"),
    ],
)
def test_detect(data, kind):
    assert detect(data) == kind


def test_loads_never_raises():
    assert loads(b'{"a": [1]}') == {"a": [1]}
    for bad in (None, b"", b"{", b"\xff", b"[" * 100_000, "nope"):
        assert loads(bad) is NOT_JSON
    assert not NOT_JSON


# -- previews ------------------------------------------------------------------------


def test_preview_is_one_line_and_escapes_controls():
    assert preview(b"a\nb\tc\x1b[0m\x00", "text") == "a\\nb c\\x1b[0m\\x00"


def test_preview_truncates_with_marker():
    text = preview(b"x" * 500, "text", limit=20)
    assert len(text) == 20 and text.endswith(TRUNCATED) and text.startswith("x" * 19)
    assert preview(b"short", "text", limit=20) == "short"
    assert preview(b"exactly-10", "text", limit=10) == "exactly-10"


def test_preview_of_a_huge_value_reads_only_its_head():
    huge = b'{"k": "' + b"y" * (5 << 20) + b'"}'
    text = preview(huge, "auto", limit=80)
    assert len(text) == 80 and text.endswith(TRUNCATED)


def test_preview_does_not_split_a_character_at_the_cut():
    data = "é".encode() * 1000
    text = preview(data, "text", limit=50)
    assert "\ufffd" not in text and text == "é" * 49 + TRUNCATED


def test_preview_formats():
    data = b'{"b": 1,  "a": [true, null]}'
    assert preview(data, "json") == '{"b":1,"a":[true,null]}'
    assert preview(data, "auto") == '{"b":1,"a":[true,null]}'
    assert preview(b"\x01\x02\xff", "hex") == "01 02 ff"
    assert preview(b"hello", "base64") == base64.b64encode(b"hello").decode()
    assert preview(b"not json", "json") == "not json"  # falls back to readable text


# -- full renderings -----------------------------------------------------------------


def test_render_json_tokens_carry_kinds():
    result = render(b'{"name": "kafka", "n": 3}', "auto")
    assert result.format == "json" and result.note == ""
    assert result.text == json.dumps({"name": "kafka", "n": 3}, indent=2)
    kinds = {(kind, text) for line in result.lines for kind, text in line}
    assert (KEY, '"name"') in kinds and (STRING, '"kafka"') in kinds and (NUMBER, "3") in kinds


def test_render_invalid_json_falls_back_with_a_note():
    result = render(b'{"a": ', "json")
    assert result.format == "text" and "not valid JSON" in result.note and result.text == '{"a": '


def test_render_text_keeps_lines_and_flags_bad_utf8():
    result = render(b"line 1\r\nline 2\xff", "text")
    assert result.text == "line 1\nline 2\ufffd"
    assert "UTF-8" in result.note
    assert [line[0][1] for line in result.lines] == ["line 1", "line 2\ufffd"]


def test_render_base64_round_trips_and_wraps():
    data = bytes(range(256)) * 3
    result = render(data, "base64")
    assert all(len(line) <= 76 for line in result.text.split("\n"))
    assert base64.b64decode(result.text.replace("\n", "")) == data


def test_render_limits_hex_of_large_values():
    result = render(b"\x00" * 5000, "hex", max_bytes=1024)
    assert result.text.count("\n") == 1024 // 16 - 1
    assert "1,024 of 5,000" in result.note


@pytest.mark.skipif(shutil.which("hexdump") is None, reason="hexdump(1) not installed")
def test_hexdump_matches_hexdump_minus_c():
    # Distinct lines only: hexdump -C folds repeated lines into '*'.
    for data in (b"hello\nworld\x1b[31m and more bytes here!", bytes(range(256)), b"abc", bytes(range(16))):
        expected = subprocess.run(["hexdump", "-C"], input=data, capture_output=True, check=True).stdout
        lines = expected.decode().rstrip("\n").split("\n")[:-1]  # last line is the total length
        assert hexdump(data) == "\n".join(lines)


# -- hypothesis ----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(
    data=st.one_of(st.none(), st.binary(max_size=600)),
    fmt=st.sampled_from(FORMATS + ("bogus",)),
    limit=st.integers(1, 300),
)
def test_arbitrary_bytes_never_raise(data, fmt, limit):
    text = preview(data, fmt, limit)
    assert 1 <= len(text) <= limit
    assert no_controls(text)
    result = render(data, fmt)
    assert no_controls(result.text, allow_newline=True)
    assert "\n".join("".join(t for _, t in line) for line in result.lines) == result.text
    assert result.size == (0 if data is None else len(data))


@given(doc=json_values)
def test_json_layout_is_json_dumps_indent_2(doc):
    data = json.dumps(doc).encode()
    result = render(data, "json")
    assert result.format == "json"
    assert result.text == sanitize(json.dumps(doc, indent=2, ensure_ascii=False), one_line=False)


@given(data=st.one_of(st.none(), st.binary(max_size=200), st.text(max_size=100).map(str.encode)))
def test_encode_bytes_round_trips(data):
    text, encoding = encode_bytes(data)
    if data is None:
        assert (text, encoding) == (None, None)
    elif encoding == "utf-8":
        assert text.encode() == data
    else:
        assert encoding == "base64" and base64.b64decode(text) == data


# -- JSONL export --------------------------------------------------------------------


def test_export_lines_and_round_trip(tmp_path):
    records = [
        make_record("orders", 0, 5, 1_700_000_000_000, 0, b"k1", b'{"a": 1}', [("trace", b"1")]),
        make_record("orders", 1, 9, 1_700_000_000_001, 1, None, None, [("null", None)]),
        make_record("orders", 2, 0, 1_700_000_000_002, 0, b"\xff\x00", b"\xff\x01binary", [("bin", b"\xfe")]),
    ]
    path = tmp_path / "out.jsonl"
    assert export_jsonl(records, path) == 3
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {
        "topic": "orders",
        "partition": 0,
        "offset": 5,
        "timestamp": 1_700_000_000_000,
        "timestamp_type": "CreateTime",
        "key": "k1",
        "key_encoding": "utf-8",
        "value": '{"a": 1}',
        "value_encoding": "utf-8",
        "headers": [{"key": "trace", "value": "1", "encoding": "utf-8"}],
    }
    assert lines[1]["key"] is None and lines[1]["value"] is None and lines[1]["value_encoding"] is None
    assert lines[1]["timestamp_type"] == "LogAppendTime"
    assert lines[2]["value_encoding"] == "base64"
    assert base64.b64decode(lines[2]["value"]) == b"\xff\x01binary"
    assert read_jsonl(path) == records
    assert [record_from_json(record_to_json(r)) for r in records] == records
    assert export_jsonl(records[:1], path, append=True) == 1
    assert len(read_jsonl(path)) == 4


def test_export_to_an_unwritable_place_is_a_kview_error(tmp_path):
    with pytest.raises(ExportError, match="cannot write"):
        export_jsonl([make_record("t", 0, 0)], tmp_path / "missing-dir" / "out.jsonl")
    assert not list(tmp_path.iterdir())


def test_reading_a_broken_export_is_a_kview_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"topic": "t"}\n')
    with pytest.raises(ExportError):
        read_jsonl(path)
