"""The replication throttle of a reassignment, set the way
``kafka-reassign-partitions --throttle`` sets it and removed the way
``--verify`` removes it.

On every broker taking part (current or new replica of a moving partition):
``leader.replication.throttled.rate`` and ``follower.replication.throttled.rate``
(bytes/s).  On every moving topic: ``leader.replication.throttled.replicas``
lists ``partition:broker`` for the current replicas (the ones that serve the
copy) and ``follower.replication.throttled.replicas`` for the new ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kview.core.reassign.models import Replicas, ThrottleSettings, TopicPartition

BROKER_RATE_CONFIGS = ("leader.replication.throttled.rate", "follower.replication.throttled.rate")
TOPIC_REPLICAS_CONFIGS = ("leader.replication.throttled.replicas", "follower.replication.throttled.replicas")
LOG_DIR_RATE_CONFIG = "replica.alter.log.dirs.io.max.bytes.per.second"
"""Kafka's tool removes this one too when it clears throttles."""


def throttle_settings(
    current: Mapping[TopicPartition, Replicas], target: Mapping[TopicPartition, Replicas], rate: int
) -> ThrottleSettings:
    """The throttle for moving ``current`` to ``target`` at ``rate`` bytes/s."""
    raise NotImplementedError


def throttled_brokers(
    current: Mapping[TopicPartition, Replicas], target: Mapping[TopicPartition, Replicas]
) -> tuple[int, ...]:
    """Brokers holding a current or a new replica of a moving partition."""
    raise NotImplementedError


def topics_of(partitions: Iterable[TopicPartition]) -> tuple[str, ...]:
    raise NotImplementedError
