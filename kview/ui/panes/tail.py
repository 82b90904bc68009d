"""Tail pane: follow a topic live, filter and search what is in the ring,
pause, jump to an offset or a time, look at one record in full and export.

The backend (kview.core.tail.Tail) appends whole getmany() batches to its
Ring and calls ``on_batch`` once per batch; here that posts ONE message, and
only when none is already waiting (the message also collapses in the queue,
``can_replace``).  Drawing reads the ring, never the batch, at most
``DRAW_INTERVAL`` apart, and less often when the app's queue is long: a
topic at 100,000 msgs/s costs the UI about twenty repaints a second.

Pausing freezes the view (a copy of the ring's records, not of the records
themselves), never the tail: counters and the ring keep moving."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from kview.core.errors import describe_exception
from kview.core.export import ExportError, export_jsonl
from kview.core.filters import Filter, FilterError, parse_filter
from kview.core.tail import ERROR, StartPosition, Tail, TailStatus
from kview.ui.format import human_bytes, human_count
from kview.ui.panes.base import Pane, PaneStatus
from kview.ui.screens.message_detail import MessageDetailScreen
from kview.ui.screens.tail_start import (DEFAULT_LAST, ExportRequest, ExportScreen, TailRequest,
                                         TailStartScreen, default_export_path)
from kview.ui.widgets.filter_bar import FilterBar
from kview.ui.widgets.tail_view import FrozenSource, LiveSource, TailView, header_line

log = logging.getLogger(__name__)

DRAW_INTERVAL = 0.05
"""Seconds between two repaints of the list while records stream in."""
BUSY_DRAW_INTERVAL = 0.25
"""... and when the app's message queue is long (the UI is behind)."""
BUSY_QUEUE = 20
CATCH_UP_CHUNK = 20_000
"""Records a new filter scans per tick (so a 100,000-record ring never stalls a keystroke)."""
STATUS_INTERVAL = 0.5


class TailBatchArrived(Message):
    """The tail appended a batch to its ring.  Consecutive ones collapse: the
    view redraws from the ring, so one is as good as many."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TailBatchArrived)


class TailStatusChanged(Message):
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
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tail: Tail | None = None
        self.topic: str | None = None
        self.partition: int | None = None
        self.filter: Filter | None = None
        self.search: Filter | None = None
        self.paused = False
        self._batch_pending = False
        self._draw_timer: Timer | None = None
        self._last_draw = 0.0
        self._dirty = False
        self._asked = False
        self._stopping: set[asyncio.Task[None]] = set()

    def compose(self) -> ComposeResult:
        yield Static("", id="tail-columns", markup=False)
        yield TailView(id="tail-lines")
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
        self.set_interval(0.1, self._catch_up)
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
        if tail is not None:
            await tail.stop()

    # -- starting and stopping -------------------------------------------------------------

    def _topic_choices(self) -> tuple[list[str], dict[str, int]]:
        snapshot = self.kview.snapshot
        if snapshot is None:
            return [], {}
        topics = snapshot.metadata.topics
        return sorted(t.name for t in topics), {t.name: len(t.partitions) for t in topics}

    def start_tail(self, topic: str, partition: int | None = None, start: StartPosition | None = None) -> None:
        """Tail ``topic`` (one partition, or all when None) from ``start``
        (default: the last DEFAULT_LAST records per partition, then new ones)."""
        old = self.tail
        if old is not None:
            self._stop_later(old)
        self._asked = True
        self.topic, self.partition = topic, partition
        tail = Tail(
            self.kview.profile, topic,
            partitions=None if partition is None else [partition],
            start=start or StartPosition.last(DEFAULT_LAST),
            filter=self.filter,
            on_batch=self._on_batch,
            on_status=self._on_status,
        )
        self.tail = tail
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
            TailStartScreen(topics, topic=self.topic or "", partition=self.partition, partition_counts=counts),
            self._on_request,
        )

    def _on_request(self, request: TailRequest | None) -> None:
        if request is None:
            return
        if self.tail is not None and (request.topic, request.partition) == (self.topic, self.partition):
            self._reseek(request.start)
        else:
            self.start_tail(request.topic, request.partition, request.start)

    def _jump(self, mode: str, title: str) -> None:
        if self.tail is None:
            self.action_choose()
            return
        topics, counts = self._topic_choices()
        self.app.push_screen(
            TailStartScreen(topics, topic=self.topic or "", partition=self.partition, mode=mode,
                            partition_counts=counts, title=title),
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
        lines = self.lines
        lines.set_following(False)
        lines.set_source(LiveSource(tail.ring, tail.view), keep_position=False)

        async def reseek() -> None:
            await tail.reseek(start)
            if tail is self.tail:
                lines.scroll_to(y=0, animate=False, force=True)
                self._draw()

        self.run_worker(reseek(), group="tail-reseek", exclusive=True, exit_on_error=False)
        self._update_status()

    # -- batches in, repaints out ------------------------------------------------------------

    def _on_batch(self, batch: Any) -> None:
        # Runs in the tail's task, once per getmany() batch.
        if self._batch_pending:
            return
        self._batch_pending = True
        self.post_message(TailBatchArrived())

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
        interval = BUSY_DRAW_INTERVAL if self._queue_length() > BUSY_QUEUE else DRAW_INTERVAL
        delay = self._last_draw + interval - time.monotonic()
        if delay <= 0:
            self._draw()
        else:
            self._draw_timer = self.set_timer(delay, self._draw)

    def _draw(self) -> None:
        self._draw_timer = None
        self._last_draw = time.monotonic()
        if not self.is_active:
            self._dirty = True
            return
        self._dirty = False
        if not self.paused:
            self.lines.refresh_from_source()

    def _catch_up(self) -> None:
        """A new filter scans the ring in chunks, a tick at a time."""
        tail = self.tail
        if tail is None or self.paused or not tail.view.active or tail.view.caught_up:
            return
        tail.view.update(CATCH_UP_CHUNK)
        self._request_draw()

    # -- status line ---------------------------------------------------------------------------

    def _tick_status(self) -> None:
        if self.is_active:
            self._update_status()

    def status_text(self) -> tuple[str, bool]:
        """(the status line, whether it reports a problem).  Most important
        first: at 80 columns the end may be cut."""
        tail = self.tail
        if tail is None:
            return "no topic: t chooses one", False
        stats = tail.stats()
        lines = self.lines
        mode = "PAUSED" if self.paused else ("FOLLOWING" if lines.following else "SCROLLED (G follows)")
        parts = [
            mode,
            f"{stats.msgs_per_s:,.0f} msg/s",
            f"{human_bytes(int(stats.bytes_per_s))}/s",
            f"ring {human_count(stats.kept)}",
            f"dropped {human_count(stats.dropped)}",
        ]
        if self.filter is not None:
            scanning = " scanning" if not tail.view.caught_up else ""
            parts.append(f"matched {human_count(stats.matched)}/{human_count(stats.kept)}{scanning}")
        if self.paused:
            parts.append(f"showing {human_count(len(lines.source))}")
        text = "  ".join(parts)
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
            titles = titles[:start] + where + titles[end - 1:]
        self.query_one("#tail-columns", Static).update(titles)

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        text, problem = self.status_text()
        if problem:
            self.show_error(text)
        else:
            self.set_status(text)

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
        if self.paused:
            # A copy of the ring's slots (pointers, not records): the view
            # stays as it is while the tail keeps reading.
            lines.set_source(FrozenSource(tail.ring.range(), tail.ring.first, self.filter))
        else:
            lines.set_source(LiveSource(tail.ring, tail.view))
        self._update_status()

    def action_detail(self) -> None:
        record = self.lines.selected_record()
        if record is None:
            self.notify("No record to show yet.", severity="warning", timeout=3)
            return
        self.app.push_screen(MessageDetailScreen(record))

    # -- filter and search -----------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#tail-search", FilterBar).remove_class("-open")
        self.query_one("#tail-filter", FilterBar).open()

    def action_search(self) -> None:
        self.query_one("#tail-filter", FilterBar).remove_class("-open")
        self.query_one("#tail-search", FilterBar).open()

    def _show_parse_error(self, what: str, exc: FilterError) -> None:
        error = self.query_one("#tail-filter-error", Static)
        caret = " " * (len(what) + 2 + max(0, exc.column - 1)) + "^"
        kept = "the previous one stays" if what == "filter" else "search unchanged"
        error.update(f"{what}: {exc.problem} at column {exc.column} ({kept})\n"
                     f"{what}: {exc.expression}\n{caret}")
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
            tail.view.update(CATCH_UP_CHUNK)
            if self.paused and isinstance(lines.source, FrozenSource):
                lines.set_source(lines.source.refilter(self.filter))
            else:
                lines.set_source(LiveSource(tail.ring, tail.view))
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
        for i, seq in enumerate(seqs):
            record = source.record(seq)
            if record is not None and match(record):
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

    # -- export ------------------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.tail is None:
            self.notify("Nothing to export: t chooses a topic.", severity="warning", timeout=3)
            return
        lines = self.lines
        self.app.push_screen(
            ExportScreen(default_export_path(self.topic or "tail"), len(lines.source),
                         lines.selected_record() is not None),
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
                count = await asyncio.to_thread(export_jsonl, records, request.path)
            except ExportError as exc:
                self.notify(str(exc), title="Export failed", severity="error", timeout=8)
                return
            except Exception as exc:
                log.exception("export failed")
                self.notify(describe_exception(exc), title="Export failed", severity="error", timeout=8)
                return
            self.notify(f"{count:,} record(s) written to {request.path}", title="Exported", timeout=6)

        self.run_worker(write(), group="tail-export", exit_on_error=False)
