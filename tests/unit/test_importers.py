"""File import parsing: JSON Lines and the console producer's format, bad
lines with their numbers, previews and whole-file checks.  No Kafka."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kview.core.errors import KViewError
from kview.core.importers import (
    FileFormat,
    ImportFileError,
    ImportOptions,
    ImportProblem,
    ImportRecord,
    check_file,
    parse_lines,
    preview_file,
    preview_lines,
    read_file,
)

CONSOLE = ImportOptions(format=FileFormat.CONSOLE)


def records(lines, options=ImportOptions()):
    items = list(parse_lines(lines, options))
    problems = [i for i in items if isinstance(i, ImportProblem)]
    assert not problems, problems
    return items


def problems(lines, options=ImportOptions()):
    return [i for i in parse_lines(lines, options) if isinstance(i, ImportProblem)]


# -- JSON Lines ------------------------------------------------------------------------


def test_jsonl_all_fields():
    [record] = records(['{"key": "k1", "value": "hello", "headers": {"a": "1", "b": "x"}, "partition": 2}\n'])
    assert record == ImportRecord(1, b"k1", b"hello", (("a", b"1"), ("b", b"x")), 2)


def test_jsonl_non_string_values_become_compact_json_text():
    [record] = records(['{"key": 42, "value": {"a": [1, 2.5, true, null], "é": "ü"}}'])
    assert record.key == b"42"
    assert record.value == '{"a":[1,2.5,true,null],"é":"ü"}'.encode()
    [record] = records(
        [
            '{"value": [1, 2]}',
        ]
    )
    assert record.value == b"[1,2]"
    [record] = records(['{"value": false}'])
    assert record.value == b"false"


def test_jsonl_key_defaults_to_null_and_null_value_is_a_tombstone():
    first, second = records(['{"value": "v"}', '{"key": "k", "value": null}'])
    assert first.key is None and first.value == b"v"
    assert second.key == b"k" and second.value is None


def test_jsonl_headers_as_list_of_pairs_keep_order_and_repeats():
    [record] = records(['{"value": "v", "headers": [["a", "1"], ["a", "2"], ["n", null], ["j", {"x": 1}]]}'])
    assert record.headers == (("a", b"1"), ("a", b"2"), ("n", None), ("j", b'{"x":1}'))


def test_jsonl_skips_blank_lines_and_numbers_lines_from_one():
    items = records(["\n", '{"value": "a"}\n', "   \n", '{"value": "b"}\r\n'])
    assert [(r.line, r.value) for r in items] == [(2, b"a"), (4, b"b")]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('{"value": "a"', "invalid JSON at column"),
        ("not json", "invalid JSON at column 1"),
        ('["value", "a"]', "expected a JSON object, found list"),
        ('"just a string"', "expected a JSON object, found str"),
        ('{"key": "k"}', "missing field 'value'"),
        ('{"vaule": "v", "value": "x"}', "unknown field 'vaule'"),
        ('{"value": "v", "partition": -1}', "'partition' must be a whole number >= 0"),
        ('{"value": "v", "partition": "2"}', "'partition' must be a whole number >= 0"),
        ('{"value": "v", "partition": 1.5}', "'partition' must be a whole number >= 0"),
        ('{"value": "v", "partition": true}', "'partition' must be a whole number >= 0"),
        ('{"value": "v", "headers": "a=1"}', "'headers' must be an object or a list"),
        ('{"value": "v", "headers": [["a"]]}', "header 1: expected a pair"),
        ('{"value": "v", "headers": [["a", "1"], [2, "x"]]}', "header 2: expected a pair"),
        ('{"value": null}', "needs a key or a value"),
        ("[" * 100000, "invalid JSON"),
    ],
)
def test_jsonl_bad_lines_are_reported_with_their_line_number(line, words):
    found = problems(['{"value": "fine"}', "", line])
    assert len(found) == 1
    assert found[0].line == 3
    assert words in found[0].message
    assert str(found[0]).startswith("line 3: ")


def test_jsonl_null_partition_means_automatic():
    [record] = records(['{"value": "v", "partition": null}'])
    assert record.partition is None


# -- console format ------------------------------------------------------------------------


def test_console_default_separator_is_tab_like_kafka():
    first, second = records(["k1\tv1\n", "k2\tv\twith\ttabs\n"], CONSOLE)
    assert (first.key, first.value) == (b"k1", b"v1")
    assert (second.key, second.value) == (b"k2", b"v\twith\ttabs")
    assert first.headers == () and first.partition is None


def test_console_custom_separator_splits_at_the_first_one():
    options = ImportOptions(format=FileFormat.CONSOLE, key_separator=":")
    [record] = records(['user-1:{"a": "b:c"}'], options)
    assert record.key == b"user-1"
    assert record.value == b'{"a": "b:c"}'


def test_console_multi_character_separator_and_empty_parts():
    options = ImportOptions(format=FileFormat.CONSOLE, key_separator="::")
    first, second = records(["::value", "key::"], options)
    assert (first.key, first.value) == (b"", b"value")
    assert (second.key, second.value) == (b"key", b"")


def test_console_line_without_separator_is_an_error_with_its_number():
    found = problems(["k\tv", "no separator here", "", "k\tv"], CONSOLE)
    assert [(p.line, p.message) for p in found] == [
        (2, "no key separator '\\t' found"),
        (3, "no key separator '\\t' found"),
    ]


def test_console_without_parse_key_sends_every_line_as_a_value():
    options = ImportOptions(format=FileFormat.CONSOLE, parse_key=False)
    items = records(["a\tb\n", "\n", "c"], options)
    assert [(r.key, r.value) for r in items] == [(None, b"a\tb"), (None, b""), (None, b"c")]


def test_console_null_marker():
    options = ImportOptions(format=FileFormat.CONSOLE, key_separator=":", null_marker="<null>")
    first, second = records(["<null>:v", "k:<null>"], options)
    assert (first.key, first.value) == (None, b"v")
    assert (second.key, second.value) == (b"k", None)
    [problem] = problems(["<null>:<null>"], options)
    assert "needs a key or a value" in problem.message


def test_console_empty_separator_is_refused():
    with pytest.raises(ImportFileError):
        ImportOptions(format=FileFormat.CONSOLE, key_separator="")


def test_console_keeps_utf8_and_strips_only_the_line_ending():
    [record] = records(["  clé\t valeur ✓ \r\n"], CONSOLE)
    assert record.key == "  clé".encode()
    assert record.value == " valeur ✓ ".encode()


# -- files, previews, whole-file checks ------------------------------------------------------


def test_read_file_reports_undecodable_lines_and_goes_on(tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes(b"k1\tv1\nk2\t\xff\xfe\nk3\tv3\n")
    items = list(read_file(path, CONSOLE))
    assert isinstance(items[1], ImportProblem)
    assert items[1].line == 2 and "not valid utf-8" in items[1].message
    assert [(i.line, i.value) for i in items if isinstance(i, ImportRecord)] == [(1, b"v1"), (3, b"v3")]


def test_read_file_ignores_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"value": "a"}\n')
    [record] = list(read_file(path))
    assert record.value == b"a"


def test_missing_file_is_an_import_error(tmp_path):
    with pytest.raises(ImportFileError, match="cannot read") as info:
        check_file(tmp_path / "absent.jsonl")
    assert isinstance(info.value, KViewError)


def test_check_file_counts_records_and_keeps_the_first_problems(tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = []
    for n in range(1, 101):
        lines.append(f'{{"value": "ok", "partition": {n % 3}}}' if n % 10 else "{broken")
    path.write_text("\n".join(lines) + "\n")
    checked = check_file(path, max_problems=4)
    assert checked.records == 90
    assert checked.problem_count == 10
    assert [p.line for p in checked.problems] == [10, 20, 30, 40]
    assert checked.partitions == {0, 1, 2}
    assert not checked.ok


def test_check_file_ok(tmp_path):
    path = tmp_path / "good.txt"
    path.write_text("a:1\nb:2\n")
    checked = check_file(path, ImportOptions(format=FileFormat.CONSOLE, key_separator=":"))
    assert checked.ok and checked.records == 2 and checked.lines == 2


def test_preview_stops_after_the_limit(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"key": str(n), "value": n}) + "\n" for n in range(1000)))
    preview = preview_file(path, limit=5)
    assert [r.key for r in preview.records] == [b"0", b"1", b"2", b"3", b"4"]
    assert preview.lines_read == 5
    assert preview.problems == ()


def test_preview_shows_problems_among_the_first_lines():
    preview = preview_lines(["k\tv", "bad", "k2\tv2"], CONSOLE, limit=10)
    assert [r.line for r in preview.records] == [1, 3]
    assert [p.line for p in preview.problems] == [2]


def test_preview_of_a_file_that_is_bad_throughout_stops_early():
    lines = ("bad" for _ in range(10**9))  # would never end if read fully
    preview = preview_lines(lines, CONSOLE, limit=3)
    assert len(preview.problems) == 3 and preview.records == ()


# -- arbitrary input --------------------------------------------------------------------------


@given(
    st.lists(st.text(), max_size=8),
    st.sampled_from([ImportOptions(), CONSOLE, ImportOptions(format=FileFormat.CONSOLE, parse_key=False)]),
)
def test_any_lines_give_records_or_problems_never_exceptions(lines, options):
    for item in parse_lines(lines, options):
        assert isinstance(item, (ImportRecord, ImportProblem))
        assert 1 <= item.line <= len(lines)


@given(st.dictionaries(st.text(), st.text(), max_size=3), st.text(), st.one_of(st.none(), st.text()))
def test_jsonl_round_trip_of_strings(headers, key, value):
    line = json.dumps({"key": key, "value": value, "headers": headers})
    [record] = records([line])
    assert record.key == key.encode()
    assert record.value == (None if value is None else value.encode())
    assert record.headers == tuple((k, v.encode()) for k, v in headers.items())
