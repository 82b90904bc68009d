"""Reassignment planning at scale: 20,000 partitions over 6 brokers (3 racks),
plan only, from metadata (kview's own ClusterMetadata, built here the way the
bulk metadata reader builds it; no cluster is needed).  Prints, per intent,
the median time of ``make_plan`` (the plan and its whole preview: moves,
bytes, per-broker totals) and what it planned.  Target: under 1 s each.

There is no ratio: the obvious peer, ``kafka-reassign-partitions --generate``,
plans against a live cluster and would need one holding 20,000 partitions,
more than this machine's shared 2 cores hold; and it answers a different
question (it reassigns every partition from scratch, with no regard for
moves).  The figures are printed alone.

    .venv/bin/python bench/reassign_plan.py [--partitions 20000] [--brokers 6] [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from kview.core.models import BrokerInfo, ClusterMetadata, PartitionInfo, TopicInfo
from kview.core.reassign.models import ChangeReplicationFactor, DrainBroker, PlanIntent, SpreadReplicas
from kview.core.reassign.planner import make_plan

TOPIC_PARTITIONS = 100
"""Partitions per topic (20,000 partitions: 200 topics), except the one big topic."""


def build(partitions: int, brokers: int, placed_on: int, rf: int = 3, seed: int = 7) -> ClusterMetadata:
    """Topics of TOPIC_PARTITIONS partitions of factor ``rf``, their replicas
    placed round-robin (as Kafka places them) on the first ``placed_on``
    brokers; racks r0, r1, r2 in turn."""
    rng = random.Random(seed)
    infos = tuple(BrokerInfo(b, f"broker-{b}", 9092, f"r{(b - 1) % 3}") for b in range(1, brokers + 1))
    topics = []
    for t in range(partitions // TOPIC_PARTITIONS):
        start = rng.randrange(placed_on)
        name = f"topic-{t:04d}"
        parts = []
        for p in range(TOPIC_PARTITIONS):
            replicas = tuple(1 + (start + p + i) % placed_on for i in range(rf))
            parts.append(PartitionInfo(name, p, replicas[0], replicas, replicas))
        topics.append(TopicInfo(name, False, tuple(parts)))
    return ClusterMetadata("bench", 1, infos, tuple(topics))


def big_topic(partitions: int, brokers: int) -> ClusterMetadata:
    infos = tuple(BrokerInfo(b, f"broker-{b}", 9092, f"r{(b - 1) % 3}") for b in range(1, brokers + 1))
    parts = tuple(
        PartitionInfo("big", p, r[0], r, r)
        for p in range(partitions)
        for r in [tuple(1 + (p + i) % brokers for i in range(3))]
    )
    return ClusterMetadata("bench", 1, infos, (TopicInfo("big", False, parts),))


def measure(metadata: ClusterMetadata, intent: PlanIntent, rounds: int) -> None:
    sizes = {(p.topic, p.partition): 1_000_000 for p in metadata.partitions}
    times = []
    plan = None
    for _ in range(rounds):
        started = time.perf_counter()
        plan = make_plan(metadata, intent, sizes)
        times.append(time.perf_counter() - started)
    assert plan is not None
    copies = sum(len(m.adding) for m in plan.moves)
    reorders = sum(1 for m in plan.moves if m.order_only)
    after = [b.replicas_after for b in plan.brokers]
    leaders = [b.preferred_after for b in plan.brokers]
    print(
        f"{plan.description:<44} {statistics.median(times):6.3f} s (min {min(times):.3f})  "
        f"{len(plan.moves):>6,} partitions move, {copies:>6,} replicas copied, {reorders:>5,} reordered only; "
        f"after, by broker: replicas {after}, preferred leaders {leaders}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partitions", type=int, default=20_000)
    parser.add_argument("--brokers", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n, b = args.partitions, args.brokers
    print(f"{n:,} partitions (replication factor 3) over {b} brokers in 3 racks; median of {args.rounds} rounds")
    even = build(n, b, placed_on=b)
    # broker 3 is then the only one left on broker 6's rack: keeping every
    # partition on three racks puts all of rack r2's replicas on it
    measure(even, DrainBroker(b), args.rounds)
    measure(even, DrainBroker(b, use_racks=False), args.rounds)
    measure(even, SpreadReplicas(), args.rounds)
    half = build(n, b, placed_on=b // 2)
    print(f"the same with every replica on brokers 1-{b // 2} ({b - b // 2} new, empty brokers):")
    measure(half, SpreadReplicas(), args.rounds)
    print(f"one topic of {n:,} partitions:")
    big = big_topic(n, b)
    measure(big, ChangeReplicationFactor("big", 2), args.rounds)
    measure(big, ChangeReplicationFactor("big", 4), args.rounds)


if __name__ == "__main__":
    main()
