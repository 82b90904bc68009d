"""MeasuredTable: columns sized from the rows it is filled with."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from kview.ui.widgets.measured_table import MeasuredTable


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        table = MeasuredTable(cursor_type="row", zebra_stripes=True)
        table.add_column("Key", key="key")
        table.add_column(Text("Lag", justify="right"), key="lag")
        yield table


async def test_fill_sizes_columns_before_the_first_draw():
    app = _Host()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(MeasuredTable)
        table.fill([(("c-0001", Text("12", justify="right")), "a"), (("customer-0002", "7"), "b")])
        # Drawn at once, before the app is idle: every cell whole already.
        assert "c-0001" in table.render_line(1).text
        assert "customer-0002" in table.render_line(2).text
        assert [c.label.plain for c in table.ordered_columns] == ["Key", "Lag"]
        assert table.ordered_columns[1].label.justify == "right"
        # Filling again replaces the rows and widens a column for a longer cell.
        table.fill([(("a-much-longer-key-than-before", "1"), "c")])
        await pilot.pause()
        assert table.row_count == 1 and "a-much-longer-key-than-before" in table.render_line(1).text
        table.fill([])
        assert table.row_count == 0 and [c.label.plain for c in table.ordered_columns] == ["Key", "Lag"]
