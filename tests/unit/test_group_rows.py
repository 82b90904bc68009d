"""The describe rows without Kafka: one row per partition assigned to a member
(committed or not) or committed by the group, sorted, with ``-`` (None) where
``kafka-consumer-groups --describe`` prints it.  Rows equal to the tool's
output on a real cluster are checked in tests/integration/test_groups.py."""

from __future__ import annotations

from kview.core.groups import MemberInfo, build_rows
from kview.core.lag import TimeLag
from kview.core.models import Watermarks

MARKS = {
    ("a", 0): Watermarks("a", 0, 0, 10),
    ("a", 1): Watermarks("a", 1, 4, 8),
    ("b", 0): Watermarks("b", 0, 0, 3),
}


def test_assigned_and_committed_partitions_each_get_one_sorted_row():
    member = MemberInfo("m-1", "client-1", "/10.0.0.1", assignment=(("b", 0), ("a", 1)))
    rows = build_rows([member], {("a", 0): 7, ("a", 1): 8}, MARKS)
    assert [(r.topic, r.partition) for r in rows] == [("a", 0), ("a", 1), ("b", 0)]
    a0, a1, b0 = rows
    # Committed, nobody assigned: no owner.
    assert (a0.committed, a0.lag, a0.consumer_id, a0.client_id, a0.host) == (7, 3, None, None, None)
    # Assigned and committed, caught up.
    assert (a1.committed, a1.lag, a1.consumer_id, a1.host) == (8, 0, "m-1", "/10.0.0.1")
    # Assigned without a commit: offset and lag are '-'.
    assert (b0.committed, b0.lag, b0.log_end, b0.client_id) == (None, None, 3, "client-1")


def test_idle_group_rows_are_its_committed_partitions():
    lags = {("a", 1): TimeLag(5.0, exact=False)}
    rows = build_rows([], {("a", 1): 2, ("a", 0): 10, ("gone", 0): 1}, MARKS, lags)
    assert [r.key for r in rows] == ["a:0", "a:1", "gone:0"]
    assert [r.lag for r in rows] == [0, 6, None]  # no log end known for a deleted topic
    assert rows[1].retention_breach and not rows[0].retention_breach  # 2 < log start 4
    assert [r.time_lag for r in rows] == [None, TimeLag(5.0, exact=False), None]
    assert all(r.consumer_id is None for r in rows)
