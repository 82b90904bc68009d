"""Lag, rates, time behind and group status: pure functions over snapshots.

Nothing here talks to Kafka.  ``kview.core.groups`` feeds a ``LagTracker`` one
snapshot per refresh (committed offsets, log-end offsets, member count per
group, and the log-end offset of every partition involved), and reads back a
``GroupHealth`` per group.

Definitions
-----------
For a group at one snapshot, a partition's *lag* is ``log_end - committed``
(partitions without a committed offset have no lag), as
``kafka-consumer-groups`` prints it.  The group's *lag* is the sum over its
partitions of ``max(0, lag)``: a committed offset past the log end (negative
lag, kept as is in the per partition rows) does not hide another partition's
backlog.  The rules below judge the *readable lag*: the lag less the offsets
kview read and found a ``read_committed`` consumer will not receive
(transaction markers, aborted records, open transactions; see
``kview.core.groups.readable``).  Without transactions the two are equal.

``W`` is the status window in seconds (``LagTracker(window=...)``, default
300).  *The window* is the group's snapshots taken in the last ``W`` seconds,
oldest first.  *Idle* is the time since kview last saw any committed offset
of the group change; a group whose offsets never changed since kview first saw
it counts as idle since that first snapshot (kview only knows what it has
watched).  ``W`` should span several commit intervals of the consumers
(auto-commit defaults to 5 s), or healthy groups look idle between commits.

Status rules (the first that matches wins)
------------------------------------------
1. No members (state Empty or Dead, or nobody joined):
   **STOP** when lag > 0 and idle > W: nobody consumes, a backlog waits and
   nothing was committed for longer than the window.
   **EMPTY** otherwise (no members; either caught up or stopped less than
   ``W`` ago).
2. **STALL**: members present, lag > 0 and idle > W: consumers are connected
   but their committed offsets have not moved for longer than the window.
3. **WARN**: lag growing across the window: at least 3 snapshots, the lag of
   the newest greater than the lag of the oldest, and the least-squares slope
   of lag over time positive (offsets advance, or stood still for less than
   ``W``).  The slope keeps the saw-tooth of periodic commits from flapping.
4. **OK** otherwise: lag not growing (or zero), committed offsets advancing.

Independently of the status, **retention breach** is flagged when a committed
offset is below its partition's low watermark (log start offset): records the
group never read were deleted by retention or ``DeleteRecords``.

Rates and time behind
---------------------
*Consumption rate* (messages/s) is the sum over partitions of how far the
committed offset advanced between the newest snapshot and the baseline (the
newest snapshot at least ``rate_window`` seconds older, else the oldest one),
divided by the time between them; *production rate* is the same over log-end
offsets.  Offsets moving backwards (a reset) count as zero, not as negative
consumption.

*Time lag* of a partition is how long ago the next unread record (the one at
the committed offset) was written; 0 when nothing is unread, or when nothing
readable is left (only markers, aborted or still open transactional records).  It is *exact*
when read from that record's timestamp (``kview.core.groups`` does that in the
group detail) and *estimated* from the recorded timeline of log-end offsets:
the record at offset ``c`` was appended after the last snapshot whose log end
was ``<= c`` and no later than the first snapshot whose log end was ``> c``;
within that interval its time is interpolated as if the records arrived
evenly.  When ``c`` is older than the whole timeline, the estimate is the
age of the timeline's start and is marked ``at_least``.

*Time to catch up* is ``lag / (consumption rate - production rate)`` when the
group consumes faster than producers write, 0 when there is no lag, and None
("never" at the current rates) otherwise.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

TopicPartition = tuple[str, int]


class GroupStatus(StrEnum):
    """Health of a consumer group; see the module docstring for the rules."""

    OK = "OK"
    WARN = "WARN"
    STALL = "STALL"
    STOP = "STOP"
    EMPTY = "EMPTY"


@dataclass(frozen=True)
class TimeLag:
    """How far behind, in seconds, the next unread record is."""

    seconds: float
    exact: bool
    """True when read from the record's timestamp, False when estimated from the timeline."""
    at_least: bool = False
    """The true value is larger (the timeline is too short, or the record was deleted)."""

    @property
    def source(self) -> str:
        return "exact" if self.exact else "estimated"


@dataclass(frozen=True)
class GroupSample:
    """One snapshot of one group."""

    at: float
    committed: Mapping[TopicPartition, int]
    """Partitions with a committed offset only."""
    log_end: Mapping[TopicPartition, int]
    members: int
    lag: int = -1
    """Total lag (see the definitions); computed from the offsets when left at -1."""
    unreadable: int = 0
    """Part of ``lag`` a read_committed consumer will not receive (transaction
    markers, aborted records, open transactions), where kview read it."""
    settled: frozenset[TopicPartition] = frozenset()
    """Lagging partitions with nothing readable left: caught up for time lag."""

    @property
    def readable_lag(self) -> int:
        """The lag the status rules judge: ``lag`` less what nobody can read."""
        return max(0, self.lag - self.unreadable)

    def __post_init__(self) -> None:
        if self.lag < 0:
            object.__setattr__(self, "lag", total_lag(self.committed, self.log_end))


@dataclass(frozen=True)
class GroupHealth:
    """What the tracker computes for one group at one moment."""

    status: GroupStatus
    lag: int
    consumption_rate: float | None
    """Messages per second committed (None until two snapshots exist)."""
    production_rate: float | None
    """Messages per second written to the group's partitions."""
    catch_up_seconds: float | None
    """Seconds to reach the log end at current rates; None = never (not catching up)."""
    idle_seconds: float
    """Seconds since a committed offset of the group was last seen to change."""
    lag_history: tuple[tuple[float, int], ...]
    """(time, lag) of each snapshot in the history window, oldest first: the sparkline."""
    time_lag: TimeLag | None = None
    """The largest estimated time lag of the group's partitions."""
    time_lags: Mapping[TopicPartition, TimeLag] = field(default_factory=dict)
    """Estimated time lag per partition with a committed offset (empty unless
    ``evaluate(per_partition=True)``)."""


# -- pure functions --------------------------------------------------------------------


_CAUGHT_UP = TimeLag(0.0, exact=True)


def partition_lag(committed: int | None, log_end: int | None) -> int | None:
    """``log_end - committed``, kept negative if it is; None when either is unknown."""
    if committed is None or log_end is None:
        return None
    return log_end - committed


def total_lag(committed: Mapping[TopicPartition, int], log_end: Mapping[TopicPartition, int]) -> int:
    """Sum of ``max(0, lag)`` over partitions with both offsets known."""
    total = 0
    for tp, offset in committed.items():
        end = log_end.get(tp)
        if end is not None and end > offset:
            total += end - offset
    return total


def retention_breached(committed: int | None, log_start: int | None) -> bool:
    """True when the committed offset points below the partition's first record."""
    return committed is not None and log_start is not None and committed < log_start


def lag_growing(samples: Sequence[tuple[float, int]]) -> bool:
    """Rule 3's test on (time, lag) points, oldest first."""
    if len(samples) < 3:
        return False
    if samples[-1][1] <= samples[0][1]:
        return False
    return _slope(samples) > 0


def _slope(points: Sequence[tuple[float, int]]) -> float:
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var


def classify(
    window: Sequence[tuple[float, int]],
    *,
    members: int,
    idle_seconds: float,
    window_seconds: float,
) -> GroupStatus:
    """Apply the status rules.  ``window`` holds (time, lag) of the snapshots
    in the last ``window_seconds``, oldest first (at least the newest one)."""
    lag = window[-1][1] if window else 0
    stopped = lag > 0 and idle_seconds > window_seconds
    if members <= 0:
        return GroupStatus.STOP if stopped else GroupStatus.EMPTY
    if stopped:
        return GroupStatus.STALL
    if lag_growing(window):
        return GroupStatus.WARN
    return GroupStatus.OK


def rate(newer: Mapping[TopicPartition, int], older: Mapping[TopicPartition, int], seconds: float) -> float | None:
    """Messages/s from two offset maps: forward movement only, over shared partitions."""
    if seconds <= 0:
        return None
    moved = 0
    for tp, offset in newer.items():
        before = older.get(tp)
        if before is not None and offset > before:
            moved += offset - before
    return moved / seconds


def catch_up_seconds(lag: int, consumption: float | None, production: float | None) -> float | None:
    """Seconds until the lag reaches zero at the current rates; None for never/unknown."""
    if lag <= 0:
        return 0.0
    if consumption is None:
        return None
    net = consumption - (production or 0.0)
    if net <= 0:
        return None
    return lag / net


def exact_time_lag(timestamp_ms: int, now: float, *, at_least: bool = False) -> TimeLag:
    """Time lag from the unread record's timestamp (clock skew never makes it negative)."""
    return TimeLag(max(0.0, now - timestamp_ms / 1000.0), exact=True, at_least=at_least)


def max_time_lag(lags: Iterable[TimeLag | None]) -> TimeLag | None:
    """The largest of several time lags (exact only if that one is)."""
    best: TimeLag | None = None
    for lag in lags:
        if lag is None:
            continue
        # On a tie prefer the bound ("at least") over the plain value: it says more.
        if (
            best is None
            or lag.seconds > best.seconds
            or (lag.seconds == best.seconds and lag.at_least and not best.at_least)
        ):
            best = lag
    return best


@dataclass(frozen=True)
class Run:
    """Snapshots in a row that saw the same log-end offset."""

    first_seen: float
    last_seen: float
    end: int


class OffsetTimeline:
    """When a partition's log-end offset was seen at each value: a bounded
    list of runs, oldest first, from which the write time of any offset in
    range is estimated."""

    def __init__(self, max_runs: int = 1000) -> None:
        self.runs: deque[Run] = deque(maxlen=max_runs)
        self.last_observed = 0.0

    def observe(self, at: float, end: int) -> None:
        self.last_observed = at
        if self.runs:
            last = self.runs[-1]
            if at < last.last_seen:
                return  # out-of-order sample: ignore rather than corrupt the runs
            if end == last.end:
                self.runs[-1] = Run(last.first_seen, at, end)
                return
            if end < last.end:
                # The log end went backwards: the topic was deleted and made again
                # (or truncated by an unclean election); old times are meaningless.
                self.runs.clear()
        self.runs.append(Run(at, at, end))

    def write_time(self, offset: int) -> tuple[float, bool] | None:
        """Estimated time the record at ``offset`` was appended, and whether the
        record is older than that (``at_least``).  None when the offset is at or
        past the last seen log end (not written yet) or nothing was seen."""
        runs = self.runs
        if not runs or offset >= runs[-1].end:
            return None
        if offset < runs[0].end:
            return runs[0].first_seen, True
        # Binary search for the last run whose end is <= offset.
        lo, hi = 0, len(runs) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if runs[mid].end <= offset:
                lo = mid
            else:
                hi = mid - 1
        before, after = runs[lo], runs[lo + 1]
        appended = after.end - before.end
        position = offset - before.end + 1  # 1-based among the records appended in between
        span = after.first_seen - before.last_seen
        return before.last_seen + span * position / appended, False


def estimate_time_lag(
    timeline: OffsetTimeline | None, committed: int | None, log_end: int | None, now: float
) -> TimeLag | None:
    """Estimated time lag of one partition; None when unknown (no commit, no log
    end, or no timeline).  Caught up (``committed >= log_end``) is exactly 0."""
    if committed is None or log_end is None:
        return None
    if committed >= log_end:
        return _CAUGHT_UP
    found = _behind(timeline, committed, now)
    if found is None:
        return None
    return TimeLag(found[0], exact=False, at_least=found[1])


def _behind(timeline: OffsetTimeline | None, committed: int, now: float) -> tuple[float, bool] | None:
    """(seconds, at_least) behind for a partition known to lag, from its timeline."""
    if timeline is None:
        return None
    found = timeline.write_time(committed)
    if found is None:
        # The timeline has not seen this offset written yet (sampled before the
        # current log end): it was written after the last snapshot at the latest.
        if timeline.runs:
            return max(0.0, now - timeline.runs[-1].last_seen), False
        return None
    written, at_least = found
    return max(0.0, now - written), at_least


# -- the tracker -----------------------------------------------------------------------


class _GroupState:
    __slots__ = ("samples", "first_seen", "last_change")

    def __init__(self, at: float) -> None:
        self.samples: deque[GroupSample] = deque()
        self.first_seen = at
        self.last_change = at


class LagTracker:
    """Keeps a bounded window of snapshots per group and a log-end timeline per
    partition; computes status, rates, sparkline series and time-lag estimates.

    ``window``: the status window W in seconds; ``history``: how long the
    sparkline series reaches back; ``rate_window``: the span rates are measured
    over; ``max_runs``: bound on each partition's log-end timeline.
    """

    def __init__(
        self,
        window: float = 300.0,
        history: float = 600.0,
        rate_window: float = 30.0,
        max_runs: int = 1000,
    ) -> None:
        if window <= 0 or history <= 0 or rate_window <= 0:
            raise ValueError("window, history and rate_window must be positive")
        self.window = window
        self.history = history
        self.rate_window = rate_window
        self.max_runs = max_runs
        self._groups: dict[str, _GroupState] = {}
        self._timelines: dict[TopicPartition, OffsetTimeline] = {}

    @property
    def keep_seconds(self) -> float:
        return max(self.window, self.history, self.rate_window)

    # -- input --

    def observe_log_end(self, at: float, log_end: Mapping[TopicPartition, int]) -> None:
        """Record the log-end offsets seen at ``at`` (one call per refresh)."""
        for tp, end in log_end.items():
            timeline = self._timelines.get(tp)
            if timeline is None:
                timeline = self._timelines[tp] = OffsetTimeline(self.max_runs)
            timeline.observe(at, end)
        # Forget partitions not seen for long (deleted topics, groups gone).
        horizon = at - 2 * self.keep_seconds
        stale = [tp for tp, tl in self._timelines.items() if tl.last_observed < horizon]
        for tp in stale:
            del self._timelines[tp]

    def observe_group(
        self,
        group: str,
        at: float,
        committed: Mapping[TopicPartition, int],
        log_end: Mapping[TopicPartition, int],
        members: int,
        *,
        unreadable: int = 0,
        settled: Iterable[TopicPartition] = (),
    ) -> None:
        """Record one snapshot of a group (``committed``: partitions with a commit;
        ``unreadable`` and ``settled``: see GroupSample)."""
        state = self._groups.get(group)
        if state is None:
            state = self._groups[group] = _GroupState(at)
        sample = GroupSample(
            at, dict(committed), dict(log_end), members, unreadable=unreadable, settled=frozenset(settled)
        )
        if state.samples:
            previous = state.samples[-1]
            if at < previous.at:
                return
            if dict(previous.committed) != sample.committed:
                state.last_change = at
        state.samples.append(sample)
        horizon = at - self.keep_seconds
        # Keep one sample older than the horizon so rates and windows have a baseline.
        while len(state.samples) > 2 and state.samples[1].at < horizon:
            state.samples.popleft()

    def forget(self, group: str) -> None:
        self._groups.pop(group, None)

    def retain(self, groups: Iterable[str]) -> None:
        """Forget every group not in ``groups`` (deleted groups)."""
        keep = set(groups)
        for name in [g for g in self._groups if g not in keep]:
            del self._groups[name]

    # -- output --

    def timeline(self, tp: TopicPartition) -> OffsetTimeline | None:
        return self._timelines.get(tp)

    def samples(self, group: str) -> tuple[GroupSample, ...]:
        state = self._groups.get(group)
        return tuple(state.samples) if state else ()

    def estimate_time_lag(
        self, tp: TopicPartition, committed: int | None, log_end: int | None, now: float | None = None
    ) -> TimeLag | None:
        return estimate_time_lag(self._timelines.get(tp), committed, log_end, time.time() if now is None else now)

    def evaluate(self, group: str, now: float | None = None, *, per_partition: bool = True) -> GroupHealth | None:
        """Status, rates, sparkline and time-lag estimates of a group (None if
        never seen).  ``per_partition=False`` skips the per-partition time lags
        and keeps only the group's largest (cheaper for big lists)."""
        state = self._groups.get(group)
        if state is None or not state.samples:
            return None
        samples = state.samples
        latest = samples[-1]
        now = latest.at if now is None else now

        window = [(s.at, s.readable_lag) for s in samples if s.at >= now - self.window]
        if not window:
            window = [(latest.at, latest.readable_lag)]
        idle = max(0.0, now - state.last_change)
        status = classify(window, members=latest.members, idle_seconds=idle, window_seconds=self.window)

        baseline = samples[0]
        for s in reversed(samples):
            if s.at <= latest.at - self.rate_window:
                baseline = s
                break
        span = latest.at - baseline.at
        consumption = rate(latest.committed, baseline.committed, span) if baseline is not latest else None
        production = rate(latest.log_end, baseline.log_end, span) if baseline is not latest else None
        lag = latest.lag

        # Hot loop (a refresh may evaluate tens of thousands of partitions):
        # caught-up partitions skip the timeline, and TimeLag objects are only
        # made for the rows asked for and the group's worst.
        time_lags: dict[TopicPartition, TimeLag] = {}
        worst: tuple[float, bool] | None = None  # (seconds, at_least)
        worst_exact = False
        timelines, log_end, settled = self._timelines, latest.log_end, latest.settled
        for tp, offset in latest.committed.items():
            end = log_end.get(tp)
            if end is None:
                continue
            if offset >= end or tp in settled:
                if per_partition:
                    time_lags[tp] = _CAUGHT_UP
                if worst is None:
                    worst, worst_exact = (0.0, False), True
                continue
            found = _behind(timelines.get(tp), offset, now)
            if found is None:
                continue
            if per_partition:
                time_lags[tp] = TimeLag(found[0], exact=False, at_least=found[1])
            if worst is None or found[0] > worst[0] or (found[0] == worst[0] and (found[1] or worst_exact)):
                worst, worst_exact = found, False
        if worst is None:
            group_lag = None
        elif worst_exact:
            group_lag = _CAUGHT_UP
        else:
            group_lag = TimeLag(worst[0], exact=False, at_least=worst[1])

        history = tuple((s.at, s.lag) for s in samples if s.at >= now - self.history)
        return GroupHealth(
            status=status,
            lag=lag,
            consumption_rate=consumption,
            production_rate=production,
            catch_up_seconds=catch_up_seconds(lag, consumption, production),
            idle_seconds=idle,
            lag_history=history,
            time_lag=group_lag,
            time_lags=time_lags,
        )
