"""From what the coordinators said and the log offsets to what kview shows
of a group: the describe rows (as ``kafka-consumer-groups --describe``
prints them: every partition assigned to a member, committed or not, then
committed partitions nobody is assigned) and the ``GroupSummary``, whose
status, rates and time-lag estimates come from the ``LagTracker`` it feeds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from kview.core.groups.collect import RawGroup
from kview.core.groups.models import GroupListing, GroupPartitionLag, GroupSummary, MemberInfo, TopicPartition
from kview.core.groups.readable import Readable
from kview.core.groups.readable_lag import group_readable, sum_readable
from kview.core.lag import GroupStatus, LagTracker, TimeLag, total_lag
from kview.core.models import Watermarks


def summarize(
    tracker: LagTracker,
    raw: RawGroup,
    listing: GroupListing | None,
    marks: Mapping[TopicPartition, Watermarks],
    now: float,
    with_partitions: bool,
    feed: bool = True,
    readable: Mapping[tuple[TopicPartition, int], Readable] | None = None,
) -> GroupSummary:
    """The group's summary; ``feed``: the pass is complete, so ``tracker``
    observes it (a pass without log ends would read as "no lag").

    A share group has no committed offsets: its share-partitions have a start
    offset and a lag the broker computes (records past the start offset not
    yet acknowledged).  The tracker is fed ``log end - lag`` as the
    partition's position, so lag history, rates and status rules apply to
    Kafka's share lag; readable counts and time lags do not apply (None)."""
    log_end = {tp: marks[tp].high for tp in raw.committed if tp in marks}
    positions = raw.committed
    if raw.share_lag is not None:
        positions = {tp: log_end[tp] - lag for tp, lag in raw.share_lag.items() if lag is not None and tp in log_end}
        found = {}
    else:
        found = group_readable(raw.committed, log_end, readable or {})
    if feed and not raw.error:
        unreadable = sum(log_end[tp] - offset - r.records for tp, (offset, r) in found.items() if r.records is not None)
        settled = [tp for tp, (_, r) in found.items() if r.nothing_left]
        tracker.observe_group(
            raw.name, now, positions, log_end, len(raw.members), unreadable=unreadable, settled=settled
        )
    health = tracker.evaluate(raw.name, now, per_partition=with_partitions)
    assigned = {tp for member in raw.members for tp in member.assignment}
    keys = assigned | raw.committed.keys() if assigned else raw.committed.keys()
    rows: tuple[GroupPartitionLag, ...] = ()
    if with_partitions:
        rows = build_rows(raw.members, raw.committed, marks, health.time_lags if health else None)
        if found:
            rows = tuple(
                replace(r, readable=found[(r.topic, r.partition)][1]) if (r.topic, r.partition) in found else r
                for r in rows
            )
        if raw.share_lag is not None:
            lags = raw.share_lag
            rows = tuple(
                replace(
                    r,
                    share=True,
                    share_lag=lags.get((r.topic, r.partition)),
                    time_lag=None,
                    # A share-partition may be delivered to several members:
                    # the members list says which; no one row owner.
                    consumer_id=None,
                    client_id=None,
                    host=None,
                )
                for r in rows
            )
    breach = False
    for tp, offset in ({} if raw.share_lag is not None else raw.committed).items():
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
        uncommitted_partitions=sum(1 for tp in assigned if tp not in raw.committed) if raw.share_lag is None else 0,
        status=health.status if health else (GroupStatus.EMPTY if not raw.members else GroupStatus.OK),
        total_lag=health.lag if health else total_lag(positions, log_end),
        retention_breach=breach,
        consumption_rate=health.consumption_rate if health else None,
        production_rate=health.production_rate if health else None,
        catch_up_seconds=health.catch_up_seconds if health else None,
        time_lag=health.time_lag if health and raw.share_lag is None else None,
        idle_seconds=health.idle_seconds if health else 0.0,
        lag_history=health.lag_history if health else (),
        partitions=rows,
        coordinator=raw.coordinator,
        group_type=listing.group_type if listing and listing.group_type else raw.group_type,
        error=raw.error,
        readable=None
        if raw.share_lag is not None
        else sum_readable(raw.committed, log_end, {tp: r for tp, (_, r) in found.items()}),
        group_epoch=raw.group_epoch,
        assignment_epoch=raw.assignment_epoch,
        topology_epoch=raw.topology_epoch,
        subtopologies=raw.subtopologies,
    )


def build_rows(
    members: Iterable[MemberInfo],
    committed: Mapping[TopicPartition, int],
    marks: Mapping[TopicPartition, Watermarks],
    time_lags: Mapping[TopicPartition, TimeLag] | None = None,
) -> tuple[GroupPartitionLag, ...]:
    """The describe rows: assigned partitions (with their member), then committed
    partitions nobody is assigned, sorted by topic and partition."""
    owner: dict[TopicPartition, MemberInfo] = {}
    for assigned_member in members:
        for tp in assigned_member.assignment:
            owner[tp] = assigned_member
    lags = time_lags or {}
    get_mark, get_lag, get_commit = marks.get, lags.get, committed.get
    row = GroupPartitionLag
    if not owner:
        # Most groups of a big cluster are idle: no assigned_member lookups needed.
        out = []
        for tp in sorted(committed):
            mark = get_mark(tp)
            out.append(
                row(
                    tp[0],
                    tp[1],
                    committed[tp],
                    mark.low if mark else None,
                    mark.high if mark else None,
                    None,
                    None,
                    None,
                    get_lag(tp),
                )
            )
        return tuple(out)
    out = []
    for tp in sorted(owner.keys() | committed.keys()):
        mark = get_mark(tp)
        member = owner.get(tp)
        out.append(
            row(
                tp[0],
                tp[1],
                get_commit(tp),
                mark.low if mark else None,
                mark.high if mark else None,
                member.member_id if member else None,
                member.client_id if member else None,
                member.host if member else None,
                get_lag(tp),
            )
        )
    return tuple(out)
