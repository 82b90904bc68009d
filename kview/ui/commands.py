"""Command-palette provider: every action of the app and of its panes, every
configured cluster and every pane, searchable by name."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from kview.app import KViewApp


class KViewCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app: KViewApp = self.app  # type: ignore[assignment]
        return app.palette_commands()

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)  # type: ignore[arg-type]


def run_binding(app: KViewApp, pane_id: str | None, action: str) -> None:
    """Switch to ``pane_id`` (if any) and run ``action`` there."""
    app.call_later(partial(app.run_pane_action, pane_id, action))
