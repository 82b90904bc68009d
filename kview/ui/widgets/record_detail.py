"""One tailed record in full, shown by the tail pane in place of its list:
key, headers, timestamp and its type, partition, offset and the whole value,
pretty-printed (JSON highlighted in the theme's colours, text, or a hex dump
for binary).

The list shows previews cut to the screen; here nothing is cut (a hex or
base64 dump stops at DETAIL_MAX_BYTES with a note).  The body is a Line-API
view too, so a 5 MB value scrolls as fast as a small one; values above
THREAD_RENDER_BYTES are laid out in a thread so the UI never stalls.

A record decoded with a schema registry (kview.core.schemas.decoder) shows
its decoded key and value (JSON, pretty) with a line per part saying which
schema decoded it (id, type, subject, version, the Protobuf message), or the
one-line reason it was left as bytes; ``r`` shows the bytes Kafka holds
instead (a hex dump of the raw key and value)."""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Label

from kview.core.codecs import (
    AUTO_JSON_LIMIT,
    KEY,
    NULL,
    NUMBER,
    PLAIN,
    PUNCT,
    SPACE,
    STRING,
    TRUNCATED,
    preview,
    render,
    sanitize,
)
from kview.core.format import human_bytes
from kview.core.ring import timestamp_type_name

LABEL, MUTED, NOTE, HEADING = "label", "muted", "note", "heading"
DETAIL_MAX_BYTES = 16 << 20
THREAD_RENDER_BYTES = 256 << 10
VALUE_FORMATS = ("auto", "json", "text", "hex", "base64")
WRAP_CELLS = 1000
"""Value lines longer than this continue on the next line (nothing is cut)."""
PROBLEM_WIDTH = 66
"""Characters per line of a 'not decoded' reason (after the 11-cell label)."""
MAX_LINE_CELLS = 4000
"""A safety net for the other lines: cut here, with the marker."""

Line = tuple[tuple[str, str], ...]


def format_timestamp(ms: int) -> str:
    if ms is None or ms < 0:
        return "none"
    try:
        stamp = datetime.fromtimestamp(ms / 1000).astimezone()
    except (OverflowError, OSError, ValueError):
        return f"{ms} ms"
    return stamp.isoformat(sep=" ", timespec="milliseconds")


def _field(label: str, *tokens: tuple[str, str]) -> Line:
    return ((LABEL, f"{label:<11}"), *tokens)


def schema_text(info: Any) -> str:
    """A decoder.SchemaInfo in words: 'id 7 · AVRO · orders-value v2'."""
    parts = [f"id {info.schema_id}", str(info.type)]
    if info.subject:
        parts.append(f"{info.subject} v{info.version}" if info.version is not None else info.subject)
    if info.message:
        parts.append(f"message {info.message}")
    return " · ".join(parts)


def _schema_lines(record: Any, part: str) -> list[Line]:
    """What decoded the key or value of a decoded record, or why it was not
    (both when the schema is known but the bytes did not fit it); nothing
    for a record that went through no decoder."""
    if not hasattr(record, "raw_value"):
        return []
    info = getattr(record, f"{part}_schema", None)
    problem = getattr(record, f"{part}_problem", None)
    label = "Key schema" if part == "key" else "Schema"
    lines: list[Line] = []
    if info is not None:
        lines.append(_field(label, (PLAIN, schema_text(info))))
    if problem:
        # Wrapped to fit 80 columns: the reason is what the user came to read.
        text = textwrap.wrap(f"not decoded: {problem}", PROBLEM_WIDTH) or [""]
        lines.append(_field("" if info is not None else label, (NOTE, text[0])))
        lines.extend(_field("", (NOTE, more)) for more in text[1:])
    return lines


def detail_lines(record: Any, value_format: str = "auto", raw: bool = False) -> list[Line]:
    """Everything the detail shows, as (kind, text) tokens per line.
    ``raw``: a decoded record's key and value as the bytes Kafka holds (hex)."""
    if raw and hasattr(record, "raw_value"):
        return _raw_lines(record)
    lines: list[Line] = [
        _field("Topic", (PLAIN, record.topic)),
        _field("Partition", (NUMBER, str(record.partition))),
        _field("Offset", (NUMBER, str(record.offset))),
        _field(
            "Timestamp",
            (PLAIN, format_timestamp(record.timestamp)),
            (MUTED, f"  {timestamp_type_name(record)}, {record.timestamp} ms"),
        ),
    ]
    lines.extend(_schema_lines(record, "key"))
    key = record.key
    if key is None:
        lines.append(_field("Key", (NULL, "null")))
    else:
        rendered = render(key)
        about = f"  {rendered.format}, {human_bytes(len(key))}"
        if len(rendered.lines) == 1:
            lines.append(_field("Key", *rendered.lines[0], (MUTED, about)))
        else:
            lines.append(_field("Key", (MUTED, about.strip())))
            lines.extend(((SPACE, "  "), *line) for line in rendered.lines)
        if rendered.note and rendered.format != "empty":
            lines.append(((LABEL, " " * 11), (NOTE, rendered.note)))
    headers = tuple(record.headers or ())
    lines.append(_field("Headers", (MUTED, str(len(headers)) if headers else "none")))
    for name, data in headers:
        value_tokens = (NULL, "null") if data is None else (STRING if data else MUTED, preview(data, limit=400))
        # Header names are any string a producer chose: control characters
        # in them are made visible like those in values.
        lines.append(((SPACE, "  "), (KEY, sanitize(name)), (PUNCT, ": "), value_tokens))
    lines.extend(_schema_lines(record, "value"))
    value = record.value
    if value is None:
        lines.append(_field("Value", (NULL, "null"), (MUTED, "  a tombstone (null value)")))
        return lines
    if value_format == "auto" and len(value) > AUTO_JSON_LIMIT and value.lstrip()[:1] in (b"{", b"["):
        # auto does not parse big values for the list; the detail shows them whole.
        value_format = "json"
    rendered = render(value, value_format, max_bytes=DETAIL_MAX_BYTES)
    about = f"{rendered.format}, {human_bytes(len(value))}"
    lines.append(_field("Value", (MUTED, about), *(((NOTE, f"  {rendered.note}"),) if rendered.note else ())))
    lines.append(())
    for line in rendered.lines:
        if sum(len(t) for _, t in line) > WRAP_CELLS:
            lines.extend(wrap_line(line, WRAP_CELLS))
        else:
            lines.append(line)
    return lines


def _raw_lines(record: Any) -> list[Line]:
    """A decoded record as Kafka holds it: key and value as hex dumps."""
    lines: list[Line] = [
        _field("Topic", (PLAIN, record.topic)),
        _field("Partition", (NUMBER, str(record.partition))),
        _field("Offset", (NUMBER, str(record.offset))),
        _field("Shown", (NOTE, "the raw bytes Kafka holds (r shows the decoded record)")),
    ]
    for label, data in (("Key", record.raw_key), ("Value", record.raw_value)):
        if data is None:
            lines.append(_field(label, (NULL, "null")))
            continue
        rendered = render(data, "hex", max_bytes=DETAIL_MAX_BYTES)
        note = ((NOTE, f"  {rendered.note}"),) if rendered.note else ()
        lines.append(_field(label, (MUTED, f"hex, {human_bytes(len(data))}"), *note))
        lines.extend(rendered.lines)
        lines.append(())
    return lines


def wrap_line(line: Line, width: int) -> list[Line]:
    """A long token line cut into lines of ``width`` characters, kinds kept
    (a one-line 3 MB text value is shown whole, not cut at the screen's edge)."""
    out: list[Line] = []
    current: list[tuple[str, str]] = []
    room = width
    for kind, text in line:
        while text:
            piece, text = text[:room], text[room:]
            current.append((kind, piece))
            room -= len(piece)
            if room == 0:
                out.append(tuple(current))
                current, room = [], width
    if current:
        out.append(tuple(current))
    return out


class DetailBody(ScrollView, can_focus=True):
    """Token lines on the Line API: only what is on screen is drawn."""

    COMPONENT_CLASSES = {
        "detail--key",
        "detail--string",
        "detail--number",
        "detail--bool",
        "detail--null",
        "detail--punct",
        "detail--label",
        "detail--muted",
        "detail--note",
        "detail--plain",
    }
    DEFAULT_CSS = """
    DetailBody { height: 1fr; background: $surface; }
    DetailBody > .detail--key { color: $text-primary; }
    DetailBody > .detail--string { color: $text-success; }
    DetailBody > .detail--number { color: $text-warning; }
    DetailBody > .detail--bool { color: $text-accent; }
    DetailBody > .detail--null { color: $text-error; text-style: italic; }
    DetailBody > .detail--punct { color: $text-muted; }
    DetailBody > .detail--label { color: $text-secondary; text-style: bold; }
    DetailBody > .detail--muted { color: $text-muted; }
    DetailBody > .detail--note { color: $text-warning; text-style: italic; }
    DetailBody > .detail--plain { color: $foreground; }
    """

    def __init__(self, **kwargs: Any) -> None:
        # Before Widget's own set-up, which may already report a style update.
        self.lines: list[Line] = []
        self._cache: LRUCache[int, list[Segment]] = LRUCache(1024)
        self._styles: dict[str, Style] = {}
        super().__init__(**kwargs)

    def notify_style_update(self) -> None:
        # A new theme (or this widget's own styles changed): colours again.
        # The pane keeps this widget for the whole session.
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()

    def set_lines(self, lines: list[Line]) -> None:
        self.lines = lines
        self._cache.clear()
        width = max((sum(len(t) for _, t in line) for line in lines[:20000]), default=0)
        self.virtual_size = Size(min(width, MAX_LINE_CELLS) + 1, len(lines))
        self.scroll_to(0, 0, animate=False, force=True)
        self.refresh()

    def plain_text(self) -> str:
        return "\n".join("".join(t for _, t in line) for line in self.lines)

    def _style(self, kind: str) -> Style:
        style = self._styles.get(kind)
        if style is None:
            name = (
                kind
                if kind in ("key", "string", "number", "bool", "null", "punct", "label", "muted", "note")
                else "plain"
            )
            style = self._styles[kind] = self.get_component_rich_style(f"detail--{name}", partial=False)
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        if index >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        segments = self._cache.get(index)
        if segments is None:
            base = self.rich_style
            segments = []
            cells = 0
            for kind, text in self.lines[index]:
                if cells + len(text) > MAX_LINE_CELLS:
                    text = text[: max(0, MAX_LINE_CELLS - cells - 1)] + TRUNCATED
                segments.append(Segment(text, base + self._style(kind)))
                cells += len(text)
                if cells >= MAX_LINE_CELLS:
                    break
            self._cache[index] = segments
        x = round(self.scroll_x)
        return Strip(segments).crop_extend(x, x + width, self.rich_style)


class RecordDetail(Vertical):
    """The selected record in full, inside the tail pane in place of the list;
    ``f`` changes how the value is shown, ``esc`` closes.

    Built once with the pane and shown or hidden (``show_record`` swaps the
    record): opening it costs a repaint of the pane, not a screen built,
    styled and laid out (a pushed screen made the first opening the slowest
    key of a busy tail), and the pane's status line keeps counting above the
    footer while a record is read."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="detail.close"),
        Binding("f", "cycle_format", "Value format", id="detail.format"),
        Binding("r", "toggle_raw", "Raw bytes", id="detail.raw"),
    ]
    DEFAULT_CSS = """
    RecordDetail { height: 1fr; }
    RecordDetail #detail-title { text-style: bold; padding: 0 1; background: $panel; width: 100%; }
    RecordDetail #detail-hint { color: $text-muted; padding: 0 1; background: $panel; width: 100%; }
    """

    class Closed(Message):
        """The user closed the detail (esc or q)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.record: Any = None
        self.value_format = "auto"
        self.raw = False
        """Show a decoded record's raw bytes (r) instead of its decoded key and value."""

    def compose(self) -> ComposeResult:
        yield Label("", id="detail-title", markup=False)
        yield DetailBody(id="detail-body")
        yield Label("", id="detail-hint", markup=False)

    @property
    def body(self) -> DetailBody:
        return self.query_one(DetailBody)

    def show_record(self, record: Any, value_format: str = "auto") -> None:
        """Show ``record`` from its top, its value as ``value_format``."""
        self.record = record
        self.value_format = value_format
        self.raw = False
        self.refresh_bindings()  # r: decoded records only (check_action)
        self.query_one("#detail-title", Label).update(
            f"{record.topic}  partition {record.partition}  offset {record.offset}"
        )
        self._show()

    def _show(self) -> None:
        self._hint()
        value = self.record.raw_value if self.raw and hasattr(self.record, "raw_value") else self.record.value
        if value is not None and len(value) > THREAD_RENDER_BYTES:
            self.body.set_lines([((MUTED, f"laying out {human_bytes(len(value))} ..."),)])
            self._render_in_thread(self.record, self.value_format, self.raw)
        else:
            self.body.set_lines(detail_lines(self.record, self.value_format, self.raw))

    @work(thread=True, exclusive=True, group="detail-render", exit_on_error=False)
    def _render_in_thread(self, record: Any, value_format: str, raw: bool) -> None:
        lines = detail_lines(record, value_format, raw)
        self.app.call_from_thread(self._rendered, record, value_format, raw, lines)

    def _rendered(self, record: Any, value_format: str, raw: bool, lines: list[Line]) -> None:
        if record is self.record and (value_format, raw) == (self.value_format, self.raw) and self.is_mounted:
            self.body.set_lines(lines)

    def _hint(self) -> None:
        if self.raw and hasattr(self.record, "raw_value"):
            text = "raw bytes (r shows decoded) · arrows, pgup/pgdn scroll · esc closes"
        elif hasattr(self.record, "raw_value"):
            text = f"value as {self.value_format} (f changes, r raw bytes) · esc closes"
        else:
            text = f"value as {self.value_format} (f changes) · arrows, pgup/pgdn scroll · esc closes"
        self.query_one("#detail-hint", Label).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # r only means something for a decoded record (others show their
        # bytes already): out of the footer otherwise.
        if action == "toggle_raw":
            return hasattr(self.record, "raw_value")
        return True

    def action_toggle_raw(self) -> None:
        if self.record is None or not hasattr(self.record, "raw_value"):
            return
        self.raw = not self.raw
        self._show()

    def action_cycle_format(self) -> None:
        if self.record is None:
            return
        i = VALUE_FORMATS.index(self.value_format) if self.value_format in VALUE_FORMATS else 0
        self.value_format = VALUE_FORMATS[(i + 1) % len(VALUE_FORMATS)]
        self._show()

    def action_close(self) -> None:
        self.post_message(self.Closed())
