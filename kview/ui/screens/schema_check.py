"""The subject detail's modals: check a pasted or edited schema for
compatibility with the subject's latest version and register it as a new
version (``SchemaCheckScreen``), and choose the subject's compatibility level
(``CompatibilityScreen``).

The check sends the schema to the registry, which changes nothing; a schema
that is not even JSON (Avro, JSON Schema) is refused here, before anything is
sent.  Registering is a write: on a read-only profile the registry writes
refuse it and the refusal is shown where the result goes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from kview.core.errors import KViewError, describe_exception
from kview.core.schemas.models import CompatibilityResult

LEVELS = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)
"""The compatibility levels of Confluent's API."""

LEVEL_HELP = {
    "BACKWARD": "consumers on the new schema read data of the last one",
    "BACKWARD_TRANSITIVE": "consumers on the new schema read data of every earlier one",
    "FORWARD": "consumers on the last schema read data of the new one",
    "FORWARD_TRANSITIVE": "consumers on every earlier schema read data of the new one",
    "FULL": "backward and forward with the last schema",
    "FULL_TRANSITIVE": "backward and forward with every earlier schema",
    "NONE": "no check",
}


def local_problem(kind: str, text: str) -> str | None:
    """Why ``text`` cannot be a schema of ``kind`` without asking the
    registry (None: send it)."""
    if not text.strip():
        return "the schema is empty"
    if kind in ("AVRO", "JSON"):
        try:
            json.loads(text)
        except ValueError as exc:
            return f"not valid JSON: {exc}"
    return None


class SchemaCheckScreen(ModalScreen[int | None]):
    """Edit a schema, check it, register it; the result is the new id (None: cancelled)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="schema_check.cancel"),
        Binding("ctrl+t", "check", "Check compatibility", id="schema_check.check"),
        Binding("ctrl+s", "register", "Register as a new version", id="schema_check.register"),
    ]
    DEFAULT_CSS = """
    SchemaCheckScreen { align: center middle; }
    SchemaCheckScreen > Vertical {
        width: 100; max-width: 100%; height: 100%; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    SchemaCheckScreen #check-title { text-style: bold; width: 100%; }
    SchemaCheckScreen TextArea { height: 1fr; }
    SchemaCheckScreen #check-result { height: auto; max-height: 6; }
    SchemaCheckScreen #check-result.-ok { color: $text-success; }
    SchemaCheckScreen #check-result.-bad { color: $text-error; }
    SchemaCheckScreen #check-buttons { height: 1; align-horizontal: right; }
    SchemaCheckScreen #check-buttons Button { margin-left: 2; width: auto; min-width: 10; }
    SchemaCheckScreen .muted { color: $text-muted; }
    """

    def __init__(
        self,
        subject: str,
        kind: str,
        text: str,
        *,
        check: Callable[[str], Awaitable[CompatibilityResult]],
        register: Callable[[str], Awaitable[int]],
    ) -> None:
        super().__init__()
        self.subject = subject
        self.kind = kind
        self.initial = text
        self.check = check
        self.register = register
        self.last_result: CompatibilityResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"New version of '{self.subject}' ({self.kind}): edit or paste the schema", id="check-title")
            # No language: syntax highlighting needs tree-sitter, not a dependency.
            yield TextArea(self.initial, id="check-text", soft_wrap=False, show_line_numbers=False)
            yield Static("ctrl+t checks compatibility · ctrl+s registers · esc cancels", id="check-result")
            with Horizontal(id="check-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Check", id="check", compact=True)
                yield Button("Register", id="register", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def say(self, text: str | Text, ok: bool | None) -> None:
        result = self.query_one("#check-result", Static)
        result.update(text)
        result.set_class(ok is True, "-ok")
        result.set_class(ok is False, "-bad")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "check":
            self.action_check()
        elif event.button.id == "register":
            self.action_register()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_check(self) -> None:
        problem = local_problem(self.kind, self.text)
        if problem:
            self.say(f"Not sent: {problem}", False)
            return
        self.say("checking ...", None)
        self._check(self.text)

    def action_register(self) -> None:
        problem = local_problem(self.kind, self.text)
        if problem:
            self.say(f"Not sent: {problem}", False)
            return
        self.say("registering ...", None)
        self._register(self.text)

    async def _call(self, call: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
        try:
            return True, await call()
        except KViewError as exc:
            self.say(str(exc), False)
        except Exception as exc:  # a bug must not close the modal or the app
            self.say(describe_exception(exc), False)
        return False, None

    @work(exclusive=True, group="schema-check", exit_on_error=False)
    async def _check(self, text: str) -> None:
        ok, result = await self._call(lambda: self.check(text))
        if not ok:
            return
        self.last_result = result
        if result.compatible:
            lines = ["Compatible: ctrl+s registers it.", *result.messages]
        else:
            why = list(result.messages) or ["(the registry gave no reason)"]
            lines = ["NOT compatible with the subject's latest version:", *why]
        self.say("\n".join(lines), result.compatible)

    @work(exclusive=True, group="schema-check", exit_on_error=False)
    async def _register(self, text: str) -> None:
        ok, schema_id = await self._call(lambda: self.register(text))
        if ok:
            self.dismiss(schema_id)


class CompatibilityScreen(ModalScreen[str | None]):
    """Choose a subject's compatibility level; the result is the level (None: cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="compatibility.cancel")]
    DEFAULT_CSS = """
    CompatibilityScreen { align: center middle; }
    CompatibilityScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    CompatibilityScreen #compat-title { text-style: bold; width: 100%; }
    CompatibilityScreen OptionList { height: auto; max-height: 12; }
    CompatibilityScreen .muted { color: $text-muted; }
    """

    def __init__(self, subject: str, current: str | None) -> None:
        super().__init__()
        self.subject = subject
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Compatibility level of '{self.subject}' (now {self.current or '-'})", id="compat-title")
            yield OptionList(
                *(Option(Text.assemble((level, "bold"), f"  {LEVEL_HELP[level]}"), id=level) for level in LEVELS),
                id="compat-levels",
            )
            yield Static("enter sets it · esc cancels", classes="muted")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in LEVELS:
            options.highlighted = LEVELS.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
