"""Consumer-group requests aiokafka 0.14 lacks or cannot batch, plus decoders
for the consumer protocol's member metadata and assignment bytes.

* FindCoordinator v4 (API 10): many group ids in one request (KIP-699).
* ListGroups v4/v5 (API 16): the state (and v5: the type) of every group.
* DescribeGroups v5 (API 15): aiokafka's v3 decodes the answer with the v2
  layout, which drops ``authorized_operations`` and so misreads every group
  after the first one of a multi-group answer; v5 also carries the static
  member id (``group_instance_id``).
* OffsetFetch v8 (API 9): committed offsets of many groups in one request.
* OffsetDelete v0 (API 47): forget one topic's committed offsets of a group.
* ConsumerGroupDescribe v0/v1 (API 69): members and assignments of groups on
  the KIP-848 consumer protocol, which DescribeGroups reports as Dead.

The layouts follow Kafka's message definitions (``*Request.json``).  Flexible
versions (KIP-482) write strings, byte arrays and arrays in their compact form
(unsigned varint length + 1, 0 for null) and end every struct with a tagged
field section; kview never sends tagged fields, so each section is one 0 byte.
Only wire formats live here; ``kview.core.groups`` turns answers into kview's
dataclasses.
"""

from __future__ import annotations

import struct
from io import BytesIO
from typing import TypeAlias

from aiokafka.protocol.abstract import AbstractType
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    Array,
    Boolean,
    Bytes,
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Int64,
    Schema,
    String,
    TaggedFields,
)

from kview.core.protocol.wire import compact_string, uvarint
from kview.core.protocol.wire import tags as read_tags

COORDINATOR_GROUP = 0
"""FindCoordinator key type of a consumer group (1 is a transactional id)."""

_CSTR = CompactString("utf-8")


# -- FindCoordinator v4 -------------------------------------------------------------


class FindCoordinatorsResponse_v4(Response):
    API_KEY = 10
    API_VERSION = 4
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "coordinators",
            CompactArray(
                ("key", _CSTR),
                ("node_id", Int32),
                ("host", _CSTR),
                ("port", Int32),
                ("error_code", Int16),
                ("error_message", _CSTR),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class FindCoordinatorsRequest_v4(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 10
    API_VERSION = 4
    RESPONSE_TYPE = FindCoordinatorsResponse_v4
    SCHEMA = Schema(
        ("key_type", Int8),
        ("coordinator_keys", CompactArray(_CSTR)),
        ("tags", TaggedFields),
    )


class FindCoordinatorsRequest(Request[FindCoordinatorsRequest_v4]):
    """The coordinators of many groups at once (brokers 3.0+)."""

    API_KEY = 10

    def __init__(self, keys: list[str], key_type: int = COORDINATOR_GROUP) -> None:
        self._keys = list(keys)
        self._key_type = key_type

    def build(self, request_struct_class: type[FindCoordinatorsRequest_v4]) -> FindCoordinatorsRequest_v4:
        return request_struct_class(self._key_type, self._keys, {})


# -- ListGroups v4 / v5 ---------------------------------------------------------------


class ListGroupsResponse_v4(Response):
    API_KEY = 16
    API_VERSION = 4
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        (
            "groups",
            CompactArray(
                ("group_id", _CSTR),
                ("protocol_type", _CSTR),
                ("group_state", _CSTR),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class ListGroupsResponse_v5(Response):
    API_KEY = 16
    API_VERSION = 5
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        (
            "groups",
            CompactArray(
                ("group_id", _CSTR),
                ("protocol_type", _CSTR),
                ("group_state", _CSTR),
                ("group_type", _CSTR),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class ListGroupsRequest_v4(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 16
    API_VERSION = 4
    RESPONSE_TYPE = ListGroupsResponse_v4
    SCHEMA = Schema(
        ("states_filter", CompactArray(_CSTR)),
        ("tags", TaggedFields),
    )


class ListGroupsRequest_v5(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 16
    API_VERSION = 5
    RESPONSE_TYPE = ListGroupsResponse_v5
    SCHEMA = Schema(
        ("states_filter", CompactArray(_CSTR)),
        ("types_filter", CompactArray(_CSTR)),
        ("tags", TaggedFields),
    )


ListGroupsStruct: TypeAlias = ListGroupsRequest_v4 | ListGroupsRequest_v5


class ListGroupsWithStateRequest(Request[ListGroupsStruct]):
    """Every group a broker coordinates, with its state (and type on v5).
    Empty filters mean "all"."""

    API_KEY = 16

    def __init__(self, states: list[str] | None = None, types: list[str] | None = None) -> None:
        self._states = list(states or [])
        self._types = list(types or [])

    def build(self, request_struct_class: type[ListGroupsStruct]) -> ListGroupsStruct:
        if request_struct_class.API_VERSION >= 5:
            return request_struct_class(self._states, self._types, {})
        return request_struct_class(self._states, {})


# -- DescribeGroups v5 ---------------------------------------------------------------


class DescribeGroupsResponse_v5(Response):
    API_KEY = 15
    API_VERSION = 5
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "groups",
            CompactArray(
                ("error_code", Int16),
                ("group_id", _CSTR),
                ("group_state", _CSTR),
                ("protocol_type", _CSTR),
                ("protocol_data", _CSTR),
                (
                    "members",
                    CompactArray(
                        ("member_id", _CSTR),
                        ("group_instance_id", _CSTR),
                        ("client_id", _CSTR),
                        ("client_host", _CSTR),
                        ("member_metadata", CompactBytes),
                        ("member_assignment", CompactBytes),
                        ("tags", TaggedFields),
                    ),
                ),
                ("authorized_operations", Int32),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeGroupsRequest_v5(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 15
    API_VERSION = 5
    RESPONSE_TYPE = DescribeGroupsResponse_v5
    SCHEMA = Schema(
        ("groups", CompactArray(_CSTR)),
        ("include_authorized_operations", Boolean),
        ("tags", TaggedFields),
    )


class DescribeGroupsBatchRequest(Request[DescribeGroupsRequest_v5]):
    """State, protocol and members of many groups coordinated by one broker."""

    API_KEY = 15

    def __init__(self, groups: list[str]) -> None:
        self._groups = list(groups)

    def build(self, request_struct_class: type[DescribeGroupsRequest_v5]) -> DescribeGroupsRequest_v5:
        return request_struct_class(self._groups, False, {})


# -- OffsetFetch v8 ------------------------------------------------------------------


_I32 = struct.Struct(">i")
_I16 = struct.Struct(">h")
_PARTITION_HEAD = struct.Struct(">iqi")  # partition_index, committed_offset, committed_leader_epoch


class OffsetFetchGroupsResponse_v8(Response):
    API_KEY = 9
    API_VERSION = 8
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "groups",
            CompactArray(
                ("group_id", _CSTR),
                (
                    "topics",
                    CompactArray(
                        ("name", _CSTR),
                        (
                            "partitions",
                            CompactArray(
                                ("partition_index", Int32),
                                ("committed_offset", Int64),
                                ("committed_leader_epoch", Int32),
                                ("metadata", _CSTR),
                                ("error_code", Int16),
                                ("tags", TaggedFields),
                            ),
                        ),
                        ("tags", TaggedFields),
                    ),
                ),
                ("error_code", Int16),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )

    @classmethod
    def decode(cls, data: BytesIO | bytes) -> OffsetFetchGroupsResponse_v8:
        """Same result as decoding with ``SCHEMA``, several times faster: the
        per-partition loop is inlined, with fast paths for the usual empty
        metadata string and empty tagged-field section."""
        if isinstance(data, BytesIO):
            data = data.read()
        data = bytes(data)
        head, i16, i32 = _PARTITION_HEAD.unpack_from, _I16.unpack_from, _I32.unpack_from
        try:
            (throttle,) = i32(data, 0)
            pos = 4
            groups = []
            group_count, pos = uvarint(data, pos)
            for _ in range(group_count - 1):
                group_id, pos = compact_string(data, pos)
                topics = []
                topic_count, pos = uvarint(data, pos)
                for _ in range(topic_count - 1):
                    name, pos = compact_string(data, pos)
                    partitions: list[tuple[int, int, int, str | None, int, dict[int, bytes]]] = []
                    append = partitions.append
                    count, pos = uvarint(data, pos)
                    for _ in range(count - 1):
                        index, offset, epoch = head(data, pos)
                        pos += 16
                        length = data[pos]
                        if length == 1:
                            metadata: str | None = ""
                            pos += 1
                        elif length == 0:
                            metadata = None
                            pos += 1
                        else:
                            metadata, pos = compact_string(data, pos)
                        (error_code,) = i16(data, pos)
                        pos += 2
                        if data[pos] == 0:
                            partition_tags: dict[int, bytes] = {}
                            pos += 1
                        else:
                            partition_tags, pos = read_tags(data, pos)
                        append((index, offset, epoch, metadata, error_code, partition_tags))
                    topic_tags, pos = read_tags(data, pos)
                    topics.append((name, partitions, topic_tags))
                (error_code,) = i16(data, pos)
                group_tags, pos = read_tags(data, pos + 2)
                groups.append((group_id, topics, error_code, group_tags))
            tags, pos = read_tags(data, pos)
        except (IndexError, struct.error) as exc:
            raise ValueError(f"truncated OffsetFetch response: {exc}") from None
        return cls(throttle, groups, tags)


class OffsetFetchGroupsRequest_v8(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 9
    API_VERSION = 8
    RESPONSE_TYPE = OffsetFetchGroupsResponse_v8
    SCHEMA = Schema(
        (
            "groups",
            CompactArray(
                ("group_id", _CSTR),
                (
                    "topics",
                    CompactArray(
                        ("name", _CSTR),
                        ("partition_indexes", CompactArray(Int32)),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("require_stable", Boolean),
        ("tags", TaggedFields),
    )


class OffsetFetchGroupsRequest(Request[OffsetFetchGroupsRequest_v8]):
    """Committed offsets of many groups in one request (brokers 3.0+).

    ``groups`` maps a group id to ``None`` (every partition the group has
    committed) or to ``{topic: [partitions]}``.
    """

    API_KEY = 9

    def __init__(self, groups: dict[str, dict[str, list[int]] | None], require_stable: bool = False) -> None:
        self._groups = dict(groups)
        self._require_stable = require_stable

    def build(self, request_struct_class: type[OffsetFetchGroupsRequest_v8]) -> OffsetFetchGroupsRequest_v8:
        groups: list[tuple[str, list[tuple[str, list[int], dict[int, bytes]]] | None, dict[int, bytes]]] = []
        for group_id, topics in self._groups.items():
            encoded: list[tuple[str, list[int], dict[int, bytes]]] | None = (
                None if topics is None else [(t, list(ps), {}) for t, ps in topics.items()]
            )
            groups.append((group_id, encoded, {}))
        return request_struct_class(groups, self._require_stable, {})


# -- OffsetDelete v0 -----------------------------------------------------------------


class OffsetDeleteResponse_v0(Response):
    API_KEY = 47
    API_VERSION = 0
    SCHEMA = Schema(
        ("error_code", Int16),
        ("throttle_time_ms", Int32),
        (
            "topics",
            Array(
                ("name", String("utf-8")),
                ("partitions", Array(("partition_index", Int32), ("error_code", Int16))),
            ),
        ),
    )


class OffsetDeleteRequest_v0(RequestStruct):
    API_KEY = 47
    API_VERSION = 0
    RESPONSE_TYPE = OffsetDeleteResponse_v0
    SCHEMA = Schema(
        ("group_id", String("utf-8")),
        ("topics", Array(("name", String("utf-8")), ("partition_indexes", Array(Int32)))),
    )


class OffsetDeleteRequest(Request[OffsetDeleteRequest_v0]):
    """Delete a group's committed offsets for the given partitions."""

    API_KEY = 47

    def __init__(self, group_id: str, topics: dict[str, list[int]]) -> None:
        self._group_id = group_id
        self._topics = {t: list(ps) for t, ps in topics.items()}

    def build(self, request_struct_class: type[OffsetDeleteRequest_v0]) -> OffsetDeleteRequest_v0:
        topics = [(t, ps) for t, ps in self._topics.items()]
        return request_struct_class(self._group_id, topics)


# -- ConsumerGroupDescribe v0/v1 ------------------------------------------------------


class RawUuid(AbstractType[bytes]):
    """Kafka's uuid: 16 raw bytes (kept raw: kview names topics, not ids)."""

    @classmethod
    def encode(cls, value: bytes) -> bytes:
        if len(value) != 16:
            raise ValueError("a uuid is 16 bytes")
        return bytes(value)

    @classmethod
    def decode(cls, data: BytesIO) -> bytes:
        value = data.read(16)
        if len(value) != 16:
            raise ValueError("buffer underrun decoding uuid")
        return value


_ASSIGNMENT_848 = Schema(
    (
        "topic_partitions",
        CompactArray(
            ("topic_id", RawUuid),
            ("topic_name", _CSTR),
            ("partitions", CompactArray(Int32)),
            ("tags", TaggedFields),
        ),
    ),
    ("tags", TaggedFields),
)


def _consumer_group_describe_response(version: int) -> Schema:
    member = [
        ("member_id", _CSTR),
        ("instance_id", _CSTR),
        ("rack_id", _CSTR),
        ("member_epoch", Int32),
        ("client_id", _CSTR),
        ("client_host", _CSTR),
        ("subscribed_topic_names", CompactArray(_CSTR)),
        ("subscribed_topic_regex", _CSTR),
        ("assignment", _ASSIGNMENT_848),
        ("target_assignment", _ASSIGNMENT_848),
    ]
    if version >= 1:
        member.append(("member_type", Int8))
    member.append(("tags", TaggedFields))
    return Schema(
        ("throttle_time_ms", Int32),
        (
            "groups",
            CompactArray(
                ("error_code", Int16),
                ("error_message", _CSTR),
                ("group_id", _CSTR),
                ("group_state", _CSTR),
                ("group_epoch", Int32),
                ("assignment_epoch", Int32),
                ("assignor_name", _CSTR),
                ("members", CompactArray(*member)),
                ("authorized_operations", Int32),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class ConsumerGroupDescribeResponse_v0(Response):
    API_KEY = 69
    API_VERSION = 0
    SCHEMA = _consumer_group_describe_response(0)


class ConsumerGroupDescribeResponse_v1(Response):
    API_KEY = 69
    API_VERSION = 1
    SCHEMA = _consumer_group_describe_response(1)


_CGD_REQUEST = Schema(
    ("group_ids", CompactArray(_CSTR)),
    ("include_authorized_operations", Boolean),
    ("tags", TaggedFields),
)


class ConsumerGroupDescribeRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 69
    API_VERSION = 0
    RESPONSE_TYPE = ConsumerGroupDescribeResponse_v0
    SCHEMA = _CGD_REQUEST


class ConsumerGroupDescribeRequest_v1(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 69
    API_VERSION = 1
    RESPONSE_TYPE = ConsumerGroupDescribeResponse_v1
    SCHEMA = _CGD_REQUEST


ConsumerGroupDescribeStruct: TypeAlias = ConsumerGroupDescribeRequest_v0 | ConsumerGroupDescribeRequest_v1


class ConsumerGroupDescribeRequest(Request[ConsumerGroupDescribeStruct]):
    """Groups on the KIP-848 consumer protocol (brokers 4.0+)."""

    API_KEY = 69

    def __init__(self, groups: list[str]) -> None:
        self._groups = list(groups)

    def build(self, request_struct_class: type[ConsumerGroupDescribeStruct]) -> ConsumerGroupDescribeStruct:
        return request_struct_class(self._groups, False, {})


def assignment_848(assignment) -> tuple[tuple[str, int], ...]:
    """Topic-partitions of a decoded ConsumerGroupDescribe assignment, sorted."""
    topic_partitions = assignment[0] if assignment else None
    return tuple(sorted((t[1], p) for t in topic_partitions or () for p in t[2] or ()))


# -- the consumer protocol's embedded bytes ------------------------------------------

# ConsumerProtocolAssignment (all versions share this prefix):
#   version int16, assigned_partitions [topic string, partitions [int32]], user_data bytes
_ASSIGNMENT = Schema(
    ("version", Int16),
    ("assigned", Array(("topic", String("utf-8")), ("partitions", Array(Int32)))),
)

# ConsumerProtocolSubscription prefix: version int16, topics [string], user_data bytes, ...
_SUBSCRIPTION = Schema(("version", Int16), ("topics", Array(String("utf-8"))), ("user_data", Bytes))


def decode_assignment(data: bytes | None) -> tuple[tuple[str, int], ...]:
    """Topic-partitions of a consumer-protocol assignment, sorted; empty bytes
    (a member without assignment yet) or bytes of another protocol give ()."""
    if not data:
        return ()
    try:
        _version, assigned = _ASSIGNMENT.decode(BytesIO(data))
    except (ValueError, UnicodeDecodeError, TypeError):
        return ()
    return tuple(sorted((topic, p) for topic, parts in assigned or () for p in parts or ()))


def decode_subscription(data: bytes | None) -> tuple[str, ...]:
    """Topics a consumer-protocol member subscribed to (sorted; () when unreadable)."""
    if not data:
        return ()
    try:
        _version, topics, _user_data = _SUBSCRIPTION.decode(BytesIO(data))
    except (ValueError, UnicodeDecodeError, TypeError):
        return ()
    return tuple(sorted(t for t in topics or () if t is not None))


def encode_assignment(partitions: dict[str, list[int]], version: int = 0) -> bytes:
    """Consumer-protocol assignment bytes (for tests and fakes)."""
    return _ASSIGNMENT.encode((version, list(partitions.items()))) + Bytes.encode(None)


def encode_subscription(topics: list[str], version: int = 0) -> bytes:
    """Consumer-protocol subscription bytes (for tests and fakes)."""
    return _SUBSCRIPTION.encode((version, list(topics), None))
