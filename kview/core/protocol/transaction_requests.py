"""Transaction requests aiokafka 0.14 lacks, on its protocol classes.

* ListTransactions v0/v1 (API 66): the transactional ids a broker
  coordinates, with producer id and state, filtered by state, producer id and
  (v1, KIP-994) by how long they have run.
* DescribeTransactions v0 (API 65): state, timeout, start time, producer id
  and epoch, and the partitions of transactional ids (asked of their
  coordinator).
* DescribeProducers v0 (API 61): the active producers of partitions (asked of
  each partition's leader), with the start offset of an open transaction.
* WriteTxnMarkers v1 (API 27): the abort marker that ends a hanging
  transaction on a partition (sent to its leader), as ``kafka-transactions
  abort`` does through the admin client's ``abortTransaction``.

The layouts follow Kafka's message definitions (``*Request.json`` /
``*Response.json``); every version here is flexible (compact strings and
arrays, a tagged-field section per struct; kview sends no tagged field).
Only wire formats live here; ``kview.core.transactions`` turns answers into
kview's dataclasses.
"""

from __future__ import annotations

from typing import TypeAlias

from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    Boolean,
    CompactArray,
    CompactString,
    Int16,
    Int32,
    Int64,
    Schema,
    TaggedFields,
)

COORDINATOR_TRANSACTION = 1
"""FindCoordinator key type of a transactional id."""

_CSTR = CompactString("utf-8")


# -- ListTransactions v0 / v1 -------------------------------------------------------


class ListTransactionsResponse_v0(Response):
    API_KEY = 66
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("unknown_state_filters", CompactArray(_CSTR)),
        (
            "transaction_states",
            CompactArray(
                ("transactional_id", _CSTR),
                ("producer_id", Int64),
                ("transaction_state", _CSTR),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class ListTransactionsResponse_v1(Response):
    API_KEY = 66
    API_VERSION = 1
    SCHEMA = ListTransactionsResponse_v0.SCHEMA


class ListTransactionsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 66
    API_VERSION = 0
    RESPONSE_TYPE = ListTransactionsResponse_v0
    SCHEMA = Schema(
        ("state_filters", CompactArray(_CSTR)),
        ("producer_id_filters", CompactArray(Int64)),
        ("tags", TaggedFields),
    )


class ListTransactionsRequest_v1(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 66
    API_VERSION = 1
    RESPONSE_TYPE = ListTransactionsResponse_v1
    SCHEMA = Schema(
        ("state_filters", CompactArray(_CSTR)),
        ("producer_id_filters", CompactArray(Int64)),
        ("duration_filter", Int64),
        ("tags", TaggedFields),
    )


ListTransactionsStruct: TypeAlias = ListTransactionsRequest_v0 | ListTransactionsRequest_v1


class ListTransactionsRequest(Request[ListTransactionsStruct]):
    """The transactions one broker coordinates.  Empty filters mean "all";
    ``producer_ids`` keeps only those producers' (find-hanging's lookup)."""

    API_KEY = 66

    def __init__(self, states: list[str] | None = None, producer_ids: list[int] | None = None) -> None:
        self._states = list(states or [])
        self._producer_ids = list(producer_ids or [])

    def build(self, request_struct_class: type[ListTransactionsStruct]) -> ListTransactionsStruct:
        if request_struct_class.API_VERSION >= 1:
            return request_struct_class(self._states, self._producer_ids, -1, {})
        return request_struct_class(self._states, self._producer_ids, {})


# -- DescribeTransactions v0 --------------------------------------------------------


class DescribeTransactionsResponse_v0(Response):
    API_KEY = 65
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "transaction_states",
            CompactArray(
                ("error_code", Int16),
                ("transactional_id", _CSTR),
                ("transaction_state", _CSTR),
                ("transaction_timeout_ms", Int32),
                ("transaction_start_time_ms", Int64),
                ("producer_id", Int64),
                ("producer_epoch", Int16),
                (
                    "topics",
                    CompactArray(
                        ("topic", _CSTR),
                        ("partitions", CompactArray(Int32)),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeTransactionsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 65
    API_VERSION = 0
    RESPONSE_TYPE = DescribeTransactionsResponse_v0
    SCHEMA = Schema(
        ("transactional_ids", CompactArray(_CSTR)),
        ("tags", TaggedFields),
    )


class DescribeTransactionsRequest(Request[DescribeTransactionsRequest_v0]):
    """State and partitions of transactional ids one broker coordinates."""

    API_KEY = 65

    def __init__(self, transactional_ids: list[str]) -> None:
        self._ids = list(transactional_ids)

    def build(self, request_struct_class: type[DescribeTransactionsRequest_v0]) -> DescribeTransactionsRequest_v0:
        return request_struct_class(self._ids, {})


# -- DescribeProducers v0 -----------------------------------------------------------


class DescribeProducersResponse_v0(Response):
    API_KEY = 61
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "topics",
            CompactArray(
                ("name", _CSTR),
                (
                    "partitions",
                    CompactArray(
                        ("partition_index", Int32),
                        ("error_code", Int16),
                        ("error_message", _CSTR),
                        (
                            "active_producers",
                            CompactArray(
                                ("producer_id", Int64),
                                ("producer_epoch", Int32),
                                ("last_sequence", Int32),
                                ("last_timestamp", Int64),
                                ("coordinator_epoch", Int32),
                                ("current_txn_start_offset", Int64),
                                ("tags", TaggedFields),
                            ),
                        ),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeProducersRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 61
    API_VERSION = 0
    RESPONSE_TYPE = DescribeProducersResponse_v0
    SCHEMA = Schema(
        (
            "topics",
            CompactArray(
                ("name", _CSTR),
                ("partition_indexes", CompactArray(Int32)),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeProducersRequest(Request[DescribeProducersRequest_v0]):
    """Active producers of partitions led by the broker it is sent to."""

    API_KEY = 61

    def __init__(self, topics: list[tuple[str, list[int]]]) -> None:
        self._topics: list[tuple[str, list[int], dict[int, bytes]]] = [
            (name, list(partitions), {}) for name, partitions in topics
        ]

    def build(self, request_struct_class: type[DescribeProducersRequest_v0]) -> DescribeProducersRequest_v0:
        return request_struct_class(self._topics, {})


# -- WriteTxnMarkers v1 -------------------------------------------------------------


class WriteTxnMarkersResponse_v1(Response):
    API_KEY = 27
    API_VERSION = 1
    SCHEMA = Schema(
        (
            "markers",
            CompactArray(
                ("producer_id", Int64),
                (
                    "topics",
                    CompactArray(
                        ("name", _CSTR),
                        (
                            "partitions",
                            CompactArray(
                                ("partition_index", Int32),
                                ("error_code", Int16),
                                ("tags", TaggedFields),
                            ),
                        ),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class WriteTxnMarkersRequest_v1(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 27
    API_VERSION = 1
    RESPONSE_TYPE = WriteTxnMarkersResponse_v1
    SCHEMA = Schema(
        (
            "markers",
            CompactArray(
                ("producer_id", Int64),
                ("producer_epoch", Int16),
                ("transaction_result", Boolean),
                (
                    "topics",
                    CompactArray(
                        ("name", _CSTR),
                        ("partition_indexes", CompactArray(Int32)),
                        ("tags", TaggedFields),
                    ),
                ),
                ("coordinator_epoch", Int32),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class WriteAbortMarkerRequest(Request[WriteTxnMarkersRequest_v1]):
    """One abort marker for one producer's open transaction on one partition
    (what the admin client's ``abortTransaction`` sends to the leader)."""

    API_KEY = 27

    def __init__(self, topic: str, partition: int, producer_id: int, producer_epoch: int, coordinator_epoch: int):
        self._marker: tuple[object, ...] = (
            producer_id,
            producer_epoch,
            False,  # false = ABORT
            [(topic, [partition], {})],
            coordinator_epoch,
            {},
        )

    def build(self, request_struct_class: type[WriteTxnMarkersRequest_v1]) -> WriteTxnMarkersRequest_v1:
        return request_struct_class([self._marker], {})
