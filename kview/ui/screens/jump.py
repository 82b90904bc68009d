"""`:` jump: type a pane's name or a topic's name and go there."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label


class JumpScreen(ModalScreen[str | None]):
    """Returns what the user typed (a pane or topic name), or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="jump.cancel")]
    DEFAULT_CSS = """
    JumpScreen { align: center top; }
    JumpScreen > Vertical {
        width: 60; max-width: 95%; height: auto; margin-top: 2;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, choices: list[str]) -> None:
        super().__init__()
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Go to a pane or topic (tab completes, esc cancels)")
            yield Input(
                placeholder="topics, groups, orders ...",
                id="jump-input",
                suggester=SuggestFromList(self.choices, case_sensitive=False),
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
