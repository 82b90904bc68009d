"""Cluster requests aiokafka 0.14 lacks: DescribeLogDirs (API 35),
IncrementalAlterConfigs (API 44) and DescribeQuorum (API 55).

They are built on aiokafka's own protocol classes (``Request`` builders that
pick the highest version both sides speak, ``RequestStruct``/``Response``
with a ``Schema``), so they travel through aiokafka's connections like any
other request.  The layouts follow Kafka's message definitions as shipped in
Kafka 4.3 (``*RequestData.SCHEMAS``).  Flexible versions (KIP-482) use compact
strings and arrays and end every struct with a tagged-field section; aiokafka
has the compact types but no UUID or UINT16 type, and its ``TaggedFields``
encoder leaves out each field's size, so small correct versions live here.

Only wire formats live in this module; turning responses into kview's
dataclasses is the job of ``kview.core.topics`` and ``kview.core.brokers``.
"""

from __future__ import annotations

import base64
import struct
import uuid
from io import BytesIO
from typing import Any, TypeAlias

from aiokafka.protocol.abstract import AbstractType
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    Array,
    Boolean,
    CompactArray,
    CompactString,
    Int8,
    Int16,
    Int32,
    Int64,
    Schema,
    String,
    UnsignedVarInt32,
)

# -- constants from Kafka's public API ------------------------------------------------

RESOURCE_TOPIC = 2
RESOURCE_BROKER = 4
"""ConfigResource.Type ids used by DescribeConfigs and IncrementalAlterConfigs."""

OP_SET = 0
OP_DELETE = 1
OP_APPEND = 2
OP_SUBTRACT = 3
"""AlterConfigOp.OpType ids of IncrementalAlterConfigs."""

METADATA_TOPIC = "__cluster_metadata"
"""The KRaft metadata log: the one topic DescribeQuorum describes (partition 0)."""

CONFIG_SOURCES: dict[int, str] = {
    0: "UNKNOWN",
    1: "DYNAMIC_TOPIC_CONFIG",
    2: "DYNAMIC_BROKER_CONFIG",
    3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
    4: "STATIC_BROKER_CONFIG",
    5: "DEFAULT_CONFIG",
    6: "DYNAMIC_BROKER_LOGGER_CONFIG",
    7: "CLIENT_METRICS_CONFIG",
    8: "GROUP_CONFIG",
}
"""DescribeConfigs (v1+) config_source ids, by Kafka's enum names."""


# -- primitive types aiokafka lacks -----------------------------------------------------


class Uuid(AbstractType[str]):
    """Kafka's UUID: 16 raw bytes on the wire, shown (like Kafka's ``Uuid.toString``)
    as URL-safe base64 without padding, e.g. ``AAAAAAAAAAAAAAAAAAAAAA`` for zero."""

    @classmethod
    def encode(cls, value: str | uuid.UUID | bytes | None) -> bytes:
        if value is None:
            return bytes(16)
        if isinstance(value, uuid.UUID):
            return value.bytes
        if isinstance(value, bytes):
            if len(value) != 16:
                raise ValueError("a UUID is 16 bytes")
            return value
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        if len(raw) != 16:
            raise ValueError(f"not a Kafka UUID: {value!r}")
        return raw

    @classmethod
    def decode(cls, data: BytesIO) -> str:
        raw = data.read(16)
        if len(raw) != 16:
            raise ValueError("Buffer underrun decoding UUID")
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class UInt16(AbstractType[int]):
    _struct = struct.Struct(">H")

    @classmethod
    def encode(cls, value: int) -> bytes:
        return cls._struct.pack(value)

    @classmethod
    def decode(cls, data: BytesIO) -> int:
        raw = data.read(2)
        if len(raw) != 2:
            raise ValueError("Buffer underrun decoding UINT16")
        return cls._struct.unpack(raw)[0]


class Tags(AbstractType[dict[int, bytes]]):
    """The tagged-field section closing every flexible struct: a count, then per
    field its tag, its size and its bytes, all tags ascending.  kview sends no
    tagged fields; unknown ones in responses are kept as raw bytes."""

    @classmethod
    def encode(cls, value: dict[int, bytes] | None) -> bytes:
        value = value or {}
        parts = [UnsignedVarInt32.encode(len(value))]
        for tag in sorted(value):
            payload = value[tag]
            parts += [UnsignedVarInt32.encode(tag), UnsignedVarInt32.encode(len(payload)), payload]
        return b"".join(parts)

    @classmethod
    def decode(cls, data: BytesIO) -> dict[int, bytes]:
        fields: dict[int, bytes] = {}
        previous = -1
        for _ in range(UnsignedVarInt32.decode(data)):
            tag = UnsignedVarInt32.decode(data)
            if tag <= previous:
                raise ValueError(f"tagged field {tag} out of order")
            previous = tag
            size = UnsignedVarInt32.decode(data)
            payload = data.read(size)
            if len(payload) != size:
                raise ValueError("Buffer underrun decoding tagged field")
            fields[tag] = payload
        return fields


_STR = String("utf-8")
_CSTR = CompactString("utf-8")


# -- DescribeLogDirs (API 35) -----------------------------------------------------------
# v0 was removed from Kafka 4.0 (KIP-896); v2 is the first flexible version,
# v3 adds a top-level error code, v4 total_bytes/usable_bytes per log dir,
# v5 is_cordoned per log dir.

_LOG_DIRS_PARTITION_V1 = Array(
    ("partition_index", Int32),
    ("partition_size", Int64),
    ("offset_lag", Int64),
    ("is_future_key", Boolean),
)
_LOG_DIRS_PARTITION_V2 = CompactArray(
    ("partition_index", Int32),
    ("partition_size", Int64),
    ("offset_lag", Int64),
    ("is_future_key", Boolean),
    ("tags", Tags),
)
_LOG_DIRS_TOPIC_V2 = CompactArray(("name", _CSTR), ("partitions", _LOG_DIRS_PARTITION_V2), ("tags", Tags))


class DescribeLogDirsResponse_v1(Response):
    API_KEY = 35
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            Array(
                ("error_code", Int16),
                ("log_dir", _STR),
                ("topics", Array(("name", _STR), ("partitions", _LOG_DIRS_PARTITION_V1))),
            ),
        ),
    )


class DescribeLogDirsResponse_v2(Response):
    API_KEY = 35
    API_VERSION = 2
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("error_code", Int16),
                ("log_dir", _CSTR),
                ("topics", _LOG_DIRS_TOPIC_V2),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


class DescribeLogDirsResponse_v3(Response):
    API_KEY = 35
    API_VERSION = 3
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        (
            "results",
            CompactArray(
                ("error_code", Int16),
                ("log_dir", _CSTR),
                ("topics", _LOG_DIRS_TOPIC_V2),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


class DescribeLogDirsResponse_v4(Response):
    API_KEY = 35
    API_VERSION = 4
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        (
            "results",
            CompactArray(
                ("error_code", Int16),
                ("log_dir", _CSTR),
                ("topics", _LOG_DIRS_TOPIC_V2),
                ("total_bytes", Int64),
                ("usable_bytes", Int64),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


class DescribeLogDirsResponse_v5(Response):
    API_KEY = 35
    API_VERSION = 5
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        (
            "results",
            CompactArray(
                ("error_code", Int16),
                ("log_dir", _CSTR),
                ("topics", _LOG_DIRS_TOPIC_V2),
                ("total_bytes", Int64),
                ("usable_bytes", Int64),
                ("is_cordoned", Boolean),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


_LOG_DIRS_REQUEST_V2 = Schema(
    ("topics", CompactArray(("topic", _CSTR), ("partitions", CompactArray(Int32)), ("tags", Tags))),
    ("tags", Tags),
)


class DescribeLogDirsRequest_v1(RequestStruct):
    API_KEY = 35
    API_VERSION = 1
    RESPONSE_TYPE = DescribeLogDirsResponse_v1
    SCHEMA = Schema(("topics", Array(("topic", _STR), ("partitions", Array(Int32)))))


class DescribeLogDirsRequest_v2(RequestStruct):
    API_KEY = 35
    API_VERSION = 2
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeLogDirsResponse_v2
    SCHEMA = _LOG_DIRS_REQUEST_V2


class DescribeLogDirsRequest_v3(RequestStruct):
    API_KEY = 35
    API_VERSION = 3
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeLogDirsResponse_v3
    SCHEMA = _LOG_DIRS_REQUEST_V2


class DescribeLogDirsRequest_v4(RequestStruct):
    API_KEY = 35
    API_VERSION = 4
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeLogDirsResponse_v4
    SCHEMA = _LOG_DIRS_REQUEST_V2


class DescribeLogDirsRequest_v5(RequestStruct):
    API_KEY = 35
    API_VERSION = 5
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeLogDirsResponse_v5
    SCHEMA = _LOG_DIRS_REQUEST_V2


DescribeLogDirsRequestStruct: TypeAlias = (
    DescribeLogDirsRequest_v1
    | DescribeLogDirsRequest_v2
    | DescribeLogDirsRequest_v3
    | DescribeLogDirsRequest_v4
    | DescribeLogDirsRequest_v5
)


class DescribeLogDirsRequest(Request[DescribeLogDirsRequestStruct]):
    """Log directories of the broker it is sent to; ``topics=None`` asks for
    every partition the broker hosts, else ``[(topic, [partition, ...]), ...]``."""

    API_KEY = 35

    def __init__(self, topics: list[tuple[str, list[int]]] | None = None) -> None:
        self.topics = None if topics is None else [(t, list(p)) for t, p in topics]

    def build(self, request_struct_class: type[DescribeLogDirsRequestStruct]) -> DescribeLogDirsRequestStruct:
        if not request_struct_class.FLEXIBLE_VERSION:
            return request_struct_class(self.topics)
        topics: list[tuple[str, list[int], dict[int, bytes]]] | None = (
            None if self.topics is None else [(t, p, {}) for t, p in self.topics]
        )
        return request_struct_class(topics, {})


# -- IncrementalAlterConfigs (API 44) ---------------------------------------------------


class IncrementalAlterConfigsResponse_v0(Response):
    API_KEY = 44
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "responses",
            Array(
                ("error_code", Int16),
                ("error_message", _STR),
                ("resource_type", Int8),
                ("resource_name", _STR),
            ),
        ),
    )


class IncrementalAlterConfigsResponse_v1(Response):
    API_KEY = 44
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "responses",
            CompactArray(
                ("error_code", Int16),
                ("error_message", _CSTR),
                ("resource_type", Int8),
                ("resource_name", _CSTR),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


class IncrementalAlterConfigsRequest_v0(RequestStruct):
    API_KEY = 44
    API_VERSION = 0
    RESPONSE_TYPE = IncrementalAlterConfigsResponse_v0
    SCHEMA = Schema(
        (
            "resources",
            Array(
                ("resource_type", Int8),
                ("resource_name", _STR),
                ("configs", Array(("name", _STR), ("config_operation", Int8), ("value", _STR))),
            ),
        ),
        ("validate_only", Boolean),
    )


class IncrementalAlterConfigsRequest_v1(RequestStruct):
    API_KEY = 44
    API_VERSION = 1
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = IncrementalAlterConfigsResponse_v1
    SCHEMA = Schema(
        (
            "resources",
            CompactArray(
                ("resource_type", Int8),
                ("resource_name", _CSTR),
                (
                    "configs",
                    CompactArray(("name", _CSTR), ("config_operation", Int8), ("value", _CSTR), ("tags", Tags)),
                ),
                ("tags", Tags),
            ),
        ),
        ("validate_only", Boolean),
        ("tags", Tags),
    )


IncrementalAlterConfigsRequestStruct: TypeAlias = IncrementalAlterConfigsRequest_v0 | IncrementalAlterConfigsRequest_v1

AlterableConfig: TypeAlias = tuple[str, int, "str | None"]
"""(config name, OP_SET/OP_DELETE/OP_APPEND/OP_SUBTRACT, value or None)."""


class IncrementalAlterConfigsRequest(Request[IncrementalAlterConfigsRequestStruct]):
    """Change some configs of some resources, leaving the rest as they are.
    ``resources`` is ``[(resource_type, resource_name, [(name, op, value), ...]), ...]``."""

    API_KEY = 44

    def __init__(self, resources: list[tuple[int, str, list[AlterableConfig]]], validate_only: bool = False) -> None:
        self.resources = [(rtype, name, list(configs)) for rtype, name, configs in resources]
        self.validate_only = validate_only

    def build(
        self, request_struct_class: type[IncrementalAlterConfigsRequestStruct]
    ) -> IncrementalAlterConfigsRequestStruct:
        if not request_struct_class.FLEXIBLE_VERSION:
            return request_struct_class(self.resources, self.validate_only)
        resources: list[tuple[Any, ...]] = [
            (rtype, name, [(key, op, value, {}) for key, op, value in configs], {})
            for rtype, name, configs in self.resources
        ]
        return request_struct_class(resources, self.validate_only, {})


# -- DescribeQuorum (API 55) ------------------------------------------------------------
# Every version is flexible.  v1 adds fetch/caught-up timestamps per replica
# (KIP-836); v2 adds error messages, replica directory ids and the voters'
# endpoints (KIP-853).  Brokers forward it to the active controller.

_REPLICA_STATE_V0 = CompactArray(("replica_id", Int32), ("log_end_offset", Int64), ("tags", Tags))
_REPLICA_STATE_V1 = CompactArray(
    ("replica_id", Int32),
    ("log_end_offset", Int64),
    ("last_fetch_timestamp", Int64),
    ("last_caught_up_timestamp", Int64),
    ("tags", Tags),
)
_REPLICA_STATE_V2 = CompactArray(
    ("replica_id", Int32),
    ("replica_directory_id", Uuid),
    ("log_end_offset", Int64),
    ("last_fetch_timestamp", Int64),
    ("last_caught_up_timestamp", Int64),
    ("tags", Tags),
)


def _quorum_partitions(replica_state: CompactArray, with_messages: bool) -> CompactArray:
    fields: list[tuple[str, Any]] = [("partition_index", Int32), ("error_code", Int16)]
    if with_messages:
        fields.append(("error_message", _CSTR))
    fields += [
        ("leader_id", Int32),
        ("leader_epoch", Int32),
        ("high_watermark", Int64),
        ("current_voters", replica_state),
        ("observers", replica_state),
        ("tags", Tags),
    ]
    return CompactArray(*fields)


class DescribeQuorumResponse_v0(Response):
    API_KEY = 55
    API_VERSION = 0
    SCHEMA = Schema(
        ("error_code", Int16),
        (
            "topics",
            CompactArray(
                ("topic_name", _CSTR), ("partitions", _quorum_partitions(_REPLICA_STATE_V0, False)), ("tags", Tags)
            ),
        ),
        ("tags", Tags),
    )


class DescribeQuorumResponse_v1(Response):
    API_KEY = 55
    API_VERSION = 1
    SCHEMA = Schema(
        ("error_code", Int16),
        (
            "topics",
            CompactArray(
                ("topic_name", _CSTR), ("partitions", _quorum_partitions(_REPLICA_STATE_V1, False)), ("tags", Tags)
            ),
        ),
        ("tags", Tags),
    )


class DescribeQuorumResponse_v2(Response):
    API_KEY = 55
    API_VERSION = 2
    SCHEMA = Schema(
        ("error_code", Int16),
        ("error_message", _CSTR),
        (
            "topics",
            CompactArray(
                ("topic_name", _CSTR), ("partitions", _quorum_partitions(_REPLICA_STATE_V2, True)), ("tags", Tags)
            ),
        ),
        (
            "nodes",
            CompactArray(
                ("node_id", Int32),
                ("listeners", CompactArray(("name", _CSTR), ("host", _CSTR), ("port", UInt16), ("tags", Tags))),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


_QUORUM_REQUEST = Schema(
    (
        "topics",
        CompactArray(
            ("topic_name", _CSTR),
            ("partitions", CompactArray(("partition_index", Int32), ("tags", Tags))),
            ("tags", Tags),
        ),
    ),
    ("tags", Tags),
)


class DescribeQuorumRequest_v0(RequestStruct):
    API_KEY = 55
    API_VERSION = 0
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeQuorumResponse_v0
    SCHEMA = _QUORUM_REQUEST


class DescribeQuorumRequest_v1(RequestStruct):
    API_KEY = 55
    API_VERSION = 1
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeQuorumResponse_v1
    SCHEMA = _QUORUM_REQUEST


class DescribeQuorumRequest_v2(RequestStruct):
    API_KEY = 55
    API_VERSION = 2
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeQuorumResponse_v2
    SCHEMA = _QUORUM_REQUEST


DescribeQuorumRequestStruct: TypeAlias = DescribeQuorumRequest_v0 | DescribeQuorumRequest_v1 | DescribeQuorumRequest_v2


class DescribeQuorumRequest(Request[DescribeQuorumRequestStruct]):
    """State of the KRaft metadata quorum (``__cluster_metadata`` partition 0 by default)."""

    API_KEY = 55

    def __init__(self, topic: str = METADATA_TOPIC, partitions: tuple[int, ...] = (0,)) -> None:
        self.topic = topic
        self.partitions = tuple(partitions)

    def build(self, request_struct_class: type[DescribeQuorumRequestStruct]) -> DescribeQuorumRequestStruct:
        return request_struct_class([(self.topic, [(p, {}) for p in self.partitions], {})], {})
