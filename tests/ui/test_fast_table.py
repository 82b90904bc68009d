"""FastTable (kview/ui/widgets/fast_table.py) on its own, no Kafka: the lines
it draws by its fast path equal what Rich draws for the same cells, the filter
shows exactly the passing rows in sort order without re-formatting any, and
lazy cells are made only for rows drawn."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App

from kview.ui.widgets.diff_table import Column
from kview.ui.widgets.fast_table import FastTable

COLUMNS = [Column("name", "Name", 8), Column("n", "N", 6, numeric=True), Column("note", "Note", 5)]
RED = Style(color="#ff0000", bold=True)


class TableApp(App[None]):
    def compose(self):
        yield FastTable(COLUMNS)


def cells_of(strip) -> list[tuple[str, Style | None]]:
    """A drawn line as (character, style) pairs, however it is cut in segments."""
    return [(char, segment.style) for segment in strip for char in segment.text]


def rich_line(table: FastTable, cells, y: int):
    """The line Rich's own Text layout makes of ``cells`` for screen line ``y``."""
    row = round(table.scroll_y) + y - 1
    style = table._line_style(bool(row % 2), row == table.cursor_row)
    texts = [table._cell_text(cell, column) for cell, column in zip(cells, table.shown_columns, strict=True)]
    return table._line(texts, style)


async def test_fast_lines_equal_richs_for_plain_and_styled_cells():
    rows = [
        ("a", ("a", "12", "ok"), ("a", 12)),  # fits
        ("b", ("exactly8", "123456", "fiver"), ("b", 1)),  # exactly the widths
        ("c", ("much-too-long-name", "1234567890", "toolong"), ("c", 2)),  # cut with an ellipsis
        ("d", ("漢字の名前です", "7 ", "é"), ("d", 3)),  # wide characters, trailing space
        ("e", (Text("styled", style=RED), Text("3", style=RED), "x"), ("e", 4)),
        ("f", (Text.assemble(("par", RED), "tly"), "", Text("long styled", style="bold")), ("f", 5)),
    ]
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(FastTable)
        table.focus()
        table.set_rows(rows)
        table.sort_by("name", reverse=False)
        await pilot.pause()
        for cursor in (0, 4):
            table.move_cursor(row=cursor)
            await pilot.pause()
            for y, (_key, cells, _raw) in enumerate(rows, start=1):
                assert cells_of(table.render_line(y)) == cells_of(rich_line(table, cells, y)), (cursor, y)
        # The styled cells keep their colour, on the cursor line too.
        assert ("3", table._line_style(False, True) + RED) in cells_of(table.render_line(5))


async def test_filter_shows_the_passing_rows_in_order_and_keeps_the_cursor():
    made: list[str] = []

    def lazy(name: str):
        def cells():
            made.append(name)
            return (name, str(len(name)), "")

        return cells

    names = [f"t{i:04d}" for i in range(1000)]
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(FastTable)
        table.focus()
        table.sort_by("name", reverse=True)
        table.set_rows([(n, lazy(n), (n, len(n))) for n in names])
        await pilot.pause()
        # Only the rows on screen were formatted, not the thousand.
        assert 0 < len(made) <= 12
        assert table.keys()[:3] == ["t0999", "t0998", "t0997"]

        await pilot.press("down", "down", "down")
        key = table.cursor_key
        assert key == "t0996"
        before = table.generation
        table.set_filter(lambda name: name.endswith("6"))
        await pilot.pause()
        assert table.keys() == [n for n in reversed(names) if n.endswith("6")]
        assert table.row_count == 100 and len(table.rows) == 1000
        assert table.cursor_key == key and table.generation > before

        # Widening back: every row, same order, the cursor still on its row.
        made.clear()
        table.set_filter(None)
        await pilot.pause()
        assert table.keys() == list(reversed(names)) and table.cursor_key == key
        assert len(made) <= 12
        # A filter that leaves nothing, then new rows arriving under it.
        table.set_filter(lambda name: name.startswith("x"))
        await pilot.pause()
        assert table.row_count == 0 and table.cursor_key is None
        table.set_rows([(n, lazy(n), (n, len(n))) for n in names + ["x1", "x0"]])
        await pilot.pause()
        assert table.keys() == ["x1", "x0"]


async def test_every_key_has_an_id_and_can_be_remapped():
    from textual.binding import Binding

    ids = [b.id for b in FastTable.BINDINGS if isinstance(b, Binding)]
    assert len(ids) == len(FastTable.BINDINGS) and all(i and i.startswith("table.") for i in ids)
    assert len(set(ids)) == len(ids)

    rows = [(f"r{i}", (f"r{i}", str(i), ""), (f"r{i}", i)) for i in range(20)]
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        # What the config's ``keys:`` section does (KViewApp.set_keymap).
        app.set_keymap({"table.down": "j", "table.up": "k", "table.last": "G"})
        table = app.query_one(FastTable)
        table.focus()
        table.set_rows(rows)
        table.sort_by("name", reverse=False)
        await pilot.pause()
        await pilot.press("j", "j", "j")
        assert table.cursor_key == "r11"  # sorted as text: r0, r1, r10, r11 ...
        await pilot.press("k")
        assert table.cursor_key == "r10"
        await pilot.press("G")
        assert table.cursor_key == "r9"
        # The old key no longer moves the cursor: the id was remapped, not added to.
        await pilot.press("up")
        assert table.cursor_key == "r9"
