"""kview's own data model: frozen dataclasses handed from the backend to the UI
and to the headless commands.  Nothing here talks to Kafka.

Totals over every partition (counts, the partitions of all topics, the
messages of a snapshot) are computed once per object (``cached_property``:
the objects never change): on 20,000 partitions each costs a pass over all of
them, and the overview and the header ask for them on every refresh.  The
backend computes them up front, off the UI's event loop (``warm_totals``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property


@dataclass(frozen=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int
    rack: str | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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

    _TOTALS = ("partitions", "partition_count", "under_replicated_count", "offline_count")

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


@dataclass(frozen=True)
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
