"""Confirmation modals for destructive actions."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something destructive.

    With ``require_text`` the user must type that text exactly (e.g. the topic
    name) before the action is confirmed; anything else cancels.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 70; max-width: 95%; height: auto; border: thick $error; background: $surface; padding: 1 2;
    }
    ConfirmScreen Label { width: 100%; }  /* a long topic or group name wraps, never cut */
    ConfirmScreen #confirm-title { text-style: bold; color: $text-error; }
    ConfirmScreen #confirm-body { margin: 1 0; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 1; }
    """

    def __init__(
        self, title: str, body: str, *, require_text: str | None = None, confirm_label: str = "Confirm"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.require_text = require_text
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="confirm-title")
            yield Static(self.body, id="confirm-body")
            if self.require_text is not None:
                yield Label(f"Type {self.require_text!r} to confirm:")
                yield Input(id="confirm-input", placeholder=self.require_text)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error")

    def on_mount(self) -> None:
        if self.require_text is not None:
            self.query_one("#confirm-input", Input).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def _confirmed(self) -> bool:
        if self.require_text is None:
            return True
        return self.query_one("#confirm-input", Input).value == self.require_text

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._finish()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self._finish()
        else:
            self.dismiss(False)

    def _finish(self) -> None:
        if self._confirmed():
            self.dismiss(True)
        else:
            self.notify("The typed text does not match: nothing was done.", severity="warning")
            self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)
