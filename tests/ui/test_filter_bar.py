"""The filter line: typing redraws the bar only, never lays out the screen."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from kview.ui.widgets.filter_bar import FilterBar


class _Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.applied: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("rows", id="rows")
        yield FilterBar()

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        self.applied.append(event.text)


async def test_typing_does_not_lay_out_the_screen():
    app = _Host()
    async with app.run_test(size=(40, 10)) as pilot:
        bar = app.query_one(FilterBar)
        bar.open()
        await pilot.pause()
        layouts = []
        screen_refresh_layout = app.screen._refresh_layout

        def counting(*args, **kwargs):
            layouts.append(args)
            return screen_refresh_layout(*args, **kwargs)

        app.screen._refresh_layout = counting
        text = "a-filter-longer-than-the-bar-is-wide-42"
        await pilot.press(*text)
        await pilot.pause()
        assert layouts == []
        assert bar.value == text and app.applied[-1] == text and len(app.applied) == len(text)
        # The text scrolled so that the cursor at its end is inside the bar.
        assert bar.scroll_x > 0 and "42" in bar.render_line(0).text
        await pilot.press("escape")
        await pilot.pause()
        assert not bar.display and bar.value == "" and layouts  # closing it does lay out
