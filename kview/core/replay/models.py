"""What a copy is asked (``CopySpec``), what it reports while it runs
(``CopyProgress``) and what it says at the end (``CopyResult``): per source
partition the window, the records scanned and matched, and every matched
record's fate as runs of offsets (sent, failed with the reason, not sent,
unconfirmed), so nothing is lost or duplicated silently."""

from __future__ import annotations

from dataclasses import dataclass, field

from kview.core.errors import KViewError
from kview.core.find.window import Bound
from kview.core.replay.window import PartitionWindow

PARTITIONINGS = ("keep", "key", "chosen")
"""keep: the source record's partition number; key: the producer's default
partitioner (murmur2 of the key; no key: any partition); chosen: one partition."""

REDRIVE_HEADER = "__connect.errors.topic"
"""The header Kafka Connect's dead-letter queue names the original topic with."""

SENT, FAILED, UNCONFIRMED, NO_TARGET, MATCHED = "sent", "failed", "unconfirmed", "no target", "matched"
FATES = (SENT, FAILED, UNCONFIRMED, NO_TARGET, MATCHED)
"""sent: acknowledged by the target; failed: refused (reason given);
unconfirmed: handed over but no answer within the bound (it may or may not
be there); no target: a redrive record without the header (left where it
is); matched: a dry run's match (nothing sent).  Offsets the copy did not
read (it stopped) are each partition's [read_to, end): never sent."""


@dataclass(frozen=True)
class CopySpec:
    """Copy the records of ``source`` matching ``filter`` in [start, end) to
    ``target``; or, with ``redrive_header``, each to the topic its header names.

    ``keep_keys`` / ``keep_headers`` / ``keep_timestamps``: False sends no key,
    no headers, and lets the producer stamp the time.  ``rate``: records per
    second at most (None: as fast as acknowledgements come)."""

    source: str
    target: str | None = None
    start: Bound = Bound("earliest")
    end: Bound = Bound("latest")
    partitions: tuple[int, ...] | None = None
    filter: str = ""
    keep_keys: bool = True
    keep_headers: bool = True
    keep_timestamps: bool = True
    partitioning: str = "keep"
    target_partition: int | None = None
    rate: float | None = None
    redrive_header: str | None = None

    def __post_init__(self) -> None:
        if not self.source:
            raise KViewError("name the topic to copy from")
        if self.redrive_header is None and not self.target:
            raise KViewError("name the topic to copy to")
        if self.redrive_header is not None and not self.redrive_header.strip():
            raise KViewError("name the header that holds the original topic")
        if self.partitioning not in PARTITIONINGS:
            raise KViewError(f"partitioning '{self.partitioning}' is not one of {', '.join(PARTITIONINGS)}")
        if self.partitioning == "chosen" and (self.target_partition is None or self.target_partition < 0):
            raise KViewError("choose the target partition")
        if self.rate is not None and not self.rate > 0:
            raise KViewError("the rate must be more than 0 records per second")

    @property
    def redrive(self) -> bool:
        return self.redrive_header is not None

    def describe(self) -> str:
        where = f"to the topic in header '{self.redrive_header}'" if self.redrive else f"to '{self.target}'"
        return f"'{self.source}' {where}, {self.start.describe()} .. {self.end.describe()}"


@dataclass(frozen=True)
class OffsetRun:
    """Matched records from ``first`` to ``last`` (source offsets, inclusive)
    that share one fate; ``count`` of them (the filter may skip offsets between)."""

    first: int
    last: int
    count: int
    fate: str
    reason: str = ""

    def text(self) -> str:
        span = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{span} ({self.count} {self.fate}{': ' + self.reason if self.reason else ''})"


@dataclass(frozen=True)
class PartitionAccount:
    """What happened in one source partition."""

    window: PartitionWindow
    scanned: int
    matched: int
    read_to: int
    """The next offset the copy would have read: [read_to, window.end) was not
    read (the copy stopped), equal to window.end when the window was read through."""
    runs: tuple[OffsetRun, ...] = ()

    @property
    def partition(self) -> int:
        return self.window.partition

    def count(self, fate: str) -> int:
        return sum(r.count for r in self.runs if r.fate == fate)

    @property
    def complete(self) -> bool:
        return self.read_to >= self.window.end


@dataclass(frozen=True)
class CopyProgress:
    scanned: int
    total: int
    """Offsets in the window (an upper bound on what is scanned: markers and
    aborted records take offsets too)."""
    matched: int
    sent: int
    failed: int
    elapsed: float

    @property
    def rate(self) -> float:
        return self.scanned / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class CopyResult:
    spec: CopySpec
    dry_run: bool
    partitions: tuple[PartitionAccount, ...]
    targets: dict[str, int] = field(default_factory=dict)
    """Matched records per target topic (a redrive may have several)."""
    missing_targets: tuple[str, ...] = ()
    """Target topics that do not exist on the target cluster."""
    elapsed: float = 0.0
    stopped: str | None = None
    """Why the copy stopped before the end of its window (None: it did not)."""

    @property
    def scanned(self) -> int:
        return sum(p.scanned for p in self.partitions)

    @property
    def matched(self) -> int:
        return sum(p.matched for p in self.partitions)

    def count(self, fate: str) -> int:
        return sum(p.count(fate) for p in self.partitions)

    @property
    def window_size(self) -> int:
        return sum(p.window.size for p in self.partitions)

    @property
    def ok(self) -> bool:
        """Every record of the window was read and every match was sent (a dry
        run: read through, and every target topic exists)."""
        if self.stopped or self.missing_targets or not all(p.complete for p in self.partitions):
            return False
        return self.count(FAILED) == 0 and self.count(UNCONFIRMED) == 0


def runs_of(offsets: list[tuple[int, str, str]]) -> tuple[OffsetRun, ...]:
    """(offset, fate, reason) in offset order -> runs of equal fate and reason."""
    runs: list[OffsetRun] = []
    for offset, fate, reason in offsets:
        if runs and runs[-1].fate == fate and runs[-1].reason == reason:
            last = runs[-1]
            runs[-1] = OffsetRun(last.first, offset, last.count + 1, fate, reason)
        else:
            runs.append(OffsetRun(offset, offset, 1, fate, reason))
    return tuple(runs)
