"""Confirm deleting one topic's committed offsets of a consumer group: the
topic is chosen among the ones the group has committed, and the form says
what the group loses before anything is sent."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static


class DeleteOffsetsScreen(ModalScreen[str | None]):
    """Choose the topic whose offsets the group forgets; the result is that
    topic (confirmed) or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="delete_offsets.cancel"),
        Binding("ctrl+s", "confirm", "Delete the offsets", id="delete_offsets.confirm"),
    ]
    DEFAULT_CSS = """
    DeleteOffsetsScreen { align: center middle; }
    DeleteOffsetsScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    DeleteOffsetsScreen #offsets-title { text-style: bold; color: $text-error; width: 100%; }
    DeleteOffsetsScreen #offsets-body { margin: 1 0; }
    DeleteOffsetsScreen #offsets-topic-row { height: auto; }  /* a long topic name wraps in the Select */
    DeleteOffsetsScreen #offsets-topic-row Label { width: 8; }
    DeleteOffsetsScreen #offsets-topic-row Select { width: 1fr; }
    DeleteOffsetsScreen #offsets-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    DeleteOffsetsScreen #offsets-buttons Button { margin-left: 2; width: auto; min-width: 10; }
    DeleteOffsetsScreen .muted { color: $text-muted; }
    """

    def __init__(self, group: str, topics: Sequence[str], topic: str | None = None, *, members: int = 0) -> None:
        super().__init__()
        self.group = group
        self.topics = list(topics)
        self.initial = topic if topic in self.topics else (self.topics[0] if self.topics else None)
        self.members = members

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Delete committed offsets of group '{self.group}'", id="offsets-title")
            body = (
                "The group forgets where it was in the topic: its consumers will start there again "
                "from their auto.offset.reset setting (earliest or latest). Other topics keep their offsets."
            )
            if self.members:
                body += (
                    f"\n⚠ The group has {self.members} active member(s): Kafka refuses while they consume this topic."
                )
            yield Static(body, id="offsets-body")
            with Horizontal(id="offsets-topic-row"):
                yield Label("Topic")
                yield Select(
                    [(t, t) for t in self.topics],
                    allow_blank=False,
                    value=self.initial,
                    id="offsets-topic",
                    compact=True,
                )
            with Horizontal(id="offsets-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Delete offsets", id="confirm", variant="error", compact=True)
            yield Static("ctrl+s deletes · esc cancels", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#offsets-topic", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.dismiss(None)

    def action_confirm(self) -> None:
        value = self.query_one("#offsets-topic", Select).value
        self.dismiss(None if value is Select.NULL else str(value))

    def action_cancel(self) -> None:
        self.dismiss(None)
