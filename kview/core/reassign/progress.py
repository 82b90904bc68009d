"""Progress of a reassignment from what the cluster reports: the metadata
(replicas, ISR, leader), ListPartitionReassignments (what still moves) and
DescribeLogDirs (how much of each log the new replicas hold).  Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kview.core.models import ClusterMetadata
from kview.core.reassign.models import (
    OngoingReassignment,
    ReassignProgress,
    Replicas,
    TopicPartition,
)


def replica_sizes_from_log_dirs(log_dirs: Mapping[int, Iterable[object]]) -> dict[tuple[str, int, int], int]:
    """(topic, partition, broker) -> bytes of that replica's log (future logs
    left out), from ``describe_log_dirs`` answers."""
    raise NotImplementedError


def partition_sizes(replica_sizes: Mapping[tuple[str, int, int], int]) -> dict[TopicPartition, int]:
    """(topic, partition) -> the largest of its replicas' sizes."""
    raise NotImplementedError


def compute_progress(
    metadata: ClusterMetadata,
    targets: Mapping[TopicPartition, Replicas],
    ongoing: Mapping[TopicPartition, OngoingReassignment],
    replica_sizes: Mapping[tuple[str, int, int], int],
    *,
    taken_at: float,
    previous: ReassignProgress | None = None,
    throttle_rate: int | None = None,
    errors: tuple[str, ...] = (),
) -> ReassignProgress:
    """Progress of the partitions moving to ``targets``; the rate is the bytes
    copied since ``previous`` over the time since it."""
    raise NotImplementedError
