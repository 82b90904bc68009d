"""The add-partitions form: the new total partition count, with the warning
that keyed records change partition (so per-key ordering breaks across the
change) and that partitions can never be removed again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from kview.core.topics import partition_increase_problem
from kview.ui.screens.operation_form import OperationForm

KEYED_ORDER_WARNING = (
    "⚠ Adding partitions changes which partition a key maps to: new records with a "
    "key may go to a different partition than the earlier ones, so per-key ordering "
    "is not kept across the change (and compacted topics keep old values of a key in "
    "its old partition). Partitions cannot be removed afterwards."
)


class AddPartitionsScreen(OperationForm[int]):
    """Raise a topic's partition count; the result is the new count, or None."""

    def __init__(self, topic: str, current: int, add: Callable[[int], Awaitable[int]]) -> None:
        super().__init__()
        self.topic = topic
        self.current = current
        self.add = add

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Add partitions to '{self.topic}'", classes="title")
            yield Static(f"The topic has {self.current} partition(s).", classes="muted")
            yield Static(KEYED_ORDER_WARNING, classes="warning")
            with Horizontal(classes="row"):
                yield Label("New total count")
                yield Input(str(self.current + 1), id="partitions", restrict=r"[0-9]*", classes="-short", compact=True)
            yield Static("", id="problem-partitions", classes="problem")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Add partitions", id="form-submit", variant="warning", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("enter or ctrl+s applies · esc cancels", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#partitions", Input).focus()

    def problems(self) -> dict[str, str]:
        problem = partition_increase_problem(self.current, self.query_one("#partitions", Input).value)
        return {"partitions": problem} if problem else {}

    def on_input_changed(self, event: Input.Changed) -> None:
        self.touched.add("partitions")
        self.show_problems(self.problems())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def submit(self) -> None:
        problems = self.problems()
        self.show_problems(problems)
        if problems:
            return
        total = int(self.query_one("#partitions", Input).value)
        self.run_operation(lambda: self.add(total), self.dismiss)
