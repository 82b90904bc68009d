"""``kview groups``, ``kview group`` and ``kview lag``: groups of every type
(classic, consumer, share, streams), one group's members and partitions, and
the lag check scripts alert on.  A share group's partitions show the
share-partition start offset and the lag as the broker computes it.

Status in one run: a group's status needs snapshots over time (kview.core.lag).
One run takes one snapshot, so status is OK (members present) or EMPTY (none)
and rates are null; ``--window W`` watches for a little over W seconds first,
``--watch`` feeds every refresh to the same LagTracker, and then STALL, STOP
and WARN mean what the lag module says.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Generic, TypeVar

from kview.core.errors import KViewError
from kview.core.schedule import delay_until_next
from kview.headless import EXIT_FOUND, EXIT_OK, render
from kview.headless.render import Doc, Printer
from kview.headless.runner import NotFound, RunState, refresh_loop

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient
    from kview.core.groups import GroupDetail, GroupService, GroupsSnapshot, GroupSummary

log = logging.getLogger(__name__)

DEFAULT_WINDOW = 300.0
"""The LagTracker's default status window (seconds)."""
HEADLESS_READ_TIMEOUT = 3.0
"""Seconds a headless refresh reads small lags for their readable count."""

_T = TypeVar("_T")


def _absent(summary: GroupSummary) -> bool:
    """A group Kafka describes as Dead with no members and no offsets does not exist."""
    return summary.state in ("Dead", "") and not summary.members and summary.partition_count == 0 and not summary.error


def _group_service(client: ClusterClient, window: float) -> GroupService:
    from kview.core.groups import GroupService
    from kview.core.lag import LagTracker

    # One run reads once: it can afford the detail's 3 s for the small gaps too
    # (the UI keeps 1 s, as it refreshes every few seconds).
    return GroupService(client, LagTracker(window=window), refresh_timeout=HEADLESS_READ_TIMEOUT)


class _Counter(Generic[_T]):
    """Counts the refreshes fed to the tracker (the documents' ``snapshots``)."""

    def __init__(self, take: Callable[[], Awaitable[_T]]) -> None:
        self.take = take
        self.count = 0

    async def __call__(self) -> _T:
        result = await self.take()
        self.count += 1
        return result


async def _observe(take: Callable[[], Awaitable[GroupsSnapshot]], window: float) -> GroupsSnapshot:
    """Snapshots every ~W/6 seconds until the last is more than ``window``
    seconds after the first, so the status rules can see idle > W."""
    interval = min(30.0, max(0.5, window / 6))
    started = time.monotonic()
    first = await take()
    snapshot = first
    while snapshot.taken_at - first.taken_at <= window:
        await asyncio.sleep(delay_until_next(started, time.monotonic(), interval))
        started = time.monotonic()
        snapshot = await take()
    return snapshot


async def _describe(service: GroupService, name: str) -> GroupDetail:
    try:
        detail = await service.describe_group(name)
    except KViewError as exc:
        if "GroupIdNotFound" in str(exc):
            raise NotFound(f"group '{name}' does not exist") from None
        raise
    if _absent(detail.summary):
        raise NotFound(f"group '{name}' does not exist")
    return detail


async def cmd_groups(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    window = args.window or DEFAULT_WINDOW
    service = _group_service(client, window)
    take = _Counter(service.refresh)

    types = args.type

    async def fetch() -> Doc:
        snapshot = await (_observe(take, args.window) if args.window and not args.watch else take())
        unavailable = await _unavailable(service, types)
        return render.groups_doc(
            snapshot, pattern=args.pattern, window=window, snapshots=take.count, types=types, unavailable=unavailable
        )

    try:
        return await refresh_loop(args, printer, state, fetch, render.groups_view)
    finally:
        await service.close()


async def _unavailable(service: GroupService, types: tuple[str, ...] | None) -> list[str]:
    """What the cluster lacks of the group types asked for, in words."""
    from kview.core.groups.collect import NOT_AVAILABLE

    return [NOT_AVAILABLE[t] for t in types or () if t in NOT_AVAILABLE and not await service.supports(t)]


async def cmd_group(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    window = args.window or DEFAULT_WINDOW
    service = _group_service(client, window)
    name = args.name
    take = _Counter(lambda: service.refresh([name]))
    describe = _Counter(lambda: _describe(service, name))

    async def fetch() -> Doc:
        if args.window and not args.watch:
            await _observe(take, args.window)
        detail = await describe()
        return render.group_doc(detail, window=window, snapshots=take.count + describe.count, taken_at=time.time())

    try:
        return await refresh_loop(args, printer, state, fetch, render.group_view)
    finally:
        await service.close()


async def cmd_lag(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    window = args.window or DEFAULT_WINDOW
    service = _group_service(client, window)
    pattern = args.group
    exact_name = pattern if pattern and not render._has_wildcard(pattern) else None
    match = render.exact_or_glob(pattern) if pattern else (lambda name: True)
    take = _Counter(lambda: service.refresh([exact_name] if exact_name else None, with_partitions=True))

    async def fetch() -> Doc:
        snapshot = await (_observe(take, args.window) if args.window and not args.watch else take())
        groups = [g for g in snapshot.groups if match(g.name)]
        if exact_name is not None:
            found = groups[0] if groups else None
            if found is None or _absent(found):
                raise NotFound(f"group '{exact_name}' does not exist")
            if found.error:
                raise KViewError(f"group '{exact_name}': {found.error}")
        if args.exact:
            groups = [await _with_exact_lags(service, g, args) for g in groups]
        return render.lag_doc(
            groups,
            taken_at=snapshot.taken_at,
            window=window,
            snapshots=take.count,
            group=pattern,
            min_lag=args.min_lag,
            statuses=args.status,
            problems=[*await _unavailable(service, args.type), *(f"{g.name}: {g.error}" for g in groups if g.error)],
            types=args.type,
        )

    try:
        return await refresh_loop(
            args,
            printer,
            state,
            fetch,
            render.lag_view,
            code_of=lambda doc: EXIT_FOUND if doc["matched"] else EXIT_OK,
        )
    finally:
        await service.close()


async def _with_exact_lags(service: GroupService, summary: GroupSummary, args: Namespace) -> GroupSummary:
    """The group with time lags read from the records, when it matches."""
    if not render.lag_matches(render.group_fields(summary), args.min_lag, args.status):
        return summary
    try:
        detail = await service.describe_group(summary.name)
    except KViewError as exc:
        log.info("exact time lag of %s: %s", summary.name, exc)
        return summary
    # Only the time lags and readable counts come from the second look: status,
    # lag and rates stay those of the refresh every other group was judged by.
    read = {(r.topic, r.partition): r for r in detail.partitions}
    rows = []
    for r in summary.partitions:
        found = read.get((r.topic, r.partition))
        rows.append(r if found is None else replace(r, time_lag=found.time_lag, readable=found.readable or r.readable))
    return replace(
        summary,
        partitions=tuple(rows),
        time_lag=detail.summary.time_lag,
        readable=detail.summary.readable or summary.readable,
    )
