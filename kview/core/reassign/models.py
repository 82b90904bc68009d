"""The data model of replica and leader operations: leader balance, leader
elections, reassignment plans and their preview, reassignments in progress
and their progress.  Frozen dataclasses shared by the app's screens and the
headless commands; nothing here talks to Kafka.

Partitions are named by ``(topic, partition)`` tuples throughout
(``TopicPartition``); broker lists keep Kafka's order, whose first entry is
the partition's preferred leader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import TypeAlias

TopicPartition: TypeAlias = tuple[str, int]
"""(topic, partition index)."""

Replicas: TypeAlias = tuple[int, ...]
"""Broker ids in Kafka's order: the first is the preferred leader."""


# -- leader balance -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrokerLeadership:
    """One broker's share of leaders and replicas."""

    node_id: int
    rack: str | None
    online: bool
    """False for a broker that holds replicas but is not in the metadata."""
    leaders: int
    """Partitions this broker leads now."""
    preferred_leaders: int
    """Partitions whose preferred replica (first in the list) is this broker:
    what it would lead after a preferred election of every partition."""
    replicas: int
    """Replicas assigned to this broker (leader or follower)."""
    bytes: int | None = None
    """Bytes of its replica logs (DescribeLogDirs); None when unknown."""

    @property
    def leader_surplus(self) -> int:
        """Leaders above (positive) or below (negative) its preferred share."""
        return self.leaders - self.preferred_leaders


@dataclass(frozen=True, slots=True)
class NotPreferredLeader:
    """A partition led by another broker than its preferred replica."""

    topic: str
    partition: int
    leader: int
    """-1 when the partition has no leader."""
    preferred: int
    replicas: Replicas
    isr: Replicas

    @property
    def preferred_in_sync(self) -> bool:
        """A preferred election can move the leadership back only when the
        preferred replica is in the ISR."""
        return self.preferred in self.isr


@dataclass(frozen=True)
class LeaderBalance:
    """Leaders vs preferred leaders per broker, and the partitions not led by
    their preferred replica (``kview leaders``, the brokers pane)."""

    brokers: tuple[BrokerLeadership, ...]
    not_preferred: tuple[NotPreferredLeader, ...]
    partitions: int
    """Partitions counted (every topic's, or the topics asked for)."""
    offline: int
    """Partitions without a leader."""
    bytes_error: str | None = None
    """Why some brokers' bytes are unknown (log dirs not answered), else None."""

    def broker(self, node_id: int) -> BrokerLeadership | None:
        return next((b for b in self.brokers if b.node_id == node_id), None)

    @property
    def not_preferred_count(self) -> int:
        return len(self.not_preferred)

    @property
    def balanced(self) -> bool:
        """Every partition led by its preferred replica."""
        return not self.not_preferred


# -- leader election ----------------------------------------------------------------------


class ElectionType(IntEnum):
    """ElectLeaders' election types (KIP-460)."""

    PREFERRED = 0
    """Move the leadership to the preferred replica when it is in sync."""
    UNCLEAN = 1
    """Elect any live replica when no in-sync replica is left: may lose data."""


ELECTED = "elected"
"""The election moved the leadership (Kafka: 'Successfully completed leader election')."""
NOT_NEEDED = "not needed"
"""Kafka's ELECTION_NOT_NEEDED: a valid replica already leads ('Valid replica already elected')."""
FAILED = "failed"
"""Kafka answered another error for the partition (e.g. the preferred replica is not in sync)."""


@dataclass(frozen=True, slots=True)
class ElectionResult:
    """The answer for one partition of an election."""

    topic: str
    partition: int
    outcome: str
    """ELECTED, NOT_NEEDED or FAILED."""
    error: str | None = None
    """Kafka's error in words when FAILED (or the NOT_NEEDED message), else None."""
    leader_before: int | None = None
    leader_after: int | None = None
    """Leaders from metadata before and after, when kview read them (else
    None; an elected partition's leader_after is None when the brokers'
    metadata had not shown its new leader within a few seconds)."""


@dataclass(frozen=True)
class ElectionReport:
    """Every partition's answer to one ElectLeaders request."""

    election: ElectionType
    results: tuple[ElectionResult, ...]

    def _count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def elected(self) -> int:
        return self._count(ELECTED)

    @property
    def not_needed(self) -> int:
        return self._count(NOT_NEEDED)

    @property
    def failed(self) -> int:
        return self._count(FAILED)

    @property
    def ok(self) -> bool:
        """No partition failed."""
        return self.failed == 0


# -- plans ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrainBroker:
    """Intent: move every replica off ``broker`` (leaders first handed over).
    ``topics`` limits the drain to those topics (None: every topic)."""

    broker: int
    topics: tuple[str, ...] | None = None
    use_racks: bool = True
    """Each replica goes first to a broker on a rack its partition lacks (a
    broker alone on the drained broker's rack then takes all of that rack's
    replicas); False: to the least loaded broker, whatever its rack."""


@dataclass(frozen=True)
class SpreadReplicas:
    """Intent: spread replicas evenly over the brokers (and racks), keeping
    replication factors and balancing preferred leaders.  ``topics`` None
    means every non-internal topic; ``brokers`` None means every live broker."""

    topics: tuple[str, ...] | None = None
    brokers: tuple[int, ...] | None = None
    use_racks: bool = True
    """Place a partition's replicas on distinct racks where the racks allow."""


@dataclass(frozen=True)
class ChangeReplicationFactor:
    """Intent: give every partition of ``topic`` ``replication_factor``
    replicas (adding on the least loaded brokers, or dropping replicas from
    the most loaded; the leader is kept when it stays a replica)."""

    topic: str
    replication_factor: int


@dataclass(frozen=True)
class MovePartitions:
    """Intent: put the given partitions on the given brokers, in that order
    (the first becomes the preferred leader).  Also what a plan file read
    from ``kafka-reassign-partitions`` JSON becomes."""

    assignments: Mapping[TopicPartition, Replicas]


PlanIntent: TypeAlias = DrainBroker | SpreadReplicas | ChangeReplicationFactor | MovePartitions


@dataclass(frozen=True, slots=True)
class PartitionMove:
    """One partition that a plan changes."""

    topic: str
    partition: int
    current: Replicas
    target: Replicas
    size: int | None = None
    """Bytes of the partition's log (its largest replica, from DescribeLogDirs);
    None when no broker reported it."""

    @property
    def key(self) -> TopicPartition:
        return (self.topic, self.partition)

    @property
    def adding(self) -> Replicas:
        """Brokers that get a new replica (they copy the log)."""
        return tuple(b for b in self.target if b not in self.current)

    @property
    def removing(self) -> Replicas:
        """Brokers whose replica is deleted once the new ones are in sync."""
        return tuple(b for b in self.current if b not in self.target)

    @property
    def bytes_to_copy(self) -> int | None:
        """The log's size for each broker that gets a new replica."""
        return None if self.size is None else self.size * len(self.adding)

    @property
    def leader_change(self) -> bool:
        """The preferred leader changes (a preferred election then moves it)."""
        return bool(self.current) and bool(self.target) and self.current[0] != self.target[0]

    @property
    def order_only(self) -> bool:
        """Same brokers, another order: nothing to copy."""
        return set(self.current) == set(self.target)


@dataclass(frozen=True, slots=True)
class BrokerPlanTotals:
    """One broker before and after a plan."""

    node_id: int
    replicas_before: int
    replicas_after: int
    preferred_before: int
    """Partitions it is the preferred leader of, before and after."""
    preferred_after: int
    bytes_in: int
    """Bytes it copies in (new replicas), of sizes known."""
    bytes_out: int
    """Bytes of replicas it gives up, of sizes known."""
    rack: str | None = None
    online: bool = True


@dataclass(frozen=True)
class ReassignmentPlan:
    """A plan and its preview: every partition that moves, from and to which
    brokers, the bytes to copy, and totals per broker."""

    description: str
    """The intent in words, e.g. 'drain broker 2'."""
    moves: tuple[PartitionMove, ...]
    brokers: tuple[BrokerPlanTotals, ...]
    warnings: tuple[str, ...] = ()
    """What the planner could not do as asked (e.g. fewer racks than replicas),
    and sizes left unknown."""

    @property
    def empty(self) -> bool:
        return not self.moves

    @cached_property
    def bytes_to_copy(self) -> int:
        """Bytes copied over all moves whose size is known."""
        return sum(m.bytes_to_copy or 0 for m in self.moves)

    @cached_property
    def unknown_sizes(self) -> int:
        """Moves that copy data but whose size no broker reported."""
        return sum(1 for m in self.moves if m.size is None and m.adding)

    @property
    def assignments(self) -> dict[TopicPartition, Replicas]:
        """Target replicas by partition (what goes into the request and the file)."""
        return {m.key: m.target for m in self.moves}

    @property
    def rollback(self) -> dict[TopicPartition, Replicas]:
        """Current replicas by partition: the plan that puts everything back."""
        return {m.key: m.current for m in self.moves}

    def broker(self, node_id: int) -> BrokerPlanTotals | None:
        return next((b for b in self.brokers if b.node_id == node_id), None)


# -- execution and progress ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartitionError:
    """A partition Kafka refused (or kview could not handle), with why."""

    topic: str
    partition: int
    error: str


@dataclass(frozen=True)
class ThrottleSettings:
    """The replication throttle a reassignment runs under, as Kafka's tool
    sets it: ``leader/follower.replication.throttled.rate`` on every broker
    taking part, and ``leader/follower.replication.throttled.replicas`` on
    every moving topic (``partition:broker`` of the current replicas for the
    leader side, of the new ones for the follower side)."""

    rate: int
    """Bytes per second, per broker."""
    brokers: tuple[int, ...]
    topic_leader_replicas: Mapping[str, str]
    """Topic -> value of leader.replication.throttled.replicas."""
    topic_follower_replicas: Mapping[str, str]
    """Topic -> value of follower.replication.throttled.replicas."""


@dataclass(frozen=True)
class ApplyResult:
    """What applying a plan did."""

    started: tuple[TopicPartition, ...]
    """Partitions whose reassignment Kafka accepted."""
    errors: tuple[PartitionError, ...]
    """Partitions Kafka refused; their replicas are unchanged."""
    throttle: ThrottleSettings | None
    """The throttle set (None: none asked, or nothing started so none left)."""
    dry_run: bool = False
    """Nothing was sent: the result says what would have been."""
    rollback: Mapping[TopicPartition, Replicas] = field(default_factory=dict)
    """The replicas before, of the partitions started (a plan to undo them)."""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def partial(self) -> bool:
        """Some partitions started and some were refused."""
        return bool(self.started) and bool(self.errors)


@dataclass(frozen=True, slots=True)
class OngoingReassignment:
    """A reassignment in progress, as ListPartitionReassignments reports it
    (started by kview or by any other tool)."""

    topic: str
    partition: int
    replicas: Replicas
    """The full replica set while moving (the target plus the ones leaving)."""
    adding: Replicas
    removing: Replicas

    @property
    def key(self) -> TopicPartition:
        return (self.topic, self.partition)

    @property
    def target(self) -> Replicas:
        """Where the partition ends up."""
        return tuple(b for b in self.replicas if b not in self.removing)

    @property
    def original(self) -> Replicas:
        """Where it was (what a cancel returns it to)."""
        return tuple(b for b in self.replicas if b not in self.adding)


@dataclass(frozen=True, slots=True)
class MovingPartition:
    """Progress of one partition of a reassignment."""

    topic: str
    partition: int
    target: Replicas
    replicas: Replicas
    """Replicas now (during the move: target plus the ones leaving)."""
    isr: Replicas
    leader: int
    done: bool
    """No longer reassigning and its replicas are the target."""
    size: int | None
    """The leader's log size (what each new replica must copy); None unknown."""
    copied: int | None
    """Bytes the new replicas hold so far (all new replicas together)."""
    adding: Replicas = ()
    removing: Replicas = ()

    @property
    def key(self) -> TopicPartition:
        return (self.topic, self.partition)

    @property
    def to_copy(self) -> int | None:
        """Bytes all new replicas must hold in the end."""
        return None if self.size is None else self.size * len(self.adding)

    @property
    def remaining(self) -> int | None:
        if self.done:
            return 0
        if self.to_copy is None or self.copied is None:
            return None
        return max(0, self.to_copy - self.copied)


@dataclass(frozen=True)
class ReassignProgress:
    """One look at a reassignment: each moving partition, totals, rate and ETA."""

    partitions: tuple[MovingPartition, ...]
    taken_at: float
    """``time.time()`` of the look."""
    rate: float | None = None
    """Bytes per second copied since the previous look (None on the first)."""
    throttle_rate: int | None = None
    """The throttle found on the brokers taking part (None: not throttled)."""
    errors: tuple[str, ...] = ()
    """What could not be read (e.g. a broker's log dirs), in words."""

    @property
    def total(self) -> int:
        return len(self.partitions)

    @property
    def done(self) -> int:
        return sum(1 for p in self.partitions if p.done)

    @property
    def finished(self) -> bool:
        return all(p.done for p in self.partitions)

    @property
    def bytes_copied(self) -> int:
        return sum(p.copied or 0 for p in self.partitions if not p.done) + sum(
            p.to_copy or 0 for p in self.partitions if p.done
        )

    @property
    def bytes_remaining(self) -> int:
        return sum(p.remaining or 0 for p in self.partitions)

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None: no rate yet, or nothing moves)."""
        if self.finished:
            return 0.0
        if not self.rate or self.rate <= 0:
            return None
        return self.bytes_remaining / self.rate


@dataclass(frozen=True)
class CancelResult:
    """What a cancel did: partitions returned to their original replicas."""

    cancelled: tuple[TopicPartition, ...]
    errors: tuple[PartitionError, ...]
    """Partitions Kafka refused to cancel (e.g. NO_REASSIGNMENT_IN_PROGRESS)."""
    throttles_removed: bool
    """The throttle configs were removed afterwards (from every live broker
    taking part, and no broker taking part is offline)."""
    dry_run: bool = False
    notes: tuple[str, ...] = ()
    """What was left as it is, and why (an offline broker keeps its throttle
    until it is back: cancel again then)."""

    @property
    def ok(self) -> bool:
        return not self.errors
