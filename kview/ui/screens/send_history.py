"""The sent-messages modal: the producer's history, newest first; ``enter``
re-opens a message in the pane's form to edit and send again."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from kview.core.produce import HistoryEntry
from kview.ui.widgets.measured_table import MeasuredTable


def _short(text: str | None, width: int) -> str:
    if text is None:
        return "null"
    line = text.replace("\n", "⏎")
    return line if len(line) <= width else line[: width - 1] + "…"


class SendHistoryScreen(ModalScreen[int | None]):
    """The result is the index of the entry to re-open (0 = newest), or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="history.close")]
    DEFAULT_CSS = """
    SendHistoryScreen { align: center middle; }
    SendHistoryScreen #dialog {
        width: 100; max-width: 100%; height: 80%; min-height: 10;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    SendHistoryScreen .title { text-style: bold; }
    SendHistoryScreen .muted { color: $text-muted; }
    SendHistoryScreen DataTable { height: 1fr; }
    """

    def __init__(self, entries: tuple[HistoryEntry, ...]) -> None:
        super().__init__()
        self.entries = entries

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Sent messages ({len(self.entries)}, newest first)", classes="title")
            yield Static("enter: open in the form to edit and send again · esc: close", classes="muted")
            table = MeasuredTable(id="history-table", cursor_type="row", zebra_stripes=True)
            for key, label in (
                ("at", "Sent"),
                ("topic", "Topic"),
                ("partition", "P"),
                ("offset", "Offset"),
                ("key", "Key"),
                ("value", "Value"),
            ):
                table.add_column(label, key=key)
            table.fill(
                (
                    (
                        time.strftime("%H:%M:%S", time.localtime(entry.sent_at)),
                        _short(entry.message.topic, 24),
                        "-" if entry.result.partition < 0 else str(entry.result.partition),
                        "-" if entry.result.offset is None else str(entry.result.offset),
                        _short(entry.message.key, 16),
                        _short(entry.message.value, 40),
                    ),
                    str(index),
                )
                for index, entry in enumerate(self.entries)
            )
            yield table
            if not self.entries:
                yield Static("Nothing sent yet: messages sent with ctrl+s appear here.", id="history-empty")

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.dismiss(int(event.row_key.value))
