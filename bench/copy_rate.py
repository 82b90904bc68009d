"""kview copy vs a raw aiokafka copy loop, on the same topic in the same run.

Both read every record of a 3-partition topic (about 200-byte values) with a
group-less read_committed consumer and write it to another topic with an
idempotent ``acks=all`` producer, keeping key, headers, timestamp and
partition, and await every acknowledgement.  The raw loop is plain
aiokafka: ``getmany`` then ``send`` per record, futures awaited at the end.
kview adds the filter hook, the per-record fate (the account of every offset),
progress and the window check.  Rounds alternate (raw, kview, ...); the best
of each is compared, with this process's CPU time per record.

    python bench/copy_rate.py                    # starts its own 1-broker cluster
    python bench/copy_rate.py --count 200000 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.config import adhoc_profile
from kview.core.replay import SENT, CopySpec, RecordCopier

PARTITIONS = 3


async def fill(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=256 * 1024)
    await producer.start()
    try:
        value = b'{"id": "%s", "n": %%d, "pad": "%s"}' % (uuid.uuid4().hex.encode(), b"x" * 140)
        futures = [
            await producer.send(topic, value % i, b"k-%d" % i, partition=i % PARTITIONS, headers=[("h", b"1")])
            for i in range(count)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def raw_round(bootstrap: str, source: str, target: str, count: int) -> tuple[float, float]:
    profile = adhoc_profile(bootstrap)
    consumer = AIOKafkaConsumer(
        **connection_kwargs(profile), group_id=None, isolation_level="read_committed", enable_auto_commit=False
    )
    producer = AIOKafkaProducer(**connection_kwargs(profile), acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(source, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        started, cpu = time.monotonic(), time.process_time()
        futures = []
        pending = set(tps)
        while pending:
            data = await consumer.getmany(*pending, timeout_ms=500, max_records=2000)
            for records in data.values():
                for r in records:
                    futures.append(
                        await producer.send(target, r.value, r.key, r.partition, r.timestamp, list(r.headers))
                    )
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        await asyncio.gather(*futures)
        assert len(futures) == count, len(futures)
        return count / (time.monotonic() - started), (time.process_time() - cpu) / count * 1e6
    finally:
        await consumer.stop()
        await producer.stop()


async def kview_round(bootstrap: str, source: str, target: str, count: int) -> tuple[float, float]:
    client = ClusterClient(adhoc_profile(bootstrap))
    try:
        started, cpu = time.monotonic(), time.process_time()
        result = await RecordCopier(client).copy(CopySpec(source, target))
        assert result.ok and result.count(SENT) == count, (result.stopped, result.count(SENT))
        return count / (time.monotonic() - started), (time.process_time() - cpu) / count * 1e6
    finally:
        await client.close()


async def run(bootstrap: str, count: int, rounds: int, create) -> None:
    source = f"bench-copy-{uuid.uuid4().hex[:6]}"
    create(source)
    await fill(bootstrap, source, count)
    raw, kview = [], []
    for i in range(rounds):
        for name, round_, out in (("raw", raw_round, raw), ("kview", kview_round, kview)):
            target = f"{source}-{name}-{i}"
            create(target)
            out.append(await round_(bootstrap, source, target, count))
            print(f"round {i + 1} {name:5}: {out[-1][0]:9,.0f} records/s  {out[-1][1]:5.1f} us CPU per record")
    best_raw, best_kview = max(r for r, _ in raw), max(r for r, _ in kview)
    cpu_raw, cpu_kview = min(c for _, c in raw), min(c for _, c in kview)
    print(f"{count:,} records of ~200 bytes, {PARTITIONS} partitions, acks=all, idempotent")
    print(f"raw aiokafka copy loop (best round): {best_raw:9,.0f} records/s  {cpu_raw:5.1f} us CPU per record")
    print(f"kview copy (best round):             {best_kview:9,.0f} records/s  {cpu_kview:5.1f} us CPU per record")
    print(f"ratio kview / raw (achieved rate):   {best_kview / best_raw:.2f}")
    print(f"ratio kview / raw (by CPU time):     {cpu_raw / cpu_kview:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    from kview.local.cluster import DevCluster

    with DevCluster(1) as cluster:

        def create(topic: str) -> None:
            cluster.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", str(PARTITIONS))

        asyncio.run(run(cluster.bootstrap, args.count, args.rounds, create))
    return 0


if __name__ == "__main__":
    sys.exit(main())
