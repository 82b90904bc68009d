"""Pure logic of kview.core.topics: create-topic / add-partitions /
delete-records validation, the config diff shown before altering, rates from
two watermark samples, and the topics table's aggregation."""

from __future__ import annotations

import pytest

from kview.core.brokers import ConfigEntry, LogDirInfo, ReplicaLog
from kview.core.models import PartitionInfo, TopicInfo, Watermarks
from kview.core.topics import (
    ConfigChange,
    NewTopic,
    TopicFormError,
    config_diff,
    config_problems,
    delete_records_problems,
    message_rate,
    new_topic_problems,
    partition_increase_problem,
    partition_rates,
    partition_rows,
    replica_sizes,
    summarize_topic,
    topic_name_problem,
    validate_new_topic,
)

# -- topic names ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["orders", "a", "A.b_c-9", "x" * 249, "..."])
def test_legal_topic_names(name):
    assert topic_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "required"),
        (None, "required"),
        (".", "not allowed"),
        ("..", "not allowed"),
        ("x" * 250, "at most 249"),
        ("has space", "' '"),
        ("emoji🙂", "'🙂'"),
        ("a/b", "'/'"),
        ("tab\t", "'\\t'"),
    ],
)
def test_illegal_topic_names(name, fragment):
    problem = topic_name_problem(name)
    assert problem is not None and fragment in problem


def test_existing_and_colliding_names():
    assert "already exists" in topic_name_problem("orders", existing=["orders"])
    problem = topic_name_problem("my.topic", existing=["my_topic"])
    assert problem is not None and "collides" in problem and "my_topic" in problem
    assert topic_name_problem("my.topic", existing=["my-topic"]) is None


# -- create form ----------------------------------------------------------------------


def test_valid_form_becomes_new_topic_with_string_numbers_parsed():
    spec = validate_new_topic("t", "6", 3, {"retention.ms": "1000", "cleanup.policy": "compact"}, broker_count=3)
    assert spec == NewTopic("t", 6, 3, (("cleanup.policy", "compact"), ("retention.ms", "1000")))


@pytest.mark.parametrize(
    ("partitions", "rf", "brokers", "field", "fragment"),
    [
        (0, 1, 1, "partitions", "at least 1"),
        (-3, 1, 1, "partitions", "at least 1"),
        (" -3 ", 1, 1, "partitions", "at least 1"),
        ("two", 1, 1, "partitions", "whole number"),
        (1.5, 1, 1, "partitions", "whole number"),
        (True, 1, 1, "partitions", "whole number"),
        (1, 0, 1, "replication_factor", "at least 1"),
        (1, 3, 1, "replication_factor", "3 replicas need 3 brokers; the cluster has 1"),
        (1, 4, 3, "replication_factor", "the cluster has 3"),
        (1, "", 3, "replication_factor", "whole number"),
    ],
)
def test_form_number_problems(partitions, rf, brokers, field, fragment):
    problems = new_topic_problems("t", partitions, rf, broker_count=brokers)
    assert list(problems) == [field]
    assert fragment in problems[field]


def test_rf_equal_to_broker_count_is_fine():
    assert new_topic_problems("t", 1, 3, broker_count=3) == {}


def test_every_problem_is_reported_at_once():
    with pytest.raises(TopicFormError) as info:
        validate_new_topic("bad name", 0, 9, {"retention.ms": 1000}, broker_count=3)
    assert set(info.value.problems) == {"name", "partitions", "replication_factor", "config retention.ms"}
    assert "value must be a string, not int" in str(info.value)


@pytest.mark.parametrize(
    ("configs", "key"),
    [
        ({"retention.ms": 5}, "config retention.ms"),
        ({"retention.ms": None}, "config retention.ms"),
        ({"retention.ms": ""}, "config retention.ms"),
        ({"retention.ms": " 5"}, "config retention.ms"),
        ({"bad key": "1"}, "config 'bad key'"),
        ({"": "1"}, "config ''"),
    ],
)
def test_config_problems(configs, key):
    assert list(config_problems(configs)) == [key]


def test_good_configs_have_no_problems():
    assert config_problems({"retention.ms": "1000", "min.insync.replicas": "2"}) == {}
    assert config_problems(None) == {}


# -- add partitions -------------------------------------------------------------------


def test_partitions_can_only_grow():
    assert partition_increase_problem(3, 4) is None
    assert partition_increase_problem(3, "10") is None
    same = partition_increase_problem(3, 3)
    assert same is not None and "only be increased" in same and "more than 3" in same
    assert "only be increased" in partition_increase_problem(3, 1)
    assert "whole number" in partition_increase_problem(3, "x")


# -- delete records -------------------------------------------------------------------


def test_delete_records_offsets_are_checked_against_watermarks():
    marks = {0: Watermarks("t", 0, 5, 100), 1: Watermarks("t", 1, 0, 0)}
    assert delete_records_problems({0: 50, 1: 0}, marks) == {}
    assert delete_records_problems({0: 100}, marks) == {}  # up to the high watermark
    assert delete_records_problems({0: -1, 1: -1}, marks) == {}  # -1 = high watermark
    problems = delete_records_problems({0: 101, 1: -2, 7: 1}, marks)
    assert "past the high watermark 100" in problems["partition 0"]
    assert "0 or more" in problems["partition 1"]
    assert "no such partition" in problems["partition 7"]


# -- config diff ----------------------------------------------------------------------

_CURRENT = (
    ConfigEntry("retention.ms", "1000", "DYNAMIC_TOPIC_CONFIG", fallback="604800000", fallback_source="DEFAULT_CONFIG"),
    ConfigEntry("cleanup.policy", "delete", "DEFAULT_CONFIG"),
    ConfigEntry(
        "segment.bytes", "16777216", "STATIC_BROKER_CONFIG", fallback="1073741824", fallback_source="DEFAULT_CONFIG"
    ),
)


def test_config_diff_sets_and_deletes():
    diff = config_diff(_CURRENT, {"retention.ms": None, "cleanup.policy": "compact", "max.message.bytes": "2048"})
    assert diff == (
        ConfigChange("cleanup.policy", "set", "delete", "compact", "DEFAULT_CONFIG"),
        ConfigChange("max.message.bytes", "set", None, "2048", None),
        ConfigChange("retention.ms", "delete", "1000", "604800000", "DYNAMIC_TOPIC_CONFIG"),
    )
    assert str(diff[2]) == "retention.ms: 1000 -> 604800000 (reverts to default)"
    assert str(diff[0]) == "cleanup.policy: delete -> compact"


def test_config_diff_leaves_out_no_ops():
    # Same value as the topic's own setting, and deleting what the topic does not set.
    assert config_diff(_CURRENT, {"retention.ms": "1000", "cleanup.policy": None, "segment.bytes": None}) == ()


def test_setting_the_inherited_value_is_still_a_change():
    # Pinning the value on the topic protects it from later broker changes.
    (change,) = config_diff(_CURRENT, {"segment.bytes": "16777216"})
    assert (change.op, change.old, change.new, change.old_source) == (
        "set",
        "16777216",
        "16777216",
        "STATIC_BROKER_CONFIG",
    )


def test_config_entry_flags():
    override, default, static = _CURRENT
    assert override.non_default and override.dynamic and not override.is_default
    assert default.is_default and not default.non_default and not default.dynamic
    assert static.non_default and not static.dynamic


# -- rates ----------------------------------------------------------------------------


def test_message_rate():
    assert message_rate((10.0, 100), 12.0, 300) == 100.0
    assert message_rate((10.0, 100), 12.0, 100) == 0.0
    assert message_rate(None, 12.0, 300) is None
    assert message_rate((10.0, 100), 10.0, 300) is None  # no time has passed
    assert message_rate((10.0, 500), 12.0, 3) is None  # watermark went back: topic recreated


def test_partition_rates_only_where_both_samples_exist():
    previous = {("t", 0): (0.0, 10), ("t", 1): (0.0, 0)}
    now = {("t", 0): Watermarks("t", 0, 0, 30), ("t", 2): Watermarks("t", 2, 0, 99)}
    assert partition_rates(previous, 4.0, now) == {("t", 0): 5.0}


# -- topics table / detail aggregation ------------------------------------------------


def _topic() -> TopicInfo:
    return TopicInfo(
        "t",
        False,
        (
            PartitionInfo("t", 0, leader=1, replicas=(1, 2), isr=(1, 2)),
            PartitionInfo("t", 1, leader=2, replicas=(2, 1), isr=(2,)),
            PartitionInfo("t", 2, leader=-1, replicas=(3, 1), isr=(3,), offline_replicas=(3,)),
        ),
    )


def _dirs() -> dict[int, tuple[LogDirInfo, ...]]:
    def replica(partition: int, broker: int, size: int, future: bool = False) -> ReplicaLog:
        return ReplicaLog("t", partition, broker, f"/d{broker}", size, 0, future)

    return {
        1: (LogDirInfo(1, "/d1", None, None, None, (replica(0, 1, 100), replica(1, 1, 30), replica(2, 1, 7))),),
        2: (LogDirInfo(2, "/d2", None, None, None, (replica(0, 2, 90), replica(1, 2, 40), replica(1, 2, 999, True))),),
    }


def test_replica_sizes_ignore_future_logs():
    sizes = replica_sizes(_dirs())
    assert sizes[("t", 1)] == {1: 30, 2: 40}


def test_summary_adds_leader_sizes_and_all_replica_sizes():
    marks = {("t", 0): Watermarks("t", 0, 10, 20), ("t", 1): Watermarks("t", 1, 0, 5)}
    rates = {("t", 0): 1.5, ("t", 1): 0.5}
    row = summarize_topic(_topic(), marks, replica_sizes(_dirs()), rates)
    assert (row.partitions, row.replication_factor, row.messages) == (3, 2, 15)
    # Leaders: p0 on 1 (100), p1 on 2 (40), p2 offline -> its only reported replica (7).
    assert row.size == 147
    assert row.replicated_size == 100 + 90 + 30 + 40 + 7
    assert row.rate == 2.0
    assert (row.under_replicated, row.offline, row.internal) == (2, 1, False)


def test_summary_without_sizes_or_rates_says_unknown():
    row = summarize_topic(_topic(), {}, {}, {})
    assert (row.messages, row.size, row.replicated_size, row.rate) == (0, None, None, None)


def test_partition_rows_show_out_of_sync_replicas():
    marks = {("t", 0): Watermarks("t", 0, 10, 20)}
    rows = partition_rows(_topic(), marks, replica_sizes(_dirs()), {("t", 0): 3.0})
    p0, p1, p2 = rows
    assert (p0.low, p0.high, p0.messages, p0.size, p0.rate) == (10, 20, 10, 100, 3.0)
    assert p0.replica_sizes == ((1, 100), (2, 90)) and p0.out_of_sync == ()
    assert p1.out_of_sync == (1,) and p1.under_replicated and p1.messages is None
    assert p2.offline and p2.offline_replicas == (3,) and p2.out_of_sync == (1,)
