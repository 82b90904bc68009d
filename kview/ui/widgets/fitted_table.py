"""A MeasuredTable that fits a width: when its columns, sized from what they
hold, are wider than the room given, one text column (a topic name) gives
way, its long cells shortened in the middle (``orders.eu…ion-v2``), so the
numbers after it stay on screen at 80 columns and names that differ only at
their end (generated ones) can still be told apart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.text import Text

from kview.ui.widgets.measured_table import MeasuredTable

CELL_PADDING = 2
"""DataTable draws one blank column each side of a cell."""


def middle_cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, its middle replaced by ``…``."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail = (width - 1) // 2
    head = width - 1 - tail
    return f"{text[:head]}…{text[len(text) - tail :] if tail else ''}"


def _width(cell: object) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))


class FittedTable(MeasuredTable):
    """``fill(rows, width=..)``: column ``squeeze`` shrinks (never below
    ``minimum``) when the whole row would be wider than ``width``."""

    def __init__(self, *args: object, squeeze: int = 0, minimum: int = 12, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.squeeze = squeeze
        self.minimum = minimum

    def fill(self, rows: Iterable[tuple[Sequence[object], str | None]], width: int | None = None) -> None:
        rows = list(rows)
        if width is not None and rows:
            labels = [column.label for column in self.ordered_columns]
            widths = [
                max([label.cell_len, *(_width(cells[i]) for cells, _key in rows)]) for i, label in enumerate(labels)
            ]
            others = sum(w + CELL_PADDING for i, w in enumerate(widths) if i != self.squeeze)
            room = max(self.minimum, width - others - CELL_PADDING)
            if widths[self.squeeze] > room:
                rows = [
                    (
                        tuple(
                            middle_cut(str(cell), room) if i == self.squeeze and not isinstance(cell, Text) else cell
                            for i, cell in enumerate(cells)
                        ),
                        key,
                    )
                    for cells, key in rows
                ]
        super().fill(rows)
