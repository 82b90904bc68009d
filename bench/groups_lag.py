"""Lag refresh at scale: 500 consumer groups over 2,000 partitions on a local
cluster.  Prints the time of one full lag refresh in kview's backend and, in
the same run on the same cluster, of `kafka-consumer-groups --describe
--all-groups`, and their ratio.  Targets: kview <= 1.5 s and >= 5x faster.

    .venv/bin/python bench/groups_lag.py [--groups 500] [--topics 20] [--partitions 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.groups import GroupService
from kview.local.cluster import DevCluster


async def prepare(
    client: ClusterClient, service: GroupService, bootstrap: str, groups: int, topics: int, partitions: int
) -> None:
    names = [f"bench-lag-{i:02d}" for i in range(topics)]
    await client.start()
    await client.admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    while True:
        metadata = await client.metadata()
        ours = [p for p in metadata.partitions if p.topic in set(names)]
        if len(ours) == topics * partitions and len(await client.watermarks(ours)) == len(ours):
            break
        await asyncio.sleep(1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        futures = [
            await producer.send(n, b"x", partition=p) for n in names for p in range(partitions) for _ in range(3)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    for start in range(0, groups, 50):
        await asyncio.gather(
            *(
                service.commit_offsets(f"bench-group-{i:03d}", {(names[i % topics], p): 1 for p in range(partitions)})
                for i in range(start, min(start + 50, groups))
            )
        )


async def refresh_times(service: GroupService, rounds: int) -> list[float]:
    await service.refresh()  # the first pass finds and caches the coordinators
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        snapshot = await service.refresh()
        times.append(time.perf_counter() - started)
    assert sum(1 for g in snapshot.groups if g.name.startswith("bench-group-")) > 0
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--topics", type=int, default=20)
    parser.add_argument("--partitions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with DevCluster(1, heap="1g") as cluster:
        client = ClusterClient(adhoc_profile(cluster.bootstrap))
        service = GroupService(client)

        async def run() -> list[float]:
            try:
                await prepare(client, service, cluster.bootstrap, args.groups, args.topics, args.partitions)
                return await refresh_times(service, args.rounds)
            finally:
                await service.close()
                await client.close()

        ours = asyncio.run(run())
        theirs = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            cluster.run_tool("kafka-consumer-groups", "--describe", "--all-groups", timeout=600)
            theirs.append(time.perf_counter() - started)
    kview_time, tool_time = statistics.median(ours), statistics.median(theirs)
    print(f"{args.groups} groups over {args.topics * args.partitions} partitions, median of {args.rounds}")
    print(f"kview backend full lag refresh          {kview_time:7.3f} s   target <= 1.5 s")
    print(f"kafka-consumer-groups --describe --all  {tool_time:7.3f} s")
    print(f"ratio (tool / kview)                    {tool_time / kview_time:7.1f}x  target >= 5x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
