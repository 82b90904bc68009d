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

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aiokafka.protocol.admin import DescribeConfigsRequest

from kview.core.brokers import describe_log_dirs
from kview.core.cluster import off_loop, per_broker
from kview.core.errors import KafkaRequestError, KViewError, describe_exception
from kview.core.protocol.cluster_requests import (
    OP_DELETE,
    OP_SET,
    RESOURCE_BROKER,
    RESOURCE_TOPIC,
    IncrementalAlterConfigsRequest,
)
from kview.core.protocol.reassign_requests import (
    ELECTION_NOT_NEEDED,
    ElectLeadersRequest,
    alter_reassignments_request,
    by_topic,
    list_reassignments_request,
)
from kview.core.readonly import write_action
from kview.core.reassign.leaders import leader_balance
from kview.core.reassign.models import (
    ELECTED,
    FAILED,
    NOT_NEEDED,
    ApplyResult,
    CancelResult,
    ElectionReport,
    ElectionResult,
    ElectionType,
    LeaderBalance,
    OngoingReassignment,
    PartitionError,
    PlanIntent,
    ReassignmentPlan,
    ReassignProgress,
    Replicas,
    ThrottleSettings,
    TopicPartition,
)
from kview.core.reassign.planner import PlanError, make_plan, validate_assignments
from kview.core.reassign.progress import compute_progress, partition_sizes, replica_sizes_from_log_dirs
from kview.core.reassign.throttle import (
    BROKER_RATE_CONFIGS,
    FOLLOWER_RATE,
    FOLLOWER_REPLICAS,
    LEADER_RATE,
    LEADER_REPLICAS,
    TOPIC_REPLICAS_CONFIGS,
    throttle_settings,
    topics_of,
)

if TYPE_CHECKING:
    from kview.core.cluster import ClusterClient
    from kview.core.models import ClusterMetadata

DEFAULT_TIMEOUT_MS = 60_000
"""How long Kafka may take over an election or a reassignment request."""

ELECTION_SETTLE_SECONDS = 5.0
"""How long an election waits for the brokers' metadata to show its new leaders."""

DYNAMIC_BROKER_SOURCES = (2, 3)
"""DescribeConfigs sources DYNAMIC_BROKER_CONFIG and DYNAMIC_DEFAULT_BROKER_CONFIG."""

PLAN_WORK_PER_PARTITION = 40
"""A measure (like bytes of an answer, see ``off_loop``) of planning one
partition: big plans are computed in the worker thread."""


def _partition_error(topic: str, partition: int, code: int, message: str | None) -> PartitionError:
    return PartitionError(topic, partition, str(KafkaRequestError(code, message)))


class ReassignService:
    """Replica and leader operations on one cluster."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client
        self._originals: dict[TopicPartition, Replicas] = {}
        """Replicas before a move, for each partition seen moving: a finished
        partition's bytes stay in the totals after Kafka forgets it moved."""

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    # -- reads --------------------------------------------------------------------------

    async def leader_balance(self, topics: Iterable[str] | None = None, *, with_bytes: bool = True) -> LeaderBalance:
        """Leaders vs preferred leaders per broker, with each broker's replica
        bytes (DescribeLogDirs) unless ``with_bytes`` is False."""
        metadata = await self.client.metadata()
        topic_list = None if topics is None else list(topics)
        if topic_list is not None:
            missing = [t for t in topic_list if metadata.topic(t) is None]
            if missing:
                raise PlanError(f"topic '{missing[0]}' does not exist")
        broker_bytes: dict[int, int] | None = None
        bytes_error = None
        if with_bytes:
            dirs, errors = await describe_log_dirs(
                self.client, (b.node_id for b in metadata.brokers), with_replicas=False
            )
            broker_bytes = {broker: sum(d.size for d in found) for broker, found in dirs.items()}
            if errors:
                bytes_error = "; ".join(f"broker {b}: {reason}" for b, reason in sorted(errors.items()))
        return leader_balance(metadata, broker_bytes, topics=topic_list, bytes_error=bytes_error)

    async def replica_sizes(
        self, metadata: ClusterMetadata | None = None
    ) -> tuple[dict[tuple[str, int, int], int], dict[int, str]]:
        """(topic, partition, broker) -> replica log bytes, from every live
        broker's log dirs; and, for brokers that did not answer, why."""
        if metadata is None:
            metadata = await self.client.metadata()
        dirs, errors = await describe_log_dirs(self.client, (b.node_id for b in metadata.brokers))
        return replica_sizes_from_log_dirs(dirs), errors

    async def plan(self, intent: PlanIntent, *, with_sizes: bool = True) -> ReassignmentPlan:
        """The plan for ``intent`` on the current metadata, with its preview
        (bytes from the log dirs unless ``with_sizes`` is False).  Raises
        PlanError on bad input."""
        metadata = await self.client.metadata()
        sizes: dict[TopicPartition, int] = {}
        notes: tuple[str, ...] = ()
        if with_sizes:
            replica_sizes, errors = await self.replica_sizes(metadata)
            sizes = partition_sizes(replica_sizes)
            notes = tuple(f"log dirs of broker {b} not read: {reason}" for b, reason in sorted(errors.items()))
        plan = await off_loop(metadata.partition_count * PLAN_WORK_PER_PARTITION, make_plan, metadata, intent, sizes)
        if notes:
            plan = ReassignmentPlan(plan.description, plan.moves, plan.brokers, plan.warnings + notes)
        return plan

    async def ongoing(self, partitions: Iterable[TopicPartition] | None = None) -> tuple[OngoingReassignment, ...]:
        """Reassignments in progress (ListPartitionReassignments), by kview or any
        other tool; ``partitions`` limits the question."""
        wanted = None if partitions is None else list(partitions)
        if wanted is not None and not wanted:
            return ()
        request = list_reassignments_request(wanted, DEFAULT_TIMEOUT_MS)
        response = await self.client.send_any(request, "list partition reassignments")
        obj = response.to_object()
        if obj["error_code"]:
            raise KafkaRequestError(obj["error_code"], obj.get("error_message"), subject="list reassignments")
        found = []
        for topic in obj["topics"] or ():
            for p in topic["partitions"] or ():
                found.append(
                    OngoingReassignment(
                        topic=topic["name"],
                        partition=p["partition_index"],
                        replicas=tuple(p["replicas"] or ()),
                        adding=tuple(p["adding_replicas"] or ()),
                        removing=tuple(p["removing_replicas"] or ()),
                    )
                )
        found.sort(key=lambda o: o.key)
        for moving in found:
            self._originals.setdefault(moving.key, moving.original)
        return tuple(found)

    async def progress(
        self,
        targets: Mapping[TopicPartition, Replicas] | ReassignmentPlan | None = None,
        previous: ReassignProgress | None = None,
    ) -> ReassignProgress:
        """One look at the partitions moving to ``targets`` (None: every
        reassignment in progress now).  ``previous`` gives the rate and ETA."""
        if isinstance(targets, ReassignmentPlan):
            for key, replicas in targets.rollback.items():
                self._originals.setdefault(key, replicas)
            wanted: dict[TopicPartition, Replicas] | None = targets.assignments
        else:
            wanted = None if targets is None else {k: tuple(v) for k, v in targets.items()}
        metadata, moving = await asyncio.gather(
            self.client.metadata(None if wanted is None else list(topics_of(wanted))),
            self.ongoing(None if wanted is None else list(wanted)),
        )
        ongoing = {m.key: m for m in moving}
        if wanted is None:
            wanted = {m.key: m.target for m in moving}
        brokers: set[int] = set()
        index = {(p.topic, p.partition): p for p in metadata.partitions}
        for key, target in wanted.items():
            brokers.update(target)
            if key in index:
                brokers.update(index[key].replicas)
        live = {b.node_id for b in metadata.brokers}
        errors: list[str] = []
        sizes: dict[tuple[str, int, int], int] = {}
        if wanted:
            dirs, dir_errors = await describe_log_dirs(
                self.client,
                sorted(brokers & live),
                by_topic(wanted),
            )
            sizes = replica_sizes_from_log_dirs(dirs)
            errors += [f"log dirs of broker {b} not read: {reason}" for b, reason in sorted(dir_errors.items())]
        offline = sorted(brokers - live)
        if offline:
            errors.append(f"broker(s) {', '.join(map(str, offline))} taking part are offline")
        rate = await self.throttle_rate(sorted(brokers & live)) if wanted else None
        return compute_progress(
            metadata,
            wanted,
            ongoing,
            sizes,
            taken_at=time.time(),
            originals=self._originals,
            previous=previous,
            throttle_rate=rate,
            errors=tuple(errors),
        )

    async def throttle_rate(self, brokers: Iterable[int] | None = None) -> int | None:
        """The replication throttle set on the brokers (the smallest
        leader/follower rate found), None when none is set."""
        if brokers is None:
            brokers = [b.node_id for b in (await self.client.metadata()).brokers]

        async def one(broker: int) -> list[int]:
            request = DescribeConfigsRequest([(RESOURCE_BROKER, str(broker), [LEADER_RATE, FOLLOWER_RATE])])
            response = await self.client.send(broker, request, f"throttle of broker {broker}")
            rates = []
            for resource in response.to_object()["resources"]:
                if resource["error_code"]:
                    raise KafkaRequestError(resource["error_code"], resource.get("error_message"))
                for entry in resource["config_entries"]:
                    # set per broker or for all brokers (the built-in default means 'no throttle')
                    if entry["config_source"] in DYNAMIC_BROKER_SOURCES and entry["config_value"]:
                        rates.append(int(entry["config_value"]))
            return rates

        answers, _errors = await per_broker(list(brokers), one)
        found = [rate for rates in answers.values() for rate in rates]
        return min(found) if found else None

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
        wanted = None if partitions is None else sorted(set(partitions))
        if wanted is not None and not wanted:
            return ElectionReport(election, ())
        topics = None if wanted is None else list(topics_of(wanted))
        before = await self.client.metadata(topics)
        request = ElectLeadersRequest(None if wanted is None else by_topic(wanted), int(election), timeout_ms)
        response = await self.client.send_any(request, "elect leaders")
        obj = response.to_object()
        if obj.get("error_code"):
            raise KafkaRequestError(obj["error_code"], subject="elect leaders")
        self.client.note_change()
        leaders_before = {(p.topic, p.partition): p.leader for p in before.partitions}
        answers: list[tuple[TopicPartition, str, str | None]] = []
        for topic in obj["replica_election_results"]:
            for p in topic["partition_result"]:
                key = (topic["topic"], p["partition_id"])
                code = p["error_code"]
                if code == 0:
                    answers.append((key, ELECTED, None))
                elif code == ELECTION_NOT_NEEDED:
                    answers.append((key, NOT_NEEDED, p["error_message"] or None))
                else:
                    answers.append((key, FAILED, str(KafkaRequestError(code, p["error_message"]))))
        elected = [key for key, outcome, _ in answers if outcome == ELECTED]
        leaders_after = await self._leaders_after(topics, elected, leaders_before)
        results = [
            ElectionResult(key[0], key[1], outcome, error, leaders_before.get(key), leaders_after.get(key))
            for key, outcome, error in answers
        ]
        results.sort(key=lambda r: (r.topic, r.partition))
        return ElectionReport(election, tuple(results))

    async def _leaders_after(
        self, topics: list[str] | None, elected: list[TopicPartition], before: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """Leaders from metadata once it shows the elected partitions' new
        leaders: the controller has them at once, the brokers a moment later.
        At most ELECTION_SETTLE_SECONDS; an elected partition whose metadata
        still shows the old leader then gets no leader_after (unknown)."""
        deadline = time.monotonic() + ELECTION_SETTLE_SECONDS
        while True:
            metadata = await self.client.metadata(topics)
            leaders = {(p.topic, p.partition): p.leader for p in metadata.partitions}
            stale = [k for k in elected if leaders.get(k) == before.get(k) or leaders.get(k, -1) < 0]
            if not stale:
                return leaders
            if time.monotonic() >= deadline:
                return {k: v for k, v in leaders.items() if k not in set(stale)}
            await asyncio.sleep(0.2)
            self.client.note_change()

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
        if throttle is not None and throttle <= 0:
            raise PlanError(f"throttle {throttle} B/s: must be above 0")
        assignments = plan.assignments if isinstance(plan, ReassignmentPlan) else {k: tuple(v) for k, v in plan.items()}
        if not assignments:
            return ApplyResult((), (), None)
        metadata = await self.client.metadata()
        validate_assignments(metadata, assignments)
        index = {(p.topic, p.partition): p for p in metadata.partitions}
        current = {key: index[key].replicas for key in assignments}
        if isinstance(plan, ReassignmentPlan):
            for move in plan.moves:
                if current[move.key] != move.current:
                    raise PlanError(
                        f"{move.topic}-{move.partition} changed since the plan was made (replicas now "
                        f"{list(current[move.key])}, the plan expected {list(move.current)}): plan again"
                    )
        targets = {key: replicas for key, replicas in assignments.items() if replicas != current[key]}
        if not targets:
            return ApplyResult((), (), None)
        busy = await self.ongoing(list(targets))
        if busy:
            first = busy[0]
            raise PlanError(
                f"{first.topic}-{first.partition} is already being reassigned"
                f"{f' (and {len(busy) - 1} more)' if len(busy) > 1 else ''}: "
                "wait for it to finish or cancel it first"
            )
        settings = None
        if throttle is not None:
            settings = throttle_settings(current, targets, throttle)
            await self._set_throttle(settings)
        request = alter_reassignments_request(targets, timeout_ms)
        try:
            response = await self.client.send_any(request, "alter partition reassignments")
        except Exception as exc:
            # No answer does not mean nothing started: the controller may have
            # taken the request.  The throttle goes only if nothing moves.
            self.client.note_change()
            try:
                moving = await self.ongoing(list(targets))
            except Exception:
                moving = None
            if moving:
                raise KViewError(
                    f"reassign partitions: {describe_exception(exc)}; yet {len(moving)} partition(s) of the plan "
                    "are moving: follow them with status, stop them with cancel"
                ) from None
            if moving is None:
                raise KViewError(
                    f"reassign partitions: {describe_exception(exc)}; whether it started is unknown"
                    + (" (the throttle stays set)" if settings is not None else "")
                    + ": look with status"
                ) from None
            if settings is not None:
                await self._clear_quietly(settings)
            raise
        self.client.note_change()
        obj = response.to_object()
        if obj["error_code"]:
            if settings is not None:
                await self._clear_quietly(settings)
            raise KafkaRequestError(obj["error_code"], obj.get("error_message"), subject="reassign partitions")
        started, errors = self._per_partition(obj)
        if not started and settings is not None:
            await self._clear_quietly(settings)
            settings = None
        for key in started:
            self._originals[key] = current[key]
        return ApplyResult(tuple(started), tuple(errors), settings, rollback={key: current[key] for key in started})

    @staticmethod
    def _per_partition(obj: dict[str, Any]) -> tuple[list[TopicPartition], list[PartitionError]]:
        done: list[TopicPartition] = []
        errors: list[PartitionError] = []
        for topic in obj["responses"]:
            for p in topic["partitions"]:
                if p["error_code"]:
                    errors.append(
                        _partition_error(topic["name"], p["partition_index"], p["error_code"], p["error_message"])
                    )
                else:
                    done.append((topic["name"], p["partition_index"]))
        return sorted(done), sorted(errors, key=lambda e: (e.topic, e.partition))

    @write_action("cancel reassignment")
    async def cancel(
        self, partitions: Iterable[TopicPartition] | None = None, *, timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> CancelResult:
        """Cancel reassignments in progress (None: all of them); Kafka returns
        each partition to its original replicas.  Then, as
        ``kafka-reassign-partitions --cancel`` does, the throttle is removed:
        from the cancelled topics, and from every broker when no reassignment
        is left (also when there was nothing to cancel: a throttle left on a
        broker that was offline goes then)."""
        wanted = None if partitions is None else sorted(set(partitions))
        moving = await self.ongoing(wanted)
        moving_keys = {m.key for m in moving}
        errors = [
            PartitionError(t, p, "no reassignment in progress") for t, p in (wanted or ()) if (t, p) not in moving_keys
        ]
        cancelled: list[TopicPartition] = []
        if moving:
            request = alter_reassignments_request({m.key: None for m in moving}, timeout_ms)
            response = await self.client.send_any(request, "cancel partition reassignments")
            self.client.note_change()
            obj = response.to_object()
            if obj["error_code"]:
                raise KafkaRequestError(obj["error_code"], obj.get("error_message"), subject="cancel reassignments")
            cancelled, refused = self._per_partition(obj)
            errors += refused
        left = await self.ongoing()
        busy_topics = {m.topic for m in left}
        topics = [t for t in topics_of(list(cancelled) + list(wanted or ())) if t not in busy_topics]
        problems = list(await self._remove_throttles(topics, None if not left else []))
        live = {b.node_id for b in (await self.client.metadata()).brokers}
        involved = {b for m in moving if m.key in set(cancelled) for b in m.replicas}
        offline = sorted(involved - live)
        notes = list(problems)
        if offline:
            notes.append(
                f"broker(s) {', '.join(map(str, offline))} offline: a throttle set on them stays until they are "
                "back; cancel again then to remove it"
            )
        if left:
            notes.append(f"{len(left)} other reassignment(s) in progress: the brokers' throttle stays for them")
        errors.sort(key=lambda e: (e.topic, e.partition))
        return CancelResult(
            tuple(cancelled), tuple(errors), not problems and not offline and not left, notes=tuple(notes)
        )

    @write_action("remove replication throttle")
    async def remove_throttles(
        self, topics: Iterable[str] | None = None, brokers: Iterable[int] | None = None
    ) -> tuple[str, ...]:
        """Remove the throttle configs (as ``--verify`` does once done) from
        ``brokers`` (None: every broker) and ``topics`` (None: every topic
        that has one); returns what could not be removed, in words."""
        return await self._remove_throttles(topics, brokers)

    # -- throttles ----------------------------------------------------------------------

    async def _alter(self, resources: list[tuple[int, str, list[Any]]], what: str) -> list[str]:
        """IncrementalAlterConfigs of ``resources``: topics in one request to
        any broker, each broker's own configs to that broker (a broker refuses
        another's: 'Unexpected broker id'); the errors in words."""
        topics = [r for r in resources if r[0] != RESOURCE_BROKER]
        brokers = [r for r in resources if r[0] == RESOURCE_BROKER]
        problems: list[str] = []

        async def send(node: int | None, batch: list[tuple[int, str, list[Any]]]) -> list[str]:
            request = IncrementalAlterConfigsRequest(batch)
            if node is None:
                response = await self.client.send_any(request, what)
            else:
                response = await self.client.send(node, request, f"{what} on broker {node}")
            found = []
            for code, message, rtype, name, *_ in response.responses:
                if code:
                    subject = f"broker {name}" if rtype == RESOURCE_BROKER else f"topic {name}"
                    found.append(str(KafkaRequestError(code, message, subject=subject)))
            return found

        if topics:
            problems += await send(None, topics)
        if brokers:
            answers, errors = await per_broker(
                [int(r[1]) for r in brokers], lambda b: send(b, [r for r in brokers if r[1] == str(b)])
            )
            for found in answers.values():
                problems += found
            problems += [f"broker {b}: {reason}" for b, reason in sorted(errors.items())]
        return problems

    async def _set_throttle(self, settings: ThrottleSettings) -> None:
        rate = str(settings.rate)
        resources: list[tuple[int, str, list[Any]]] = []
        for topic in sorted(set(settings.topic_leader_replicas) | set(settings.topic_follower_replicas)):
            ops = []
            if topic in settings.topic_leader_replicas:
                ops.append((LEADER_REPLICAS, OP_SET, settings.topic_leader_replicas[topic]))
            if topic in settings.topic_follower_replicas:
                ops.append((FOLLOWER_REPLICAS, OP_SET, settings.topic_follower_replicas[topic]))
            resources.append((RESOURCE_TOPIC, topic, ops))
        metadata = await self.client.metadata()
        live = {b.node_id for b in metadata.brokers}
        for broker in settings.brokers:
            if broker in live:  # an offline broker's throttle cannot be set: it copies nothing either
                resources.append(
                    (RESOURCE_BROKER, str(broker), [(LEADER_RATE, OP_SET, rate), (FOLLOWER_RATE, OP_SET, rate)])
                )
        try:
            problems = await self._alter(resources, "set replication throttle")
        except (KViewError, Exception) as exc:
            await self._clear_quietly(settings)
            raise KViewError(
                f"the throttle could not be set ({describe_exception(exc)}); nothing was started"
            ) from None
        if problems:
            await self._clear_quietly(settings)
            raise KViewError(f"the throttle could not be set ({problems[0]}); nothing was started")

    async def _clear_quietly(self, settings: ThrottleSettings) -> None:
        """Undo ``_set_throttle`` after a failure, as far as the cluster lets us."""
        try:
            await self._remove_throttles(
                list(set(settings.topic_leader_replicas) | set(settings.topic_follower_replicas)), settings.brokers
            )
        except Exception:  # the failure being reported matters more
            pass

    async def _remove_throttles(self, topics: Iterable[str] | None, brokers: Iterable[int] | None) -> tuple[str, ...]:
        metadata = await self.client.metadata()
        live = [b.node_id for b in metadata.brokers]
        broker_ids = live if brokers is None else [b for b in brokers if b in live]
        if topics is None:
            topic_names = await self._throttled_topics([t.name for t in metadata.topics])
        else:
            topic_names = sorted(set(topics))
        resources: list[tuple[int, str, list[Any]]] = [
            (RESOURCE_TOPIC, topic, [(name, OP_DELETE, None) for name in TOPIC_REPLICAS_CONFIGS])
            for topic in topic_names
        ]
        resources += [
            (RESOURCE_BROKER, str(b), [(name, OP_DELETE, None) for name in BROKER_RATE_CONFIGS]) for b in broker_ids
        ]
        return tuple(await self._alter(resources, "remove replication throttle"))

    async def _throttled_topics(self, topics: list[str]) -> list[str]:
        """The topics that have a throttled-replicas config set."""
        if not topics:
            return []
        request = DescribeConfigsRequest([(RESOURCE_TOPIC, t, list(TOPIC_REPLICAS_CONFIGS)) for t in topics])
        response = await self.client.send_any(request, "throttled topics")
        found = []
        for resource in response.to_object()["resources"]:
            if resource["error_code"]:
                continue
            if any(e["config_value"] for e in resource["config_entries"]):
                found.append(resource["resource_name"])
        return sorted(found)
