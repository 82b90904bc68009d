"""Record the cluster state the snapshot tests replay.

    .venv/bin/python tests/snapshots/record_states.py [--out DIR] [--only-registry]

Starts a real three-broker Kafka (kview's DevCluster), builds a state with
something in every column: topics with several partitions and replication
factors, a compacted topic with tombstones, a topic of binary values, records
with headers; consumer groups that keep up, fall behind and have stopped;
then one broker stopped, so partitions are under-replicated and one is
offline.  A schema registry (the harness's Apicurio) gets subjects of every
type bound to the topics (``--only-registry`` records that part alone).  It
calls kview's REAL services on them (the same calls the panes make) and
writes what they returned to ``recordings/*.json``.  One thing differs from
the app's defaults: the groups' status window is WINDOW seconds, not five
minutes, so that a stopped and a stalled group show as such after a short
recording.  The snapshot tests replay those files and never need Kafka.

Re-record when a service's data model changes (the replay would fail to
load) or the state should show something new; then regenerate the SVGs with
``pytest tests/snapshots --snapshot-update`` and look at them."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.groups import GroupService, ResetSpec
from kview.core.lag import LagTracker
from kview.core.produce import ComposedMessage, ValueFormat
from kview.core.services import ClusterServices
from kview.core.tail import StartPosition
from kview.local.cluster import DevCluster

sys.path.insert(0, str(Path(__file__).resolve().parent))
from snapshot_recording import RECORDINGS, save  # noqa: E402

TOPICS = {
    # name: (partitions, replication factor, configs)
    "orders": (6, 3, {"retention.ms": "604800000", "min.insync.replicas": "2"}),
    "payments": (3, 2, {}),
    "customers": (3, 3, {"cleanup.policy": "compact", "segment.ms": "60000", "min.cleanable.dirty.ratio": "0.01"}),
    "sensor-frames": (2, 2, {"compression.type": "zstd"}),
    "legacy-events": (3, 1, {}),
}
GROUPS = ("billing", "analytics", "audit", "reports")
"""billing keeps up, analytics falls behind, audit read for a while and
stopped, reports is connected but stopped committing."""
WINDOW = 15.0
"""Seconds of the groups' status window (the app's is 300)."""
TAIL_TOPICS = ("orders", "customers", "sensor-frames", "payments")
TAIL_LAST = 12
"""Records per partition kept for the tail (the tail pane starts at the last N)."""
STOPPED_BROKER = 3
RATE = 25.0
"""Records per second the producer sends while the groups are watched."""


def log(text: str) -> None:
    print(f"[record] {text}", flush=True)


class RecordingServices(ClusterServices):
    """The real services, with the short status window."""

    def new_groups(self) -> GroupService:
        return GroupService(self.client, LagTracker(window=WINDOW))


class Traffic:
    """A steady, seeded producer and the three groups' consumers."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.random = random.Random(8)
        self.count = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.producer: AIOKafkaProducer | None = None
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=5, acks="all")
        await self.producer.start()
        for _ in range(400):
            await self.send_one()
        await self.producer.flush()

    async def send_one(self) -> None:
        assert self.producer is not None
        rnd, n = self.random, self.count
        self.count += 1
        customer = f"c-{rnd.randint(1, 40):04d}"
        roll = n % 20
        if roll < 11:
            order = {
                "order_id": f"o-{n:06d}",
                "customer": customer,
                "status": rnd.choice(["NEW", "PAID", "SHIPPED", "FAILED"]),
                "amount": round(rnd.uniform(1, 500), 2),
                "items": rnd.randint(1, 5),
            }
            headers = [("source", b"checkout"), ("schema", b"order.v1"), ("trace", rnd.randbytes(4))]
            await self.producer.send("orders", json.dumps(order).encode(), key=customer.encode(), headers=headers)
        elif roll < 16:
            payment = {
                "payment_id": f"p-{n:06d}",
                "customer": customer,
                "amount": round(rnd.uniform(1, 500), 2),
                "method": rnd.choice(["card", "iban"]),
            }
            await self.producer.send("payments", json.dumps(payment).encode(), key=customer.encode())
        elif roll < 18:
            tombstone = roll == 17 and n % 3 == 0
            profile = {"customer": customer, "tier": rnd.choice(["free", "pro", "enterprise"])}
            await self.producer.send(
                "customers", None if tombstone else json.dumps(profile).encode(), key=customer.encode()
            )
        elif roll == 18:
            await self.producer.send(
                "sensor-frames", rnd.randbytes(rnd.randint(24, 96)), key=f"sensor-{n % 7}".encode()
            )
        else:
            await self.producer.send("legacy-events", f"event {n} at {time.time():.0f}".encode())

    def run(self) -> None:
        self.tasks = [
            asyncio.create_task(self._produce()),
            asyncio.create_task(self._consume("billing", ["orders", "payments"], None)),
            asyncio.create_task(self._consume("analytics", ["orders"], 4)),
            asyncio.create_task(self._consume("audit", ["payments", "customers"], None, stop_after=4.0)),
            asyncio.create_task(self._consume("reports", ["payments"], None, commit_for=3.0)),
        ]

    async def _produce(self) -> None:
        next_at = time.monotonic()
        while True:
            if not self.flowing.is_set():
                await self.flowing.wait()
                next_at = time.monotonic()
            await self.send_one()
            next_at += 1.0 / RATE
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _consume(
        self,
        group: str,
        topics: list[str],
        per_second: int | None,
        stop_after: float | None = None,
        commit_for: float | None = None,
    ) -> None:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            client_id=f"{group}-worker",
        )
        await consumer.start()
        started = time.monotonic()
        try:
            while stop_after is None or time.monotonic() - started < stop_after:
                batches = await consumer.getmany(timeout_ms=300, max_records=per_second or 500)
                committing = commit_for is None or time.monotonic() - started < commit_for
                if any(batches.values()) and committing:
                    await consumer.commit()
                if per_second:
                    await asyncio.sleep(1.0)
        finally:
            await consumer.stop()

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.producer is not None:
            await self.producer.stop()


async def record_tail(services: ClusterServices, topic: str) -> dict:
    """The last TAIL_LAST records of each partition, as the real tail read them."""
    tail = services.tail(topic, start=StartPosition.last(TAIL_LAST))
    await tail.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            if tail.ring.kept and tail.status.state == "running":
                await asyncio.sleep(1.0)  # the rest of the batches
                break
        stats = tail.stats()
        records = list(tail.ring.range())
    finally:
        await tail.stop()
    log(f"tail {topic}: {len(records)} records")
    return {"records": records, "msgs_per_s": round(stats.msgs_per_s, 1), "bytes_per_s": round(stats.bytes_per_s, 1)}


async def record(cluster: DevCluster) -> dict:
    profile = adhoc_profile(cluster.bootstrap)
    client = ClusterClient(profile)
    await client.start()
    services = RecordingServices(client)
    traffic = Traffic(cluster.bootstrap)
    try:
        for name, (partitions, rf, configs) in TOPICS.items():
            await services.topics.create_topic(name, partitions, rf, configs)
        log("topics created")
        await traffic.start()
        traffic.run()
        groups, topics = services.groups, services.topics
        # Watch the groups for a while: the lag history, rates and trends
        # are made of successive refreshes.
        for _ in range(12):
            await asyncio.sleep(2.0)
            await groups.refresh()
            await topics.topics(include_internal=True)
        log("groups watched")
        cluster.stop_broker(STOPPED_BROKER)
        log(f"broker {STOPPED_BROKER} stopped")
        # A whole status window after the stop, so the statuses describe
        # the groups, not the hiccup.
        for _ in range(int(WINDOW / 2) + 2):
            await asyncio.sleep(2.0)
            await groups.refresh()
            await topics.topics(include_internal=True)
        for name in TOPICS:
            await topics.topic_detail(name)  # the first sample, for the rates
        await asyncio.sleep(2.0)

        # The state: every service call the panes make, in quick succession.
        parts: dict[str, dict] = {}
        snapshot = await services.snapshot()
        parts["cluster"] = {"bootstrap": cluster.bootstrap, "snapshot": snapshot}
        parts["topics"] = {
            "topics": await topics.topics(include_internal=True),
            "details": {name: await topics.topic_detail(name) for name in TOPICS},
            "configs": {name: await topics.topic_configs(name) for name in TOPICS},
        }
        # The groups with the producer held: billing has read everything
        # (OK, lag 0) instead of the few records of its last poll, which
        # could read as a growing lag.
        traffic.flowing.clear()
        await asyncio.sleep(2.0)
        groups_snapshot = await groups.refresh()
        parts["groups"] = {
            "groups": groups_snapshot,
            "with_partitions": await groups.refresh(with_partitions=True),
            "details": {name: await groups.describe_group(name) for name in GROUPS},
            "reset_previews": {
                name: [{"spec": ResetSpec("earliest"), "rows": await groups.preview_reset(name, ResetSpec("earliest"))}]
                for name in GROUPS
            },
        }
        traffic.flowing.set()
        brokers = services.brokers
        brokers_snapshot = await brokers.brokers()
        parts["brokers"] = {
            "brokers": brokers_snapshot,
            "configs": {
                str(b.node_id): await brokers.broker_configs(b.node_id) for b in brokers_snapshot.brokers if b.online
            },
        }
        parts["tail"] = {name: await record_tail(services, name) for name in TAIL_TOPICS}
        producer = services.new_producer()
        try:
            await producer.send(
                ComposedMessage(
                    "orders",
                    "c-0042",
                    '{"order_id": "o-manual", "status": "PAID"}',
                    (("source", "kview"),),
                    None,
                    ValueFormat.JSON,
                )
            )
            await producer.send(ComposedMessage("customers", "c-0007", None))
            await producer.send(ComposedMessage("payments", None, "retry 17", partition=1))
            parts["producer"] = {"history": list(producer.history.entries)}
        finally:
            await producer.close()
        parts["cluster"]["recorded_at"] = time.time()
        return parts
    finally:
        await traffic.stop()
        await services.close()
        await client.close()


# -- the schema registry -----------------------------------------------------------------

ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "demo.orders",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer", "type": "string"},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]}},
        {"name": "amount", "type": "double"},
    ],
}
ORDER_V2 = {
    **ORDER_V1,
    "fields": [
        *ORDER_V1["fields"],
        {"name": "items", "type": "int", "default": 1},
        {"name": "currency", "type": "string", "default": "EUR"},
    ],
}
MONEY_PROTO = (
    'syntax = "proto3";\npackage demo.common;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n'
)
PAYMENT_PROTO = (
    'syntax = "proto3";\npackage demo.payments;\n\nimport "demo/common/money.proto";\n\n'
    "message Payment {\n  string payment_id = 1;\n  string customer = 2;\n  demo.common.Money amount = 3;\n"
    "  enum Method { CARD = 0; IBAN = 1; }\n  Method method = 4;\n}\n"
)
CUSTOMER_JSON = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Customer",
    "type": "object",
    "properties": {"customer": {"type": "string"}, "tier": {"enum": ["free", "pro", "enterprise"]}},
    "required": ["customer"],
}


async def record_registry(url: str) -> dict:
    """Subjects of every type, an Avro one with two versions (BACKWARD), a
    Protobuf one importing another, a JSON Schema one; then what kview's real
    registry client answers about them: the summaries, every version, each
    subject's compatibility level."""
    from kview.core.config import RegistrySettings
    from kview.core.schemas.client import RegistryClient
    from kview.core.schemas.models import Schema, SchemaReference

    client = RegistryClient(RegistrySettings(urls=(url,)))
    try:
        await client.register("orders-key", Schema("AVRO", json.dumps("string")))
        await client.register("orders-value", Schema("AVRO", json.dumps(ORDER_V1)))
        await client.register("orders-value", Schema("AVRO", json.dumps(ORDER_V2)))
        await client.set_compatibility("orders-value", "FULL_TRANSITIVE")
        await client.register("demo-common-money", Schema("PROTOBUF", MONEY_PROTO))
        money = SchemaReference("demo/common/money.proto", "demo-common-money", 1)
        await client.register("payments-value", Schema("PROTOBUF", PAYMENT_PROTO, (money,)))
        await client.register("customers-value", Schema("JSON", json.dumps(CUSTOMER_JSON)))
        await client.set_compatibility("customers-value", "NONE")
        summaries = await client.summaries()
        versions = {}
        for summary in summaries:
            numbers = await client.versions(summary.subject)
            versions[summary.subject] = [await client.version(summary.subject, n) for n in numbers]
        return {
            "url": url,
            "global_compatibility": await client.compatibility(None),
            "summaries": summaries,
            "versions": versions,
            "compatibility": {s.subject: await client.compatibility(s.subject) for s in summaries},
        }
    finally:
        await client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RECORDINGS, help="directory of the recording")
    parser.add_argument(
        "--only-registry",
        action="store_true",
        help="record only the schema registry's part (registry.json), on a registry of its own",
    )
    args = parser.parse_args()
    from kview.local.registry import DevRegistry

    with DevRegistry() as registry:
        log(f"registry up at {registry.url}")
        registry_part = asyncio.run(record_registry(registry.url))
    if args.only_registry:
        for path in save({"registry": registry_part}, args.out):
            print(path)
        return 0
    with DevCluster(3) as cluster:
        log(f"cluster up at {cluster.bootstrap}")
        parts = asyncio.run(record(cluster))
    parts["registry"] = registry_part
    for path in save(parts, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
