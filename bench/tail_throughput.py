"""How fast kview's tail reads, against kcat and a raw aiokafka loop.

Fills a topic with JSON records of about 200 bytes (Kafka's own
kafka-producer-perf-test with a payload file), then reads the whole topic from
the beginning with:

* ``kcat -C -b ... -t ... -e -q`` to /dev/null (librdkafka, C: the ceiling);
* a raw aiokafka ``getmany()`` loop that only counts records;
* kview's headless tail pipeline: the Tail consumer, the Ring, and a filter
  that matches some records (substring ``FAILED``), and again with a JSON
  predicate (``.status == "FAILED"``) for information;
* the real app (make_app, headless through App.run_test) tailing the topic
  with the view following, while a user-like stream of keys is sent to it
  (scrolling, paging, G, the detail view, a filter typed and cleared, search,
  pause/resume): one key every KEY_INTERVAL seconds, never waiting for the app
  to be idle.  Each key's handling time runs from the key event's creation to
  the end of its last dispatch (the focused widget, the widgets it bubbles
  through, the bindings and the action they run), and "on screen" to the
  first frame composed after that.  Work a key only schedules (a pushed
  screen's compose and mount, a focus change's restyle) runs after its last
  dispatch: it shows in "on screen" and in the wait of the keys behind it,
  and the CPU the app's thread spent while each key waited is printed too.
  The time starts when the event is created on the key thread, so a key
  waiting behind a batch or a frame counts that wait.  Headless Textual skips building the
  terminal's escape sequences; the bench builds them for every frame (and
  throws them away) so the app pays what it would in a terminal.

The raw loop and the tail use the same consumer settings, kview's defaults
(printed: max_partition_fetch_bytes, fetch_max_bytes, fetch_max_wait_ms,
max_poll_records), so the ratios measure what kview costs on top of aiokafka.
Every reader runs in its own process, so each figure has its own peak RSS and
CPU time; rounds alternate readers so all of them see the same machine load,
and the best round of each is compared.  Two ratios are printed: records per
second of wall-clock time, and records per CPU-second of the reader's process.
On a machine shared with other work the wall clock swings with the load (the
load average is printed with each round); the CPU figure does not.  For the
kview readers the resident memory (not the peak: the current RSS) is sampled
when the ring first fills and after every batch from then on: "at full",
the highest after that and at the end show whether memory stays flat.

    python bench/tail_throughput.py                    # own 1-broker cluster, 2,000,000 records
    python bench/tail_throughput.py --records 200000 --rounds 1
    python bench/tail_throughput.py --bootstrap HOST:PORT --topic T --reuse
    python bench/tail_throughput.py ... --profile /tmp/prof   # cProfile each reader to /tmp/prof-NAME.pstats
    python bench/tail_throughput.py --readers app --memory-detail   # what holds the memory, at each quarter

Targets: headless tail >= 0.70 of raw aiokafka; with the app >= 0.50; key
press p99 <= 100 ms; RSS <= 400 MB and flat once the ring is full (no growth
over the second half of the run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from kview.core.cluster import connection_kwargs
from kview.core.config import adhoc_profile
from kview.core.tail import DEFAULT_MAX_RECORDS, StartPosition, Tail
from kview.core.untrack import GC_WHILE_READING  # noqa: E402
from kview.local.cluster import DevCluster

SUBSTRING_FILTER = "FAILED"
JSON_FILTER = '.status == "FAILED"'
READERS = ("kcat", "raw", "kview", "kview-json", "app")
LABELS = {
    "kcat": "kcat -C -e -q > /dev/null",
    "raw": "raw aiokafka getmany() loop",
    "kview": f"kview tail + ring + filter {SUBSTRING_FILTER!r}",
    "kview-json": f"kview tail + ring + filter {JSON_FILTER!r}",
    "app": "kview app, following, keys pressed",
}
KEY_INTERVAL = 0.2
"""Seconds between two keys sent to the app (--key-interval): five keys a
second for the whole run, a user busy with the view the whole time."""
KEYS = (
    "up",
    "up",
    "pageup",
    "pagedown",
    "down",
    "G",
    "enter",
    "pagedown",
    "escape",  # the detail view, opened and closed
    "slash",
    *"FAILED",
    "enter",  # a filter typed letter by letter
    "n",
    "n",
    "N",
    "G",  # search the matches
    "space",
    "down",
    "space",  # pause and resume
    "slash",
    "escape",  # the filter cleared
    "k",
    "j",
    "end",
)
TARGET_HEADLESS = 0.70
TARGET_APP = 0.50
TARGET_KEY_P99_MS = 100.0
TARGET_RSS_MB = 400.0
FLAT_TOLERANCE_MIB = 16.0
"""Growth after the ring is full that still counts as flat (allocator noise)."""


def rss_now_mib() -> float:
    """Resident memory of this process now (Linux), in MiB."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def malloc_figures() -> dict:
    """Where the process's heap is, as the allocators see it (MiB): pymalloc's
    arenas (objects up to 512 bytes) and the blocks alive in them, and glibc
    malloc's (bigger objects, list and dict storage) in use and free.  RSS
    well above what is in use means memory held by an allocator, not by
    objects: fragmentation, not a leak."""
    figures: dict = {"rss": rss_now_mib(), "py_blocks": sys.getallocatedblocks()}
    # sys._debugmallocstats() writes to the C-level stderr: read it back from a file.
    with tempfile.TemporaryFile(mode="w+") as out:
        saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()
    wanted = {
        "# arenas allocated current": "arenas",
        "# bytes in allocated blocks": "py_used",
        "# bytes in available blocks": "py_free_blocks",
        "# arenas highwater mark": "arenas_high",
    }
    for line in text.splitlines():
        name, _, value = line.partition("=")
        key = wanted.get(name.strip())
        if key:
            number = int(value.strip().replace(",", ""))
            figures[key] = number / (1 << 20) if key.startswith("py_") else number
        elif "unused pools" in name:
            figures["py_free_pools"] = int(value.strip().replace(",", "")) / (1 << 20)
    try:
        import ctypes

        class MallInfo2(ctypes.Structure):
            _fields_ = [
                (f, ctypes.c_size_t)
                for f in (
                    "arena",
                    "ordblks",
                    "smblks",
                    "hblks",
                    "hblkhd",
                    "usmblks",
                    "fsmblks",
                    "uordblks",
                    "fordblks",
                    "keepcost",
                )
            ]

        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
        figures["c_used"] = (info.uordblks + info.hblkhd) / (1 << 20)
        figures["c_free"] = info.fordblks / (1 << 20)
    except (OSError, AttributeError):
        pass
    return figures


def object_counts() -> dict[str, int]:
    """Objects the cycle collector tracks, by type (the frozen ones too)."""
    import gc
    from collections import Counter

    counts = Counter(type(o).__qualname__ for o in gc.get_objects())
    return dict(counts)


class MemoryWatch:
    """The current RSS when the ring first fills, the highest after that
    (sampled every SAMPLE_INTERVAL), at the end, and at each quarter of the
    records: a leak keeps growing through
    the second half of the run, while caches warming up make one step and
    stay.  Records are counted as the tail reads them (``Tail.seen``): a
    paused view holds the ring, and the records read meanwhile are skipped,
    not kept."""

    SAMPLE_INTERVAL = 0.05

    def __init__(self, tail: Tail, records: int, detail: bool = False) -> None:
        self.tail = tail
        self.ring = tail.ring
        self.records = records
        self.detail = detail
        """Also the allocators' figures and the objects by type, at full and
        at each quarter (--memory-detail: slow, for finding what grows)."""
        self.details: list[dict] = []
        self.counts: list[dict[str, int]] = []
        self.at_full: float | None = None
        self.full_after: int | None = None
        self.max_after_full = 0.0
        self.quarters: list[float] = []
        self.next_sample = 0.0

    def sample(self) -> None:
        if self.at_full is None:
            if self.ring.dropped == 0 and self.ring.kept < self.ring.capacity:
                return
            self.at_full = rss_now_mib()
            self.full_after = self.tail.seen
            self._note_detail("full")
        # Reading /proc costs the reader's loop ~0.1-0.5 ms: at most every
        # SAMPLE_INTERVAL (and at each quarter), not after every batch.
        quarter_due = len(self.quarters) < 3 and self.tail.seen >= self.records * (len(self.quarters) + 1) / 4
        now = time.monotonic()
        if now < self.next_sample and not quarter_due:
            return
        self.next_sample = now + self.SAMPLE_INTERVAL
        rss = rss_now_mib()
        self.max_after_full = max(self.max_after_full, rss)
        while len(self.quarters) < 3 and self.tail.seen >= self.records * (len(self.quarters) + 1) / 4:
            self.quarters.append(rss)
            self._note_detail(f"{len(self.quarters)}/4")

    def _note_detail(self, when: str) -> None:
        if not self.detail:
            return
        self.details.append({"when": when, "seen": self.tail.seen, **malloc_figures()})
        counts = object_counts()
        if self.counts:
            before = self.counts[-1]
            grew = sorted(((n - before.get(name, 0), name) for name, n in counts.items()), reverse=True)[:8]
            self.details[-1]["grew"] = [(name, d) for d, name in grew if d > 0]
            self.details[-1]["objects"] = sum(counts.values())
        self.counts.append(counts)

    def result(self) -> dict:
        end = rss_now_mib()
        self._note_detail("end")
        if self.details:
            return {"memory_detail": self.details, **self._result(end)}
        return self._result(end)

    def _result(self, end: float) -> dict:
        return {
            "rss_at_full_mib": self.at_full,
            "rss_max_after_full_mib": max(self.max_after_full, end),
            "rss_end_mib": end,
            "full_after": self.full_after,
            "rss_quarters_mib": [*self.quarters, end],
        }


# -- filling the topic --------------------------------------------------------------


def write_payloads(path: Path, lines: int = 2000, seed: int = 7) -> float:
    """JSON payloads of about 200 bytes, a quarter of them FAILED; returns the mean size."""
    rnd = random.Random(seed)
    sizes = []
    with path.open("w") as out:
        for i in range(lines):
            doc = {
                "id": i,
                "user": {"id": rnd.randint(1, 500), "name": f"user{rnd.randint(1, 9999):04d}"},
                "status": rnd.choice(["OK", "OK", "FAILED", "TIMEOUT"]),
                "amount": round(rnd.random() * 500, 2),
                "at": "2026-01-01T00:00:00Z",
                "note": "lorem ipsum dolor sit amet " * 2 + "x" * rnd.randint(11, 51),
            }
            text = json.dumps(doc, separators=(",", ":"))
            sizes.append(len(text))
            out.write(text + "\n")
    return sum(sizes) / len(sizes)


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> list[int]:
    # A fresh consumer's metadata cache does not know the topic yet: ask (as Tail does).
    cluster = await consumer._client.fetch_all_metadata()
    return sorted(cluster.partitions_for_topic(topic) or ())


async def stop_consumer(consumer: AIOKafkaConsumer) -> None:
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        pass  # aiokafka re-raises the cancel of an internal task that never ran


def topic_size(bootstrap: str, topic: str) -> int:
    async def count() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            parts = await partitions_of(consumer, topic)
            if not parts:
                return 0
            tps = [TopicPartition(topic, p) for p in parts]
            low = await consumer.beginning_offsets(tps)
            high = await consumer.end_offsets(tps)
            return sum(high[tp] - low[tp] for tp in tps)
        finally:
            await stop_consumer(consumer)

    return asyncio.run(count())


def fill(tools: DevCluster, bootstrap: str, topic: str, records: int, partitions: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        payload = Path(tmp) / "payload.txt"
        mean = write_payloads(payload)
        fill_from_payloads(tools, bootstrap, topic, records, partitions, payload, f"JSON records of ~{mean:.0f} bytes")


def fill_from_payloads(
    tools: DevCluster, bootstrap: str, topic: str, records: int, partitions: int, payload: Path, what: str
) -> None:
    """A new topic of ``partitions`` filled with ``records`` lines of the
    ``payload`` file by kafka-producer-perf-test (the fastest writer on hand);
    checked to hold exactly that many."""
    tools.run_tool(
        "kafka-topics",
        "--bootstrap-server",
        bootstrap,
        "--create",
        "--topic",
        topic,
        "--partitions",
        str(partitions),
        "--replication-factor",
        "1",
    )
    print(f"filling {topic}: {records:,} {what} (kafka-producer-perf-test) ...", flush=True)
    started = time.monotonic()
    result = tools.run_tool(
        "kafka-producer-perf-test",
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--payload-file",
        str(payload),
        "--throughput",
        "-1",
        "--command-property",
        "acks=1",
        "linger.ms=50",
        "batch.size=524288",
        "buffer.memory=134217728",
        "compression.type=none",
        timeout=1800,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    print(f"  {lines[-1] if lines else 'done'} ({time.monotonic() - started:.0f} s)", flush=True)
    have = topic_size(bootstrap, topic)
    if have != records:
        raise SystemExit(f"topic {topic} holds {have:,} records, expected {records:,}")


# -- the readers (each runs in a child process: --reader NAME) -------------------------


def tail_settings() -> dict:
    """The consumer settings kview's Tail uses, for the raw loop to share."""
    probe = Tail(adhoc_profile("127.0.0.1:1"), "probe")
    kwargs = probe._consumer_kwargs()
    for key in list(kwargs):
        if key in ("bootstrap_servers", "client_id", "request_timeout_ms", "security_protocol"):
            kwargs.pop(key)
    return kwargs


def describe_settings() -> str:
    settings = tail_settings()
    shown = ("max_partition_fetch_bytes", "fetch_max_bytes", "fetch_max_wait_ms", "max_poll_records")
    return ", ".join(f"{key}={settings[key]:,}" for key in shown if key in settings)


async def read_raw(bootstrap: str, topic: str, records: int) -> dict:
    profile = adhoc_profile(bootstrap)
    started = time.monotonic()
    consumer = AIOKafkaConsumer(**connection_kwargs(profile), **tail_settings())
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await partitions_of(consumer, topic)]
        consumer.assign(tps)
        for tp, offset in (await consumer.beginning_offsets(tps)).items():
            consumer.seek(tp, offset)
        seen = 0
        getmany = consumer.getmany
        while seen < records:
            data = await getmany(timeout_ms=200, max_records=DEFAULT_MAX_RECORDS)
            for messages in data.values():
                seen += len(messages)
        return {"records": seen, "seconds": time.monotonic() - started}
    finally:
        await stop_consumer(consumer)


async def read_kview(bootstrap: str, topic: str, records: int, expression: str, detail: bool = False) -> dict:
    done = asyncio.Event()
    started = time.monotonic()
    # What ``kview tail`` does around its Tail (the app's tail pane does the same).
    GC_WHILE_READING.acquire()
    tail = Tail(adhoc_profile(bootstrap), topic, start=StartPosition.earliest(), filter=expression)
    watch = MemoryWatch(tail, records, detail)
    finished: list[float] = []

    def on_batch(batch) -> None:
        watch.sample()
        if not finished and tail.seen >= records:
            finished.append(time.monotonic())
            done.set()

    tail.on_batch = on_batch
    await tail.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=3600)
        seconds = finished[0] - started
        stats = tail.stats()
        return {
            "records": stats.seen,
            "seconds": seconds,
            "matched_in_ring": stats.matched,
            "kept": stats.kept,
            "status": tail.status.message,
            **watch.result(),
        }
    finally:
        await tail.stop()


# -- the real app, with keys pressed ---------------------------------------------------------


def key_event(key: str) -> Any:
    """The events.Key Textual's own Pilot would send for ``key``."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


class KeyProbe:
    """Sends keys to a running app and times their handling.

    Keys are sent from a thread of their own, as a terminal driver's input
    thread does: a key arrives on time even when the app's event loop is
    busy, and the wait for the loop counts in its handling time.

    A key is handled when the last dispatch of its event ends: Textual passes
    the same event object from the app to the focused widget and up through
    its parents to the app's bindings, which run the action; every step is one
    MessagePump._dispatch_message, wrapped here (bench only) to note when it
    ended.  Frames are noted by wrapping App._display, which also builds the
    terminal output a real driver would write (headless Textual skips that)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sent: dict[int, tuple[str, Any]] = {}
        self.handled: dict[int, float] = {}
        self.frames: list[float] = []
        self.cpu_at_press: dict[int, float] = {}
        self.cpu_at_handled: dict[int, float] = {}
        # CPU time of the app's (main) thread, readable from the key thread.
        self.app_cpu_clock = time.pthread_getcpuclockid(threading.main_thread().ident)
        self.stopped = threading.Event()

    def install(self) -> None:
        from textual._compositor import CompositorUpdate
        from textual.message_pump import MessagePump

        sent, handled, cpu_at_handled = self.sent, self.handled, self.cpu_at_handled
        dispatch = MessagePump._dispatch_message

        async def timed_dispatch(pump: Any, message: Any) -> None:
            try:
                await dispatch(pump, message)
            finally:
                if id(message) in sent:
                    handled[id(message)] = time.monotonic()
                    cpu_at_handled[id(message)] = time.clock_gettime(self.app_cpu_clock)

        MessagePump._dispatch_message = timed_dispatch  # type: ignore[method-assign]

        app, frames = self.app, self.frames
        display = app._display

        def display_like_a_terminal(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                if isinstance(renderable, CompositorUpdate):
                    renderable.render_segments(app.console)  # what the terminal driver would write
                frames.append(time.monotonic())
            display(screen, renderable)

        app._display = display_like_a_terminal

    def press(self, key: str) -> None:
        """Send ``key`` ("enter", or "enter#6": a name and its place in KEYS)."""
        event = key_event(key.rpartition("#")[0] or key)
        self.sent[id(event)] = (key, event)  # the event is kept: its id stays unique
        self.cpu_at_press[id(event)] = time.clock_gettime(self.app_cpu_clock)
        self.app._driver.send_message(event)  # thread-safe: run_coroutine_threadsafe

    def press_every(self, keys: Any, interval: float) -> threading.Thread:
        """Press ``keys`` (an iterator) one every ``interval`` seconds until stop()."""

        def run() -> None:
            next_at = time.monotonic()
            while not self.stopped.is_set():
                self.press(next(keys))
                next_at += interval
                self.stopped.wait(max(0.0, next_at - time.monotonic()))

        thread = threading.Thread(target=run, name="bench-keys", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopped.set()

    def timings(self) -> dict:
        """Handling and on-screen times in ms, and keys never handled.  Also
        the CPU time the app's thread used while each key waited: when the
        wall time is much longer, the machine (not the app) kept it waiting."""
        handled_ms, screen_ms, cpu_ms, lost = [], [], [], 0
        slowest: list[tuple[float, str]] = []
        slowest_on_screen: list[tuple[float, str]] = []
        for ident, (key, event) in self.sent.items():
            end = self.handled.get(ident)
            if end is None:
                lost += 1
                continue
            handled_ms.append((end - event.time) * 1000)
            cpu_ms.append((self.cpu_at_handled[ident] - self.cpu_at_press[ident]) * 1000)
            slowest.append((handled_ms[-1], key))
            i = bisect_right(self.frames, end)
            if i < len(self.frames):
                screen_ms.append((self.frames[i] - event.time) * 1000)
                slowest_on_screen.append((screen_ms[-1], key))
        slowest.sort(reverse=True)
        slowest_on_screen.sort(reverse=True)
        return {
            "keys": len(self.sent),
            "keys_lost": lost,
            "key_ms": handled_ms,
            "screen_ms": screen_ms,
            "key_cpu_ms": cpu_ms,
            "slowest_keys": slowest[:5],
            "slowest_on_screen": slowest_on_screen[:5],
            "frames": len(self.frames),
        }


@dataclass
class AppRun:
    """What follow_pressing_keys measured."""

    tail: Any
    seconds: float
    memory: dict
    stats: Any
    timings: dict


async def follow_pressing_keys(
    pilot: Any,
    probe: KeyProbe,
    pane: Any,
    topic: str,
    records: int,
    keys: Sequence[str],
    key_interval: float,
    detail: bool = False,
) -> AppRun:
    """The app's tail pane reading ``topic`` from the beginning with the view
    following, while ``keys`` (each named with its place in ``keys``) are
    pressed in turn every ``key_interval`` seconds, until ``records`` were
    read (the app readers of this bench and of bench/schema_tail.py)."""
    started = time.monotonic()
    # What choosing the topic in the start dialog does (t, topic, from the beginning).
    pane.start_tail(topic, None, StartPosition.earliest())
    tail = pane.tail
    assert tail is not None
    watch = MemoryWatch(tail, records, detail)
    finished: list[float] = []
    done = asyncio.Event()
    forward = tail.on_batch

    def on_batch(batch: Any) -> Any:
        watch.sample()
        if not finished and tail.seen >= records:
            finished.append(time.monotonic())
            done.set()
        return forward(batch) if forward is not None else None

    tail.on_batch = on_batch
    presser = probe.press_every(cycle([f"{key}#{i}" for i, key in enumerate(keys)]), key_interval)
    try:
        await asyncio.wait_for(done.wait(), timeout=3600)
    except TimeoutError:
        pass
    probe.stop()
    presser.join()
    seconds = (finished[0] if finished else time.monotonic()) - started
    memory = watch.result()
    stats = tail.stats()
    # Let the keys still on their way be handled (an app that exits with
    # keys queued fails on them), then count.
    settle = time.monotonic() + 30
    while len(probe.handled) < len(probe.sent) and time.monotonic() < settle:
        await asyncio.sleep(0.05)
    await pilot.pause()
    return AppRun(tail, seconds, memory, stats, probe.timings())


async def read_app(
    bootstrap: str, topic: str, records: int, key_interval: float = KEY_INTERVAL, detail: bool = False
) -> dict:
    """The real app, headless, tailing from the beginning with the view
    following, while keys are sent every ``key_interval`` seconds."""
    from kview.app import make_app
    from kview.core.config import Config
    from kview.ui.panes.tail import TailPane

    # The theme the user chose last lives in the state directory; the bench
    # uses the default one (a 16-colour theme adds a filter to every line).
    os.environ["KVIEW_STATE_DIR"] = tempfile.mkdtemp(prefix="kview-bench-state-")
    app = make_app(Config(), adhoc_profile(bootstrap))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        theme = app.theme
        probe = KeyProbe(app)
        probe.install()
        pane = await app.show_pane("tail")
        assert isinstance(pane, TailPane)
        # Keys are named with their place in KEYS (enter#6 opens the detail,
        # enter#16 applies the filter), so the slowest can be told apart.
        run = await follow_pressing_keys(pilot, probe, pane, topic, records, KEYS, key_interval, detail)
    shutil.rmtree(os.environ["KVIEW_STATE_DIR"], ignore_errors=True)
    stats = run.stats
    return {
        "records": stats.seen,
        "seconds": run.seconds,
        "kept": stats.kept,
        "theme": theme,
        **run.memory,
        **run.timings,
    }


# -- one reader per process --------------------------------------------------------------------


def run_reader(
    name: str,
    bootstrap: str,
    topic: str,
    records: int,
    profile_to: str | None = None,
    key_interval: float = KEY_INTERVAL,
    detail: bool = False,
) -> dict | None:
    cpu_before = time.process_time()
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    result = _run_reader(name, bootstrap, topic, records, key_interval, detail)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile_to}-{name}.pstats")
    if result is not None:
        result.setdefault("cpu", time.process_time() - cpu_before)
        result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _run_reader(name: str, bootstrap: str, topic: str, records: int, key_interval: float, detail: bool) -> dict | None:
    if name == "raw":
        return asyncio.run(read_raw(bootstrap, topic, records))
    if name == "kview":
        return asyncio.run(read_kview(bootstrap, topic, records, SUBSTRING_FILTER, detail))
    if name == "kview-json":
        return asyncio.run(read_kview(bootstrap, topic, records, JSON_FILTER, detail))
    if name == "app":
        return asyncio.run(read_app(bootstrap, topic, records, key_interval, detail))
    raise SystemExit(f"unknown reader {name}")


# -- the parent: runs each reader in a child and measures it -----------------------------


def measure(
    name: str,
    bootstrap: str,
    topic: str,
    records: int,
    profile_to: str | None = None,
    key_interval: float = KEY_INTERVAL,
    detail: bool = False,
) -> dict | None:
    """Run one reader in its own process: records/s by the wall clock, records
    per CPU-second of that process (steadier on a shared machine), peak RSS."""
    limit = 120 + records / 2000  # a stuck reader must not stall the bench
    if name == "kcat":
        kcat = shutil.which("kcat") or shutil.which("kafkacat")
        if kcat is None:
            print("  kcat: not installed (Debian: apt-get install -y kcat); skipped", flush=True)
            return None
        argv = [kcat, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q"]
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        timer = threading.Timer(limit, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.monotonic() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            print(f"  kcat failed ({code}): {proc.stderr.read().decode()[-500:]}", flush=True)
            return None
        # -e stops at the end of every partition: it read the whole topic.
        return {
            "records": records,
            "seconds": seconds,
            "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024,
        }
    argv = [
        sys.executable,
        __file__,
        "--reader",
        name,
        "--bootstrap",
        bootstrap,
        "--topic",
        topic,
        "--records",
        str(records),
        "--key-interval",
        str(key_interval),
        "--keys",
        ",".join(KEYS),
    ]
    if profile_to:
        argv += ["--profile", profile_to]
    if detail:
        argv.append("--memory-detail")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        print(f"  {name}: no result within {limit:.0f} s; skipped", flush=True)
        return None
    if proc.returncode != 0:
        print(f"  {name}: failed: {proc.stderr[-1500:]}", flush=True)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def detail_lines(details: list[dict]) -> list[str]:
    """--memory-detail: one line per sample (MiB), then the tracked objects that grew."""
    lines = []
    for d in details:
        line = (
            f"    {d['when']:>4} ({d['seen']:>10,} records): RSS {d['rss']:.0f}; pymalloc {d.get('arenas', 0)} "
            f"arenas (high {d.get('arenas_high', 0)}), {d.get('py_used', 0):.0f} in blocks, "
            f"{d.get('py_free_blocks', 0):.0f} free blocks, {d.get('py_free_pools', 0):.0f} free pools; "
            f"{d['py_blocks']:,} blocks; malloc {d.get('c_used', 0):.0f} used, {d.get('c_free', 0):.0f} free"
        )
        if "objects" in d:
            line += f"; {d['objects']:,} tracked objects"
        lines.append(line)
        if d.get("grew"):
            lines.append("      grew: " + ", ".join(f"{name} +{n:,}" for name, n in d["grew"]))
    return lines


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def round_line(n: int, name: str, result: dict) -> str:
    rate = result["records"] / result["seconds"]
    line = (
        f"round {n}: {LABELS[name]:<44} {rate:>10,.0f} records/s ({result['seconds']:.1f} s, "
        f"{result['cpu']:.1f} CPU-s, peak RSS {result['rss_mib']:.0f} MiB"
    )
    if result.get("rss_at_full_mib") is not None:
        line += (
            f"; RSS at ring full {result['rss_at_full_mib']:.0f}, max after "
            f"{result['rss_max_after_full_mib']:.0f}, at quarters "
            + "/".join(f"{x:.0f}" for x in result["rss_quarters_mib"])
            + " MiB"
        )
    if "theme" in result:
        line += f"; theme {result['theme']}"
    if "key_ms" in result:
        line += (
            f"; {result['keys']} keys ({result['keys'] / result['seconds']:.1f}/s) "
            f"p50 {percentile(result['key_ms'], 0.5):.0f} "
            f"p99 {percentile(result['key_ms'], 0.99):.0f} ms"
        )
    load = os.getloadavg()
    return line + f"; load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})"


def report(results: dict[str, list[dict]], records: int, key_interval: float = KEY_INTERVAL) -> None:
    def rate(r: dict) -> float:
        return r["records"] / r["seconds"]

    def cpu_rate(r: dict) -> float:
        return r["records"] / max(r["cpu"], 1e-9)

    best = {name: max(runs, key=rate) for name, runs in results.items() if runs}
    best_cpu = {name: max(runs, key=cpu_rate) for name, runs in results.items() if runs}
    raw = best.get("raw")
    raw_rate = rate(raw) if raw else None
    raw_cpu = cpu_rate(best_cpu["raw"]) if raw else None
    rounds = max((len(v) for v in results.values()), default=0)
    print()
    print(
        f"best of {rounds} round(s), {records:,} records each; load average now "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(f"raw aiokafka and kview share: {describe_settings()} (kcat: librdkafka's defaults)")
    if "app" in results:
        from kview.ui.panes import tail as tail_pane

        per_call = getattr(tail_pane, "UI_MAX_RECORDS", None)
        if per_call is not None:
            print(f"the app's tail takes at most {per_call:,} records per getmany() (shorter waits for keys)")
    print(f"{'reader':<44} {'records/s':>10} {'vs raw':>6}   {'rec/CPU-s':>10} {'vs raw':>6}   {'peak RSS':>9}")
    for name in READERS:
        if name not in best:
            continue
        r, c = best[name], best_cpu[name]
        ratio = f"{rate(r) / raw_rate:.2f}" if raw_rate else "-"
        ratio_cpu = f"{cpu_rate(c) / raw_cpu:.2f}" if raw_cpu else "-"
        peak = max(run["rss_mib"] for run in results[name])
        print(
            f"{LABELS[name]:<44} {rate(r):>10,.0f} {ratio:>6}   {cpu_rate(c):>10,.0f} {ratio_cpu:>6}   {peak:>5.0f} MiB"
        )
    print()

    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    for name, target, what in (("kview", TARGET_HEADLESS, "headless tail"), ("app", TARGET_APP, "app tailing")):
        if name in best and raw_rate:
            ratio = rate(best[name]) / raw_rate
            print(
                f"{what} / raw aiokafka = {ratio:.2f} by the wall clock "
                f"({cpu_rate(best_cpu[name]) / raw_cpu:.2f} per CPU-second): "
                f"{verdict(ratio >= target)} the {target:.2f} target"
            )
    if "kview" in best:
        print(
            f"kview kept {best['kview']['kept']:,} records in its ring, "
            f"{best['kview']['matched_in_ring']:,} of them match {SUBSTRING_FILTER!r}"
        )
    if "app" in best:
        runs = results["app"]
        key_ms = [ms for run in runs for ms in run["key_ms"]]
        screen_ms = [ms for run in runs for ms in run["screen_ms"]]
        keys = sum(run["keys"] for run in runs)
        lost = sum(run["keys_lost"] for run in runs)
        p99 = percentile(key_ms, 0.99)
        print(
            f"key presses ({keys} over {len(runs)} run(s), one every {key_interval * 1000:.0f} ms): "
            f"handled p50 {percentile(key_ms, 0.5):.0f} ms, p99 {p99:.0f} ms, max {max(key_ms, default=0):.0f} ms; "
            f"on screen p50 {percentile(screen_ms, 0.5):.0f} ms, p99 {percentile(screen_ms, 0.99):.0f} ms"
            + (f"; {lost} never handled" if lost else "")
            + f": {verdict(p99 <= TARGET_KEY_P99_MS and not lost)} the {TARGET_KEY_P99_MS:.0f} ms target"
        )
        slowest = sorted((k for run in runs for k in run["slowest_keys"]), reverse=True)[:5]
        print("  slowest: " + ", ".join(f"{key} {ms:.0f} ms" for ms, key in slowest))
        slowest = sorted((k for run in runs for k in run.get("slowest_on_screen", ())), reverse=True)[:5]
        print(
            "  slowest on screen (a key that changes nothing shows with the next repaint of the list): "
            + ", ".join(f"{key} {ms:.0f} ms" for ms, key in slowest)
        )
        print("  keys cycled: " + " ".join(KEYS))
        key_cpu = [ms for run in runs for ms in run.get("key_cpu_ms", ())]
        if key_cpu:
            print(
                f"  CPU the app's thread used while a key waited: p50 {percentile(key_cpu, 0.5):.0f} ms, "
                f"p99 {percentile(key_cpu, 0.99):.0f} ms (the rest of the wait is the machine's load)"
            )
    limit_mib = TARGET_RSS_MB * 1e6 / (1 << 20)
    for name in ("kview", "kview-json", "app"):
        if name not in results or not results[name]:
            continue
        runs = [run for run in results[name] if run.get("rss_at_full_mib")]
        if not runs:
            continue
        peak = max(run["rss_mib"] for run in results[name])
        growth = max(run["rss_end_mib"] - run["rss_at_full_mib"] for run in runs)
        # Flat: no growth over the second half of the run (the ring was full
        # for all of it); the step between "ring full" and then is shown too.
        second_half = max(max(run["rss_quarters_mib"][1:]) - run["rss_quarters_mib"][1] for run in runs)
        r = runs[-1]
        flat = second_half <= FLAT_TOLERANCE_MIB
        quarters = "/".join(f"{x:.0f}" for x in r["rss_quarters_mib"])
        print(
            f"memory, {LABELS[name]}: peak {peak:.0f} MiB (target {TARGET_RSS_MB:.0f} MB = {limit_mib:.0f} MiB); "
            f"last run: {r['rss_at_full_mib']:.0f} MiB when the ring filled (after {r['full_after']:,} records), "
            f"{quarters} MiB at 1/4, 1/2, 3/4 and all of the records; growth after full {growth:+.0f} MiB, "
            f"over the second half {second_half:+.0f} MiB at most: "
            f"{verdict(peak <= limit_mib and flat)} the target (flat = second half within {FLAT_TOLERANCE_MIB:.0f} MiB)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bootstrap", help="use this cluster instead of starting one")
    parser.add_argument("--topic", help="topic name (default: a new one)")
    parser.add_argument("--reuse", action="store_true", help="read --topic as it is, do not fill it")
    parser.add_argument("--readers", default=",".join(READERS), help="comma-separated subset of " + ", ".join(READERS))
    parser.add_argument(
        "--keys",
        help="comma-separated keys the app reader cycles through "
        "(default: scrolling, detail, filter, search, pause; see KEYS)",
    )
    parser.add_argument(
        "--key-interval",
        type=float,
        default=KEY_INTERVAL,
        help=f"seconds between keys sent to the app (default {KEY_INTERVAL})",
    )
    parser.add_argument(
        "--profile", metavar="PREFIX", help="cProfile every Python reader into PREFIX-NAME.pstats (slows them down)"
    )
    parser.add_argument(
        "--memory-detail",
        action="store_true",
        help="print the allocators' figures and the objects that grew, when the ring "
        "fills and at each quarter (kview readers; slows them down)",
    )
    parser.add_argument("--reader", help=argparse.SUPPRESS)  # internal: run one reader here
    args = parser.parse_args(argv)

    global KEYS
    if args.keys:
        KEYS = tuple(key.strip() for key in args.keys.split(",") if key.strip())
    if args.reader:
        print(
            json.dumps(
                run_reader(
                    args.reader,
                    args.bootstrap,
                    args.topic,
                    args.records,
                    args.profile,
                    args.key_interval,
                    args.memory_detail,
                )
            )
        )
        return 0

    cluster = None
    tools = DevCluster(1)  # also the handle for Kafka's CLI tools when --bootstrap is given
    try:
        if args.bootstrap:
            bootstrap = args.bootstrap
        else:
            print("starting a 1-broker Kafka cluster ...", flush=True)
            cluster = tools
            cluster.start()
            bootstrap = cluster.bootstrap
        topic = args.topic or f"bench-tail-{uuid.uuid4().hex[:6]}"
        if args.reuse:
            records = topic_size(bootstrap, topic)
            print(f"reading {topic} as it is: {records:,} records", flush=True)
        else:
            fill(tools, bootstrap, topic, args.records, args.partitions)
            records = args.records
        print(f"consumer settings (raw aiokafka and kview): {describe_settings()}", flush=True)
        readers = [r for r in args.readers.split(",") if r]
        unknown = set(readers) - set(READERS)
        if unknown:
            raise SystemExit(f"unknown reader(s): {', '.join(sorted(unknown))}")
        results: dict[str, list[dict]] = {r: [] for r in readers}
        for n in range(1, args.rounds + 1):
            for name in readers:
                result = measure(name, bootstrap, topic, records, args.profile, args.key_interval, args.memory_detail)
                if result is None:
                    continue
                results[name].append(result)
                print(round_line(n, name, result), flush=True)
                for line in detail_lines(result.get("memory_detail", ())):
                    print(line, flush=True)
        report(results, records, args.key_interval)
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
