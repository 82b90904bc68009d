"""The bulk readers and encoders (kview.core.protocol.bulk_requests) against
aiokafka's own codecs: each response is encoded with aiokafka's (or kview's)
Response class, then decoded both by aiokafka (``decode`` + ``to_object()``)
and by the bulk reader, and the two must agree field by field.  Requests must
encode to the same bytes as aiokafka's."""

from __future__ import annotations

import struct
from io import BytesIO

import pytest
from aiokafka.protocol.metadata import (
    MetadataRequest,
    MetadataResponse_v0,
    MetadataResponse_v1,
    MetadataResponse_v2,
    MetadataResponse_v3,
    MetadataResponse_v4,
    MetadataResponse_v5,
)
from aiokafka.protocol.offset import (
    OffsetRequest_v1,
    OffsetRequest_v2,
    OffsetRequest_v3,
    OffsetResponse_v1,
    OffsetResponse_v2,
    OffsetResponse_v3,
)
from hypothesis import given
from hypothesis import strategies as st

from kview.core.brokers import log_dirs_from_response, log_dirs_from_tuples
from kview.core.cluster import (
    _offsets_from_raw,
    _watermarks_from,
    metadata_from_response,
    metadata_from_tuples,
)
from kview.core.protocol import bulk_requests as bulk
from kview.core.protocol.bulk_requests import (
    RawResponse,
    encode_list_offsets,
    encode_offset_topics,
    read_list_offsets,
    read_log_dirs,
    read_metadata,
)
from kview.core.protocol.cluster_requests import (
    DescribeLogDirsRequest,
    DescribeLogDirsResponse_v1,
    DescribeLogDirsResponse_v2,
    DescribeLogDirsResponse_v3,
    DescribeLogDirsResponse_v4,
    DescribeLogDirsResponse_v5,
)
from kview.core.topics import replica_sizes, replica_sizes_from_tuples

# -- Metadata ----------------------------------------------------------------------------

METADATA_RESPONSES = {
    0: MetadataResponse_v0,
    1: MetadataResponse_v1,
    2: MetadataResponse_v2,
    3: MetadataResponse_v3,
    4: MetadataResponse_v4,
    5: MetadataResponse_v5,
}

BROKERS = [(2, "b2.example", 9093, "rack-b"), (1, "b1.example", 9092, None)]
TOPICS = [
    # (error, name, internal, [(error, partition, leader, replicas, isr, offline)])
    (
        0,
        "orders",
        False,
        [
            (0, 2, 1, [1, 2], [1], [2]),  # out of sync, one replica offline
            (0, 0, 2, [2, 1], [2, 1], []),
            (0, 1, -1, [1], [], [1]),  # no leader
        ],
    ),
    (0, "__consumer_offsets", True, [(0, 0, 1, [1], [1], [])]),
    (3, "gone", False, []),  # UNKNOWN_TOPIC_OR_PARTITION
    (0, "árvíztűrő-é", False, [(0, 0, 2, list(range(1, 40)), list(range(1, 40)), [])]),
    # Runs of partitions alike (read whole), broken by ones that differ.
    (
        0,
        "many",
        False,
        [(0, i, 1 + i % 3, [1, 2, 3], [1, 2, 3], []) for i in range(6)]
        + [(0, 6, 2, [1, 2, 3], [2, 3], [1]), (0, 7, 2, [1, 2, 3], [2, 3], [1]), (9, 8, -1, [1, 2, 3], [], [1, 2, 3])]
        + [(0, 9 + i, 3, [3, 1, 2], [3, 1, 2], []) for i in range(3)],
    ),
]


def _metadata_bytes(version: int) -> bytes:
    """A Metadata response encoded by aiokafka, with the fields ``version`` has."""

    def partition(p):
        error, index, leader, replicas, isr, offline = p
        return (error, index, leader, replicas, isr) + ((offline,) if version >= 5 else ())

    brokers = [(n, h, p) + ((r,) if version >= 1 else ()) for n, h, p, r in BROKERS]
    topics = [
        (error, name) + ((internal,) if version >= 1 else ()) + ([partition(p) for p in parts],)
        for error, name, internal, parts in TOPICS
    ]
    fields: list = []
    if version >= 3:
        fields.append(0)  # throttle_time_ms
    fields.append(brokers)
    if version >= 2:
        fields.append("cluster-É1" if version != 3 else None)  # also a null cluster id
    if version >= 1:
        fields.append(2)  # controller_id
    fields.append(topics)
    return METADATA_RESPONSES[version](*fields).encode()


def _as_aiokafka_object(decoded, version: int) -> dict:
    """read_metadata's tuples in the shape of aiokafka's to_object()."""
    brokers, cluster_id, controller, topics = decoded
    obj: dict = {}
    if version >= 3:
        obj["throttle_time_ms"] = 0
    obj["brokers"] = [
        {"node_id": n, "host": h, "port": p, **({"rack": r} if version >= 1 else {})} for n, h, p, r in brokers
    ]
    if version >= 2:
        obj["cluster_id"] = cluster_id
    if version >= 1:
        obj["controller_id"] = controller
    obj["topics"] = []
    for error, name, internal, partitions in topics:
        topic = {"error_code": error, "topic": name}
        if version >= 1:
            topic["is_internal"] = internal
        topic["partitions"] = []
        for p_error, index, leader, replicas, isr, offline in partitions:
            part = {
                "error_code": p_error,
                "partition": index,
                "leader": leader,
                "replicas": list(replicas),
                "isr": list(isr),
            }
            if version >= 5:
                part["offline_replicas"] = list(offline)
            topic["partitions"].append(part)
        obj["topics"].append(topic)
    return obj


@pytest.mark.parametrize("version", range(6))
def test_read_metadata_equals_aiokafka(version):
    raw = _metadata_bytes(version)
    theirs = METADATA_RESPONSES[version].decode(BytesIO(raw)).to_object()
    ours = read_metadata(raw, version)
    assert _as_aiokafka_object(ours, version) == theirs
    # And the dataclasses built from either are the same.
    assert metadata_from_tuples(ours) == metadata_from_response(theirs)


def test_metadata_dataclasses_are_sorted_and_complete():
    metadata = metadata_from_tuples(read_metadata(_metadata_bytes(5), 5))
    assert [b.node_id for b in metadata.brokers] == [1, 2]
    assert [t.name for t in metadata.topics] == ["__consumer_offsets", "gone", "many", "orders", "árvíztűrő-é"]
    many = metadata.topic("many")
    assert [p.partition for p in many.partitions] == list(range(12))
    assert many.partitions[7].isr == (2, 3) and many.partitions[8].offline and many.under_replicated == 3
    orders = metadata.topic("orders")
    assert [p.partition for p in orders.partitions] == [0, 1, 2]
    assert orders.partitions[2].out_of_sync == (2,) and orders.partitions[2].offline_replicas == (2,)
    assert orders.partitions[1].offline
    assert metadata.topic("__consumer_offsets").internal
    assert metadata.topic("gone").error is not None and "UnknownTopicOrPartition" in metadata.topic("gone").error
    assert metadata.controller_id == 2 and metadata.cluster_id == "cluster-É1"


def test_a_refresh_reuses_what_did_not_change():
    """Decoding the same answer twice gives the very same topic and partition
    objects (a refresh leaves no new ones for the cycle collector); a
    changed partition is new and equal to what aiokafka's route makes, its
    unchanged neighbours are kept; equal watermarks are reused, changed ones not."""
    raw = _metadata_bytes(5)
    first = metadata_from_tuples(read_metadata(raw, 5))
    second = metadata_from_tuples(read_metadata(raw, 5))
    assert first == second
    assert all(a is b for a, b in zip(first.topics, second.topics, strict=True))

    decoded = read_metadata(raw, 5)
    many = next(t for t in decoded[3] if t[1] == "many")
    changed = [p for p in many[3] if p[1] == 7][0]
    many[3][many[3].index(changed)] = changed[:4] + ((2, 3, 1),) + changed[5:]  # ISR back to full
    third = metadata_from_tuples(decoded)
    assert third == metadata_from_response(_as_aiokafka_object(decoded, 5))
    old, new = second.topic("many"), third.topic("many")
    assert new is not old and new.partitions[7].isr == (2, 3, 1) and not new.partitions[7].under_replicated
    assert all(new.partitions[i] is old.partitions[i] for i in range(12) if i != 7)
    assert third.topic("orders") is second.topic("orders")
    assert (new.under_replicated, old.under_replicated) == (2, 3)

    raw_type = bulk.ListOffsetsRequest([]).prepare({2: (0, 3)}).RESPONSE_TYPE

    def marks(high: int):
        low = raw_type.decode(OffsetResponse_v3(0, [("t", [(0, 0, -1, 5), (1, 0, -1, 0)])]).encode())
        top = raw_type.decode(OffsetResponse_v3(0, [("t", [(0, 0, -1, high), (1, 0, -1, 3)])]).encode())
        return _watermarks_from(_offsets_from_raw(1, low), _offsets_from_raw(1, top))

    before, after = marks(9), marks(12)
    assert after[("t", 1)] is before[("t", 1)]
    assert after[("t", 0)] is not before[("t", 0)] and (after[("t", 0)].low, after[("t", 0)].high) == (5, 12)


def test_read_metadata_refuses_short_or_long_bodies():
    raw = _metadata_bytes(5)
    with pytest.raises(ValueError, match="ends early"):
        read_metadata(raw[:-3], 5)
    with pytest.raises(ValueError, match="left over"):
        read_metadata(raw + b"\0", 5)
    with pytest.raises(ValueError):
        read_metadata(raw, 9)


def test_metadata_request_is_aiokafkas_without_auto_creation():
    for top in range(6):
        struct_class = bulk.MetadataRequest(["a", "b"]).prepare({3: (0, top)}).__class__
        assert struct_class.API_VERSION == top
        assert issubclass(struct_class.RESPONSE_TYPE, RawResponse)
        ours = bulk.MetadataRequest(["a", "b"]).prepare({3: (0, top)}).encode()
        theirs = MetadataRequest(["a", "b"], allow_auto_topic_creation=False).prepare({3: (0, top)}).encode()
        assert ours == theirs
    # None asks for every topic (a null array from v1 on).
    assert bulk.MetadataRequest(None).prepare({3: (0, 5)}).encode() == struct.pack(">i?", -1, False)


def test_raw_response_keeps_the_body_for_later():
    raw_type = bulk.MetadataRequest(None).prepare({3: (0, 5)}).RESPONSE_TYPE
    response = raw_type.decode(BytesIO(b"head" + _metadata_bytes(5)[0:0] + b"body"))
    assert response.body == b"headbody" and response.version == 5
    assert "8 bytes" in repr(response)


# -- ListOffsets ----------------------------------------------------------------------------

OFFSET_TOPICS = [("orders", [(0, -1), (2, -1), (1, -1)]), ("é-topic", [(5, 1_700_000_000_000)]), ("empty", [])]


@pytest.mark.parametrize(
    ("version", "struct_class"), [(1, OffsetRequest_v1), (2, OffsetRequest_v2), (3, OffsetRequest_v3)]
)
def test_list_offsets_request_bytes_equal_aiokafka(version, struct_class):
    args = (-1, OFFSET_TOPICS) if version == 1 else (-1, 1, OFFSET_TOPICS)
    theirs = struct_class(*args).encode()
    assert encode_list_offsets(version, -1, 1, OFFSET_TOPICS) == theirs
    # Pre-encoded topics (as built in a worker thread) give the same bytes.
    assert encode_list_offsets(version, -1, 1, encode_offset_topics(OFFSET_TOPICS)) == theirs
    request = bulk.ListOffsetsRequest(encode_offset_topics(OFFSET_TOPICS), isolation_level=1)
    prepared = request.prepare({2: (0, version)})
    assert prepared.API_VERSION == version and prepared.encode() == theirs
    assert issubclass(prepared.RESPONSE_TYPE, RawResponse)


def test_list_offsets_never_offers_v0():
    with pytest.raises(NotImplementedError):
        bulk.ListOffsetsRequest([]).prepare({2: (0, 0)})


OFFSET_ANSWERS = [
    ("orders", [(0, 0, -1, 42), (2, 0, -1, 7), (1, 6, -1, -1)]),  # partition 1: NOT_LEADER_OR_FOLLOWER
    ("é-topic", [(5, 0, 1_700_000_000_000, 3)]),
    ("empty", []),
]


@pytest.mark.parametrize(
    ("version", "response_class"), [(1, OffsetResponse_v1), (2, OffsetResponse_v2), (3, OffsetResponse_v3)]
)
def test_read_list_offsets_equals_aiokafka(version, response_class):
    raw = response_class(*(([0] if version >= 2 else []) + [OFFSET_ANSWERS])).encode()
    theirs = response_class.decode(BytesIO(raw)).to_object()["topics"]
    ours = read_list_offsets(raw, version)
    assert [
        {
            "topic": t,
            "partitions": [
                dict(zip(("partition", "error_code", "timestamp", "offset"), p, strict=True)) for p in parts
            ],
        }
        for t, parts in ours
    ] == theirs
    with pytest.raises(ValueError):
        read_list_offsets(raw[:-1], version)


def test_watermarks_leave_out_partitions_with_errors():
    raw_type = bulk.ListOffsetsRequest([]).prepare({2: (0, 3)}).RESPONSE_TYPE
    low = raw_type.decode(OffsetResponse_v3(0, [("t", [(0, 0, -1, 5), (1, 0, -1, 0), (2, 6, -1, -1)])]).encode())
    high = raw_type.decode(OffsetResponse_v3(0, [("t", [(0, 0, -1, 9), (1, 6, -1, -1), (2, 0, -1, 4)])]).encode())
    marks = _watermarks_from(_offsets_from_raw(1, low), _offsets_from_raw(1, high))
    assert set(marks) == {("t", 0)}
    assert (marks[("t", 0)].low, marks[("t", 0)].high, marks[("t", 0)].messages) == (5, 9, 4)


# -- DescribeLogDirs ------------------------------------------------------------------------

LOG_DIR_RESPONSES = {
    1: DescribeLogDirsResponse_v1,
    2: DescribeLogDirsResponse_v2,
    3: DescribeLogDirsResponse_v3,
    4: DescribeLogDirsResponse_v4,
    5: DescribeLogDirsResponse_v5,
}


def _log_dirs_bytes(version: int, broker_shift: int = 0) -> bytes:
    flexible = version >= 2
    tags = ({},) if flexible else ()

    def partition(index, size, lag, future, extra_tags=None):
        return (index, size + broker_shift, lag, future) + (((extra_tags or {}),) if flexible else ())

    def topic(name, partitions):
        return (name, partitions) + tags

    def result(error, path, topics, total, usable):
        fields = (error, path, topics)
        if version >= 4:
            fields += (total, usable)
        if version >= 5:
            fields += (False,)
        return fields + tags

    results = [
        result(
            0,
            "/data/a",
            [
                topic(
                    "orders",
                    [
                        partition(0, 1000, 0, False),
                        partition(1, 2048, 5, True),
                        # A partition with a tagged field: the reader must step over it.
                        partition(2, 300, 0, False, {3: b"\x01\x02\x03"} if flexible else None),
                    ],
                ),
                topic("é-topic", [partition(0, 10, 0, False)]),
            ],
            10_000,
            4_000,
        ),
        result(56, "/data/b", [], -1, -1),  # KAFKA_STORAGE_ERROR: an offline dir
    ]
    fields: list = [0]
    if version >= 3:
        fields.append(0)
    fields.append(results)
    if flexible:
        fields.append({})
    return LOG_DIR_RESPONSES[version](*fields).encode()


@pytest.mark.parametrize("version", range(1, 6))
def test_read_log_dirs_equals_kviews_schema_decoding(version):
    raw = _log_dirs_bytes(version)
    theirs = LOG_DIR_RESPONSES[version].decode(BytesIO(raw))
    error_code, results = read_log_dirs(raw, version)
    assert error_code == 0
    decoded = theirs.to_object()["results"]
    assert len(results) == len(decoded) == 2
    for ours, their in zip(results, decoded, strict=True):
        dir_error, path, topics, total, usable = ours
        assert (dir_error, path) == (their["error_code"], their["log_dir"])
        assert (total, usable) == ((their["total_bytes"], their["usable_bytes"]) if version >= 4 else (None, None))
        assert [(t, list(ps)) for t, ps in topics] == [
            (
                t["name"],
                [
                    (p["partition_index"], p["partition_size"], p["offset_lag"], p["is_future_key"])
                    for p in t["partitions"]
                ],
            )
            for t in their["topics"]
        ]
    # The sizes the topics table uses agree with the LogDirInfo route.
    other = _log_dirs_bytes(version, broker_shift=1)
    by_tuples = replica_sizes_from_tuples({1: read_log_dirs(raw, version), 2: read_log_dirs(other, version)})
    by_infos = replica_sizes(
        {
            1: log_dirs_from_response(1, theirs),
            2: log_dirs_from_response(2, LOG_DIR_RESPONSES[version].decode(BytesIO(other))),
        }
    )
    assert by_tuples == by_infos
    assert by_tuples[("orders", 0)] == {1: 1000, 2: 1001} and ("orders", 1) not in by_tuples  # future log


@pytest.mark.parametrize("version", range(1, 6))
def test_log_dirs_from_tuples_equal_the_schema_route(version):
    """The brokers pane's log dirs (bulk reader) equal those decoded by the
    protocol schema; the summary keeps the same sizes and replica counts."""
    raw = _log_dirs_bytes(version)
    theirs = log_dirs_from_response(7, LOG_DIR_RESPONSES[version].decode(BytesIO(raw)))
    ours = log_dirs_from_tuples(7, read_log_dirs(raw, version))
    assert ours == theirs
    summary = log_dirs_from_tuples(7, read_log_dirs(raw, version), with_replicas=False)
    assert [d.replicas for d in summary] == [(), ()]
    assert [(d.path, d.error, d.total_bytes, d.usable_bytes) for d in summary] == [
        (d.path, d.error, d.total_bytes, d.usable_bytes) for d in theirs
    ]
    assert [(d.size, d.replica_count) for d in summary] == [(d.size, d.replica_count) for d in theirs]
    # The sums themselves: 1000 + 2048 (a future log counts, as it always did) + 300 + 10.
    assert [(d.size, d.replica_count) for d in summary] == [(3358, 4), (0, 0)]


def test_read_log_dirs_top_level_error():
    raw = struct.pack(">ih", 0, 31) + b"\x01" + b"\x00"  # CLUSTER_AUTHORIZATION_FAILED, no results
    assert read_log_dirs(raw, 4) == (31, [])


def test_log_dirs_request_is_kviews():
    for top in range(1, 6):
        ours = bulk.DescribeLogDirsRequest(None).prepare({35: (1, top)})
        theirs = DescribeLogDirsRequest(None).prepare({35: (1, top)})
        assert ours.API_VERSION == theirs.API_VERSION == top
        assert ours.FLEXIBLE_VERSION == theirs.FLEXIBLE_VERSION
        assert ours.encode() == theirs.encode()
        assert issubclass(ours.RESPONSE_TYPE, RawResponse)


# -- the one wire reader ---------------------------------------------------------------


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_uvarint_reads_what_aiokafka_writes(value):
    """kview's reader and aiokafka's UnsignedVarInt32 agree on every 32-bit value."""
    from aiokafka.protocol.types import UnsignedVarInt32

    from kview.core.protocol.wire import uvarint

    data = UnsignedVarInt32.encode(value) + b"rest"
    assert uvarint(data, 0) == (value, len(data) - 4)


@given(st.one_of(st.none(), st.text(max_size=300)))
def test_compact_string_reads_what_aiokafka_writes(text):
    from aiokafka.protocol.types import CompactString

    from kview.core.protocol.wire import compact_string

    data = CompactString("utf-8").encode(text)
    assert compact_string(data, 0) == (text, len(data))


def test_tagged_fields_are_read_and_skipped_alike():
    from kview.core.protocol.wire import skip_tags, tags

    # two tags: 0 -> b"ab", 300 -> b"" (300 needs a two-byte varint)
    data = bytes([2, 0, 2]) + b"ab" + bytes([0xAC, 0x02, 0]) + b"tail"
    assert tags(data, 0) == ({0: b"ab", 300: b""}, len(data) - 4)
    assert skip_tags(data, 0) == len(data) - 4
