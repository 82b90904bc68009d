"""The tail's record list: a ``ScrollView`` on Textual's Line API.

Only the lines on screen are ever formatted (``render_line``), each one at
most once per (sequence number, filter, selection, width, theme) thanks to a
strip cache; ``virtual_size`` follows the number of visible records, so a
ring of 100,000 records costs nothing more to show than one of 100.

What is visible comes from a *source*: live (the tail's Ring and its
FilterView, growing as batches arrive) or frozen (a copy of the ring's
records taken when the user paused, so the lines stay put while the tail
keeps counting).  Rows are addressed by the ring's absolute sequence
numbers, so the selection and the scroll position survive old records
falling out of the ring.

Records decoded with a schema registry show their decoded value (compact
JSON, it is their ``value``); a framed key or value that could not be
decoded shows its bytes after PROBLEM_MARK.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kview.core.codecs import preview
from kview.core.filters import FilterView

# -- what is visible -----------------------------------------------------------------------


class LiveSource:
    """The tail's ring through its FilterView: grows with every batch."""

    def __init__(self, ring: Any, view: Any) -> None:
        self.ring = ring
        self.view = view

    def __len__(self) -> int:
        return len(self.view)

    def seq_at(self, index: int) -> int:
        return self.view.seq_at(index)

    def seqs(self, start: int = 0, stop: int | None = None) -> list[int]:
        return self.view.seqs(start, stop)

    def record(self, seq: int) -> Any:
        return self.ring.get(seq)

    def index_of(self, seq: int) -> int | None:
        return self.view.index_of(seq)

    def nearest_index(self, seq: int) -> int:
        """Index of ``seq``, or of the first visible record after it."""
        return self.view.nearest_index(seq)

    @property
    def caught_up(self) -> bool:
        return self.view.caught_up


FIRST_SCAN = 1_024
"""Records a new frozen source's filter scans at once: enough to fill the
screen for most filters; the rest follows in chunks (``update``), so typing a
filter while paused never scans a 100,000-record ring per keystroke."""


class _FrozenRing:
    """What FilterView needs of a ring, over the records a pause copied."""

    __slots__ = ("records", "first", "next")

    def __init__(self, records: list[Any], first: int) -> None:
        self.records = records
        self.first = first
        self.next = first + len(records)

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, seq: object) -> bool:
        return isinstance(seq, int) and self.first <= seq < self.next

    def get(self, seq: int, default: Any = None) -> Any:
        return self.records[seq - self.first] if self.first <= seq < self.next else default

    def range(self, start: int | None = None, stop: int | None = None) -> list[Any]:
        lo = self.first if start is None or start < self.first else start
        hi = self.next if stop is None or stop > self.next else stop
        return self.records[lo - self.first : hi - self.first] if hi > lo else []


class FrozenSource:
    """The records the ring held when the view was paused, filtered by
    ``match`` (a core Filter, or None for all of them).  The filter scans
    lazily like the live FilterView: ``update(limit)`` looks at more records,
    ``caught_up`` says whether it has seen them all."""

    def __init__(
        self,
        records: list[Any],
        first_seq: int,
        match: Any = None,
        seqs: list[int] | None = None,
        scanned: int | None = None,
    ) -> None:
        """``seqs``: the matching sequence numbers the caller knows already
        (the live FilterView's), found among the records before ``scanned``
        (default: all of them), so pausing does not rescan the ring."""
        self.records = records
        self.first = first_seq
        self._ring = _FrozenRing(records, first_seq)
        self._view: FilterView | None = None
        if match is not None and not getattr(match, "matches_all", False):
            view = FilterView(self._ring, match)
            if seqs is not None:
                view.adopt(seqs, self._ring.next if scanned is None else scanned)
            view.update(FIRST_SCAN)
            self._view = view

    def refilter(self, match: Any) -> FrozenSource:
        """The same records under ``match``.  This source is spent: its
        filter's work is handed over (a narrowing filter tests only the
        current matches, see FilterView.reset)."""
        view = self._view
        if view is None or match is None or getattr(match, "matches_all", False):
            return FrozenSource(self.records, self.first, match)
        fresh = FrozenSource(self.records, self.first)
        fresh._ring = self._ring
        view.reset(match)
        view.update(FIRST_SCAN)
        fresh._view = view
        self._view = None
        return fresh

    @property
    def caught_up(self) -> bool:
        return self._view is None or self._view.caught_up

    def update(self, limit: int | None = None) -> int:
        """Scan up to ``limit`` more records (all when None); new matches."""
        view = self._view
        return view.update(limit) if view is not None and not view.caught_up else 0

    def __len__(self) -> int:
        return len(self._view) if self._view is not None else len(self.records)

    def seq_at(self, index: int) -> int:
        if self._view is not None:
            return self._view.seq_at(index)
        if not 0 <= index < len(self.records):
            raise IndexError(index)
        return self.first + index

    def seqs(self, start: int = 0, stop: int | None = None) -> list[int]:
        if self._view is not None:
            return self._view.seqs(start, stop)
        stop = len(self) if stop is None else min(stop, len(self))
        return list(range(self.first + max(0, start), self.first + max(0, stop)))

    def record(self, seq: int) -> Any:
        return self._ring.get(seq)

    def index_of(self, seq: int) -> int | None:
        if self._view is not None:
            return self._view.index_of(seq)
        i = seq - self.first
        return i if 0 <= i < len(self.records) else None

    def nearest_index(self, seq: int) -> int:
        if self._view is not None:
            return self._view.nearest_index(seq)
        return max(0, min(seq - self.first, len(self.records) - 1))


class EmptySource(FrozenSource):
    def __init__(self) -> None:
        super().__init__([], 0)


# -- columns ------------------------------------------------------------------------------

PROBLEM_MARK = "✖ "
"""Before a key or value that is registry-framed but could not be decoded."""


def columns_for(width: int) -> list[tuple[str, str, int]]:
    """(name, title, width) of the columns that fit ``width`` cells; the value
    takes what is left.  Narrow screens lose the headers count first, then the
    timestamp (80 columns keep the timestamp)."""
    key_width = 16 if width >= 100 else 12
    cols = [("time", "time", 12), ("partition", "p", 3), ("offset", "offset", 9), ("key", "key", key_width)]
    if width < 70:
        cols.pop(0)
    hdr = width >= 100
    fixed = sum(w + 1 for _, _, w in cols) + (4 if hdr else 0)
    cols.append(("value", "value", max(8, width - fixed)))
    if hdr:
        cols.append(("headers", "hdr", 3))
    return cols


@lru_cache(maxsize=16)
def _columns(width: int) -> tuple[tuple[str, str, int], ...]:
    """columns_for(), kept: every drawn line asks."""
    return tuple(columns_for(width))


def header_line(width: int) -> str:
    """Column titles laid out like the rows."""
    parts = []
    for name, title, w in columns_for(width):
        parts.append(title.rjust(w) if name in ("partition", "offset", "headers") else title.ljust(w))
    return " ".join(parts)[:width]


def format_time(ms: int) -> str:
    if ms is None or ms < 0:
        return "-"
    try:
        stamp = datetime.fromtimestamp(ms / 1000)
    except (OverflowError, OSError, ValueError):
        return str(ms)
    return f"{stamp:%H:%M:%S}.{ms % 1000:03d}"


def _fit(text: str, width: int, right: bool = False) -> str:
    """Exactly ``width`` cells (wide characters counted), cut or padded."""
    if right:
        text = text[-width:] if len(text) > width else text
        return set_cell_size(text, width) if len(text) >= width else " " * (width - len(text)) + text
    return set_cell_size(text, width)


# -- the widget -----------------------------------------------------------------------------


class TailView(ScrollView, can_focus=True, inherit_bindings=False):
    """The visible records, newest at the bottom.  The pane owns the keys and
    calls the actions here (``cursor_up``, ``follow`` ...)."""

    COMPONENT_CLASSES = {
        "tail-view--time",
        "tail-view--partition",
        "tail-view--offset",
        "tail-view--key",
        "tail-view--value",
        "tail-view--null",
        "tail-view--headers",
        "tail-view--problem",
        "tail-view--cursor",
        "tail-view--empty",
    }

    DEFAULT_CSS = """
    TailView { height: 1fr; overflow-x: hidden; overflow-y: auto; background: $surface; }
    TailView:focus { background-tint: $foreground 0%; }
    TailView > .tail-view--time { color: $text-muted; }
    TailView > .tail-view--partition { color: $text-secondary; }
    TailView > .tail-view--offset { color: $text-primary; }
    TailView > .tail-view--key { color: $text-accent; }
    TailView > .tail-view--value { color: $foreground; }
    TailView > .tail-view--null { color: $text-muted; text-style: italic; }
    TailView > .tail-view--headers { color: $text-muted; }
    TailView > .tail-view--problem { color: $text-error; text-style: bold; }
    TailView > .tail-view--cursor { background: $primary 35%; }
    TailView > .tail-view--empty { color: $text-muted; }
    """

    class FollowChanged(Message):
        """Follow mode was turned on or off (by the user or by a jump)."""

        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    class LayoutChanged(Message):
        """The width changed: the pane redraws the column titles."""

        def __init__(self, width: int) -> None:
            super().__init__()
            self.width = width

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TailView.LayoutChanged)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source: LiveSource | FrozenSource = EmptySource()
        self.following = True
        self.selected_seq: int | None = None
        self.filter_key = ""
        """Part of the strip cache key: the filter's text."""
        self.empty_text = "No topic: press t to choose one."
        self._anchor_seq: int | None = None
        # A few screens' worth: scrolling back and forth reuses them; more only holds memory.
        self._cache: LRUCache[tuple, Strip] = LRUCache(512)
        self._generation = 0
        self._styles: dict[str, Style] = {}
        self._row_styles: dict[bool, dict[str, Style]] = {}
        self._base_style: Style | None = None
        self._line_width = 0
        """The row width for the frame being drawn (0 outside render_lines)."""
        self._last_width = 0

    # -- source and refresh ----------------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self, _theme: str) -> None:
        # The component styles follow the new theme's CSS after the next refresh.
        self.call_after_refresh(self._restyle)

    def _restyle(self) -> None:
        self.clear_cache()
        self.refresh()

    def clear_cache(self) -> None:
        self._generation += 1
        self._forget_styles()
        self._cache.clear()

    def _forget_styles(self) -> None:
        self._styles = {}
        self._row_styles = {}
        self._base_style = None

    def set_source(self, source: LiveSource | FrozenSource, *, keep_position: bool = True) -> None:
        """Show ``source`` (a new tail, a pause, a new filter)."""
        if not keep_position:
            self._anchor_seq = None
            self.selected_seq = None
        self.source = source
        self.refresh_from_source()

    def refresh_from_source(self) -> None:
        """The source changed (a batch arrived, a filter matched more): update
        the scroll range and keep either the bottom (following) or the record
        at the top of the screen where it was."""
        count = len(self.source)
        self._set_virtual_height(count)
        if count == 0:
            self.scroll_to(y=0, animate=False, force=True)
        elif self.following:
            self.selected_seq = self.source.seq_at(count - 1)
            self.scroll_to(y=max(0, count - self._page()), animate=False, force=True)
        else:
            if self.selected_seq is not None and self.source.index_of(self.selected_seq) is None:
                self.selected_seq = self.source.seq_at(self.source.nearest_index(self.selected_seq))
            if self._anchor_seq is not None:
                top = self.source.nearest_index(self._anchor_seq)
                if top != round(self.scroll_y):
                    self.scroll_to(y=top, animate=False, force=True)
        self.refresh()

    def _set_virtual_height(self, count: int) -> None:
        """``virtual_size`` follows the number of visible records, without
        the screen layout its assignment asks for (a reactive with
        layout=True: every batch would lay out the whole screen again).
        Only the scrollbar's window changes, unless the scrollbar appears or
        disappears (the rows get narrower or wider): then a real layout."""
        size = Size(self._content_width(), count)
        if size == self.virtual_size:
            return
        page = self.scrollable_content_region.height
        scrollbar_before = self.show_vertical_scrollbar
        scrollbar_after = count > page
        if not self.is_mounted or not page or scrollbar_before != scrollbar_after:
            self.virtual_size = size
            return
        self.set_reactive(ScrollView.virtual_size, size)
        if scrollbar_after:
            scrollbar = self.vertical_scrollbar
            scrollbar.window_virtual_size = count
            scrollbar.window_size = page

    @property
    def content_width(self) -> int:
        """Cells a row has (the width without the scrollbar); 0 before layout."""
        return self.scrollable_content_region.width

    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height)

    def on_resize(self, event: events.Resize) -> None:
        width = self._content_width()
        self.virtual_size = Size(width, len(self.source))
        if width != self._last_width:
            self._last_width = width
            self.post_message(self.LayoutChanged(width))
        if self.following:
            self.scroll_to(y=max(0, len(self.source) - self._page()), animate=False, force=True)

    # -- selection and movement (the pane's keys call these) ---------------------------------

    def selected_index(self) -> int | None:
        if not len(self.source):
            return None
        if self.selected_seq is None:
            if self.following:
                return len(self.source) - 1
            return max(0, min(round(self.scroll_y), len(self.source) - 1))
        return self.source.nearest_index(self.selected_seq)

    def selected_record(self) -> Any:
        index = self.selected_index()
        if index is None:
            return None
        return self.source.record(self.source.seq_at(index))

    def select_index(self, index: int) -> None:
        """Select the ``index``-th visible record and bring it on screen."""
        count = len(self.source)
        if not count:
            return
        index = max(0, min(index, count - 1))
        self.selected_seq = self.source.seq_at(index)
        top = round(self.scroll_y)
        page = self._page()
        if index < top:
            self.scroll_to(y=index, animate=False, force=True)
        elif index >= top + page:
            self.scroll_to(y=index - page + 1, animate=False, force=True)
        self._remember_top(index if index < top else None)
        self.refresh()

    def move(self, delta: int) -> None:
        """Move the selection; moving up leaves follow mode."""
        index = self.selected_index()
        if index is None:
            return
        if delta < 0:
            self.set_following(False)
        self.select_index(index + delta)

    def page(self, direction: int) -> None:
        self.move(direction * self._page())

    def go_top(self) -> None:
        self.set_following(False)
        self.select_index(0)

    def follow(self) -> None:
        """Jump to the newest record and stay there."""
        self.set_following(True)
        self.refresh_from_source()

    def set_following(self, following: bool) -> None:
        if following != self.following:
            self.following = following
            if not following:
                self._remember_top()
            self.post_message(self.FollowChanged(following))
            self.refresh()

    def _remember_top(self, index: int | None = None) -> None:
        top = round(self.scroll_y) if index is None else index
        if 0 <= top < len(self.source):
            self._anchor_seq = self.source.seq_at(top)

    # Scrolling up by mouse or scrollbar also leaves follow mode.
    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.set_following(False)
        self.call_after_refresh(self._remember_top)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.call_after_refresh(self._remember_top)

    def on_scroll_up(self, event: Any) -> None:
        self.set_following(False)
        self.call_after_refresh(self._remember_top)

    def on_scroll_to(self, event: Any) -> None:
        if getattr(event, "y", None) is not None and event.y < self.max_scroll_y:
            self.set_following(False)
        self.call_after_refresh(self._remember_top)

    # -- drawing ----------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"tail-view--{name}", partial=False)
        return style

    def _base(self) -> Style:
        # Widget.rich_style walks the ancestors' styles: once per theme, not per line.
        base = self._base_style
        if base is None:
            base = self._base_style = self.rich_style
        return base

    def _styles_for(self, selected: bool) -> dict[str, Style]:
        """Every cell style of a row, composed once (Style additions are not free)."""
        styles = self._row_styles.get(selected)
        if styles is None:
            base = self._base()
            # Component styles carry the widget's background; the cursor's goes on top.
            cursor = Style(bgcolor=self._style("cursor").bgcolor) if selected else Style()
            styles = {
                name: base + self._style(name) + cursor
                for name in ("time", "partition", "offset", "key", "value", "null", "headers", "problem")
            }
            styles["gap"] = base + cursor
            self._row_styles[selected] = styles
        return styles

    def render_lines(self, crop: Region) -> list[Strip]:
        # The width is the same for every line of a frame: work it out once
        # (scrollable_content_region is computed afresh on every access).
        self._line_width = self._content_width()
        try:
            return super().render_lines(crop)
        finally:
            self._line_width = 0

    def render_line(self, y: int) -> Strip:
        width = self._line_width or self._content_width()
        index = round(self.scroll_y) + y
        source = self.source
        if index >= len(source):
            if y == 0 and not len(source):
                text = "No record in the ring matches the filter." if self.filter_key else self.empty_text
                return Strip([Segment(_fit(text, width), self._base() + self._style("empty"))], width)
            return Strip.blank(width, self._base())
        seq = source.seq_at(index)
        if y == 0:
            self._anchor_seq = seq
        selected = seq == self.selected_seq and not self.following and self.has_focus
        record = source.record(seq)
        key = (seq, self.filter_key, selected, width, self._generation, id(record))
        strip = self._cache.get(key)
        if strip is None:
            strip = self._format(record, width, selected)
            self._cache[key] = strip
        return strip

    def on_focus(self) -> None:
        self._forget_styles()
        self.refresh()

    def on_blur(self) -> None:
        self._forget_styles()
        self.refresh()

    def _format(self, record: Any, width: int, selected: bool) -> Strip:
        if record is None:
            return Strip.blank(width, self._base())
        styles = self._styles_for(selected)
        # One segment per column, the gap after it included: a space looks the
        # same in the column's style (same background), and every segment
        # costs Textual work on each frame (filters, crops, terminal output).
        segments: list[Segment] = []
        append = segments.append
        for name, _title, w in _columns(width):
            if name == "time":
                append(Segment(_fit(format_time(record.timestamp), w) + " ", styles["time"]))
            elif name == "partition":
                append(Segment(_fit(str(record.partition), w, right=True) + " ", styles["partition"]))
            elif name == "offset":
                append(Segment(_fit(str(record.offset), w, right=True) + " ", styles["offset"]))
            elif name == "key":
                key = record.key
                if getattr(record, "key_problem", None):
                    append(Segment(PROBLEM_MARK, styles["problem"]))
                    w -= len(PROBLEM_MARK)
                append(Segment(_fit(preview(key, limit=w), w) + " ", styles["key" if key else "null"]))
            elif name == "value":
                value = record.value
                # A framed value that did not decode: its bytes, after a mark
                # (the record detail says why).
                if getattr(record, "value_problem", None):
                    append(Segment(PROBLEM_MARK, styles["problem"]))
                    w -= len(PROBLEM_MARK)
                append(Segment(_fit(preview(value, limit=w), w) + " ", styles["value" if value else "null"]))
            elif name == "headers":
                count = len(record.headers or ())
                append(Segment(_fit(str(count) if count else "", w, right=True) + " ", styles["headers"]))
        # The columns fill the width exactly, plus the last gap: cut that
        # rather than crop (a crop builds a second Strip).
        cells = sum(w + 1 for _name, _title, w in _columns(width))
        if cells == width + 1:
            last = segments[-1]
            segments[-1] = Segment(last.text[:-1], last.style)
            return Strip(segments, width)
        return Strip(segments).crop_extend(0, width, styles["gap"])

    # -- what the pane reads -------------------------------------------------------------------

    def visible_seqs(self) -> Sequence[int]:
        return self.source.seqs()

    def visible_records(self) -> list[Any]:
        """Every visible record, oldest first (for export)."""
        record = self.source.record
        return [r for r in map(record, self.source.seqs()) if r is not None]
