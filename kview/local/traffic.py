"""Demo traffic for ``kview demo``: sample topics, a steady producer and
consumer groups in three conditions (keeping up, falling behind, stopped);
a transactional writer (some of its transactions aborted) with a
read_committed group behind it;
with a schema registry, also topics whose values are written with registered
schemas (Avro with two interleaved versions, Protobuf with nested messages
and an imported file, JSON Schema), encoded by kview's own encoder.

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
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kview.core.config import RegistrySettings
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.encoder import RecordEncoder
from kview.core.schemas.models import Schema, SchemaReference

log = logging.getLogger(__name__)

LEDGER_TOPIC = "ledger"
LEDGER_TRANSACTIONAL_ID = "kview-demo-ledger"
LEDGER_ABORTS = 8
"""One ledger transaction in this many is aborted."""

DEMO_USER = "demo-app"
"""A SCRAM user the demo creates with ``seed_access`` (its password random, never shown)."""
DEMO_QUOTAS = (
    # (entity, quota key, value): what the Access pane's quotas show on the demo
    ((("user", DEMO_USER),), "producer_byte_rate", 2_097_152.0),
    ((("client-id", "demo-analytics"),), "consumer_byte_rate", 1_048_576.0),
)

TOPICS = {
    # name: (partitions, configs)
    "orders": (6, {}),
    "payments": (4, {}),
    "customers": (3, {"cleanup.policy": "compact", "segment.ms": "60000"}),
    "sensor-frames": (3, {"compression.type": "producer"}),
    LEDGER_TOPIC: (3, {}),
}

SCHEMA_TOPICS = {
    # name: (partitions, schema type); values by the topic's `<topic>-value` subject
    "invoices-avro": (3, "AVRO"),
    "shipments-proto": (3, "PROTOBUF"),
    "clicks-json": (2, "JSON"),
}
"""The topics written with registered schemas (only with a registry)."""

SCHEMA_SHARE = 0.2
"""The schema topics' rate, as a share of the demo's rate (on top of it)."""

_DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}

INVOICE_V1 = {
    "type": "record",
    "name": "Invoice",
    "namespace": "kview.demo",
    "fields": [
        {"name": "invoice_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "customer", "type": "string"},
        {"name": "amount", "type": _DECIMAL},
        {"name": "status", "type": {"type": "enum", "name": "InvoiceStatus", "symbols": ["OPEN", "PAID", "VOID"]}},
    ],
}
INVOICE_V2 = {
    **INVOICE_V1,
    "fields": [
        *INVOICE_V1["fields"],
        # Added with defaults, so v2 reads v1's records (BACKWARD compatible).
        {"name": "issued_at", "type": {"type": "long", "logicalType": "timestamp-millis"}, "default": 0},
        {"name": "coupon", "type": ["null", "string"], "default": None},
    ],
}
"""The Avro value schema's two versions; the demo writes both, interleaved."""

COMMON_PROTO_NAME = "kview/demo/common.proto"
COMMON_PROTO_SUBJECT = "kview-demo-common"
COMMON_PROTO = """syntax = "proto3";
package kview.demo;

message Money {
  string currency = 1;
  int64 units = 2;
  int32 cents = 3;
}

message Address {
  string street = 1;
  string city = 2;
  string country = 3;
}
"""
"""Imported by the shipment schema, registered under a subject of its own."""

SHIPMENT_PROTO = """syntax = "proto3";
package kview.demo;

import "kview/demo/common.proto";
import "google/protobuf/timestamp.proto";

// First in the file, so a Shipment's message indexes are [1], not the short [0].
message Parcel {
  string parcel_id = 1;
  double weight_kg = 2;
}

message Shipment {
  enum Carrier {
    CARRIER_UNSPECIFIED = 0;
    POSTAL = 1;
    COURIER = 2;
    FREIGHT = 3;
  }
  message Item {
    string sku = 1;
    uint32 quantity = 2;
    Money price = 3;
  }
  string shipment_id = 1;
  Address destination = 2;
  repeated Item items = 3;
  Carrier carrier = 4;
  google.protobuf.Timestamp shipped_at = 5;
  oneof tracking {
    string tracking_code = 6;
    bool untracked = 7;
  }
}
"""
SHIPMENT_MESSAGE = "kview.demo.Shipment"

CLICK_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Click",
    "type": "object",
    "properties": {
        "session": {"type": "string"},
        "page": {"type": "string"},
        "duration_ms": {"type": "integer", "minimum": 0},
        "referrer": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["session", "page", "duration_ms"],
    "additionalProperties": False,
}

AUDIT_STOPS_AFTER = 25.0
"""Seconds the ``audit`` group reads before it stops (a test makes it shorter)."""

GROUPS = {
    "billing": "keeps up with orders and payments",
    "analytics": "reads orders more slowly than they arrive, so its lag grows",
    "audit": "read payments for a while, then stopped",
}


def value_subject(topic: str) -> str:
    """The subject of a topic's values (Confluent's TopicNameStrategy)."""
    return f"{topic}-value"


class SchemaTraffic:
    """Registers the demo's schemas and makes records for the schema topics,
    framed by kview's encoder with the ids the registry gave."""

    def __init__(self, registry_url: str) -> None:
        self.client = RegistryClient(RegistrySettings(urls=(registry_url,)))
        self.ids: dict[str, list[int]] = {}
        """Per subject, the ids registered (the Avro subject has two)."""
        self._invoices: list[RecordEncoder] = []
        self._shipments: RecordEncoder | None = None
        self._clicks: RecordEncoder | None = None

    async def setup(self) -> None:
        client = self.client
        invoices = value_subject("invoices-avro")
        # Apicurio's default is NONE; BACKWARD shows that v2 was checked.
        await client.set_compatibility(invoices, "BACKWARD")
        self.ids[invoices] = [
            await client.register(invoices, Schema("AVRO", json.dumps(INVOICE_V1))),
            await client.register(invoices, Schema("AVRO", json.dumps(INVOICE_V2))),
        ]
        self.ids[COMMON_PROTO_SUBJECT] = [await client.register(COMMON_PROTO_SUBJECT, Schema("PROTOBUF", COMMON_PROTO))]
        common_version = (await client.version(COMMON_PROTO_SUBJECT, "latest")).version
        shipments = value_subject("shipments-proto")
        reference = SchemaReference(COMMON_PROTO_NAME, COMMON_PROTO_SUBJECT, common_version)
        self.ids[shipments] = [
            await client.register(shipments, Schema("PROTOBUF", SHIPMENT_PROTO, references=(reference,)))
        ]
        clicks = value_subject("clicks-json")
        self.ids[clicks] = [await client.register(clicks, Schema("JSON", json.dumps(CLICK_SCHEMA)))]

        self._invoices = [await RecordEncoder.for_subject(client, invoices, version) for version in (1, 2)]
        self._shipments = await RecordEncoder.for_subject(client, shipments, message=SHIPMENT_MESSAGE)
        self._clicks = await RecordEncoder.for_subject(client, clicks)

    async def close(self) -> None:
        await self.client.close()

    def record(self) -> tuple[str, bytes, bytes]:
        """One record for one of the schema topics: (topic, key, framed value)."""
        assert self._shipments is not None and self._clicks is not None
        customer = f"c-{random.randint(1, 200):04d}"
        roll = random.random()
        if roll < 0.4:
            version = random.randint(1, 2)
            invoice: dict[str, Any] = {
                "invoice_id": str(uuid.uuid4()),
                "customer": customer,
                "amount": str(Decimal(random.randint(100, 99_999)) / 100),
                "status": random.choice(["OPEN", "PAID", "VOID"]),
            }
            if version == 2:
                invoice["issued_at"] = int(time.time() * 1000)
                invoice["coupon"] = random.choice([None, "WELCOME10", "SPRING"])
            return "invoices-avro", customer.encode(), self._invoices[version - 1].encode(invoice)
        if roll < 0.7:
            shipment: dict[str, Any] = {
                "shipment_id": f"s-{uuid.uuid4().hex[:12]}",
                "destination": {
                    "street": f"{random.randint(1, 200)} {random.choice(['High St', 'Station Rd', 'Mill Lane'])}",
                    "city": random.choice(["Leeds", "Lyon", "Porto", "Graz"]),
                    "country": random.choice(["GB", "FR", "PT", "AT"]),
                },
                "items": [
                    {
                        "sku": f"SKU-{random.randint(1000, 9999)}",
                        "quantity": random.randint(1, 5),
                        "price": {"currency": "EUR", "units": random.randint(1, 300), "cents": random.randint(0, 99)},
                    }
                    for _ in range(random.randint(1, 3))
                ],
                "carrier": random.choice(["POSTAL", "COURIER", "FREIGHT"]),
                "shipped_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            if random.random() < 0.8:
                shipment["tracking_code"] = f"TRK{random.randint(10**8, 10**9 - 1)}"
            else:
                shipment["untracked"] = True
            return "shipments-proto", customer.encode(), self._shipments.encode(shipment)
        click: dict[str, Any] = {
            "session": uuid.uuid4().hex[:16],
            "page": random.choice(["/", "/pricing", "/docs", "/signup", "/blog/kafka"]),
            "duration_ms": random.randint(50, 30_000),
            "referrer": random.choice([None, "https://example.com/", "https://search.example/?q=kafka"]),
            "tags": random.sample(["mobile", "desktop", "returning", "campaign"], k=random.randint(0, 2)),
        }
        return "clicks-json", customer.encode(), self._clicks.encode(click)


class DemoTraffic:
    """Creates the demo topics and keeps traffic and consumers running; with
    ``registry_url``, also the schema topics (see :class:`SchemaTraffic`)."""

    def __init__(
        self,
        bootstrap: str,
        rate: float = 50.0,
        replication: int = 1,
        audit_stops_after: float = AUDIT_STOPS_AFTER,
        registry_url: str | None = None,
        seed_access: bool = False,
    ) -> None:
        self.bootstrap = bootstrap
        self.seed_access = seed_access
        """Create DEMO_USER and DEMO_QUOTAS first: for the demo's own cluster,
        not for a cluster shared with other work (they stay when the traffic stops)."""
        self.rate = rate
        self.replication = replication
        self.audit_stops_after = audit_stops_after
        self.registry_url = registry_url
        self.schemas: SchemaTraffic | None = None
        self.schema_error: Exception | None = None
        """Why the schema topics get no traffic, if setting them up failed."""
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
        if self.registry_url is not None:
            self.schemas = SchemaTraffic(self.registry_url)
        try:
            await self._create_topics()
            if self.seed_access:
                await self._seed_access()
            if self.schemas is not None:
                try:
                    await self.schemas.setup()
                except Exception as exc:
                    # The rest of the demo goes on without the schema topics'
                    # traffic; the reason is in kview's log.
                    log.warning("demo: the schema topics get no traffic: %s", exc, exc_info=True)
                    self.schema_error = exc
                    await self.schemas.close()
                    self.schemas = None
            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=20, compression_type="lz4")
            await producer.start()
            try:
                # Give the groups (and the tails) something to read before they start.
                await self._produce_batch(producer, 200)
                if self.schemas is not None:
                    for _ in range(60):
                        await self._send_schema_record(producer)
                tasks = [
                    asyncio.create_task(self._produce_forever(producer)),
                    asyncio.create_task(self._consume("billing", ["orders", "payments"], None)),
                    asyncio.create_task(self._consume("analytics", ["orders"], self.rate * 0.4)),
                    asyncio.create_task(self._consume("audit", ["payments"], None, stop_after=self.audit_stops_after)),
                    asyncio.create_task(self._write_ledger_forever()),
                    asyncio.create_task(self._consume("reconciliation", ["ledger"], None, read_committed=True)),
                ]
                if self.schemas is not None:
                    tasks.append(asyncio.create_task(self._produce_schemas_forever(producer)))
                self.ready.set()
                await self._stopping.wait()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            finally:
                await producer.stop()
        finally:
            if self.schemas is not None:
                await self.schemas.close()

    async def _create_topics(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = dict(TOPICS)
            if self.registry_url is not None:
                wanted.update({name: (parts, {}) for name, (parts, _type) in SCHEMA_TOPICS.items()})
            new = [
                NewTopic(name, parts, self.replication, topic_configs=configs)
                for name, (parts, configs) in wanted.items()
                if name not in existing
            ]
            if new:
                await admin.create_topics(new)
        finally:
            await admin.close()

    async def _seed_access(self) -> None:
        """A SCRAM user and two client quotas, so the Access pane has some to
        show (the demo's broker has no authorizer: no ACLs).  A failure is
        logged and the demo goes on."""
        from kview.core.access.service import AccessService
        from kview.core.cluster import ClusterClient
        from kview.core.config import Secret, adhoc_profile

        client = ClusterClient(adhoc_profile(self.bootstrap))
        try:
            await client.start()
            service = AccessService(client)
            await service.set_password(DEMO_USER, Secret(uuid.uuid4().hex))
            for entity, key, value in DEMO_QUOTAS:
                await service.set_quota(entity, key, value)
        except Exception as exc:
            log.warning("demo: no SCRAM user or quotas: %s", exc, exc_info=True)
        finally:
            await client.close()

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

    async def _send_schema_record(self, producer: AIOKafkaProducer) -> None:
        assert self.schemas is not None
        topic, key, value = self.schemas.record()
        await producer.send(topic, value, key=key)

    async def _produce_schemas_forever(self, producer: AIOKafkaProducer) -> None:
        interval = 1.0 / max(1.0, self.rate * SCHEMA_SHARE)
        next_at = time.monotonic()
        while True:
            await self._send_schema_record(producer)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _write_ledger_forever(self) -> None:
        """A transaction of 1 to 4 ledger entries about once a second, one in
        LEDGER_ABORTS aborted: the Transactions pane's transactional id, and
        aborted records and markers that the read_committed group steps over."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, transactional_id=LEDGER_TRANSACTIONAL_ID)
        try:
            await producer.start()
            number = 0
            while True:
                number += 1
                await producer.begin_transaction()
                try:
                    for _ in range(random.randint(1, 4)):
                        account = f"acct-{random.randint(1, 40):03d}"
                        delta = round(random.uniform(-200, 200), 2)
                        entry = {"transaction": number, "account": account, "delta": delta}
                        await producer.send(LEDGER_TOPIC, json.dumps(entry).encode(), key=account.encode())
                except BaseException:
                    # Stopped (or failed) half-way: abort, so no transaction is left
                    # open to hold the ledger's last stable offset until it times out.
                    await producer.abort_transaction()
                    raise
                if number % LEDGER_ABORTS == 0:
                    await producer.abort_transaction()
                else:
                    await producer.commit_transaction()
                await asyncio.sleep(1.0)
        except Exception as exc:
            # The rest of the demo goes on without the ledger's transactions.
            log.warning("demo: the ledger gets no transactions: %s", exc, exc_info=True)
        finally:
            await producer.stop()

    async def _consume(
        self,
        group: str,
        topics: list[str],
        rate: float | None,
        stop_after: float | None = None,
        *,
        read_committed: bool = False,
    ) -> None:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            client_id=f"demo-{group}",
            isolation_level="read_committed" if read_committed else "read_uncommitted",
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
