"""The window of a find (or a copy): per partition, the offsets ``[start, end)``
to read, from bounds given as times or offsets.

A time bound is resolved on each partition with ListOffsets by timestamp
(offsets-for-times): the first offset whose record has a timestamp at or
after it; a partition with no such record gives its log-end offset.  So
``--from T1 --to T2`` reads the offsets from the first record at or after
T1 up to, not including, the first record at or after T2; that is the
same range ``kafka-get-offsets --time`` draws.  An offset bound is the same
number on every partition, clamped to the partition's ``[log start,
log end]``.  ``earliest`` and ``latest`` are the watermarks when the window
is resolved: records written after that are not part of the window, so the
account of a scan is of a fixed set of offsets.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kview.core import inputs
from kview.core.errors import InputError, KViewError

if TYPE_CHECKING:
    from kview.core.cluster import ClusterClient
    from kview.core.models import PartitionInfo, TopicInfo

EARLIEST_TS = -2
LATEST_TS = -1

BOUND_FORMS = f"earliest, latest, an offset, or a time ({inputs.WHEN_FORMS})"


class FindError(KViewError):
    """A find (or a window) that cannot be done as asked: unknown topic or
    partition, a bound that cannot be read."""


@dataclass(frozen=True)
class Bound:
    """One end of a window: ``kind`` is 'earliest', 'latest', 'offset' or
    'time' (``value``: the offset, or milliseconds since the epoch)."""

    kind: str
    value: int | None = None

    @classmethod
    def earliest(cls) -> Bound:
        return cls("earliest")

    @classmethod
    def latest(cls) -> Bound:
        return cls("latest")

    @classmethod
    def offset(cls, offset: int) -> Bound:
        if offset < 0:
            raise InputError("an offset is 0 or more")
        return cls("offset", int(offset))

    @classmethod
    def time(cls, ms: int) -> Bound:
        if ms < 0:
            raise InputError("a time is after 1970")
        return cls("time", int(ms))

    def describe(self) -> str:
        if self.kind in ("earliest", "latest"):
            return self.kind
        if self.kind == "offset":
            return f"offset {self.value}"
        from datetime import datetime

        stamp = datetime.fromtimestamp((self.value or 0) / 1000).astimezone()
        return f"time {stamp.isoformat(timespec='milliseconds')}"


def parse_bound(text: str | None, default: Bound, what: str = "bound") -> Bound:
    """``earliest``/``latest``, an offset (digits), or a time as the app takes
    them (kview.core.inputs.parse_when); InputError naming ``what`` if not."""
    if text is None or not text.strip():
        return default
    word = text.strip().lower()
    if word in ("earliest", "beginning", "start"):
        return Bound.earliest()
    if word in ("latest", "end", "now"):
        return Bound.latest()
    try:
        if inputs.is_number(word):
            return Bound.offset(inputs.parse_offset(word))
        return Bound.time(inputs.epoch_ms(inputs.parse_when(text)))
    except InputError as exc:
        raise InputError(f"{what}: {exc} (or earliest, latest, an offset)") from None


@dataclass(frozen=True)
class PartitionWindow:
    """The offsets of one partition to read: ``[start, end)``, inside
    ``[low, high]`` (the watermarks when the window was resolved)."""

    partition: int
    leader: int
    low: int
    high: int
    start: int
    end: int

    @property
    def offsets(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class TopicWindow:
    topic: str
    partition_count: int
    start: Bound
    end: Bound
    partitions: tuple[PartitionWindow, ...]
    missing: tuple[int, ...] = ()
    """Partitions without a leader: not readable now, left out (and said)."""

    @property
    def offsets(self) -> int:
        return sum(p.offsets for p in self.partitions)


async def topic_info(client: ClusterClient, topic: str) -> TopicInfo:
    """The topic's metadata, FindError if it does not exist.  Asks with topic
    auto-creation off: looking must never create the topic."""
    from aiokafka.protocol.metadata import MetadataRequest

    from kview.core.cluster import metadata_from_response
    from kview.core.errors import error_name

    response = await client.send_any(MetadataRequest([topic], False), f"metadata of topic {topic}")
    info = metadata_from_response(response.to_object()).topic(topic)
    if info is None or (info.error and info.error.startswith(error_name(3))):
        raise FindError(f"topic '{topic}' does not exist")
    if info.error and not info.partitions:
        raise FindError(f"topic '{topic}': {info.error}")
    return info


async def resolve_window(
    client: ClusterClient,
    topic: str,
    partitions: list[int] | None = None,
    start: Bound | None = None,
    end: Bound | None = None,
    *,
    info: TopicInfo | None = None,
) -> TopicWindow:
    """The window of ``topic`` (every partition, or ``partitions``) between
    ``start`` (default earliest) and ``end`` (default latest)."""
    start = start or Bound.earliest()
    end = end or Bound.latest()
    if info is None:
        info = await topic_info(client, topic)
    by_number = {p.partition: p for p in info.partitions}
    if partitions is not None:
        unknown = sorted(set(partitions) - set(by_number))
        if unknown:
            raise FindError(
                f"topic '{topic}' has no partition {', '.join(map(str, unknown))} (it has {len(by_number)})"
            )
        chosen = [by_number[p] for p in sorted(set(partitions))]
    else:
        chosen = sorted(info.partitions, key=lambda p: p.partition)
    led = [p for p in chosen if p.leader >= 0]
    missing = tuple(p.partition for p in chosen if p.leader < 0)
    marks = await client.watermarks(led)
    times = {b.value for b in (start, end) if b.kind == "time" and b.value is not None}
    at_time: dict[int, dict[int, int]] = {}
    if times:
        by_leader: dict[int, list[PartitionInfo]] = {}
        for p in led:
            by_leader.setdefault(p.leader, []).append(p)
        for ts in times:
            answers = await asyncio.gather(*(client.list_offsets(n, parts, ts) for n, parts in by_leader.items()))
            found: dict[int, int] = {}
            for answer in answers:
                for (_t, number), offset in answer.items():
                    found[number] = offset
            at_time[ts] = found
    windows = []
    for p in led:
        mark = marks.get((topic, p.partition))
        if mark is None:
            missing += (p.partition,)
            continue
        if any(p.partition not in at_time[ts] for ts in at_time):
            missing += (p.partition,)  # its leader answered the time lookup with an error
            continue
        low, high = mark.low, mark.high
        first = _resolve(start, low, high, at_time, p.partition)
        last = _resolve(end, low, high, at_time, p.partition)
        windows.append(PartitionWindow(p.partition, p.leader, low, high, first, max(first, last)))
    return TopicWindow(topic, len(by_number), start, end, tuple(windows), tuple(sorted(missing)))


def _resolve(bound: Bound, low: int, high: int, at_time: dict[int, dict[int, int]], partition: int) -> int:
    if bound.kind == "earliest":
        return low
    if bound.kind == "latest":
        return high
    if bound.kind == "offset":
        return min(max(bound.value or 0, low), high)
    found = at_time[bound.value or 0][partition]
    # -1: no record at or after that time: the log end.
    return high if found < 0 else min(max(found, low), high)
