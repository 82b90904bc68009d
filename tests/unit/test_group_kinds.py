"""The pure parts of every group type: the kind of a group from what
ListGroups said, KIP-848 partitions moving to their target, a share-partition
row's lag (the broker's, not log end - start offset), the headless ``n/a``,
and the wire layouts of the share and streams requests (encoded and read
back with aiokafka's own classes)."""

from __future__ import annotations

from io import BytesIO

from kview.core.groups.models import GroupPartitionLag, MemberInfo, group_kind
from kview.core.protocol.share_requests import (
    AlterShareGroupOffsetsRequest,
    AlterShareGroupOffsetsRequest_v0,
    DescribeShareGroupOffsetsResponse_v1,
    NullableStruct,
    UInt16,
    share_offsets_rows,
    task_ids,
)
from kview.headless import render


def test_group_kind_follows_listgroups_then_the_protocol():
    assert group_kind("Consumer", "consumer") == "consumer"
    assert group_kind("share", "share") == "share"
    assert group_kind("", "streams") == "streams"
    # Brokers before 3.8 name no type: every group is classic.
    assert group_kind("", "consumer") == "classic"
    assert group_kind("", "") == "classic"


def test_moving_partitions_are_the_difference_between_target_and_current():
    member = MemberInfo(
        "m",
        "c",
        "h",
        assignment=(("t", 0), ("t", 1)),
        target_assignment=(("t", 1), ("t", 2)),
        member_epoch=5,
    )
    assert member.moving_in == (("t", 2),)
    assert member.moving_out == (("t", 0),)
    # Classic and share members have no target: nothing moves.
    assert MemberInfo("m", "c", "h", assignment=(("t", 0),)).moving_in == ()


def test_a_share_partition_lag_is_the_brokers():
    row = GroupPartitionLag("t", 0, 100, 0, 130, share=True, share_lag=0)
    assert row.lag == 0  # not 130 - 100: acknowledged records past the start offset
    assert not row.retention_breach  # the broker moves the start offset past deleted records
    classic = GroupPartitionLag("t", 0, 100, 0, 130)
    assert classic.lag == 30


def test_headless_says_na_where_a_figure_has_no_meaning():
    share_row = {"type": "share", "time_lag": None, "readable": None}
    assert render._na(share_row, "time_lag", render.human_time_lag) == "n/a"
    classic_row = {"type": "classic", "time_lag": None, "readable": None}
    assert render._na(classic_row, "time_lag", render.human_time_lag) == "-"


def test_nullable_struct_and_uint16_round_trip():
    endpoint = NullableStruct(("port", UInt16))
    assert endpoint.decode(BytesIO(endpoint.encode(None))) is None
    assert endpoint.decode(BytesIO(endpoint.encode((65535,)))) == (65535,)


def test_alter_share_group_offsets_is_written_as_the_json_says():
    request = AlterShareGroupOffsetsRequest("g", {"t": {1: 7, 0: 5}}).build(AlterShareGroupOffsetsRequest_v0)
    data = BytesIO(request.encode())
    decoded = AlterShareGroupOffsetsRequest_v0.SCHEMA.decode(data)
    # group, topics [(name, partitions [(index, start offset, tags)], tags)], tags
    assert decoded[0] == "g"
    assert [(t[0], [(p[0], p[1]) for p in t[1]]) for t in decoded[1]] == [("t", [(0, 5), (1, 7)])]


def test_share_offsets_rows_drop_the_brokers_unknown_lag():
    uuid = bytes(16)
    answer = (
        0,
        [("g", [("t", uuid, [(0, 10, 0, 3, 0, None, {}), (1, 4, 0, -1, 0, None, {})], {})], 0, None, {})],
        {},
    )
    response = DescribeShareGroupOffsetsResponse_v1.SCHEMA.decode(
        BytesIO(DescribeShareGroupOffsetsResponse_v1.SCHEMA.encode(answer))
    )
    assert share_offsets_rows(response[1][0], 1) == [("t", 0, 10, 3, 0, None), ("t", 1, 4, None, 0, None)]


def test_streams_tasks_are_named_as_kafka_streams_names_them():
    assert task_ids([("1", [2, 0], {}), ("0", [1], {})]) == ("0_1", "1_0", "1_2")
