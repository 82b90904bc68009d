"""Resetting a group's offsets: what ``kafka-consumer-groups --reset-offsets``
would be asked (``ResetSpec``), what it would commit (``ResetRow``), and the
planning between them, pure: which partitions a spec covers and the offset
each one moves to, clamped to [log start, log end] as Kafka's tool does.
The service fetches the committed offsets, watermarks and (for a datetime)
the offsets by time, and commits what the plan says."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from kview.core.errors import KViewError
from kview.core.groups.models import TopicPartition
from kview.core.models import ClusterMetadata, PartitionInfo, Watermarks

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


def clamp(offset: int, mark: Watermarks) -> int:
    """``offset`` moved into [log start, log end]."""
    return min(max(offset, mark.low), mark.high)


def reset_partitions(
    group: str, spec: ResetSpec, committed: Mapping[TopicPartition, int], metadata: ClusterMetadata
) -> list[PartitionInfo]:
    """The partitions ``spec`` covers, sorted; every committed partition of a
    topic that still exists when the spec names no topic."""
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


def plan_reset(
    group: str,
    spec: ResetSpec,
    parts: list[PartitionInfo],
    committed: Mapping[TopicPartition, int],
    marks: Mapping[TopicPartition, Watermarks],
    by_time: Mapping[TopicPartition, int | None] | None = None,
) -> list[ResetRow]:
    """One row per partition of ``parts`` (each must have ``marks``).
    ``by_time``: for a datetime spec, the offset ListOffsets found for the
    time (missing, None or -1: no record at or after it)."""
    targets = by_time or {}
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
            new = clamp(int(spec.value), mark)  # type: ignore[arg-type]
        elif spec.kind == "shift":
            if current is None:
                raise KViewError(f"cannot shift {p.topic}:{p.partition}: group '{group}' has no committed offset there")
            new = clamp(current + int(spec.value), mark)  # type: ignore[arg-type]
        else:
            found = targets.get(tp, -1)
            # No record at or after the time: Kafka's tool falls back to the log end.
            new = found if found is not None and found >= 0 else mark.high
        rows.append(ResetRow(p.topic, p.partition, current, new, mark.low, mark.high))
    return rows
