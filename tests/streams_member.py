"""A streams group (KIP-1071) for the tests: one member that speaks
StreamsGroupHeartbeat v0 itself, declaring a topology of one subtopology
that reads one topic, and heartbeats until it owns its target tasks.  The
jars the harness fetches have no Kafka Streams library to run a real
application, so this minimal member makes the broker hold a real streams
group (its state, epochs, topology, members and tasks are the broker's own).
Layout from Kafka's StreamsGroupHeartbeatRequest.json / Response.json."""

from __future__ import annotations

import asyncio
import uuid
from io import BytesIO

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

from kview.core.cluster import ClusterClient
from kview.core.protocol.share_requests import NullableStruct, UInt16

_S = CompactString("utf-8")
_KV = CompactArray(("key", _S), ("value", _S), ("tags", TaggedFields))
_TOPIC_INFO = CompactArray(
    ("name", _S), ("partitions", Int32), ("replication_factor", Int16), ("topic_configs", _KV), ("tags", TaggedFields)
)
_TASK_IDS = CompactArray(("subtopology_id", _S), ("partitions", CompactArray(Int32)), ("tags", TaggedFields))
_TASK_OFFSETS = CompactArray(("subtopology_id", _S), ("partition", Int32), ("offset", Int64), ("tags", TaggedFields))


class StreamsGroupHeartbeatResponse_v0(Response):
    API_KEY = 88
    API_VERSION = 0
    SCHEMA = Schema(("throttle_time_ms", Int32), ("error_code", Int16), ("error_message", _S), ("member_id", _S))

    @classmethod
    def decode(cls, data: BytesIO | bytes) -> StreamsGroupHeartbeatResponse_v0:
        """The head only (error, member id, epoch); the rest is not needed here."""
        buffer = data if isinstance(data, BytesIO) else BytesIO(data)
        throttle = Int32.decode(buffer)
        code = Int16.decode(buffer)
        message = _S.decode(buffer)
        member = _S.decode(buffer)
        epoch = Int32.decode(buffer)
        out = cls(throttle, code, message, member)
        out.member_epoch = epoch  # type: ignore[attr-defined]
        return out


class StreamsGroupHeartbeatRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 88
    API_VERSION = 0
    RESPONSE_TYPE = StreamsGroupHeartbeatResponse_v0
    SCHEMA = Schema(
        ("group_id", _S),
        ("member_id", _S),
        ("member_epoch", Int32),
        ("endpoint_information_epoch", Int32),
        ("instance_id", _S),
        ("rack_id", _S),
        ("rebalance_timeout_ms", Int32),
        (
            "topology",
            NullableStruct(
                ("epoch", Int32),
                (
                    "subtopologies",
                    CompactArray(
                        ("subtopology_id", _S),
                        ("source_topics", CompactArray(_S)),
                        ("source_topic_regex", CompactArray(_S)),
                        ("state_changelog_topics", _TOPIC_INFO),
                        ("repartition_sink_topics", CompactArray(_S)),
                        ("repartition_source_topics", _TOPIC_INFO),
                        (
                            "copartition_groups",
                            CompactArray(
                                ("source_topics", CompactArray(Int16)),
                                ("source_topic_regex", CompactArray(Int16)),
                                ("repartition_source_topics", CompactArray(Int16)),
                                ("tags", TaggedFields),
                            ),
                        ),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("active_tasks", _TASK_IDS),
        ("standby_tasks", _TASK_IDS),
        ("warmup_tasks", _TASK_IDS),
        ("process_id", _S),
        ("user_endpoint", NullableStruct(("host", _S), ("port", UInt16), ("tags", TaggedFields))),
        ("client_tags", _KV),
        ("task_offsets", _TASK_OFFSETS),
        ("task_end_offsets", _TASK_OFFSETS),
        ("shutdown_application", Boolean),
        ("tags", TaggedFields),
    )


class StreamsGroupHeartbeat(Request[StreamsGroupHeartbeatRequest_v0]):
    API_KEY = 88

    def __init__(self, fields: tuple) -> None:
        self.fields = fields

    def build(self, request_struct_class: type[StreamsGroupHeartbeatRequest_v0]) -> StreamsGroupHeartbeatRequest_v0:
        return request_struct_class(*self.fields)


class StreamsMember:
    """One member of streams group ``group`` whose one subtopology ``"0"``
    reads ``topic``; ``join()`` heartbeats until it owns its target tasks."""

    def __init__(self, client: ClusterClient, node: int, group: str, topic: str, find=None) -> None:
        self.client, self.node, self.group, self.topic = client, node, group, topic
        self.find = find
        """``await find()``: the group's coordinator, looked up again."""
        self.member_id = str(uuid.uuid4())
        self.process_id = str(uuid.uuid4())
        self.epoch = 0
        self.active: list[tuple[str, list[int], dict]] | None = None

    async def heartbeat(self, with_topology: bool) -> StreamsGroupHeartbeatResponse_v0:
        topology = (0, [("0", [self.topic], [], [], [], [], [], {})], {}) if with_topology else None
        fields = (
            self.group,
            self.member_id,
            self.epoch,
            0,
            None,
            None,
            30000,
            topology,
            self.active or [],
            [],
            [],
            self.process_id,
            None,
            [],
            [],
            [],
            False,
            {},
        )
        for _ in range(60):
            response = await self.client.send(self.node, StreamsGroupHeartbeat(fields), "streams heartbeat")
            if response.error_code not in (14, 15, 16):
                break
            # A young cluster's coordinator is still loading (or moved): ask again.
            await asyncio.sleep(0.5)
            if self.find is not None:
                self.node = await self.find()
        if response.error_code:
            raise AssertionError(f"streams heartbeat: error {response.error_code} {response.error_message}")
        self.epoch = response.member_epoch
        return response

    async def join(self, partitions: int, rounds: int = 40) -> None:
        await self.heartbeat(with_topology=True)
        # Claim the tasks the assignment gives (every partition of subtopology 0).
        self.active = [("0", list(range(partitions)), {})]
        for _ in range(rounds):
            await asyncio.sleep(0.3)
            await self.heartbeat(with_topology=False)

    async def leave(self) -> None:
        self.epoch = -1
        await self.client.send(
            self.node,
            StreamsGroupHeartbeat(
                (
                    self.group,
                    self.member_id,
                    -1,
                    0,
                    None,
                    None,
                    30000,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    False,
                    {},
                )
            ),
            "streams leave",
        )
