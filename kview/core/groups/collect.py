"""What the coordinators say about groups: DescribeGroups (classic groups),
ConsumerGroupDescribe (KIP-848 groups, which DescribeGroups reports as Dead),
ShareGroupDescribe and StreamsGroupDescribe (Kafka 4's share and streams
groups), and OffsetFetch (DescribeShareGroupOffsets for share groups), each
one request per coordinator covering all its groups of that type, merged
into one ``RawGroup`` per group.  Groups whose coordinator moved or
was still loading are asked once more after a fresh lookup."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka.errors import IncompatibleBrokerVersion
from aiokafka.protocol.commit import OffsetFetchRequest

from kview.core.cluster import ClusterClient
from kview.core.errors import KViewError, describe_exception
from kview.core.groups.coordinator import Coordinators
from kview.core.groups.errors import GROUP_ID_NOT_FOUND, RETRIABLE, group_error
from kview.core.groups.models import MemberInfo, TopicPartition
from kview.core.protocol.group_requests import (
    ConsumerGroupDescribeRequest,
    DescribeGroupsBatchRequest,
    OffsetFetchGroupsRequest,
    assignment_848,
    decode_assignment,
    decode_subscription,
)
from kview.core.protocol.share_requests import (
    DescribeShareGroupOffsetsRequest,
    ShareGroupDescribeRequest,
    StreamsGroupDescribeRequest,
    share_offsets_rows,
    task_ids,
)

log = logging.getLogger(__name__)


@dataclass
class RawGroup:
    """One group as its coordinator answered; ``retry``: the answer was a
    retriable error (ask again after a fresh coordinator lookup)."""

    name: str
    state: str = ""
    protocol_type: str = ""
    assignor: str = ""
    members: tuple[MemberInfo, ...] = ()
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    coordinator: int | None = None
    error: str | None = None
    retry: bool = False
    group_epoch: int | None = None
    assignment_epoch: int | None = None
    share_lag: dict[TopicPartition, int | None] | None = None
    """Share groups: the broker's lag of each share-partition (``committed``
    holds the start offsets); None for other groups."""
    group_type: str = ""
    """classic, consumer, share or streams, when the answer tells."""
    topology_epoch: int | None = None
    subtopologies: tuple[tuple[str, tuple[str, ...]], ...] = ()


async def collect(
    client: ClusterClient, coordinators: Coordinators, names: list[str], types: Mapping[str, str] | None = None
) -> dict[str, RawGroup]:
    """Every group of ``names`` described, with its committed offsets;
    ``types``: group types from ListGroups (``consumer``: KIP-848)."""
    out: dict[str, RawGroup] = {}
    pending = list(names)
    for attempt in range(2):
        found, errors = await coordinators.find(pending)
        for name, message in errors.items():
            out[name] = RawGroup(name, error=message)
        by_node: dict[int, list[str]] = defaultdict(list)
        for name in pending:
            if name in found:
                by_node[found[name]].append(name)
        results = await asyncio.gather(
            *(collect_on(client, node, group_names, types) for node, group_names in by_node.items()),
            return_exceptions=True,
        )
        retry: list[str] = []
        for (node, group_names), result in zip(by_node.items(), results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, (asyncio.CancelledError, KeyboardInterrupt)):
                    raise result
                message = describe_exception(result)
                for name in group_names:
                    coordinators.forget(name)
                    out[name] = RawGroup(name, coordinator=node, error=message)
                    retry.append(name)
                continue
            for name, raw in result.items():
                out[name] = raw
                if raw.retry:
                    coordinators.forget(name)
                    retry.append(name)
        if not retry or attempt:
            break
        pending = retry
        await asyncio.sleep(0.1)  # a coordinator that is loading needs a moment
    return out


async def collect_on(
    client: ClusterClient, node: int, names: list[str], types: Mapping[str, str] | None = None
) -> dict[str, RawGroup]:
    """Descriptions and committed offsets (share groups: start offsets and
    lags) of groups coordinated by ``node``."""
    types = types or {}
    shared = [n for n in names if types.get(n) == "share"]
    others = [n for n in names if types.get(n) != "share"]
    descriptions, offsets, starts = await asyncio.gather(
        describe_on(client, node, names, types),
        offsets_on(client, node, others) if others else _no_offsets(),
        share_offsets_on(client, node, shared) if shared else _no_share_offsets(),
    )
    out: dict[str, RawGroup] = {}
    for name in names:
        raw = descriptions.get(name) or RawGroup(name, coordinator=node, error="not described")
        if name in starts:
            found, lags, code, message = starts[name]
            raw.share_lag = lags
        else:
            found, code = offsets.get(name, ({}, 0))
            message = None
        if code:
            raw.retry = raw.retry or code in RETRIABLE
            raw.error = raw.error or str(group_error(code, "fetch offsets", message))
        raw.committed = found
        out[name] = raw
    return out


async def _no_offsets() -> dict[str, tuple[dict[TopicPartition, int], int]]:
    return {}


async def _no_share_offsets() -> dict[str, ShareOffsets]:
    return {}


ShareOffsets = tuple[dict[TopicPartition, int], dict[TopicPartition, int | None], int, str | None]
"""Start offsets, lags, group error code and message of one share group."""


async def share_offsets_on(client: ClusterClient, node: int, names: list[str]) -> dict[str, ShareOffsets]:
    """Start offset and lag of every share-partition of each share group."""
    try:
        response = await client.send(
            node, DescribeShareGroupOffsetsRequest(names), f"describe share-group offsets on broker {node}"
        )
    except (NotImplementedError, IncompatibleBrokerVersion):
        raise KViewError(NOT_AVAILABLE["share"]) from None
    out: dict[str, ShareOffsets] = {}
    for group in response.groups:
        starts: dict[TopicPartition, int] = {}
        lags: dict[TopicPartition, int | None] = {}
        for topic, partition, start, lag, code, message in share_offsets_rows(group, response.API_VERSION):
            if code:
                log.debug("DescribeShareGroupOffsets %s %s-%s: %s %s", group[0], topic, partition, code, message)
                continue
            if start >= 0:
                starts[(topic, partition)] = start
                lags[(topic, partition)] = lag
        out[group[0]] = (starts, lags, group[2], group[3])
    return out


async def describe_on(
    client: ClusterClient, node: int, names: list[str], types: Mapping[str, str] | None = None
) -> dict[str, RawGroup]:
    """Describe groups on their coordinator: DescribeGroups for classic
    groups, ConsumerGroupDescribe for KIP-848 ones.  Without a type from
    ListGroups, a group DescribeGroups calls Dead is asked again the new way."""
    types = types or {}
    modern = [n for n in names if types.get(n) == "consumer"]
    shared = [n for n in names if types.get(n) == "share"]
    streams = [n for n in names if types.get(n) == "streams"]
    classic = [n for n in names if types.get(n) not in ("consumer", "share", "streams")]
    out = await _describe_classic(client, node, classic) if classic else {}
    if shared:
        out.update(await _describe_share(client, node, shared))
    if streams:
        out.update(await _describe_streams(client, node, streams))
    modern += [
        n
        for n in classic
        if n not in types and n in out and out[n].state == "Dead" and not out[n].members and not out[n].error
    ]
    if modern:
        out.update(await _describe_modern(client, node, modern, listed={n for n in modern if n in types}))
    return out


async def _describe_classic(client: ClusterClient, node: int, names: list[str]) -> dict[str, RawGroup]:
    try:
        response = await client.send(node, DescribeGroupsBatchRequest(names), f"describe groups on broker {node}")
    except NotImplementedError:
        raise KViewError("this broker is too old for kview's group view (needs Kafka 2.4+)") from None
    out: dict[str, RawGroup] = {}
    for error_code, group_id, state, protocol_type, protocol, members, _ops, _tags in response.groups:
        raw = RawGroup(group_id, coordinator=node)
        if error_code:
            raw.retry = error_code in RETRIABLE
            raw.error = str(group_error(error_code, "describe group"))
        else:
            raw.state, raw.protocol_type, raw.assignor = state or "", protocol_type or "", protocol or ""
            consumer = raw.protocol_type == "consumer"
            raw.members = tuple(
                MemberInfo(
                    member_id=m[0] or "",
                    group_instance_id=m[1],
                    client_id=m[2] or "",
                    host=m[3] or "",
                    assignment=decode_assignment(m[5]) if consumer else (),
                    subscription=decode_subscription(m[4]) if consumer else (),
                )
                for m in members
            )
        out[group_id] = raw
    return out


async def _describe_modern(client: ClusterClient, node: int, names: list[str], listed: set[str]) -> dict[str, RawGroup]:
    """KIP-848 groups.  A group that turns out not to be one (error
    GROUP_ID_NOT_FOUND) keeps its DescribeGroups answer, unless ListGroups
    had called it a consumer group (then it is gone: Dead)."""
    try:
        response = await client.send(node, ConsumerGroupDescribeRequest(names), f"describe groups on broker {node}")
    except (NotImplementedError, IncompatibleBrokerVersion):
        # Brokers before 3.7 lack the API (aiokafka raises
        # IncompatibleBrokerVersion for an unknown key, NotImplementedError
        # for known versions kview does not offer); they have no such groups.
        return {}
    out: dict[str, RawGroup] = {}
    for group in response.groups:
        error_code, error_message, group_id, state, epoch, assignment_epoch, assignor, members = group[:8]
        raw = RawGroup(group_id, coordinator=node, protocol_type="consumer", group_type="consumer")
        if error_code == GROUP_ID_NOT_FOUND:
            if group_id in listed:
                raw.state = "Dead"
                out[group_id] = raw
            continue
        if error_code:
            raw.retry = error_code in RETRIABLE
            raw.error = str(group_error(error_code, "describe group", error_message or None))
        else:
            raw.state, raw.assignor = state or "", assignor or ""
            raw.group_epoch, raw.assignment_epoch = epoch, assignment_epoch
            raw.members = tuple(
                MemberInfo(
                    member_id=m[0] or "",
                    group_instance_id=m[1],
                    client_id=m[4] or "",
                    host=m[5] or "",
                    assignment=assignment_848(m[8]),
                    subscription=tuple(sorted(m[6] or ())),
                    member_epoch=m[3],
                    target_assignment=assignment_848(m[9]),
                    subscribed_regex=m[7] or None,
                )
                for m in members
            )
        out[group_id] = raw
    return out


NOT_AVAILABLE = {
    "share": "share groups are not available on this Kafka version (they need Kafka 4.1 or newer)",
    "streams": "streams groups are not available on this Kafka version (they need Kafka 4.1 or newer)",
}


def _error(raw: RawGroup, error_code: int, error_message: str | None) -> None:
    raw.retry = error_code in RETRIABLE
    raw.error = str(group_error(error_code, "describe group", error_message or None))


async def _describe_share(client: ClusterClient, node: int, names: list[str]) -> dict[str, RawGroup]:
    """Share groups (KIP-932): members, their (possibly shared) partitions, epochs."""
    try:
        response = await client.send(node, ShareGroupDescribeRequest(names), f"describe share groups on broker {node}")
    except (NotImplementedError, IncompatibleBrokerVersion):
        raise KViewError(NOT_AVAILABLE["share"]) from None
    out: dict[str, RawGroup] = {}
    for group in response.groups:
        error_code, error_message, group_id, state, epoch, assignment_epoch, assignor, members = group[:8]
        raw = RawGroup(group_id, coordinator=node, protocol_type="share", group_type="share")
        if error_code == GROUP_ID_NOT_FOUND:
            raw.state = "Dead"
        elif error_code:
            _error(raw, error_code, error_message)
        else:
            raw.state, raw.assignor = state or "", assignor or ""
            raw.group_epoch, raw.assignment_epoch = epoch, assignment_epoch
            raw.members = tuple(
                MemberInfo(
                    member_id=m[0] or "",
                    client_id=m[3] or "",
                    host=m[4] or "",
                    assignment=assignment_848(m[6]),
                    subscription=tuple(sorted(m[5] or ())),
                    member_epoch=m[2],
                )
                for m in members
            )
        out[group_id] = raw
    return out


async def _describe_streams(client: ClusterClient, node: int, names: list[str]) -> dict[str, RawGroup]:
    """Streams groups (KIP-1071): members, their processes and tasks, the topology."""
    try:
        response = await client.send(
            node, StreamsGroupDescribeRequest(names), f"describe streams groups on broker {node}"
        )
    except (NotImplementedError, IncompatibleBrokerVersion):
        raise KViewError(NOT_AVAILABLE["streams"]) from None
    out: dict[str, RawGroup] = {}
    for group in response.groups:
        error_code, error_message, group_id, state, epoch, assignment_epoch, topology, members = group[:8]
        raw = RawGroup(group_id, coordinator=node, protocol_type="streams", group_type="streams")
        if error_code == GROUP_ID_NOT_FOUND:
            raw.state = "Dead"
        elif error_code:
            _error(raw, error_code, error_message)
        else:
            raw.state = state or ""
            raw.group_epoch, raw.assignment_epoch = epoch, assignment_epoch
            if topology is not None:
                raw.topology_epoch = topology[0]
                raw.subtopologies = tuple(
                    (sub[0], tuple(sorted(sub[1] or ()))) for sub in sorted(topology[1] or (), key=lambda t: t[0])
                )
            raw.members = tuple(
                MemberInfo(
                    member_id=m[0] or "",
                    member_epoch=m[1],
                    group_instance_id=m[2],
                    client_id=m[4] or "",
                    host=m[5] or "",
                    process_id=m[7] or None,
                    active_tasks=task_ids(m[12][0]),
                    standby_tasks=task_ids(m[12][1]),
                    warmup_tasks=task_ids(m[12][2]),
                    target_tasks=task_ids(m[13][0]),
                )
                for m in members
            )
        out[group_id] = raw
    return out


async def offsets_on(
    client: ClusterClient, node: int, names: list[str]
) -> dict[str, tuple[dict[TopicPartition, int], int]]:
    """Committed offsets of each group (partitions with a commit only), and
    the group-level error code."""
    out: dict[str, tuple[dict[TopicPartition, int], int]] = {}
    try:
        response = await client.send(
            node, OffsetFetchGroupsRequest({n: None for n in names}), f"fetch offsets on broker {node}"
        )
    except NotImplementedError:
        # Brokers before 3.0: one OffsetFetch per group.
        async def one(name: str):
            r = await client.send(node, OffsetFetchRequest(name, None), f"fetch offsets of {name}")
            offsets = {(topic, p[0]): p[1] for topic, parts in r.topics for p in parts if p[1] >= 0 and p[-1] == 0}
            return name, offsets, getattr(r, "error_code", 0)

        for name, found, code in await asyncio.gather(*(one(n) for n in names)):
            out[name] = (found, code)
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
