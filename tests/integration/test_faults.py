"""Fault suite on the three-broker cluster: the leader of a tailed partition is
killed while records keep arriving, then restarted.  The tail keeps going and
sees every record exactly once (compared with the partitions' offsets), and the
lag refresh of a group reading the topic recovers too."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaProducer
from kafka_tools import parse_get_offsets, parse_topics_describe

from kview.core.cluster import ClusterClient
from kview.core.config import ClusterProfile
from kview.core.groups import GroupService
from kview.core.tail import StartPosition, Tail


async def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.5)


async def test_leader_killed_during_tail_and_lag_refresh(kafka3):
    topic = f"faults-{uuid.uuid4().hex[:6]}"
    group = f"faults-group-{uuid.uuid4().hex[:6]}"
    kafka3.run_tool(
        "kafka-topics",
        "--create",
        "--topic",
        topic,
        "--partitions",
        "3",
        "--replication-factor",
        "3",
        "--config",
        "min.insync.replicas=2",
    )
    profile = ClusterProfile(name="three", bootstrap=tuple(kafka3.bootstrap.split(",")), request_timeout_ms=5000)
    leader = parse_topics_describe(kafka3.run_tool("kafka-topics", "--describe", "--topic", topic).stdout)[
        (topic, 0)
    ].leader

    producer = AIOKafkaProducer(bootstrap_servers=kafka3.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    stop_producing = asyncio.Event()
    sent = 0

    async def produce_steadily() -> None:
        nonlocal sent
        while not stop_producing.is_set():
            await producer.send_and_wait(topic, b"record-%d" % sent, partition=sent % 3)
            sent += 1
            await asyncio.sleep(0.01)

    tail = Tail(profile, topic, start=StartPosition.earliest(), poll_timeout_ms=200)
    client = ClusterClient(profile)
    groups = GroupService(client)
    writer = asyncio.create_task(produce_steadily())
    await tail.start()
    try:
        await _until(lambda: _true(tail.ring.seen >= 50), 60, "records before the fault")
        await groups.commit_offsets(group, {(topic, p): 0 for p in range(3)})
        before = await groups.refresh([group])
        assert before.group(group) is not None

        await asyncio.to_thread(kafka3.stop_broker, leader, kill=True)
        seen_at_kill = tail.ring.seen
        # Records keep flowing through the new leaders while the old one is down.
        await _until(lambda: _true(tail.ring.seen > seen_at_kill + 50), 90, "records after the kill")
        during = await groups.refresh([group])
        assert during.group(group).total_lag > 0

        await asyncio.to_thread(kafka3.start_broker, leader)
        await asyncio.to_thread(kafka3.wait_ready, 120)
        stop_producing.set()
        await writer
        high = parse_get_offsets(kafka3.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-1").stdout)
        assert sum(high.values()) == sent

        async def caught_up() -> bool:
            return all(tail.positions.get(p, 0) >= high[(topic, p)] for p in range(3))

        await _until(caught_up, 90, "the tail to reach the end offsets")
        after = await groups.refresh([group])
        assert after.group(group).total_lag == sent
    finally:
        stop_producing.set()
        if not writer.done():
            writer.cancel()
        await tail.stop()
        await producer.stop()
        await groups.close()
        await client.close()
        if not kafka3.broker(leader).running:
            await asyncio.to_thread(kafka3.start_broker, leader)

    # Nothing lost, nothing twice: per partition the offsets seen are exactly 0..high-1.
    records = tail.ring.range()
    assert len(records) == sent
    for partition in range(3):
        offsets = [r.offset for r in records if r.partition == partition]
        assert offsets == list(range(high[(topic, partition)])), f"partition {partition}"
    assert sorted(r.value for r in records) == sorted(b"record-%d" % i for i in range(sent))


async def _true(value: bool) -> bool:
    return value
