"""Scale benchmark for the topics pane: 5,000 topics / 20,000 partitions.

Starts a DevCluster, creates the topics in batched CreateTopics requests, then
measures and prints how long one full topics refresh takes in the backend
(Metadata + ListOffsets per leader + DescribeLogDirs per broker + building the
rows), cold and warm, and one brokers-pane refresh.

    python bench/topics_scale.py [--topics 5000] [--partitions 20000]
                                 [--brokers 1] [--bootstrap HOST:PORT] [--keep] [--ui-only]

``--bootstrap`` measures an existing cluster (topics named ``scale-*`` are
created only if missing); ``--keep`` leaves the cluster running afterwards
(Ctrl-C to stop) so UI measurements can be repeated against it.

Then the UI figures, from the real app (headless, in this process) against
the same cluster, next to their targets:

* first paint of the topics pane: from the app's start (``make_app``, run,
  ``2`` pressed at once) until a frame holds rows of the cluster's topics
  (target <= 2 s).  On a big cluster the pane first draws the topics from
  metadata and fills in messages and sizes when they arrive; the time until
  a frame shows them is printed too;
* a filter keystroke: from the key typed into the filter until a frame
  shows exactly the topics that match (checked against the cluster's own
  listing), over six quiet rounds and one with every key pressed during a
  refresh (target <= 100 ms; the worst key is what is compared).  Median,
  p99 and max are printed, the slowest keys, and for each key over the
  target whether a refresh was under way and how much of it Python's cycle
  collector took (``GcWatch``: its passes are timed too);
* full refreshes: the pane's own, with the CPU they took and the longest
  the event loop was held up meanwhile.

"A frame" is one the app composed for the terminal (``App._display``), with
the table's lines drawn into it: the pane's data being ready is not enough.
Each figure comes with a peer measured in the same run (the app's first
frame; a cursor key), and the load average is printed: on a busy machine
compare ratios, not seconds.  ``--ui-only`` (with ``--bootstrap``) repeats
just the UI figures against a cluster that has the topics.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import math
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka.protocol.admin import CreateTopicsRequest  # noqa: E402

from kview.core.brokers import BrokerService  # noqa: E402
from kview.core.cluster import ClusterClient  # noqa: E402
from kview.core.config import adhoc_profile  # noqa: E402
from kview.core.errors import KafkaRequestError  # noqa: E402
from kview.core.topics import TopicService  # noqa: E402
from kview.local.cluster import DevCluster  # noqa: E402

PREFIX = "scale-"
TOPICS_PER_REQUEST = 250
"""KRaft caps one request at 10,000 metadata records; 250 topics x 4
partitions is about 1,250, leaving room for bigger partition counts."""

FDS_PER_BROKER_BASE = 1_000
"""Open files a broker needs besides one per partition (jars, sockets, logs)."""


# -- UI figures ----------------------------------------------------------------------
# The real app, headless at 160x50, against the populated cluster.  Times are
# taken from what reaches the screen: ``Probe`` notes every frame the app
# composes (App._display, which a terminal would be sent) and every line of
# the topics table drawn into one, so "shown" means a frame holding the rows,
# not a pane's data being ready.

FIRST_PAINT_TARGET = 2.0
KEYSTROKE_TARGET = 0.100
FILTER_KEYS = ("4", "9", "9", "backspace", "backspace", "backspace")
"""Typed into the filter: narrowing to about 1,400, 140 and 10 topics, then
widening back to all."""
ROUNDS = 6
"""Quiet rounds of FILTER_KEYS (36 keys: enough for a p99 that is not just the max)."""


class Probe:
    """Timestamps of frames composed and of topics-table lines drawn."""

    def __init__(self, app) -> None:
        from kview.ui.widgets.fast_table import FastTable

        self.frames: list[float] = []
        self.lines: list[tuple[float, int, str, int, bool]] = []
        """(time, rows token, row key, cursor row, complete) of each row line
        drawn.  The token (``rows_token``) names the list of rows shown;
        complete: messages and sizes known (not an outline)."""
        display = app._display

        def probed_display(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None and not app._batch_count:
                self.frames.append(time.perf_counter())

        app._display = probed_display
        self._table_class = FastTable
        self._render_line = render_line = FastTable.render_line
        probe = self

        def probed_render_line(table, y):
            strip = render_line(table, y)
            if y > 0 and table.id == "topics-table":
                row = round(table.scroll_y) + y - 1
                if row < len(table._order):
                    snapshot = getattr(table.parent, "topics_snapshot", None)
                    complete = snapshot is not None and not getattr(snapshot, "outline", False)
                    probe.lines.append(
                        (time.perf_counter(), rows_token(table), table._order[row], table.cursor_row, complete)
                    )
            return strip

        FastTable.render_line = probed_render_line

    def close(self) -> None:
        self._table_class.render_line = self._render_line

    def painted(self, since: float, accept) -> float | None:
        """When the first frame holding a line drawn after ``since`` that
        ``accept(generation, key, cursor, complete)`` was composed; None: not yet."""
        # From ``since`` on only (both lists grow in time order): the bench
        # polls this every few ms on the app's own event loop, and a scan of
        # the whole run's lines would cost the app the very time measured.
        lines = self.lines
        start = bisect.bisect_left(lines, (since,))
        for index in range(start, len(lines)):
            at, *line = lines[index]
            if accept(*line):
                frame = bisect.bisect_left(self.frames, at)
                return self.frames[frame] if frame < len(self.frames) else None
        return None


def rows_token(table) -> int:
    """Names the rows a table shows: the table replaces its list of row keys
    on every change (a new list, alive while shown, so no other has its id)."""
    return id(table._order)


class GcWatch:
    """Python's cycle-collector passes while the UI is measured: how many of
    each generation and how long each stopped everything (a full pass over a
    big heap is what a key pressed at that moment waits for)."""

    def __init__(self) -> None:
        import gc

        self._gc = gc
        self.passes: list[tuple[float, int, float, float]] = []
        """(end time, generation, seconds, CPU seconds of the collecting thread):
        on a busy machine the wall time also holds the time the OS ran others."""
        self._started: float | None = None
        self._cpu = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started, self._cpu = time.perf_counter(), time.thread_time()
        elif self._started is not None:
            now = time.perf_counter()
            self.passes.append((now, info["generation"], now - self._started, time.thread_time() - self._cpu))
            self._started = None

    def summary(self, start: float, end: float) -> str:
        parts = []
        for generation in (0, 1, 2):
            took = [(d, cpu) for at, g, d, cpu in self.passes if g == generation and start <= at <= end]
            if took:
                parts.append(
                    f"gen{generation} {len(took)}x max {max(d for d, _ in took) * 1000:.0f} ms "
                    f"(CPU max {max(c for _, c in took) * 1000:.0f} ms)"
                )
        return ", ".join(parts) or "none"

    def within(self, start: float, end: float) -> float:
        """Seconds spent collecting (any generation) between start and end."""
        return sum(
            min(end, at) - max(start, at - took) for at, _g, took, _n in self.passes if at >= start and at - took <= end
        )

    def stop(self) -> None:
        if self._note in self._gc.callbacks:
            self._gc.callbacks.remove(self._note)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: below 100 values, p99 is the max (no
    interpolation that would hide the worst key)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def spread(values: list[float], target: float) -> str:
    """median, p99 and max of key times, and how many missed ``target``."""
    over = sum(1 for v in values if v > target)
    return (
        f"median {statistics.median(values) * 1000:.0f} ms, p99 {percentile(values, 0.99) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms of {len(values)} keys; {over} over {target * 1000:.0f} ms"
    )


class LoopLag:
    """How late a 5 ms sleep on the event loop wakes up: what a key pressed
    at that moment waits before kview even sees it."""

    def __init__(self) -> None:
        self.lags: list[tuple[float, float]] = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.lags.append((now, now - before - 0.005))

    def worst(self, start: float, end: float) -> float:
        return max((lag for at, lag in self.lags if start <= at <= end), default=0.0)

    def stop(self) -> None:
        self._task.cancel()


async def _until(condition, timeout: float, what: str, step: float = 0.002):
    deadline = time.perf_counter() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what} not seen within {timeout:.0f} s")
        await asyncio.sleep(step)


async def ui_measurements(bootstrap: str) -> list[tuple[str, str]]:
    """UI figures against ``bootstrap``, as (label, text) lines:

    * first paint: from the app's start (make_app, run) with ``2`` pressed at
      once, until a frame shows rows of the cluster's topics in the table;
    * filter keystroke: from a key typed into the filter (``/``) until a frame
      shows the table with exactly the topics that match (checked against the
      names the cluster lists), several rounds, some during a refresh;
    * full refresh: the pane's own refreshes (collect: network and decoding;
      show: rows to the table), and the worst event-loop stall meanwhile.

    Peers measured in the same run: the app's first frame (any pane), and a
    cursor key in the table (key to moved cursor on screen)."""
    from kview.app import make_app
    from kview.core.config import Config
    from kview.ui.panes.topics import TopicsPane, name_matches

    client = ClusterClient(adhoc_profile(bootstrap))
    try:
        metadata = await client.metadata()
    finally:
        await client.close()
    # What the table must show, from the cluster's own listing: user topics by name.
    user_topics = sorted(t.name for t in metadata.topics if not t.internal)
    names = set(user_topics)

    lines: list[tuple[str, str]] = []
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines.append(("load average before (1, 5, 15 min)", f"{load} on {os.cpu_count()} CPUs"))
    started = time.perf_counter()
    app = make_app(Config(), adhoc_profile(bootstrap))
    probe = Probe(app)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            lag = LoopLag()
            gc_watch = GcWatch()
            pressed = time.perf_counter()
            await pilot.press("2")
            pane = app.query_one(TopicsPane)
            table = pane.table
            painted = await _until(
                lambda: probe.painted(started, lambda g, key, c, full: key in names),
                120,
                "rows of the cluster on screen",
            )
            complete = await _until(
                lambda: probe.painted(started, lambda g, key, c, full: full and key in names),
                120,
                "rows with their messages and sizes on screen",
            )
            first_frame = probe.frames[0]
            lines.append(("first paint (app start -> topics rows)", _against(painted - started, FIRST_PAINT_TARGET)))
            lines.append(("  from pressing 2", f"{painted - pressed:.3f} s"))
            lines.append(
                (
                    "  rows with messages and sizes",
                    f"{complete - started:.3f} s from app start "
                    f"(the first refresh took {pane._refresh_seconds or 0:.3f} s)",
                )
            )
            lines.append(
                (
                    "  peer: app start -> first frame",
                    f"{first_frame - started:.3f} s; ratio {(painted - started) / (first_frame - started):.1f}",
                )
            )
            await _until(lambda: table.row_count == len(user_topics), 30, "every user topic in the table")

            # Peer: a key whose repaint costs nothing topic-specific.
            table.focus()
            await pilot.pause()
            cursor_times = []
            for _ in range(5):
                expected = table.cursor_row + 1
                at = time.perf_counter()
                await pilot.press("down")
                shown = await _until(
                    lambda at=at, expected=expected: probe.painted(at, lambda g, k, c, full: c == expected),
                    10,
                    "cursor moved",
                )
                cursor_times.append(shown - at)
                await asyncio.sleep(0.2)
            await pilot.press("home")

            # Filter keystrokes, by a real key through the filter line.
            await pilot.press("slash")
            await pilot.pause()
            typed = ""
            keys_started = time.perf_counter()
            windows: list[tuple[str, float, float]] = []
            cpu_quiet: list[float] = []
            cpu_during: list[float] = []
            """CPU seconds of this process per key (all threads; what the key
            would take on an idle machine, give or take the probe's polling)."""
            quiet: list[tuple[str, float]] = []
            during: list[tuple[str, float]] = []
            for round_ in range(ROUNDS + 1):
                in_refresh = round_ == ROUNDS  # the last round: each key during a refresh
                for key in FILTER_KEYS:
                    typed = typed[:-1] if key == "backspace" else typed + key
                    matches = name_matches(typed)
                    expected = [n for n in user_topics if matches(n)]
                    if not in_refresh:
                        # Quiet: not while the pane's own refresh runs (it
                        # polls every few seconds on its own).
                        await _until(lambda: not pane._polling, 60, "the refresh to end", step=0.01)
                    if in_refresh:
                        pane.poll_now()
                        await _until(lambda: pane._polling, 10, "a refresh under way", step=0.001)
                        await asyncio.sleep(0.05)  # well into it: answers arriving, being decoded
                    at, cpu = time.perf_counter(), time.process_time()
                    refreshing = pane._polling
                    await pilot.press(key)
                    await _until(
                        lambda typed=typed, expected=expected: pane.filter_text == typed and table.keys() == expected,
                        10,
                        f"the table filtered by {typed!r}",
                    )
                    token = rows_token(table)
                    shown = await _until(
                        lambda at=at, token=token: probe.painted(at, lambda g, k, c, full: g == token),
                        10,
                        f"a frame of the table filtered by {typed!r}",
                    )
                    refreshing = refreshing or pane._polling
                    (cpu_during if in_refresh else cpu_quiet).append(time.process_time() - cpu)
                    (during if in_refresh else quiet).append((f"{typed!r}", shown - at))
                    windows.append((f"{typed!r}" + ("*" if refreshing else ""), at, shown))
                    if in_refresh:
                        await _until(lambda: not pane._polling, 60, "the refresh to end", step=0.01)
                    await asyncio.sleep(0.3)
            keys_ended = time.perf_counter()
            await pilot.press("escape")
            keys = [t for _, t in quiet]
            in_refresh = [t for _, t in during]
            peer = statistics.median(cursor_times)
            lines.append(("filter keystroke (key -> filtered rows)", _against(max(keys), KEYSTROKE_TARGET, "max")))
            lines.append(("  quiet", spread(keys, KEYSTROKE_TARGET)))
            lines.append(
                (
                    "  CPU per key (process)",
                    f"median {statistics.median(cpu_quiet) * 1000:.0f} ms, "
                    f"max {max(cpu_quiet) * 1000:.0f} ms; during a refresh: median "
                    f"{statistics.median(cpu_during) * 1000:.0f} ms, max {max(cpu_during) * 1000:.0f} ms "
                    "(the refresh's own work included)",
                )
            )
            lines.append(
                (
                    "  slowest keys",
                    ", ".join(f"{k} {t * 1000:.0f} ms" for k, t in sorted(quiet, key=lambda q: -q[1])[:4]),
                )
            )
            lines.append(
                (
                    "  during a refresh",
                    _against(max(in_refresh), KEYSTROKE_TARGET, "max") + f"; {spread(in_refresh, KEYSTROKE_TARGET)}",
                )
            )
            lines.append(
                (
                    "  peer: cursor key -> moved cursor",
                    f"median {peer:.3f} s, max {max(cursor_times):.3f} s; "
                    f"filter/peer ratio {statistics.median(keys) / peer:.1f}",
                )
            )
            lines.append(("  collector passes meanwhile", gc_watch.summary(keys_started, keys_ended)))
            slow = [(k, a, b) for k, a, b in windows if b - a > KEYSTROKE_TARGET]
            if slow:
                lines.append(
                    (
                        "  keys over target (* refresh under way), of it collecting",
                        ", ".join(
                            f"{k} {(b - a) * 1000:.0f} ms: {gc_watch.within(a, b) * 1000:.0f} ms" for k, a, b in slow
                        ),
                    )
                )

            # Full refreshes: the pane's own, timed around collect() and show().
            timings: list[dict[str, float]] = []
            collect, show = pane.collect, pane.show

            async def timed_collect():
                record = {"start": time.perf_counter(), "cpu": time.process_time()}
                timings.append(record)
                data = await collect()
                record["collect"] = time.perf_counter() - record["start"]
                return data

            def timed_show(data):
                at = time.perf_counter()
                show(data)
                record = timings[-1]
                record["show"] = time.perf_counter() - at
                record["cpu"] = time.process_time() - record["cpu"]
                record["end"] = time.perf_counter()

            pane.collect, pane.show = timed_collect, timed_show
            for _ in range(3):
                pane.poll_now()
                await _until(lambda: timings and "end" in timings[-1], 120, "a full refresh", step=0.01)
                await asyncio.sleep(0.5)
            pane.collect, pane.show = collect, show
            for i, record in enumerate(timings, 1):
                lines.append(
                    (
                        f"full refresh {i}",
                        f"{record['collect'] + record['show']:.3f} s (collect {record['collect']:.3f}, "
                        f"show {record['show'] * 1000:.0f} ms; kview CPU {record['cpu']:.3f} s; "
                        f"worst loop stall {lag.worst(record['start'], record['end']) * 1000:.0f} ms)",
                    )
                )
            lines.append(("  collector passes meanwhile", gc_watch.summary(timings[0]["start"], timings[-1]["end"])))
            lines.append(("refresh interval at this size", f"{pane.refresh_interval:.1f} s"))
            lag.stop()
            gc_watch.stop()
    finally:
        probe.close()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines.append(("load average after (1, 5, 15 min)", f"{load} on {os.cpu_count()} CPUs"))
    return lines


def _against(seconds: float, target: float, what: str = "") -> str:
    verdict = "met" if seconds <= target else "MISSED"
    return f"{(what + ' ') if what else ''}{seconds:.3f} s  (target <= {target:.3f} s: {verdict})"


# -- backend figures ----------------------------------------------------------------


async def measure_backend(bootstrap: str) -> list[tuple[str, str]]:
    """Time topics refreshes (cold, warm, warm) and one brokers refresh."""
    client = ClusterClient(adhoc_profile(bootstrap))
    started = time.perf_counter()
    await client.start()
    # The machine's load says how far wall-clock figures are from an idle box.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        ("load average (1, 5, 15 min)", f"{load} on {os.cpu_count()} CPUs"),
        ("connect (bootstrap + api versions)", f"{time.perf_counter() - started:.3f} s"),
    ]
    try:
        service = TopicService(client)
        for label in ("topics refresh 1 (cold connections)", "topics refresh 2", "topics refresh 3"):
            started, cpu = time.perf_counter(), time.process_time()
            snapshot = await service.topics()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            steps = dict(snapshot.timings)
            build = steps["total"] - steps["metadata"] - steps["offsets+log dirs"]
            lines.append(
                (
                    label,
                    f"{elapsed:.3f} s  (kview CPU {cpu:.3f}; metadata {steps['metadata']:.3f}, offsets+log dirs "
                    f"{steps['offsets+log dirs']:.3f}, rows {build:.3f}; {len(snapshot.topics)} topics, "
                    f"{snapshot.partition_count} partitions"
                    + (f"; problems: {snapshot.problems}" if snapshot.problems else "")
                    + ")",
                )
            )
        rated = sum(1 for t in snapshot.topics if t.rate is not None)
        lines.append(("topics with a rate after refresh 3", str(rated)))
        started = time.perf_counter()
        brokers = await BrokerService(client).brokers()
        lines.append(
            (
                "brokers refresh",
                f"{time.perf_counter() - started:.3f} s  ({len(brokers.brokers)} brokers, "
                f"{sum(b.replicas for b in brokers.brokers)} replicas)",
            )
        )
    finally:
        await client.close()
    return lines


# -- populating the cluster -----------------------------------------------------------


async def populate(bootstrap: str, topics: int, partitions: int) -> float:
    """Create ``scale-NNNNN`` topics (RF 1) in batched CreateTopics requests and
    wait until every partition has a leader.  Returns the seconds it took."""
    client = ClusterClient(adhoc_profile(bootstrap))
    await client.start()
    started = time.perf_counter()
    try:
        # Spread the partitions evenly: the first (partitions % topics) topics get one more.
        base, extra = divmod(partitions, topics)
        specs = [(f"{PREFIX}{i:05d}", base + (1 if i < extra else 0), 1, [], []) for i in range(topics)]
        existing = {t.name for t in (await client.metadata()).topics}
        pending = [s for s in specs if s[0] not in existing]
        for start in range(0, len(pending), TOPICS_PER_REQUEST):
            batch = pending[start : start + TOPICS_PER_REQUEST]
            response = await client.send_controller(CreateTopicsRequest(batch, 120_000, False), "create topics")
            for name, code, *message in response.topic_errors:
                if code and code != 36:  # 36: already exists (a rerun)
                    raise KafkaRequestError(code, message[0] if message else None, subject=name)
            print(f"  created {min(start + TOPICS_PER_REQUEST, len(pending))}/{len(pending)} topics", flush=True)
        # Settled means every broker has caught up, not just the one that
        # answers Metadata: all partitions have leaders that answer ListOffsets
        # and a size in DescribeLogDirs.
        service = TopicService(client)
        while True:
            snapshot = await service.topics()
            ours = [t for t in snapshot.topics if t.name.startswith(PREFIX)]
            settled = sum(t.partitions for t in ours if t.size is not None and not t.offline)
            if len(ours) == topics and settled == partitions and not snapshot.problems:
                break
            print(
                f"  waiting for the brokers to settle: {len(ours)} topics, {settled}/{partitions} "
                f"partitions ready{'; ' + '; '.join(snapshot.problems) if snapshot.problems else ''}",
                flush=True,
            )
            await asyncio.sleep(3)
    finally:
        await client.close()
    return time.perf_counter() - started


def brokers_needed(requested: int, partitions: int) -> tuple[int, int]:
    """Brokers to start so each stays under this process's open-file limit
    (brokers inherit it, and Kafka keeps each partition's log file open)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    limit = hard if hard != resource.RLIM_INFINITY else 1 << 30
    brokers = requested
    while partitions / brokers + FDS_PER_BROKER_BASE > limit:
        brokers += 1
    return brokers, limit


async def run(args: argparse.Namespace) -> None:
    print(f"kview topics scale bench: {args.topics} topics / {args.partitions} partitions")
    cluster = None
    bootstrap = args.bootstrap
    if bootstrap is None:
        brokers, limit = brokers_needed(args.brokers, args.partitions)
        if brokers != args.brokers:
            print(
                f"NOTE: {args.brokers} broker(s) would need more than {limit} open files each "
                f"(the hard limit here; a broker keeps one per partition): using {brokers} brokers."
            )
        print(f"starting a {brokers}-broker DevCluster ...", flush=True)
        started = time.perf_counter()
        cluster = DevCluster(brokers, heap=args.heap, log_level="WARN")
        cluster.start(timeout=180)
        bootstrap = cluster.bootstrap
        print(f"  up in {time.perf_counter() - started:.1f} s at {bootstrap}")
    try:
        if not args.ui_only:
            print("creating topics ...", flush=True)
            took = await populate(bootstrap, args.topics, args.partitions)
            print(f"  done in {took:.1f} s")
            print("\nbackend figures:")
            for label, value in await measure_backend(bootstrap):
                print(f"  {label:<40} {value}")
        print("\nUI figures (the real app, headless, 160x50):")
        for label, value in await ui_measurements(bootstrap):
            print(f"  {label:<40} {value}", flush=True)
        if args.keep and cluster is not None:
            print(f"\ncluster kept running at {bootstrap}; Ctrl-C to stop", flush=True)
            while True:
                await asyncio.sleep(3600)
    finally:
        if cluster is not None:
            cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=5_000)
    parser.add_argument("--partitions", type=int, default=20_000)
    parser.add_argument("--brokers", type=int, default=1)
    parser.add_argument("--heap", default="1g", help="broker heap (default 1g)")
    parser.add_argument("--bootstrap", help="measure an existing cluster instead of starting one")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running afterwards")
    parser.add_argument(
        "--ui-only", action="store_true", help="with --bootstrap: only the UI figures (the topics already exist)"
    )
    args = parser.parse_args(argv)
    if args.partitions < args.topics:
        parser.error("every topic needs at least one partition")
    if args.ui_only and not args.bootstrap:
        parser.error("--ui-only needs --bootstrap (a cluster that has the topics)")
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
