"""The tail decoding registry-framed records: the real broker, the real
registry (Apicurio, started by the harness), records written the way a
Confluent serializer frames them (a 0 byte, the 4-byte schema id, the
payload) with fastavro and the registry's REST API directly, so nothing of
kview's own encoding is needed to make them.

What must hold: decoded values equal what was written, and the raw bytes the
tail keeps equal the bytes produced (the topic's end offset per Kafka's
kafka-get-offsets counts every record); the schema that decoded
each value is the one registered; filters see decoded fields; export keeps
the decoded JSON and, asked, the raw bytes, which read back exactly; and bad
input (unknown id, truncated payload, a 0 byte that is not framing, a
registry that is unreachable, slow, or goes away mid-tail) leaves that record
raw with a one-line reason while the others decode and the tail runs on.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import subprocess
import sys
import time

import fastavro
import pytest
from aiokafka import AIOKafkaProducer
from registry_tools import framed, register, unique

from kview.core.config import RegistrySettings, adhoc_profile
from kview.core.export import export_jsonl, read_jsonl
from kview.core.filters import parse_filter
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.decoder import RecordDecoder, raw_value
from kview.core.tail import RUNNING, StartPosition, Tail
from kview.headless.schema import SCHEMAS
from kview.local.cluster import free_port
from kview.local.registry import DevRegistry

pytestmark = pytest.mark.timeout(300)

PAYMENT = {
    "type": "record",
    "name": "Payment",
    "namespace": "kview.test",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "amount", "type": "double"},
        {"name": "currency", "type": "string"},
    ],
}
CURRENCIES = ("EUR", "USD", "JPY")
UNKNOWN_ID = 2_000_000_007
"""A schema id no registry of these tests hands out (they count from 1)."""


# -- writing framed records without kview -------------------------------------------------


def avro_payload(schema: dict, value: dict) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return out.getvalue()


def payments(first: int, count: int) -> list[dict]:
    return [
        {"id": i, "amount": round(2.5 * (i % 17), 1), "currency": CURRENCIES[i % len(CURRENCIES)]}
        for i in range(first, first + count)
    ]


async def produce(bootstrap: str, topic: str, values: list[bytes | None], keys: list[bytes | None] | None = None):
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        keys = keys or [None] * len(values)
        futures = [
            await producer.send(topic, value, key=key, partition=0) for key, value in zip(keys, values, strict=True)
        ]
        for future in futures:
            await future
    finally:
        await producer.stop()


def create_topic(kafka, name: str) -> None:
    kafka.run_tool("kafka-topics", "--create", "--topic", name, "--partitions", "1", "--replication-factor", "1")


def end_offset(kafka, topic: str) -> int:
    """The partition's end offset per Kafka's own kafka-get-offsets."""
    out = kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-1").stdout
    return sum(int(line.rsplit(":", 1)[1]) for line in out.split() if line.startswith(f"{topic}:"))


async def read_all(tail: Tail, count: int, timeout: float = 60.0) -> list:
    """Run ``tail`` until its ring holds ``count`` records (bounded)."""
    await tail.start()
    deadline = time.monotonic() + timeout
    try:
        while tail.ring.seen < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the tail read {tail.ring.seen} of {count} records ({tail.status.message})")
            await asyncio.sleep(0.05)
    finally:
        await tail.stop()
    return tail.ring.range()


def read_jsonl_value(doc: dict) -> bytes | None:
    """A line's value as bytes, per its value_encoding (the export format)."""
    if doc["value"] is None:
        return None
    if doc["value_encoding"] == "base64":
        return base64.b64decode(doc["value"])
    return doc["value"].encode()


def settings(url: str, timeout: float = 5.0) -> RegistrySettings:
    return RegistrySettings(urls=(url,), timeout=timeout)


def one_line(text: str | None) -> bool:
    return bool(text) and "\n" not in text and len(text) < 300


# -- decoding -----------------------------------------------------------------------------


async def test_avro_values_decode_with_the_registered_schema_and_bad_ones_stay_raw(kafka, registry, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    subject = f"{topic}-value"
    schema_id = register(registry.url, subject, unique(PAYMENT, topic))
    written = payments(0, 40)
    good = [framed(schema_id, avro_payload(PAYMENT, v)) for v in written[:20]]
    truncated = framed(schema_id, avro_payload(PAYMENT, written[20])[:3])
    bad = [
        framed(UNKNOWN_ID, avro_payload(PAYMENT, written[20])),  # offset 20: an id the registry does not know
        truncated,  # 21: cut inside the double
        b"\x00\x01",  # 22: a 0 byte, but too short to be framing
        b'{"amount": 99.5, "currency": "plain"}',  # 23: plain JSON, nothing framed
        None,  # 24: a tombstone
    ]
    late = [framed(schema_id, avro_payload(PAYMENT, v)) for v in written[20:40]]
    values = good + bad + late
    await produce(kafka.bootstrap, topic, values, keys=[f"k{i}".encode() for i in range(len(values))])
    assert end_offset(kafka, topic) == len(values)

    seen: dict = {}
    client = RegistryClient(settings(registry.url))
    try:
        tail = Tail(
            adhoc_profile(kafka.bootstrap),
            topic,
            start=StartPosition.earliest(),
            registry=client,
            schemas_seen=seen,
        )
        records = await read_all(tail, len(values))
        assert tail.status.state in (RUNNING, "stopped") and tail.decode_failures == 0
    finally:
        await client.close()

    assert [r.offset for r in records] == list(range(len(values)))
    # The raw bytes are exactly what was produced, decoded or not.
    assert [raw_value(r) for r in records] == values
    decoded_offsets = list(range(20)) + list(range(25, 45))
    expected = written[:20] + written[20:40]
    for record, value in zip([records[o] for o in decoded_offsets], expected, strict=True):
        assert json.loads(record.value) == value
        assert record.value_problem is None
        info = record.value_schema
        assert (info.schema_id, info.type, info.subject, info.version) == (schema_id, "AVRO", subject, 1)
        # Keys are plain text: nothing framed, nothing decoded.
        assert record.key == f"k{record.offset}".encode() and record.key_schema is None
    for offset in (20, 21, 22):
        record = records[offset]
        assert record.value == values[offset], "an undecodable value stays as its bytes"
        assert one_line(record.value_problem), (offset, record.value_problem)
    assert str(UNKNOWN_ID) in records[20].value_problem and records[20].value_schema is None
    # Truncated: the schema is known (and said), the bytes do not fit it.
    assert records[21].value_schema.schema_id == schema_id
    # Plain JSON and the tombstone come through as they are.
    assert records[23].value == values[23] and getattr(records[23], "value_problem", None) is None
    assert records[24].value is None and getattr(records[24], "value_problem", None) is None
    # The ids the tail met, for the topic detail.
    assert set(seen) == {schema_id}
    assert seen[schema_id].subject == subject


async def test_filters_work_on_decoded_fields(kafka, registry, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    schema_id = register(registry.url, f"{topic}-value", unique(PAYMENT, topic))
    written = payments(100, 60)
    values = [framed(schema_id, avro_payload(PAYMENT, v)) for v in written]
    await produce(kafka.bootstrap, topic, values)
    client = RegistryClient(settings(registry.url))
    try:
        tail = Tail(adhoc_profile(kafka.bootstrap), topic, start=StartPosition.earliest(), registry=client)
        records = await read_all(tail, len(values))
    finally:
        await client.close()

    def matching(expression: str) -> list[int]:
        match = parse_filter(expression)
        one_by_one = [r.offset for r in records if match(r)]
        assert [records[i].offset for i in match.select(records)] == one_by_one  # the batch form agrees
        return one_by_one

    # JSON predicates on decoded fields, compared with the values written.
    assert matching(".amount > 10") == [i for i, v in enumerate(written) if v["amount"] > 10]
    assert matching('.currency == "JPY"') == [i for i, v in enumerate(written) if v["currency"] == "JPY"]
    assert matching('.currency in ["EUR", "USD"] and .id >= 130') == [
        i for i, v in enumerate(written) if v["currency"] in ("EUR", "USD") and v["id"] >= 130
    ]
    # A regex over the decoded JSON text (the raw Avro bytes hold no field names).
    assert matching('/"id": ?1[45]\\d,/') == [i for i, v in enumerate(written) if 140 <= v["id"] <= 159]
    # Substring: a decoded number (Avro writes a double as 8 binary bytes, not its digits).
    assert matching("value:37.5") == [i for i, v in enumerate(written) if v["amount"] == 37.5]
    assert matching(".amount > 10")  # not vacuous


async def test_export_keeps_decoded_json_and_the_raw_bytes_read_back_exactly(kafka, registry, unique_name, tmp_path):
    topic = unique_name
    create_topic(kafka, topic)
    subject = f"{topic}-value"
    schema_id = register(registry.url, subject, unique(PAYMENT, topic))
    written = payments(0, 10)
    values = [framed(schema_id, avro_payload(PAYMENT, v)) for v in written] + [framed(UNKNOWN_ID, b"\x02")]
    await produce(kafka.bootstrap, topic, values, keys=[b"key-%d" % i for i in range(len(values))])
    client = RegistryClient(settings(registry.url))
    try:
        decoded = await read_all(
            Tail(adhoc_profile(kafka.bootstrap), topic, start=StartPosition.earliest(), registry=client), len(values)
        )
    finally:
        await client.close()
    # The same records read without a registry: what Kafka holds.
    plain = await read_all(Tail(adhoc_profile(kafka.bootstrap), topic, start=StartPosition.earliest()), len(values))
    assert [r.value for r in plain] == values

    with_raw = tmp_path / "raw.jsonl"
    assert export_jsonl(decoded, with_raw, raw=True) == len(values)
    lines = [json.loads(line) for line in with_raw.read_text().splitlines()]
    for line, value in zip(lines, written, strict=False):
        assert json.loads(line["value"]) == value
        assert line["value_schema"] == {
            "id": schema_id,
            "type": "AVRO",
            "subject": subject,
            "version": 1,
            "message": None,
        }
        assert line["value_problem"] is None
    assert [base64.b64decode(line["value_raw"]) for line in lines] == values
    assert lines[-1]["value_schema"] is None and one_line(lines[-1]["value_problem"])
    # Read back: the bytes Kafka held, so re-producing them is faithful.
    assert read_jsonl(with_raw) == plain

    without_raw = tmp_path / "decoded.jsonl"
    export_jsonl(decoded, without_raw)
    lines = [json.loads(line) for line in without_raw.read_text().splitlines()]
    assert "value_raw" not in lines[0] and json.loads(lines[0]["value"]) == written[0]
    # Without the raw bytes a decoded line gives back its JSON text (documented in kview.core.export).
    back = read_jsonl(without_raw)
    assert [json.loads(r.value) for r in back[:-1]] == written
    assert back[-1].value == values[-1]  # not decoded: its bytes were written as they are


async def test_a_schema_the_library_cannot_parse_leaves_its_records_raw(kafka, registry, unique_name):
    # The registry accepts a decimal whose scale exceeds its precision;
    # fastavro refuses to parse it.  Its records stay raw with the reason,
    # the records of a good schema around them decode.
    topic = unique_name
    create_topic(kafka, topic)
    broken = {
        "type": "record",
        "name": "Broken",
        "fields": [{"name": "a", "type": {"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 5}}],
    }
    broken_id = register(registry.url, f"{topic}-broken", unique(broken, topic))
    good_id = register(registry.url, f"{topic}-value", unique(PAYMENT, topic))
    written = payments(0, 4)
    values = [
        framed(good_id, avro_payload(PAYMENT, written[0])),
        framed(broken_id, b"\x02\x01"),
        framed(good_id, avro_payload(PAYMENT, written[1])),
        framed(broken_id, b"\x02\x02"),
        framed(good_id, avro_payload(PAYMENT, written[2])),
    ]
    await produce(kafka.bootstrap, topic, values)
    client = RegistryClient(settings(registry.url))
    try:
        tail = Tail(adhoc_profile(kafka.bootstrap), topic, start=StartPosition.earliest(), registry=client)
        records = await read_all(tail, len(values))
    finally:
        await client.close()
    assert [json.loads(records[i].value) for i in (0, 2, 4)] == written[:3]
    for i in (1, 3):
        assert records[i].value == values[i]
        assert one_line(records[i].value_problem), records[i].value_problem
        # Which schema could not be used is said with the problem.
        assert records[i].value_schema is None or records[i].value_schema.schema_id == broken_id


# -- bad registries ------------------------------------------------------------------------


async def test_an_unreachable_registry_leaves_records_raw_and_the_tail_running(kafka, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    values = [framed(1, b"\x02\x04") for _ in range(5)] + [b"plain text"]
    await produce(kafka.bootstrap, topic, values)
    client = RegistryClient(settings(f"http://127.0.0.1:{free_port()}/apis/ccompat/v7", timeout=2.0))
    try:
        tail = Tail(adhoc_profile(kafka.bootstrap), topic, start=StartPosition.earliest(), registry=client)
        records = await read_all(tail, len(values))
        assert client.status.state == "unreachable"
    finally:
        await client.close()
    assert [raw_value(r) for r in records] == values
    assert all(one_line(r.value_problem) for r in records[:5])
    assert records[5].value == b"plain text"


async def test_a_registry_that_never_answers_does_not_stall_the_tail(kafka, unique_name):
    # A socket that accepts connections and never answers: the decoder's
    # bounded wait must let every batch through, raw, with a reason.
    topic = unique_name
    create_topic(kafka, topic)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        port = silent.getsockname()[1]
        client = RegistryClient(settings(f"http://127.0.0.1:{port}/apis/ccompat/v7", timeout=30.0))
        decoder = RecordDecoder(client, wait=0.5)
        try:
            tail = Tail(adhoc_profile(kafka.bootstrap), topic, start=StartPosition.earliest(), decoder=decoder)
            await tail.start()
            try:
                await produce(kafka.bootstrap, topic, [framed(3, b"\x02")] * 3)
                deadline = time.monotonic() + 60
                while tail.ring.seen < 3:
                    assert time.monotonic() < deadline, tail.status.message
                    await asyncio.sleep(0.05)
                # More records keep coming through while the registry stays silent.
                await produce(kafka.bootstrap, topic, [b"after"] * 2)
                while tail.ring.seen < 5:
                    assert time.monotonic() < deadline, tail.status.message
                    await asyncio.sleep(0.05)
                records = tail.ring.range()
            finally:
                await tail.stop()
        finally:
            await client.close()
    assert all(one_line(r.value_problem) and r.value == framed(3, b"\x02") for r in records[:3])
    assert [r.value for r in records[3:]] == [b"after", b"after"]


async def test_the_registry_going_away_mid_tail_leaves_new_ids_raw_and_the_tail_running(kafka, unique_name):
    # A registry of this test's own (the session's must stay up): stopped
    # while the tail runs.  Ids fetched before decode from the cache; a new id
    # stays raw with a reason; the tail goes on.
    topic = unique_name
    create_topic(kafka, topic)
    with DevRegistry() as own:
        first_id = register(own.url, f"{topic}-value", unique(PAYMENT, topic))
        other = dict(PAYMENT, name="Refund")
        second_id = register(own.url, f"{topic}-refund", unique(other, topic))
        client = RegistryClient(settings(own.url, timeout=2.0))
        try:
            tail = Tail(adhoc_profile(kafka.bootstrap), topic, start=StartPosition.earliest(), registry=client)
            await tail.start()
            before = payments(0, 5)
            await produce(kafka.bootstrap, topic, [framed(first_id, avro_payload(PAYMENT, v)) for v in before])
            deadline = time.monotonic() + 60
            while tail.ring.seen < 5:
                assert time.monotonic() < deadline, tail.status.message
                await asyncio.sleep(0.05)
            own.stop()
            after = payments(5, 3)
            await produce(
                kafka.bootstrap,
                topic,
                [framed(first_id, avro_payload(PAYMENT, after[0])), framed(second_id, avro_payload(other, after[1]))]
                + [framed(first_id, avro_payload(PAYMENT, after[2]))],
            )
            while tail.ring.seen < 8:
                assert time.monotonic() < deadline, tail.status.message
                await asyncio.sleep(0.05)
            records = tail.ring.range()
            assert tail.status.state == RUNNING
            await tail.stop()
        finally:
            await client.close()
    assert [json.loads(r.value) for r in records[:5]] == before
    assert json.loads(records[5].value) == after[0] and json.loads(records[7].value) == after[2]
    assert records[6].value_schema is None and one_line(records[6].value_problem)
    assert records[6].value == framed(second_id, avro_payload(other, after[1]))


# -- headless ------------------------------------------------------------------------------


def kview(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


async def test_headless_tail_prints_decoded_lines_and_json(kafka, registry, unique_name):
    import jsonschema

    topic = unique_name
    create_topic(kafka, topic)
    subject = f"{topic}-value"
    schema_id = register(registry.url, subject, unique(PAYMENT, topic))
    written = payments(7, 4)
    values = [framed(schema_id, avro_payload(PAYMENT, v)) for v in written] + [framed(UNKNOWN_ID, b"\x02")]
    await produce(kafka.bootstrap, topic, values)
    common = ("tail", topic, "--bootstrap", kafka.bootstrap, "--schema-registry", registry.url)

    result = kview(*common)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(values), (result.stdout, result.stderr)
    for line, value in zip(lines, written, strict=False):
        shown = json.loads(line[line.index("{") :])
        assert shown == value
    assert "[value not decoded:" in lines[-1] and str(UNKNOWN_ID) in lines[-1]

    result = kview(*common, "--json", "--raw")
    assert result.returncode == 0, result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    validator = jsonschema.Draft202012Validator(SCHEMAS["tail"])
    for doc in docs:
        validator.validate(doc)
    assert [json.loads(d["value"]) for d in docs[:-1]] == written
    assert {d["value_schema"]["id"] for d in docs[:-1]} == {schema_id}
    assert {(d["value_schema"]["subject"], d["value_schema"]["version"]) for d in docs[:-1]} == {(subject, 1)}
    assert [base64.b64decode(d["value_raw"]) for d in docs] == values
    assert docs[-1]["value_schema"] is None and one_line(docs[-1]["value_problem"])

    # --value-decoding none: the bytes as they are, nothing decoded.
    result = kview(*common, "--json", "--value-decoding", "none")
    assert result.returncode == 0, result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [read_jsonl_value(d) for d in docs] == values
    assert all(d["value_schema"] is None and d["value_problem"] is None for d in docs)

    # A filter on a decoded field.
    result = kview(*common, "--json", "--filter", ".amount >= 20")
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [json.loads(d["value"]) for d in docs] == [v for v in written if v["amount"] >= 20]


async def test_headless_tail_with_an_unreachable_registry_prints_raw_lines_and_says_why(kafka, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    values = [framed(5, b"\x02\x04"), b"plain"]
    await produce(kafka.bootstrap, topic, values)
    closed = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
    result = kview("tail", topic, "--bootstrap", kafka.bootstrap, "--schema-registry", closed)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "[value not decoded:" in lines[0] and lines[1].endswith("plain")
    # Said once (one line on stderr), not per record.
    assert "schema registry unreachable" in result.stderr and len(result.stderr.splitlines()) == 1
