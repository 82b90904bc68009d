"""Reassignment plans by intent, from metadata alone (and partition sizes for
the preview): drain a broker, spread replicas evenly over brokers and racks,
change a topic's replication factor, move chosen partitions.  Pure and fast:
20,000 partitions over 6 brokers plan in well under a second
(bench/reassign_plan.py).

Every plan keeps preferred leaders balanced: where the planner chooses a
partition's preferred (first) replica, it picks the broker with the fewest
preferred leaders so far.  Bad input (a broker or partition that does not
exist, a replication factor above the broker count) raises PlanError with a
one-line message; nothing is half-planned.

Spreading moves as little as it can: per topic, each broker's share of the
topic's replicas is brought to within one of the others' (the brokers that
already hold more keep the odd ones), then the cluster's totals are evened
out with moves that keep every topic within one, then replicas sharing a
rack are swapped apart where another rack is free, and last the preferred
leaders are evened out the same way, by reordering replicas only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from kview.core.errors import KViewError
from kview.core.models import ClusterMetadata, PartitionInfo, TopicInfo
from kview.core.reassign.models import (
    BrokerPlanTotals,
    ChangeReplicationFactor,
    DrainBroker,
    MovePartitions,
    PartitionMove,
    PlanIntent,
    ReassignmentPlan,
    Replicas,
    SpreadReplicas,
    TopicPartition,
)


class PlanError(KViewError):
    """A plan cannot be made or used as asked; the message says why."""


# -- helpers ----------------------------------------------------------------------------------


def _broker_list(ids: Iterable[int]) -> str:
    return ", ".join(str(b) for b in sorted(ids)) or "none"


def _live(metadata: ClusterMetadata) -> list[int]:
    return sorted(b.node_id for b in metadata.brokers)


def _racks(metadata: ClusterMetadata) -> dict[int, str | None]:
    return {b.node_id: b.rack for b in metadata.brokers}


def _topic_or_fail(metadata: ClusterMetadata, name: str) -> TopicInfo:
    topic = metadata.topic(name)
    if topic is None:
        raise PlanError(f"topic '{name}' does not exist")
    if topic.error:
        raise PlanError(f"topic '{name}': {topic.error}")
    return topic


def _counts(metadata: ClusterMetadata) -> tuple[dict[int, int], dict[int, int]]:
    """Replicas and preferred leaderships per broker, over the whole cluster."""
    replicas: dict[int, int] = defaultdict(int)
    preferred: dict[int, int] = defaultdict(int)
    for p in metadata.partitions:
        for r in p.replicas:
            replicas[r] += 1
        if p.replicas:
            preferred[p.replicas[0]] += 1
    return replicas, preferred


def _pick(
    candidates: Iterable[int],
    load: Mapping[int, int],
    racks: Mapping[int, str | None],
    used_racks: set[str | None],
) -> int | None:
    """The candidate on a rack not in ``used_racks`` if any, then the least loaded, then the lowest id."""
    best: tuple[int, int, int] | None = None
    for b in candidates:
        rack = racks.get(b)
        key = (1 if rack is not None and rack in used_racks else 0, load.get(b, 0), b)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


def _lead_with_least(replicas: list[int], preferred: dict[int, int]) -> list[int]:
    """``replicas`` with the broker of fewest preferred leaderships first."""
    first = min(replicas, key=lambda b: (preferred.get(b, 0), replicas.index(b)))
    return [first] + [b for b in replicas if b != first]


# -- intents ------------------------------------------------------------------------------------


def plan_drain(metadata: ClusterMetadata, intent: DrainBroker) -> dict[TopicPartition, Replicas]:
    """Target replicas of the partitions that have a replica on the broker."""
    gone = intent.broker
    replicas_count, preferred = _counts(metadata)
    live = _live(metadata)
    if gone not in live and gone not in replicas_count:
        raise PlanError(f"broker {gone} does not exist (brokers: {_broker_list(live)})")
    others = [b for b in live if b != gone]
    racks = _racks(metadata)
    topics = metadata.topics
    if intent.topics is not None:
        topics = tuple(_topic_or_fail(metadata, name) for name in intent.topics)
    plan: dict[TopicPartition, Replicas] = {}
    for topic in topics:
        for p in topic.partitions:
            if gone not in p.replicas:
                continue
            kept = [b for b in p.replicas if b != gone]
            used = {racks.get(b) for b in kept} if intent.use_racks else set()
            choice = _pick((b for b in others if b not in kept), replicas_count, racks, used)
            if choice is None:
                raise PlanError(
                    f"{p.topic}-{p.partition} has {len(p.replicas)} replicas and only "
                    f"{len(others)} other broker(s) ({_broker_list(others)}) are live: nowhere to move it"
                )
            replicas_count[gone] -= 1
            replicas_count[choice] += 1
            target = [choice if b == gone else b for b in p.replicas]
            if p.replicas[0] == gone:
                preferred[gone] -= 1
                target = _lead_with_least(target, preferred)
                preferred[target[0]] += 1
            plan[(p.topic, p.partition)] = tuple(target)
    return plan


def plan_replication_factor(
    metadata: ClusterMetadata, intent: ChangeReplicationFactor
) -> dict[TopicPartition, Replicas]:
    """Target replicas giving every partition of the topic the asked factor.
    Raising adds replicas on the least loaded brokers (other racks first);
    lowering drops replicas that are out of sync first, then those on the
    most loaded brokers, and keeps the leader and the preferred replica."""
    topic = _topic_or_fail(metadata, intent.topic)
    rf = intent.replication_factor
    live = _live(metadata)
    if rf < 1:
        raise PlanError(f"replication factor {rf} is below 1")
    if rf > len(live):
        raise PlanError(f"replication factor {rf} is above the {len(live)} live broker(s) ({_broker_list(live)})")
    replicas_count, preferred = _counts(metadata)
    racks = _racks(metadata)
    plan: dict[TopicPartition, Replicas] = {}
    for p in topic.partitions:
        current = list(p.replicas)
        if len(current) == rf:
            continue
        if len(current) < rf:
            target = list(current)
            while len(target) < rf:
                choice = _pick(
                    (b for b in live if b not in target), replicas_count, racks, {racks.get(b) for b in target}
                )
                if choice is None:  # every live broker already holds it (cannot happen with rf <= live)
                    raise PlanError(f"{p.topic}-{p.partition}: no broker left for replica {len(target) + 1}")
                target.append(choice)
                replicas_count[choice] += 1
            if not current:
                target = _lead_with_least(target, preferred)
                preferred[target[0]] += 1
        else:
            keep = {current[0]} | ({p.leader} if p.leader in current else set())
            target = list(current)
            while len(target) > rf:
                droppable = [b for b in target if b not in keep] or [b for b in target if b != current[0]]
                # out of sync first, then the most loaded, then a rack that is used twice, then the last
                rack_uses: dict[str | None, int] = defaultdict(int)
                for b in target:
                    rack_uses[racks.get(b)] += 1
                drop = max(
                    droppable,
                    key=lambda b: (
                        b not in p.isr,
                        replicas_count.get(b, 0),
                        rack_uses[racks.get(b)] > 1,
                        target.index(b),
                    ),
                )
                target.remove(drop)
                replicas_count[drop] -= 1
        plan[(p.topic, p.partition)] = tuple(target)
    return plan


def plan_moves(metadata: ClusterMetadata, intent: MovePartitions) -> dict[TopicPartition, Replicas]:
    """The asked assignments, checked against the metadata (PlanError if bad)."""
    validate_assignments(metadata, intent.assignments)
    return {key: tuple(replicas) for key, replicas in intent.assignments.items()}


def validate_assignments(metadata: ClusterMetadata, assignments: Mapping[TopicPartition, Replicas]) -> None:
    """Raise PlanError naming the first problem: an unknown topic or partition,
    a broker that does not exist, a repeated broker, an empty replica list."""
    live = set(_live(metadata))
    for (topic_name, partition), replicas in sorted(assignments.items()):
        topic = metadata.topic(topic_name)
        if topic is None:
            raise PlanError(f"topic '{topic_name}' does not exist")
        if not 0 <= partition < topic.partition_count:
            raise PlanError(
                f"partition {topic_name}-{partition} does not exist ('{topic_name}' has "
                f"{topic.partition_count} partition(s), 0-{topic.partition_count - 1})"
            )
        if not replicas:
            raise PlanError(f"{topic_name}-{partition}: the replica list is empty")
        if len(set(replicas)) != len(replicas):
            raise PlanError(f"{topic_name}-{partition}: a broker is named twice in {list(replicas)}")
        unknown = [b for b in replicas if b not in live]
        if unknown:
            raise PlanError(
                f"{topic_name}-{partition}: broker {unknown[0]} does not exist or is offline "
                f"(live brokers: {_broker_list(live)})"
            )


# -- spreading ----------------------------------------------------------------------------------


class _Spread:
    """The state of one spread: every scope partition's replicas (mutable
    lists), per-topic and cluster counts, and which partitions a broker holds."""

    def __init__(self, metadata: ClusterMetadata, topics: list[TopicInfo], brokers: list[int], use_racks: bool) -> None:
        self.brokers = brokers
        self.eligible = set(brokers)
        self.racks = _racks(metadata)
        rack_names = {self.racks.get(b) for b in brokers}
        self.rack_count = len(rack_names) if use_racks and None not in rack_names else 0
        self.parts: dict[TopicPartition, list[int]] = {}
        self.topic_of: dict[TopicPartition, str] = {}
        self.by_topic: dict[str, list[TopicPartition]] = {}
        self.total: dict[int, int] = dict.fromkeys(brokers, 0)
        self.holdings: dict[int, set[TopicPartition]] = {b: set() for b in brokers}
        for topic in topics:
            keys = []
            for p in topic.partitions:
                key = (p.topic, p.partition)
                self.parts[key] = list(p.replicas)
                keys.append(key)
                for r in p.replicas:
                    if r in self.eligible:
                        self.total[r] += 1
                        self.holdings[r].add(key)
            self.by_topic[topic.name] = keys
        self.warnings: list[str] = []

    def move(self, key: TopicPartition, source: int, dest: int) -> None:
        replicas = self.parts[key]
        replicas[replicas.index(source)] = dest
        if source in self.eligible:
            self.total[source] -= 1
            self.holdings[source].discard(key)
        self.total[dest] += 1
        self.holdings[dest].add(key)

    def used_racks(self, replicas: list[int], without: int) -> set[str | None]:
        return {self.racks.get(b) for b in replicas if b != without}

    # per topic: every broker within one of the others
    def balance_topic(self, name: str) -> dict[int, int]:
        keys = self.by_topic[name]
        counts = dict.fromkeys(self.brokers, 0)
        replicas_total = 0
        for key in keys:
            for r in self.parts[key]:
                replicas_total += 1
                if r in counts:
                    counts[r] += 1
        base, extra = divmod(replicas_total, len(self.brokers))
        # the brokers holding most of it already keep the odd replicas (fewer moves),
        # among equals those holding least of the cluster
        order = sorted(self.brokers, key=lambda b: (-counts[b], self.total[b], b))
        quota = {b: base + (1 if i < extra else 0) for i, b in enumerate(order)}
        for _attempt in range(2):
            for key in keys:
                replicas = self.parts[key]
                for source in list(replicas):
                    if source in self.eligible and counts[source] <= quota[source]:
                        continue
                    room = [b for b in self.brokers if counts[b] < quota[b] and b not in replicas]
                    dest = _pick(room, self.total, self.racks, self.used_racks(replicas, source))
                    if dest is None:
                        continue
                    self.move(key, source, dest)
                    if source in counts:
                        counts[source] -= 1
                    counts[dest] += 1
        stuck = [b for b in self.brokers if counts[b] > quota[b]] + [
            r for key in keys for r in self.parts[key] if r not in self.eligible
        ]
        if stuck:
            self.warnings.append(f"topic '{name}' could not be spread fully (brokers {_broker_list(set(stuck))})")
        return counts

    # the cluster: move replicas from the fullest to the emptiest broker while
    # the topic of the replica moved stays within one
    def balance_cluster(self, topic_counts: dict[str, dict[int, int]]) -> None:
        while True:
            high = max(self.brokers, key=lambda b: (self.total[b], -b))
            low = min(self.brokers, key=lambda b: (self.total[b], b))
            if self.total[high] - self.total[low] <= 1:
                return
            for key in sorted(self.holdings[high]):
                counts = topic_counts[key[0]]
                replicas = self.parts[key]
                if low in replicas or counts[high] <= counts[low]:
                    continue
                if self.rack_count and self.racks.get(low) in self.used_racks(replicas, high):
                    if self.racks.get(high) not in self.used_racks(replicas, high):
                        continue  # would put two replicas on one rack
                self.move(key, high, low)
                counts[high] -= 1
                counts[low] += 1
                break
            else:
                return

    # racks: a replica sharing a rack with another of its partition swaps with a
    # replica of another partition, on a rack the first partition lacks
    def separate_racks(self) -> None:
        if self.rack_count < 2:
            return
        short: list[TopicPartition] = []
        for key, replicas in self.parts.items():
            racks = [self.racks.get(b) for b in replicas]
            if len(set(racks)) < min(len(replicas), self.rack_count):
                short.append(key)
        for key in short:
            replicas = self.parts[key]
            self._separate_one(key, replicas)
        still = sum(
            1
            for key, replicas in self.parts.items()
            if len({self.racks.get(b) for b in replicas}) < min(len(replicas), self.rack_count)
        )
        if still:
            self.warnings.append(f"{still} partition(s) keep two replicas on one rack (no swap found)")

    def _separate_one(self, key: TopicPartition, replicas: list[int]) -> None:
        topic = key[0]
        seen: set[str | None] = set()
        for x in list(replicas):
            rack = self.racks.get(x)
            if rack not in seen:
                seen.add(rack)
                continue
            used = {self.racks.get(b) for b in replicas}
            for y in self.brokers:
                if self.racks.get(y) in used or y in replicas:
                    continue
                for other in sorted(self.holdings[y]):
                    if other[0] != topic or other == key:
                        continue  # same topic: per-topic counts stay as they are
                    theirs = self.parts[other]
                    if x in theirs or rack in self.used_racks(theirs, y):
                        continue
                    self.move(key, x, y)
                    self.move(other, y, x)
                    break
                else:
                    continue
                break

    # preferred leaders: reorder replicas so each broker leads its share
    def balance_leaders(self) -> None:
        cluster: dict[int, int] = dict.fromkeys(self.brokers, 0)
        per_topic: dict[str, dict[int, int]] = {}
        for name, keys in self.by_topic.items():
            counts = dict.fromkeys(self.brokers, 0)
            for key in keys:
                replicas = self.parts[key]
                if replicas and replicas[0] in counts:
                    counts[replicas[0]] += 1
            base, extra = divmod(len(keys), len(self.brokers))
            order = sorted(self.brokers, key=lambda b: (-counts[b], cluster[b], b))
            quota = {b: base + (1 if i < extra else 0) for i, b in enumerate(order)}
            for key in keys:
                replicas = self.parts[key]
                if not replicas or replicas[0] not in quota or counts[replicas[0]] <= quota[replicas[0]]:
                    continue
                under = [b for b in replicas[1:] if b in quota and counts[b] < quota[b]]
                if not under:
                    continue
                first = min(under, key=lambda b: (counts[b] - quota[b], cluster[b]))
                counts[replicas[0]] -= 1
                counts[first] += 1
                replicas.remove(first)
                replicas.insert(0, first)
            for b in self.brokers:
                cluster[b] += counts[b]
            per_topic[name] = counts
        # then the cluster's totals, keeping each topic within one
        leaders_of: dict[int, list[TopicPartition]] = defaultdict(list)
        for key, replicas in self.parts.items():
            if replicas:
                leaders_of[replicas[0]].append(key)
        for _ in range(len(self.parts)):
            high = max(self.brokers, key=lambda b: (cluster[b], -b))
            low = min(self.brokers, key=lambda b: (cluster[b], b))
            if cluster[high] - cluster[low] <= 1:
                return
            for key in leaders_of[high]:
                replicas = self.parts[key]
                counts = per_topic[key[0]]
                if replicas[0] == high and low in replicas and counts[high] > counts[low]:
                    replicas.remove(low)
                    replicas.insert(0, low)
                    counts[high] -= 1
                    counts[low] += 1
                    cluster[high] -= 1
                    cluster[low] += 1
                    leaders_of[high].remove(key)
                    leaders_of[low].append(key)
                    break
            else:
                return


def plan_spread(metadata: ClusterMetadata, intent: SpreadReplicas) -> dict[TopicPartition, Replicas]:
    """Target replicas that spread the topics' replicas evenly (and over racks)."""
    return _spread(metadata, intent)[0]


def _spread(metadata: ClusterMetadata, intent: SpreadReplicas) -> tuple[dict[TopicPartition, Replicas], list[str]]:
    live = _live(metadata)
    if intent.brokers is not None:
        unknown = [b for b in intent.brokers if b not in live]
        if unknown:
            raise PlanError(f"broker {unknown[0]} does not exist or is offline (live brokers: {_broker_list(live)})")
        brokers = sorted(set(intent.brokers))
    else:
        brokers = live
    if not brokers:
        raise PlanError("no broker to spread over")
    if intent.topics is not None:
        topics = [_topic_or_fail(metadata, name) for name in intent.topics]
    else:
        topics = [t for t in metadata.topics if not t.internal and not t.error]
    for topic in topics:
        rf = topic.replication_factor
        if rf > len(brokers):
            raise PlanError(
                f"topic '{topic.name}' has replication factor {rf}, above the {len(brokers)} broker(s) "
                f"to spread over ({_broker_list(brokers)})"
            )
    state = _Spread(metadata, topics, brokers, intent.use_racks)
    topic_counts = {t.name: state.balance_topic(t.name) for t in topics}
    state.balance_cluster(topic_counts)
    state.separate_racks()
    state.balance_leaders()
    current = {(p.topic, p.partition): p.replicas for t in topics for p in t.partitions}
    plan = {key: tuple(r) for key, r in state.parts.items() if tuple(r) != current[key]}
    return plan, state.warnings


# -- the preview ----------------------------------------------------------------------------------


def preview(
    metadata: ClusterMetadata,
    assignments: Mapping[TopicPartition, Replicas],
    sizes: Mapping[TopicPartition, int] | None = None,
    *,
    description: str = "",
    warnings: tuple[str, ...] = (),
) -> ReassignmentPlan:
    """The plan of ``assignments`` (partitions whose target equals their
    current replicas are left out) with bytes and per-broker totals."""
    sizes = sizes or {}
    index: dict[TopicPartition, PartitionInfo] = {}
    for topic in metadata.topics:
        for p in topic.partitions:
            index[(p.topic, p.partition)] = p
    replicas_before, preferred_before = _counts(metadata)
    replicas_after = dict(replicas_before)
    preferred_after = dict(preferred_before)
    bytes_in: dict[int, int] = defaultdict(int)
    bytes_out: dict[int, int] = defaultdict(int)
    moves = []
    for key in sorted(assignments):
        target = tuple(assignments[key])
        info = index.get(key)
        if info is None:
            raise PlanError(f"partition {key[0]}-{key[1]} does not exist")
        if target == info.replicas:
            continue
        move = PartitionMove(key[0], key[1], info.replicas, target, sizes.get(key))
        moves.append(move)
        for b in move.removing:
            replicas_after[b] = replicas_after.get(b, 0) - 1
            bytes_out[b] += move.size or 0
        for b in move.adding:
            replicas_after[b] = replicas_after.get(b, 0) + 1
            bytes_in[b] += move.size or 0
        if info.replicas:
            preferred_after[info.replicas[0]] -= 1
        preferred_after[target[0]] = preferred_after.get(target[0], 0) + 1
    racks = _racks(metadata)
    ids = sorted(
        set(racks) | {b for b, n in replicas_before.items() if n} | {b for b, n in replicas_after.items() if n}
    )
    totals = tuple(
        BrokerPlanTotals(
            node_id=b,
            replicas_before=replicas_before.get(b, 0),
            replicas_after=replicas_after.get(b, 0),
            preferred_before=preferred_before.get(b, 0),
            preferred_after=preferred_after.get(b, 0),
            bytes_in=bytes_in.get(b, 0),
            bytes_out=bytes_out.get(b, 0),
            rack=racks.get(b),
            online=b in racks,
        )
        for b in ids
    )
    notes = list(warnings)
    unknown = sum(1 for m in moves if m.size is None and m.adding)
    if unknown:
        notes.append(f"size unknown for {unknown} moving partition(s): bytes to copy are a lower bound")
    return ReassignmentPlan(description, tuple(moves), totals, tuple(notes))


def describe_intent(intent: PlanIntent) -> str:
    """The intent in words ('drain broker 2', 'replication factor of t to 3')."""
    if isinstance(intent, DrainBroker):
        scope = "" if intent.topics is None else f" (topics {', '.join(intent.topics)})"
        return f"drain broker {intent.broker}{scope}{'' if intent.use_racks else ' ignoring racks'}"
    if isinstance(intent, SpreadReplicas):
        what = "all topics" if intent.topics is None else ", ".join(intent.topics)
        over = "all brokers" if intent.brokers is None else f"brokers {_broker_list(intent.brokers)}"
        return f"spread {what} over {over}{' and racks' if intent.use_racks else ''}"
    if isinstance(intent, ChangeReplicationFactor):
        return f"replication factor of {intent.topic} to {intent.replication_factor}"
    return f"move {len(intent.assignments)} partition(s)"


def make_plan(
    metadata: ClusterMetadata,
    intent: PlanIntent,
    sizes: Mapping[TopicPartition, int] | None = None,
) -> ReassignmentPlan:
    """The plan for ``intent`` with its preview (moves, bytes, per-broker totals).
    ``sizes`` are partition log sizes (``partition_sizes``); missing ones stay
    unknown in the preview.  Raises PlanError on bad input."""
    warnings: list[str] = []
    if isinstance(intent, DrainBroker):
        assignments = plan_drain(metadata, intent)
    elif isinstance(intent, SpreadReplicas):
        assignments, warnings = _spread(metadata, intent)
    elif isinstance(intent, ChangeReplicationFactor):
        assignments = plan_replication_factor(metadata, intent)
    elif isinstance(intent, MovePartitions):
        assignments = plan_moves(metadata, intent)
    else:
        raise PlanError(f"unknown plan intent {type(intent).__name__}")
    return preview(metadata, assignments, sizes, description=describe_intent(intent), warnings=tuple(warnings))


__all__ = [
    "PartitionMove",
    "PlanError",
    "describe_intent",
    "make_plan",
    "plan_drain",
    "plan_moves",
    "plan_replication_factor",
    "plan_spread",
    "preview",
    "validate_assignments",
]
