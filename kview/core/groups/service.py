"""``GroupService``: consumer groups of one cluster for the panes and the
headless commands: listing, the batched lag refresh, a group's detail with
exact time lags, and the group operations (reset offsets, delete group,
delete offsets).

A refresh costs a handful of requests whatever the number of groups: one
ListGroups per broker, one batched FindCoordinator (cached,
``coordinator.py``), then per coordinator one DescribeGroups and one
OffsetFetch covering all its groups (``collect.py``), one Metadata, and the
two ListOffsets per partition leader that ``ClusterClient.watermarks``
sends; then the small gaps it reads (``readable_lag.py``).  Reading never
joins or commits for a user's group: the reader's consumers have no group id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from aiokafka.errors import IncompatibleBrokerVersion
from aiokafka.protocol.admin import DeleteGroupsRequest
from aiokafka.protocol.commit import OffsetCommitRequest

from kview.core.cluster import ClusterClient
from kview.core.errors import ClusterUnavailable, KViewError, describe_exception
from kview.core.groups.collect import (
    NOT_AVAILABLE,
    RawGroup,
    collect,
    describe_on,
    offsets_on,
    share_offsets_on,
)
from kview.core.groups.coordinator import Coordinators
from kview.core.groups.errors import COORDINATOR_LOAD_IN_PROGRESS, check, group_error
from kview.core.groups.models import (
    CONSUMER_PROTOCOLS,
    NEW_TYPES,
    GroupDetail,
    GroupListing,
    GroupsSnapshot,
    TopicPartition,
)
from kview.core.groups.readable_lag import ReadableLag, sum_readable
from kview.core.groups.reset import ResetRow, ResetSpec, plan_reset, reset_partitions
from kview.core.groups.summary import summarize
from kview.core.lag import LagTracker, max_time_lag
from kview.core.models import ClusterMetadata, PartitionInfo, Watermarks
from kview.core.protocol.group_requests import ListGroupsWithStateRequest, OffsetDeleteRequest
from kview.core.protocol.share_requests import (
    AlterShareGroupOffsetsRequest,
    ShareGroupDescribeRequest,
    StreamsGroupDescribeRequest,
)
from kview.core.readonly import write_action

_INACTIVE_STATES = {"Empty", "Dead", ""}
SHARE_RESET_KINDS = ("earliest", "latest", "datetime", "offset")
"""What kview offers for a share group's start offsets (kafka-share-groups
also has --to-current and --from-file)."""


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
        self._coordinators = Coordinators(client)
        self._reads = ReadableLag(client.profile)
        self._types: dict[str, str] = {}
        """Group type of each group ListGroups named (the describe request to use)."""
        self._supported: dict[str, bool] = {}

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    async def close(self) -> None:
        """Stop the record-reading consumers, if any were started (bounded:
        ``readable.STOP_TIMEOUT`` each)."""
        await self._reads.close()

    # -- listing ---------------------------------------------------------------------

    async def list_groups(self, metadata: ClusterMetadata | None = None) -> tuple[GroupListing, ...]:
        """Consumer, share and streams groups of every broker, with state and
        type, sorted by name (connect groups are left out)."""
        metadata = metadata or await self.client.metadata()

        async def on(node: int):
            response = await self.client.send(node, ListGroupsWithStateRequest(), f"list groups on broker {node}")
            check(response.error_code, f"list groups on broker {node}")
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
                    name=group[0],
                    protocol_type=group[1] or "",
                    state=group[2] or "",
                    group_type=(group[3] or "") if len(group) == 5 else "",
                    coordinator=node,
                )
                if listing.protocol_type in CONSUMER_PROTOCOLS or listing.group_type in NEW_TYPES:
                    listings[listing.name] = listing
                    self._coordinators.remember(listing.name, node)
                    if listing.group_type:
                        self._types[listing.name] = listing.group_type
        if failures and not listings and len(failures) == len(results):
            exc = failures[0]
            raise exc if isinstance(exc, KViewError) else ClusterUnavailable(describe_exception(exc))
        return tuple(sorted(listings.values(), key=lambda g: g.name))

    async def coordinator(self, group: str) -> int:
        """Node id of the group's coordinator (waits up to half a minute while a
        young cluster creates its offsets topic)."""
        return await self._coordinators.of(group)

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
            if any(n not in self._types for n in names):
                # Which describe request a group needs depends on its type,
                # which only ListGroups tells.
                with contextlib.suppress(KViewError):
                    known = {g.name: g for g in await self.list_groups(metadata)}
                    listings = {n: known[n] for n in names if n in known}
        types = {name: self._types[name] for name in names if name in self._types}
        raw_groups = await collect(self.client, self._coordinators, names, types) if names else {}

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
        committed = (raw.committed for raw in raw_groups.values())
        readable = await self._reads.small_gaps(committed, marks, timeout=self.refresh_timeout) if marks else {}
        now = time.time()
        self.tracker.observe_log_end(now, {tp: m.high for tp, m in marks.items()})

        summaries = []
        for name in names:
            raw = raw_groups.get(name) or RawGroup(name, error="no answer")
            if not raw.group_type and name in types:
                raw.group_type = types[name]
            listing = listings.get(name)
            summaries.append(
                summarize(self.tracker, raw, listing, marks, now, with_partitions, feed=complete, readable=readable)
            )
            if raw.error:
                errors.append(f"{name}: {raw.error}")
        if groups is None:
            self.tracker.retain(names)
        summaries.sort(key=lambda s: s.name)
        return GroupsSnapshot(tuple(summaries), now, time.monotonic() - started, tuple(errors))

    # -- detail ----------------------------------------------------------------------------

    async def describe_group(self, name: str, *, exact: bool = True) -> GroupDetail:
        """One group, its rows and members; with ``exact`` the time lag of each
        partition is read from the record at the committed offset."""
        snapshot = await self.refresh([name], with_partitions=True)
        summary = snapshot.groups[0]
        if summary.error:
            raise KViewError(f"group '{name}': {summary.error}")
        rows = summary.partitions
        if exact and rows and summary.kind != "share":
            rows = await self._reads.rows(rows, timeout=self.exact_timeout)
            log_end = {(r.topic, r.partition): r.log_end for r in rows if r.log_end is not None}
            committed = {(r.topic, r.partition): r.committed for r in rows if r.committed is not None}
            readable = {(r.topic, r.partition): r.readable for r in rows if r.readable is not None}
            summary = replace(
                summary,
                partitions=rows,
                time_lag=max_time_lag(r.time_lag for r in rows),
                readable=sum_readable(committed, log_end, readable),
            )
        return GroupDetail(summary=summary, partitions=rows, members=summary.members)

    # -- offsets of one group --------------------------------------------------------------

    async def committed_offsets(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed offsets (partitions with a commit only)."""
        offsets = await self._coordinators.call(
            group,
            lambda node: offsets_on(self.client, node, [group]),
            lambda answer: [answer.get(group, ({}, 0))[1]],
        )
        committed, code = offsets.get(group, ({}, 0))
        check(code, f"fetch offsets of group '{group}'")
        return committed

    async def _describe_one(self, group: str) -> RawGroup:
        described = await self._coordinators.call(
            group,
            lambda node: describe_on(self.client, node, [group]),
            lambda answer: [COORDINATOR_LOAD_IN_PROGRESS] if answer.get(group) and answer[group].retry else [],
        )
        raw = described.get(group) or RawGroup(group)
        if raw.error:
            raise KViewError(f"group '{group}': {raw.error}")
        return raw

    # -- reset -------------------------------------------------------------------------------

    async def preview_reset(self, group: str, spec: ResetSpec) -> list[ResetRow]:
        """The offsets a reset would commit, like ``--reset-offsets --dry-run``.
        Targets are clamped to [log start, log end] as Kafka's tool does."""
        committed = await self.committed_offsets(group)
        return await self._plan(group, spec, committed)

    async def _plan(self, group: str, spec: ResetSpec, committed: Mapping[TopicPartition, int]) -> list[ResetRow]:
        metadata = await self.client.metadata()
        parts = reset_partitions(group, spec, committed, metadata)
        marks = await self.client.watermarks(parts)
        missing = [f"{p.topic}:{p.partition}" for p in parts if (p.topic, p.partition) not in marks]
        if missing:
            raise KViewError(f"no log offsets for {', '.join(missing)} (partition offline?)")

        by_time: dict[TopicPartition, int | None] = {}
        if spec.kind == "datetime":
            timestamp = spec.timestamp_ms
            if timestamp is None:
                raise KViewError("a reset to a date and time needs the time")
            by_leader: dict[int, list[PartitionInfo]] = defaultdict(list)
            for p in parts:
                by_leader[p.leader].append(p)
            answers = await asyncio.gather(
                *(self.client.list_offsets(leader, ps, timestamp) for leader, ps in by_leader.items())
            )
            for answer in answers:
                by_time.update(answer)
        return plan_reset(group, spec, parts, committed, marks, by_time)

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
        response = await self._coordinators.call(
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
        response = await self._coordinators.call(
            name,
            lambda node: self.client.send(node, DeleteGroupsRequest([name]), f"delete group {name}"),
            lambda answer: [code for _group, code in answer.results],
        )
        for group_id, code in response.results:
            if group_id == name:
                check(code, f"delete group '{name}'")
        self.tracker.forget(name)
        self._coordinators.forget(name)
        self._types.pop(name, None)

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
            response = await self._coordinators.call(
                group,
                lambda node: self.client.send(node, request, f"delete offsets of {group}"),
                lambda answer: [answer.error_code],
            )
        except NotImplementedError:
            raise KViewError("deleting offsets needs Kafka 2.4 or newer") from None
        check(response.error_code, f"delete offsets of group '{group}'")
        for _name, parts in response.topics:
            for partition, code in parts:
                check(code, f"delete offsets of group '{group}' for {topic}:{partition}")
        return partitions

    # -- share and streams groups ------------------------------------------------------------

    async def supports(self, kind: str) -> bool:
        """Whether the cluster's brokers have ``kind`` (share or streams) groups:
        the describe API answers (Kafka 3.9 lacks both)."""
        if kind not in NEW_TYPES:
            return True
        if kind not in self._supported:
            request = ShareGroupDescribeRequest([]) if kind == "share" else StreamsGroupDescribeRequest([])
            try:
                await self.client.send_any(request, f"describe {kind} groups")
                self._supported[kind] = True
            except (NotImplementedError, IncompatibleBrokerVersion):
                self._supported[kind] = False
        return self._supported[kind]

    async def require(self, kind: str) -> None:
        """Raise KViewError saying ``kind`` groups are not available on this version."""
        if not await self.supports(kind):
            raise KViewError(NOT_AVAILABLE[kind])

    async def share_start_offsets(self, group: str) -> dict[TopicPartition, int]:
        """The share group's start offset of every share-partition it has state for."""
        await self.require("share")
        answer = await self._coordinators.call(
            group,
            lambda node: share_offsets_on(self.client, node, [group]),
            lambda found: [found[group][2]] if group in found else [],
        )
        starts, _lags, code, message = answer.get(group, ({}, {}, 0, None))
        if code:
            raise group_error(code, f"describe share-group offsets of '{group}'", message)
        return starts

    async def _share_group(self, group: str) -> RawGroup:
        await self.require("share")
        described = await self._coordinators.call(
            group,
            lambda node: describe_on(self.client, node, [group], {group: "share"}),
            lambda answer: [COORDINATOR_LOAD_IN_PROGRESS] if answer.get(group) and answer[group].retry else [],
        )
        raw = described.get(group) or RawGroup(group, state="Dead")
        if raw.error:
            raise KViewError(f"share group '{group}': {raw.error}")
        if raw.state == "Dead":
            raise KViewError(f"share group '{group}' does not exist")
        return raw

    async def preview_share_reset(self, group: str, spec: ResetSpec) -> list[ResetRow]:
        """The start offsets a reset would set, like ``kafka-share-groups
        --reset-offsets --dry-run``: earliest (log start), latest (log end), a
        date and time (the first offset at or after it, else the log end), or
        an offset (clamped to the log).  ``current`` is the start offset."""
        if spec.kind not in SHARE_RESET_KINDS:
            raise KViewError(f"a share group's start offsets reset to {', '.join(SHARE_RESET_KINDS)}, not {spec.kind}")
        await self._share_group(group)
        starts = await self.share_start_offsets(group)
        return await self._plan(group, spec, starts)

    @write_action("reset share-group offsets")
    async def apply_share_reset(self, group: str, spec: ResetSpec) -> list[ResetRow]:
        """Set the previewed start offsets; refused while the group has members
        (Kafka's rule: the share group must be empty)."""
        raw = await self._share_group(group)
        if raw.members or raw.state not in _INACTIVE_STATES:
            raise KViewError(
                f"cannot reset share group '{group}': it has {len(raw.members)} active member(s) "
                f"(state {raw.state}); stop its consumers first"
            )
        rows = await self.preview_share_reset(group, spec)
        offsets: dict[str, dict[int, int]] = defaultdict(dict)
        for r in rows:
            offsets[r.topic][r.partition] = r.new
        request = AlterShareGroupOffsetsRequest(group, offsets)
        response = await self._coordinators.call(
            group,
            lambda node: self.client.send(node, request, f"reset share-group offsets of {group}"),
            lambda answer: [answer.error_code],
        )
        if response.error_code:
            raise group_error(response.error_code, f"reset share group '{group}'", response.error_message)
        for topic, _id, parts, _tags in response.responses:
            for partition, code, message, _ptags in parts:
                if code:
                    raise group_error(code, f"reset share group '{group}' ({topic}:{partition})", message)
        return rows
