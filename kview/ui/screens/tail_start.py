"""The tail's modals: where to start (topic, partition, start position, also
used for jumps to an offset or a time) and where to export.

What the user types is parsed by kview.core.inputs (one grammar for every
form); ``parse_start`` turns a mode and its text into a StartPosition."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label, Select

from kview.core.errors import InputError
from kview.core.inputs import parse_count, parse_offsets, parse_partition, parse_when
from kview.core.tail import StartPosition

MODES = (
    ("the last N records per partition", "last"),
    ("new records only (latest)", "latest"),
    ("the beginning (earliest)", "earliest"),
    ("an offset", "offset"),
    ("a date and time", "time"),
)
VALUE_HINTS = {
    "last": "N, e.g. 100",
    "latest": "(nothing to type)",
    "earliest": "(nothing to type)",
    "offset": "1234, or per partition 0:10,1:25",
    "time": "2024-05-01 12:00, 12:30, -15m, -2h",
}
DEFAULT_LAST = 100
DECODING_CHOICES = (
    ("auto (registry framing)", "auto"),
    ("Avro", "avro"),
    ("Protobuf", "protobuf"),
    ("JSON Schema", "json-schema"),
    ("none (raw bytes)", "none"),
)
"""Schema-registry decodings (kview.core.schemas.decoder.DECODINGS), offered
when the profile has a registry."""


def parse_start(mode: str, value: str) -> StartPosition:
    """The StartPosition for a mode and what was typed for it."""
    value = value.strip()
    if mode == "latest":
        return StartPosition.latest()
    if mode == "earliest":
        return StartPosition.earliest()
    if mode == "last":
        if not value:
            return StartPosition.last(DEFAULT_LAST)
        return StartPosition.last(parse_count(value))
    if mode == "offset":
        return StartPosition.at_offset(parse_offsets(value))
    if mode == "time":
        return StartPosition.at_time(parse_when(value))
    raise InputError(f"unknown start position {mode!r}")


@dataclass(frozen=True)
class TailRequest:
    """What the start modal returns."""

    topic: str
    partition: int | None
    start: StartPosition
    key_decoding: str = "auto"
    value_decoding: str = "auto"


class TailStartScreen(ModalScreen[TailRequest | None]):
    """Choose a topic, a partition (or all) and where to start.  ``mode``
    preselects the start position (a jump opens it on 'offset' or 'time')."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="tail_start.cancel"),
        Binding("ctrl+s", "submit", "Start", id="tail_start.submit"),
    ]
    DEFAULT_CSS = """
    TailStartScreen { align: center middle; }
    TailStartScreen > Vertical { width: 76; max-width: 98%; height: auto; border: thick $primary;
                                 background: $surface; padding: 0 1; }
    TailStartScreen Grid { grid-size: 2; grid-columns: 12 1fr; grid-rows: 1; grid-gutter: 1 0; height: auto;
                           margin: 1 0; }
    TailStartScreen Grid.-decodings { grid-columns: 15 1fr; }
    TailStartScreen .title { text-style: bold; }
    TailStartScreen .hint { color: $text-muted; }
    TailStartScreen #tail-start-error { color: $text-error; height: auto; }
    """

    def __init__(
        self,
        topics: list[str],
        *,
        topic: str = "",
        partition: int | None = None,
        mode: str = "last",
        value: str = "",
        partition_counts: dict[str, int] | None = None,
        title: str = "Tail a topic",
        decodings: bool = False,
        key_decoding: str = "auto",
        value_decoding: str = "auto",
    ) -> None:
        """``decodings``: offer the Key/Value decoding choices (the profile
        has a schema registry), preset to ``key_decoding`` / ``value_decoding``."""
        super().__init__()
        self.decodings = decodings
        self._key_decoding = key_decoding
        self._value_decoding = value_decoding
        self.topics = topics
        self.partition_counts = partition_counts or {}
        self._topic = topic
        self._partition = partition
        self._mode = mode
        self._value = value or (str(DEFAULT_LAST) if mode == "last" else "")
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="title")
            with Grid(classes="-decodings" if self.decodings else ""):
                yield Label("Topic")
                yield Input(
                    self._topic,
                    placeholder="topic name (tab completes)",
                    id="tail-topic",
                    compact=True,
                    suggester=SuggestFromList(self.topics, case_sensitive=False),
                )
                yield Label("Partition")
                yield Input(
                    "" if self._partition is None else str(self._partition),
                    placeholder="all",
                    id="tail-partition",
                    compact=True,
                )
                yield Label("Start at")
                yield Select(
                    [(label, mode) for label, mode in MODES],
                    value=self._mode,
                    allow_blank=False,
                    id="tail-mode",
                    compact=True,
                )
                yield Label("Value")
                yield Input(self._value, placeholder=VALUE_HINTS.get(self._mode, ""), id="tail-value", compact=True)
                if self.decodings:
                    yield Label("Key decoding")
                    yield Select(
                        list(DECODING_CHOICES),
                        value=self._key_decoding,
                        allow_blank=False,
                        id="tail-key-decoding",
                        compact=True,
                    )
                    yield Label("Value decoding")
                    yield Select(
                        list(DECODING_CHOICES),
                        value=self._value_decoding,
                        allow_blank=False,
                        id="tail-value-decoding",
                        compact=True,
                    )
            yield Label("", id="tail-start-error")
            yield Label("enter or ctrl+s starts · tab moves · esc cancels", classes="hint")

    def on_mount(self) -> None:
        if self._topic and self._mode in ("offset", "time"):
            self.query_one("#tail-value", Input).focus()
        else:
            self.query_one("#tail-topic", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "tail-mode":
            return
        value = self.query_one("#tail-value", Input)
        value.placeholder = VALUE_HINTS.get(str(event.value), "")
        if event.value == "last" and not value.value:
            value.value = str(DEFAULT_LAST)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def request(self) -> TailRequest:
        """The form as a TailRequest; ValueError says what is wrong."""
        topic = self.query_one("#tail-topic", Input).value.strip()
        if not topic:
            raise ValueError("type the topic to tail")
        if self.topics and topic not in self.topics:
            raise ValueError(f"there is no topic named '{topic}'")
        partition = parse_partition(self.query_one("#tail-partition", Input).value, self.partition_counts.get(topic))
        mode = str(self.query_one("#tail-mode", Select).value)
        start = parse_start(mode, self.query_one("#tail-value", Input).value)
        if not self.decodings:
            return TailRequest(topic, partition, start, self._key_decoding, self._value_decoding)
        key_decoding = str(self.query_one("#tail-key-decoding", Select).value)
        value_decoding = str(self.query_one("#tail-value-decoding", Select).value)
        return TailRequest(topic, partition, start, key_decoding, value_decoding)

    def action_submit(self) -> None:
        try:
            request = self.request()
        except ValueError as exc:
            self.query_one("#tail-start-error", Label).update(str(exc))
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- export -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    path: Path
    selected_only: bool
    raw: bool = False
    """Write the bytes Kafka holds too (key_raw/value_raw, base64)."""


def default_export_path(topic: str, now: datetime | None = None, directory: Path | None = None) -> Path:
    """``./kview-<topic>-<YYYYmmdd-HHMMSS>.jsonl`` in the current directory."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", topic) or "tail"
    return (directory or Path.cwd()) / f"kview-{safe}-{stamp}.jsonl"


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Ask where to write the records shown (or only the selected one)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="tail_export.cancel"),
        Binding("ctrl+s", "submit", "Export", id="tail_export.submit"),
    ]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 76; max-width: 98%; height: auto; border: thick $primary;
                              background: $surface; padding: 0 1; }
    ExportScreen .title { text-style: bold; }
    ExportScreen .hint { color: $text-muted; }
    ExportScreen #export-error { color: $text-error; height: auto; }
    """

    def __init__(self, default_path: Path, shown: int, has_selection: bool, decoded: bool = False) -> None:
        """``decoded``: records were decoded with a schema registry (offer,
        and preselect, writing their raw bytes too)."""
        super().__init__()
        self.default_path = default_path
        self.shown = shown
        self.has_selection = has_selection
        self.decoded = decoded

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Export {self.shown:,} record(s) shown to a JSON Lines file", classes="title")
            yield Input(str(self.default_path), id="export-path", compact=True)
            yield Checkbox(
                "only the selected record",
                value=False,
                id="export-selected",
                disabled=not self.has_selection,
                compact=True,
            )
            if self.decoded:
                # On by default: without them the file cannot be re-produced
                # byte for byte (it holds the decoded JSON only).
                yield Checkbox(
                    "raw bytes too (base64; re-producible exactly)",
                    value=True,
                    id="export-raw",
                    compact=True,
                )
            yield Label("", id="export-error")
            yield Label("enter exports · esc cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.query_one("#export-error", Label).update("type a file name")
            return
        path = Path(text).expanduser()
        if not path.parent.is_dir():
            self.query_one("#export-error", Label).update(f"there is no directory {path.parent}")
            return
        raw = self.decoded and self.query_one("#export-raw", Checkbox).value
        self.dismiss(ExportRequest(path, self.query_one("#export-selected", Checkbox).value, raw))

    def action_cancel(self) -> None:
        self.dismiss(None)
