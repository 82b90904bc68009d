"""How fast kview find scans a topic for a substring, against kcat | grep -F and
a raw aiokafka loop, on the same topic in the same run.

Fills a topic (PARTITIONS partitions) with JSON records of about 200 bytes
(Kafka's kafka-producer-perf-test with a payload file, as
bench/tail_throughput.py does), then reads the whole topic looking for a
needle, with:

* ``kcat -C -b ... -t ... -o beginning -e -q | grep -F -c NEEDLE`` (librdkafka
  and grep, C: the goal);
* the same with librdkafka told not to pause (KCAT_UNPAUSED).  By default it
  stops fetching a partition whose local queue holds queued.min.messages
  (100,000 records) or queued.max.messages.kbytes (64 MB), and waits
  fetch.error.backoff.ms (500 ms) after some fetches, so the default pipeline
  spends most of its wall clock waiting (its CPU-seconds are a quarter to a
  half of it).  Only the three settings together remove the waits: on the
  2,000,000 records here one or two of them took 1.8-4.6 s, all three 1.2-1.3 s;
* a raw aiokafka ``getmany()`` loop over every partition that tests
  ``NEEDLE in value`` for each record (kview's tail consumer settings);
* kview find (kview.core.find.Finder: raw Fetch requests, the batches
  searched as bytes, only batches holding the needle decoded), with the
  filter ``"NEEDLE"``; its answer (matches and records read per partition)
  is checked against the watermarks and against kcat | grep's count.

Three needles: one in no record (the whole topic read to prove "not found"),
one in about 1 record in 2,000 (a user name that appears in one payload line
of 2,000), and one in a quarter of the records (``"status":"FAILED"``),
where nearly every record must be decoded and the byte search cannot help.
Each reader runs in its own process; rounds alternate the readers so all
see the same load; the best round of each is compared.
kview's and the raw loop's times run from before they connect to their last
record; kcat | grep's is the whole pipeline's wall time.

    python bench/find_scan.py                        # own 1-broker cluster, 2,000,000 records
    python bench/find_scan.py --records 200000 --rounds 1
    python bench/find_scan.py --bootstrap HOST:PORT --topic T --reuse

Goal: kview find >= 1.0x of kcat | grep -F (records/s, wall clock); the
unpaused kcat is printed beside it so the margin is not librdkafka's waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402
from tail_throughput import fill_from_payloads, stop_consumer, tail_settings  # noqa: E402

from kview.core.cluster import ClusterClient, connection_kwargs  # noqa: E402
from kview.core.config import adhoc_profile  # noqa: E402
from kview.core.tail import DEFAULT_MAX_RECORDS  # noqa: E402
from kview.local.cluster import DevCluster  # noqa: E402

PARTITIONS = 4
ABSENT = "no-record-holds-this"
COMMON = '"status":"FAILED"'
KCAT_UNPAUSED = [
    "-X",
    "queued.min.messages=10000000",
    "-X",
    "queued.max.messages.kbytes=2000000",
    "-X",
    "fetch.error.backoff.ms=1",
]
READERS = ("kcat", "kcat-unpaused", "raw", "kview")
PEERS = ("kcat", "kcat-unpaused", "raw")
LABELS = {
    "kcat": "kcat -C -e -q | grep -F -c",
    "kcat-unpaused": "the same, librdkafka never pausing fetches",
    "raw": "raw aiokafka getmany() loop, `in` per value",
    "kview": "kview find (byte-level batch scan)",
}


def write_payloads(path: Path, lines: int = 2000, seed: int = 7) -> tuple[float, str]:
    """JSON payloads of about 200 bytes; returns the mean size and a user
    name that is in exactly one line (the rare needle)."""
    rnd = random.Random(seed)
    sizes = []
    names: dict[str, int] = {}
    with path.open("w") as out:
        for i in range(lines):
            name = f"user{rnd.randint(1, 99999):05d}"
            names[name] = names.get(name, 0) + 1
            doc = {
                "id": i,
                "user": {"id": rnd.randint(1, 500), "name": name},
                "status": rnd.choice(["OK", "OK", "FAILED", "TIMEOUT"]),
                "amount": round(rnd.random() * 500, 2),
                "at": "2026-01-01T00:00:00Z",
                "note": "lorem ipsum dolor sit amet " * 2 + "x" * rnd.randint(11, 51),
            }
            text = json.dumps(doc, separators=(",", ":"))
            sizes.append(len(text))
            out.write(text + "\n")
    once = sorted(n for n, c in names.items() if c == 1)
    return sum(sizes) / len(sizes), f'"name":"{once[len(once) // 2]}"'


def fill(tools: DevCluster, bootstrap: str, topic: str, records: int, payload: Path) -> None:
    fill_from_payloads(tools, bootstrap, topic, records, PARTITIONS, payload, f"records over {PARTITIONS} partitions")


# -- the readers (each in a child process: --reader NAME) ----------------------------------


async def read_raw(bootstrap: str, topic: str, records: int, needle: bytes) -> dict:
    started = time.monotonic()
    consumer = AIOKafkaConsumer(**connection_kwargs(adhoc_profile(bootstrap)), **tail_settings())
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        for tp, offset in (await consumer.beginning_offsets(tps)).items():
            consumer.seek(tp, offset)
        seen = matched = 0
        getmany = consumer.getmany
        while seen < records:
            data = await getmany(timeout_ms=200, max_records=DEFAULT_MAX_RECORDS)
            for messages in data.values():
                seen += len(messages)
                for message in messages:
                    value = message.value
                    if value is not None and needle in value:
                        matched += 1
        return {"records": seen, "matched": matched, "seconds": time.monotonic() - started}
    finally:
        await stop_consumer(consumer)


async def read_kview(bootstrap: str, topic: str, needle: str) -> dict:
    from kview.core.filters import parse_filter
    from kview.core.find.scan import Finder, FindQuery

    started = time.monotonic()
    client = ClusterClient(adhoc_profile(bootstrap))
    try:
        quoted = '"' + needle.replace("\\", "\\\\").replace('"', '\\"') + '"'
        # keep=None: every match kept, as a find that must hand all of them over
        # (the default keeps 100,000 and counts the rest, which costs no less).
        result = await Finder(client, FindQuery(topic, filter=parse_filter(quoted)), keep=None).run()
    finally:
        await client.close()
    seconds = time.monotonic() - started
    return {
        "records": result.records,
        "matched": result.matched,
        "seconds": seconds,
        "complete": result.complete,
        "needle_bytes": result.needle is not None,
        "partitions": [[p.partition, p.start, p.end, p.records, p.matched] for p in result.partitions],
    }


def child(args: argparse.Namespace) -> int:
    if args.reader == "raw":
        doc = asyncio.run(read_raw(args.bootstrap, args.topic, args.records, args.needle.encode()))
    else:
        doc = asyncio.run(read_kview(args.bootstrap, args.topic, args.needle))
    print(json.dumps(doc))
    return 0


# -- the parent --------------------------------------------------------------------------------


def measure(name: str, bootstrap: str, topic: str, records: int, needle: str) -> dict | None:
    """One reader's run; ``cpu``: CPU-seconds of its processes (kcat and grep
    together), steadier than the wall clock on a machine shared with other work."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    doc = _measure(name, bootstrap, topic, records, needle)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if doc is not None:
        doc["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return doc


def _measure(name: str, bootstrap: str, topic: str, records: int, needle: str) -> dict | None:
    limit = 120 + records / 2000
    if name in ("kcat", "kcat-unpaused"):
        kcat = shutil.which("kcat") or shutil.which("kafkacat")
        if kcat is None:
            print("  kcat: not installed; skipped", flush=True)
            return None
        started = time.monotonic()
        kcat_proc = subprocess.Popen(
            [kcat, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q"]
            + (KCAT_UNPAUSED if name == "kcat-unpaused" else []),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        grep = subprocess.run(
            ["grep", "-F", "-c", "--", needle], stdin=kcat_proc.stdout, capture_output=True, timeout=limit
        )
        assert kcat_proc.stdout is not None
        kcat_proc.stdout.close()
        kcat_proc.wait(timeout=limit)
        seconds = time.monotonic() - started
        return {"records": records, "matched": int(grep.stdout.strip() or 0), "seconds": seconds}
    argv = [sys.executable, __file__, "--reader", name, "--bootstrap", bootstrap, "--topic", topic]
    argv += ["--records", str(records), "--needle", needle]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        print(f"  {name}: no result within {limit:.0f} s; skipped", flush=True)
        return None
    if proc.returncode != 0:
        print(f"  {name}: failed: {proc.stderr[-1500:]}", flush=True)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(bootstrap: str, topic: str, records: int, rounds: int, needles: list[tuple[str, str]]) -> int:
    marks = asyncio.run(_watermarks(bootstrap, topic))
    failures = 0
    for label, needle in needles:
        print(f"\nneedle {label}: {needle!r}", flush=True)
        best: dict[str, dict] = {}
        lowest_cpu: dict[str, float] = {}
        for round_no in range(1, rounds + 1):
            order = READERS if round_no % 2 else tuple(reversed(READERS))
            for name in order:
                doc = measure(name, bootstrap, topic, records, needle)
                if doc is None:
                    continue
                rate = doc["records"] / doc["seconds"]
                print(
                    f"  round {round_no} {LABELS[name]:<46} {doc['seconds']:6.2f} s {rate:>12,.0f} rec/s "
                    f"cpu {doc['cpu']:5.2f} s  matched {doc['matched']:>6,}  (load {load()})",
                    flush=True,
                )
                if name not in best or doc["seconds"] < best[name]["seconds"]:
                    best[name] = doc
                lowest_cpu[name] = min(lowest_cpu.get(name, doc["cpu"]), doc["cpu"])
        kview = best.get("kview")
        if kview is not None:
            # The account must be exact: every partition read to its watermark, all its records counted.
            for partition, start, end, counted, _matched in kview["partitions"]:
                low, high = marks[partition]
                if (start, end, counted) != (low, high, high - low):
                    print(f"  ACCOUNT WRONG on partition {partition}: {start}..{end} {counted} vs {low}..{high}")
                    failures += 1
            for other in PEERS:
                if other in best and best[other]["matched"] != kview["matched"]:
                    print(f"  MATCHES DIFFER: kview {kview['matched']} vs {other} {best[other]['matched']}")
                    failures += 1
        print(f"  best of {rounds} (wall clock; CPU-seconds of the reader's processes, best round by CPU):")
        for name in READERS:
            if name in best:
                doc = best[name]
                print(
                    f"    {LABELS[name]:<46} {doc['records'] / doc['seconds']:>12,.0f} rec/s"
                    f" {doc['records'] / lowest_cpu[name]:>12,.0f} rec/CPU-s"
                )
        if kview is not None:
            mine = kview["records"] / kview["seconds"]
            mine_cpu = kview["records"] / lowest_cpu["kview"]
            for other in PEERS:
                if other in best:
                    theirs = best[other]["records"] / best[other]["seconds"]
                    theirs_cpu = best[other]["records"] / lowest_cpu[other]
                    print(
                        f"    kview find / {LABELS[other]}: {mine / theirs:.2f}x"
                        f" (per CPU-second {mine_cpu / theirs_cpu:.2f}x)"
                    )
    return 1 if failures else 0


async def _watermarks(bootstrap: str, topic: str) -> dict[int, tuple[int, int]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
        low = await consumer.beginning_offsets(tps)
        high = await consumer.end_offsets(tps)
        return {tp.partition: (low[tp], high[tp]) for tp in tps}
    finally:
        await stop_consumer(consumer)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bootstrap", help="use this cluster instead of starting one")
    parser.add_argument("--topic", help="topic name (default: a new one)")
    parser.add_argument("--reuse", action="store_true", help="the topic is already filled by this bench")
    parser.add_argument("--reader", choices=("raw", "kview"), help=argparse.SUPPRESS)
    parser.add_argument("--needle", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reader:
        return child(args)
    with tempfile.TemporaryDirectory() as tmp:
        payload = Path(tmp) / "payload.txt"
        mean, rare = write_payloads(payload)
        print(f"payload: 2,000 JSON lines of ~{mean:.0f} bytes; {os.cpu_count()} cores", flush=True)
        topic = args.topic or f"find-bench-{uuid.uuid4().hex[:6]}"
        tools = DevCluster(1)
        cluster = None
        try:
            if args.bootstrap:
                bootstrap = args.bootstrap
            else:
                cluster = DevCluster(1)
                cluster.start()
                bootstrap = cluster.bootstrap
                tools = cluster
            if not args.reuse:
                fill(tools, bootstrap, topic, args.records, payload)
            needles = [("in no record", ABSENT), ("rare", rare), ("common (a quarter of the records)", COMMON)]
            return run(bootstrap, topic, args.records, args.rounds, needles)
        finally:
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
