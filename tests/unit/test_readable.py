"""Readable lag without Kafka: the text kview shows, the group's sum, the
status rules judging the readable lag, and the bound the help states."""

from __future__ import annotations

import re

from kview.core.groups import sum_readable
from kview.core.groups.readable import PartitionRead, Readable
from kview.core.lag import GroupStatus, LagTracker
from kview.headless import args
from kview.headless.runner import REFRESH_BOUND, refresh_bound

TP0, TP1, TP2 = ("t", 0), ("t", 1), ("t", 2)


def test_text_names_what_is_not_records():
    assert Readable(0, 1, 0, 0).text() == "0 (1 marker)"
    assert Readable(0, 1, 0, 0).text(long=True) == "0 records (1 marker)"
    assert Readable(2, 3, 2, 0).text(long=True) == "2 records (3 markers, 2 aborted)"
    assert Readable(0, 1, 0, 2).text() == "0 (1 marker, 2 open)"
    assert Readable(0, 0, 0, 2).text(long=True) == "0 records (2 in open transactions)"
    assert Readable(7, 0, 0, 0).text() == "7"  # nothing transactional: just the count
    assert Readable(None, None, None, 0).text() == "?"
    assert Readable(1, None, None, 0).text() == "1 (markers/aborted not told apart)"


def test_group_sum_over_lagging_partitions_only():
    committed = {TP0: 9, TP1: 3, TP2: 5}
    log_end = {TP0: 10, TP1: 5, TP2: 5}  # TP2 caught up: not read, not needed
    found = {TP0: Readable(0, 1, 0, 0), TP1: Readable(0, 0, 0, 2)}
    assert sum_readable(committed, log_end, found) == Readable(0, 1, 0, 2)
    # One lagging partition not read: the group's split is unknown.
    assert sum_readable(committed, log_end, {TP0: found[TP0]}) is None
    # A count one partition lacks is unknown for the group; the others add up.
    partial = {TP0: Readable(None, None, None, 0), TP1: Readable(0, 0, 0, 2)}
    assert sum_readable(committed, log_end, partial) == Readable(None, None, None, 2)
    assert sum_readable({TP2: 5}, log_end, {}) is None  # no lag at all


def test_status_judges_the_readable_lag():
    # Two empty groups idle for longer than the window with lag 1: the one whose
    # lag is a marker (nothing readable) is EMPTY, the other STOP.
    tracker = LagTracker(window=10)
    for at in (0.0, 5.0, 11.0, 16.0):
        tracker.observe_log_end(at, {TP0: 10})
        tracker.observe_group("marker", at, {TP0: 9}, {TP0: 10}, 0, unreadable=1, settled=[TP0])
        tracker.observe_group("behind", at, {TP0: 9}, {TP0: 10}, 0)
    marker, behind = tracker.evaluate("marker", 16.0), tracker.evaluate("behind", 16.0)
    assert marker.status is GroupStatus.EMPTY and behind.status is GroupStatus.STOP
    assert marker.lag == behind.lag == 1  # the lag itself stays Kafka's
    assert marker.time_lag.seconds == 0.0 and marker.time_lag.exact
    assert marker.time_lags[TP0].seconds == 0.0
    assert behind.time_lag.seconds > 0


def test_help_states_the_bound_the_code_keeps():
    seconds = re.search(r"after (\d+) s or (\d+) request timeouts", args.BOUND)
    assert seconds is not None
    assert float(seconds.group(1)) == REFRESH_BOUND
    factor = int(seconds.group(2))
    assert refresh_bound(1_000) == REFRESH_BOUND
    assert refresh_bound(60_000) == factor * 60.0


def test_one_read_tells_every_committed_offset_after_its_start():
    # Offsets 0-2 committed records, 3 marker, 4-5 aborted, 6 marker, 7-8
    # committed, 9 marker, then an open transaction at 10-11 (LSO 10, end 12).
    read = PartitionRead(
        start=0,
        stable=10,
        end=12,
        readable=((0, 100), (1, 101), (2, 102), (7, 107), (8, 108)),
        data=(0, 1, 2, 4, 5, 7, 8),
        counted=True,
    )
    assert read.at(0) == Readable(5, 3, 2, 2, 100)
    assert read.at(4) == Readable(2, 2, 2, 2, 107)  # on the aborted records
    assert read.at(9) == Readable(0, 1, 0, 2)  # on the last marker
    assert read.at(10) == Readable(0, 0, 0, 2)  # at the LSO: only the open transaction
    assert read.at(12) is None  # caught up: nothing to tell
    assert PartitionRead(3, 10, 12, read.readable[3:], None, True).at(2) is None  # before the read
    # Without the read_uncommitted pass: records, but markers and aborted unknown.
    assert PartitionRead(0, 10, 12, read.readable, None, True).at(4) == Readable(2, None, None, 2, 107)
    # Not counted (gap over the limit): only the start's first record is known.
    big = PartitionRead(0, 10, 12, read.readable[:1], None, False)
    assert big.at(0) == Readable(None, None, None, 2, 100) and big.at(1) is None
