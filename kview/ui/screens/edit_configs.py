"""The edit-configs form: the topic's own settings as ``name=value`` lines.
Change, add or remove lines, review the old -> new values, then apply them
incrementally (only what changed is sent; a removed line reverts that config
to the default behind it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static, TextArea

from kview.core.brokers import ConfigEntry
from kview.core.topics import ConfigChange, config_diff, config_problems
from kview.ui.screens.operation_form import OperationForm, parse_config_lines

TOPIC_OVERRIDE = "DYNAMIC_TOPIC_CONFIG"

ApplyConfigs = Callable[[Mapping[str, str | None]], Awaitable[tuple[ConfigChange, ...]]]


def desired_configs(current: Iterable[ConfigEntry], text: str) -> tuple[dict[str, str | None], dict[str, str]]:
    """What the edited lines ask for: name -> new value, or None for a topic
    setting whose line was removed; and the problems (by line or config)."""
    entries = {c.name: c for c in current}
    configs, problems = parse_config_lines(text)
    problems.update(config_problems(configs))
    for name in configs:
        if name not in entries:
            problems[f"config {name}"] = "not a config of this topic"
    desired: dict[str, str | None] = dict(configs)
    for entry in entries.values():
        # Sensitive settings were never shown, so their absence is no removal.
        if entry.source == TOPIC_OVERRIDE and entry.value is not None and entry.name not in configs:
            desired[entry.name] = None
    return desired, problems


class EditConfigsScreen(OperationForm[tuple[ConfigChange, ...]]):
    """Edit a topic's configs; the result is the applied changes, or None."""

    def __init__(self, topic: str, configs: Iterable[ConfigEntry], apply: ApplyConfigs) -> None:
        super().__init__()
        self.topic = topic
        self.configs = tuple(configs)
        self.apply = apply
        self.changes: tuple[ConfigChange, ...] = ()
        self.reviewing = False

    def compose(self) -> ComposeResult:
        overrides = [c for c in self.configs if c.source == TOPIC_OVERRIDE and c.value is not None]
        with Vertical(id="dialog"):
            yield Label(f"Edit configs of '{self.topic}'", classes="title")
            with Vertical(id="edit-stage"):
                yield Static(
                    "The topic's own settings, name=value per line. Change or add lines; "
                    "remove a line to revert that config to its default.",
                    classes="muted",
                )
                area = TextArea("\n".join(f"{c.name}={c.value}" for c in overrides), id="configs", soft_wrap=False)
                yield area
                yield Static("", id="problem-configs", classes="problem")
            with Vertical(id="review-stage"):
                yield Static("These changes will be applied (old -> new):", classes="muted")
                yield Static("", id="review")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Review", id="form-submit", variant="primary", compact=True)
                yield Button("Back", id="form-back", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("", id="form-hint", classes="muted")

    def on_mount(self) -> None:
        self._stage(reviewing=False)
        self.query_one("#configs", TextArea).focus()

    def _stage(self, *, reviewing: bool) -> None:
        self.reviewing = reviewing
        self.query_one("#edit-stage").display = not reviewing
        self.query_one("#review-stage").display = reviewing
        self.query_one("#form-back").display = reviewing
        self.query_one("#form-submit", Button).label = "Apply" if reviewing else "Review"
        self.query_one("#form-hint", Static).update(
            "ctrl+s applies · esc cancels" if reviewing else "ctrl+s reviews the changes · esc cancels"
        )

    def field_of(self, key: str) -> str:
        return "configs" if key.startswith("config") or key.startswith("line ") else key

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.touched.add("configs")
        _, problems = desired_configs(self.configs, event.text_area.text)
        self.show_problems(problems)

    def on_form_button(self, button_id: str) -> None:
        if button_id == "form-back":
            self._stage(reviewing=False)
            self.show_error(None)
            self.query_one("#configs", TextArea).focus()
        else:
            super().on_form_button(button_id)

    def submit(self) -> None:
        if self.reviewing:
            changes = {c.name: (c.new if c.op == "set" else None) for c in self.changes}
            self.run_operation(lambda: self.apply(changes), self.dismiss)
            return
        desired, problems = desired_configs(self.configs, self.query_one("#configs", TextArea).text)
        self.show_problems(problems)
        if problems:
            return
        self.changes = config_diff(self.configs, desired)
        if not self.changes:
            self.show_error("nothing to change: the lines equal the topic's current settings")
            return
        self.show_error(None)
        self.query_one("#review", Static).update("\n".join(str(c) for c in self.changes))
        self._stage(reviewing=True)
        self.query_one("#form-submit", Button).focus()
