"""Wire layouts of the group requests kview builds, checked byte by byte against
layouts derived by hand from Kafka's message definitions (field order, widths,
compact lengths = n + 1 as unsigned varints, 0 for null, a 0 byte for each empty
tagged-field section of flexible versions)."""

from __future__ import annotations

import struct

import pytest
from aiokafka.protocol.commit import OffsetCommitRequest

from kview.core.protocol.group_requests import (
    DescribeGroupsBatchRequest,
    DescribeGroupsResponse_v5,
    FindCoordinatorsRequest,
    FindCoordinatorsResponse_v4,
    ListGroupsResponse_v5,
    ListGroupsWithStateRequest,
    OffsetDeleteRequest,
    OffsetDeleteResponse_v0,
    OffsetFetchGroupsRequest,
    OffsetFetchGroupsResponse_v8,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def cstr(s: str | None) -> bytes:
    """COMPACT_STRING for strings shorter than 127 bytes: one length byte (n + 1)."""
    if s is None:
        return b"\x00"
    data = s.encode()
    assert len(data) < 127
    return bytes([len(data) + 1]) + data


def string(s: str | None) -> bytes:
    """Classic STRING: int16 length, -1 for null."""
    if s is None:
        return i16(-1)
    return i16(len(s.encode())) + s.encode()


TAGS = b"\x00"


def frame(request, versions, correlation_id=7, client_id="kv") -> tuple[object, bytes]:
    built = request.prepare(versions)
    header = built.build_request_header(correlation_id=correlation_id, client_id=client_id)
    return built, header.encode() + built.encode()


# -- FindCoordinator v4 -------------------------------------------------------------------


def test_find_coordinators_v4_request_bytes():
    built, data = frame(FindCoordinatorsRequest(["g1", "grp2"]), {10: (0, 6)})
    assert built.API_VERSION == 4
    # Header v2: api key, version, correlation id, client id (classic nullable
    # string even in flexible headers), then the header's tagged fields.
    header = i16(10) + i16(4) + i32(7) + string("kv") + TAGS
    body = b"\x00" + b"\x03" + cstr("g1") + cstr("grp2") + TAGS  # key_type, [keys], tags
    assert data == header + body


def test_find_coordinators_needs_v4():
    with pytest.raises(NotImplementedError):
        FindCoordinatorsRequest(["g"]).prepare({10: (0, 3)})


def test_find_coordinators_v4_response_decoding():
    data = (
        i32(0)  # throttle_time_ms
        + b"\x03"  # two coordinators
        + cstr("g1") + i32(1) + cstr("h1") + i32(9092) + i16(0) + cstr(None) + TAGS
        + cstr("g2") + i32(-1) + cstr("") + i32(-1) + i16(15) + cstr("not available") + TAGS
        + TAGS
    )
    response = FindCoordinatorsResponse_v4.decode(data)
    assert response.coordinators == [
        ("g1", 1, "h1", 9092, 0, None, {}),
        ("g2", -1, "", -1, 15, "not available", {}),
    ]


# -- ListGroups v4/v5 -----------------------------------------------------------------


def test_list_groups_v5_request_bytes():
    built, data = frame(ListGroupsWithStateRequest(types=["classic"]), {16: (0, 5)})
    assert built.API_VERSION == 5
    header = i16(16) + i16(5) + i32(7) + string("kv") + TAGS
    body = b"\x01" + b"\x02" + cstr("classic") + TAGS  # states_filter [], types_filter ["classic"]
    assert data == header + body


def test_list_groups_v4_has_no_types_filter():
    built = ListGroupsWithStateRequest(states=["Empty"]).prepare({16: (0, 4)})
    assert built.API_VERSION == 4
    assert built.encode() == b"\x02" + cstr("Empty") + TAGS


def test_list_groups_v5_response_decoding():
    data = (
        i32(0) + i16(0)
        + b"\x02" + cstr("g") + cstr("consumer") + cstr("Stable") + cstr("classic") + TAGS
        + TAGS
    )
    response = ListGroupsResponse_v5.decode(data)
    assert response.groups == [("g", "consumer", "Stable", "classic", {})]


# -- DescribeGroups v5 ----------------------------------------------------------------


def test_describe_groups_v5_request_bytes():
    built, data = frame(DescribeGroupsBatchRequest(["a", "bb"]), {15: (0, 6)})
    assert built.API_VERSION == 5
    header = i16(15) + i16(5) + i32(7) + string("kv") + TAGS
    body = b"\x03" + cstr("a") + cstr("bb") + b"\x00" + TAGS  # [groups], include_authorized_ops=false
    assert data == header + body


def test_describe_groups_v5_response_decodes_every_group():
    # aiokafka's v3 decoder drops authorized_operations and misreads the second
    # group; two groups with a member each prove the layout here is whole.
    def cbytes(b: bytes) -> bytes:
        return bytes([len(b) + 1]) + b

    assignment = encode_assignment({"t": [0, 1]})
    subscription = encode_subscription(["t"])
    member = (
        cstr("m-1") + cstr(None) + cstr("client") + cstr("/127.0.0.1")
        + cbytes(subscription) + cbytes(assignment) + TAGS
    )
    group = lambda name, state: (  # noqa: E731
        i16(0) + cstr(name) + cstr(state) + cstr("consumer") + cstr("range")
        + b"\x02" + member + i32(-2147483648) + TAGS
    )
    data = i32(0) + b"\x03" + group("g1", "Stable") + group("g2", "PreparingRebalance") + TAGS
    response = DescribeGroupsResponse_v5.decode(data)
    assert [g[1] for g in response.groups] == ["g1", "g2"]
    assert [g[2] for g in response.groups] == ["Stable", "PreparingRebalance"]
    m = response.groups[1][5][0]
    assert m[0] == "m-1" and m[1] is None and m[2] == "client" and m[3] == "/127.0.0.1"
    assert decode_assignment(m[5]) == (("t", 0), ("t", 1))
    assert decode_subscription(m[4]) == ("t",)


# -- OffsetFetch v8 ------------------------------------------------------------------


def test_offset_fetch_v8_request_bytes():
    built, data = frame(OffsetFetchGroupsRequest({"g": None, "h": {"t": [0, 2]}}), {9: (1, 10)})
    assert built.API_VERSION == 8
    header = i16(9) + i16(8) + i32(7) + string("kv") + TAGS
    body = (
        b"\x03"  # two groups
        + cstr("g") + b"\x00" + TAGS  # topics null: every committed partition
        + cstr("h") + b"\x02" + cstr("t") + b"\x03" + i32(0) + i32(2) + TAGS + TAGS
        + b"\x00"  # require_stable false
        + TAGS
    )
    assert data == header + body


def test_offset_fetch_v8_response_decoding():
    data = (
        i32(0)
        + b"\x02"
        + cstr("g")
        + b"\x02" + cstr("t")
        + b"\x03"
        + i32(0) + i64(42) + i32(-1) + cstr("") + i16(0) + TAGS
        + i32(1) + i64(-1) + i32(-1) + cstr(None) + i16(0) + TAGS
        + TAGS
        + i16(0) + TAGS
        + TAGS
    )
    response = OffsetFetchGroupsResponse_v8.decode(data)
    (group_id, topics, error_code, _), = response.groups
    assert group_id == "g" and error_code == 0
    assert topics == [("t", [(0, 42, -1, "", 0, {}), (1, -1, -1, None, 0, {})], {})]


# -- OffsetDelete v0 -----------------------------------------------------------------


def test_offset_delete_v0_request_bytes():
    built, data = frame(OffsetDeleteRequest("g", {"t": [0, 3]}), {47: (0, 0)})
    assert built.API_VERSION == 0
    header = i16(47) + i16(0) + i32(7) + string("kv")  # header v1: no tagged fields
    body = string("g") + i32(1) + string("t") + i32(2) + i32(0) + i32(3)
    assert data == header + body


def test_offset_delete_v0_response_decoding():
    data = i16(0) + i32(0) + i32(1) + string("t") + i32(1) + i32(3) + i16(86)
    response = OffsetDeleteResponse_v0.decode(data)
    assert response.error_code == 0
    assert response.topics == [("t", [(3, 86)])]


# -- OffsetCommit as a non-member (aiokafka's request, as kview fills it) -------------


def test_offset_commit_as_non_member_bytes():
    request = OffsetCommitRequest("g", -1, "", -1, [("t", [(1, 5, "")])])
    built = request.prepare({8: (2, 10)})
    assert built.API_VERSION == 3  # the newest aiokafka knows; Kafka 4 accepts 2+
    expected = (
        string("g") + i32(-1) + string("") + i64(-1)  # group, generation -1, no member id, retention -1
        + i32(1) + string("t") + i32(1) + i32(1) + i64(5) + string("")
    )
    assert built.encode() == expected


# -- consumer protocol bytes ------------------------------------------------------------


def test_assignment_decoding_by_hand():
    data = i16(0) + i32(2) + string("b") + i32(1) + i32(4) + string("a") + i32(2) + i32(1) + i32(0) + i32(-1)
    assert decode_assignment(data) == (("a", 0), ("a", 1), ("b", 4))


def test_assignment_v3_with_user_data():
    data = i16(3) + i32(1) + string("t") + i32(1) + i32(7) + i32(3) + b"xyz"
    assert decode_assignment(data) == (("t", 7),)


def test_assignment_empty_or_garbage():
    assert decode_assignment(b"") == ()
    assert decode_assignment(None) == ()
    assert decode_assignment(b"\x00\x01\x00") == ()


def test_subscription_v1_with_owned_partitions():
    data = (
        i16(1) + i32(2) + string("y") + string("x") + i32(-1)
        + i32(1) + string("x") + i32(1) + i32(0)  # owned partitions (v1+): ignored
    )
    assert decode_subscription(data) == ("x", "y")


def test_encode_helpers_round_trip():
    assert decode_assignment(encode_assignment({"t": [2, 0]})) == (("t", 0), ("t", 2))
    assert decode_subscription(encode_subscription(["b", "a"])) == ("a", "b")
