"""A table for thousands of rows, drawn with the Line API.

Textual's DataTable measures every cell of every row it is given, so
rebuilding it for a filter keystroke or a re-sort of 5,000 topics takes
seconds.  FastTable keeps the rows as plain Python data and draws only the
lines on screen: filtering and sorting are list operations, a refresh
re-renders about one screen of lines.

It speaks DiffTable's language (``Column``, ``set_rows([(key, cells, raw)])``,
``sort_by``, ``selected_key``, priority-driven column dropping, elastic name
columns) and, like DiffTable, keeps the cursor on the same row key across
updates, at the same place on the screen.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kview.ui.widgets.diff_table import Cell, Column, Row


class FastTable(ScrollView, can_focus=True):
    """Rows ``(key, cells, raw sort values)``; one header line that does not
    scroll; a row cursor moved with the arrow keys and the mouse."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(False)", "First row", show=False),
        Binding("end", "edge(True)", "Last row", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    COMPONENT_CLASSES = {
        "fast-table--header",
        "fast-table--even-row",
        "fast-table--cursor",
    }

    DEFAULT_CSS = """
    FastTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        scrollbar-size-vertical: 1;
        & > .fast-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .fast-table--even-row { background: $surface-lighten-1 50%; }
        & > .fast-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .fast-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        &:dark > .fast-table--even-row { background: $surface-darken-1 40%; }
    }
    """

    class RowSelected(Message):
        """Enter (or a click on the cursor row) on a row."""

        def __init__(self, table: FastTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> FastTable:
            return self.table

    class HeaderSelected(Message):
        """A click on a column title."""

        def __init__(self, table: FastTable, column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

        @property
        def control(self) -> FastTable:
            return self.table

    class CursorMoved(Message):
        """The cursor is on another row (by key; None when the table is empty)."""

        def __init__(self, table: FastTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> FastTable:
            return self.table

    def __init__(self, columns: Sequence[Column], *, elastic: Sequence[tuple[str, int]] = (),
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.all_columns = tuple(columns)
        self.declared = {c.key: c.width for c in columns}
        self.elastic = tuple(elastic)
        """(column key, max width): in order, these grow into the spare width."""
        self.shown_columns: tuple[Column, ...] = ()
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._rows: dict[str, tuple[Sequence[Cell], Sequence[Any]]] = {}
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._lines: dict[tuple[int, str, bool], Strip] = {}

    # -- columns ---------------------------------------------------------------------

    def columns_for_width(self, width: int) -> tuple[Column, ...]:
        """The columns that fit ``width`` (the highest priority dropped first),
        the elastic ones widened into what is left."""
        width -= self.styles.scrollbar_size_vertical
        chosen = [replace(c, width=self.declared[c.key]) for c in self.all_columns]
        while len(chosen) > 1 and sum(c.width + 2 for c in chosen) > width:
            chosen.remove(max(chosen, key=lambda c: (c.priority, chosen.index(c))))
        spare = width - sum(c.width + 2 for c in chosen)
        for key, most in self.elastic:
            for i, column in enumerate(chosen):
                if column.key == key and spare > 0:
                    extra = min(spare, max(0, most - column.width))
                    chosen[i] = replace(column, width=column.width + extra)
                    spare -= extra
        return tuple(chosen)

    def on_mount(self) -> None:
        self._fit_columns()

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        wanted = self.columns_for_width(self.size.width or self.app.size.width)
        if wanted != self.shown_columns:
            self.shown_columns = wanted
            self._changed()

    # -- rows ------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def rows(self) -> dict[str, tuple[Sequence[Cell], Sequence[Any]]]:
        """Every row by key (the membership, in no particular order)."""
        return self._rows

    def keys(self) -> list[str]:
        """Row keys, top to bottom."""
        return list(self._order)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        return self._order[self._cursor] if self._order else None

    def selected_key(self) -> str | None:
        return self.cursor_key

    def get_row_index(self, key: Hashable) -> int:
        """The row's position, top to bottom; KeyError when not shown."""
        return self._index[str(key)]

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show exactly ``rows``; the cursor stays on its row key, at the same
        place on the screen."""
        # Cells kept as given: rows a pane caches compare by identity, fast.
        new = {str(key): (cells, raw) for key, cells, raw in rows}
        if new == self._rows:
            return
        self._rows = new
        self._reorder()

    def sort_by(self, column_key: str | None, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if self.sort_column == column_key else False
        self.sort_column, self.sort_reverse = column_key, reverse
        self._reorder()

    def _reorder(self) -> None:
        key_before = self.cursor_key
        offset = self._cursor - round(self.scroll_y)
        keys = list(self._rows)
        index = next((i for i, c in enumerate(self.all_columns) if c.key == self.sort_column), None)
        if index is not None:
            rows = self._rows

            def value(key: str) -> Any:
                item = rows[key][1][index]
                return item if isinstance(item, (int, float)) else str(item)

            # Rows without a value (None) go last whatever the direction.
            present = [k for k in keys if rows[k][1][index] is not None]
            missing = [k for k in keys if rows[k][1][index] is None]
            present.sort(key=value, reverse=self.sort_reverse)
            keys = present + missing
        self._order = keys
        self._index = {key: i for i, key in enumerate(keys)}
        self._changed()
        if key_before is not None and key_before in self._index:
            self._cursor = self._index[key_before]
            # Keep the selected row where the user saw it.
            self.scroll_to(y=max(0, self._cursor - offset), animate=False, immediate=True, force=True)
        else:
            self._cursor = min(self._cursor, max(0, len(keys) - 1))
        if self.cursor_key != key_before:
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def _changed(self) -> None:
        self._lines.clear()
        width = sum(c.width + 2 for c in self.shown_columns)
        self.virtual_size = Size(width, len(self._order) + 1)
        self.refresh()

    # -- cursor ------------------------------------------------------------------------

    def move_cursor(self, *, row: int, scroll: bool = True, **_: Any) -> None:
        """Put the cursor on ``row`` (clamped) and, by default, in view."""
        if not self._order:
            return
        row = max(0, min(row, len(self._order) - 1))
        if row != self._cursor:
            self._cursor = row
            self._lines.clear()
            self.refresh()
            self.post_message(self.CursorMoved(self, self.cursor_key))
        if scroll:
            self._scroll_cursor_into_view()

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        rows = self._visible_rows()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + rows:
            self.scroll_to(y=self._cursor - rows + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(row=self._cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(row=self._cursor + direction * self._visible_rows())

    def action_edge(self, last: bool) -> None:
        self.move_cursor(row=len(self._order) - 1 if last else 0)

    def action_select(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.RowSelected(self, self.cursor_key))

    def _on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = event.x + round(self.scroll_x)
            for column in self.shown_columns:
                if x < column.width + 2:
                    self.post_message(self.HeaderSelected(self, column.key))
                    return
                x -= column.width + 2
            return
        row = round(self.scroll_y) + event.y - 1
        if 0 <= row < len(self._order):
            if row == self._cursor:
                self.action_select()
            else:
                self.move_cursor(row=row)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._lines.clear()

    def on_focus(self) -> None:
        self._lines.clear()  # the cursor's colours differ with the focus
        self.refresh()

    def on_blur(self) -> None:
        self._lines.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    # -- drawing -----------------------------------------------------------------------

    def _cell_text(self, cell: Cell, column: Column) -> Text:
        text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
        text.no_wrap = True
        text.truncate(column.width, overflow="ellipsis", pad=True)
        if column.numeric:
            text.rstrip()
            text.pad_left(column.width - text.cell_len)
        return text

    def _line(self, texts: Sequence[Text], style: Style) -> Strip:
        line = Text(style=style, no_wrap=True, end="")
        for text in texts:
            line.append(" ")
            line.append_text(text)
            line.append(" ")
        # Text.render leaves the base style out: put it under the cells' own.
        segments = list(Segment.apply_style(line.render(self.app.console), style))
        width = max(self.virtual_size.width, self.scrollable_content_region.width)
        return Strip(segments).extend_cell_length(width, style)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_x)
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("fast-table--header")
            header = [Text(c.label, justify="right" if c.numeric else "left") for c in self.shown_columns]
            titles = [self._cell_text(t, c) for t, c in zip(header, self.shown_columns)]
            return self._line(titles, style).crop_extend(scroll_x, scroll_x + width, style)
        row = round(self.scroll_y) + y - 1
        if row >= len(self._order):
            return Strip([Segment(" " * width, base)], width)
        key = self._order[row]
        cursor = row == self._cursor
        cache_key = (row, key, cursor)
        strip = self._lines.get(cache_key)
        if strip is None:
            style = base
            if row % 2:
                style += self.get_component_rich_style("fast-table--even-row")
            if cursor:
                style += self.get_component_rich_style("fast-table--cursor")
            columns = self.all_columns
            cells = self._rows[key][0]
            index = {c.key: i for i, c in enumerate(columns)}
            texts = [self._cell_text(cells[index[c.key]] if index[c.key] < len(cells) else "", c)
                     for c in self.shown_columns]
            strip = self._line(texts, style)
            self._lines[cache_key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base)
