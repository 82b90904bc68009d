"""The session's groups of every type (tests/conftest.py's ``group_types``
fixture): a share group whose members are two of Kafka's console share
consumers, a share group whose only member has left, and a KIP-848 consumer
group whose member is Kafka's console consumer with
``group.protocol=consumer``.  The JVMs are slow to start, so they start once
per session (per xdist worker), in parallel, and every test reads them."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaProducer

from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.config import adhoc_profile
from kview.core.groups import GroupService
from kview.local.group_members import GroupMembers


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def produce(bootstrap: str, topic: str, counts: dict[int, int]) -> None:
    producer = AIOKafkaProducer(**connection_kwargs(adhoc_profile(bootstrap)), acks="all")
    await producer.start()
    try:
        for partition, count in counts.items():
            for i in range(count):
                await producer.send(topic, f"r{i}".encode(), partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


async def poll(check, what: str, timeout: float = 120.0, interval: float = 0.5):
    """``await check()`` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


class Groups:
    """The session's groups and topics of every type."""

    def __init__(self) -> None:
        self.share_topic = unique("sht")
        self.share = unique("shg")
        self.idle_share = unique("shidle")
        self.topic848 = unique("kt")
        self.group848 = unique("kg")


def start_group_types(kafka):
    """Two console share consumers in one share group, one console consumer on
    the KIP-848 protocol, and a share group whose only member has left (for
    reset and delete), all started at once and joined before any test."""
    g = Groups()
    kafka.run_tool("kafka-topics", "--create", "--topic", g.share_topic, "--partitions", "3")
    kafka.run_tool("kafka-topics", "--create", "--topic", g.topic848, "--partitions", "4")
    members = GroupMembers(kafka)
    members.share_consumer(g.share_topic, g.share)
    members.share_consumer(g.share_topic, g.share)
    idle = members.share_consumer(g.share_topic, g.idle_share)
    members.consumer_848(g.topic848, g.group848)
    try:

        async def joined() -> None:
            client = ClusterClient(adhoc_profile(kafka.bootstrap))
            service = GroupService(client)
            try:

                async def ready():
                    snapshot = await service.refresh([g.share, g.idle_share, g.group848])
                    counts = {s.name: s.member_count for s in snapshot.groups}
                    return counts == {g.share: 2, g.idle_share: 1, g.group848: 1}

                await poll(ready, "the console consumers to join", timeout=180)
                await produce(kafka.bootstrap, g.topic848, {0: 5, 1: 6, 2: 7, 3: 8})

                async def delivered() -> bool:
                    # A share-partition gets its state (start offset) when a
                    # member first fetches from it, at the log end then
                    # (share.auto.offset.reset=latest): records written before
                    # are never delivered.  So write a few, until every
                    # partition has state and nothing is left unacknowledged.
                    await produce(kafka.bootstrap, g.share_topic, {0: 3, 1: 2, 2: 1})
                    for _ in range(10):
                        detail = await service.describe_group(g.share)
                        lags = [r.lag for r in detail.partitions]
                        if len(lags) == 3 and all(lag == 0 for lag in lags):
                            return True
                        await asyncio.sleep(0.5)
                    return False

                await poll(delivered, "the share consumers to acknowledge what was written", timeout=180)
            finally:
                await service.close()
                await client.close()

        asyncio.run(joined())
        members.stop_one(idle)  # the idle share group keeps its state, without members
        yield g
    finally:
        members.stop()
