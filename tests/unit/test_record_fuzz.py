"""Fuzzing everything that shows or writes a tailed record: the tail's time
column, the message detail, the headless line and JSON, and the JSONL export.
Kafka hands kview whatever producers wrote: any bytes or null for key, value
and header values, any header name, any int64 timestamp (producers may set
one past the year 9999), either timestamp type.  None of it may raise, and the
export must give back exactly the record it was given.

Run with ``--hypothesis-profile=fuzz`` for 10,000 examples per test."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from kview.core.codecs import FORMATS
from kview.core.export import record_from_json, record_to_json
from kview.core.ring import make_record
from kview.headless.render import dumps, record_doc, record_line
from kview.ui.widgets.record_detail import detail_lines
from kview.ui.widgets.tail_view import format_time

INT64 = st.integers(-(2**63), 2**63 - 1)
maybe_bytes = st.one_of(
    st.none(),
    st.binary(max_size=300),
    st.text(max_size=80).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"\x00", b'{"a": [1, 2, {"b": null}]}', b"\xff\xfe\xfd", b"\x1b[2J\x07"]),
)
records = st.builds(
    make_record,
    # Kafka itself restricts topic names to these characters.
    topic=st.from_regex(r"\A[a-zA-Z0-9._-]{1,40}\Z"),
    partition=st.integers(0, 2**31 - 1),
    offset=st.integers(0, 2**63 - 1),
    timestamp=st.one_of(INT64, st.just(-1), st.integers(0, 4_102_444_800_000)),
    timestamp_type=st.sampled_from([0, 1]),
    key=maybe_bytes,
    value=maybe_bytes,
    headers=st.lists(st.tuples(st.text(max_size=12), maybe_bytes), max_size=4),
)


def _no_controls(text: str) -> bool:
    """Nothing that would move the cursor or ring the bell in a terminal."""
    return not any(ord(ch) < 32 and ch not in "\n" for ch in text) and "\x7f" not in text


@given(INT64)
@example(2**62)
@example(-(2**63))
def test_time_column_never_raises(timestamp):
    assert isinstance(format_time(timestamp), str)


@given(records, st.sampled_from(FORMATS))
def test_message_detail_shows_any_record(record, value_format):
    lines = detail_lines(record, value_format)
    assert lines
    text = "\n".join("".join(part for _, part in line) for line in lines)
    assert str(record.offset) in text
    assert _no_controls(text)


@given(records, st.sampled_from(FORMATS), st.sampled_from(FORMATS))
def test_headless_line_and_json_never_raise(record, key_format, value_format):
    line = record_line(record, key_format, value_format)
    assert "\n" not in line and _no_controls(line)
    doc = record_doc(record)
    for ascii_only in (False, True):
        assert json.loads(dumps(doc, ascii_only=ascii_only))["offset"] == record.offset


@given(records)
def test_export_round_trips_any_record(record):
    back = record_from_json(json.loads(json.dumps(record_to_json(record))))
    assert (back.topic, back.partition, back.offset, back.timestamp, back.timestamp_type) == (
        record.topic,
        record.partition,
        record.offset,
        record.timestamp,
        record.timestamp_type,
    )
    assert (back.key, back.value, tuple(back.headers)) == (record.key, record.value, tuple(record.headers))
