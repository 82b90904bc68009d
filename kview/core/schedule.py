"""When a periodic refresh starts next.

Refreshes tick every ``interval`` seconds measured from the *start* of the
previous refresh, so the period is the interval, not the interval plus the
time the refresh took.  A refresh that runs past one or more ticks makes the
next one wait for the following tick boundary: ticks are skipped, never
queued, so refreshes neither pile up nor overlap.  Pure arithmetic on
monotonic times, shared by the UI panes, the app's cluster monitor and the
headless ``--watch`` loops."""

from __future__ import annotations

import math


def next_start(started: float, now: float, interval: float) -> float:
    """The first tick ``started + k * interval`` (k >= 1) that is not before
    ``now``.  ``started`` is when the previous refresh started, ``now`` when
    it ended (same clock)."""
    if not interval > 0:
        raise ValueError(f"a refresh interval must be positive, not {interval!r}")
    first = started + interval
    if now <= first:
        return first
    ticks = math.ceil((now - started) / interval)
    # Rounding can put the quotient a hair off a whole number: the tick
    # before may already be at or after now, or this one a hair before it.
    if ticks > 1 and started + (ticks - 1) * interval >= now:
        ticks -= 1
    elif started + ticks * interval < now:
        ticks += 1
    return started + ticks * interval


def delay_until_next(started: float, now: float, interval: float) -> float:
    """Seconds from ``now`` until :func:`next_start` (never negative)."""
    return max(0.0, next_start(started, now, interval) - now)
