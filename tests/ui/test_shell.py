"""The real app, headless, on the real single-broker cluster."""

from __future__ import annotations

import asyncio

from kview.app import make_app
from kview.core.config import Config, adhoc_profile


def screen_text(app) -> str:
    """Everything the terminal shows, as plain text."""
    return app.export_screenshot_text() if hasattr(app, "export_screenshot_text") else _svg_text(app)


def _svg_text(app) -> str:
    import html
    import re

    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def wait_for(pilot, predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met; screen:\n" + _svg_text(pilot.app))
        await pilot.pause(0.1)


async def test_overview_shows_cluster(kafka):
    kafka.run_tool("kafka-topics", "--create", "--if-not-exists", "--topic", "shell-a", "--partitions", "3")
    profile = adhoc_profile(kafka.bootstrap)
    app = make_app(Config(), profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic("shell-a"))
        await pilot.pause(0.2)
        text = _svg_text(app)
        assert "connected" in text
        assert "127.0.0.1" in text
        assert "Brokers" in text
