"""Fuzzing what users type for positions: offsets, partitions, counts and
times, in the tail's start/jump form, the reset form and the headless
``--from``.  Whatever the text, the parsers return a value Kafka can encode or
raise kview's InputError (UsageError for the CLI) with a sentence; nothing
else escapes.  Valid inputs round-trip to the value they denote.

Run with ``--hypothesis-profile=fuzz`` for 10,000 examples per test."""

from __future__ import annotations

import os
import string
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kview.core import inputs
from kview.core.errors import InputError
from kview.core.tail import StartPosition
from kview.headless.records import parse_start as parse_from_option
from kview.headless.runner import UsageError
from kview.ui.screens.reset_offsets import build_spec, describe_datetime, parse_reset_value
from kview.ui.screens.tail_start import parse_start

NOW = datetime(2026, 11, 22, 12, 0, 0)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_MS = (datetime(9999, 12, 30, tzinfo=UTC) - EPOCH) // timedelta(milliseconds=1)


@pytest.fixture(scope="module", autouse=True, params=["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def local_zone(request):
    """Each test in UTC and at both ends of the world's offsets (+14:00 and
    -11:00), where local times at the edges of the calendar overflow."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


# Text close to the grammar reaches the interesting edges (huge numbers, units,
# calendars' ends) far more often than uniformly random text.
_numberish = st.from_regex(r"\A[ ]?[+-]?\d{1,30}(\.\d{1,8})?[ ]?\Z")
_relative = st.from_regex(r"\A(now)?\s?-\s?\d{1,16}(\.\d{1,6})?\s?[smhdwSMHDWyx]\Z|\A\d{1,16}\s?[smhdw] ago\Z")
_clock = st.from_regex(r"\A\d{1,3}:\d{1,3}(:\d{1,3}(\.\d{1,7})?)?\Z")
_iso = st.builds(
    lambda when, sep, zone: when.isoformat(sep=sep) + zone,
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(["T", " "]),
    st.sampled_from(["", "Z", "+00:00", "+14:00", "-12:00", "+05:30", "+99:00"]),
)
_pairs = st.lists(
    st.tuples(
        st.sampled_from(["", "p", "P", " "]),
        st.text(string.digits + "-x²", min_size=0, max_size=12),
        st.sampled_from([":", "=", ";", ""]),
        st.text(string.digits + "-+ ", min_size=0, max_size=22),
    ),
    max_size=6,
).map(lambda items: ",".join(f"{p}{a}{s}{b}" for p, a, s, b in items))
_ranges = st.lists(
    st.tuples(st.integers(0, 10**12), st.sampled_from(["-", " - ", "--", ""]), st.integers(0, 10**12)),
    max_size=5,
).map(lambda items: ",".join(f"{a}{s}{b}" if s else str(a) for a, s, b in items))

any_text = st.one_of(st.text(), _numberish, _relative, _clock, _iso, _pairs, _ranges)
"""What a user could type into any field of these forms."""


def _kafka_time(when: datetime) -> int:
    ms = inputs.epoch_ms(when)
    assert 0 <= ms <= LATEST_MS
    return ms


# -- no exception escapes but kview's own, with a sentence ------------------------------


@given(any_text)
@example("-999999999999w")
@example("99999999999999999999")
@example("0001-01-01T00:00:00+14:00")
@example("9999-12-31T23:59:59-12:00")
@example("25:61")
@example("١٢٣٤٥٦٧٨٩٠")
def test_when_is_a_kafka_time_or_input_error(text):
    try:
        when = inputs.parse_when(text, NOW)
    except InputError as exc:
        assert str(exc)
        return
    assert isinstance(when, datetime)
    _kafka_time(when)


@given(any_text)
@example("9223372036854775808")
@example("²")
@example("0:9223372036854775808")
@example("4294967296:1")
def test_offsets_fit_int64_or_input_error(text):
    try:
        parsed = inputs.parse_offsets(text)
    except InputError as exc:
        assert str(exc)
        return
    values = [parsed] if isinstance(parsed, int) else list(parsed.values())
    assert all(0 <= value <= inputs.MAX_OFFSET for value in values)
    if isinstance(parsed, dict):
        assert all(0 <= partition <= inputs.MAX_PARTITION for partition in parsed)


@given(any_text, st.one_of(st.none(), st.integers(1, 10_000)))
@example("0-9999999999", None)
@example("0-99999", None)
@example("5-2", 10)
def test_partitions_exist_or_input_error(text, count):
    try:
        chosen = inputs.parse_partitions(text, count)
    except InputError as exc:
        assert str(exc)
        return
    assert chosen == tuple(sorted(set(chosen))) and chosen
    assert 0 <= chosen[0] and chosen[-1] <= (count - 1 if count else inputs.MAX_PARTITION)


@given(any_text, st.one_of(st.none(), st.integers(1, 10_000)))
def test_one_partition_or_input_error(text, count):
    try:
        partition = inputs.parse_partition(text, count)
    except InputError as exc:
        assert str(exc)
        return
    assert partition is None or 0 <= partition < (count or inputs.MAX_PARTITION + 1)


@given(st.sampled_from(["latest", "earliest", "last", "offset", "time", "sideways"]), any_text)
def test_tail_start_form_gives_a_position_or_input_error(mode, text):
    try:
        position = parse_start(mode, text)
    except InputError as exc:
        assert str(exc)
        return
    assert isinstance(position, StartPosition)
    # Describing it for the status line must not fail either.
    assert position.describe()


@given(any_text)
@example("last:99999999999999999999999")
@example("9223372036854775808")
def test_headless_from_gives_a_position_or_usage_error(text):
    try:
        position = parse_from_option(text, follow=False)
    except UsageError as exc:
        assert str(exc).startswith("--from:")
        return
    assert isinstance(position, StartPosition)
    assert position.describe()


@given(st.sampled_from(["earliest", "latest", "offset", "datetime", "shift"]), any_text)
@example("shift", "-9223372036854775808")
@example("datetime", "99999999999999999")
def test_reset_value_is_a_value_or_a_problem(kind, text):
    value, problem = parse_reset_value(kind, text)
    if problem is not None:
        assert value is None and problem
        return
    if kind == "datetime":
        assert describe_datetime(value).startswith("=")
    elif kind in ("offset", "shift"):
        assert abs(value) <= inputs.MAX_OFFSET


@given(
    st.sampled_from(["earliest", "latest", "offset", "datetime", "shift"]),
    any_text,
    st.sampled_from(["all", "topic", "partitions"]),
    any_text,
)
def test_reset_form_never_raises(kind, value_text, scope, partitions_text):
    spec, problems = build_spec(kind, value_text, scope, "orders", partitions_text, {"orders": 6})
    assert (spec is None) == bool(problems)
    assert all(isinstance(text, str) and text for text in problems.values())


# -- valid inputs mean what they say -------------------------------------------------


@given(st.integers(0, inputs.MAX_OFFSET))
def test_offsets_round_trip(offset):
    assert inputs.parse_offsets(f" {offset} ") == offset
    assert inputs.parse_offsets(f"0:{offset},p7={offset}") == {0: offset, 7: offset}


@given(st.lists(st.integers(0, 5_000), min_size=1, max_size=20))
def test_partition_lists_round_trip(partitions):
    assert inputs.parse_partitions(",".join(map(str, partitions)), 5_001) == tuple(sorted(set(partitions)))


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_iso_times_round_trip_to_exact_milliseconds(when):
    when = when.replace(microsecond=when.microsecond // 1000 * 1000)
    parsed = inputs.parse_when(when.isoformat(), NOW)
    assert parsed == when
    assert inputs.epoch_ms(parsed) == (when - EPOCH) // timedelta(milliseconds=1)


@given(st.integers(10**11, LATEST_MS))
def test_epoch_milliseconds_are_exact(ms):
    assert inputs.epoch_ms(inputs.parse_when(str(ms), NOW)) == ms


@given(st.integers(1, 10**6), st.sampled_from(["s", "m", "h", "d", "w"]))
def test_relative_times_count_back_from_now(amount, unit):
    names = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    try:
        expected = NOW - timedelta(**{names[unit]: amount})
    except OverflowError:
        expected = None
    for typed in (f"-{amount}{unit}", f"{amount}{unit} ago", f"now-{amount}{unit}"):
        if expected is None or expected.year < 1970:
            with pytest.raises(InputError, match="1970"):
                inputs.parse_when(typed, NOW)
        else:
            assert inputs.parse_when(typed, NOW) == expected


def test_partition_ranges_are_checked_before_they_are_built():
    # A range of ten billion partitions is refused by its bound, not by
    # building it (which would take minutes and gigabytes).
    with pytest.raises(InputError, match="only"):
        inputs.parse_partitions("0-9999999999", 6)
    with pytest.raises(InputError, match="more than"):
        inputs.parse_partitions("0-200000")
