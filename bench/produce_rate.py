"""Templated load at full speed vs a raw aiokafka producer loop.

Both send the same number of messages of the same size to the same topic with
the same producer settings (the profile defaults: acks=all, idempotence,
linger 5 ms, 16 KiB batches).  The raw loop is the fastest plain aiokafka
can do: ``send()`` futures collected and awaited at the end, a constant value
and a formatted key.  kview renders a key and a JSON value with ``{{i}}``,
``{{uuid}}`` and ``{{now}}`` for every message, bounds the in-flight window
and counts acknowledgements.  Rounds alternate (raw, kview, raw, kview, ...)
so both see the same machine load; the best round of each is compared.

    python bench/produce_rate.py                 # starts its own 1-broker cluster
    python bench/produce_rate.py --bootstrap HOST:PORT --count 200000 --rounds 3

Target: kview / raw >= 0.7.  Besides the achieved rates the script prints CPU
time per message of this process: on a machine shared with other work the
wall-clock rates swing from round to round, CPU time much less.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid

from aiokafka import AIOKafkaProducer

from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.config import adhoc_profile
from kview.core.produce import LoadSpec, ProducerSettings, ProduceService
from kview.core.templates import MessageTemplate

KEY = "k-{{i}}"
VALUE = '{"i":{{i}},"id":"{{uuid}}","at":"{{now}}"}'


async def raw_round(profile, settings: ProducerSettings, topic: str, count: int) -> tuple[float, float]:
    value = MessageTemplate.compile(KEY, VALUE).renderer(seed=1)(count - 1)[1]  # same size as kview's
    producer = AIOKafkaProducer(**connection_kwargs(profile), **settings.producer_kwargs())
    await producer.start()
    try:
        started, cpu = time.monotonic(), time.process_time()
        futures = []
        send = producer.send
        for i in range(count):
            futures.append(await send(topic, value, f"k-{i}".encode()))
        await asyncio.gather(*futures)
        return count / (time.monotonic() - started), (time.process_time() - cpu) / count * 1e6
    finally:
        await producer.stop()


async def kview_round(
    service: ProduceService, settings: ProducerSettings, topic: str, count: int
) -> tuple[float, float]:
    cpu = time.process_time()
    progress = await service.run_load(LoadSpec(topic, key=KEY, value=VALUE, count=count), settings)
    if progress.acked != count:
        raise SystemExit(f"kview load acked {progress.acked} of {count}: {progress.error}")
    # progress.rate is kview's own counter: acknowledged messages per second.
    return progress.rate, (time.process_time() - cpu) / count * 1e6


async def run(bootstrap: str, count: int, rounds: int, create_topic) -> None:
    profile = adhoc_profile(bootstrap)
    settings = ProducerSettings.from_defaults(profile.producer)
    topic = f"bench-produce-{uuid.uuid4().hex[:6]}"
    create_topic(topic)
    client = ClusterClient(profile)
    service = ProduceService(client)
    raw_rates: list[float] = []
    kview_rates: list[float] = []
    raw_cpu: list[float] = []
    kview_cpu: list[float] = []
    try:
        # One short warm-up of each so connection set-up is out of the figures.
        await raw_round(profile, settings, topic, 2000)
        await kview_round(service, settings, topic, 2000)
        for n in range(1, rounds + 1):
            rate, cpu = await raw_round(profile, settings, topic, count)
            raw_rates.append(rate)
            raw_cpu.append(cpu)
            rate, cpu = await kview_round(service, settings, topic, count)
            kview_rates.append(rate)
            kview_cpu.append(cpu)
            print(
                f"round {n}: raw aiokafka {raw_rates[-1]:9,.0f} msg/s ({raw_cpu[-1]:5.1f} us CPU/msg)   "
                f"kview template {kview_rates[-1]:9,.0f} msg/s ({kview_cpu[-1]:5.1f} us CPU/msg)   "
                f"ratio {kview_rates[-1] / raw_rates[-1]:.2f}",
                flush=True,
            )
    finally:
        await service.close()
        await client.close()
    raw, kview = max(raw_rates), max(kview_rates)
    print(
        f"\nmessages per round: {count:,}   settings: acks={settings.acks} idempotence={settings.idempotence} "
        f"compression={settings.compression} linger_ms={settings.linger_ms} batch_size={settings.batch_size}"
    )
    print(f"raw aiokafka loop (best round):     {raw:9,.0f} msg/s   {min(raw_cpu):5.1f} us CPU per message")
    print(f"kview templated load (best round):  {kview:9,.0f} msg/s   {min(kview_cpu):5.1f} us CPU per message")
    print(f"ratio kview / raw (achieved rate):  {kview / raw:.2f}   (target >= 0.70)")
    # On a shared machine wall-clock rates swing with other load; CPU time per
    # message in this process is the steadier view of the same comparison.
    print(f"ratio kview / raw (by CPU time):    {min(raw_cpu) / min(kview_cpu):.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", help="use this cluster instead of starting one")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.bootstrap:
        from kview.local.cluster import DevCluster

        tools = DevCluster(1)

        def create(topic: str) -> None:
            tools.run_tool(
                "kafka-topics", "--bootstrap-server", args.bootstrap, "--create", "--topic", topic, "--partitions", "3"
            )

        asyncio.run(run(args.bootstrap, args.count, args.rounds, create))
        return 0
    from kview.local.cluster import DevCluster

    with DevCluster(1) as cluster:

        def create(topic: str) -> None:
            cluster.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "3")

        asyncio.run(run(cluster.bootstrap, args.count, args.rounds, create))
    return 0


if __name__ == "__main__":
    sys.exit(main())
