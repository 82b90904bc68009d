"""Requests of Kafka 4's share groups (KIP-932) and streams groups (KIP-1071)
that aiokafka 0.14 lacks, on its protocol classes.

* ShareGroupDescribe v1 (API 77): state, epochs, assignor and members.
* DescribeShareGroupOffsets v0/v1 (API 90): per share-partition the start
  offset, and (v1) the lag as the broker computes it for share groups.
* AlterShareGroupOffsets v0 (API 91): set share-partition start offsets
  (the group must be empty).
* StreamsGroupDescribe v0 (API 89): members, processes, tasks and the
  topology the group's members declared.

Layouts follow Kafka's message definitions
(``clients/src/main/resources/common/message/*.json``); every version here
is flexible (compact strings and arrays, a tagged-field section per struct).
A broker without the API (Kafka 3.9 and older) makes aiokafka raise
IncompatibleBrokerVersion; ``kview.core.groups`` says "not available".
Deleting a share group is a DeleteGroups like any other group's.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any, TypeAlias

from aiokafka.protocol.abstract import AbstractType
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    Boolean,
    CompactArray,
    CompactString,
    Int8,
    Int16,
    Int32,
    Int64,
    Schema,
    TaggedFields,
)

from kview.core.protocol.group_requests import RawUuid

_CSTR = CompactString("utf-8")

SHARE_GROUP_DESCRIBE = 77
DESCRIBE_SHARE_GROUP_OFFSETS = 90
ALTER_SHARE_GROUP_OFFSETS = 91
STREAMS_GROUP_DESCRIBE = 89


class UInt16(AbstractType[int]):
    """An unsigned 16-bit integer (a port)."""

    @classmethod
    def encode(cls, value: int) -> bytes:
        return int(value).to_bytes(2, "big", signed=False)

    @classmethod
    def decode(cls, data: BytesIO) -> int:
        raw = data.read(2)
        if len(raw) != 2:
            raise ValueError("buffer underrun decoding uint16")
        return int.from_bytes(raw, "big", signed=False)


class NullableStruct(AbstractType[Any]):
    """A nullable struct field: an int8 marker (-1: null, 1: present), then
    the struct."""

    def __init__(self, *fields: Any) -> None:
        self.schema = Schema(*fields)

    def encode(self, value: Any) -> bytes:
        if value is None:
            return Int8.encode(-1)
        return Int8.encode(1) + self.schema.encode(value)

    def decode(self, data: BytesIO) -> Any:
        if Int8.decode(data) < 0:
            return None
        return self.schema.decode(data)

    def repr(self, value: Any) -> str:
        return "None" if value is None else self.schema.repr(value)


# -- ShareGroupDescribe v1 ----------------------------------------------------------

_SHARE_ASSIGNMENT = Schema(
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


class ShareGroupDescribeResponse_v1(Response):
    API_KEY = SHARE_GROUP_DESCRIBE
    API_VERSION = 1
    SCHEMA = Schema(
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
                (
                    "members",
                    CompactArray(
                        ("member_id", _CSTR),
                        ("rack_id", _CSTR),
                        ("member_epoch", Int32),
                        ("client_id", _CSTR),
                        ("client_host", _CSTR),
                        ("subscribed_topic_names", CompactArray(_CSTR)),
                        ("assignment", _SHARE_ASSIGNMENT),
                        ("tags", TaggedFields),
                    ),
                ),
                ("authorized_operations", Int32),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class ShareGroupDescribeRequest_v1(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = SHARE_GROUP_DESCRIBE
    API_VERSION = 1
    RESPONSE_TYPE = ShareGroupDescribeResponse_v1
    SCHEMA = Schema(
        ("group_ids", CompactArray(_CSTR)),
        ("include_authorized_operations", Boolean),
        ("tags", TaggedFields),
    )


class ShareGroupDescribeRequest(Request[ShareGroupDescribeRequest_v1]):
    """Share groups coordinated by one broker (Kafka 4.1+)."""

    API_KEY = SHARE_GROUP_DESCRIBE

    def __init__(self, groups: list[str]) -> None:
        self._groups = list(groups)

    def build(self, request_struct_class: type[ShareGroupDescribeRequest_v1]) -> ShareGroupDescribeRequest_v1:
        return request_struct_class(self._groups, False, {})


# -- DescribeShareGroupOffsets v0/v1 ------------------------------------------------


def _offsets_response(version: int) -> Schema:
    partition = [
        ("partition_index", Int32),
        ("start_offset", Int64),
        ("leader_epoch", Int32),
    ]
    if version >= 1:
        partition.append(("lag", Int64))
    partition += [("error_code", Int16), ("error_message", _CSTR), ("tags", TaggedFields)]
    return Schema(
        ("throttle_time_ms", Int32),
        (
            "groups",
            CompactArray(
                ("group_id", _CSTR),
                (
                    "topics",
                    CompactArray(
                        ("topic_name", _CSTR),
                        ("topic_id", RawUuid),
                        ("partitions", CompactArray(*partition)),
                        ("tags", TaggedFields),
                    ),
                ),
                ("error_code", Int16),
                ("error_message", _CSTR),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeShareGroupOffsetsResponse_v0(Response):
    API_KEY = DESCRIBE_SHARE_GROUP_OFFSETS
    API_VERSION = 0
    SCHEMA = _offsets_response(0)


class DescribeShareGroupOffsetsResponse_v1(Response):
    API_KEY = DESCRIBE_SHARE_GROUP_OFFSETS
    API_VERSION = 1
    SCHEMA = _offsets_response(1)


_OFFSETS_REQUEST = Schema(
    (
        "groups",
        CompactArray(
            ("group_id", _CSTR),
            (
                "topics",
                CompactArray(
                    ("topic_name", _CSTR),
                    ("partitions", CompactArray(Int32)),
                    ("tags", TaggedFields),
                ),
            ),
            ("tags", TaggedFields),
        ),
    ),
    ("tags", TaggedFields),
)


class DescribeShareGroupOffsetsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = DESCRIBE_SHARE_GROUP_OFFSETS
    API_VERSION = 0
    RESPONSE_TYPE = DescribeShareGroupOffsetsResponse_v0
    SCHEMA = _OFFSETS_REQUEST


class DescribeShareGroupOffsetsRequest_v1(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = DESCRIBE_SHARE_GROUP_OFFSETS
    API_VERSION = 1
    RESPONSE_TYPE = DescribeShareGroupOffsetsResponse_v1
    SCHEMA = _OFFSETS_REQUEST


DescribeShareGroupOffsetsStruct: TypeAlias = DescribeShareGroupOffsetsRequest_v0 | DescribeShareGroupOffsetsRequest_v1


class DescribeShareGroupOffsetsRequest(Request[DescribeShareGroupOffsetsStruct]):
    """Start offsets (and v1: lag) of every share-partition of many groups;
    ``None`` topics: every topic-partition the group has state for."""

    API_KEY = DESCRIBE_SHARE_GROUP_OFFSETS

    def __init__(self, groups: list[str]) -> None:
        self._groups = list(groups)

    def build(self, request_struct_class: type[DescribeShareGroupOffsetsStruct]) -> DescribeShareGroupOffsetsStruct:
        return request_struct_class([(g, None, {}) for g in self._groups], {})


def share_offsets_rows(group: Any, version: int) -> list[tuple[str, int, int, int | None, int, str | None]]:
    """(topic, partition, start offset, lag or None, error code, error message)
    of one decoded DescribeShareGroupOffsets group; v0 has no lag."""
    rows = []
    for topic in group[1] or ():
        for p in topic[2] or ():
            if version >= 1:
                index, start, _epoch, lag, code, message = p[:6]
            else:
                index, start, _epoch, code, message = p[:5]
                lag = None
            rows.append((topic[0], index, start, None if lag is None or lag < 0 else lag, code, message))
    return rows


# -- AlterShareGroupOffsets v0 ------------------------------------------------------


class AlterShareGroupOffsetsResponse_v0(Response):
    API_KEY = ALTER_SHARE_GROUP_OFFSETS
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", _CSTR),
        (
            "responses",
            CompactArray(
                ("topic_name", _CSTR),
                ("topic_id", RawUuid),
                (
                    "partitions",
                    CompactArray(
                        ("partition_index", Int32),
                        ("error_code", Int16),
                        ("error_message", _CSTR),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterShareGroupOffsetsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = ALTER_SHARE_GROUP_OFFSETS
    API_VERSION = 0
    RESPONSE_TYPE = AlterShareGroupOffsetsResponse_v0
    SCHEMA = Schema(
        ("group_id", _CSTR),
        (
            "topics",
            CompactArray(
                ("topic_name", _CSTR),
                (
                    "partitions",
                    CompactArray(("partition_index", Int32), ("start_offset", Int64), ("tags", TaggedFields)),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterShareGroupOffsetsRequest(Request[AlterShareGroupOffsetsRequest_v0]):
    """Set the start offsets of a share group's partitions."""

    API_KEY = ALTER_SHARE_GROUP_OFFSETS

    def __init__(self, group: str, offsets: dict[str, dict[int, int]]) -> None:
        self._group = group
        self._offsets = {t: dict(ps) for t, ps in offsets.items()}

    def build(self, request_struct_class: type[AlterShareGroupOffsetsRequest_v0]) -> AlterShareGroupOffsetsRequest_v0:
        topics: list[tuple[str, list[tuple[int, int, dict[int, bytes]]], dict[int, bytes]]] = [
            (topic, [(p, offset, {}) for p, offset in sorted(parts.items())], {})
            for topic, parts in sorted(self._offsets.items())
        ]
        return request_struct_class(self._group, topics, {})


# -- StreamsGroupDescribe v0 --------------------------------------------------------

_KEY_VALUE = CompactArray(("key", _CSTR), ("value", _CSTR), ("tags", TaggedFields))
_TOPIC_INFO = CompactArray(
    ("name", _CSTR),
    ("partitions", Int32),
    ("replication_factor", Int16),
    ("topic_configs", _KEY_VALUE),
    ("tags", TaggedFields),
)
_TASK_IDS = CompactArray(("subtopology_id", _CSTR), ("partitions", CompactArray(Int32)), ("tags", TaggedFields))
_TASK_OFFSETS = CompactArray(("subtopology_id", _CSTR), ("partition", Int32), ("offset", Int64), ("tags", TaggedFields))
_STREAMS_ASSIGNMENT = Schema(
    ("active_tasks", _TASK_IDS),
    ("standby_tasks", _TASK_IDS),
    ("warmup_tasks", _TASK_IDS),
    ("tags", TaggedFields),
)


class StreamsGroupDescribeResponse_v0(Response):
    API_KEY = STREAMS_GROUP_DESCRIBE
    API_VERSION = 0
    SCHEMA = Schema(
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
                (
                    "topology",
                    NullableStruct(
                        ("epoch", Int32),
                        (
                            "subtopologies",
                            CompactArray(
                                ("subtopology_id", _CSTR),
                                ("source_topics", CompactArray(_CSTR)),
                                ("repartition_sink_topics", CompactArray(_CSTR)),
                                ("state_changelog_topics", _TOPIC_INFO),
                                ("repartition_source_topics", _TOPIC_INFO),
                                ("tags", TaggedFields),
                            ),
                        ),
                        ("tags", TaggedFields),
                    ),
                ),
                (
                    "members",
                    CompactArray(
                        ("member_id", _CSTR),
                        ("member_epoch", Int32),
                        ("instance_id", _CSTR),
                        ("rack_id", _CSTR),
                        ("client_id", _CSTR),
                        ("client_host", _CSTR),
                        ("topology_epoch", Int32),
                        ("process_id", _CSTR),
                        ("user_endpoint", NullableStruct(("host", _CSTR), ("port", UInt16), ("tags", TaggedFields))),
                        ("client_tags", _KEY_VALUE),
                        ("task_offsets", _TASK_OFFSETS),
                        ("task_end_offsets", _TASK_OFFSETS),
                        ("assignment", _STREAMS_ASSIGNMENT),
                        ("target_assignment", _STREAMS_ASSIGNMENT),
                        ("is_classic", Boolean),
                        ("tags", TaggedFields),
                    ),
                ),
                ("authorized_operations", Int32),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class StreamsGroupDescribeRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = STREAMS_GROUP_DESCRIBE
    API_VERSION = 0
    RESPONSE_TYPE = StreamsGroupDescribeResponse_v0
    SCHEMA = Schema(
        ("group_ids", CompactArray(_CSTR)),
        ("include_authorized_operations", Boolean),
        ("tags", TaggedFields),
    )


class StreamsGroupDescribeRequest(Request[StreamsGroupDescribeRequest_v0]):
    """Streams groups coordinated by one broker (Kafka 4.1+)."""

    API_KEY = STREAMS_GROUP_DESCRIBE

    def __init__(self, groups: list[str]) -> None:
        self._groups = list(groups)

    def build(self, request_struct_class: type[StreamsGroupDescribeRequest_v0]) -> StreamsGroupDescribeRequest_v0:
        return request_struct_class(self._groups, False, {})


def task_ids(tasks: Any) -> tuple[str, ...]:
    """Decoded TaskIds as Kafka Streams names tasks: ``subtopology_partition``, sorted."""
    return tuple(sorted(f"{t[0]}_{p}" for t in tasks or () for p in t[1] or ()))
