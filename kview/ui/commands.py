"""Command-palette provider: every action of the app and of its panes, every
configured cluster and every pane, searchable by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from kview.app import KViewApp


class KViewCommands(Provider):
    def _commands(self) -> Sequence[tuple[str, str, Callable[[], object]]]:
        # Only KViewApp registers this provider, so its app is always one.
        app = cast("KViewApp", self.app)
        return app.palette_commands()

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def run_binding(app: KViewApp, pane_id: str | None, action: str) -> None:
    """Switch to ``pane_id`` (if any) and run ``action`` there."""
    app.call_later(partial(app.run_pane_action, pane_id, action))
