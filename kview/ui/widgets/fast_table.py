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

Filtering is the table's own job (``set_filter(predicate)``): the rows stay,
sorted once, and a keystroke only picks the keys that pass, so it costs a
pass over the keys, not a rebuild, a re-sort or a re-format.  Cells may be
given as a function that returns them: it is called only for rows drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any

from rich.cells import cell_len, set_cell_size
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

Cells = Sequence[Cell] | Callable[[], Sequence[Cell]]
"""A row's cells, or a function that makes them (called only when drawn)."""
FastRow = tuple[Hashable, Cells, Sequence[Any]]
"""(key, cells, raw sort values): DiffTable's Row, cells possibly lazy."""


class FastTable(ScrollView, can_focus=True):
    """Rows ``(key, cells, raw sort values)``; one header line that does not
    scroll; a row cursor moved with the arrow keys and the mouse."""

    BINDINGS = [
        # Ids (``table.*``) let users remap them from the config's ``keys:``;
        # every table (topics, topic detail, groups ...) shares them.
        Binding("up", "cursor(-1)", "Previous row", id="table.up", show=False),
        Binding("down", "cursor(1)", "Next row", id="table.down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="table.page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="table.page_down", show=False),
        Binding("home", "edge(False)", "First row", id="table.first", show=False),
        Binding("end", "edge(True)", "Last row", id="table.last", show=False),
        Binding("enter", "select", "Open the row", id="table.select", show=False),
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

    def __init__(self, columns: Sequence[Column], *, elastic: Sequence[tuple[str, int]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.all_columns = tuple(columns)
        self.declared = {c.key: c.width for c in columns}
        self.elastic = tuple(elastic)
        """(column key, max width): in order, these grow into the spare width."""
        self.shown_columns: tuple[Column, ...] = ()
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.generation = 0
        """Counts changes of the rows shown (their set or order)."""
        self._rows: dict[str, tuple[Cells, Sequence[Any]]] = {}
        self._sorted: list[str] = []
        """Every row's key in sort order, filtered or not."""
        self._filter: Callable[[str], bool] | None = None
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._lines: dict[tuple[int, str, bool], Strip] = {}
        """Drawn lines by (position, key, cursor here): valid until the cells,
        columns, width or styles change."""
        self._line_styles: dict[tuple[bool, bool], Style] = {}
        self._drawn_width = 0

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
        """Rows shown (those that pass the filter)."""
        return len(self._order)

    @property
    def rows(self) -> dict[str, tuple[Cells, Sequence[Any]]]:
        """Every row by key, shown or filtered out (in no particular order)."""
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

    def set_rows(self, rows: Sequence[FastRow | Row]) -> None:
        """Hold exactly ``rows`` (the filter, if any, picks those shown); the
        cursor stays on its row key, at the same place on the screen.  Cells
        may be a function returning them, called when the row is drawn."""
        # Cells kept as given: rows a pane caches compare by identity, fast.
        new = {str(key): (cells, raw) for key, cells, raw in rows}
        if new == self._rows:
            return
        self._rows = new
        self._resort(redraw=True)

    def set_filter(self, predicate: Callable[[str], bool] | None) -> None:
        """Show only the rows whose key passes ``predicate`` (None: all).  The
        rows are neither rebuilt nor re-sorted: one pass over the keys."""
        self._filter = predicate
        self._show(self._sorted if predicate is None else [k for k in self._sorted if predicate(k)])

    def sort_by(self, column_key: str | None, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if self.sort_column == column_key else False
        self.sort_column, self.sort_reverse = column_key, reverse
        self._resort()

    def _resort(self, redraw: bool = False) -> None:
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
        self._sorted = keys
        predicate = self._filter
        self._show(keys if predicate is None else [k for k in keys if predicate(k)], redraw)

    def _show(self, keys: list[str], redraw: bool = False) -> None:
        """Show ``keys`` in this order, keeping the cursor's row where it was;
        ``redraw``: the cells changed even if the order did not."""
        key_before = self.cursor_key
        offset = self._cursor - round(self.scroll_y)
        if keys == self._order:
            if redraw:
                self._changed()
            return
        self._order = keys
        self._index = {key: i for i, key in enumerate(keys)}
        self.generation += 1
        # Lines are cached by (position, key, cursor): those still valid stay.
        self._changed(lines=redraw)
        if key_before is not None and key_before in self._index:
            self._cursor = self._index[key_before]
            # Keep the selected row where the user saw it.
            self.scroll_to(y=max(0, self._cursor - offset), animate=False, immediate=True, force=True)
        else:
            self._cursor = min(self._cursor, max(0, len(keys) - 1))
        if self.cursor_key != key_before:
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def _changed(self, lines: bool = True) -> None:
        """The rows shown changed; ``lines``: drawn lines are stale too (cells or
        columns changed), not just moved (a filter, a sort)."""
        if lines:
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
            self.refresh()  # two lines change; the others come from the line cache
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

    async def _on_click(self, event: events.Click) -> None:
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

    def on_focus(self) -> None:
        self._restyle()  # the cursor's colours differ with the focus
        self.refresh()

    def on_blur(self) -> None:
        self._restyle()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._restyle()

    def _restyle(self) -> None:
        self._lines.clear()
        self._line_styles.clear()

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

    def _row_line(self, cells: Sequence[Cell], style: Style) -> Strip:
        """One row's line, the same segments as ``_line`` makes of the cells'
        Texts, made faster: plain-text cells (nearly all) are fitted to their
        column as strings, and every run of unstyled text (plain cells and
        the spaces between cells) is one segment; styled cells (Text) go
        through Rich, under the line's style."""
        segments: list[Segment] = []
        plain: list[str] = []
        console = self.app.console
        for column, index in self._shown_index():
            cell = cells[index] if index < len(cells) else ""
            if isinstance(cell, Text):
                plain.append(" ")
                segments.append(Segment("".join(plain), style))
                plain = [" "]
                text = self._cell_text(cell, column)
                # Text.render leaves the text's own base style out: it goes
                # under the text's spans, over the line's style.
                under = style + console.get_style(text.style, default=Style()) if text.style else style
                segments.extend(Segment.apply_style(text.render(console), under))
            else:
                plain += (" ", _fit(str(cell), column.width, column.numeric), " ")
        if plain:
            segments.append(Segment("".join(plain), style))
        width = max(self.virtual_size.width, self.scrollable_content_region.width)
        return Strip(segments).extend_cell_length(width, style)

    def _shown_index(self) -> list[tuple[Column, int]]:
        """(column, its index in a row's cells) of the columns shown."""
        index = {c.key: i for i, c in enumerate(self.all_columns)}
        return [(c, index[c.key]) for c in self.shown_columns]

    def _line_style(self, even: bool, cursor: bool) -> Style:
        style = self._line_styles.get((even, cursor))
        if style is None:
            style = self.rich_style
            if even:
                style += self.get_component_rich_style("fast-table--even-row")
            if cursor:
                style += self.get_component_rich_style("fast-table--cursor")
            self._line_styles[(even, cursor)] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._drawn_width:
            self._drawn_width = width
            self._lines.clear()
        scroll_x = round(self.scroll_x)
        base = self._line_style(False, False)
        if y == 0:
            style = base + self.get_component_rich_style("fast-table--header")
            header = [Text(c.label, justify="right" if c.numeric else "left") for c in self.shown_columns]
            titles = [self._cell_text(t, c) for t, c in zip(header, self.shown_columns, strict=True)]
            return self._line(titles, style).crop_extend(scroll_x, scroll_x + width, style)
        row = round(self.scroll_y) + y - 1
        if row >= len(self._order):
            return Strip([Segment(" " * width, base)], width)
        key = self._order[row]
        cursor = row == self._cursor
        cache_key = (row, key, cursor)
        strip = self._lines.get(cache_key)
        if strip is None:
            cells = self._rows[key][0]
            if callable(cells):
                cells = cells()
            strip = self._row_line(cells, self._line_style(bool(row % 2), cursor))
            if len(self._lines) > 8 * (self._visible_rows() + 1):
                self._lines.clear()  # only about a screenful is worth keeping
            self._lines[cache_key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base)


def _fit(text: str, width: int, right: bool) -> str:
    """``text`` in exactly ``width`` cells: cut with an ellipsis when longer
    (as Rich's ``overflow="ellipsis"``), padded left (``right``) or right."""
    size = cell_len(text)
    if size > width:
        return set_cell_size(text, width - 1) + "…" if width > 0 else ""
    if right:
        text = text.rstrip()
        return " " * (width - cell_len(text)) + text
    return text + " " * (width - size)
