"""Demo traffic for ``kview demo``: sample topics, a steady producer and
consumer groups in three conditions (keeping up, falling behind, stopped).

Runs in its own thread with its own event loop, so the UI's loop never
carries the demo's load."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import threading
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

log = logging.getLogger(__name__)

TOPICS = {
    # name: (partitions, configs)
    "orders": (6, {}),
    "payments": (4, {}),
    "customers": (3, {"cleanup.policy": "compact", "segment.ms": "60000"}),
    "sensor-frames": (3, {"compression.type": "producer"}),
}

AUDIT_STOPS_AFTER = 25.0
"""Seconds the ``audit`` group reads before it stops (a test makes it shorter)."""

GROUPS = {
    "billing": "keeps up with orders and payments",
    "analytics": "reads orders more slowly than they arrive, so its lag grows",
    "audit": "read payments for a while, then stopped",
}


class DemoTraffic:
    """Creates the demo topics and keeps traffic and consumers running."""

    def __init__(
        self, bootstrap: str, rate: float = 50.0, replication: int = 1, audit_stops_after: float = AUDIT_STOPS_AFTER
    ) -> None:
        self.bootstrap = bootstrap
        self.rate = rate
        self.replication = replication
        self.audit_stops_after = audit_stops_after
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="kview-demo", daemon=True)
        self._stopping: asyncio.Event | None = None
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def start(self, timeout: float = 60) -> None:
        self._thread.start()
        if not self.ready.wait(timeout):
            raise RuntimeError("demo traffic did not start")
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=20)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the starting thread
            self.error = exc
            self.ready.set()
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        await self._create_topics()
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=20, compression_type="lz4")
        await producer.start()
        # Give the groups something to read before they start.
        await self._produce_batch(producer, 200)
        tasks = [
            asyncio.create_task(self._produce_forever(producer)),
            asyncio.create_task(self._consume("billing", ["orders", "payments"], None)),
            asyncio.create_task(self._consume("analytics", ["orders"], self.rate * 0.4)),
            asyncio.create_task(self._consume("audit", ["payments"], None, stop_after=self.audit_stops_after)),
        ]
        self.ready.set()
        await self._stopping.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()

    async def _create_topics(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            new = [
                NewTopic(name, parts, self.replication, topic_configs=configs)
                for name, (parts, configs) in TOPICS.items()
                if name not in existing
            ]
            if new:
                await admin.create_topics(new)
        finally:
            await admin.close()

    async def _produce_batch(self, producer: AIOKafkaProducer, count: int) -> None:
        for _ in range(count):
            await self._send_one(producer)

    async def _send_one(self, producer: AIOKafkaProducer) -> None:
        roll = random.random()
        customer = f"c-{random.randint(1, 200):04d}"
        if roll < 0.55:
            event = {
                "order_id": str(uuid.uuid4()),
                "customer": customer,
                "status": random.choice(["NEW", "PAID", "SHIPPED", "FAILED", "TIMEOUT"]),
                "amount": round(random.uniform(1, 500), 2),
                "ts": time.time(),
            }
            await producer.send(
                "orders",
                json.dumps(event).encode(),
                key=customer.encode(),
                headers=[("source", b"demo"), ("schema", b"order.v1")],
            )
        elif roll < 0.85:
            payment = {
                "payment_id": str(uuid.uuid4()),
                "customer": customer,
                "amount": round(random.uniform(1, 500), 2),
                "method": random.choice(["card", "iban"]),
            }
            await producer.send("payments", json.dumps(payment).encode(), key=customer.encode())
        elif roll < 0.95:
            profile = {"customer": customer, "tier": random.choice(["free", "pro", "enterprise"])}
            value = None if random.random() < 0.05 else json.dumps(profile).encode()
            await producer.send("customers", value, key=customer.encode())
        else:
            await producer.send("sensor-frames", os.urandom(random.randint(16, 256)))

    async def _produce_forever(self, producer: AIOKafkaProducer) -> None:
        interval = 1.0 / self.rate
        next_at = time.monotonic()
        while True:
            await self._send_one(producer)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _consume(
        self, group: str, topics: list[str], rate: float | None, stop_after: float | None = None
    ) -> None:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            client_id=f"demo-{group}",
        )
        await consumer.start()
        started = time.monotonic()
        try:
            while stop_after is None or time.monotonic() - started < stop_after:
                limit = max(1, int(rate)) if rate else 500
                batches = await consumer.getmany(timeout_ms=500, max_records=limit)
                if any(batches.values()):
                    await consumer.commit()
                if rate:
                    await asyncio.sleep(1.0)
        finally:
            await consumer.stop()
