"""What the reassignment tests share: a topic with records on chosen
brokers, waiting for a state with a bound, and Kafka's tools' views of
replicas, reassignments and throttles."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiokafka import AIOKafkaProducer
from kafka_tools import ToolPartition, parse_topics_describe

_T = TypeVar("_T")


async def make_topic(cluster, name: str, assignment: list[tuple[int, ...]], *, records: int = 0, size: int = 10_000):
    """``name`` with one partition per entry of ``assignment`` (its replicas,
    as kafka-topics --replica-assignment), ``records`` records of ``size``
    bytes spread over the partitions."""
    spec = ",".join(":".join(str(b) for b in replicas) for replicas in assignment)
    await asyncio.to_thread(cluster.run_tool, "kafka-topics", "--create", "--topic", name, "--replica-assignment", spec)
    await wait_for(
        lambda: described(cluster, name),
        lambda rows: len(rows) == len(assignment) and all(r.leader >= 0 for r in rows.values()),
        what=f"{name} to have leaders",
    )
    if records:
        producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, acks=1, max_request_size=2_000_000)
        await producer.start()
        try:
            value = b"x" * size
            sends = [await producer.send(name, value, partition=i % len(assignment)) for i in range(records)]
            await asyncio.gather(*sends)
        finally:
            await producer.stop()


async def wait_for(
    fetch: Callable[[], Awaitable[_T]], done: Callable[[_T], bool], *, what: str, timeout: float = 120.0
) -> _T:
    """Poll ``fetch`` until ``done`` holds (at most ``timeout`` s, then fail naming ``what``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}; last seen: {value!r}")
        await asyncio.sleep(0.5)


async def described(cluster, topic: str | None = None) -> dict[tuple[str, int], ToolPartition]:
    """``kafka-topics --describe`` rows (of ``topic``, or of every topic)."""
    args = ["--describe"] + (["--topic", topic] if topic else [])
    out = (await asyncio.to_thread(cluster.run_tool, "kafka-topics", *args)).stdout
    return parse_topics_describe(out)


async def tool_reassignments(cluster) -> dict[tuple[str, int], dict[str, tuple[int, ...]]]:
    """``kafka-reassign-partitions --list``: per partition its replicas, adding and removing."""
    out = (await asyncio.to_thread(cluster.run_tool, "kafka-reassign-partitions", "--list")).stdout
    found = {}
    for line in out.splitlines():
        match = re.match(r"(.+)-(\d+): replicas: ([\d,]*)\.(?: adding: ([\d,]*)\.)?(?: removing: ([\d,]*)\.)?", line)
        if match:
            ids = [tuple(int(x) for x in (g or "").split(",") if x) for g in match.groups()[2:]]
            found[(match.group(1), int(match.group(2)))] = dict(
                zip(("replicas", "adding", "removing"), ids, strict=True)
            )
    return found


async def verify(cluster, plan_file: str) -> str:
    """``kafka-reassign-partitions --verify`` of a plan file, its output."""
    result = await asyncio.to_thread(
        cluster.run_tool, "kafka-reassign-partitions", "--verify", "--reassignment-json-file", plan_file
    )
    return result.stdout


async def dynamic_configs(cluster, entity_type: str, name: str) -> dict[str, str]:
    """The dynamic configs ``kafka-configs --describe`` lists for one entity."""
    out = (
        await asyncio.to_thread(
            cluster.run_tool, "kafka-configs", "--describe", "--entity-type", entity_type, "--entity-name", name
        )
    ).stdout
    return dict(re.findall(r"^\s+([\w.]+)=(\S*) sensitive=", out, re.MULTILINE))


async def log_dir_sizes(cluster, topic: str) -> dict[tuple[int, int], int]:
    """(partition, broker) -> size, from ``kafka-log-dirs --describe``."""
    out = (await asyncio.to_thread(cluster.run_tool, "kafka-log-dirs", "--describe", "--topic-list", topic)).stdout
    doc = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    sizes = {}
    for broker in doc["brokers"]:
        for log_dir in broker["logDirs"]:
            for p in log_dir["partitions"]:
                name, _, index = p["partition"].rpartition("-")
                if name == topic and not p["isFuture"]:
                    sizes[(int(index), broker["broker"])] = p["size"]
    return sizes
