"""Leader balance: per broker, the partitions it leads against those it is
the preferred leader of, its replicas and bytes; and the partitions not led
by their preferred replica.  Pure functions over metadata and log dirs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kview.core.models import ClusterMetadata, PartitionInfo
from kview.core.reassign.models import BrokerLeadership, LeaderBalance, NotPreferredLeader, TopicPartition


def _partitions(metadata: ClusterMetadata, topics: Iterable[str] | None) -> Iterable[PartitionInfo]:
    if topics is None:
        return metadata.partitions
    wanted = set(topics)
    return (p for t in metadata.topics if t.name in wanted for p in t.partitions)


def leader_balance(
    metadata: ClusterMetadata,
    broker_bytes: Mapping[int, int] | None = None,
    *,
    topics: Iterable[str] | None = None,
    bytes_error: str | None = None,
) -> LeaderBalance:
    """The leader balance of ``metadata`` (every topic, or ``topics``).
    ``broker_bytes`` gives each broker's replica log bytes where known."""
    leaders: dict[int, int] = {}
    preferred: dict[int, int] = {}
    replicas: dict[int, int] = {}
    not_preferred: list[NotPreferredLeader] = []
    count = offline = 0
    for p in _partitions(metadata, topics):
        count += 1
        if p.leader >= 0:
            leaders[p.leader] = leaders.get(p.leader, 0) + 1
        else:
            offline += 1
        for r in p.replicas:
            replicas[r] = replicas.get(r, 0) + 1
        if p.replicas:
            first = p.replicas[0]
            preferred[first] = preferred.get(first, 0) + 1
            if p.leader != first:
                not_preferred.append(NotPreferredLeader(p.topic, p.partition, p.leader, first, p.replicas, p.isr))
    racks = {b.node_id: b.rack for b in metadata.brokers}
    sizes = broker_bytes or {}
    ids = sorted(set(racks) | set(replicas) | set(leaders))
    brokers = tuple(
        BrokerLeadership(
            node_id=node,
            rack=racks.get(node),
            online=node in racks,
            leaders=leaders.get(node, 0),
            preferred_leaders=preferred.get(node, 0),
            replicas=replicas.get(node, 0),
            bytes=sizes.get(node),
        )
        for node in ids
    )
    return LeaderBalance(brokers, tuple(not_preferred), count, offline, bytes_error)


def not_preferred_partitions(metadata: ClusterMetadata, topics: Iterable[str] | None = None) -> list[TopicPartition]:
    """Partitions whose leader is not their preferred replica (what a
    preferred election of 'all' would try)."""
    return [(p.topic, p.partition) for p in _partitions(metadata, topics) if p.replicas and p.leader != p.replicas[0]]
