"""Replica and leader requests for ``kview.core.reassign``.

ElectLeaders (API 43) is missing from aiokafka 0.14 and is built here on its
protocol classes, versions 0-2 as in Kafka's ``ElectLeadersRequest.json``
(v1 adds the election type, KIP-460; v2 is the first flexible version).

AlterPartitionReassignments (API 45) and ListPartitionReassignments (API 46)
are in aiokafka (``aiokafka.protocol.admin``, v0, the only version Kafka
defines for both up to 4.x); the builders below only give them kview's
argument shapes: ``{(topic, partition): replicas or None}``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

from aiokafka.protocol.admin import AlterPartitionReassignmentsRequest, ListPartitionReassignmentsRequest
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, CompactArray, CompactString, Int8, Int16, Int32, Schema, String

from kview.core.protocol.cluster_requests import Tags

_STR = String("utf-8")
_CSTR = CompactString("utf-8")

ELECTION_NOT_NEEDED = 84
"""ElectLeaders' answer for a partition already led by a valid replica."""
NO_REASSIGNMENT_IN_PROGRESS = 85
"""AlterPartitionReassignments' answer when cancelling a partition that does not move."""


# -- ElectLeaders (API 43) ------------------------------------------------------------------

_RESULTS_V0 = Array(
    ("topic", _STR),
    ("partition_result", Array(("partition_id", Int32), ("error_code", Int16), ("error_message", _STR))),
)
_RESULTS_V2 = CompactArray(
    ("topic", _CSTR),
    (
        "partition_result",
        CompactArray(("partition_id", Int32), ("error_code", Int16), ("error_message", _CSTR), ("tags", Tags)),
    ),
    ("tags", Tags),
)


class ElectLeadersResponse_v0(Response):
    API_KEY = 43
    API_VERSION = 0
    SCHEMA = Schema(("throttle_time_ms", Int32), ("replica_election_results", _RESULTS_V0))


class ElectLeadersResponse_v1(Response):
    API_KEY = 43
    API_VERSION = 1
    SCHEMA = Schema(("throttle_time_ms", Int32), ("error_code", Int16), ("replica_election_results", _RESULTS_V0))


class ElectLeadersResponse_v2(Response):
    API_KEY = 43
    API_VERSION = 2
    SCHEMA = Schema(
        ("throttle_time_ms", Int32), ("error_code", Int16), ("replica_election_results", _RESULTS_V2), ("tags", Tags)
    )


_PARTITIONS_V0 = Array(("topic", _STR), ("partitions", Array(Int32)))


class ElectLeadersRequest_v0(RequestStruct):
    API_KEY = 43
    API_VERSION = 0
    RESPONSE_TYPE = ElectLeadersResponse_v0
    SCHEMA = Schema(("topic_partitions", _PARTITIONS_V0), ("timeout_ms", Int32))


class ElectLeadersRequest_v1(RequestStruct):
    API_KEY = 43
    API_VERSION = 1
    RESPONSE_TYPE = ElectLeadersResponse_v1
    SCHEMA = Schema(("election_type", Int8), ("topic_partitions", _PARTITIONS_V0), ("timeout_ms", Int32))


class ElectLeadersRequest_v2(RequestStruct):
    API_KEY = 43
    API_VERSION = 2
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = ElectLeadersResponse_v2
    SCHEMA = Schema(
        ("election_type", Int8),
        ("topic_partitions", CompactArray(("topic", _CSTR), ("partitions", CompactArray(Int32)), ("tags", Tags))),
        ("timeout_ms", Int32),
        ("tags", Tags),
    )


ElectLeadersRequestStruct: TypeAlias = ElectLeadersRequest_v0 | ElectLeadersRequest_v1 | ElectLeadersRequest_v2


class ElectLeadersRequest(Request[ElectLeadersRequestStruct]):
    """Elect leaders of ``partitions`` (``[(topic, [partition, ...]), ...]``;
    None: every partition) with ``election_type`` 0 (preferred) or 1 (unclean).
    Brokers forward it to the active controller."""

    API_KEY = 43

    def __init__(
        self, partitions: list[tuple[str, list[int]]] | None, election_type: int = 0, timeout_ms: int = 60_000
    ) -> None:
        self.partitions = partitions
        self.election_type = election_type
        self.timeout_ms = timeout_ms

    def build(self, request_struct_class: type[ElectLeadersRequestStruct]) -> ElectLeadersRequestStruct:
        if request_struct_class.API_VERSION == 0:
            if self.election_type != 0:
                from aiokafka.errors import IncompatibleBrokerVersion

                raise IncompatibleBrokerVersion("unclean leader election needs ElectLeaders v1 (Kafka 2.4 or later)")
            return request_struct_class(self.partitions, self.timeout_ms)
        if not request_struct_class.FLEXIBLE_VERSION:
            return request_struct_class(self.election_type, self.partitions, self.timeout_ms)
        flexible: list[tuple[str, list[int], dict[int, bytes]]] | None = (
            None if self.partitions is None else [(t, list(p), {}) for t, p in self.partitions]
        )
        return request_struct_class(self.election_type, flexible, self.timeout_ms, {})


# -- AlterPartitionReassignments (API 45) / ListPartitionReassignments (API 46) --------------


def by_topic(partitions: Iterable[tuple[str, int]]) -> list[tuple[str, list[int]]]:
    """``[(topic, [partition, ...]), ...]`` sorted by topic and partition."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for topic, partition in partitions:
        grouped[topic].append(partition)
    return [(topic, sorted(parts)) for topic, parts in sorted(grouped.items())]


def alter_reassignments_request(
    targets: Mapping[tuple[str, int], Iterable[int] | None], timeout_ms: int
) -> AlterPartitionReassignmentsRequest:
    """Start (replicas given) or cancel (None) the reassignment of each partition."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for (topic, partition), replicas in sorted(targets.items()):
        grouped[topic].append((partition, None if replicas is None else list(replicas), {}))
    topics: list[Any] = [(topic, parts, {}) for topic, parts in grouped.items()]
    return AlterPartitionReassignmentsRequest(timeout_ms, topics, {})


def list_reassignments_request(
    partitions: Iterable[tuple[str, int]] | None, timeout_ms: int
) -> ListPartitionReassignmentsRequest:
    """Ask for the reassignments in progress of ``partitions`` (None: all)."""
    topics: Any = None if partitions is None else [(t, p, {}) for t, p in by_topic(partitions)]
    return ListPartitionReassignmentsRequest(timeout_ms, topics, {})
