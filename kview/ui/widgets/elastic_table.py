"""A DiffTable whose text columns (a topic or config name, a value) take the
width the other columns leave, so wide terminals show long names whole while
80 columns still fit the numbers.  It also keeps room for the vertical
scrollbar, so a table that grows past its height never needs to scroll
sideways."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from kview.ui.widgets.diff_table import Column, DiffTable


class ElasticDiffTable(DiffTable):
    """``elastic`` lists ``(column key, max width)``: in that order, each grows
    from its declared width up to its max with the space left over."""

    DEFAULT_CSS = """
    ElasticDiffTable { scrollbar-size-vertical: 1; }
    """

    def __init__(self, columns: Sequence[Column], *, elastic: Sequence[tuple[str, int]] = (),
                 **kwargs: Any) -> None:
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
        grown: dict[str, int] = {}
        for key, most in self.elastic:
            if spare <= 0 or not any(c.key == key for c in chosen):
                continue
            extra = min(spare, max(0, most - self.declared[key]))
            grown[key] = self.declared[key] + extra
            spare -= extra
        if grown:
            self.all_columns = self._widths(self.all_columns, grown)
            chosen = self._widths(chosen, grown)
        return chosen
