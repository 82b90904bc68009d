"""Reset planning without Kafka: which partitions a ResetSpec covers and the
offset each one moves to, by the rules of ``kafka-consumer-groups
--reset-offsets`` (targets clamped to [log start, log end], a time with no
record at or after it falls back to the log end).  That kview's plan equals
the tool's dry run on a real cluster is checked in
tests/integration/test_groups.py and tests/compat."""

from __future__ import annotations

from datetime import datetime

import pytest

from kview.core.errors import KViewError
from kview.core.groups import ResetRow, ResetSpec, plan_reset
from kview.core.groups.reset import clamp, reset_partitions
from kview.core.models import BrokerInfo, ClusterMetadata, PartitionInfo, TopicInfo, Watermarks


def partition(topic: str, index: int) -> PartitionInfo:
    return PartitionInfo(topic, index, leader=1, replicas=(1,), isr=(1,))


METADATA = ClusterMetadata(
    cluster_id="c",
    controller_id=1,
    brokers=(BrokerInfo(1, "localhost", 9092),),
    topics=(
        TopicInfo("orders", False, tuple(partition("orders", i) for i in range(3))),
        TopicInfo("audit", False, (partition("audit", 0),)),
    ),
)
# orders-0: log 10..50, orders-1: log 0..5, orders-2: empty log at 7, audit-0: 0..100.
MARKS = {
    ("orders", 0): Watermarks("orders", 0, 10, 50),
    ("orders", 1): Watermarks("orders", 1, 0, 5),
    ("orders", 2): Watermarks("orders", 2, 7, 7),
    ("audit", 0): Watermarks("audit", 0, 0, 100),
}
COMMITTED = {("orders", 0): 20, ("orders", 1): 5, ("audit", 0): 40}


def plan(spec: ResetSpec, committed=COMMITTED, by_time=None) -> list[ResetRow]:
    parts = reset_partitions("g", spec, committed, METADATA)
    return plan_reset("g", spec, parts, committed, MARKS, by_time)


def new_offsets(rows: list[ResetRow]) -> dict[tuple[str, int], int]:
    return {(r.topic, r.partition): r.new for r in rows}


# -- scope ------------------------------------------------------------------------------


def test_no_topic_covers_every_committed_partition_sorted():
    parts = reset_partitions("g", ResetSpec("earliest"), COMMITTED, METADATA)
    assert [(p.topic, p.partition) for p in parts] == [("audit", 0), ("orders", 0), ("orders", 1)]


def test_committed_offsets_of_a_deleted_topic_are_left_out():
    committed = {**COMMITTED, ("gone", 0): 3}
    parts = reset_partitions("g", ResetSpec("earliest"), committed, METADATA)
    assert ("gone", 0) not in {(p.topic, p.partition) for p in parts}
    assert len(parts) == len(COMMITTED)


def test_a_topic_covers_all_its_partitions_committed_or_not():
    parts = reset_partitions("g", ResetSpec("latest", topic="orders"), {}, METADATA)
    assert [(p.topic, p.partition) for p in parts] == [("orders", 0), ("orders", 1), ("orders", 2)]


def test_chosen_partitions_are_sorted_once_each():
    parts = reset_partitions("g", ResetSpec("earliest", topic="orders", partitions=(2, 0, 2)), {}, METADATA)
    assert [p.partition for p in parts] == [0, 2]


@pytest.mark.parametrize(
    ("spec", "committed", "message"),
    [
        (ResetSpec("earliest"), {}, "has no committed offsets"),
        (ResetSpec("earliest", topic="nope"), COMMITTED, "topic 'nope' does not exist"),
        (ResetSpec("earliest", topic="orders", partitions=(1, 7, 9)), COMMITTED, "has no partition 7, 9"),
    ],
)
def test_scope_errors_say_what_is_wrong(spec, committed, message):
    with pytest.raises(KViewError, match=message):
        reset_partitions("g", spec, committed, METADATA)


# -- targets ----------------------------------------------------------------------------


def test_earliest_and_latest_are_the_log_start_and_end():
    assert new_offsets(plan(ResetSpec("earliest"))) == {("audit", 0): 0, ("orders", 0): 10, ("orders", 1): 0}
    assert new_offsets(plan(ResetSpec("latest"))) == {("audit", 0): 100, ("orders", 0): 50, ("orders", 1): 5}


def test_an_offset_is_clamped_into_each_log():
    rows = plan(ResetSpec("offset", 30, topic="orders"))
    # 30 is inside orders-0, past the end of orders-1 and of the empty orders-2.
    assert new_offsets(rows) == {("orders", 0): 30, ("orders", 1): 5, ("orders", 2): 7}
    assert new_offsets(plan(ResetSpec("offset", 3, topic="orders", partitions=(0,)))) == {("orders", 0): 10}


def test_shift_moves_from_the_committed_offset_and_is_clamped():
    assert new_offsets(plan(ResetSpec("shift", -15))) == {("audit", 0): 25, ("orders", 0): 10, ("orders", 1): 0}
    assert new_offsets(plan(ResetSpec("shift", 200))) == {("audit", 0): 100, ("orders", 0): 50, ("orders", 1): 5}


def test_shift_refuses_a_partition_without_a_committed_offset():
    with pytest.raises(KViewError, match=r"cannot shift orders:2: group 'g' has no committed offset there"):
        plan(ResetSpec("shift", 1, topic="orders"))


def test_datetime_takes_the_offset_found_for_the_time_else_the_log_end():
    spec = ResetSpec("datetime", 1_700_000_000_000, topic="orders")
    rows = plan(spec, by_time={("orders", 0): 33, ("orders", 1): -1, ("orders", 2): None})
    assert new_offsets(rows) == {("orders", 0): 33, ("orders", 1): 5, ("orders", 2): 7}
    # A partition ListOffsets did not answer for falls back the same way.
    assert new_offsets(plan(spec, by_time={})) == {("orders", 0): 50, ("orders", 1): 5, ("orders", 2): 7}


def test_rows_keep_the_current_offset_and_the_log_bounds():
    rows = plan(ResetSpec("earliest", topic="orders"))
    assert rows == [
        ResetRow("orders", 0, 20, 10, 10, 50),
        ResetRow("orders", 1, 5, 0, 0, 5),
        ResetRow("orders", 2, None, 7, 7, 7),
    ]
    assert [r.lag for r in rows] == [40, 5, 0]


def test_clamp_bounds():
    mark = Watermarks("t", 0, 10, 20)
    assert [clamp(o, mark) for o in (-1, 10, 15, 20, 99)] == [10, 10, 15, 20, 20]


# -- the spec ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "middle"}, "unknown reset kind 'middle'"),
        ({"kind": "offset"}, "needs a value"),
        ({"kind": "shift", "value": datetime(2024, 1, 1)}, "needs a whole number"),
        ({"kind": "datetime", "value": "yesterday"}, "needs a date and time"),
        ({"kind": "earliest", "partitions": (0,)}, "choosing partitions needs a topic"),
    ],
)
def test_a_spec_that_cannot_be_planned_is_refused_when_made(kwargs, message):
    with pytest.raises(KViewError, match=message):
        ResetSpec(**kwargs)


def test_spec_scope_and_time():
    assert ResetSpec("earliest").scope == "all"
    assert ResetSpec("earliest", topic="t").scope == "topic"
    assert ResetSpec("earliest", topic="t", partitions=(0,)).scope == "partitions"
    assert ResetSpec("datetime", 1_700_000_000_000).timestamp_ms == 1_700_000_000_000
    local = datetime(2024, 5, 1, 12, 30)
    assert ResetSpec("datetime", local).timestamp_ms == int(local.timestamp() * 1000)
    assert ResetSpec("latest").timestamp_ms is None
