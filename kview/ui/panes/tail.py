"""Tail pane: follow a topic live, filter and search what is in the ring,
pause, jump to an offset or a time, look at one record in full and export.

The backend (kview.core.tail.Tail) appends whole getmany() batches to its
Ring and calls ``on_batch`` once per batch; here that posts ONE message, and
only when none is already waiting (the message also collapses in the queue,
``can_replace``).  Drawing reads the ring, never the batch, at most
``DRAW_INTERVAL`` apart, and less often when the app's queue is long: a
topic at 100,000 msgs/s costs the UI at most four repaints a second.

Pausing freezes the view (a copy of the ring's slots, not of the records
themselves), never the tail: the counters keep moving, and the ring takes
new records until it is full, then holds (``Tail.hold``): it pushes none of
the paused view's records out, so a pause never keeps more than one ring's
worth of records alive, and the records read meanwhile are counted as
skipped (they stay in Kafka, where o and d reach them).

The ring keeps 100,000 records alive; the Tail takes them out of the cycle
collector's lists (kview/core/untrack.py), and while a tail runs the pane
freezes the app's older objects and raises the young threshold
(``kview.core.untrack.GcWhileReading``), so collections stay short and never walk the ring.
After each batch the tail gives the event loop a few turns (``_give_way``):
a key reaches its handler between two batches, not after half a dozen."""

from __future__ import annotations

import asyncio
import logging
import time
from functools import cache
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from kview.core.errors import describe_exception
from kview.core.export import ExportError, export_jsonl
from kview.core.filters import Filter, FilterError, parse_filter
from kview.core.format import human_bytes
from kview.core.tail import ERROR, StartPosition, Tail, TailStatus
from kview.core.untrack import GC_WHILE_READING
from kview.ui.panes.base import Pane, PaneStatus
from kview.ui.screens.tail_start import (
    DEFAULT_LAST,
    ExportRequest,
    ExportScreen,
    TailRequest,
    TailStartScreen,
    default_export_path,
)
from kview.ui.widgets.filter_bar import FilterBar
from kview.ui.widgets.record_detail import RecordDetail
from kview.ui.widgets.tail_view import FrozenSource, LiveSource, TailView, header_line

log = logging.getLogger(__name__)

DRAW_INTERVAL = 0.1
"""Seconds between two repaints of the list while records stream in: ten a
second is as fast as anyone reads a moving list, and a repaint of a 120x40
screen costs Textual about 20 ms of CPU that the tail would otherwise use."""
STREAM_DRAW_INTERVAL = 0.25
"""... when more than a screenful arrived since the last repaint: every line
is replaced each time, nobody reads a list moving that fast, and the CPU goes
to the tail instead."""
BUSY_DRAW_INTERVAL = 0.25
"""... and when the app's message queue is long (the UI is behind)."""
BUSY_QUEUE = 20
SCAN_STEP = 1_024
"""Records a new filter scans between two looks at the clock."""
SCAN_BUDGET = 0.012
"""Seconds a new filter scans the ring's older records per tick (and per
keystroke, see below): a 100,000-record ring is caught up in slices a
key press never waits long behind, not in one scan of 0.3-1 s.  The tail's
own batches are scanned as they arrive (the Tail does that)."""
KEYSTROKE_SCAN_BUDGET = 0.006
"""... and per keystroke in the filter bar (the key waits for it)."""
CATCH_UP_INTERVAL = 0.04
SEARCH_CHUNK = 2_048
"""Records n/N test at a time (a near match is found after one chunk)."""
STATUS_INTERVAL = 0.5
GIVE_WAY_TURNS = 16
"""Turns of the event loop a batch waits at most for pending UI messages."""
GIVE_WAY_MIN_TURNS = 4
"""Turns of the event loop every batch gives the UI (see _give_way)."""
UI_MAX_RECORDS = 4_000
"""Records per getmany() in the app.  aiokafka decodes a batch in one go
without yielding (about 3 us a record): 4,000 keep that under ~15 ms, so a key
press never waits long behind a batch; the per-batch cost above it is small."""


def short_count(value: float) -> str:
    """A count for the status line in at most 5-6 characters: exact below
    10,000 (1,234), then three significant digits (25.1k, 100k, 1.9M)."""
    n = max(0, round(value))
    if n < 10_000:
        return f"{n:,}"
    for divisor, unit in ((1e3, "k"), (1e6, "M"), (1e9, "G")):
        scaled = n / divisor
        if scaled < 999.5 or unit == "G":
            return f"{scaled:.3g}{unit}"
    return str(n)  # pragma: no cover - the loop always returns


def _fit_parts(parts: list[str], width: int, gap: str = "  ") -> str:
    """``parts`` joined by ``gap``, as many whole ones (in order) as fit in ``width``."""
    text = parts[0] if parts else ""
    for part in parts[1:]:
        if len(text) + len(gap) + len(part) > width:
            break
        text += gap + part
    return text


def _scan_some(target: Any, budget: float = SCAN_BUDGET) -> None:
    """Let ``target``'s filter (a FilterView or a FrozenSource: ``update(limit)``
    and ``caught_up``) look at more records for about ``budget`` seconds."""
    deadline = time.perf_counter() + budget
    while not target.caught_up:
        target.update(SCAN_STEP)
        if time.perf_counter() >= deadline:
            break


class TailBatchArrived(Message, bubble=False):
    """The tail appended a batch to its ring.  Consecutive ones collapse: the
    view redraws from the ring, so one is as good as many.  It is for the
    pane alone: not bubbling saves three dispatches (switcher, screen, app)
    per batch."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TailBatchArrived)


class TailStatusChanged(Message, bubble=False):
    def __init__(self, status: TailStatus) -> None:
        super().__init__()
        self.status = status

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TailStatusChanged)


class TailPane(Pane):
    """Follow one topic (all partitions or one)."""

    pane_id = "tail"
    title = "Tail"
    polls = False

    BINDINGS = [
        Binding("t", "choose", "Tail a topic", id="tail.start"),
        Binding("space", "pause", "Pause/resume view", id="tail.pause"),
        Binding("slash", "filter", "Filter", id="tail.filter"),
        Binding("s", "search", "Search", id="tail.search"),
        Binding("n", "search_next", "Next match", id="tail.search_next"),
        Binding("N", "search_previous", "Previous match", id="tail.search_previous"),
        Binding("enter", "detail", "Record detail", id="tail.detail"),
        Binding("o", "jump_offset", "Jump to offset", id="tail.jump_offset"),
        Binding("d", "jump_time", "Jump to time", id="tail.jump_time"),
        Binding("x", "export", "Export JSONL", id="tail.export"),
        Binding("C", "copy_records", "Copy / redrive records", id="tail.copy_records"),
        Binding("f", "find", "Find in the topic", id="tail.find", show=False),
        Binding("G,end", "follow", "Follow newest", id="tail.follow"),
        Binding("g,home", "top", "Oldest record", id="tail.top", show=False),
        Binding("up,k", "move(-1)", "Previous record", id="tail.up", show=False),
        Binding("down,j", "move(1)", "Next record", id="tail.down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="tail.page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="tail.page_down", show=False),
    ]

    DEFAULT_CSS = """
    TailPane #tail-columns { height: 1; background: $panel; color: $text-muted; text-style: bold; }
    /* Input's focus border outranks FilterBar's own rule: keep the bar one line. */
    TailPane FilterBar, TailPane FilterBar:focus { height: 1; border: none; }
    TailPane #tail-filter-error { height: auto; display: none; color: $text-error; background: $panel;
                                  padding: 0 1; }
    TailPane #tail-filter-error.-shown { display: block; }
    /* The record detail takes the list's place (enter; esc goes back): see _show_detail. */
    TailPane RecordDetail { display: none; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tail: Tail | None = None
        self.topic: str | None = None
        self.partition: int | None = None
        self.filter: Filter | None = None
        self.search: Filter | None = None
        self.paused = False
        self._skipped_at_pause = 0
        """tail.skipped when the view was paused (the status line counts from it)."""
        self._batch_pending = False
        self._draw_timer: Timer | None = None
        self._last_draw = 0.0
        self._drawn_seen = 0
        """ring.seen at the last repaint."""
        self._streaming = False
        """The last repaint replaced every line (see STREAM_DRAW_INTERVAL)."""
        self._dirty = False
        self._asked = False
        self._stopping: set[asyncio.Task[None]] = set()
        self._gc_tuned = False
        self._catch_up_timer: Timer | None = None
        self.key_decoding = "auto"
        self.value_decoding = "auto"
        """Schema-registry decodings of the tail (the start modal's choice)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="tail-columns", markup=False)
        yield TailView(id="tail-lines")
        yield RecordDetail(id="tail-detail")
        yield Static("", id="tail-filter-error", markup=False)
        yield FilterBar("filter: text, /regex/, key:x, header:h=v, .user.id == 42 (esc clears)", id="tail-filter")
        yield FilterBar("search: same language; n next, N previous (esc clears)", id="tail-search")
        yield PaneStatus("")

    @property
    def lines(self) -> TailView:
        return self.query_one(TailView)

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(STATUS_INTERVAL, self._tick_status)
        # Runs only while a filter has older records to look at (_wake_catch_up).
        self._catch_up_timer = self.set_interval(CATCH_UP_INTERVAL, self._catch_up, pause=True)
        self._update_status()

    def on_show(self) -> None:
        super().on_show()
        if self._dirty:
            self._draw()
        if self.tail is None and not self._asked:
            # After the current message: a caller that opens the pane on a
            # topic (TailTopic) has started the tail by then.
            self.call_after_refresh(self._ask_first_time)

    def _ask_first_time(self) -> None:
        if self.tail is None and not self._asked and self.is_active:
            self._asked = True
            self.action_choose()

    async def on_unmount(self) -> None:
        # Unmounted: the app quits, the cluster was switched, the pane was removed.
        tail, self.tail = self.tail, None
        try:
            if tail is not None:
                await tail.stop()
        finally:
            self._release_gc()

    def _release_gc(self) -> None:
        if self._gc_tuned:
            self._gc_tuned = False
            GC_WHILE_READING.release()

    # -- starting and stopping -------------------------------------------------------------

    def _topic_choices(self) -> tuple[list[str], dict[str, int]]:
        snapshot = self.kview.snapshot
        if snapshot is None:
            return [], {}
        topics = snapshot.metadata.topics
        return sorted(t.name for t in topics), {t.name: len(t.partitions) for t in topics}

    def _registry(self) -> Any:
        """The profile's shared registry client, or None (no registry, or
        services without one, like the snapshot tests' recorded ones)."""
        try:
            return getattr(self.kview.services, "registry", None)
        except Exception:  # a registry block kview cannot use: tail raw, say why once
            log.exception("the schema registry client could not be made")
            return None

    def _has_registry(self) -> bool:
        client = getattr(self.kview.services, "client", None)
        profile = getattr(client, "profile", None)
        return getattr(profile, "schema_registry", None) is not None

    def start_tail(
        self,
        topic: str,
        partition: int | None = None,
        start: StartPosition | None = None,
        *,
        key_decoding: str | None = None,
        value_decoding: str | None = None,
    ) -> None:
        """Tail ``topic`` (one partition, or all when None) from ``start``
        (default: the last DEFAULT_LAST records per partition, then new ones).
        With a schema registry, keys and values are decoded as
        ``key_decoding`` / ``value_decoding`` (default: as last chosen)."""
        old = self.tail
        if old is not None:
            self._stop_later(old)
        if self.detail_open:  # a record of the old tail: the new one's list instead
            self._show_detail(False)
        self._asked = True
        self.topic, self.partition = topic, partition
        self.key_decoding = key_decoding or self.key_decoding
        self.value_decoding = value_decoding or self.value_decoding
        decoding: dict[str, Any] = {}
        registry = self._registry()
        if registry is not None:
            # Decoded before they enter the ring: the list, the filters and
            # export see the decoded JSON; the ids met go to the topic detail.
            seen = getattr(self.kview.services, "schemas_seen", None)
            decoding = {
                "registry": registry,
                "key_decoding": self.key_decoding,
                "value_decoding": self.value_decoding,
                "schemas_seen": seen.setdefault(topic, {}) if seen is not None else None,
            }
        tail = self.kview.services.tail(
            topic,
            **decoding,
            partitions=None if partition is None else [partition],
            start=start or StartPosition.last(DEFAULT_LAST),
            capacity=self.kview.config.ring_capacity,  # the user's bound on the records kept
            filter=self.filter,
            on_batch=self._on_batch,
            on_status=self._on_status,
            max_records=UI_MAX_RECORDS,
            ingest_catch_up=0,  # _catch_up does it, in time-bounded slices
        )
        self.tail = tail
        self._quiet()
        if not self._gc_tuned:
            self._gc_tuned = True
            GC_WHILE_READING.acquire()
        self.paused = False
        lines = self.lines
        lines.clear_cache()
        lines.following = True
        where = topic if partition is None else f"{topic} partition {partition}"
        lines.empty_text = f"Waiting for records on {where} ..."
        lines.set_source(LiveSource(tail.ring, tail.view), keep_position=False)
        self.run_worker(tail.start(), group="tail-start", exit_on_error=False)
        self._update_status()
        self._update_columns()
        lines.focus()

    def _stop_later(self, tail: Tail) -> None:
        task = asyncio.create_task(tail.stop())
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    def action_choose(self) -> None:
        topics, counts = self._topic_choices()
        self.app.push_screen(
            TailStartScreen(
                topics,
                topic=self.topic or "",
                partition=self.partition,
                partition_counts=counts,
                decodings=self._has_registry(),
                key_decoding=self.key_decoding,
                value_decoding=self.value_decoding,
            ),
            self._on_request,
        )

    def _on_request(self, request: TailRequest | None) -> None:
        if request is None:
            return
        same = (request.topic, request.partition, request.key_decoding, request.value_decoding) == (
            self.topic,
            self.partition,
            self.key_decoding,
            self.value_decoding,
        )
        if self.tail is not None and same:
            self._reseek(request.start)
        else:
            self.start_tail(
                request.topic,
                request.partition,
                request.start,
                key_decoding=request.key_decoding,
                value_decoding=request.value_decoding,
            )

    def _jump(self, mode: str, title: str) -> None:
        if self.tail is None:
            self.action_choose()
            return
        topics, counts = self._topic_choices()
        self.app.push_screen(
            TailStartScreen(
                topics,
                topic=self.topic or "",
                partition=self.partition,
                mode=mode,
                partition_counts=counts,
                title=title,
                decodings=self._has_registry(),
                key_decoding=self.key_decoding,
                value_decoding=self.value_decoding,
            ),
            self._on_request,
        )

    def action_jump_offset(self) -> None:
        self._jump("offset", "Jump to an offset")

    def action_jump_time(self) -> None:
        self._jump("time", "Jump to a date and time")

    def _reseek(self, start: StartPosition) -> None:
        """Jump within the same topic: the ring is cleared and refilled from
        ``start``; the view shows the first record at the top."""
        tail = self.tail
        assert tail is not None
        self.paused = False
        tail.hold = False
        lines = self.lines
        lines.set_following(False)
        lines.set_source(LiveSource(tail.ring, tail.view), keep_position=False)

        async def reseek() -> None:
            await tail.reseek(start)
            if tail is self.tail:
                lines.scroll_to(y=0, animate=False, force=True)
                self._draw()
                self._quiet()

        self.run_worker(reseek(), group="tail-reseek", exclusive=True, exit_on_error=False)
        self._update_status()

    # -- batches in, repaints out ------------------------------------------------------------

    async def _on_batch(self, batch: Any) -> None:
        # Runs in the tail's task, once per getmany() batch (the tail awaits it).
        await self._give_way()
        if not self._batch_pending:
            self._batch_pending = True
            self.post_message(TailBatchArrived())

    async def _give_way(self) -> None:
        """Let a key on its way through the app be handled before the next batch.

        A key event travels from the driver's thread to the app, then the
        screen, the focused widget, its parents and the app's bindings, one
        hop per turn of the event loop, and a busy tail takes one batch per
        turn: without this a key waits behind as many batches as it has hops.
        The first hops (the driver's thread handing the event to the loop)
        are invisible here, so every batch yields a few turns (each one costs
        microseconds when nothing else is ready), and more while a message
        waits in the app, the screen or the focused widget's chain.  Bounded,
        so a UI that always has messages cannot stop the tail."""
        for turn in range(GIVE_WAY_TURNS):
            if turn >= GIVE_WAY_MIN_TURNS and not self._input_pending():
                return
            await asyncio.sleep(0)

    def _input_pending(self) -> bool:
        """Messages waiting in the app, the screen or the focused widget's
        chain; over a dialog (a few widgets), in any of its widgets: a dialog
        being opened composes and mounts them in as many turns."""
        try:
            app = self.app
            screen = app.screen
            if app.message_queue_size or screen.message_queue_size:
                return True
            if screen is not self.screen:
                return any(node.message_queue_size for node in screen.walk_children())
            node: DOMNode | None = screen.focused
            while node is not None and node is not screen:
                if node.message_queue_size:
                    return True
                node = node.parent
            return False
        except Exception:  # pragma: no cover - a Textual change must not break tailing
            return False

    def _on_status(self, status: TailStatus) -> None:
        self.post_message(TailStatusChanged(status))

    def on_tail_batch_arrived(self, message: TailBatchArrived) -> None:
        self._batch_pending = False
        if self.paused:
            return  # the counters move on the status tick; the lines stay
        self._request_draw()

    def on_tail_status_changed(self, message: TailStatusChanged) -> None:
        self._update_status()

    def _queue_length(self) -> int:
        # Textual has no public accessor for a pump's queue length.
        queue = getattr(self.app, "_message_queue", None)
        try:
            return queue.qsize() if queue is not None else 0
        except Exception:  # pragma: no cover - a Textual change must not break tailing
            return 0

    def _request_draw(self) -> None:
        if self._draw_timer is not None:
            return
        delay = self._last_draw + self._draw_interval() - time.monotonic()
        if delay <= 0:
            self._draw()
        else:
            self._draw_timer = self.set_timer(delay, self._draw)

    def _draw_interval(self) -> float:
        if self._queue_length() > BUSY_QUEUE:
            return BUSY_DRAW_INTERVAL
        return STREAM_DRAW_INTERVAL if self._streaming else DRAW_INTERVAL

    def _quiet(self) -> None:
        """A new start or a jump: its first records show at once, not at the stream's pace."""
        self._streaming = False
        self._drawn_seen = self.tail.ring.seen if self.tail is not None else 0

    def _draw(self) -> None:
        self._draw_timer = None
        self._last_draw = time.monotonic()
        if self.tail is not None:
            seen = self.tail.ring.seen
            self._streaming = seen - self._drawn_seen > self.lines.size.height
            self._drawn_seen = seen
        if not self.is_active or self.detail_open:
            self._dirty = True
            return
        self._dirty = False
        if not self.paused:
            self.lines.refresh_from_source()

    def _wake_catch_up(self) -> None:
        if self._catch_up_timer is not None:
            self._catch_up_timer.resume()

    def _scan_target(self) -> Any:
        """What still has records to filter: the paused copy, the live view, or None."""
        tail = self.tail
        if tail is None:
            return None
        if self.paused:
            source = self.lines.source
            return source if isinstance(source, FrozenSource) and not source.caught_up else None
        return tail.view if tail.view.active and not tail.view.caught_up else None

    def _catch_up(self) -> None:
        """A new filter scans the ring (or the paused copy) in slices, a tick at a time."""
        target = self._scan_target()
        if target is None:
            if self._catch_up_timer is not None:
                self._catch_up_timer.pause()
            return
        _scan_some(target)
        if self.paused:
            self.lines.refresh_from_source()
        else:
            self._request_draw()
        if target.caught_up:
            self._update_status()

    def _finish_scan(self) -> None:
        """Before export or search: the paused copy's filter has seen every record."""
        source = self.lines.source
        if isinstance(source, FrozenSource) and not source.caught_up:
            source.update()
            self.lines.refresh_from_source()

    # -- status line ---------------------------------------------------------------------------

    def _tick_status(self) -> None:
        if self.is_active:
            self._update_status()

    def status_text(self, width: int = 0) -> tuple[str, bool]:
        """(the status line, whether it reports a problem).  Most important
        first, because at 80 columns the end is cut: following or paused,
        msgs/s, records in the ring, the records skipped since the pause
        (paused: the number that moves), dropped, matched/scanned
        (filtering), what a paused view shows, and bytes/s (the least
        useful) last.
        With ``width``, the facts that do not fit are left out whole (a
        wrapped line would leave half of one, a number without its unit)."""
        tail = self.tail
        if tail is None:
            return "no topic: t chooses one", False
        stats = tail.stats()
        lines = self.lines
        mode = "PAUSED" if self.paused else ("FOLLOWING" if lines.following else "SCROLLED (G follows)")
        parts = [
            mode,
            f"{short_count(stats.msgs_per_s)} msg/s",
            f"ring {short_count(stats.kept)}",
            f"dropped {short_count(stats.dropped)}",
        ]
        if self.paused:
            parts.insert(3, f"skipped {short_count(stats.skipped - self._skipped_at_pause)}")
        if self.filter is not None:
            view = tail.view
            # Of the ring's records the filter has looked at so far.
            scanned = max(0, min(stats.kept, view.scanned - tail.ring.first))
            source = lines.source
            caught_up = source.caught_up if self.paused and isinstance(source, FrozenSource) else view.caught_up
            scanning = " scanning" if not caught_up else ""
            parts.append(f"matched {short_count(stats.matched)}/{short_count(scanned)}{scanning}")
        if self.paused:
            parts.append(f"showing {short_count(len(lines.source))}")
        parts.append(f"{human_bytes(stats.bytes_per_s)}/s")
        text = _fit_parts(parts, width) if width > 0 else "  ".join(parts)
        status = tail.status
        if not status.healthy or status.state == ERROR:
            return f"{status.message}  {text}", True
        return text, False

    def _where(self) -> str:
        """What is tailed, for the right end of the column titles."""
        if self.tail is None:
            return ""
        which = "all partitions" if self.partition is None else f"partition {self.partition}"
        return f"{self.topic} ({which})"

    def _update_columns(self, width: int | None = None) -> None:
        width = width or self.lines.content_width or self.size.width
        titles = header_line(width).ljust(width)
        where = self._where()
        # Right-aligned over the value column (before the headers count, if shown).
        value_end = titles.find("value") + len("value") + 1
        end = titles.rfind(" hdr") if titles.rstrip().endswith("hdr") else width
        start = end - len(where) - 1
        if where and start > value_end:
            titles = titles[:start] + where + titles[end - 1 :]
        self.query_one("#tail-columns", Static).update(titles)

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        statuses = list(self.query(PaneStatus))
        width = statuses[0].content_region.width if statuses else 0
        text, problem = self.status_text(width)
        if problem:
            self.show_error(text)
            return
        # Not set_status(): Static.update() lays out the whole screen unless
        # told otherwise, and the status line is one row whatever it says.
        for status in statuses:
            if status.content == text and not status.has_class("-error"):
                continue  # nothing new: no repaint
            status.update(text, layout=False)
            status.remove_class("-error")
        self._last_error = None

    def on_tail_view_layout_changed(self, message: TailView.LayoutChanged) -> None:
        self._update_columns(message.width)

    def on_tail_view_follow_changed(self, message: TailView.FollowChanged) -> None:
        self._update_status()

    # -- keys ------------------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self.lines.move(delta)
        self._update_status()

    def action_page(self, direction: int) -> None:
        self.lines.page(direction)
        self._update_status()

    def action_top(self) -> None:
        self.lines.go_top()

    def action_follow(self) -> None:
        if self.paused:
            self.action_pause()
        self.lines.follow()
        self._update_status()

    def action_pause(self) -> None:
        tail = self.tail
        if tail is None:
            return
        lines = self.lines
        self.paused = not self.paused
        # Held, the ring keeps every record the paused view shows (see Tail.hold).
        tail.hold = self.paused
        if self.paused:
            self._skipped_at_pause = tail.skipped
            # A copy of the ring's slots (pointers, not records): the view
            # stays as it is while the tail keeps reading.  The live view's
            # matches come along, so a filtered ring is not scanned again.
            # What the live view has not scanned yet the frozen one scans in
            # chunks (_catch_up), never all at once under a key press.
            ring, view = tail.ring, tail.view
            seqs = scanned = None
            if self.filter is not None and view.filter is self.filter:
                seqs, scanned = view.seqs(), view.scanned
            lines.set_source(FrozenSource(ring.range(), ring.first, self.filter, seqs, scanned))
        else:
            lines.set_source(LiveSource(tail.ring, tail.view))
        self._wake_catch_up()
        self._update_status()

    def action_detail(self) -> None:
        record = self.lines.selected_record()
        if record is None:
            self.notify("No record to show yet.", severity="warning", timeout=3)
            return
        self.query_one(RecordDetail).show_record(record)
        self._show_detail(True)

    @property
    def detail_open(self) -> bool:
        """The record detail shows in place of the list."""
        try:
            return self.query_one(RecordDetail).display
        except NoMatches:  # not composed yet
            return False

    def on_record_detail_closed(self, message: RecordDetail.Closed) -> None:
        message.stop()
        self._show_detail(False)
        if self._dirty:
            self._draw()

    def _show_detail(self, shown: bool) -> None:
        # The widgets' own display, not a class on the pane: a pane class
        # would restyle every widget in the pane (~25 ms a key).
        self.query_one("#tail-columns").display = not shown
        self.lines.display = not shown
        self.query_one(RecordDetail).display = shown
        self.focus_default()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While a record is read, the list's keys are off (and out of the
        # footer): esc goes back to the list first.
        if self.detail_open and action in self._own_actions():
            return False
        return super().check_action(action, parameters)

    @classmethod
    @cache
    def _own_actions(cls) -> frozenset[str]:
        return frozenset(b.action.partition("(")[0] for b in cls.BINDINGS if isinstance(b, Binding))

    # -- filter and search -----------------------------------------------------------------------

    def action_filter(self) -> None:
        self._open_bar("#tail-filter", "#tail-search")

    def action_search(self) -> None:
        self._open_bar("#tail-search", "#tail-filter")

    def _open_bar(self, which: str, other: str) -> None:
        self.query_one(other, FilterBar).remove_class("-open")
        bar = self.query_one(which, FilterBar)
        bar.add_class("-open")
        # Focus now, not after the queue (Widget.focus() waits for every
        # message already queued): letters typed right after `/` while the
        # app is busy go to the bar, not to the pane's keys.
        self._focus_now(bar)

    def _focus_now(self, widget: Any) -> None:
        try:
            self.screen.set_focus(widget)
        except Exception:  # pragma: no cover - not on a screen yet
            widget.focus()

    def focus_default(self) -> None:
        """The record list (or the record detail when open), at once (esc or
        enter in a filter bar lands here: the keys that follow must reach the
        list, see _open_bar)."""
        if self.detail_open:
            self._focus_now(self.query_one(RecordDetail).body)
            return
        lines = self.lines
        if lines.is_mounted and lines.focusable:
            self._focus_now(lines)
        else:
            super().focus_default()

    def _show_parse_error(self, what: str, exc: FilterError) -> None:
        error = self.query_one("#tail-filter-error", Static)
        caret = " " * (len(what) + 2 + max(0, exc.column - 1)) + "^"
        kept = "the previous one stays" if what == "filter" else "search unchanged"
        error.update(f"{what}: {exc.problem} at column {exc.column} ({kept})\n{what}: {exc.expression}\n{caret}")
        error.add_class("-shown")

    def _clear_parse_error(self) -> None:
        self.query_one("#tail-filter-error", Static).remove_class("-shown")

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        event.stop()
        if event.bar.id == "tail-search":
            self.apply_search(event.text)
        else:
            self.apply_filter(event.text)

    def apply_filter(self, text: str) -> bool:
        """Show only the records matching ``text`` (in the ring and arriving).
        A malformed expression is reported inline and changes nothing."""
        try:
            parsed = parse_filter(text)
        except FilterError as exc:
            self._show_parse_error("filter", exc)
            return False
        self._clear_parse_error()
        self.filter = None if parsed.matches_all else parsed
        lines = self.lines
        lines.filter_key = text if self.filter is not None else ""
        tail = self.tail
        if tail is not None:
            tail.set_filter(self.filter)
            # A first slice now (something to show at once), the rest on the timer.
            _scan_some(tail.view, KEYSTROKE_SCAN_BUDGET)
            if self.paused and isinstance(lines.source, FrozenSource):
                lines.set_source(lines.source.refilter(self.filter))
            else:
                lines.set_source(LiveSource(tail.ring, tail.view))
            self._wake_catch_up()
        self._update_status()
        return True

    def apply_search(self, text: str) -> bool:
        try:
            parsed = parse_filter(text)
        except FilterError as exc:
            self._show_parse_error("search", exc)
            return False
        self._clear_parse_error()
        self.search = None if parsed.matches_all else parsed
        if self.search is not None:
            self._find(+1, inclusive=True, quiet=True)
        return True

    def _find(self, direction: int, *, inclusive: bool = False, quiet: bool = False) -> None:
        match = self.search or self.filter
        if match is None:
            self.notify("Nothing to search for: s searches, / filters.", severity="warning", timeout=3)
            return
        self._finish_scan()
        lines = self.lines
        source = lines.source
        here = lines.selected_index()
        if here is None:
            return
        if direction > 0:
            seqs = source.seqs(here if inclusive else here + 1)
            base, step = (here if inclusive else here + 1), 1
        else:
            seqs = source.seqs(0, here + 1 if inclusive else here)[::-1]
            base, step = (here if inclusive else here - 1), -1
        # In chunks through the filter's batch form (Filter.select): a search
        # over a 100,000-record ring is one C-level scan per chunk, not a
        # Python call per record, and a near match stops after one chunk.
        for start in range(0, len(seqs), SEARCH_CHUNK):
            records = list(map(source.record, seqs[start : start + SEARCH_CHUNK]))
            if all(records):
                hits = match.select(records)
            else:  # some fell out of the ring since the list was taken
                kept = [i for i, record in enumerate(records) if record is not None]
                hits = [kept[h] for h in match.select([records[i] for i in kept])]
            if hits:
                i = start + hits[0]
                lines.set_following(False)
                lines.select_index(base + step * i)
                self._update_status()
                return
        if not quiet:
            self.notify("No more matches.", timeout=2)

    def action_search_next(self) -> None:
        self._find(+1)

    def action_search_previous(self) -> None:
        self._find(-1)

    # -- find --------------------------------------------------------------------------------------

    def action_find(self) -> None:
        """Search the whole topic (or a window of it) with the tail's filter."""
        if self.topic is None:
            self.notify("Nothing to search: t chooses a topic.", severity="warning", timeout=3)
            return
        from kview.ui.screens.find import FindScreen

        services = self.kview.services
        self.app.push_screen(
            FindScreen(
                services.client,
                self.topic,
                filter_text=self.filter.text if self.filter is not None else "",
                registry=self._registry(),
            )
        )

    # -- export ------------------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.tail is None:
            self.notify("Nothing to export: t chooses a topic.", severity="warning", timeout=3)
            return
        self._finish_scan()
        lines = self.lines
        self.app.push_screen(
            ExportScreen(
                default_export_path(self.topic or "tail"),
                len(lines.source),
                lines.selected_record() is not None,
                decoded=self.tail.decoder is not None,
            ),
            self._on_export,
        )

    def _on_export(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        lines = self.lines
        if request.selected_only:
            selected = lines.selected_record()
            records = [selected] if selected is not None else []
        else:
            records = lines.visible_records()

        async def write() -> None:
            try:
                count = await asyncio.to_thread(export_jsonl, records, request.path, raw=request.raw)
            except ExportError as exc:
                self.notify(str(exc), title="Export failed", severity="error", timeout=8)
                return
            except Exception as exc:
                log.exception("export failed")
                self.notify(describe_exception(exc), title="Export failed", severity="error", timeout=8)
                return
            self.notify(f"{count:,} record(s) written to {request.path}", title="Exported", timeout=6)

        self.run_worker(write(), group="tail-export", exit_on_error=False)

    def action_copy_records(self) -> None:
        from kview.ui.screens.copy_records import copy_dialog, copy_done

        topic = self.operation_target("copy records", self.topic, "Tail a topic first (t).")
        if topic is not None:
            self.open_form(copy_dialog(self.kview, topic), copy_done(topic), timeout=8)
