"""Wire formats of DescribeLogDirs (35), IncrementalAlterConfigs (44) and
DescribeQuorum (55), checked byte by byte against the layouts in Kafka's
protocol spec (the message JSON of Kafka 4.3: compact strings are
uvarint(len+1) + bytes, compact arrays uvarint(count+1), null compact = 0,
every flexible struct ends in a tagged-field count), and decoding of
hand-built responses into kview's dataclasses."""

from __future__ import annotations

import struct
from io import BytesIO

import pytest

from kview.core.brokers import log_dirs_from_response, quorum_from_response
from kview.core.errors import KafkaRequestError
from kview.core.protocol.cluster_requests import (
    OP_DELETE,
    OP_SET,
    RESOURCE_TOPIC,
    DescribeLogDirsRequest,
    DescribeLogDirsRequest_v1,
    DescribeLogDirsRequest_v2,
    DescribeLogDirsRequest_v4,
    DescribeLogDirsRequest_v5,
    DescribeLogDirsResponse_v1,
    DescribeLogDirsResponse_v4,
    DescribeQuorumRequest,
    DescribeQuorumRequest_v0,
    DescribeQuorumRequest_v1,
    DescribeQuorumRequest_v2,
    DescribeQuorumResponse_v0,
    DescribeQuorumResponse_v2,
    IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsRequest_v0,
    IncrementalAlterConfigsRequest_v1,
    IncrementalAlterConfigsResponse_v0,
    IncrementalAlterConfigsResponse_v1,
    Tags,
    UInt16,
    Uuid,
)

# Tiny big-endian writers for hand-built responses, independent of aiokafka.


def i8(v: int) -> bytes:
    return struct.pack(">b", v)


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def cstr(s: str | None) -> bytes:
    """COMPACT_(NULLABLE_)STRING: one-byte uvarint length+1 (short strings only)."""
    if s is None:
        return b"\x00"
    raw = s.encode()
    assert len(raw) < 127
    return bytes([len(raw) + 1]) + raw


def carr(count: int) -> bytes:
    """COMPACT_ARRAY header for short arrays."""
    return bytes([count + 1])


def str16(s: str | None) -> bytes:
    if s is None:
        return i16(-1)
    return i16(len(s.encode())) + s.encode()


NO_TAGS = b"\x00"


def encode(request, struct_class) -> bytes:
    return request.build(struct_class).encode()


# -- DescribeLogDirs requests -----------------------------------------------------------


def test_describe_log_dirs_v1_request_bytes():
    got = encode(DescribeLogDirsRequest([("t", [0, 1])]), DescribeLogDirsRequest_v1)
    assert got == bytes.fromhex(
        "00000001"  # topics: ARRAY length 1
        "0001"
        "74"  # topic: STRING "t"
        "00000002"  # partitions: ARRAY length 2
        "00000000"  # 0
        "00000001"  # 1
    )


def test_describe_log_dirs_v1_all_topics_is_null_array():
    assert encode(DescribeLogDirsRequest(None), DescribeLogDirsRequest_v1) == bytes.fromhex("ffffffff")


@pytest.mark.parametrize(
    "struct_class", [DescribeLogDirsRequest_v2, DescribeLogDirsRequest_v4, DescribeLogDirsRequest_v5]
)
def test_describe_log_dirs_flexible_request_bytes(struct_class):
    got = encode(DescribeLogDirsRequest([("t", [0, 1])]), struct_class)
    assert got == bytes.fromhex(
        "02"  # topics: COMPACT_ARRAY, 1 element (+1)
        "02"
        "74"  # topic: COMPACT_STRING "t" (length+1 = 2)
        "03"  # partitions: COMPACT_ARRAY, 2 elements
        "00000000"  # 0
        "00000001"  # 1
        "00"  # topic's tagged fields: none
        "00"  # request's tagged fields: none
    )
    # topics=null (every partition the broker hosts) is a null compact array: 0.
    assert encode(DescribeLogDirsRequest(None), struct_class) == bytes.fromhex("0000")


def test_flexible_request_uses_header_v2():
    request = DescribeLogDirsRequest(None).build(DescribeLogDirsRequest_v4)
    header = request.build_request_header(correlation_id=7, client_id="kv").encode()
    assert header == bytes.fromhex(
        "0023"  # api_key 35
        "0004"  # api_version 4
        "00000007"  # correlation_id
        "0002"
        "6b76"  # client_id: (non-compact) STRING "kv"
        "00"  # header tagged fields
    )
    legacy = DescribeLogDirsRequest(None).build(DescribeLogDirsRequest_v1)
    assert legacy.build_request_header(correlation_id=7, client_id="kv").encode() == bytes.fromhex(
        "002300010000000700026b76"
    )


# -- IncrementalAlterConfigs requests ---------------------------------------------------

_ALTER = IncrementalAlterConfigsRequest(
    [(RESOURCE_TOPIC, "t", [("retention.ms", OP_SET, "1000"), ("x", OP_DELETE, None)])], validate_only=True
)


def test_incremental_alter_configs_v0_request_bytes():
    assert encode(_ALTER, IncrementalAlterConfigsRequest_v0) == (
        bytes.fromhex("00000001")  # resources: ARRAY length 1
        + bytes.fromhex("02")  # resource_type INT8: TOPIC = 2
        + bytes.fromhex("0001")
        + b"t"  # resource_name STRING
        + bytes.fromhex("00000002")  # configs: ARRAY length 2
        + bytes.fromhex("000c")
        + b"retention.ms"  # name
        + bytes.fromhex("00")  # config_operation SET = 0
        + bytes.fromhex("0004")
        + b"1000"  # value NULLABLE_STRING
        + bytes.fromhex("0001")
        + b"x"  # name
        + bytes.fromhex("01")  # DELETE = 1
        + bytes.fromhex("ffff")  # value: null
        + bytes.fromhex("01")  # validate_only BOOLEAN true
    )


def test_incremental_alter_configs_v1_request_bytes():
    assert encode(_ALTER, IncrementalAlterConfigsRequest_v1) == (
        bytes.fromhex("02")  # resources: COMPACT_ARRAY, 1 element
        + bytes.fromhex("02")  # resource_type TOPIC
        + bytes.fromhex("02")
        + b"t"  # resource_name COMPACT_STRING
        + bytes.fromhex("03")  # configs: COMPACT_ARRAY, 2 elements
        + bytes.fromhex("0d")
        + b"retention.ms"  # name: length 12 + 1
        + bytes.fromhex("00")  # SET
        + bytes.fromhex("05")
        + b"1000"  # value COMPACT_NULLABLE_STRING
        + bytes.fromhex("00")  # config's tagged fields
        + bytes.fromhex("02")
        + b"x"
        + bytes.fromhex("01")  # DELETE
        + bytes.fromhex("00")  # value: null compact string
        + bytes.fromhex("00")  # config's tagged fields
        + bytes.fromhex("00")  # resource's tagged fields
        + bytes.fromhex("01")  # validate_only
        + bytes.fromhex("00")  # request's tagged fields
    )


# -- DescribeQuorum requests ------------------------------------------------------------


@pytest.mark.parametrize("struct_class", [DescribeQuorumRequest_v0, DescribeQuorumRequest_v1, DescribeQuorumRequest_v2])
def test_describe_quorum_request_bytes(struct_class):
    assert encode(DescribeQuorumRequest(), struct_class) == (
        bytes.fromhex("02")  # topics: COMPACT_ARRAY, 1 element
        + bytes.fromhex("13")
        + b"__cluster_metadata"  # topic_name: 18 chars + 1 = 0x13
        + bytes.fromhex("02")  # partitions: COMPACT_ARRAY, 1 element
        + bytes.fromhex("00000000")  # partition_index 0
        + bytes.fromhex("00")  # partition's tagged fields
        + bytes.fromhex("00")  # topic's tagged fields
        + bytes.fromhex("00")  # request's tagged fields
    )
    assert struct_class.FLEXIBLE_VERSION  # every DescribeQuorum version is flexible


# -- version choice -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "versions", "expected"),
    [
        (DescribeLogDirsRequest(None), {35: (1, 5)}, 5),  # Kafka 4.3 broker
        (DescribeLogDirsRequest(None), {35: (0, 4)}, 4),  # Kafka 3.9.1 (its ApiVersions answer)
        (DescribeLogDirsRequest(None), {35: (0, 3)}, 3),  # Kafka 3.x
        (DescribeLogDirsRequest(None), {35: (0, 1)}, 1),
        (DescribeQuorumRequest(), {55: (0, 1)}, 1),
        (DescribeQuorumRequest(), {55: (0, 2)}, 2),
        (_ALTER, {44: (0, 0)}, 0),
        (_ALTER, {44: (0, 1)}, 1),
    ],
)
def test_highest_common_version_is_picked(request_, versions, expected):
    assert request_.prepare(versions).API_VERSION == expected


# -- primitive types ------------------------------------------------------------------


def test_uuid_round_trip_uses_kafka_string_form():
    assert Uuid.encode("AAAAAAAAAAAAAAAAAAAAAA") == bytes(16)
    raw = bytes(range(16))
    text = Uuid.decode(BytesIO(raw))
    assert text == "AAECAwQFBgcICQoLDA0ODw"  # base64url(00 01 .. 0f), no padding
    assert Uuid.encode(text) == raw


def test_uint16_above_int16_range():
    assert UInt16.encode(65000) == bytes.fromhex("fde8")
    assert UInt16.decode(BytesIO(bytes.fromhex("fde8"))) == 65000


def test_tags_encode_size_prefixed_and_decode_skips_unknown():
    encoded = Tags.encode({3: b"\xaa\xbb", 1: b"\x01"})
    # count 2; tag 1, size 1, 01; tag 3, size 2, aa bb (ascending tags)
    assert encoded == bytes.fromhex("020101010302aabb")
    buffer = BytesIO(encoded + b"\xff")
    assert Tags.decode(buffer) == {1: b"\x01", 3: b"\xaa\xbb"}
    assert buffer.read() == b"\xff"  # nothing past the section was consumed


# -- responses ------------------------------------------------------------------------


def _log_dirs_v4_bytes() -> bytes:
    return (
        i32(0)  # throttle_time_ms
        + i16(0)  # error_code (v3+)
        + carr(2)  # results
        # result 1: a healthy dir holding two partitions of topic "orders"
        + i16(0)
        + cstr("/data/a")
        + carr(1)  # topics
        + cstr("orders")
        + carr(2)  # partitions
        + i32(0)
        + i64(1000)
        + i64(0)
        + i8(0)
        + NO_TAGS
        + i32(1)
        + i64(2048)
        + i64(5)
        + i8(1)
        + NO_TAGS  # a future (moving) log
        + NO_TAGS  # topic tags
        + i64(10_000)
        + i64(4_000)  # total_bytes, usable_bytes (v4+)
        + NO_TAGS
        # result 2: an offline dir (KAFKA_STORAGE_ERROR = 56), sizes unknown
        + i16(56)
        + cstr("/data/b")
        + carr(0)
        + i64(-1)
        + i64(-1)
        + NO_TAGS
        + NO_TAGS  # response tags
    )


def test_decode_describe_log_dirs_v4_response():
    response = DescribeLogDirsResponse_v4.decode(_log_dirs_v4_bytes())
    dirs = log_dirs_from_response(7, response)
    a, b = dirs
    assert (a.broker, a.path, a.error, a.total_bytes, a.usable_bytes) == (7, "/data/a", None, 10_000, 4_000)
    assert a.size == 3048
    assert a.used_fraction == pytest.approx(0.6)
    assert [(r.topic, r.partition, r.size, r.offset_lag, r.is_future) for r in a.replicas] == [
        ("orders", 0, 1000, 0, False),
        ("orders", 1, 2048, 5, True),
    ]
    assert b.path == "/data/b" and b.replicas == ()
    assert b.error is not None and b.error.startswith("KafkaStorage")
    assert (b.total_bytes, b.usable_bytes, b.used_fraction) == (None, None, None)


def test_decode_describe_log_dirs_v1_response():
    raw = (
        i32(0)
        + i32(1)  # results
        + i16(0)
        + str16("/d")
        + i32(1)
        + str16("t")
        + i32(1)
        + i32(3)
        + i64(77)
        + i64(0)
        + i8(0)
    )
    (log_dir,) = log_dirs_from_response(1, DescribeLogDirsResponse_v1.decode(raw))
    assert (log_dir.path, log_dir.size, log_dir.total_bytes) == ("/d", 77, None)
    assert log_dir.replicas[0].partition == 3


def test_describe_log_dirs_top_level_error_raises_in_words():
    raw = i32(0) + i16(31) + carr(0) + NO_TAGS  # CLUSTER_AUTHORIZATION_FAILED
    with pytest.raises(KafkaRequestError, match="ClusterAuthorizationFailed"):
        log_dirs_from_response(1, DescribeLogDirsResponse_v4.decode(raw))


def _replica_v2(node: int, directory: bytes, leo: int, fetch: int, caught_up: int) -> bytes:
    return i32(node) + directory + i64(leo) + i64(fetch) + i64(caught_up) + NO_TAGS


def test_decode_describe_quorum_v2_response():
    directory = bytes(range(16))
    raw = (
        i16(0)
        + cstr(None)  # error_code, error_message (null)
        + carr(1)
        + cstr("__cluster_metadata")
        + carr(1)  # partitions
        + i32(0)
        + i16(0)
        + cstr(None)  # partition_index, error_code, error_message
        + i32(2)
        + i32(5)
        + i64(900)  # leader_id, leader_epoch, high_watermark
        + carr(2)  # current_voters
        + _replica_v2(1, bytes(16), 880, 1_700_000_000_000, 1_699_999_999_000)
        + _replica_v2(2, directory, 905, -1, -1)
        + carr(1)  # observers
        + _replica_v2(4, bytes(16), -1, -1, -1)
        # partition tags: HighWatermarkUpdateTimeMs (tag 0, 8 bytes): must be skipped
        + bytes([1, 0, 8])
        + i64(123)
        + NO_TAGS  # topic tags
        + carr(2)  # nodes (v2)
        + i32(1)
        + carr(1)
        + cstr("CONTROLLER")
        + cstr("h1")
        + struct.pack(">H", 9093)
        + NO_TAGS
        + NO_TAGS
        + i32(2)
        + carr(1)
        + cstr("CONTROLLER")
        + cstr("h2")
        + struct.pack(">H", 60000)
        + NO_TAGS
        + NO_TAGS
        + NO_TAGS
    )
    response = DescribeQuorumResponse_v2.decode(raw)
    quorum = quorum_from_response(response.to_object())
    assert (quorum.leader_id, quorum.leader_epoch, quorum.high_watermark) == (2, 5, 900)
    one, two = quorum.voters
    assert (one.node_id, one.status, one.log_end_offset, one.lag) == (1, "Follower", 880, 25)
    assert (one.last_fetch_timestamp, one.last_caught_up_timestamp) == (1_700_000_000_000, 1_699_999_999_000)
    assert one.directory_id == "AAAAAAAAAAAAAAAAAAAAAA"
    assert (two.status, two.lag, two.directory_id, two.last_fetch_timestamp) == (
        "Leader",
        0,
        "AAECAwQFBgcICQoLDA0ODw",
        None,
    )
    (observer,) = quorum.observers
    assert (observer.node_id, observer.status, observer.log_end_offset, observer.lag) == (4, "Observer", -1, None)
    assert quorum.endpoints == {1: ("CONTROLLER://h1:9093",), 2: ("CONTROLLER://h2:60000",)}
    assert quorum.max_follower_lag == 25


def test_decode_describe_quorum_v0_response():
    raw = (
        i16(0)
        + carr(1)
        + cstr("__cluster_metadata")
        + carr(1)
        + i32(0)
        + i16(0)
        + i32(1)
        + i32(3)
        + i64(10)
        + carr(1)
        + i32(1)
        + i64(10)
        + NO_TAGS  # v0 replica state: id, leo
        + carr(0)
        + NO_TAGS
        + NO_TAGS
        + NO_TAGS
    )
    quorum = quorum_from_response(DescribeQuorumResponse_v0.decode(raw).to_object())
    assert quorum.leader_id == 1
    assert quorum.voters[0].status == "Leader"
    assert quorum.voters[0].last_fetch_timestamp is None and quorum.endpoints == {}


def test_describe_quorum_partition_error_raises_in_words():
    raw = (
        i16(0)
        + cstr(None)
        + carr(1)
        + cstr("__cluster_metadata")
        + carr(1)
        + i32(0)
        + i16(6)
        + cstr("not the leader")  # NOT_LEADER_OR_FOLLOWER
        + i32(-1)
        + i32(0)
        + i64(0)
        + carr(0)
        + carr(0)
        + NO_TAGS
        + NO_TAGS
        + carr(0)
        + NO_TAGS
    )
    with pytest.raises(KafkaRequestError, match="NotLeaderForPartition|NotLeaderOrFollower") as info:
        quorum_from_response(DescribeQuorumResponse_v2.decode(raw).to_object())
    assert "not the leader" in str(info.value)


def test_decode_incremental_alter_configs_responses():
    v1 = i32(0) + carr(1) + i16(40) + cstr("bad value") + i8(RESOURCE_TOPIC) + cstr("t") + NO_TAGS + NO_TAGS
    (row,) = IncrementalAlterConfigsResponse_v1.decode(v1).responses
    assert row[:4] == (40, "bad value", 2, "t")
    v0 = i32(0) + i32(1) + i16(0) + str16(None) + i8(2) + str16("t")
    assert IncrementalAlterConfigsResponse_v0.decode(v0).responses == [(0, None, 2, "t")]
