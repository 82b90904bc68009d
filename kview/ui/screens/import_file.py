"""The file-import modal: path, format (JSON Lines or the console producer's
line format with a key separator), a preview of the first records, then the
import with progress.  A file with bad lines is refused whole, naming them.
With a schema in the settings the preview also encodes the first records
with it, so a record that does not fit shows as a bad line (with its field
path) before the import is started."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Select, Static
from textual.worker import Worker

from kview.core.errors import KViewError
from kview.core.importers import FileFormat, ImportOptions, Preview, RecordEncoding, preview_file
from kview.core.produce import ProducerSettings, ProduceService
from kview.ui.screens.produce_job import JobScreen
from kview.ui.screens.produce_load import parse_number
from kview.ui.widgets.measured_table import MeasuredTable

PREVIEW_ROWS = 20
FORMAT_HINTS = {
    FileFormat.JSONL: 'one JSON object per line: {"key": .., "value": .., "headers": {..}, "partition": n}',
    FileFormat.CONSOLE: "one message per line: KEY<separator>VALUE (\\t means tab)",
}


def unescape_separator(text: str) -> str:
    """What the user typed as a separator: ``\\t`` is a tab, ``\\\\`` a backslash
    (a tab cannot be typed into a field: tab moves the focus)."""
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "t\\":
            out.append("\t" if text[i + 1] == "t" else "\\")
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _cell(data: bytes | None, width: int = 40) -> str:
    if data is None:
        return "null"
    text = data.decode("utf-8", errors="replace").replace("\n", "⏎")
    return text if len(text) <= width else text[: width - 1] + "…"


class ImportFileScreen(JobScreen):
    """Import a file into a topic (``topic`` pre-filled from the pane)."""

    start_label = "Import"
    DEFAULT_CSS = """
    ImportFileScreen .row { margin-top: 0; }
    ImportFileScreen .title { margin-bottom: 1; }
    ImportFileScreen #import-partition { width: 12; }
    ImportFileScreen #import-format { width: 24; margin-right: 1; }
    ImportFileScreen #import-separator { width: 6; }
    ImportFileScreen #import-null { width: 1fr; }
    ImportFileScreen #import-preview { height: 8; margin-top: 1; }
    ImportFileScreen #import-preview-note { height: auto; }
    ImportFileScreen #import-preview-note.-bad { color: $text-warning; }
    """

    def __init__(
        self,
        service: ProduceService,
        settings: ProducerSettings,
        *,
        topic: str = "",
        topics: list[str] | None = None,
        path: str = "",
    ) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self.topic = topic
        self.topics = topics or []
        self.initial_path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Import messages from a file", classes="title")
            with Horizontal(classes="row"):
                yield Label("File")
                yield Input(
                    self.initial_path, id="import-path", placeholder="path of a .jsonl or text file", compact=True
                )
            with Horizontal(classes="row"):
                yield Label("Topic")
                yield Input(
                    self.topic,
                    id="import-topic",
                    placeholder="topic",
                    suggester=SuggestFromList(self.topics, case_sensitive=True),
                    compact=True,
                )
                yield Label("Partition")
                yield Input(id="import-partition", placeholder="from file", restrict=r"\d*", compact=True)
            with Horizontal(classes="row"):
                yield Label("Format")
                yield Select(
                    [("JSON Lines", FileFormat.JSONL), ("Console lines", FileFormat.CONSOLE)],
                    value=FileFormat.JSONL,
                    allow_blank=False,
                    id="import-format",
                    compact=True,
                )
                yield Label("Separator")
                yield Input("\\t", id="import-separator", compact=True)
                yield Label("Null marker")
                yield Input(id="import-null", placeholder="none", compact=True)
            yield Static(FORMAT_HINTS[FileFormat.JSONL], id="import-hint", classes="muted")
            table = MeasuredTable(id="import-preview", cursor_type="row", zebra_stripes=True)
            table.add_column("Line", key="line")
            table.add_column("P", key="partition")
            table.add_column("Key", key="key")
            table.add_column("Value", key="value")
            table.add_column("Headers", key="headers")
            yield table
            yield Static("type a path to preview the file", id="import-preview-note", classes="muted")
            yield from self.job_controls()

    def on_mount(self) -> None:
        self._format_changed()
        self.query_one("#import-path", Input).focus()
        if self.initial_path:
            self._refresh_preview()

    # -- fields --

    def options(self) -> ImportOptions:
        """The reading options the fields describe (ImportFileError when invalid)."""
        fmt = self.query_one("#import-format", Select).value
        null = self.query_one("#import-null", Input).value
        return ImportOptions(
            format=fmt if isinstance(fmt, FileFormat) else FileFormat.JSONL,
            key_separator=unescape_separator(self.query_one("#import-separator", Input).value),
            null_marker=null or None,
        )

    def path(self) -> Path | None:
        text = self.query_one("#import-path", Input).value.strip()
        return Path(text).expanduser() if text else None

    def _format_changed(self) -> None:
        fmt = self.query_one("#import-format", Select).value
        console = fmt is FileFormat.CONSOLE
        for field_id in ("#import-separator", "#import-null"):
            self.query_one(field_id, Input).disabled = not console
        self.query_one("#import-hint", Static).update(FORMAT_HINTS[FileFormat.CONSOLE if console else FileFormat.JSONL])

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._format_changed()
        self._refresh_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id in ("import-path", "import-separator", "import-null"):
            self._refresh_preview()
        elif event.input.id == "import-topic" and self.settings.uses_schemas:
            self._refresh_preview()  # a subject may follow the topic
        elif event.input.id == "import-topic" and self.settings.uses_schemas:
            self._refresh_preview()  # a subject may follow the topic

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.begin()

    # -- preview --

    def _refresh_preview(self) -> Worker[None]:
        # The declared Worker[None] lets mypy infer run_worker's result type
        # (it cannot from an async method alone).
        return self.run_worker(self._preview, exclusive=True, group="import-preview", exit_on_error=False)

    async def _preview(self) -> None:
        await asyncio.sleep(0.15)  # typing a path: read once the keys pause
        note = self.query_one("#import-preview-note", Static)
        table = self.query_one("#import-preview", MeasuredTable)
        path = self.path()
        if path is None:
            table.clear()
            note.update("type a path to preview the file")
            note.remove_class("-bad")
            return
        try:
            options = self.options()
            preview = await asyncio.to_thread(preview_file, path, options, PREVIEW_ROWS)
        except KViewError as exc:
            table.clear()
            note.update(str(exc))
            note.add_class("-bad")
            return
        if self.settings.uses_schemas:
            # The table shows the file's text; the problems are those of the
            # records encoded with the schema (the import's own check).
            topic = self.query_one("#import-topic", Input).value.strip()
            try:
                encoders = await self.service.encoders(topic, self.settings)
                encoding = RecordEncoding(encoders.field_encoder("key"), encoders.field_encoder("value"))
                encoded = await asyncio.to_thread(preview_file, path, options, PREVIEW_ROWS, encoding)
            except KViewError as exc:
                self._show_preview(preview)
                note.update(f"schema: {exc}")
                note.add_class("-bad")
                return
            preview = Preview(preview.records, encoded.problems, max(preview.lines_read, encoded.lines_read))
        self._show_preview(preview)

    def _show_preview(self, preview: Preview) -> None:
        table = self.query_one("#import-preview", MeasuredTable)
        note = self.query_one("#import-preview-note", Static)
        table.fill(
            (
                (
                    str(record.line),
                    "auto" if record.partition is None else str(record.partition),
                    _cell(record.key, 20),
                    _cell(record.value),
                    ", ".join(f"{name}={_cell(value, 12)}" for name, value in record.headers),
                ),
                None,
            )
            for record in preview.records
        )
        shown = f"first {len(preview.records)} record(s) of lines 1-{preview.lines_read}"
        if preview.problems:
            bad = "; ".join(str(p) for p in preview.problems[:3])
            note.update(f"{shown}; bad lines: {bad}")
            note.add_class("-bad")
        else:
            note.update(shown if preview.records else "no records in the first lines")
            note.remove_class("-bad")

    # -- import --

    def begin(self) -> None:
        path = self.path()
        topic = self.query_one("#import-topic", Input).value.strip()
        if path is None:
            self.set_problem("nothing sent: choose a file")
            return
        if not topic:
            self.set_problem("nothing sent: choose a topic")
            return
        try:
            partition = parse_number(self.query_one("#import-partition", Input).value, "the partition", whole=True)
            options = self.options()
        except (ValueError, KViewError) as exc:
            self.set_problem(f"nothing sent: {exc}")
            return
        self.start(lambda: self.service.start_import(path, topic, options, self.settings, partition=partition))
