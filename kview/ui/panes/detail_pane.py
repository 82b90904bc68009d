"""The base of the detail panes (a topic, a consumer group): one thing in
full, opened from a list or from another detail.  A summary line on top, the
subclass's parts (tables, a chart) below, a status line; enter on a row of
the part named by ``opens`` opens what the row names; the operation keys act
on the thing itself; ``esc`` goes back, and so does an operation that
deleted it.

The parts' ids are ``<parts_prefix>-<name>`` (``detail-partitions``,
``group-members``): ``part_id`` makes them."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from kview.ui.panes.base import Pane, PaneStatus
from kview.ui.widgets.diff_table import DiffTable


class DetailPane(Pane):
    """Shows ``subject`` (a topic's or a group's name); the title says it too."""

    parts_prefix: ClassVar[str] = "detail"
    opens: ClassVar[str] = ""
    """The part (a DiffTable) whose selected row enter opens."""

    def __init__(self, subject: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subject = subject
        self.title = f"{self.title} {subject}"  # type: ignore[misc]
        self.detail: Any = None
        """The last refresh's result (None until the first)."""

    def part_id(self, name: str) -> str:
        return f"{self.parts_prefix}-{name}"

    def compose(self) -> ComposeResult:
        yield Static(f"{self.subject} · loading ...", id=self.part_id("summary"))
        yield from self.compose_parts()
        yield PaneStatus("", id=self.part_id("status"))

    def compose_parts(self) -> ComposeResult:
        """The tables (and charts) between the summary and the status line."""
        yield from ()

    def show_summary(self, text: Text) -> None:
        self.query_one(f"#{self.part_id('summary')}", Static).update(text)

    def after_change(self, key: str, deleted: bool = False) -> None:
        if deleted:
            # From the app, not a worker of this pane: going back removes the pane.
            self.app.call_later(self.kview.action_back)
        else:
            self.poll_now()

    def open_message(self, key: str) -> Message:
        """What enter on the row ``key`` of the ``opens`` part posts."""
        raise NotImplementedError

    def action_open(self) -> None:
        key = self.query_one(f"#{self.part_id(self.opens)}", DiffTable).selected_key()
        if key is not None:
            self.post_message(self.open_message(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id == self.part_id(self.opens):
            self.action_open()
