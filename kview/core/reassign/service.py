"""ReassignService: what talks to the cluster for replica and leader
operations.  Reads (leader balance, plans with sizes, reassignments in
progress, progress) and the write actions, each guarded by the read-only
list: electing leaders, starting a reassignment with its throttle,
cancelling, and removing the throttle.

A write that Kafka half-accepts (some partitions refused) is reported per
partition (``ApplyResult.errors``, ``CancelResult.errors``); what did start
keeps running and shows in ``ongoing()`` and ``progress()``, and the throttle
stays set until ``remove_throttles`` (the app and ``kview reassign status``
remove it once every partition is done, as ``kafka-reassign-partitions
--verify`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from kview.core.readonly import write_action
from kview.core.reassign.models import (
    ApplyResult,
    CancelResult,
    ElectionReport,
    ElectionType,
    LeaderBalance,
    OngoingReassignment,
    PlanIntent,
    ReassignmentPlan,
    ReassignProgress,
    Replicas,
    TopicPartition,
)

if TYPE_CHECKING:
    from kview.core.cluster import ClusterClient
    from kview.core.models import ClusterMetadata

DEFAULT_TIMEOUT_MS = 60_000
"""How long Kafka may take over an election or a reassignment request."""


class ReassignService:
    """Replica and leader operations on one cluster."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    # -- reads --------------------------------------------------------------------------

    async def leader_balance(self, topics: Iterable[str] | None = None, *, with_bytes: bool = True) -> LeaderBalance:
        """Leaders vs preferred leaders per broker, with each broker's replica
        bytes (DescribeLogDirs) unless ``with_bytes`` is False."""
        raise NotImplementedError

    async def replica_sizes(
        self, metadata: ClusterMetadata | None = None
    ) -> tuple[dict[tuple[str, int, int], int], dict[int, str]]:
        """(topic, partition, broker) -> replica log bytes, from every live
        broker's log dirs; and, for brokers that did not answer, why."""
        raise NotImplementedError

    async def plan(self, intent: PlanIntent, *, with_sizes: bool = True) -> ReassignmentPlan:
        """The plan for ``intent`` on the current metadata, with its preview
        (bytes from the log dirs unless ``with_sizes`` is False).  Raises
        PlanError on bad input."""
        raise NotImplementedError

    async def ongoing(self, partitions: Iterable[TopicPartition] | None = None) -> tuple[OngoingReassignment, ...]:
        """Reassignments in progress (ListPartitionReassignments), by kview or any
        other tool; ``partitions`` limits the question."""
        raise NotImplementedError

    async def progress(
        self,
        targets: Mapping[TopicPartition, Replicas] | ReassignmentPlan | None = None,
        previous: ReassignProgress | None = None,
    ) -> ReassignProgress:
        """One look at the partitions moving to ``targets`` (None: every
        reassignment in progress now).  ``previous`` gives the rate and ETA."""
        raise NotImplementedError

    async def throttle_rate(self, brokers: Iterable[int] | None = None) -> int | None:
        """The replication throttle set on the brokers (the smallest
        leader/follower rate found), None when none is set."""
        raise NotImplementedError

    # -- writes -------------------------------------------------------------------------

    @write_action("elect leaders")
    async def elect_leaders(
        self,
        partitions: Iterable[TopicPartition] | None = None,
        election: ElectionType = ElectionType.PREFERRED,
        *,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> ElectionReport:
        """Elect leaders for ``partitions`` (None: every partition, as
        ``kafka-leader-election --all-topic-partitions``).  Unclean elections
        may lose data: the app asks for a typed confirmation first.  Every
        partition's answer is in the report; nothing raises for a partition."""
        raise NotImplementedError

    @write_action("reassign partitions")
    async def apply(
        self,
        plan: ReassignmentPlan | Mapping[TopicPartition, Replicas],
        *,
        throttle: int | None = None,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> ApplyResult:
        """Start the plan's reassignments.  With ``throttle`` (bytes/s) the
        throttle is set first, the way Kafka's tool does; if Kafka then
        refuses every partition the throttle is removed again.  Refuses (with
        PlanError, nothing sent) a plan whose partitions already move or whose
        current replicas changed since it was made."""
        raise NotImplementedError

    @write_action("cancel reassignment")
    async def cancel(
        self, partitions: Iterable[TopicPartition] | None = None, *, timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> CancelResult:
        """Cancel reassignments in progress (None: all of them); Kafka returns
        each partition to its original replicas.  The throttle is removed
        afterwards when no reassignment is left."""
        raise NotImplementedError

    @write_action("remove replication throttle")
    async def remove_throttles(
        self, topics: Iterable[str] | None = None, brokers: Iterable[int] | None = None
    ) -> tuple[str, ...]:
        """Remove the throttle configs (as ``--verify`` does once done) from
        ``brokers`` (None: every broker) and ``topics`` (None: every topic
        that has one); returns what could not be removed, in words."""
        raise NotImplementedError
