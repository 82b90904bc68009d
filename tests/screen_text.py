"""What the headless app's terminal shows, for UI tests: the screen as rows of
text rebuilt from Textual's SVG export, and a polling wait that prints the
screen when its condition is never met.

Import it as ``from screen_text import screen_rows, screen_text, wait_for``
(``tests/`` is on sys.path, as for ``kafka_tools``)."""

from __future__ import annotations

import asyncio
import html
import re

_SPAN = re.compile(
    r'<text class="[^"]*" x="([0-9.]+)" y="[0-9.]+" textLength="[0-9.]+" '
    r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>'
)
CELL_WIDTH = 12.2
"""Pixels per terminal column in Textual's SVG export."""


def screen_rows(app) -> list[str]:
    """The terminal as rows of text, each character in its column (rebuilt
    from the SVG's positioned text spans; modals and toasts included)."""
    rows: dict[int, dict[int, str]] = {}
    for x, line, content in _SPAN.findall(app.export_screenshot()):
        row = rows.setdefault(int(line), {})
        column = round(float(x) / CELL_WIDTH)
        for offset, char in enumerate(html.unescape(content).replace("\xa0", " ").rstrip("\n")):
            row[column + offset] = char
    out = []
    for number in range(max(rows, default=-1) + 1):
        cells = rows.get(number, {})
        out.append("".join(cells.get(c, " ") for c in range(max(cells, default=-1) + 1)))
    return out


def screen_text(app, *, flat: bool = False) -> str:
    """Everything the terminal shows, as plain text: its rows, one a line.

    ``flat=True`` gives instead every text of the SVG with the tags stripped
    (the stylesheet left out, the window title kept): spans follow one
    another with no gap between them, so columns are not kept.  Older tests
    match against that form, and the secrets tests want every text the export
    holds, not only the cells."""
    if not flat:
        return "\n".join(screen_rows(app))
    svg = re.sub(r"<style.*?</style>", "", app.export_screenshot(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def wait_for(pilot, predicate, timeout: float = 30.0, what: str = "condition", *, interval: float = 0.1) -> None:
    """Let the app run until ``predicate()`` is true; after ``timeout``
    seconds raise AssertionError naming ``what``, with the screen's text."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met; screen:\n" + screen_text(pilot.app))
        await pilot.pause(interval)
