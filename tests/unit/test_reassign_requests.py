"""ElectLeaders (built by kview on aiokafka's protocol classes) on the wire,
against the layout of Kafka's ElectLeadersRequest.json, and the per-partition
answers of AlterPartitionReassignments turned into kview's results."""

from __future__ import annotations

import struct

import pytest
from aiokafka.errors import IncompatibleBrokerVersion

from kview.core.errors import error_name
from kview.core.protocol.reassign_requests import (
    ElectLeadersRequest,
    ElectLeadersResponse_v2,
    alter_reassignments_request,
    list_reassignments_request,
)
from kview.core.reassign.models import PartitionError
from kview.core.reassign.service import ReassignService


def i32(*values: int) -> bytes:
    return b"".join(struct.pack(">i", v) for v in values)


def body(request: ElectLeadersRequest, version: int) -> bytes:
    struct_class = next(c for c in ElectLeadersRequest._CLASSES if c.API_VERSION == version)
    return request.build(struct_class).encode()


def test_elect_leaders_v1_is_classic_arrays():
    request = ElectLeadersRequest([("t", [0, 1])], election_type=1, timeout_ms=60_000)
    # election type, one topic (int16-length name), two int32 partitions, timeout
    assert body(request, 1) == b"\x01" + i32(1) + b"\x00\x01t" + i32(2, 0, 1) + i32(60_000)


def test_elect_leaders_v2_is_compact_with_tags():
    request = ElectLeadersRequest([("t", [3])], election_type=0, timeout_ms=1_000)
    # compact lengths are n + 1; each struct ends with an empty tag section
    assert body(request, 2) == b"\x00" + b"\x02" + b"\x02t" + b"\x02" + i32(3) + b"\x00" + i32(1_000) + b"\x00"
    # null partitions (every partition): a compact null array
    assert body(ElectLeadersRequest(None), 2) == b"\x00\x00" + i32(60_000) + b"\x00"


def test_elect_leaders_v0_cannot_carry_an_unclean_election():
    assert body(ElectLeadersRequest([("t", [0])]), 0) == i32(1) + b"\x00\x01t" + i32(1, 0) + i32(60_000)
    with pytest.raises(IncompatibleBrokerVersion, match="unclean leader election needs ElectLeaders v1"):
        body(ElectLeadersRequest([("t", [0])], election_type=1), 0)


def test_elect_leaders_v2_answer_decodes():
    encoded = ElectLeadersResponse_v2(0, 0, [("t", [(0, 84, "not needed", {}), (1, 0, None, {})], {})], {}).encode()
    obj = ElectLeadersResponse_v2.decode(encoded).to_object()
    results = obj["replica_election_results"][0]["partition_result"]
    assert [(r["partition_id"], r["error_code"], r["error_message"]) for r in results] == [
        (0, 84, "not needed"),
        (1, 0, None),
    ]


def test_cancel_sends_null_replicas_and_list_asks_for_all_with_null():
    alter = alter_reassignments_request({("t", 1): [2, 3], ("t", 0): None}, 5_000)
    struct_class = type(alter)._CLASSES[0]
    encoded = alter.build(struct_class).encode()
    # timeout, 1 topic "t", 2 partitions: 0 with a null array, 1 with [2, 3]
    assert encoded == (
        i32(5_000)
        + b"\x02"
        + b"\x02t"
        + b"\x03"
        + i32(0)
        + b"\x00\x00"
        + i32(1)
        + b"\x03"
        + i32(2, 3)
        + b"\x00"
        + b"\x00"
        + b"\x00"
    )
    listed = list_reassignments_request(None, 5_000)
    assert listed.build(type(listed)._CLASSES[0]).encode() == i32(5_000) + b"\x00\x00"


def test_a_partly_refused_reassignment_names_each_refused_partition():
    answer = {
        "responses": [
            {
                "name": "t",
                "partitions": [
                    {"partition_index": 1, "error_code": 39, "error_message": "replica 9 is not alive"},
                    {"partition_index": 0, "error_code": 0, "error_message": None},
                ],
            }
        ]
    }
    started, errors = ReassignService._per_partition(answer)
    assert started == [("t", 0)]
    assert errors == [PartitionError("t", 1, f"{error_name(39)}: replica 9 is not alive")]
