"""What the coordinators say about groups: DescribeGroups (classic groups),
ConsumerGroupDescribe (KIP-848 groups, which DescribeGroups reports as Dead)
and OffsetFetch, each one request per coordinator covering all its groups,
merged into one ``RawGroup`` per group.  Groups whose coordinator moved or
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
    """Descriptions and committed offsets of groups coordinated by ``node``."""
    descriptions, offsets = await asyncio.gather(
        describe_on(client, node, names, types), offsets_on(client, node, names)
    )
    out: dict[str, RawGroup] = {}
    for name in names:
        raw = descriptions.get(name) or RawGroup(name, coordinator=node, error="not described")
        committed, code = offsets.get(name, ({}, 0))
        if code:
            raw.retry = raw.retry or code in RETRIABLE
            raw.error = raw.error or str(group_error(code, "fetch offsets"))
        raw.committed = committed
        out[name] = raw
    return out


async def describe_on(
    client: ClusterClient, node: int, names: list[str], types: Mapping[str, str] | None = None
) -> dict[str, RawGroup]:
    """Describe groups on their coordinator: DescribeGroups for classic
    groups, ConsumerGroupDescribe for KIP-848 ones.  Without a type from
    ListGroups, a group DescribeGroups calls Dead is asked again the new way."""
    types = types or {}
    modern = [n for n in names if types.get(n) == "consumer"]
    classic = [n for n in names if types.get(n) != "consumer"]
    out = await _describe_classic(client, node, classic) if classic else {}
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
        error_code, error_message, group_id, state, _epoch, _assignment_epoch, assignor, members = group[:8]
        raw = RawGroup(group_id, coordinator=node, protocol_type="consumer")
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
            raw.members = tuple(
                MemberInfo(
                    member_id=m[0] or "",
                    group_instance_id=m[1],
                    client_id=m[4] or "",
                    host=m[5] or "",
                    assignment=assignment_848(m[8]),
                    subscription=tuple(sorted(m[6] or ())),
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
