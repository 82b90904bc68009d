"""Leader balance as the brokers pane shows it, from the metadata alone: per
broker the partitions it leads and those it is the preferred leader of (the
first replica of the assignment, the one ``kafka-leader-election --election-type
PREFERRED`` makes leader), and the partitions led by another replica.

Pure functions over ``ClusterMetadata``: no Textual, no network (kept out of
kview/core so the core's own reassignment package stays the one place of its
planning logic; this is only counting for the screen)."""

from __future__ import annotations

from dataclasses import dataclass

from kview.core.models import ClusterMetadata, PartitionInfo


@dataclass(frozen=True)
class LeaderBalance:
    """Leaders vs preferred leaders of a whole cluster."""

    leaders: dict[int, int]
    """Broker id -> partitions it leads now."""
    preferred: dict[int, int]
    """Broker id -> partitions whose first replica it is."""
    not_preferred: tuple[PartitionInfo, ...]
    """Partitions that have a leader, and it is not their preferred replica,
    by topic and partition."""
    leaderless: int
    """Partitions without any leader (offline): no election counts them here."""

    def electable(self, partition: PartitionInfo) -> bool:
        """Whether a preferred election can move this partition's leadership
        now: Kafka elects the preferred replica only while it is in the ISR."""
        return bool(partition.replicas) and partition.replicas[0] in partition.isr


def preferred_leader(partition: PartitionInfo) -> int | None:
    """The first replica of the assignment; None for a partition without replicas."""
    return partition.replicas[0] if partition.replicas else None


def leader_balance(metadata: ClusterMetadata) -> LeaderBalance:
    """Count leaders and preferred leaders per broker and list the partitions
    not led by their preferred replica (internal topics included: Kafka's
    election covers them too)."""
    leaders: dict[int, int] = {}
    preferred: dict[int, int] = {}
    off: list[PartitionInfo] = []
    leaderless = 0
    for p in metadata.partitions:
        first = preferred_leader(p)
        if first is not None:
            preferred[first] = preferred.get(first, 0) + 1
        if p.leader < 0:
            leaderless += 1
            continue
        leaders[p.leader] = leaders.get(p.leader, 0) + 1
        if first is not None and p.leader != first:
            off.append(p)
    off.sort(key=lambda p: (p.topic, p.partition))
    return LeaderBalance(leaders, preferred, tuple(off), leaderless)
