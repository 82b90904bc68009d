"""How fast kview's tail reads records written with a schema registry, against
a raw aiokafka loop that decodes them itself.

Starts a 1-broker Kafka and a schema registry (kview's own harness), registers
an Avro and a Protobuf schema, and fills one topic per format with records of
about 200 bytes framed for the registry (a 0 byte, the schema id, for
Protobuf the message indexes, then the payload), encoded by kview's
RecordEncoder (2,000 distinct records, cycled; written with confluent-kafka's
librdkafka producer, the fastest on hand).  Then each topic is read whole,
from the beginning, by:

* a raw aiokafka ``getmany()`` loop that decodes every value directly:
  ``fastavro.schemaless_reader`` on the bytes after the 5 framing bytes (the
  schema parsed once; it returns the values as Python data), or the generated
  message class's ``ParseFromString`` (``protoc`` through grpcio-tools) after
  the framing and the message index;
* for Protobuf, a second raw loop: ``ParseFromString``, then every field
  read into a dict by code written for this one message (what fastavro's
  loop gets: the values as Python data; the Timestamp as its seconds and
  nanos, the enum as its number, no JSON conventions);
* for Protobuf, a third raw loop: ``ParseFromString`` then
  ``google.protobuf.json_format.MessageToDict`` (the library's own way to get
  a message's values as Python data, which is what kview shows; with the
  options of kview's mapping: the .proto field names, fields without presence
  shown at their defaults).  Parsing alone leaves the values inside the
  message object, so kview is compared with both, each ratio labelled;
* kview's headless tail pipeline, as bench/tail_throughput.py measures it:
  the Tail consumer with the registry (every value decoded to compact JSON
  before the ring), the Ring, and a substring filter on a decoded field
  (``FAILED``);
* the real app (make_app, headless through App.run_test) tailing the topic
  with the view following and keys pressed, with the key probe and the keys
  of bench/tail_throughput.py except pause and resume: a paused view holds a
  full ring and the records read meanwhile are only counted, not decoded
  (each round's line says how many records a reader read so, if any).

The raw loop and the tail share kview's consumer settings.  Every reader runs
in a process of its own, so each has its own peak RSS and CPU time; rounds
alternate the readers, and the best round of each is compared.

    python bench/schema_tail.py                      # 500,000 records per format, 3 rounds
    python bench/schema_tail.py --records 100000 --rounds 1 --formats avro

Targets: headless tail >= 0.70 of the raw decoding loop; with the app >= 0.50.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from itertools import cycle
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402
from tail_throughput import (  # noqa: E402
    KEY_INTERVAL,
    KEYS,
    KeyProbe,
    MemoryWatch,
    describe_settings,
    follow_pressing_keys,
    partitions_of,
    percentile,
    stop_consumer,
    tail_settings,
    topic_size,
)

from kview.core.cluster import connection_kwargs  # noqa: E402
from kview.core.config import ClusterProfile, RegistrySettings, adhoc_profile  # noqa: E402
from kview.core.tail import DEFAULT_MAX_RECORDS, StartPosition, Tail  # noqa: E402
from kview.core.untrack import GC_WHILE_READING  # noqa: E402
from kview.local.cluster import DevCluster  # noqa: E402
from kview.local.registry import DevRegistry  # noqa: E402

FORMATS = ("avro", "protobuf")
READERS = ("raw", "raw_fields", "raw_dict", "kview", "app")
PEERS = {"avro": ("raw",), "protobuf": ("raw", "raw_fields", "raw_dict")}
"""The raw loops each format is compared with (raw_fields, raw_dict: Protobuf only)."""
LABELS = {
    "raw": "raw aiokafka getmany() + {decoder}",
    "raw_fields": "raw aiokafka getmany() + ParseFromString + fields read",
    "raw_dict": "raw aiokafka getmany() + ParseFromString + MessageToDict",
    "kview": "kview tail (decoding) + ring + filter 'FAILED'",
    "app": "kview app, decoding, following, keys pressed",
}
RAW_DECODER = {"avro": "fastavro.schemaless_reader", "protobuf": "ParseFromString"}
PEER_NAMES = {
    "raw": "raw {decoder}",
    "raw_fields": "raw ParseFromString + fields read",
    "raw_dict": "raw ParseFromString + MessageToDict",
}
APP_KEYS = tuple(key for key in KEYS if key != "space")
"""bench/tail_throughput.py's keys without pause and resume: a paused view
holds a full ring and the records read meanwhile are counted, not decoded,
which would flatter the app's figure here (--keys to choose others)."""
TARGET_HEADLESS = 0.70
TARGET_APP = 0.50
DISTINCT = 2000
"""Distinct records encoded; the topic cycles through them."""

AVRO_SCHEMA = {
    "type": "record",
    "name": "Event",
    "namespace": "kview.bench",
    "fields": [
        {"name": "id", "type": "long"},
        {
            "name": "user",
            "type": {
                "type": "record",
                "name": "User",
                "fields": [{"name": "id", "type": "int"}, {"name": "name", "type": "string"}],
            },
        },
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["OK", "FAILED", "TIMEOUT"]}},
        {"name": "amount", "type": "double"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "referrer", "type": ["null", "string"], "default": None},
        {"name": "note", "type": "string"},
    ],
}

PROTO_FILE = "kview_bench.proto"
PROTO_SCHEMA = """syntax = "proto3";
package kview.bench;

import "google/protobuf/timestamp.proto";

message Event {
  message User {
    int32 id = 1;
    string name = 2;
  }
  enum Status {
    OK = 0;
    FAILED = 1;
    TIMEOUT = 2;
  }
  int64 id = 1;
  User user = 2;
  Status status = 3;
  double amount = 4;
  google.protobuf.Timestamp at = 5;
  optional string referrer = 6;
  string note = 7;
}
"""


def documents(fmt: str, count: int = DISTINCT, seed: int = 7) -> list[dict]:
    """The records' values as JSON documents (the encoder's input), a quarter
    of them FAILED; the note's length is drawn so a framed record is about 200
    bytes."""
    rnd = random.Random(seed)
    docs = []
    for i in range(count):
        at_ms = 1_767_225_600_000 + rnd.randint(0, 86_400_000)
        doc: dict[str, Any] = {
            "id": i,
            "user": {"id": rnd.randint(1, 500), "name": f"user{rnd.randint(1, 9999):04d}"},
            "status": rnd.choice(["OK", "OK", "FAILED", "TIMEOUT"]),
            "amount": round(rnd.random() * 500, 2),
            "referrer": rnd.choice([None, "https://example.com/landing"]),
            "note": "lorem ipsum dolor sit amet " * 4 + "x" * rnd.randint(11, 51),
        }
        if fmt == "avro":
            doc["at"] = at_ms
        else:
            doc["at"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at_ms / 1000)) + f".{at_ms % 1000:03d}Z"
            if doc["referrer"] is None:
                del doc["referrer"]
        docs.append(doc)
    return docs


# -- setting up: schemas, the generated Protobuf class, the topics ------------------------


async def register_and_encode(url: str, fmt: str, subject: str) -> tuple[int, list[bytes]]:
    """Register the format's schema under ``subject``; the framed records
    kview's encoder makes of ``documents(fmt)``."""
    from kview.core.schemas.client import RegistryClient
    from kview.core.schemas.encoder import RecordEncoder
    from kview.core.schemas.models import Schema

    client = RegistryClient(RegistrySettings(urls=(url,)))
    try:
        if fmt == "avro":
            schema_id = await client.register(subject, Schema("AVRO", json.dumps(AVRO_SCHEMA)))
        else:
            schema_id = await client.register(subject, Schema("PROTOBUF", PROTO_SCHEMA))
        encoder = await RecordEncoder.for_subject(client, subject)
        return schema_id, [encoder.encode(doc) for doc in documents(fmt)]
    finally:
        await client.close()


def generate_proto_module(directory: Path) -> str:
    """``protoc --python_out`` (grpcio-tools) on the bench's schema; the module's name."""
    from grpc_tools import protoc

    (directory / PROTO_FILE).write_text(PROTO_SCHEMA)
    include = Path(protoc.__file__).parent / "_proto"
    code = protoc.main(["protoc", f"-I{directory}", f"-I{include}", f"--python_out={directory}", PROTO_FILE])
    if code != 0:
        raise SystemExit(f"protoc failed ({code})")
    return PROTO_FILE.removesuffix(".proto") + "_pb2"


def fill(tools: DevCluster, bootstrap: str, topic: str, values: list[bytes], records: int) -> None:
    from confluent_kafka import Producer

    tools.run_tool(
        "kafka-topics", "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1", timeout=120
    )
    mean = sum(map(len, values)) / len(values)
    print(f"filling {topic}: {records:,} framed records of ~{mean:.0f} bytes ...", flush=True)
    started = time.monotonic()
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 50,
            "batch.size": 524288,
            "queue.buffering.max.messages": 500_000,
            "acks": 1,
        }
    )
    source = cycle(values)
    for i in range(records):
        while True:
            try:
                producer.produce(topic, next(source), key=str(i % 1000).encode())
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    left = producer.flush(120)
    if left:
        raise SystemExit(f"{left} records not delivered to {topic}")
    print(f"  done ({time.monotonic() - started:.0f} s)", flush=True)
    have = topic_size(bootstrap, topic)
    if have != records:
        raise SystemExit(f"topic {topic} holds {have:,} records, expected {records:,}")


# -- the readers (each runs in a child process: --reader NAME) -----------------------------


def registry_profile(bootstrap: str, url: str) -> ClusterProfile:
    return dataclasses.replace(adhoc_profile(bootstrap), schema_registry=RegistrySettings(urls=(url,)))


def raw_decoder(fmt: str, url: str, schema_id: int, proto_dir: str | None, reader: str = "raw") -> Any:
    """A function of a framed value to the decoded object, as a program that
    knows its one schema would write it (``reader`` raw_fields: Protobuf's
    message then read field by field into a dict; raw_dict: turned into
    Python data by json_format.MessageToDict)."""
    if fmt == "avro":
        import fastavro

        with urllib_open(f"{url}/schemas/ids/{schema_id}") as response:
            parsed = fastavro.parse_schema(json.loads(json.loads(response.read())["schema"]))
        reader = fastavro.schemaless_reader
        BytesIO = io.BytesIO

        def decode_avro(value: bytes) -> Any:
            return reader(BytesIO(value[5:]), parsed, None)

        return decode_avro
    assert proto_dir is not None
    sys.path.insert(0, proto_dir)
    event_class = importlib.import_module(PROTO_FILE.removesuffix(".proto") + "_pb2").Event

    def decode_proto(value: bytes) -> Any:
        message = event_class()
        # 5 framing bytes, then the message indexes: one 0 byte for the first message.
        message.ParseFromString(value[6:])
        return message

    if reader == "raw":
        return decode_proto
    if reader == "raw_fields":
        parse = event_class.FromString

        def decode_proto_fields(value: bytes) -> Any:
            m = parse(value[6:])
            user, at = m.user, m.at
            return {
                "id": m.id,
                "user": {"id": user.id, "name": user.name},
                "status": m.status,
                "amount": m.amount,
                "at": (at.seconds, at.nanos),
                "referrer": m.referrer if m.HasField("referrer") else None,
                "note": m.note,
            }

        return decode_proto_fields
    from google.protobuf.json_format import MessageToDict

    def decode_proto_dict(value: bytes) -> Any:
        message = event_class()
        message.ParseFromString(value[6:])
        return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)

    return decode_proto_dict


def urllib_open(url: str) -> Any:
    import urllib.request

    return urllib.request.urlopen(url, timeout=10)


async def read_raw(bootstrap: str, topic: str, records: int, decode: Any) -> dict:
    profile = adhoc_profile(bootstrap)
    started = time.monotonic()
    consumer = AIOKafkaConsumer(**connection_kwargs(profile), **tail_settings())
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await partitions_of(consumer, topic)]
        consumer.assign(tps)
        for tp, offset in (await consumer.beginning_offsets(tps)).items():
            consumer.seek(tp, offset)
        seen = 0
        getmany = consumer.getmany
        last: Any = None
        while seen < records:
            data = await getmany(timeout_ms=200, max_records=DEFAULT_MAX_RECORDS)
            for messages in data.values():
                for message in messages:
                    last = decode(message.value)
                seen += len(messages)
        assert last is not None
        return {"records": seen, "seconds": time.monotonic() - started}
    finally:
        await stop_consumer(consumer)


async def read_kview(bootstrap: str, url: str, topic: str, records: int) -> dict:
    from kview.core.schemas.client import RegistryClient

    # What ``kview tail`` does around its Tail (the app's tail pane does the same).
    GC_WHILE_READING.acquire()
    done = asyncio.Event()
    started = time.monotonic()
    registry = RegistryClient(RegistrySettings(urls=(url,)))
    tail = Tail(adhoc_profile(bootstrap), topic, start=StartPosition.earliest(), filter="FAILED", registry=registry)
    watch = MemoryWatch(tail, records)
    finished: list[float] = []

    def on_batch(batch: Any) -> None:
        watch.sample()
        if not finished and tail.seen >= records:
            finished.append(time.monotonic())
            done.set()

    tail.on_batch = on_batch
    await tail.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=3600)
        stats = tail.stats()
        newest = (tail.ring.tail(1) or [None])[0]
        return {
            "records": stats.seen,
            "seconds": finished[0] - started,
            "kept": stats.kept,
            "skipped": stats.skipped,
            "matched_in_ring": stats.matched,
            "decoded": getattr(newest, "value_schema", None) is not None,
            "problem": getattr(newest, "value_problem", None),
            **watch.result(),
        }
    finally:
        await tail.stop()
        await registry.close()


async def read_app(
    bootstrap: str, url: str, topic: str, records: int, key_interval: float, keys: tuple[str, ...]
) -> dict:
    """The real app on a profile with the registry, headless, tailing from the
    beginning with the view following while keys are sent (as
    bench/tail_throughput.py's app reader)."""
    from kview.app import make_app
    from kview.core.config import Config
    from kview.ui.panes.tail import TailPane

    os.environ["KVIEW_STATE_DIR"] = tempfile.mkdtemp(prefix="kview-bench-state-")
    app = make_app(Config(), registry_profile(bootstrap, url))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        probe = KeyProbe(app)
        probe.install()
        pane = await app.show_pane("tail")
        assert isinstance(pane, TailPane)
        run = await follow_pressing_keys(pilot, probe, pane, topic, records, keys, key_interval)
        newest = (run.tail.ring.tail(1) or [None])[0]
    return {
        "records": run.stats.seen,
        "seconds": run.seconds,
        "kept": run.stats.kept,
        "skipped": run.stats.skipped,
        "decoded": getattr(newest, "value_schema", None) is not None,
        "problem": getattr(newest, "value_problem", None),
        **run.memory,
        **run.timings,
    }


def run_reader(args: argparse.Namespace) -> dict:
    cpu_before = time.process_time()
    if args.reader in ("raw", "raw_fields", "raw_dict"):
        decode = raw_decoder(args.format, args.registry, args.schema_id, args.proto_dir, args.reader)
        result = asyncio.run(read_raw(args.bootstrap, args.topic, args.records, decode))
    elif args.reader == "kview":
        result = asyncio.run(read_kview(args.bootstrap, args.registry, args.topic, args.records))
    elif args.reader == "app":
        keys = tuple(k for k in args.keys.split(",") if k)
        result = asyncio.run(read_app(args.bootstrap, args.registry, args.topic, args.records, args.key_interval, keys))
    else:
        raise SystemExit(f"unknown reader {args.reader}")
    result["cpu"] = time.process_time() - cpu_before
    result["rss_mib"] = peak_rss_mib()
    return result


def peak_rss_mib() -> float:
    """This process's peak resident memory: the kernel's high-water mark of
    its own address space (VmHWM).  Not getrusage's ru_maxrss, which after a
    fork and exec also counts the parent's memory at the fork (the parent
    here has just filled the topics)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the parent ----------------------------------------------------------------------------


def measure(name: str, fmt: str, setup: dict, records: int, key_interval: float, keys: str) -> dict | None:
    limit = 120 + records / 1000
    argv = [
        sys.executable,
        __file__,
        "--reader",
        name,
        "--format",
        fmt,
        "--bootstrap",
        setup["bootstrap"],
        "--registry",
        setup["registry"],
        "--topic",
        setup["topics"][fmt],
        "--schema-id",
        str(setup["ids"][fmt]),
        "--records",
        str(records),
        "--key-interval",
        str(key_interval),
        "--keys",
        keys,
    ]
    if setup.get("proto_dir"):
        argv += ["--proto-dir", setup["proto_dir"]]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        print(f"  {fmt} {name}: no result within {limit:.0f} s; skipped", flush=True)
        return None
    if proc.returncode != 0:
        print(f"  {fmt} {name}: failed: {proc.stderr[-1500:]}", flush=True)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def label(name: str, fmt: str) -> str:
    return LABELS[name].format(decoder=RAW_DECODER[fmt])


def round_line(n: int, fmt: str, name: str, result: dict) -> str:
    rate = result["records"] / result["seconds"]
    line = (
        f"round {n}: {fmt:<8} {label(name, fmt):<56} {rate:>9,.0f} records/s ({result['seconds']:.1f} s, "
        f"{result['cpu']:.1f} CPU-s, peak RSS {result['rss_mib']:.0f} MiB"
    )
    if "decoded" in result:
        line += "; newest record decoded" if result["decoded"] else f"; NOT DECODED: {result.get('problem')}"
    if result.get("skipped"):
        # A paused view (the keys pause and resume it) holds a full ring: the
        # records read meanwhile are counted, not decoded.
        line += f"; {result['skipped']:,} read while paused, not decoded"
    if "key_ms" in result:
        line += f"; keys p99 {percentile(result['key_ms'], 0.99):.0f} ms"
    load = os.getloadavg()
    return line + f"; load {load[0]:.1f})"


def report(results: dict[tuple[str, str], list[dict]], records: int) -> None:
    def rate(r: dict) -> float:
        return r["records"] / r["seconds"]

    def cpu_rate(r: dict) -> float:
        return r["records"] / max(r["cpu"], 1e-9)

    print()
    print(f"best round of each, {records:,} records per format; consumer settings: {describe_settings()}")
    print(
        f"{'format':<8} {'reader':<56} {'records/s':>10} {'vs raw':>6}   {'rec/CPU-s':>10} {'vs raw':>6}   "
        f"{'peak RSS':>9}"
    )
    verdicts = []
    for fmt in FORMATS:
        # Each peer's best rates; the table's "vs raw" columns are against the
        # first (the decoder alone), the verdicts name every peer.
        peers = {}
        for peer in PEERS[fmt]:
            runs = results.get((fmt, peer))
            if runs:
                peers[peer] = (max(map(rate, runs)), max(map(cpu_rate, runs)))
        raw_rate, raw_cpu = peers.get("raw", (None, None))
        for name in READERS:
            runs = results.get((fmt, name))
            if not runs:
                continue
            best, best_cpu = max(map(rate, runs)), max(map(cpu_rate, runs))
            ratio = f"{best / raw_rate:.2f}" if raw_rate else "-"
            ratio_cpu = f"{best_cpu / raw_cpu:.2f}" if raw_cpu else "-"
            peak = max(run["rss_mib"] for run in runs)
            print(
                f"{fmt:<8} {label(name, fmt):<56} {best:>10,.0f} {ratio:>6}   {best_cpu:>10,.0f} {ratio_cpu:>6}   "
                f"{peak:>5.0f} MiB"
            )
            target = {"kview": TARGET_HEADLESS, "app": TARGET_APP}.get(name)
            if target is None:
                continue
            for peer, (peer_rate, peer_cpu) in peers.items():
                verdicts.append(
                    f"{fmt} {'headless tail' if name == 'kview' else 'app tailing'} / "
                    f"{PEER_NAMES[peer].format(decoder=RAW_DECODER[fmt])} = {best / peer_rate:.2f} "
                    f"by the wall clock ({best_cpu / peer_cpu:.2f} per CPU-second): "
                    f"{'meets' if best / peer_rate >= target else 'MISSES'} the {target:.2f} target"
                )
    print()
    for line in verdicts:
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500_000, help="records per format (default 500,000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset of avro, protobuf")
    parser.add_argument(
        "--readers",
        default=",".join(READERS),
        help="comma-separated subset of raw, raw_fields and raw_dict (Protobuf only), kview, app",
    )
    parser.add_argument("--key-interval", type=float, default=KEY_INTERVAL)
    parser.add_argument(
        "--keys",
        default=",".join(APP_KEYS),
        help="comma-separated keys the app reader cycles through (default: bench/tail_throughput.py's without pause)",
    )
    # internal: run one reader in this process
    for flag in ("--reader", "--format", "--bootstrap", "--registry", "--topic", "--proto-dir"):
        parser.add_argument(flag, help=argparse.SUPPRESS)
    parser.add_argument("--schema-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reader:
        print(json.dumps(run_reader(args)))
        return 0

    formats = [f for f in args.formats.split(",") if f]
    readers = [r for r in args.readers.split(",") if r]
    if set(formats) - set(FORMATS) or set(readers) - set(READERS):
        raise SystemExit(f"formats: {', '.join(FORMATS)}; readers: {', '.join(READERS)}")
    print("starting a 1-broker Kafka cluster and a schema registry ...", flush=True)
    with DevCluster(1) as cluster, DevRegistry() as registry, tempfile.TemporaryDirectory() as proto_dir:
        suffix = uuid.uuid4().hex[:6]
        setup: dict[str, Any] = {
            "bootstrap": cluster.bootstrap,
            "registry": registry.url,
            "topics": {},
            "ids": {},
            "proto_dir": None,
        }
        for fmt in formats:
            topic = f"bench-{fmt}-{suffix}"
            schema_id, values = asyncio.run(register_and_encode(registry.url, fmt, f"{topic}-value"))
            if fmt == "protobuf":
                generate_proto_module(Path(proto_dir))
                setup["proto_dir"] = proto_dir
            setup["topics"][fmt], setup["ids"][fmt] = topic, schema_id
            fill(cluster, cluster.bootstrap, topic, values, args.records)
        results: dict[tuple[str, str], list[dict]] = {(f, r): [] for f in formats for r in readers}
        for n in range(1, args.rounds + 1):
            for fmt in formats:
                for name in readers:
                    if name in ("raw_fields", "raw_dict") and name not in PEERS[fmt]:
                        continue
                    result = measure(name, fmt, setup, args.records, args.key_interval, args.keys)
                    if result is None:
                        continue
                    results[(fmt, name)].append(result)
                    print(round_line(n, fmt, name, result), flush=True)
        report(results, args.records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
