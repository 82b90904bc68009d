"""Progress of a reassignment from what the cluster reports: the metadata
(replicas, ISR, leader), ListPartitionReassignments (what still moves) and
DescribeLogDirs (how much of each log the new replicas hold).  Pure.

A new replica's log grows on its broker while it copies from the leader, so
the bytes copied of a partition are its new replicas' sizes (each counted up
to the leader's size), and what it has to copy is the leader's size for each
new replica.  The leader may still take writes meanwhile: sizes are read at
each look, so the totals follow."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kview.core.brokers import LogDirInfo
from kview.core.models import ClusterMetadata, PartitionInfo
from kview.core.reassign.models import (
    MovingPartition,
    OngoingReassignment,
    ReassignProgress,
    Replicas,
    TopicPartition,
)

ReplicaSizes = Mapping[tuple[str, int, int], int]
"""(topic, partition, broker) -> bytes of that replica's log."""

RATE_SMOOTHING = 0.5
"""Weight of the newest measure in the rate (the rest from the one before):
throttled copies arrive in bursts, and an ETA jumping about helps nobody."""


def replica_sizes_from_log_dirs(log_dirs: Mapping[int, Iterable[LogDirInfo]]) -> dict[tuple[str, int, int], int]:
    """(topic, partition, broker) -> bytes of that replica's log (future logs
    left out), from ``describe_log_dirs`` answers."""
    sizes: dict[tuple[str, int, int], int] = {}
    for broker, dirs in log_dirs.items():
        for log_dir in dirs:
            for replica in log_dir.replicas:
                if replica.is_future:
                    continue
                key = (replica.topic, replica.partition, broker)
                sizes[key] = max(sizes.get(key, 0), replica.size)
    return sizes


def partition_sizes(replica_sizes: ReplicaSizes) -> dict[TopicPartition, int]:
    """(topic, partition) -> the largest of its replicas' sizes."""
    sizes: dict[TopicPartition, int] = {}
    for (topic, partition, _broker), size in replica_sizes.items():
        key = (topic, partition)
        if size > sizes.get(key, -1):
            sizes[key] = size
    return sizes


def _source_size(
    topic: str, partition: int, info: PartitionInfo | None, adding: Replicas, sizes: ReplicaSizes
) -> int | None:
    """The size a new replica must reach: the leader's log, else the largest
    of the replicas that are not new."""
    if info is not None and info.leader >= 0:
        size = sizes.get((topic, partition, info.leader))
        if size is not None:
            return size
    known = [
        s
        for b in (info.replicas if info is not None else ())
        if b not in adding
        if (s := sizes.get((topic, partition, b))) is not None
    ]
    return max(known) if known else None


def compute_progress(
    metadata: ClusterMetadata,
    targets: Mapping[TopicPartition, Replicas],
    ongoing: Mapping[TopicPartition, OngoingReassignment],
    replica_sizes: ReplicaSizes,
    *,
    taken_at: float,
    originals: Mapping[TopicPartition, Replicas] | None = None,
    previous: ReassignProgress | None = None,
    throttle_rate: int | None = None,
    errors: tuple[str, ...] = (),
) -> ReassignProgress:
    """Progress of the partitions moving to ``targets``.  ``originals`` (the
    replicas before, when known) keep a finished partition's bytes in the
    totals; the rate is the bytes copied since ``previous`` over the time
    since it, smoothed."""
    index: dict[TopicPartition, PartitionInfo] = {}
    wanted_topics = {topic for topic, _ in targets}
    for topic_info in metadata.topics:
        if topic_info.name in wanted_topics:
            for p in topic_info.partitions:
                index[(p.topic, p.partition)] = p
    notes = list(errors)
    rows = []
    for key in sorted(targets):
        topic, partition = key
        target = tuple(targets[key])
        info = index.get(key)
        moving = ongoing.get(key)
        replicas = info.replicas if info is not None else ()
        if moving is not None:
            adding, removing = moving.adding, moving.removing
        elif originals is not None and key in originals:
            adding = tuple(b for b in target if b not in originals[key])
            removing = tuple(b for b in originals[key] if b not in target)
        else:
            adding = removing = ()
        done = moving is None and info is not None and replicas == target
        if info is None:
            notes.append(f"{topic}-{partition} no longer exists")
        elif moving is None and not done:
            notes.append(
                f"{topic}-{partition} is not moving, but its replicas are {list(replicas)} rather than {list(target)}"
            )
        size = _source_size(topic, partition, info, adding, replica_sizes)
        if done:
            copied = None if size is None else size * len(adding)
        elif size is None:
            copied = None
        else:
            copied = sum(min(size, replica_sizes.get((topic, partition, b), 0)) for b in adding)
        rows.append(
            MovingPartition(
                topic=topic,
                partition=partition,
                target=target,
                replicas=replicas,
                isr=info.isr if info is not None else (),
                leader=info.leader if info is not None else -1,
                done=done,
                size=size,
                copied=copied,
                adding=adding,
                removing=removing,
            )
        )
    progress = ReassignProgress(tuple(rows), taken_at, None, throttle_rate, tuple(notes))
    rate = None
    if previous is not None and taken_at > previous.taken_at:
        measured = max(0.0, (progress.bytes_copied - previous.bytes_copied) / (taken_at - previous.taken_at))
        rate = measured if previous.rate is None else RATE_SMOOTHING * measured + (1 - RATE_SMOOTHING) * previous.rate
    return ReassignProgress(tuple(rows), taken_at, rate, throttle_rate, tuple(notes))
