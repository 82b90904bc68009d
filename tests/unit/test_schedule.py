"""The refresh schedule as arithmetic: the period is the interval measured
from each start, an overrun skips to the next tick, refreshes never overlap."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kview.core.schedule import delay_until_next, next_start


def starts(durations: list[float], interval: float) -> list[float]:
    """When each refresh starts, given how long each one takes (a loop that
    refreshes, then waits as the panes and --watch loops do)."""
    at, out = 0.0, []
    for took in durations:
        out.append(at)
        at = next_start(at, at + took, interval)
    return out


def test_a_quick_refresh_keeps_the_period_equal_to_the_interval():
    # Refreshes of 0.5 s every 2 s start 2 s apart, not 2.5 s.
    assert starts([0.5, 0.5, 0.5, 0.5], 2.0) == [0.0, 2.0, 4.0, 6.0]
    assert delay_until_next(10.0, 10.5, 2.0) == 1.5


def test_an_overrun_skips_to_the_next_tick_boundary():
    # The second refresh takes 2.5 s: the tick at 4 s is skipped, the third
    # starts at 6 s, and the schedule goes on from there.
    assert starts([0.5, 2.5, 0.5, 0.5], 2.0) == [0.0, 2.0, 6.0, 8.0]
    # Ending exactly on a tick starts at that tick; past three ticks, the fourth.
    assert next_start(0.0, 4.0, 2.0) == 4.0
    assert next_start(0.0, 6.5, 2.0) == 8.0
    assert delay_until_next(0.0, 6.5, 2.0) == 1.5


def test_a_refresh_that_took_no_time_waits_one_whole_interval():
    assert next_start(5.0, 5.0, 2.0) == 7.0


@pytest.mark.parametrize("interval", [0.0, -1.0, math.nan])
def test_an_interval_that_is_not_positive_is_refused(interval):
    with pytest.raises(ValueError):
        next_start(0.0, 1.0, interval)


@given(
    started=st.floats(0, 1e6, allow_nan=False),
    took=st.floats(0, 1e3, allow_nan=False),
    interval=st.floats(0.2, 600, allow_nan=False),
)
def test_the_next_start_is_the_first_tick_not_before_the_end(started, took, interval):
    now = started + took
    at = next_start(started, now, interval)
    # Never two at once: the next refresh starts after this one ended ...
    assert at >= now
    # ... at least one interval after this one started ...
    assert at >= started + interval
    # ... on a tick of this one's schedule ...
    ticks = (at - started) / interval
    assert abs(ticks - round(ticks)) < 1e-6 * max(1.0, ticks)
    # ... and the first such tick: the one before was too early.
    assert round(ticks) == 1 or started + (round(ticks) - 1) * interval < now
    assert delay_until_next(started, now, interval) == pytest.approx(at - now, abs=1e-6)
