"""The base of the topic operation forms (create topic, add partitions, edit
configs, delete records): problems are shown under the field they concern as
the user types, the operation runs inside the modal, and Kafka's refusal is
shown there in words, so nothing the user typed is lost on a failure.

Also the one parser of ``name=value`` lines the config fields share."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kview.core.errors import KViewError, describe_exception
from kview.core.topics import TopicFormError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
"""What an operation returns, handed to its ``on_done``."""


def parse_config_lines(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """``name=value`` lines -> (configs, problems keyed by 'line N').

    Blank lines and ``#`` comments are skipped; spaces around the name and the
    value are dropped; a name given twice is a problem (which one was meant?)."""
    configs: dict[str, str] = {}
    problems: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            problems[f"line {number}"] = f"expected name=value, got {line!r}"
        elif name in configs:
            problems[f"line {number}"] = f"{name} is given twice"
        elif not value:
            problems[f"line {number}"] = f"{name} has no value"
        else:
            configs[name] = value
    return configs, problems


class OperationForm(ModalScreen[T]):
    """A modal form that validates before sending and runs its operation.

    Subclasses compose a ``#dialog`` with ``Static.problem`` widgets whose ids
    are ``problem-<field>``, a ``#form-error`` line and a ``#form-submit``
    button; they implement ``submit()`` and map problem keys to fields with
    ``field_of``."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Apply", id="form.submit"),
    ]
    DEFAULT_CSS = """
    OperationForm { align: center middle; }
    OperationForm #dialog {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1; overflow-y: auto;
    }
    OperationForm #dialog > Vertical { height: auto; }
    OperationForm .title { text-style: bold; }
    OperationForm #dialog > Label { width: 100%; }  /* a long topic or group name wraps, never cut */
    OperationForm .muted { color: $text-muted; }
    OperationForm .warning { color: $text-warning; }
    OperationForm .row { height: 1; margin-top: 1; }
    OperationForm .row Label { width: 20; }
    OperationForm .row Input { width: 1fr; }
    OperationForm .row Input.-short { width: 10; }
    OperationForm .row .inner-label { width: auto; padding: 0 1 0 2; }
    OperationForm TextArea { height: 5; border: round $panel-lighten-2; }
    OperationForm TextArea:focus { border: round $primary; }
    OperationForm .problem { height: auto; display: none; color: $text-error; }
    OperationForm .problem.-shown { display: block; }
    OperationForm #form-error { height: auto; display: none; color: $text-error; margin-top: 1; }
    OperationForm #form-error.-shown { display: block; }
    OperationForm #form-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    OperationForm #form-buttons Button { margin-left: 2; width: auto; min-width: 10; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self.touched: set[str] = set()
        """Fields the user changed: only their problems show while typing."""

    # -- problems ------------------------------------------------------------------

    def field_of(self, key: str) -> str:
        """The field a problem key belongs to (a ``problem-<field>`` widget)."""
        return key

    def show_problems(self, problems: Mapping[str, str], *, only_touched: bool = False) -> None:
        """Write each problem under its field; clear the fields without any."""
        by_field: dict[str, list[str]] = {}
        for key, problem in problems.items():
            field = self.field_of(key)
            text = problem if field == key else f"{key}: {problem}"
            by_field.setdefault(field, []).append(text)
        unplaced = []
        for widget in self.query(".problem").results(Static):
            field = (widget.id or "").removeprefix("problem-")
            lines = by_field.pop(field, [])
            if only_touched and field not in self.touched:
                lines = []
            widget.update("\n".join(f"✗ {line}" for line in lines))
            widget.set_class(bool(lines), "-shown")
        for field, lines in by_field.items():
            unplaced.extend(lines if field == "" else [f"{field}: {line}" for line in lines])
        if unplaced:
            self.show_error("\n".join(unplaced))

    def show_error(self, text: str | None) -> None:
        """The general error line (Kafka's refusal, in words); None clears it."""
        error = self.query_one("#form-error", Static)
        error.update(f"✗ {text}" if text else "")
        error.set_class(bool(text), "-shown")

    def show_step(self, submit: str, hint: str, *, final: bool) -> None:
        """The submit button's label and the hint line for the form's step;
        ``final``: the step whose submit changes the cluster (a red button)."""
        button = self.query_one("#form-submit", Button)
        button.label = submit
        button.variant = "error" if final else "primary"
        self.query_one("#form-hint", Static).update(hint)

    # -- running -------------------------------------------------------------------

    def run_operation(self, operation: Callable[[], Awaitable[R]], on_done: Callable[[R], object]) -> None:
        """Run ``operation`` in a worker; on success call ``on_done(result)``,
        on failure show why and keep the form as it is."""
        if self.busy:
            return
        self.busy = True
        self._set_buttons_disabled(True)
        self.show_error(None)

        async def runner() -> None:
            try:
                result = await operation()
            except TopicFormError as exc:
                self.show_problems(exc.problems)
            except KViewError as exc:
                self.show_error(str(exc))
            except Exception as exc:  # a bug must not lose the form: show it, log it
                log.exception("operation failed")
                self.show_error(describe_exception(exc))
            else:
                on_done(result)
                return
            finally:
                self.busy = False
                if self.is_attached:
                    self._set_buttons_disabled(False)

        self.run_worker(runner(), exclusive=True, group="operation-form", exit_on_error=False)

    def _set_buttons_disabled(self, disabled: bool) -> None:
        for button in self.query("#form-buttons Button").results(Button):
            if button.id != "form-cancel":
                button.disabled = disabled

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-cancel":
            self.action_cancel()
        else:
            self.on_form_button(event.button.id or "")

    def on_form_button(self, button_id: str) -> None:
        """A button other than Cancel was pressed (``form-submit`` by default)."""
        if button_id == "form-submit":
            self.action_submit()

    def action_submit(self) -> None:
        if not self.busy:
            self.submit()

    def submit(self) -> None:
        """Validate everything; if valid, ``run_operation``."""
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)
