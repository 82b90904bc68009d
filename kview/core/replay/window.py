"""The window a copy reads: each partition's [start, end) offsets, resolved
once when the copy starts from what the user typed (earliest, latest, an
offset, or a time looked up with offsets-for-times).  The end is fixed at the
start, so a copy into the topic it reads from ends too.

Kept small and local to the copy (the Find work builds its own window for its
scans); both follow the tail's ``--from`` words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka.structs import TopicPartition

from kview.core import inputs
from kview.core.errors import InputError

EDGE_KINDS = ("earliest", "latest", "offset", "time")


@dataclass(frozen=True)
class Edge:
    """One end of a window: ``kind`` earliest | latest | offset (``value``) |
    time (``value``: milliseconds since the epoch)."""

    kind: str
    value: int | None = None

    @classmethod
    def parse(cls, text: str | None, default: str) -> Edge:
        """``earliest``, ``latest``, an offset (digits) or a time as the tail's
        ``--from`` reads it (ISO 8601, ``12:30``, ``-2h``); empty: ``default``.
        Raises InputError with a sentence."""
        value = (text or "").strip()
        if not value:
            return cls(default)
        if value.lower() in ("earliest", "latest"):
            return cls(value.lower())
        if inputs.is_number(value):
            return cls("offset", inputs.parse_offset(value))
        try:
            return cls("time", inputs.epoch_ms(inputs.parse_when(value)))
        except InputError as exc:
            raise InputError(f"{exc} (or type earliest, latest or an offset)") from None

    def describe(self) -> str:
        if self.kind in ("earliest", "latest"):
            return self.kind
        if self.kind == "offset":
            return f"offset {self.value}"
        return f"time {self.value} ms"


@dataclass(frozen=True)
class PartitionWindow:
    """Offsets [start, end) of one partition, between its log start ``low``
    and the end offset ``high`` a read_committed reader sees."""

    partition: int
    start: int
    end: int
    low: int
    high: int

    @property
    def size(self) -> int:
        return max(0, self.end - self.start)


async def resolve_window(
    consumer: Any, topic: str, partitions: list[int], start: Edge, end: Edge
) -> list[PartitionWindow]:
    """Each partition's window, asked of ``consumer`` (an AIOKafkaConsumer,
    read_committed: its end offsets are the last stable offsets).  Offsets
    are kept inside [low, high]; a time with no record at or after it
    resolves to ``high``."""
    tps = [TopicPartition(topic, p) for p in partitions]
    low = await consumer.beginning_offsets(tps)
    high = await consumer.end_offsets(tps)

    async def resolve(edge: Edge) -> dict[TopicPartition, int]:
        if edge.kind == "earliest":
            return dict(low)
        if edge.kind == "latest":
            return dict(high)
        if edge.kind == "offset":
            return {tp: min(max(int(edge.value or 0), low[tp]), high[tp]) for tp in tps}
        found = await consumer.offsets_for_times({tp: int(edge.value or 0) for tp in tps})
        return {tp: (found[tp].offset if found.get(tp) is not None else high[tp]) for tp in tps}

    starts, ends = await resolve(start), await resolve(end)
    return [PartitionWindow(tp.partition, starts[tp], max(starts[tp], ends[tp]), low[tp], high[tp]) for tp in tps]
