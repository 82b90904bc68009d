"""The window a copy reads: each partition's [start, end) offsets, resolved
once when the copy starts from what the user typed (earliest, latest, an
offset, or a time looked up with offsets-for-times).  The end is fixed at the
start, so a copy into the topic it reads from ends too.

The bounds are find's (kview.core.find.window.Bound, parse_bound): the same
words, the same sentences.  Resolved here with a read_committed consumer, as
the copy reads, where find resolves its own with ListOffsets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka.structs import TopicPartition

from kview.core.find.window import Bound


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
    consumer: Any, topic: str, partitions: list[int], start: Bound, end: Bound
) -> list[PartitionWindow]:
    """Each partition's window, asked of ``consumer`` (an AIOKafkaConsumer,
    read_committed: its end offsets are the last stable offsets).  Offsets
    are kept inside [low, high]; a time with no record at or after it
    resolves to ``high``."""
    tps = [TopicPartition(topic, p) for p in partitions]
    low = await consumer.beginning_offsets(tps)
    high = await consumer.end_offsets(tps)

    async def resolve(edge: Bound) -> dict[TopicPartition, int]:
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
