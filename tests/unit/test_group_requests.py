"""Wire layouts of the group requests kview builds, checked byte by byte against
layouts derived by hand from Kafka's message definitions (field order, widths,
compact lengths = n + 1 as unsigned varints, 0 for null, a 0 byte for each empty
tagged-field section of flexible versions)."""

from __future__ import annotations

import struct
from io import BytesIO

import pytest
from aiokafka.protocol.commit import OffsetCommitRequest

from kview.core.protocol.group_requests import (
    ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse_v1,
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
    assignment_848,
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
        + cstr("g1")
        + i32(1)
        + cstr("h1")
        + i32(9092)
        + i16(0)
        + cstr(None)
        + TAGS
        + cstr("g2")
        + i32(-1)
        + cstr("")
        + i32(-1)
        + i16(15)
        + cstr("not available")
        + TAGS
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
    data = i32(0) + i16(0) + b"\x02" + cstr("g") + cstr("consumer") + cstr("Stable") + cstr("classic") + TAGS + TAGS
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
        cstr("m-1")
        + cstr(None)
        + cstr("client")
        + cstr("/127.0.0.1")
        + cbytes(subscription)
        + cbytes(assignment)
        + TAGS
    )
    group = lambda name, state: (  # noqa: E731
        i16(0)
        + cstr(name)
        + cstr(state)
        + cstr("consumer")
        + cstr("range")
        + b"\x02"
        + member
        + i32(-2147483648)
        + TAGS
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
        + cstr("g")
        + b"\x00"
        + TAGS  # topics null: every committed partition
        + cstr("h")
        + b"\x02"
        + cstr("t")
        + b"\x03"
        + i32(0)
        + i32(2)
        + TAGS
        + TAGS
        + b"\x00"  # require_stable false
        + TAGS
    )
    assert data == header + body


def test_offset_fetch_v8_response_decoding():
    data = (
        i32(0)
        + b"\x02"
        + cstr("g")
        + b"\x02"
        + cstr("t")
        + b"\x03"
        + i32(0)
        + i64(42)
        + i32(-1)
        + cstr("")
        + i16(0)
        + TAGS
        + i32(1)
        + i64(-1)
        + i32(-1)
        + cstr(None)
        + i16(0)
        + TAGS
        + TAGS
        + i16(0)
        + TAGS
        + TAGS
    )
    response = OffsetFetchGroupsResponse_v8.decode(data)
    ((group_id, topics, error_code, _),) = response.groups
    assert group_id == "g" and error_code == 0
    assert topics == [("t", [(0, 42, -1, "", 0, {}), (1, -1, -1, None, 0, {})], {})]


def test_offset_fetch_fast_decoder_equals_schema_decoder():
    """The hand-written decoder must give what the declared SCHEMA gives, including
    long strings (multi-byte varints), null and non-empty metadata, and tags."""
    long_name = "t" * 200  # compact length 201 needs a two-byte varint
    partitions = [
        (
            i,
            1000 + i,
            -1 if i % 2 else 5,
            None if i % 3 == 0 else ("m" * (i % 5)),
            0 if i % 4 else 3,
            {} if i % 7 else {1: b"xy"},
        )
        for i in range(300)
    ]
    value = (0, [("g1", [(long_name, partitions, {})], 0, {}), ("g2", [], 16, {})], {})
    data = _encode_offset_fetch(value)
    generic = OffsetFetchGroupsResponse_v8.SCHEMA.decode(BytesIO(data))
    fast = OffsetFetchGroupsResponse_v8.decode(BytesIO(data))
    assert (fast.throttle_time_ms, fast.groups, fast.tags) == generic
    assert fast.groups[0][1][0][0] == long_name
    assert fast.groups[0][1][0][1][7][5] == {1: b"xy"}
    assert fast.groups[1][2] == 16


def _encode_offset_fetch(value) -> bytes:
    """Encoded by hand: aiokafka's TaggedFields encoder leaves out each tag's size."""

    def uvarint(n: int) -> bytes:
        out = b""
        while n >= 0x80:
            out += bytes([(n & 0x7F) | 0x80])
            n >>= 7
        return out + bytes([n])

    def cs(x):
        if x is None:
            return b"\x00"
        raw = x.encode()
        return uvarint(len(raw) + 1) + raw

    def tags(t):
        return uvarint(len(t)) + b"".join(uvarint(k) + uvarint(len(v)) + v for k, v in t.items())

    throttle, groups, top_tags = value
    out = i32(throttle) + uvarint(len(groups) + 1)
    for group_id, topics, error_code, gtags in groups:
        out += cs(group_id) + uvarint(len(topics) + 1)
        for name, parts, ttags in topics:
            out += cs(name) + uvarint(len(parts) + 1)
            for index, offset, epoch, meta, err, ptags in parts:
                out += i32(index) + i64(offset) + i32(epoch) + cs(meta) + i16(err) + tags(ptags)
            out += tags(ttags)
        out += i16(error_code) + tags(gtags)
    return out + tags(top_tags)


def test_offset_fetch_fast_decoder_rejects_truncation():
    data = _encode_offset_fetch((0, [("g", [("t", [(0, 1, -1, "", 0, {})], {})], 0, {})], {}))
    with pytest.raises(ValueError):
        OffsetFetchGroupsResponse_v8.decode(data[:-5])


# -- ConsumerGroupDescribe v0/v1 -------------------------------------------------------


def test_consumer_group_describe_request_bytes():
    built, data = frame(ConsumerGroupDescribeRequest(["g"]), {69: (0, 1)})
    assert built.API_VERSION == 1
    header = i16(69) + i16(1) + i32(7) + string("kv") + TAGS
    body = b"\x02" + cstr("g") + b"\x00" + TAGS  # [group_ids], include_authorized_operations=false
    assert data == header + body


def test_consumer_group_describe_v1_response_decoding():
    topic_id = bytes(range(16))
    assignment = b"\x02" + topic_id + cstr("t") + b"\x03" + i32(0) + i32(2) + TAGS + TAGS
    empty_assignment = b"\x01" + TAGS
    member = (
        cstr("m1")
        + cstr(None)
        + cstr(None)
        + i32(4)
        + cstr("cli")
        + cstr("/10.0.0.1")
        + b"\x02"
        + cstr("t")
        + cstr(None)
        + assignment
        + empty_assignment
        + b"\x01"  # member_type (v1): consumer
        + TAGS
    )
    group = (
        i16(0)
        + cstr(None)
        + cstr("g")
        + cstr("Stable")
        + i32(5)
        + i32(5)
        + cstr("uniform")
        + b"\x02"
        + member
        + i32(-2147483648)
        + TAGS
    )
    other = (
        i16(69)
        + cstr("Group h is not a consumer group.")
        + cstr("h")
        + cstr("")
        + i32(0)
        + i32(0)
        + cstr("")
        + b"\x01"
        + i32(-2147483648)
        + TAGS
    )
    data = i32(0) + b"\x03" + group + other + TAGS
    response = ConsumerGroupDescribeResponse_v1.decode(data)
    g, h = response.groups
    assert g[2] == "g" and g[3] == "Stable" and g[6] == "uniform"
    m = g[7][0]
    assert m[0] == "m1" and m[4] == "cli" and m[5] == "/10.0.0.1" and m[6] == ["t"]
    assert m[8][0][0][0] == topic_id
    assert assignment_848(m[8]) == (("t", 0), ("t", 2))
    assert assignment_848(m[9]) == ()
    assert m[10] == 1
    assert h[0] == 69 and h[1] == "Group h is not a consumer group."


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
        string("g")
        + i32(-1)
        + string("")
        + i64(-1)  # group, generation -1, no member id, retention -1
        + i32(1)
        + string("t")
        + i32(1)
        + i32(1)
        + i64(5)
        + string("")
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
        i16(1)
        + i32(2)
        + string("y")
        + string("x")
        + i32(-1)
        + i32(1)
        + string("x")
        + i32(1)
        + i32(0)  # owned partitions (v1+): ignored
    )
    assert decode_subscription(data) == ("x", "y")


def test_encode_helpers_round_trip():
    assert decode_assignment(encode_assignment({"t": [2, 0]})) == (("t", 0), ("t", 2))
    assert decode_subscription(encode_subscription(["b", "a"])) == ("a", "b")
