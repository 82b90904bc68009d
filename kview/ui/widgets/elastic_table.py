"""A DiffTable whose text columns (a topic or config name, a value) take the
width the other columns leave, so wide terminals show long names whole while
80 columns still fit the numbers.  It also keeps room for the vertical
scrollbar, so a table that grows past its height never needs to scroll
sideways, and keeps the selected row where it was on the screen when an
update re-sorts the rows (DiffTable rebuilds them then, which scrolls home)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from kview.ui.widgets.diff_table import Column, DiffTable, Row


class ElasticDiffTable(DiffTable):
    """``elastic`` lists ``(column key, max width)``: in that order, each grows
    up to its max with the space left over (a key may come back with a
    bigger max, to share the space in steps)."""

    DEFAULT_CSS = """
    ElasticDiffTable { scrollbar-size-vertical: 1; }
    """

    def __init__(self, columns: Sequence[Column], *, elastic: Sequence[tuple[str, int]] = (), **kwargs: Any) -> None:
        super().__init__(columns, **kwargs)
        self.declared = {c.key: c.width for c in columns}
        self.elastic = tuple(elastic)

    def _widths(self, columns: Sequence[Column], widths: dict[str, int]) -> tuple[Column, ...]:
        return tuple(replace(c, width=widths[c.key]) if c.key in widths else c for c in columns)

    def columns_for_width(self, width: int) -> tuple[Column, ...]:
        # The scrollbar appears later, with the rows, and then no resize
        # tells the table: keep its room from the start.
        width -= self.styles.scrollbar_size_vertical
        # Choose at the declared widths, then hand out what is left.
        # all_columns holds the variants in use: rows are drawn by its index.
        self.all_columns = self._widths(self.all_columns, {k: self.declared[k] for k, _ in self.elastic})
        chosen = super().columns_for_width(width)
        spare = width - sum(c.width + 2 for c in chosen)
        widths = {c.key: c.width for c in chosen}
        grown: dict[str, int] = {}
        for key, most in self.elastic:
            if spare <= 0 or key not in widths:
                continue
            extra = min(spare, max(0, most - widths[key]))
            widths[key] = grown[key] = widths[key] + extra
            spare -= extra
        if grown:
            self.all_columns = self._widths(self.all_columns, grown)
            chosen = self._widths(chosen, grown)
        return chosen

    def set_rows(self, rows: Sequence[Row]) -> None:
        """DiffTable.set_rows, then back to the scroll position the user had,
        with the selected row at the same place on the screen."""
        old_x, old_y = self.scroll_x, self.scroll_y
        key = self.cursor_key
        offset = self.cursor_row - old_y
        super().set_rows(rows)
        if (self.scroll_x, self.scroll_y) == (old_x, old_y) or not self.row_count:
            return
        target = self.cursor_row - offset if key is not None and self.cursor_key == key else old_y
        # After the refresh: the new rows' height is only known by then.
        self.call_after_refresh(self.scroll_to, x=old_x, y=max(0, target), animate=False)
