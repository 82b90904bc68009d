"""The reassignment planner, the plan file format, the throttle values and
the progress arithmetic, on metadata built here (no Kafka): each plan's
promises checked over random clusters (hypothesis), and bad input refused
with a message naming the fault."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kview.core.models import BrokerInfo, ClusterMetadata, PartitionInfo, TopicInfo
from kview.core.reassign.leaders import leader_balance, not_preferred_partitions
from kview.core.reassign.models import (
    ChangeReplicationFactor,
    DrainBroker,
    MovePartitions,
    OngoingReassignment,
    SpreadReplicas,
)
from kview.core.reassign.plan_file import assignments_from_json, assignments_to_json
from kview.core.reassign.planner import PlanError, make_plan, preview
from kview.core.reassign.progress import compute_progress, partition_sizes
from kview.core.reassign.throttle import throttle_settings


def cluster(
    brokers: list[int], topics: dict[str, list[tuple[int, ...]]], racks: dict[int, str] | None = None
) -> ClusterMetadata:
    """Metadata whose partitions are led by their first replica."""
    infos = tuple(BrokerInfo(b, "h", 9000 + b, (racks or {}).get(b)) for b in brokers)
    made = tuple(
        TopicInfo(
            name,
            False,
            tuple(PartitionInfo(name, i, r[0] if r else -1, tuple(r), tuple(r)) for i, r in enumerate(parts)),
        )
        for name, parts in sorted(topics.items())
    )
    return ClusterMetadata("c", brokers[0], infos, made)


def after(metadata: ClusterMetadata, assignments) -> dict[tuple[str, int], tuple[int, ...]]:
    placed = {(p.topic, p.partition): p.replicas for p in metadata.partitions}
    placed.update(assignments)
    return placed


@st.composite
def clusters(draw, min_brokers=2):
    count = draw(st.integers(min_brokers, 7))
    brokers = list(range(1, count + 1))
    rack_count = draw(st.integers(0, 3))
    racks = {b: f"r{b % rack_count}" for b in brokers} if rack_count else None
    topics = {}
    for t in range(draw(st.integers(1, 4))):
        rf = draw(st.integers(1, count))
        parts = draw(st.lists(st.permutations(brokers).map(lambda p, rf=rf: tuple(p[:rf])), min_size=1, max_size=12))
        topics[f"t{t}"] = parts
    return cluster(brokers, topics, racks)


# -- drain ----------------------------------------------------------------------------------


@given(clusters(min_brokers=3), st.data())
def test_drain_leaves_no_replica_on_the_broker_and_keeps_every_factor(metadata, data):
    gone = data.draw(st.sampled_from([b.node_id for b in metadata.brokers]))
    others = len(metadata.brokers) - 1
    if any(len(p.replicas) > others for p in metadata.partitions if gone in p.replicas):
        with pytest.raises(PlanError, match="nowhere to move it"):
            make_plan(metadata, DrainBroker(gone))
        return
    plan = make_plan(metadata, DrainBroker(gone))
    placed = after(metadata, plan.assignments)
    for p in metadata.partitions:
        target = placed[(p.topic, p.partition)]
        assert gone not in target
        assert len(target) == len(p.replicas) == len(set(target))
    assert {m.key for m in plan.moves} == {(p.topic, p.partition) for p in metadata.partitions if gone in p.replicas}
    assert plan.broker(gone).replicas_after == 0


def test_drain_spreads_the_replicas_and_the_leaderships_it_moves():
    metadata = cluster([1, 2, 3, 4], {"t": [(1, 2)] * 6 + [(2, 1)] * 6})
    plan = make_plan(metadata, DrainBroker(1))
    placed = after(metadata, plan.assignments)
    holders = Counter(b for r in placed.values() for b in r)
    # 12 replicas left broker 1; broker 2 keeps its 12 and 3, 4 take six each
    assert holders == {2: 12, 3: 6, 4: 6}
    leaders = Counter(r[0] for r in placed.values())
    # the six partitions broker 1 was preferred for go to 3 and 4, not to 2 (which prefers six already)
    assert leaders == {2: 6, 3: 3, 4: 3}


def test_drain_of_an_unknown_broker_is_refused():
    metadata = cluster([1, 2, 3], {"t": [(1, 2)]})
    with pytest.raises(PlanError, match=r"broker 9 does not exist \(brokers: 1, 2, 3\)"):
        make_plan(metadata, DrainBroker(9))


# -- replication factor ---------------------------------------------------------------------


@given(clusters(), st.data())
def test_replication_factor_changes_every_partition_and_keeps_the_preferred_replica(metadata, data):
    topic = data.draw(st.sampled_from([t.name for t in metadata.topics]))
    rf = data.draw(st.integers(1, len(metadata.brokers)))
    plan = make_plan(metadata, ChangeReplicationFactor(topic, rf))
    placed = after(metadata, plan.assignments)
    for p in metadata.topic(topic).partitions:
        target = placed[(p.topic, p.partition)]
        assert len(target) == rf == len(set(target))
        assert target[0] == p.replicas[0]
        if rf >= len(p.replicas):
            assert target[: len(p.replicas)] == p.replicas  # only additions
        else:
            assert set(target) <= set(p.replicas)  # only removals


def test_raising_the_factor_uses_other_racks_first_and_the_least_loaded_brokers():
    racks = {1: "a", 2: "a", 3: "b", 4: "b"}
    metadata = cluster([1, 2, 3, 4], {"t": [(1,), (2,)], "busy": [(3,), (3,), (3,)]}, racks)
    plan = make_plan(metadata, ChangeReplicationFactor("t", 2))
    # rack b for both; broker 3 holds three replicas already, so 4
    assert plan.assignments == {("t", 0): (1, 4), ("t", 1): (2, 4)}


def test_lowering_the_factor_drops_out_of_sync_replicas_first():
    brokers = (BrokerInfo(1, "h", 1), BrokerInfo(2, "h", 2), BrokerInfo(3, "h", 3))
    topic = TopicInfo("t", False, (PartitionInfo("t", 0, 1, (1, 2, 3), (1, 3)),))
    metadata = ClusterMetadata("c", 1, brokers, (topic,))
    assert make_plan(metadata, ChangeReplicationFactor("t", 2)).assignments == {("t", 0): (1, 3)}


@pytest.mark.parametrize(
    ("rf", "message"),
    [(4, r"replication factor 4 is above the 3 live broker\(s\) \(1, 2, 3\)"), (0, "below 1")],
)
def test_a_factor_the_cluster_cannot_hold_is_refused(rf, message):
    metadata = cluster([1, 2, 3], {"t": [(1,)]})
    with pytest.raises(PlanError, match=message):
        make_plan(metadata, ChangeReplicationFactor("t", rf))


def test_an_unknown_topic_is_refused():
    with pytest.raises(PlanError, match="topic 'nope' does not exist"):
        make_plan(cluster([1, 2], {"t": [(1,)]}), ChangeReplicationFactor("nope", 2))


# -- spread ---------------------------------------------------------------------------------


@given(clusters())
def test_spread_evens_out_each_topic_and_keeps_every_factor(metadata):
    plan = make_plan(metadata, SpreadReplicas(use_racks=False))
    placed = after(metadata, plan.assignments)
    brokers = [b.node_id for b in metadata.brokers]
    for topic in metadata.topics:
        counts = Counter(b for p in topic.partitions for b in placed[(p.topic, p.partition)])
        per_broker = [counts.get(b, 0) for b in brokers]
        if not any("could not be spread" in w for w in plan.warnings):
            assert max(per_broker) - min(per_broker) <= 1, (topic.name, per_broker)
        for p in topic.partitions:
            target = placed[(p.topic, p.partition)]
            assert len(target) == len(p.replicas) == len(set(target))


@given(clusters())
def test_spread_over_racks_keeps_topics_even_and_names_partitions_left_on_one_rack(metadata):
    plan = make_plan(metadata, SpreadReplicas())
    placed = after(metadata, plan.assignments)
    brokers = [b.node_id for b in metadata.brokers]
    for topic in metadata.topics:
        counts = Counter(b for p in topic.partitions for b in placed[(p.topic, p.partition)])
        if not any("could not be spread" in w for w in plan.warnings):
            assert max(counts.get(b, 0) for b in brokers) - min(counts.get(b, 0) for b in brokers) <= 1
    racks = {b.node_id: b.rack for b in metadata.brokers}
    if None not in racks.values():
        rack_count = len(set(racks.values()))
        shared = [k for k, r in placed.items() if len({racks[b] for b in r}) < min(len(r), rack_count)]
        if shared:
            assert any(f"{len(shared)} partition(s) keep two replicas on one rack" in w for w in plan.warnings)


@given(clusters())
def test_spread_twice_moves_nothing_the_second_time(metadata):
    """A spread cluster is spread: planning again on the result is empty."""
    first = make_plan(metadata, SpreadReplicas(use_racks=False))
    if first.warnings:
        return
    placed = after(metadata, first.assignments)
    again = cluster(
        [b.node_id for b in metadata.brokers],
        {t.name: [placed[(p.topic, p.partition)] for p in t.partitions] for t in metadata.topics},
    )
    second = make_plan(again, SpreadReplicas(use_racks=False))
    assert [m for m in second.moves if not m.order_only] == []


def test_spread_onto_new_brokers_moves_half_and_balances_leaders():
    # six partitions of RF 2 on brokers 1 and 2; brokers 3 and 4 are new and empty
    metadata = cluster([1, 2, 3, 4], {"t": [(1, 2), (2, 1)] * 3})
    plan = make_plan(metadata, SpreadReplicas())
    placed = after(metadata, plan.assignments)
    assert Counter(b for r in placed.values() for b in r) == {1: 3, 2: 3, 3: 3, 4: 3}
    leaders = Counter(r[0] for r in placed.values())
    assert max(leaders.values()) - min(leaders.get(b, 0) for b in (1, 2, 3, 4)) <= 1
    # six replicas moved: each partition copies one log at most
    assert sum(len(m.adding) for m in plan.moves) == 6


def test_spread_puts_replicas_on_distinct_racks_where_it_can():
    racks = {1: "a", 2: "a", 3: "b", 4: "b"}
    # both replicas of each partition on one rack, the brokers already even
    metadata = cluster([1, 2, 3, 4], {"t": [(1, 2), (3, 4), (2, 1), (4, 3)]}, racks)
    plan = make_plan(metadata, SpreadReplicas())
    placed = after(metadata, plan.assignments)
    for target in placed.values():
        assert len({racks[b] for b in target}) == 2
    assert Counter(b for r in placed.values() for b in r) == {1: 2, 2: 2, 3: 2, 4: 2}


def test_spread_over_chosen_brokers_empties_the_others():
    metadata = cluster([1, 2, 3], {"t": [(1,), (2,), (3,)]})
    placed = after(metadata, make_plan(metadata, SpreadReplicas(brokers=(1, 2))).assignments)
    assert 3 not in {b for r in placed.values() for b in r}


def test_spread_refuses_a_factor_above_the_brokers_and_unknown_brokers():
    metadata = cluster([1, 2, 3], {"t": [(1, 2, 3)]})
    with pytest.raises(PlanError, match="replication factor 3, above the 2 broker"):
        make_plan(metadata, SpreadReplicas(brokers=(1, 2)))
    with pytest.raises(PlanError, match="broker 7 does not exist or is offline"):
        make_plan(metadata, SpreadReplicas(brokers=(1, 7)))


# -- chosen moves and the preview ------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        ({("nope", 0): (1,)}, "topic 'nope' does not exist"),
        ({("t", 5): (1,)}, r"partition t-5 does not exist \('t' has 2 partition\(s\), 0-1\)"),
        ({("t", 0): (1, 9)}, r"t-0: broker 9 does not exist or is offline \(live brokers: 1, 2, 3\)"),
        ({("t", 0): (2, 2)}, "a broker is named twice"),
        ({("t", 0): ()}, "the replica list is empty"),
    ],
)
def test_bad_moves_are_refused_with_the_fault_named(assignments, message):
    metadata = cluster([1, 2, 3], {"t": [(1,), (2,)]})
    with pytest.raises(PlanError, match=message):
        make_plan(metadata, MovePartitions(assignments))


def test_the_preview_counts_bytes_and_totals_per_broker():
    metadata = cluster([1, 2, 3], {"t": [(1, 2), (2, 3)], "u": [(3,)]})
    sizes = {("t", 0): 100, ("t", 1): 40}
    plan = preview(metadata, {("t", 0): (3, 2), ("t", 1): (2, 3), ("u", 0): (3, 1)}, sizes)
    # t-1 does not change; u-0's size is unknown
    assert [m.key for m in plan.moves] == [("t", 0), ("u", 0)]
    assert plan.bytes_to_copy == 100
    assert plan.unknown_sizes == 1
    assert any("size unknown for 1" in w for w in plan.warnings)
    one, three = plan.broker(1), plan.broker(3)
    assert (one.replicas_before, one.replicas_after, one.bytes_out, one.bytes_in) == (1, 1, 100, 0)
    assert (three.replicas_before, three.replicas_after, three.bytes_in) == (2, 3, 100)
    assert (one.preferred_before, one.preferred_after, three.preferred_after) == (1, 0, 2)
    assert plan.rollback == {("t", 0): (1, 2), ("u", 0): (3,)}


# -- leader balance ---------------------------------------------------------------------------


def test_leader_balance_counts_leaders_against_preferred_leaders():
    brokers = (BrokerInfo(1, "h", 1, "a"), BrokerInfo(2, "h", 2, "b"))
    partitions = (
        PartitionInfo("t", 0, 1, (1, 2), (1, 2)),
        PartitionInfo("t", 1, 1, (2, 1), (1, 2)),  # led by 1, prefers 2
        PartitionInfo("t", 2, -1, (2, 1), ()),  # offline
    )
    metadata = ClusterMetadata("c", 1, brokers, (TopicInfo("t", False, partitions),))
    balance = leader_balance(metadata, {1: 10})
    one, two = balance.broker(1), balance.broker(2)
    assert (one.leaders, one.preferred_leaders, one.replicas, one.bytes) == (2, 1, 3, 10)
    assert (two.leaders, two.preferred_leaders, two.bytes) == (0, 2, None)
    assert [(n.partition, n.leader, n.preferred, n.preferred_in_sync) for n in balance.not_preferred] == [
        (1, 1, 2, True),
        (2, -1, 2, False),
    ]
    assert (balance.partitions, balance.offline, balance.balanced) == (3, 1, False)
    assert not_preferred_partitions(metadata) == [("t", 1), ("t", 2)]


# -- the file format --------------------------------------------------------------------------


@given(
    st.dictionaries(
        st.tuples(st.text("abc-._", min_size=1, max_size=5), st.integers(0, 50)),
        st.lists(st.integers(0, 20), min_size=1, max_size=4, unique=True).map(tuple),
        min_size=1,
    )
)
def test_plan_files_round_trip(assignments):
    assert assignments_from_json(assignments_to_json(assignments)) == assignments


def test_log_dirs_of_kafkas_rollback_files_are_read_and_left_alone():
    text = '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["/k/d1","any"]}]}'
    assert assignments_from_json(text) == {("t", 0): (1, 2)}


def test_the_file_is_kafkas_layout():
    text = assignments_to_json({("t", 1): (2, 3), ("t", 0): (1,)})
    assert json.loads(text) == {
        "version": 1,
        "partitions": [
            {"topic": "t", "partition": 0, "replicas": [1], "log_dirs": ["any"]},
            {"topic": "t", "partition": 1, "replicas": [2, 3], "log_dirs": ["any", "any"]},
        ],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "plan.json: not JSON"),
        ("[]", "expected an object"),
        ('{"version": 2, "partitions": []}', "version 2 is not supported"),
        ('{"version": 1}', '"partitions" must be a list'),
        ('{"partitions": []}', "no partitions"),
        ('{"partitions": [{"topic": "t", "partition": "0", "replicas": [1]}]}', 'entry 1: "partition" must be'),
        ('{"partitions": [{"topic": "t", "partition": 0, "replicas": []}]}', r'entry 1 \(t-0\): "replicas" must be'),
        ('{"partitions": [{"topic": "t", "partition": 0, "replicas": [1, true]}]}', '"replicas" must be'),
        ('{"partitions": [{"partition": 0, "replicas": [1]}]}', '"topic" must be'),
        ('{"partitions": [{"topic": "t", "partition": 0, "replicas": [1, 1]}]}', "named twice"),
        (
            '{"partitions": [{"topic": "t", "partition": 0, "replicas": [1], "log_dirs": [3]}]}',
            "one dir \\(a string\\) per replica",
        ),
        (
            '{"partitions": [{"topic": "t", "partition": 0, "replicas": [1], "log_dirs": []}]}',
            "one dir \\(a string\\) per replica",
        ),
        (
            '{"partitions": [{"topic": "t", "partition": 0, "replicas": [1]}, '
            '{"topic": "t", "partition": 0, "replicas": [2]}]}',
            r"entry 2 \(t-0\): the partition is listed twice",
        ),
    ],
)
def test_bad_plan_files_name_the_entry_at_fault(text, message):
    with pytest.raises(PlanError, match=message):
        assignments_from_json(text, "plan.json")


# -- throttle and progress ---------------------------------------------------------------------


def test_throttle_values_follow_kafkas_tool():
    current = {("t", 0): (1, 2), ("t", 1): (2, 3), ("u", 0): (1,)}
    target = {("t", 0): (3, 2), ("t", 1): (2, 3), ("u", 0): (1, 2)}
    settings = throttle_settings(current, target, 5000)
    # t-1 does not move; leaders: the current replicas; followers: the new ones only
    assert settings.topic_leader_replicas == {"t": "0:1,0:2", "u": "0:1"}
    assert settings.topic_follower_replicas == {"t": "0:3", "u": "0:2"}
    assert settings.brokers == (1, 2, 3)
    assert settings.rate == 5000


def test_progress_counts_copied_bytes_done_partitions_rate_and_eta():
    metadata = cluster([1, 2, 3], {"t": [(1, 2, 3), (2, 3)]})
    targets = {("t", 0): (2, 3), ("t", 1): (2, 3)}
    moving = {("t", 0): OngoingReassignment("t", 0, (1, 2, 3), adding=(3,), removing=(1,))}
    sizes = {("t", 0, 1): 1000, ("t", 0, 2): 1000, ("t", 0, 3): 250, ("t", 1, 2): 500}
    originals = {("t", 0): (1, 2), ("t", 1): (2,)}
    first = compute_progress(metadata, targets, moving, sizes, taken_at=100.0, originals=originals)
    row0, row1 = first.partitions
    assert (row0.done, row0.size, row0.copied, row0.remaining) == (False, 1000, 250, 750)
    # t-1 is done: its one new replica (3) copied its whole 500 bytes
    assert (row1.done, row1.copied, row1.remaining) == (True, 500, 0)
    assert (first.done, first.total, first.bytes_copied, first.bytes_remaining) == (1, 2, 750, 750)
    assert first.rate is None and first.eta is None
    sizes[("t", 0, 3)] = 650
    second = compute_progress(metadata, targets, moving, sizes, taken_at=104.0, originals=originals, previous=first)
    assert second.rate == pytest.approx(100.0)  # 400 bytes in 4 s
    assert second.eta == pytest.approx(350 / 100.0)


def test_progress_says_when_a_partition_stopped_short_of_its_target():
    metadata = cluster([1, 2], {"t": [(1,)]})
    progress = compute_progress(metadata, {("t", 0): (2,)}, {}, {}, taken_at=1.0)
    assert not progress.finished
    assert progress.errors == ("t-0 is not moving, but its replicas are [1] rather than [2]",)


def test_partition_sizes_take_the_largest_replica():
    assert partition_sizes({("t", 0, 1): 5, ("t", 0, 2): 9, ("u", 0, 1): 0}) == {("t", 0): 9, ("u", 0): 0}


def test_drain_keeps_racks_apart_unless_told_to_ignore_them():
    racks = {1: "a", 2: "b", 3: "a", 4: "b"}
    # loads: 1, 2 and 4 hold three replicas, 3 holds one
    metadata = cluster([1, 2, 3, 4], {"t": [(1, 2), (2, 1)], "busy": [(4, 1), (4, 2), (4, 3)]}, racks)
    racked = after(metadata, make_plan(metadata, DrainBroker(2)).assignments)
    # t's partitions keep a replica on rack b: 4, the only broker left there, busy as it is;
    # t-1's leadership goes to 1 (4 prefers three partitions already, 1 one)
    assert (racked[("t", 0)], racked[("t", 1)]) == ((1, 4), (1, 4))
    assert racked[("busy", 1)] == (4, 3)  # 4 is rack b already: the least loaded of rack a
    loose = after(metadata, make_plan(metadata, DrainBroker(2, use_racks=False)).assignments)
    assert (loose[("t", 0)], loose[("t", 1)]) == ((1, 3), (3, 1))
