"""A DataTable filled all at once, its columns sized from what it holds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable


def _width(cell: object) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))


class MeasuredTable(DataTable):
    """DataTable for previews and short lists that are replaced as a whole.

    ``fill`` sizes each column from its label and cells before adding the
    rows.  DataTable's own sizing measures cells later, when the app is idle;
    under load, rows drawn before that stayed cut to the header's width
    (the import preview showed "c-0" for "c-0001" until it was closed).
    """

    def fill(self, rows: Iterable[tuple[Sequence[object], str | None]]) -> None:
        """Replace every row with ``rows`` of (cells, row key)."""
        rows = list(rows)
        columns = [(column.key.value, column.label) for column in self.ordered_columns]
        widths = [
            max([label.cell_len, *(_width(cells[index]) for cells, _key in rows)])
            for index, (_key, label) in enumerate(columns)
        ]
        self.clear(columns=True)
        for (key, label), width in zip(columns, widths, strict=True):
            self.add_column(label, key=key, width=width)
        for cells, key in rows:
            self.add_row(*cells, key=key)
