"""Offsets files without Kafka: the tool's CSV (quoting as its export does,
three or four columns), kview's JSON, their errors, and the import plan's
clamping."""

from __future__ import annotations

import json

import pytest

from kview.core.groups.offsets_file import (
    OffsetsFileError,
    csv_field,
    parse_offsets_file,
    plan_import,
    to_csv,
    to_json,
)
from kview.core.models import Watermarks


def test_csv_quotes_like_the_tools_export():
    # Jackson quotes any text over 24 characters, and text holding a comma or quote.
    assert csv_field("t" * 24) == "t" * 24
    assert csv_field("t" * 25) == '"' + "t" * 25 + '"'
    assert csv_field('g 2,x"y') == '"g 2,x""y"'
    assert to_csv({("b", 1): 5, ("a.b_c-d", 0): 7}) == "a.b_c-d,0,7\nb,1,5\n"


def test_csv_round_trip_and_the_four_column_form():
    offsets = {("t" * 30, 0): 3, ("short", 2): 9}
    assert parse_offsets_file(to_csv(offsets), "g").offsets == offsets
    text = 'g1,orders,0,5\n"g 2,x""y",orders,0,7\n\ng1,orders,1,6\n'
    assert parse_offsets_file(text, "g1").offsets == {("orders", 0): 5, ("orders", 1): 6}
    assert parse_offsets_file(text, 'g 2,x"y').offsets == {("orders", 0): 7}
    with pytest.raises(OffsetsFileError, match="no lines for group 'other'"):
        parse_offsets_file(text, "other")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("orders,0\n", "line 1: expected topic,partition,offset"),
        ("orders,0,1\ng,orders,0,1\n", "line 2: 4 fields where the first line has 3"),
        ("orders,x,1\n", "line 1: partition and offset must be whole numbers"),
        ("orders,0,-1\n", "line 1: partition and offset must be whole numbers"),
        ("orders,0,1\norders,0,2\n", "line 2: orders:0 appears twice"),
        ("{nope", "not valid JSON"),
        ('{"format": "other"}', "not a kview offsets file"),
        ('{"format": "kview-offsets", "offsets": [{"topic": "t", "partition": 0, "offset": true}]}', "offsets\\[0\\]"),
    ],
)
def test_bad_files_say_where(text, problem):
    with pytest.raises(OffsetsFileError, match=problem):
        parse_offsets_file(text, "g")


def test_json_keeps_the_moment_and_reads_back():
    marks = {("t", 0): Watermarks("t", 0, 2, 10)}
    text = to_json("g", {("t", 0): 4, ("t", 1): 1}, marks, cluster="prod", now_ms=1_700_000_000_123)
    doc = json.loads(text)
    assert doc["exported_at"] == "2023-11-14T22:13:20.123+00:00" and doc["cluster"] == "prod"
    assert doc["offsets"][0] == {"topic": "t", "partition": 0, "offset": 4, "log_start": 2, "log_end": 10, "lag": 6}
    parsed = parse_offsets_file(text, "another-group")
    assert parsed.offsets == {("t", 0): 4, ("t", 1): 1} and parsed.exported_at_ms == 1_700_000_000_123


def test_plan_clamps_and_names_missing_partitions():
    marks = {("t", 0): Watermarks("t", 0, 5, 10), ("t", 1): Watermarks("t", 1, 0, 3)}
    plan = plan_import("g", {("t", 0): 1, ("t", 1): 99, ("t", 7): 4}, {("t", 0): 6}, marks)
    assert [(r.partition, r.current, r.new, r.lag) for r in plan.rows] == [(0, 6, 5, 5), (1, None, 3, 0)]
    assert plan.missing == (("t", 7),) and plan.moves == 2
