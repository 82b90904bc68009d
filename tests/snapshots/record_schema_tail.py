"""Record a tail of registry-framed records for the decoded-tail snapshots.

    .venv/bin/python tests/snapshots/record_schema_tail.py [--out DIR]

Starts a real Kafka (DevCluster) and a real schema registry (DevRegistry),
registers two versions of an Avro invoice schema, writes records framed the
way Confluent's serializers frame them (v1 and v2 interleaved, fastavro for
the payloads, plus one record whose schema id the registry does not know),
then reads them back with kview's REAL tail WITHOUT decoding: the raw
records as Kafka holds them.  It also asks the real registry client for each
id met (the schema, and the subjects and versions holding it).  Both go to
``recordings/schema_tail.json``; the snapshot test replays them through the
real RecordDecoder (tests/snapshots/test_snapshot_schema_tail.py), so what
the snapshot shows was decoded by kview from recorded bytes, not recorded
decoded.  The cluster state the rest of the app shows is the main
recording's (record_states.py); this one adds only the topic and the
registry."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import time
from pathlib import Path

import fastavro
from aiokafka import AIOKafkaProducer

from kview.core.config import RegistrySettings, adhoc_profile
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.models import Schema
from kview.core.tail import StartPosition, Tail
from kview.local.cluster import DevCluster
from kview.local.registry import DevRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from snapshot_recording import RECORDINGS, dumps, encode  # noqa: E402

TOPIC = "invoices-avro"
FILE = "schema_tail.json"
INVOICE_V1 = {
    "type": "record",
    "name": "Invoice",
    "namespace": "demo.billing",
    "fields": [
        {"name": "invoice_id", "type": "string"},
        {"name": "customer", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "currency", "type": "string"},
    ],
}
INVOICE_V2 = {
    **INVOICE_V1,
    "fields": [*INVOICE_V1["fields"], {"name": "paid", "type": "boolean", "default": False}],
}
COUNT = 40
UNKNOWN_ID = 4242


def log(text: str) -> None:
    print(f"[record] {text}", flush=True)


def invoice(i: int, version: int) -> dict:
    value = {
        "invoice_id": f"inv-{1000 + i}",
        "customer": f"c-{(i * 7) % 50:04d}",
        "amount": round(12.5 + (i * 37) % 400 + (i % 4) * 0.25, 2),
        "currency": ("EUR", "USD", "GBP")[i % 3],
    }
    if version == 2:
        value["paid"] = i % 3 == 0
    return value


def framed(schema_id: int, schema: dict, value: dict) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return b"\x00" + schema_id.to_bytes(4, "big") + out.getvalue()


async def record(cluster: DevCluster, registry: DevRegistry) -> dict:
    client = RegistryClient(RegistrySettings(urls=(registry.url,)))
    try:
        subject = f"{TOPIC}-value"
        ids = [
            await client.register(subject, Schema("AVRO", json.dumps(INVOICE_V1))),
            await client.register(subject, Schema("AVRO", json.dumps(INVOICE_V2))),
        ]
        log(f"registered {subject}: ids {ids}")
        cluster.run_tool("kafka-topics", "--create", "--topic", TOPIC, "--partitions", "1", "--replication-factor", "1")
        producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, linger_ms=5)
        await producer.start()
        try:
            for i in range(COUNT):
                version = 1 + i % 2
                schema = INVOICE_V1 if version == 1 else INVOICE_V2
                value = framed(ids[version - 1], schema, invoice(i, version))
                if i == COUNT - 3:  # one the registry cannot decode: an unknown id
                    value = framed(UNKNOWN_ID, INVOICE_V1, invoice(i, 1))
                await producer.send_and_wait(TOPIC, value, key=invoice(i, 1)["customer"].encode(), partition=0)
        finally:
            await producer.stop()
        log(f"{COUNT} records written")
        tail = Tail(adhoc_profile(cluster.bootstrap), TOPIC, start=StartPosition.earliest())
        await tail.start()
        try:
            deadline = time.monotonic() + 60
            while tail.ring.seen < COUNT and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            records = list(tail.ring.range())
        finally:
            await tail.stop()
        if len(records) != COUNT:
            raise SystemExit(f"read {len(records)} of {COUNT} records")
        schemas = {i: await client.schema_by_id(i) for i in ids}
        subjects = {i: await client.subject_versions_of(i) for i in ids}
        return {
            "topic": TOPIC,
            "records": records,
            "msgs_per_s": 0.0,
            "bytes_per_s": 0.0,
            "schemas": schemas,
            "subject_versions": subjects,
        }
    finally:
        await client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RECORDINGS)
    args = parser.parse_args()
    with DevCluster(1) as cluster, DevRegistry() as registry:
        part = asyncio.run(record(cluster, registry))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / FILE
    path.write_text(dumps(encode(part)) + "\n", encoding="utf-8")
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
