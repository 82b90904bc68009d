"""The consumer-group data the panes and the headless commands share: a
group as ListGroups lists it, its members, its rows (one per partition, as
``kafka-consumer-groups --describe`` prints them), its summary in a refresh,
and a group's detail.  Offsets and lag are None where the tool prints ``-``;
negative lag is kept as is."""

from __future__ import annotations

from dataclasses import dataclass

from kview.core.groups.readable import Readable
from kview.core.lag import GroupStatus, TimeLag, partition_lag, retention_breached

TopicPartition = tuple[str, int]

CONSUMER_PROTOCOLS = ("consumer", "")
"""Protocol types of consumer groups (``""``: a group that only ever had
offsets committed, e.g. by kview or ``--reset-offsets``); connect groups are
not shown; share and streams groups are, by their group type."""

GROUP_TYPES = ("classic", "consumer", "share", "streams")
"""The kinds of group Kafka 4 has: classic (the rebalance protocol of every
Kafka), consumer (KIP-848's protocol), share (KIP-932, queue-like) and
streams (KIP-1071)."""

NEW_TYPES = ("share", "streams")
"""Group types a broker may lack (Kafka 3.9 has neither)."""


def group_kind(group_type: str, protocol_type: str) -> str:
    """One of GROUP_TYPES: ListGroups' type when the broker gave one, else
    (brokers before 3.8) every group is classic."""
    kind = (group_type or "").lower()
    if kind in GROUP_TYPES:
        return kind
    if protocol_type in ("share", "streams"):
        return protocol_type
    return "classic"


@dataclass(frozen=True)
class GroupListing:
    """One line of ListGroups."""

    name: str
    state: str
    protocol_type: str
    group_type: str = ""
    """classic or consumer (KIP-848); empty when the broker does not say."""
    coordinator: int | None = None


@dataclass(frozen=True)
class MemberInfo:
    member_id: str
    client_id: str
    host: str
    group_instance_id: str | None = None
    assignment: tuple[TopicPartition, ...] = ()
    """Partitions the member owns now (share groups: may be shared with others)."""
    subscription: tuple[str, ...] = ()
    member_epoch: int | None = None
    """KIP-848, share and streams members; None for classic members."""
    target_assignment: tuple[TopicPartition, ...] | None = None
    """KIP-848: what the group's assignor gave the member; None where the
    protocol has no target (classic, share)."""
    subscribed_regex: str | None = None
    """KIP-848: the server-side regex subscription, if any."""
    process_id: str | None = None
    """Streams members: the Kafka Streams process (client instance) it belongs to."""
    active_tasks: tuple[str, ...] = ()
    standby_tasks: tuple[str, ...] = ()
    warmup_tasks: tuple[str, ...] = ()
    target_tasks: tuple[str, ...] | None = None
    """Streams members: the active tasks the target assignment gives them."""

    @property
    def moving_in(self) -> tuple[TopicPartition, ...]:
        """Target partitions the member does not own yet (reconciling)."""
        if self.target_assignment is None:
            return ()
        return tuple(sorted(set(self.target_assignment) - set(self.assignment)))

    @property
    def moving_out(self) -> tuple[TopicPartition, ...]:
        """Owned partitions the target takes away (being revoked)."""
        if self.target_assignment is None:
            return ()
        return tuple(sorted(set(self.assignment) - set(self.target_assignment)))


@dataclass(frozen=True)
class GroupPartitionLag:
    """One row of the group detail."""

    topic: str
    partition: int
    committed: int | None
    """None: the group has no committed offset here (Kafka's tool prints ``-``)."""
    log_start: int | None
    log_end: int | None
    consumer_id: str | None = None
    client_id: str | None = None
    host: str | None = None
    time_lag: TimeLag | None = None
    readable: Readable | None = None
    """What a read_committed consumer receives of the lag; None: not read."""
    share_lag: int | None = None
    """Share groups: ``committed`` is the share-partition start offset and this
    the lag as the broker computes it (records not yet acknowledged past the
    start offset); None for other groups, or when the broker does not say."""
    share: bool = False
    """A share-partition row (see ``share_lag``)."""

    @property
    def lag(self) -> int | None:
        """``log_end - committed``, negative when the commit is past the log
        end; for a share-partition the broker's lag."""
        if self.share:
            return self.share_lag
        return partition_lag(self.committed, self.log_end)

    @property
    def readable_lag(self) -> int | None:
        """Records of the lag a read_committed consumer receives; the lag itself
        when not read (or not counted), None without a lag."""
        lag = self.lag
        if lag is None or lag <= 0:
            return lag
        if self.readable is None or self.readable.records is None:
            return lag
        return self.readable.records

    @property
    def retention_breach(self) -> bool:
        # The broker moves a share-partition's start offset past deleted records.
        return not self.share and retention_breached(self.committed, self.log_start)

    @property
    def key(self) -> str:
        return f"{self.topic}:{self.partition}"


@dataclass(frozen=True)
class GroupSummary:
    """One group in the groups list.  ``partitions`` (the rows) is filled only
    when the refresh asked for them (``with_partitions=True``, the detail)."""

    name: str
    state: str
    protocol_type: str
    assignor: str
    members: tuple[MemberInfo, ...]
    topics: tuple[str, ...]
    partition_count: int
    """Assigned or committed partitions (the rows Kafka's tool would print)."""
    uncommitted_partitions: int
    """Assigned partitions without a committed offset."""
    status: GroupStatus
    total_lag: int
    """Sum of the positive lags of partitions with a committed offset."""
    retention_breach: bool
    consumption_rate: float | None
    production_rate: float | None
    catch_up_seconds: float | None
    time_lag: TimeLag | None
    idle_seconds: float
    lag_history: tuple[tuple[float, int], ...]
    partitions: tuple[GroupPartitionLag, ...] = ()
    coordinator: int | None = None
    group_type: str = ""
    error: str | None = None
    readable: Readable | None = None
    """Sum over the lagging partitions of what a read_committed consumer
    receives; None when any lagging partition was not read (counts that could
    not be told apart are None inside)."""
    group_epoch: int | None = None
    """KIP-848, share and streams groups; None for classic groups."""
    assignment_epoch: int | None = None
    """The epoch of the target assignment (KIP-848, share, streams)."""
    topology_epoch: int | None = None
    """Streams groups: the epoch of the topology the members declared."""
    subtopologies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Streams groups: (subtopology id, its source topics)."""

    @property
    def kind(self) -> str:
        """classic, consumer, share or streams (``GROUP_TYPES``)."""
        return group_kind(self.group_type, self.protocol_type)

    @property
    def reconciling(self) -> bool:
        """A KIP-848 or streams group whose members do not all own their target yet."""
        return any(m.moving_in or m.moving_out for m in self.members) or (
            self.group_epoch is not None
            and self.assignment_epoch is not None
            and self.assignment_epoch < self.group_epoch
        )

    @property
    def member_count(self) -> int:
        return len(self.members)

    @property
    def readable_lag(self) -> int:
        """The lag less what kview read and found nobody receives."""
        if self.readable is None or self.readable.records is None:
            return self.total_lag
        return self.readable.records


@dataclass(frozen=True)
class GroupsSnapshot:
    groups: tuple[GroupSummary, ...]
    taken_at: float
    duration: float
    """Seconds the refresh took."""
    errors: tuple[str, ...] = ()

    def group(self, name: str) -> GroupSummary | None:
        for group in self.groups:
            if group.name == name:
                return group
        return None


@dataclass(frozen=True)
class GroupDetail:
    """A group with exact time lags (read from the records themselves)."""

    summary: GroupSummary
    partitions: tuple[GroupPartitionLag, ...]
    members: tuple[MemberInfo, ...]

    @property
    def name(self) -> str:
        return self.summary.name
