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
offsets committed, e.g. by kview or ``--reset-offsets``); others (connect,
share, streams groups) are not consumer groups."""


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
    subscription: tuple[str, ...] = ()


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

    @property
    def lag(self) -> int | None:
        """``log_end - committed``; negative when the commit is past the log end."""
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
        return retention_breached(self.committed, self.log_start)

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
