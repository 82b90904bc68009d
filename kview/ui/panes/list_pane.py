"""The base of the list panes (topics, consumer groups; next schemas, ACLs,
transactions): one table of rows made from one refresh, filtered with ``/``
and sorted with ``s``/``S`` or a click on a header, both in memory so that a
keystroke never waits on the network; enter opens the selected row; the
operation keys act on it; a status line that counts the rows and says the
filter, the pane's own notes, the sort and the age of the data (and turns
into an error line when the refresh had problems).

A subclass says what it lists: ``COLUMNS``, ``noun``, the table
(``make_table``), the refresh (``fetch``), the rows (``render_rows``), what
enter opens (``open_message``), and its notes and problems for the status
line.  Its keys come from ``list_bindings``, with ids of its own."""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from kview.core.format import human_count
from kview.ui.panes.base import FilteredPane, PaneStatus, updated_at
from kview.ui.widgets.diff_table import Column, DiffTable
from kview.ui.widgets.fast_table import FastTable
from kview.ui.widgets.filter_bar import FilterBar


def list_bindings(
    pane_id: str, open_description: str, *, extra: Sequence[Binding] = (), operations: Sequence[Binding] = ()
) -> list[BindingType]:
    """A list pane's keys, with ids ``<pane_id>.open``, ``.filter``,
    ``.sort``, ``.reverse``, in the order the footer and the help show them:
    open, filter, the pane's ``extra`` keys, sort, reverse, ``operations``."""
    return [
        Binding("enter", "open", open_description, id=f"{pane_id}.open"),
        Binding("slash", "filter", "Filter", id=f"{pane_id}.filter", key_display="/"),
        *extra,
        Binding("s", "sort_next", "Sort by the next column", id=f"{pane_id}.sort"),
        Binding("S", "sort_reverse", "Reverse the sort order", id=f"{pane_id}.reverse", show=False),
        *operations,
    ]


class ListPane(FilteredPane):
    """A pane listing one kind of thing in a table keyed by its name.

    ``listing`` is the last refresh's result (with a ``taken_at``); the
    table's rows are made from it by ``render_rows``."""

    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    """Every column, the first the default sort (ascending)."""
    UNSORTED: ClassVar[frozenset[str]] = frozenset()
    """Columns the sort key skips (a chart has no order)."""
    noun: ClassVar[str] = "rows"
    """What the count in the status line counts (``12 topics``)."""
    empty_text: ClassVar[str] = ""
    """The count when there is nothing at all (``no consumer groups``); empty: ``0 <noun>``."""
    filter_hint: ClassVar[str] = "filter (esc clears)"
    loading_text: ClassVar[str] = "loading ..."
    took_format: ClassVar[str] = " in {:.2f} s"
    """How long the refresh took, after its time in the status line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.listing: Any = None
        self._refresh_seconds: float | None = None
        """How long the last refresh took (perf_counter seconds)."""
        self._select_after_refresh: str | None = None
        """A row to put the cursor on once a refresh shows it (after an operation)."""

    def compose(self) -> ComposeResult:
        table = self.make_table()
        table.id = f"{self.pane_id}-table"
        table.sort_by(self.COLUMNS[0].key, reverse=False)
        yield table
        yield FilterBar(self.filter_hint, id=f"{self.pane_id}-filter")
        yield PaneStatus(self.loading_text, id=f"{self.pane_id}-status")

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self.theme_changed, init=False)

    def make_table(self) -> DiffTable | FastTable:
        """The table (a DiffTable or a FastTable) over ``COLUMNS``."""
        raise NotImplementedError

    @property
    def table(self) -> Any:
        """The pane's table: a DiffTable or a FastTable, which answer the same calls."""
        return self.query_one(f"#{self.pane_id}-table")

    # -- data --------------------------------------------------------------------------

    async def collect(self) -> Any:
        started = time.perf_counter()
        listing = await self.fetch()
        self._refresh_seconds = time.perf_counter() - started
        return listing

    async def fetch(self) -> Any:
        """One refresh of what the pane lists.  Runs in a worker."""
        raise NotImplementedError

    def show(self, data: Any) -> None:
        self.listing = data
        self.render_rows()
        if self._select_after_refresh is not None:
            self.select(self._select_after_refresh)

    def render_rows(self) -> None:
        """Give the table the rows of ``listing`` that pass the filter, then
        ``update_status``; no network."""
        raise NotImplementedError

    def apply_filter(self) -> None:
        self.render_rows()

    def theme_changed(self, _theme: str) -> None:
        """Cells carry the theme's colours: draw them again."""
        self.render_rows()

    # -- the status line ---------------------------------------------------------------

    def update_status(self, shown: int) -> None:
        """Most useful first, so that 80 columns cut only the tail: the count
        and the filter that explains it, the pane's notes (alarms, problems),
        then the sort, the age of the data and the pane's legend."""
        if self.listing is None:
            return
        parts = [self.count_text(shown)]
        if self.filter_text:
            parts.append(f"filter '{self.filter_text}'")
        parts.extend(self.status_notes())
        table = self.table
        if table.sort_column:
            arrow = "↓" if table.sort_reverse else "↑"
            # (The footer names the s key; S, reverse, is in the help.)
            parts.append(f"sort {self.column_label(table.sort_column)} {arrow}")
        parts.extend(self.status_tail())
        text = " · ".join(parts)
        if self.problems():
            self.show_error(text)
        else:
            self.set_status(text)

    def total_rows(self) -> int:
        """Rows the table holds without a filter."""
        raise NotImplementedError

    def count_text(self, shown: int) -> str:
        total = self.total_rows()
        if not total and self.empty_text:
            return self.empty_text
        if shown != total:
            return f"{human_count(shown)} of {human_count(total)} {self.noun}"
        return f"{human_count(total)} {self.noun}"

    def status_notes(self) -> list[str]:
        """What the status line says after the count and the filter."""
        return []

    def problems(self) -> list[str]:
        """What went wrong in the refresh (the status line turns into an error)."""
        return []

    def status_tail(self) -> list[str]:
        """What the status line ends with: the time of the data and how long it took."""
        took = self.took_format.format(self._refresh_seconds) if self._refresh_seconds is not None else ""
        return [f"{updated_at(self.listing.taken_at)}{took}"]

    def column_label(self, key: str) -> str:
        return next((c.label for c in self.COLUMNS if c.key == key), key)

    # -- selection ---------------------------------------------------------------------

    def select(self, key: str) -> bool:
        """Put the cursor on ``key`` if the table shows it."""
        table = self.table
        try:
            row = table.get_row_index(key)
        except Exception:  # not shown (yet, or filtered out)
            return False
        self._select_after_refresh = None
        table.move_cursor(row=row)
        return True

    def after_change(self, key: str, deleted: bool = False) -> None:
        """After an operation: refresh, and select what it made or changed."""
        self._select_after_refresh = None if deleted else key
        self.poll_now()

    def open_message(self, key: str) -> Message:
        """What enter on the row ``key`` posts (OpenTopic, OpenGroup ...)."""
        raise NotImplementedError

    def action_open(self) -> None:
        key = self.table.selected_key()
        if key is not None:
            self.post_message(self.open_message(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def on_fast_table_row_selected(self, event: FastTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by_column(str(event.column_key.value))

    def on_fast_table_header_selected(self, event: FastTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by_column(event.column_key)

    # -- sorting -----------------------------------------------------------------------

    def default_reverse(self, column: str) -> bool:
        """A column's first direction: biggest first is what one looks for in
        a number."""
        return next(c.numeric for c in self.COLUMNS if c.key == column)

    def sort_by_column(self, column: str, reverse: bool | None = None) -> None:
        """Sort by ``column``; again on the same column reverses."""
        table = self.table
        if reverse is None:
            reverse = not table.sort_reverse if table.sort_column == column else self.default_reverse(column)
        table.sort_by(column, reverse)
        self.update_status(table.row_count)

    def action_sort_next(self) -> None:
        """Sort by the next column shown (a narrow screen hides some)."""
        table = self.table
        keys: list[Hashable] = [c.key for c in table.shown_columns if c.key not in self.UNSORTED] or [
            c.key for c in self.COLUMNS if c.key not in self.UNSORTED
        ]
        current = table.sort_column
        following = keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0]
        self.sort_by_column(str(following), None if following != current else table.sort_reverse)

    def action_sort_reverse(self) -> None:
        table = self.table
        self.sort_by_column(table.sort_column or self.COLUMNS[0].key, not table.sort_reverse)
