"""The replication throttle of a reassignment, set the way
``kafka-reassign-partitions --throttle`` sets it and removed the way
``--verify`` removes it.

On every broker taking part (current or new replica of a moving partition):
``leader.replication.throttled.rate`` and ``follower.replication.throttled.rate``
(bytes/s).  On every moving topic: ``leader.replication.throttled.replicas``
lists ``partition:broker`` for the current replicas (the ones that serve the
copy) and ``follower.replication.throttled.replicas`` for the new ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from kview.core.reassign.models import Replicas, ThrottleSettings, TopicPartition

LEADER_RATE = "leader.replication.throttled.rate"
FOLLOWER_RATE = "follower.replication.throttled.rate"
LEADER_REPLICAS = "leader.replication.throttled.replicas"
FOLLOWER_REPLICAS = "follower.replication.throttled.replicas"
LOG_DIR_RATE_CONFIG = "replica.alter.log.dirs.io.max.bytes.per.second"
"""Kafka's tool removes this one too when it clears throttles."""
BROKER_RATE_CONFIGS = (LEADER_RATE, FOLLOWER_RATE, LOG_DIR_RATE_CONFIG)
TOPIC_REPLICAS_CONFIGS = (LEADER_REPLICAS, FOLLOWER_REPLICAS)


def _sorted_entries(entries: set[tuple[int, int]]) -> str:
    return ",".join(f"{p}:{b}" for p, b in sorted(entries))


def throttle_settings(
    current: Mapping[TopicPartition, Replicas], target: Mapping[TopicPartition, Replicas], rate: int
) -> ThrottleSettings:
    """The throttle for moving ``current`` to ``target`` at ``rate`` bytes/s
    (only partitions in both, whose replicas change, count)."""
    leader: dict[str, set[tuple[int, int]]] = defaultdict(set)
    follower: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for key, new in target.items():
        old = current.get(key)
        if old is None or tuple(old) == tuple(new):
            continue
        topic, partition = key
        leader[topic].update((partition, b) for b in old)
        follower[topic].update((partition, b) for b in new if b not in old)
    return ThrottleSettings(
        rate=rate,
        brokers=throttled_brokers(current, target),
        topic_leader_replicas={t: _sorted_entries(e) for t, e in sorted(leader.items())},
        topic_follower_replicas={t: _sorted_entries(e) for t, e in sorted(follower.items()) if e},
    )


def throttled_brokers(
    current: Mapping[TopicPartition, Replicas], target: Mapping[TopicPartition, Replicas]
) -> tuple[int, ...]:
    """Brokers holding a current or a new replica of a moving partition."""
    brokers: set[int] = set()
    for key, new in target.items():
        old = current.get(key)
        if old is None or tuple(old) == tuple(new):
            continue
        brokers.update(old)
        brokers.update(new)
    return tuple(sorted(brokers))


def topics_of(partitions: Iterable[TopicPartition]) -> tuple[str, ...]:
    return tuple(sorted({topic for topic, _ in partitions}))
