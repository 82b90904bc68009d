"""Consumer groups: listing, batched lag refresh, group detail with exact time
lag, and the group operations (reset offsets, delete group, delete offsets).

A refresh costs a handful of requests whatever the number of groups: one
ListGroups per broker, one batched FindCoordinator (cached), then per
coordinator one DescribeGroups and one OffsetFetch covering all its groups,
one Metadata, and the two ListOffsets per partition leader that
``ClusterClient.watermarks`` sends.  Status, rates and time-lag estimates come
from ``kview.core.lag.LagTracker``, which the service feeds on every refresh.

On a topic written by transactional producers not every offset of the lag
is a record a consumer receives (markers, aborted records, open
transactions).  ``kview.core.readable.RecordReader`` reads what lies between
the committed offset and the log end, with private consumers that have no
group id (assign + seek): kview never joins or commits for a user's group
while reading.  The refresh reads only small gaps (``REFRESH_GAP`` offsets at
most, ``REFRESH_PARTITIONS`` partitions, ``refresh_timeout`` seconds) and
keeps what it learned of settled ranges; the group detail reads every
lagging partition (up to ``readable.COUNT_LIMIT`` offsets counted, the
first readable record giving the exact time lag) within ``exact_timeout``.

Groups on the KIP-848 consumer protocol (which DescribeGroups reports as
Dead) are described with ConsumerGroupDescribe.

Rows follow ``kafka-consumer-groups --describe``: every partition assigned to
a member (committed offset or not), then committed partitions nobody is
assigned.  Offsets and lag are None where the tool prints ``-``; negative lag
is kept as is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from aiokafka.errors import IncompatibleBrokerVersion
from aiokafka.protocol.admin import DeleteGroupsRequest
from aiokafka.protocol.commit import OffsetCommitRequest, OffsetFetchRequest

from kview.core.cluster import ClusterClient
from kview.core.errors import ClusterUnavailable, KafkaRequestError, KViewError, describe_exception
from kview.core.lag import (
    GroupStatus,
    LagTracker,
    TimeLag,
    exact_time_lag,
    max_time_lag,
    partition_lag,
    retention_breached,
    total_lag,
)
from kview.core.models import ClusterMetadata, PartitionInfo, Watermarks
from kview.core.protocol.group_requests import (
    ConsumerGroupDescribeRequest,
    DescribeGroupsBatchRequest,
    FindCoordinatorsRequest,
    ListGroupsWithStateRequest,
    OffsetDeleteRequest,
    OffsetFetchGroupsRequest,
    assignment_848,
    decode_assignment,
    decode_subscription,
)
from kview.core.readable import Readable, RecordReader
from kview.core.readonly import write_action

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]

CONSUMER_PROTOCOLS = ("consumer", "")
"""Protocol types of consumer groups (``""``: a group that only ever had
offsets committed, e.g. by kview or ``--reset-offsets``); others (connect,
share, streams groups) are not consumer groups."""

_RETRIABLE = {14, 15, 16}
"""COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR."""

_INACTIVE_STATES = {"Empty", "Dead", ""}

REFRESH_GAP = 100
"""Largest lag (offsets) a refresh reads to tell records from markers."""
REFRESH_PARTITIONS = 500
"""Most partitions a refresh reads (the smallest gaps first)."""


# -- data model ------------------------------------------------------------------------


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


RESET_KINDS = ("earliest", "latest", "offset", "datetime", "shift")


@dataclass(frozen=True)
class ResetSpec:
    """What ``--reset-offsets`` would be asked.

    ``kind``: earliest | latest | offset (``value`` = the offset) | datetime
    (``value`` = a datetime, naive meaning local time, or epoch milliseconds) |
    shift (``value`` = N, may be negative).  Scope: every partition the group
    has committed (``topic`` None), one topic (all its partitions), or chosen
    ``partitions`` of ``topic``.
    """

    kind: str
    value: int | datetime | None = None
    topic: str | None = None
    partitions: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in RESET_KINDS:
            raise KViewError(f"unknown reset kind '{self.kind}'; use one of {', '.join(RESET_KINDS)}")
        if self.kind in ("offset", "shift", "datetime") and self.value is None:
            raise KViewError(f"reset to {self.kind} needs a value")
        if self.kind in ("offset", "shift") and not isinstance(self.value, int):
            raise KViewError(f"reset to {self.kind} needs a whole number")
        if self.kind == "datetime" and not isinstance(self.value, (int, datetime)):
            raise KViewError("reset to datetime needs a date and time")
        if self.partitions is not None and self.topic is None:
            raise KViewError("choosing partitions needs a topic")

    @property
    def scope(self) -> str:
        if self.topic is None:
            return "all"
        return "topic" if self.partitions is None else "partitions"

    @property
    def timestamp_ms(self) -> int | None:
        if self.kind != "datetime":
            return None
        if isinstance(self.value, datetime):
            return int(self.value.timestamp() * 1000)  # naive -> local time, like the tool
        return int(self.value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ResetRow:
    topic: str
    partition: int
    current: int | None
    new: int
    log_start: int
    log_end: int

    @property
    def lag(self) -> int:
        """The lag right after the reset."""
        return self.log_end - self.new


# -- internal --------------------------------------------------------------------------


@dataclass
class _RawGroup:
    name: str
    state: str = ""
    protocol_type: str = ""
    assignor: str = ""
    members: tuple[MemberInfo, ...] = ()
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    coordinator: int | None = None
    error: str | None = None
    retry: bool = False


_NAMES_AIOKAFKA_LACKS = {
    86: ("GroupSubscribedToTopic", "the group's members are consuming this topic; stop them first"),
    88: ("UnstableOffsetCommit", "a transactional offset commit for this partition is still pending"),
    110: ("StaleMemberEpoch", "the member epoch is stale"),
    111: ("MismatchedEndpointType", "the request was sent to an endpoint of the wrong type"),
}
"""Group error codes newer than aiokafka 0.14's error table, by Kafka's names."""


def group_error(code: int, subject: str = "", message: str | None = None) -> KafkaRequestError:
    """KafkaRequestError, naming codes aiokafka's table does not know."""
    error = KafkaRequestError(code, message, subject=subject)
    if code in _NAMES_AIOKAFKA_LACKS:
        name, detail = _NAMES_AIOKAFKA_LACKS[code]
        error.name = name
        prefix = f"{subject}: " if subject else ""
        error.args = (f"{prefix}{name}: {message or detail}",)
    return error


def _check(code: int, subject: str) -> None:
    if code:
        raise group_error(code, subject)


# -- the service -----------------------------------------------------------------------


class GroupService:
    """Consumer groups of one cluster.  ``tracker`` keeps the lag history between
    refreshes; ``exact_timeout`` bounds the record reads of ``describe_group``,
    ``refresh_timeout`` those of a refresh."""

    def __init__(
        self,
        client: ClusterClient,
        tracker: LagTracker | None = None,
        *,
        exact_timeout: float = 3.0,
        refresh_timeout: float = 1.0,
    ) -> None:
        self.client = client
        self.tracker = tracker or LagTracker()
        self.exact_timeout = exact_timeout
        self.refresh_timeout = refresh_timeout
        self._coordinators: dict[str, int] = {}
        self._reader = RecordReader(client.profile)
        # (topic, partition, start, log end) -> what was read there, for ranges
        # with no open transaction: those never change.
        self._settled: dict[tuple[str, int, int, int], Readable] = {}

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    async def close(self) -> None:
        """Stop the record-reading consumers, if any were started (bounded:
        ``readable.STOP_TIMEOUT`` each)."""
        await self._reader.close()

    # -- listing ---------------------------------------------------------------------

    async def list_groups(self, metadata: ClusterMetadata | None = None) -> tuple[GroupListing, ...]:
        """Consumer groups of every broker, with state and type, sorted by name."""
        metadata = metadata or await self.client.metadata()

        async def on(node: int):
            response = await self.client.send(node, ListGroupsWithStateRequest(), f"list groups on broker {node}")
            _check(response.error_code, f"list groups on broker {node}")
            return node, response

        results = await asyncio.gather(*(on(b.node_id) for b in metadata.brokers), return_exceptions=True)
        listings: dict[str, GroupListing] = {}
        failures: list[BaseException] = []
        for result in results:
            if isinstance(result, BaseException):
                failures.append(result)
                continue
            node, response = result
            for group in response.groups:
                # v5 rows: (id, protocol type, state, type, tags); v4 rows lack the type.
                listing = GroupListing(
                    name=group[0], protocol_type=group[1] or "", state=group[2] or "",
                    group_type=(group[3] or "") if len(group) == 5 else "", coordinator=node,
                )
                if listing.protocol_type in CONSUMER_PROTOCOLS:
                    listings[listing.name] = listing
                    self._coordinators[listing.name] = node
        if failures and not listings and len(failures) == len(results):
            exc = failures[0]
            raise exc if isinstance(exc, KViewError) else ClusterUnavailable(describe_exception(exc))
        return tuple(sorted(listings.values(), key=lambda g: g.name))

    # -- coordinators --------------------------------------------------------------------

    async def _find_coordinators(
        self, names: list[str], patience: float = 0.5
    ) -> tuple[dict[str, int], dict[str, str]]:
        """Coordinator of each group (cached); groups whose lookup failed -> message.

        A young cluster answers COORDINATOR_NOT_AVAILABLE until its offsets
        topic exists, so retriable answers are asked again for up to
        ``patience`` seconds."""
        found = {n: self._coordinators[n] for n in names if n in self._coordinators}
        pending = [n for n in names if n not in found]
        failed: dict[str, tuple[int, str]] = {}
        deadline = time.monotonic() + patience
        attempt = 0
        while pending:
            if attempt:
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(min(0.25 * attempt, 1.0))
            attempt += 1
            more, failed_now = await self._lookup_coordinators(pending)
            found.update(more)
            self._coordinators.update(more)
            failed.update(failed_now)
            for name in more:
                failed.pop(name, None)
            pending = [n for n, (code, _) in failed_now.items() if code in _RETRIABLE]
        return found, {name: message for name, (_code, message) in failed.items()}

    async def _lookup_coordinators(self, names: list[str]) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
        """One batched FindCoordinator; failures map to (error code or -1, message)."""
        found: dict[str, int] = {}
        failed: dict[str, tuple[int, str]] = {}
        try:
            response = await self.client.send_any(FindCoordinatorsRequest(names), "find coordinators")
        except NotImplementedError:
            # Brokers before 3.0 answer one group per request.
            results = await asyncio.gather(*(self.client.find_coordinator(n) for n in names), return_exceptions=True)
            for name, result in zip(names, results):
                if isinstance(result, BaseException):
                    code = getattr(result, "errno", -1)
                    failed[name] = (code, f"coordinator lookup failed: {describe_exception(result)}")
                else:
                    found[name] = result
            return found, failed
        for key, node_id, _host, _port, error_code, error_message, _tags in response.coordinators:
            if error_code:
                failed[key] = (error_code, str(group_error(error_code, "coordinator lookup", error_message or None)))
            else:
                found[key] = node_id
        return found, failed

    async def coordinator(self, group: str) -> int:
        """Node id of the group's coordinator (waits up to half a minute while a
        young cluster creates its offsets topic)."""
        found, errors = await self._find_coordinators([group], patience=30.0)
        if group not in found:
            raise KViewError(errors.get(group, f"no coordinator for group '{group}'"))
        return found[group]

    # -- collecting ------------------------------------------------------------------------

    async def _describe_on(
        self, node: int, names: list[str], types: Mapping[str, str] | None = None
    ) -> dict[str, _RawGroup]:
        """Describe groups on their coordinator: DescribeGroups for classic
        groups, ConsumerGroupDescribe for KIP-848 ones.  Without a type from
        ListGroups, a group DescribeGroups calls Dead is asked again the new way."""
        types = types or {}
        modern = [n for n in names if types.get(n) == "consumer"]
        classic = [n for n in names if types.get(n) != "consumer"]
        out = await self._describe_classic(node, classic) if classic else {}
        modern += [
            n for n in classic
            if n not in types and n in out and out[n].state == "Dead" and not out[n].members and not out[n].error
        ]
        if modern:
            out.update(await self._describe_modern(node, modern, listed={n for n in modern if n in types}))
        return out

    async def _describe_classic(self, node: int, names: list[str]) -> dict[str, _RawGroup]:
        try:
            response = await self.client.send(node, DescribeGroupsBatchRequest(names), f"describe groups on broker {node}")
        except NotImplementedError:
            raise KViewError("this broker is too old for kview's group view (needs Kafka 2.4+)") from None
        out: dict[str, _RawGroup] = {}
        for (error_code, group_id, state, protocol_type, protocol, members, _ops, _tags) in response.groups:
            raw = _RawGroup(group_id, coordinator=node)
            if error_code:
                raw.retry = error_code in _RETRIABLE
                raw.error = str(group_error(error_code, "describe group"))
            else:
                raw.state, raw.protocol_type, raw.assignor = state or "", protocol_type or "", protocol or ""
                consumer = raw.protocol_type == "consumer"
                raw.members = tuple(
                    MemberInfo(
                        member_id=m[0] or "", group_instance_id=m[1], client_id=m[2] or "", host=m[3] or "",
                        assignment=decode_assignment(m[5]) if consumer else (),
                        subscription=decode_subscription(m[4]) if consumer else (),
                    )
                    for m in members
                )
            out[group_id] = raw
        return out

    async def _describe_modern(self, node: int, names: list[str], listed: set[str]) -> dict[str, _RawGroup]:
        """KIP-848 groups.  A group that turns out not to be one (error
        GROUP_ID_NOT_FOUND) keeps its DescribeGroups answer, unless ListGroups
        had called it a consumer group (then it is gone: Dead)."""
        try:
            response = await self.client.send(node, ConsumerGroupDescribeRequest(names), f"describe groups on broker {node}")
        except (NotImplementedError, IncompatibleBrokerVersion):
            # Brokers before 3.7 lack the API (aiokafka raises
            # IncompatibleBrokerVersion for an unknown key, NotImplementedError
            # for known versions kview does not offer); they have no such groups.
            return {}
        out: dict[str, _RawGroup] = {}
        for group in response.groups:
            error_code, error_message, group_id, state, _epoch, _assignment_epoch, assignor, members = group[:8]
            raw = _RawGroup(group_id, coordinator=node, protocol_type="consumer")
            if error_code == 69:
                if group_id in listed:
                    raw.state = "Dead"
                    out[group_id] = raw
                continue
            if error_code:
                raw.retry = error_code in _RETRIABLE
                raw.error = str(group_error(error_code, "describe group", error_message or None))
            else:
                raw.state, raw.assignor = state or "", assignor or ""
                raw.members = tuple(
                    MemberInfo(
                        member_id=m[0] or "", group_instance_id=m[1], client_id=m[4] or "", host=m[5] or "",
                        assignment=assignment_848(m[8]), subscription=tuple(sorted(m[6] or ())),
                    )
                    for m in members
                )
            out[group_id] = raw
        return out

    async def _offsets_on(self, node: int, names: list[str]) -> dict[str, tuple[dict[TopicPartition, int], int]]:
        """Committed offsets of each group (partitions with a commit only), and
        the group-level error code."""
        out: dict[str, tuple[dict[TopicPartition, int], int]] = {}
        try:
            response = await self.client.send(
                node, OffsetFetchGroupsRequest({n: None for n in names}), f"fetch offsets on broker {node}"
            )
        except NotImplementedError:
            # Brokers before 3.0: one OffsetFetch per group.
            async def one(name: str):
                r = await self.client.send(node, OffsetFetchRequest(name, None), f"fetch offsets of {name}")
                offsets = {
                    (topic, p[0]): p[1] for topic, parts in r.topics for p in parts if p[1] >= 0 and p[-1] == 0
                }
                return name, offsets, getattr(r, "error_code", 0)
            for name, offsets, code in await asyncio.gather(*(one(n) for n in names)):
                out[name] = (offsets, code)
            return out
        for group_id, topics, error_code, _tags in response.groups:
            offsets: dict[TopicPartition, int] = {}
            for name, partitions, _ttags in topics:
                for index, offset, _epoch, _meta, p_error, _ptags in partitions:
                    if p_error:
                        log.debug("OffsetFetch %s %s-%s: error %s", group_id, name, index, p_error)
                        continue
                    if offset >= 0:
                        offsets[(name, index)] = offset
            out[group_id] = (offsets, error_code)
        return out

    async def _collect_on(
        self, node: int, names: list[str], types: Mapping[str, str] | None = None
    ) -> dict[str, _RawGroup]:
        descriptions, offsets = await asyncio.gather(
            self._describe_on(node, names, types), self._offsets_on(node, names)
        )
        out: dict[str, _RawGroup] = {}
        for name in names:
            raw = descriptions.get(name) or _RawGroup(name, coordinator=node, error="not described")
            committed, code = offsets.get(name, ({}, 0))
            if code:
                raw.retry = raw.retry or code in _RETRIABLE
                raw.error = raw.error or str(group_error(code, "fetch offsets"))
            raw.committed = committed
            out[name] = raw
        return out

    async def _collect(self, names: list[str], types: Mapping[str, str] | None = None) -> dict[str, _RawGroup]:
        out: dict[str, _RawGroup] = {}
        pending = list(names)
        for attempt in range(2):
            found, errors = await self._find_coordinators(pending)
            for name, message in errors.items():
                out[name] = _RawGroup(name, error=message)
            by_node: dict[int, list[str]] = defaultdict(list)
            for name in pending:
                if name in found:
                    by_node[found[name]].append(name)
            results = await asyncio.gather(
                *(self._collect_on(node, group_names, types) for node, group_names in by_node.items()),
                return_exceptions=True,
            )
            retry: list[str] = []
            for (node, group_names), result in zip(by_node.items(), results):
                if isinstance(result, BaseException):
                    if isinstance(result, (asyncio.CancelledError, KeyboardInterrupt)):
                        raise result
                    message = describe_exception(result)
                    for name in group_names:
                        self._coordinators.pop(name, None)
                        out[name] = _RawGroup(name, coordinator=node, error=message)
                        retry.append(name)
                    continue
                for name, raw in result.items():
                    out[name] = raw
                    if raw.retry:
                        self._coordinators.pop(name, None)
                        retry.append(name)
            if not retry or attempt:
                break
            pending = retry
            await asyncio.sleep(0.1)  # a coordinator that is loading needs a moment
        return out

    # -- refresh ---------------------------------------------------------------------------

    async def refresh(self, groups: Iterable[str] | None = None, *, with_partitions: bool = False) -> GroupsSnapshot:
        """Lag of every consumer group (or of ``groups``), fed to the tracker.
        ``with_partitions`` also builds each group's rows (with estimated time
        lags); the list view does without, which keeps big clusters cheap."""
        started = time.monotonic()
        metadata = await self.client.metadata()
        listings: dict[str, GroupListing] = {}
        if groups is None:
            listings = {g.name: g for g in await self.list_groups(metadata)}
            names = list(listings)
        else:
            names = list(dict.fromkeys(groups))
        types = {name: listing.group_type for name, listing in listings.items() if listing.group_type}
        raw_groups = await self._collect(names, types) if names else {}

        involved: set[TopicPartition] = set()
        for raw in raw_groups.values():
            involved.update(raw.committed)
            for member in raw.members:
                involved.update(member.assignment)
        parts = [p for p in metadata.partitions if (p.topic, p.partition) in involved]
        errors: list[str] = []
        marks: dict[TopicPartition, Watermarks] = {}
        complete = True
        if parts:
            try:
                marks = await self.client.watermarks(parts)
            except KViewError as exc:
                errors.append(f"log-end offsets: {exc}")
                complete = False  # a pass without log ends would read as "no lag"
        readable = await self._read_small_gaps(raw_groups.values(), marks) if marks else {}
        now = time.time()
        self.tracker.observe_log_end(now, {tp: m.high for tp, m in marks.items()})

        summaries = []
        for name in names:
            raw = raw_groups.get(name) or _RawGroup(name, error="no answer")
            listing = listings.get(name)
            summaries.append(self._summarize(raw, listing, marks, now, with_partitions, feed=complete,
                                             readable=readable))
            if raw.error:
                errors.append(f"{name}: {raw.error}")
        if groups is None:
            self.tracker.retain(names)
        summaries.sort(key=lambda s: s.name)
        return GroupsSnapshot(tuple(summaries), now, time.monotonic() - started, tuple(errors))

    def _summarize(
        self,
        raw: _RawGroup,
        listing: GroupListing | None,
        marks: Mapping[TopicPartition, Watermarks],
        now: float,
        with_partitions: bool,
        feed: bool = True,
        readable: Mapping[tuple[TopicPartition, int], Readable] | None = None,
    ) -> GroupSummary:
        log_end = {tp: marks[tp].high for tp in raw.committed if tp in marks}
        found = _group_readable(raw.committed, log_end, readable or {})
        if feed and not raw.error:
            unreadable = sum(log_end[tp] - offset - r.records for tp, (offset, r) in found.items()
                             if r.records is not None)
            settled = [tp for tp, (_, r) in found.items() if r.nothing_left]
            self.tracker.observe_group(raw.name, now, raw.committed, log_end, len(raw.members),
                                       unreadable=unreadable, settled=settled)
        health = self.tracker.evaluate(raw.name, now, per_partition=with_partitions)
        assigned = {tp for member in raw.members for tp in member.assignment}
        keys = assigned | raw.committed.keys() if assigned else raw.committed.keys()
        rows: tuple[GroupPartitionLag, ...] = ()
        if with_partitions:
            rows = build_rows(raw.members, raw.committed, marks, health.time_lags if health else None)
            if found:
                rows = tuple(replace(r, readable=found[(r.topic, r.partition)][1])
                             if (r.topic, r.partition) in found else r for r in rows)
        breach = False
        for tp, offset in raw.committed.items():
            mark = marks.get(tp)
            if mark is not None and offset < mark.low:
                breach = True
                break
        return GroupSummary(
            name=raw.name,
            state=raw.state or (listing.state if listing else ""),
            protocol_type=raw.protocol_type or (listing.protocol_type if listing else ""),
            assignor=raw.assignor,
            members=raw.members,
            topics=tuple(sorted({t for t, _ in keys})),
            partition_count=len(keys),
            uncommitted_partitions=sum(1 for tp in assigned if tp not in raw.committed),
            status=health.status if health else (GroupStatus.EMPTY if not raw.members else GroupStatus.OK),
            total_lag=health.lag if health else total_lag(raw.committed, log_end),
            retention_breach=breach,
            consumption_rate=health.consumption_rate if health else None,
            production_rate=health.production_rate if health else None,
            catch_up_seconds=health.catch_up_seconds if health else None,
            time_lag=health.time_lag if health else None,
            idle_seconds=health.idle_seconds if health else 0.0,
            lag_history=health.lag_history if health else (),
            partitions=rows,
            coordinator=raw.coordinator,
            group_type=listing.group_type if listing else "",
            error=raw.error,
            readable=sum_readable(raw.committed, log_end, {tp: r for tp, (_, r) in found.items()}),
        )

    async def _read_small_gaps(
        self, raws: Iterable[_RawGroup], marks: Mapping[TopicPartition, Watermarks]
    ) -> dict[tuple[TopicPartition, int], Readable]:
        """What lies in the small lags of a refresh, keyed by (partition,
        committed offset): settled ranges from the cache, the others read
        (smallest gaps first, bounded by REFRESH_PARTITIONS and refresh_timeout)."""
        out: dict[tuple[TopicPartition, int], Readable] = {}
        gaps: dict[tuple[TopicPartition, int], int] = {}
        for raw in raws:
            for tp, offset in raw.committed.items():
                mark = marks.get(tp)
                if mark is None or not 0 < mark.high - offset <= REFRESH_GAP or offset < mark.low:
                    continue
                cached = self._settled.get((tp[0], tp[1], offset, mark.high))
                if cached is not None:
                    out[(tp, offset)] = cached
                else:
                    gaps[(tp, offset)] = mark.high - offset
        # One read per partition (REFRESH_PARTITIONS at most, the smallest
        # gaps first), from the lowest offset a group sits at: it tells every
        # group at or after it.
        starts: dict[TopicPartition, int] = {}
        chosen = []
        for tp, offset in sorted(gaps, key=gaps.get):
            if tp in starts or len(starts) < REFRESH_PARTITIONS:
                starts[tp] = min(offset, starts.get(tp, offset))
                chosen.append((tp, offset))
        if starts:
            found = await self._reader.read({tp: (start, marks[tp].high) for tp, start in starts.items()},
                                            timeout=self.refresh_timeout)
            for tp, offset in chosen:
                read = found.get(tp)
                result = read.at(offset) if read is not None else None
                if result is None:
                    continue
                out[(tp, offset)] = result
                if result.pending == 0 and result.records is not None and result.markers is not None:
                    self._settled[(tp[0], tp[1], offset, read.end)] = result
        if len(self._settled) > 4 * REFRESH_PARTITIONS:
            self._settled.clear()  # a bound, not an LRU: the next refresh refills what is current
        return out

    # -- detail ----------------------------------------------------------------------------

    async def describe_group(self, name: str, *, exact: bool = True) -> GroupDetail:
        """One group, its rows and members; with ``exact`` the time lag of each
        partition is read from the record at the committed offset."""
        snapshot = await self.refresh([name], with_partitions=True)
        summary = snapshot.groups[0]
        if summary.error:
            raise KViewError(f"group '{name}': {summary.error}")
        rows = summary.partitions
        if exact and rows:
            rows = await self._read_rows(rows)
            log_end = {(r.topic, r.partition): r.log_end for r in rows if r.log_end is not None}
            committed = {(r.topic, r.partition): r.committed for r in rows if r.committed is not None}
            readable = {(r.topic, r.partition): r.readable for r in rows if r.readable is not None}
            summary = replace(summary, partitions=rows, time_lag=max_time_lag(r.time_lag for r in rows),
                              readable=sum_readable(committed, log_end, readable))
        return GroupDetail(summary=summary, partitions=rows, members=summary.members)

    async def _read_rows(self, rows: tuple[GroupPartitionLag, ...]) -> tuple[GroupPartitionLag, ...]:
        """Rows with what a read_committed consumer receives of their lag, and
        the exact time lag read from the first readable record (from the log
        start when retention deleted the committed offset: the true value is
        then larger).  A partition not read in time keeps its estimate."""
        ranges: dict[TopicPartition, tuple[int, int]] = {}
        known = {(r.topic, r.partition): r.readable for r in rows
                 if r.readable is not None and r.readable.records is not None}
        for r in rows:
            if r.committed is None or r.log_end is None or r.committed >= r.log_end:
                continue
            if (r.topic, r.partition) in known:
                continue  # the refresh counted it already
            start = r.committed if r.log_start is None else max(r.committed, r.log_start)
            cached = self._settled.get((r.topic, r.partition, start, r.log_end))
            if cached is not None:
                known[(r.topic, r.partition)] = cached
                continue
            ranges[(r.topic, r.partition)] = (start, r.log_end)
        reads = await self._reader.read(ranges, timeout=self.exact_timeout) if ranges else {}
        found: dict[TopicPartition, Readable] = {}
        for tp, read in reads.items():
            result = read.at(ranges[tp][0])
            if result is None:
                continue
            found[tp] = result
            if result.pending == 0 and result.records is not None and result.markers is not None:
                self._settled[(tp[0], tp[1], read.start, read.end)] = result
        found.update(known)
        now = time.time()
        out = []
        for r in rows:
            tp = (r.topic, r.partition)
            if r.committed is not None and r.log_end is not None and r.committed >= r.log_end:
                out.append(replace(r, time_lag=TimeLag(0.0, exact=True)))
                continue
            result = found.get(tp)
            if result is None:
                out.append(r)
                continue
            time_lag = r.time_lag
            if result.nothing_left:
                time_lag = TimeLag(0.0, exact=True)
            elif result.first_timestamp is not None:
                time_lag = exact_time_lag(result.first_timestamp, now, at_least=r.retention_breach)
            # A breach's range starts at the log start: its counts are not the lag's.
            out.append(replace(r, time_lag=time_lag, readable=None if r.retention_breach else result))
        return tuple(out)

    # -- offsets of one group --------------------------------------------------------------

    async def _on_coordinator(self, group: str, call, error_codes, patience: float = 20.0):
        """``await call(node)`` on the group's coordinator, asked again (with a
        fresh lookup) while ``error_codes(answer)`` holds a retriable code: a
        coordinator that moved or is still loading the group's offsets."""
        deadline = time.monotonic() + patience
        attempt = 0
        while True:
            node = await self.coordinator(group)
            answer = await call(node)
            attempt += 1
            if time.monotonic() >= deadline or not any(c in _RETRIABLE for c in error_codes(answer)):
                return answer
            self._coordinators.pop(group, None)
            await asyncio.sleep(min(0.25 * attempt, 1.0))

    async def committed_offsets(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed offsets (partitions with a commit only)."""
        offsets = await self._on_coordinator(
            group,
            lambda node: self._offsets_on(node, [group]),
            lambda answer: [answer.get(group, ({}, 0))[1]],
        )
        committed, code = offsets.get(group, ({}, 0))
        _check(code, f"fetch offsets of group '{group}'")
        return committed

    async def _describe_one(self, group: str) -> _RawGroup:
        described = await self._on_coordinator(
            group,
            lambda node: self._describe_on(node, [group]),
            lambda answer: [14] if answer.get(group) and answer[group].retry else [],
        )
        raw = described.get(group) or _RawGroup(group)
        if raw.error:
            raise KViewError(f"group '{group}': {raw.error}")
        return raw

    # -- reset -------------------------------------------------------------------------------

    async def preview_reset(self, group: str, spec: ResetSpec) -> list[ResetRow]:
        """The offsets a reset would commit, like ``--reset-offsets --dry-run``.
        Targets are clamped to [log start, log end] as Kafka's tool does."""
        committed = await self.committed_offsets(group)
        metadata = await self.client.metadata()
        parts = _reset_partitions(group, spec, committed, metadata)
        marks = await self.client.watermarks(parts)
        missing = [f"{p.topic}:{p.partition}" for p in parts if (p.topic, p.partition) not in marks]
        if missing:
            raise KViewError(f"no log offsets for {', '.join(missing)} (partition offline?)")

        targets: dict[TopicPartition, int] = {}
        if spec.kind == "datetime":
            timestamp = spec.timestamp_ms
            by_leader: dict[int, list[PartitionInfo]] = defaultdict(list)
            for p in parts:
                by_leader[p.leader].append(p)
            answers = await asyncio.gather(
                *(self.client.list_offsets(leader, ps, timestamp) for leader, ps in by_leader.items())
            )
            for answer in answers:
                targets.update(answer)

        rows = []
        for p in parts:
            tp = (p.topic, p.partition)
            mark = marks[tp]
            current = committed.get(tp)
            if spec.kind == "earliest":
                new = mark.low
            elif spec.kind == "latest":
                new = mark.high
            elif spec.kind == "offset":
                new = _clamp(int(spec.value), mark)  # type: ignore[arg-type]
            elif spec.kind == "shift":
                if current is None:
                    raise KViewError(
                        f"cannot shift {p.topic}:{p.partition}: group '{group}' has no committed offset there"
                    )
                new = _clamp(current + int(spec.value), mark)  # type: ignore[arg-type]
            else:
                found = targets.get(tp, -1)
                # No record at or after the time: Kafka's tool falls back to the log end.
                new = found if found is not None and found >= 0 else mark.high
            rows.append(ResetRow(p.topic, p.partition, current, new, mark.low, mark.high))
        return rows

    @write_action("reset offsets")
    async def apply_reset(self, group: str, spec: ResetSpec) -> list[ResetRow]:
        """Commit the previewed offsets; refused while the group has members."""
        raw = await self._describe_one(group)
        if raw.members or raw.state not in _INACTIVE_STATES:
            raise KViewError(
                f"cannot reset offsets of group '{group}': it has {len(raw.members)} active member(s) "
                f"(state {raw.state}); stop its consumers first"
            )
        rows = await self.preview_reset(group, spec)
        await self.commit_offsets(group, {(r.topic, r.partition): r.new for r in rows})
        return rows

    @write_action("commit offsets")
    async def commit_offsets(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit offsets for a group kview is not a member of (generation -1,
        no member id), as the group's coordinator expects from an admin."""
        if not offsets:
            return
        by_topic: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for (topic, partition), offset in sorted(offsets.items()):
            by_topic[topic].append((partition, offset, ""))
        request = OffsetCommitRequest(
            group,
            OffsetCommitRequest.DEFAULT_GENERATION_ID,
            "",
            OffsetCommitRequest.DEFAULT_RETENTION_TIME,
            list(by_topic.items()),
        )
        response = await self._on_coordinator(
            group,
            lambda node: self.client.send(node, request, f"commit offsets of {group}"),
            lambda answer: [code for _topic, parts in answer.topics for _p, code in parts],
        )
        failed = [(topic, p, code) for topic, parts in response.topics for p, code in parts if code]
        if failed:
            topic, partition, code = failed[0]
            raise group_error(code, f"commit offsets of group '{group}' ({topic}:{partition})")

    # -- delete ------------------------------------------------------------------------------

    @write_action("delete group")
    async def delete_group(self, name: str) -> None:
        """Delete a group (Kafka refuses while it has members)."""
        response = await self._on_coordinator(
            name,
            lambda node: self.client.send(node, DeleteGroupsRequest([name]), f"delete group {name}"),
            lambda answer: [code for _group, code in answer.results],
        )
        for group_id, code in response.results:
            if group_id == name:
                _check(code, f"delete group '{name}'")
        self.tracker.forget(name)
        self._coordinators.pop(name, None)

    @write_action("delete group offsets")
    async def delete_offsets(self, group: str, topic: str) -> list[int]:
        """Delete the group's committed offsets of one topic (OffsetDelete);
        returns the partitions whose offsets were deleted."""
        committed = await self.committed_offsets(group)
        partitions = sorted(p for (t, p) in committed if t == topic)
        if not partitions:
            raise KViewError(f"group '{group}' has no committed offsets for topic '{topic}'")
        request = OffsetDeleteRequest(group, {topic: partitions})
        try:
            response = await self._on_coordinator(
                group,
                lambda node: self.client.send(node, request, f"delete offsets of {group}"),
                lambda answer: [answer.error_code],
            )
        except NotImplementedError:
            raise KViewError("deleting offsets needs Kafka 2.4 or newer") from None
        _check(response.error_code, f"delete offsets of group '{group}'")
        for _name, parts in response.topics:
            for partition, code in parts:
                _check(code, f"delete offsets of group '{group}' for {topic}:{partition}")
        return partitions


# -- pure helpers -------------------------------------------------------------------------


def build_rows(
    members: Iterable[MemberInfo],
    committed: Mapping[TopicPartition, int],
    marks: Mapping[TopicPartition, Watermarks],
    time_lags: Mapping[TopicPartition, TimeLag] | None = None,
) -> tuple[GroupPartitionLag, ...]:
    """The describe rows: assigned partitions (with their member), then committed
    partitions nobody is assigned, sorted by topic and partition."""
    owner: dict[TopicPartition, MemberInfo] = {}
    for member in members:
        for tp in member.assignment:
            owner[tp] = member
    lags = time_lags or {}
    get_mark, get_lag, get_commit = marks.get, lags.get, committed.get
    row = GroupPartitionLag
    if not owner:
        # Most groups of a big cluster are idle: no member lookups needed.
        out = []
        for tp in sorted(committed):
            mark = get_mark(tp)
            out.append(row(tp[0], tp[1], committed[tp], mark.low if mark else None, mark.high if mark else None,
                           None, None, None, get_lag(tp)))
        return tuple(out)
    out = []
    for tp in sorted(owner.keys() | committed.keys()):
        mark = get_mark(tp)
        member = owner.get(tp)
        out.append(
            row(
                tp[0], tp[1], get_commit(tp),
                mark.low if mark else None,
                mark.high if mark else None,
                member.member_id if member else None,
                member.client_id if member else None,
                member.host if member else None,
                get_lag(tp),
            )
        )
    return tuple(out)


def _group_readable(
    committed: Mapping[TopicPartition, int],
    log_end: Mapping[TopicPartition, int],
    readable: Mapping[tuple[TopicPartition, int], Readable],
) -> dict[TopicPartition, tuple[int, Readable]]:
    """The group's lagging partitions that were read at its committed offsets."""
    out = {}
    for tp, offset in committed.items():
        end = log_end.get(tp)
        if end is None or end <= offset:
            continue
        found = readable.get((tp, offset))
        if found is not None:
            out[tp] = (offset, found)
    return out


def sum_readable(
    committed: Mapping[TopicPartition, int],
    log_end: Mapping[TopicPartition, int],
    readable: Mapping[TopicPartition, Readable],
) -> Readable | None:
    """The group's Readable: the sum over its lagging partitions; None when
    one of them was not read (a count that one partition lacks is None)."""
    records: int | None = 0
    markers: int | None = 0
    aborted: int | None = 0
    pending = 0
    lagging = False
    for tp, offset in committed.items():
        end = log_end.get(tp)
        if end is None or end <= offset:
            continue
        lagging = True
        found = readable.get(tp)
        if found is None:
            return None
        records = None if records is None or found.records is None else records + found.records
        markers = None if markers is None or found.markers is None else markers + found.markers
        aborted = None if aborted is None or found.aborted is None else aborted + found.aborted
        pending += found.pending
    if not lagging:
        return None
    return Readable(records, markers, aborted, pending)


def _clamp(offset: int, mark: Watermarks) -> int:
    return min(max(offset, mark.low), mark.high)


def _reset_partitions(
    group: str, spec: ResetSpec, committed: Mapping[TopicPartition, int], metadata: ClusterMetadata
) -> list[PartitionInfo]:
    by_tp = {(p.topic, p.partition): p for p in metadata.partitions}
    if spec.topic is None:
        if not committed:
            raise KViewError(f"group '{group}' has no committed offsets: choose a topic to reset")
        # Offsets of topics deleted since cannot be reset (nor shown by the tool).
        return [by_tp[tp] for tp in sorted(committed) if tp in by_tp]
    topic = metadata.topic(spec.topic)
    if topic is None:
        raise KViewError(f"topic '{spec.topic}' does not exist")
    if spec.partitions is None:
        return list(topic.partitions)
    known = {p.partition: p for p in topic.partitions}
    unknown = [str(p) for p in spec.partitions if p not in known]
    if unknown:
        raise KViewError(f"topic '{spec.topic}' has no partition {', '.join(unknown)}")
    return [known[p] for p in sorted(set(spec.partitions))]

