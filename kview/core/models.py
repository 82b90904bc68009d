"""kview's own data model: frozen dataclasses handed from the backend to the UI
and to the headless commands.  Nothing here talks to Kafka.

Totals over every partition (counts, the partitions of all topics, the
messages of a snapshot) are computed once per object (``cached_property``:
the objects never change): on 20,000 partitions each costs a pass over all of
them, and the overview and the header ask for them on every refresh.  The
backend computes them up front, off the UI's event loop (``warm_totals``).

The classes made by the thousand per refresh (brokers, partitions, topics,
watermarks) have ``__slots__``: no per-object ``__dict__`` means half the
objects for Python's cycle collector to track and scan, and its passes over
a big heap are what stall the UI.  The two made once per refresh
(ClusterMetadata, ClusterSnapshot) keep a ``__dict__`` for their cached totals.

For the same reason a refresh reuses the topics, partitions and watermarks
of the one before when they are equal (``reuse_topic``, ``reuse_watermarks``):
on a cluster that changes little, a refresh of 20,000 partitions then leaves
next to no new objects behind.  Reused objects are equal by value, so nothing
shown changes; they are found by weak reference, so nothing is kept alive
that no metadata or watermarks hold."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int
    rack: str | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    topic: str
    partition: int
    leader: int
    """Leader broker id; -1 when the partition has no leader (offline)."""
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline_replicas: tuple[int, ...] = ()

    @property
    def under_replicated(self) -> bool:
        """Kafka's definition: fewer in-sync replicas than assigned replicas."""
        return len(self.isr) < len(self.replicas)

    @property
    def offline(self) -> bool:
        return self.leader < 0

    @property
    def out_of_sync(self) -> tuple[int, ...]:
        return tuple(r for r in self.replicas if r not in self.isr)


@dataclass(frozen=True, slots=True, weakref_slot=True)
class TopicInfo:
    name: str
    internal: bool
    partitions: tuple[PartitionInfo, ...]
    error: str | None = None

    @property
    def partition_count(self) -> int:
        return len(self.partitions)

    @property
    def replication_factor(self) -> int:
        return max((len(p.replicas) for p in self.partitions), default=0)

    @property
    def under_replicated(self) -> int:
        return sum(1 for p in self.partitions if p.under_replicated)

    @property
    def offline(self) -> int:
        return sum(1 for p in self.partitions if p.offline)


@dataclass(frozen=True)
class ClusterMetadata:
    cluster_id: str | None
    controller_id: int | None
    """The active controller: the KRaft quorum leader when the quorum answers."""
    brokers: tuple[BrokerInfo, ...]
    topics: tuple[TopicInfo, ...]

    def topic(self, name: str) -> TopicInfo | None:
        for topic in self.topics:
            if topic.name == name:
                return topic
        return None

    @cached_property
    def partitions(self) -> tuple[PartitionInfo, ...]:
        return tuple(p for t in self.topics for p in t.partitions)

    @cached_property
    def partition_count(self) -> int:
        return len(self.partitions)

    @cached_property
    def under_replicated_count(self) -> int:
        return sum(1 for p in self.partitions if len(p.isr) < len(p.replicas))

    @cached_property
    def offline_count(self) -> int:
        return sum(1 for p in self.partitions if p.leader < 0)

    @cached_property
    def broker_counts(self) -> tuple[dict[int, int], dict[int, int]]:
        """(partitions led, replicas held) by broker id; partitions without a
        leader are not counted as led by anyone."""
        leaders: dict[int, int] = {}
        replicas: dict[int, int] = {}
        for p in self.partitions:
            if p.leader >= 0:
                leaders[p.leader] = leaders.get(p.leader, 0) + 1
            for r in p.replicas:
                replicas[r] = replicas.get(r, 0) + 1
        return leaders, replicas

    _TOTALS = ("partitions", "partition_count", "under_replicated_count", "offline_count", "broker_counts")

    def warm_totals(self) -> ClusterMetadata:
        """Compute the totals now (the backend does, in a worker thread, so
        the UI finds them ready); returns self."""
        for name in self._TOTALS:
            getattr(self, name)
        return self

    def with_controller(self, controller_id: int | None) -> ClusterMetadata:
        """A copy naming another controller, keeping the totals computed
        (they depend on the topics alone)."""
        updated = replace(self, controller_id=controller_id)
        for name in self._TOTALS:
            if name in self.__dict__:
                updated.__dict__[name] = self.__dict__[name]  # where cached_property keeps them
        return updated


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Watermarks:
    """Low (log start) and high (log end) offsets of one partition."""

    topic: str
    partition: int
    low: int
    high: int

    @property
    def messages(self) -> int:
        return max(0, self.high - self.low)


@dataclass(frozen=True)
class ClusterSnapshot:
    """What the overview and the header show: metadata plus watermarks, taken at
    one moment (``taken_at`` is ``time.time()``)."""

    metadata: ClusterMetadata
    watermarks: dict[tuple[str, int], Watermarks] = field(default_factory=dict)
    taken_at: float = 0.0

    @cached_property
    def total_messages(self) -> int:
        return sum(w.high - w.low for w in self.watermarks.values() if w.high > w.low)

    def warm_totals(self) -> ClusterSnapshot:
        """Compute the totals now (see ClusterMetadata.warm_totals); returns self."""
        self.metadata.warm_totals()
        _ = self.total_messages
        return self


# -- reuse between refreshes ------------------------------------------------------------

_TOPICS: weakref.WeakValueDictionary[str, TopicInfo] = weakref.WeakValueDictionary()
"""The latest TopicInfo made for each topic name that is still alive."""
_MARKS: weakref.WeakValueDictionary[tuple[str, int], Watermarks] = weakref.WeakValueDictionary()
"""The latest Watermarks made for each partition that are still alive."""


def reuse_topic(
    name: str,
    internal: bool,
    error: str | None,
    partitions: Iterable[tuple[Any, int, int, tuple[int, ...] | None, tuple[int, ...] | None, tuple[int, ...] | None]],
) -> TopicInfo:
    """``TopicInfo(name, internal, partitions, error)`` from partitions given
    as ``(anything, index, leader, replicas, isr, offline replicas)`` sorted
    by index (None lists meaning empty: the bulk metadata reader's tuples),
    or, when equal, the TopicInfo made last time (and its partitions)."""
    raw = partitions if isinstance(partitions, (list, tuple)) else list(partitions)
    previous = _TOPICS.get(name)
    old: dict[int, PartitionInfo] = {}
    if previous is not None:
        olds = previous.partitions
        if previous.internal == internal and previous.error == error and len(olds) == len(raw):
            for p, (_, index, leader, replicas, isr, offline) in zip(olds, raw, strict=True):
                if (
                    p.partition != index
                    or p.leader != leader
                    or p.replicas != (replicas or ())
                    or p.isr != (isr or ())
                    or p.offline_replicas != (offline or ())
                ):
                    break
            else:
                return previous
        old = {p.partition: p for p in olds}
    made = []
    for _, index, leader, replicas, isr, offline in raw:
        partition = PartitionInfo(name, index, leader, replicas or (), isr or (), offline or ())
        kept = old.get(index)
        made.append(kept if kept is not None and kept == partition else partition)
    topic = TopicInfo(name, internal, tuple(made), error)
    _TOPICS[name] = topic
    return topic


def reuse_watermarks(key: tuple[str, int], low: int, high: int) -> Watermarks:
    """``Watermarks(*key, low, high)``, or the equal one made last time."""
    previous = _MARKS.get(key)
    if previous is not None and previous.low == low and previous.high == high:
        return previous
    marks = _MARKS[key] = Watermarks(key[0], key[1], low, high)
    return marks
