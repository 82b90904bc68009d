"""A DataTable that is updated by diffing, not rebuilt.

Rows have stable keys (``"topic:partition"``); each refresh changes only the
cells whose text changed, inside ``app.batch_update()``, and re-sorts only
when something changed.  The cursor stays on the same row key, so live
refreshes keep the user's selection and scroll position.  Columns carry a
priority: when the table is narrower than all columns, the least important
ones are hidden instead of wrapping into garbage.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    """Cells are cut to this width; it is also what the column costs on screen."""
    priority: int = 0
    """Lower is more important; the highest priorities are dropped first."""
    numeric: bool = False
    """Right-aligned, and sorted by the raw value given to set_rows."""


Cell = str | Text
Row = tuple[Hashable, Sequence[Cell], Sequence[Any]]
"""(row key, cells as drawn, raw values used for sorting)."""


class DiffTable(DataTable):
    """DataTable with ``set_rows`` diffing and width-driven column dropping."""

    DEFAULT_CSS = """
    DiffTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[Column], **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self.all_columns = tuple(columns)
        self.shown_columns: tuple[Column, ...] = ()
        self._rows: dict[Hashable, tuple[tuple[Cell, ...], tuple[Any, ...]]] = {}
        self._order: list[Hashable] = []
        self.sort_column: str | None = None
        self.sort_reverse = False

    # -- columns ---------------------------------------------------------------------

    def on_mount(self) -> None:
        self._fit_columns(force=True)

    def on_resize(self) -> None:
        self._fit_columns()

    def columns_for_width(self, width: int) -> tuple[Column, ...]:
        """The columns that fit ``width``, dropping the highest priority first."""
        chosen = list(self.all_columns)
        # Each column costs its width plus the cell padding on both sides.
        while len(chosen) > 1 and sum(c.width + 2 for c in chosen) > width:
            chosen.remove(max(chosen, key=lambda c: (c.priority, self.all_columns.index(c))))
        return tuple(chosen)

    def _fit_columns(self, force: bool = False) -> None:
        width = self.size.width or (self.app.size.width if self.is_attached else 80)
        wanted = self.columns_for_width(width)
        if wanted == self.shown_columns and not force:
            return
        self.shown_columns = wanted
        cursor_key = self.cursor_key
        self.clear(columns=True)
        for column in wanted:
            label = Text(column.label, justify="right" if column.numeric else "left")
            self.add_column(label, key=column.key, width=column.width)
        self._order = []
        self._apply(force_order=True)
        self._restore_cursor(cursor_key)

    # -- rows ------------------------------------------------------------------------

    @property
    def cursor_key(self) -> Hashable | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows after a shrink
            return None

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show exactly ``rows``; update only what changed."""
        new: dict[Hashable, tuple[tuple[Cell, ...], tuple[Any, ...]]] = {}
        for key, cells, raw in rows:
            new[key] = (tuple(cells), tuple(raw))
        changed = new != self._rows
        self._rows = new
        if changed:
            self._apply()

    def sort_by(self, column_key: str, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if self.sort_column == column_key else False
        self.sort_column, self.sort_reverse = column_key, reverse
        self._apply(force_order=True)

    def _ordered_keys(self) -> list[Hashable]:
        keys = list(self._rows)
        if self.sort_column is None:
            return keys
        index = next((i for i, c in enumerate(self.all_columns) if c.key == self.sort_column), None)
        if index is None:
            return keys

        def value(key: Hashable) -> Any:
            item = self._rows[key][1][index]
            return item if isinstance(item, (int, float)) else str(item)

        # Rows without a value (None) go last whatever the direction.
        present = [k for k in keys if self._rows[k][1][index] is not None]
        missing = [k for k in keys if self._rows[k][1][index] is None]
        present.sort(key=value, reverse=self.sort_reverse)
        return present + missing

    def _cells_for(self, key: Hashable) -> list[Cell]:
        cells = self._rows[key][0]
        drawn = []
        for column in self.shown_columns:
            index = self.all_columns.index(column)
            cell = cells[index] if index < len(cells) else ""
            if column.numeric and isinstance(cell, str):
                cell = Text(cell, justify="right")
            drawn.append(cell)
        return drawn

    def _apply(self, force_order: bool = False) -> None:
        if not self.shown_columns:
            return
        order = self._ordered_keys()
        cursor_key = self.cursor_key
        with self.app.batch_update():
            if force_order or order != self._order:
                # Membership or order changed: rebuild rows (cheap for what a
                # screen shows; cells are plain strings).
                self.clear()
                for key in order:
                    self.add_row(*self._cells_for(key), key=str(key))
                self._order = order
                self._restore_cursor(cursor_key)
            else:
                for key in order:
                    for column, cell in zip(self.shown_columns, self._cells_for(key), strict=True):
                        if str(self.get_cell(str(key), column.key)) != str(cell):
                            self.update_cell(str(key), column.key, cell)

    def _restore_cursor(self, key: Hashable | None) -> None:
        if key is None or not self.row_count:
            return
        try:
            row = self.get_row_index(str(key))
        except Exception:  # the row is gone: keep the cursor where it was
            return
        if row != self.cursor_row:
            self.move_cursor(row=row, animate=False, scroll=False)

    def selected_key(self) -> str | None:
        key = self.cursor_key
        return None if key is None else str(key)


def sparkline(values: Sequence[float], width: int = 12) -> str:
    """The last ``width`` values as block characters (empty when no data)."""
    blocks = " ▁▂▃▄▅▆▇█"
    data = list(values)[-width:]
    if not data:
        return ""
    low, high = min(data), max(data)
    if high == low:
        return (blocks[4] if high > 0 else blocks[1]) * len(data)
    scale = (len(blocks) - 2) / (high - low)
    return "".join(blocks[1 + int((v - low) * scale)] for v in data)


def key_of(*parts: object) -> str:
    """A stable row key: ``key_of("orders", 3) == "orders:3"``."""
    return ":".join(str(p) for p in parts)


SortKey = Callable[[Any], Any]
