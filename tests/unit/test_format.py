"""kview.core.format: how counts, bytes, rates and durations read, in the app
and in the headless tables alike.  The rule (the module's docstring): round
half away from zero to the last digit shown, choose the unit for the rounded
value (so it carries over), sign in front, '-' for unknown."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kview.core.format import human_bytes, human_count, human_duration, human_rate, quota_value

KIB = 1024
MIB = 1024 * KIB


@pytest.mark.parametrize("unknown", [None, math.nan, math.inf, -math.inf])
def test_unknown_is_a_dash(unknown) -> None:
    for fmt in (human_count, human_bytes, human_rate, human_duration):
        assert fmt(unknown) == "-"


def test_counts() -> None:
    assert human_count(0) == "0"
    assert human_count(12_345) == "12,345"
    assert human_count(-12_345) == "-12,345"
    assert human_count(3.0) == "3"  # a whole float is a whole number
    assert human_count(2.25) == "2.3"  # exactly half: up
    assert human_count(-2.25) == "-2.3"
    assert human_count(-0.04) == "0.0"  # rounds to zero: no sign


def test_bytes() -> None:
    assert human_bytes(0) == "0 B"
    assert human_bytes(1023) == "1023 B"
    assert human_bytes(KIB) == "1.0 KiB"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(1280) == "1.3 KiB"  # 1.25 KiB exactly: half up
    assert human_bytes(-2048) == "-2.0 KiB"  # the magnitude picks the unit
    assert human_bytes(5 * MIB) == "5.0 MiB"
    assert human_bytes(3 * 1024**4) == "3.0 TiB"
    assert human_bytes(-0.4) == "0 B"


def test_bytes_carry_over_into_the_next_unit() -> None:
    assert human_bytes(1023.4) == "1023 B"
    assert human_bytes(1023.96) == "1.0 KiB"  # 1024 B once rounded: not '1024 B'
    # 1023.95 KiB and more round to 1024.0 KiB: 1.0 MiB.
    assert human_bytes(1023.94 * KIB) == "1023.9 KiB"
    assert human_bytes(1023.96 * KIB) == "1.0 MiB"
    assert human_bytes(-1023.96 * KIB) == "-1.0 MiB"


def test_rates() -> None:
    assert human_rate(0) == "0.0/s"
    assert human_rate(0.04) == "0.0/s"
    assert human_rate(12.25) == "12.3/s"
    assert human_rate(99.94) == "99.9/s"
    assert human_rate(99.96) == "100/s"  # 100.0 once rounded: whole from 100 on
    assert human_rate(1234.5) == "1,235/s"
    assert human_rate(9999.4) == "9,999/s"
    assert human_rate(9999.6) == "10.0k/s"  # 10,000 once rounded
    assert human_rate(12_345) == "12.3k/s"
    assert human_rate(999_940) == "999.9k/s"
    assert human_rate(999_960) == "1.0M/s"
    assert human_rate(2_500_000_000) == "2.5G/s"
    assert human_rate(-5) == "-5.0/s"
    assert human_rate(-0.04) == "0.0/s"
    assert human_rate(1234.5, unit="") == "1,235"  # a column whose header says '/s'


def test_durations() -> None:
    assert human_duration(0) == "0s"
    assert human_duration(0.5) == "1s"
    assert human_duration(45) == "45s"
    assert human_duration(59.4) == "59s"
    assert human_duration(59.6) == "1m00s"  # 60 s once rounded: never '59s' nor '60s'
    assert human_duration(185) == "3m05s"
    assert human_duration(3599.4) == "59m59s"
    assert human_duration(3599.6) == "1h00m"
    assert human_duration(3630) == "1h01m"  # 60.5 min: rounded to the minute shown, half up
    assert human_duration(3629) == "1h00m"
    assert human_duration(3725) == "1h02m"
    assert human_duration(86_370) == "1d00h"  # 1439.5 min is 1440 min: a day
    assert human_duration(90_061) == "1d01h"
    assert human_duration(-65) == "-1m05s"
    assert human_duration(-0.4) == "0s"


# -- the rule, for any value -------------------------------------------------------------

_FIGURE = re.compile(r"^(-?)([\d,]+(?:\.\d)?) (B|KiB|MiB|GiB|TiB|PiB)$")
_UNITS = {"B": 0, "KiB": 1, "MiB": 2, "GiB": 3, "TiB": 4, "PiB": 5}
_PART = {"d": 86_400, "h": 3600, "m": 60, "s": 1}


@given(st.floats(min_value=-(1024.0**5) * 999, max_value=1024.0**5 * 999))
def test_bytes_read_back_within_half_the_last_digit(value: float) -> None:
    text = human_bytes(value)
    sign, figure, unit = _FIGURE.match(text).groups()  # type: ignore[union-attr]
    number = float(figure.replace(",", ""))
    power = _UNITS[unit]
    assert number < 1024 or unit == "PiB"
    if power:  # the smallest unit: in the one below, the rounded figure was 1024 or more
        below = 1023.5 if power == 1 else 1023.95
        assert abs(value) >= below * 1024 ** (power - 1) * (1 - 1e-9)
    step = 1 if power == 0 else 0.1
    shown = (-number if sign else number) * 1024**power
    assert abs(shown - value) <= (step / 2) * 1024**power * (1 + 1e-9)


@given(st.floats(min_value=-1e9, max_value=1e9))
def test_durations_read_back_within_half_the_last_unit(value: float) -> None:
    text = human_duration(value)
    match = re.fullmatch(r"(-?)(\d+)([dhms])(?:(\d\d)([hms]))?", text)
    assert match, text
    sign, high, high_unit, low, low_unit = match.groups()
    seconds = int(high) * _PART[high_unit]
    last = _PART[high_unit]
    if low is not None:
        last = _PART[low_unit]
        assert int(low) * last < _PART[high_unit]  # '1m60s' never
        seconds += int(low) * last
    if high_unit == "s":
        assert int(high) < 60
    assert abs((-seconds if sign else seconds) - value) <= last / 2 * (1 + 1e-9)


def test_quota_values_show_exactly_with_byte_rates_sized():
    assert quota_value("producer_byte_rate", 2_097_152.0) == "producer_byte_rate=2097152 (2.0 MiB/s)"
    assert quota_value("consumer_byte_rate", 999.0) == "consumer_byte_rate=999 (999 B/s)"
    assert quota_value("request_percentage", 25.0) == "request_percentage=25"
    assert quota_value("request_percentage", 12.5) == "request_percentage=12.5"
    assert quota_value("connection_creation_rate", 0.25) == "connection_creation_rate=0.25"
