"""Wall time of `kview groups --json` next to Kafka's own
`kafka-consumer-groups --describe --all-groups`, on the same cluster.

    .venv/bin/python bench/headless_groups.py [--groups 50] [--topics 10] [--partitions 5] [--runs 5]

Starts a one-broker dev cluster, creates the topics with some records, and
commits offsets for every group (each group on two or three topics, some
partitions behind).  Each figure is the median wall time from spawning the
command to its exit, after one warm-up run; both commands answer for every
group and partition (the script checks they report the same groups and total
lag).  Also timed: `kview lag --json`, which builds the partition rows too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import time

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.groups import GroupService
from kview.local.cluster import DevCluster


async def populate(bootstrap: str, groups: int, topics: int, partitions: int) -> None:
    names = [f"bench-topic-{i:02d}" for i in range(topics)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1) for name in names])
    finally:
        await admin.close()
    client = ClusterClient(adhoc_profile(bootstrap))
    await client.start()
    deadline = time.monotonic() + 60
    while True:
        metadata = await client.metadata()
        ready = [t for t in metadata.topics if t.name in names and all(p.leader >= 0 for p in t.partitions)]
        if len(ready) == topics:
            break
        if time.monotonic() > deadline:
            raise SystemExit("topics never got leaders")
        await asyncio.sleep(0.2)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        futures = [
            await producer.send(name, b"x" * 100, partition=p)
            for name in names
            for p in range(partitions)
            for _ in range(20)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    service = GroupService(client)
    try:
        for g in range(groups):
            chosen = [names[(g + k) % topics] for k in range(2 + g % 2)]
            offsets = {(name, p): 20 - (g + p) % 7 for name in chosen for p in range(partitions)}
            await service.commit_offsets(f"bench-group-{g:03d}", offsets)
    finally:
        await service.close()
        await client.close()


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - start, result


def median(argv: list[str], runs: int, ok_codes: tuple[int, ...] = (0,)) -> tuple[float, str]:
    _, result = timed(argv)  # warm the OS file cache, .pyc files and the JVM's class data
    times = []
    for _ in range(runs):
        elapsed, result = timed(argv)
        if result.returncode not in ok_codes:
            raise SystemExit(f"{' '.join(argv[:4])} ... failed ({result.returncode}): {result.stderr[-500:]}")
        times.append(elapsed)
    return statistics.median(times), result.stdout


def tool_totals(stdout: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    header = None
    for line in stdout.splitlines():
        fields = line.split()
        if fields[:2] == ["GROUP", "TOPIC"]:
            header = fields
        elif header and len(fields) == len(header):
            row = dict(zip(header, fields, strict=False))
            totals[row["GROUP"]] = totals.get(row["GROUP"], 0) + (int(row["LAG"]) if row["LAG"] != "-" else 0)
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--topics", type=int, default=10)
    parser.add_argument("--partitions", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # retries while the new topics elect leaders
    with DevCluster(1) as kafka:
        asyncio.run(populate(kafka.bootstrap, args.groups, args.topics, args.partitions))
        kview = [sys.executable, "-m", "kview.cli"]
        kview_time, kview_out = median([*kview, "groups", "--bootstrap", kafka.bootstrap, "--json"], args.runs)
        lag_time, _ = median([*kview, "lag", "--bootstrap", kafka.bootstrap, "--json"], args.runs, (0, 1))
        tool_argv = kafka.tool_command(
            "kafka-consumer-groups", "--bootstrap-server", kafka.bootstrap, "--describe", "--all-groups"
        )
        tool_time, tool_out = median(tool_argv, args.runs)
    ours = {g["name"]: g["total_lag"] for g in json.loads(kview_out)["groups"]}
    theirs = tool_totals(tool_out)
    if ours != theirs:
        raise SystemExit(f"kview and kafka-consumer-groups disagree: {ours} vs {theirs}")
    rows = args.groups and sum(2 + g % 2 for g in range(args.groups)) * args.partitions
    print(
        f"{args.groups} groups, {rows} group-partition rows, {args.topics} topics x {args.partitions} partitions; "
        f"median of {args.runs} runs"
    )
    for label, figure in (
        ("kview groups --json", f"{kview_time:6.3f} s"),
        ("kview lag --json", f"{lag_time:6.3f} s"),
        ("kafka-consumer-groups --describe --all-groups", f"{tool_time:6.3f} s"),
        ("ratio kafka-consumer-groups / kview groups", f"{tool_time / kview_time:6.2f}x"),
    ):
        print(f"{label:<46} {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
