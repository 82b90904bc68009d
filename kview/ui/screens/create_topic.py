"""The create-topic form: name, partitions, replication factor and config
overrides (``name=value`` lines), checked with Kafka's rules as they are typed
and created inside the modal, so Kafka's refusal shows next to the input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static, TextArea

from kview.core.topics import NewTopic, new_topic_problems
from kview.ui.screens.operation_form import OperationForm, parse_config_lines

CreateTopic = Callable[[str, str, str, Mapping[str, str]], Awaitable[NewTopic]]
"""(name, partitions, replication factor, configs) -> the created topic."""


class CreateTopicScreen(OperationForm[NewTopic]):
    """Create a topic; the result is the NewTopic created, or None when cancelled."""

    def __init__(self, *, broker_count: int, existing: Iterable[str], create: CreateTopic, partitions: int = 1) -> None:
        super().__init__()
        self.broker_count = broker_count
        self.existing = frozenset(existing)
        self.create = create
        self.default_partitions = partitions

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Create topic", classes="title")
            with Horizontal(classes="row"):
                yield Label("Name")
                yield Input(id="name", placeholder="letters, digits, '.', '_' and '-'", compact=True)
            yield Static("", id="problem-name", classes="problem")
            with Horizontal(classes="row"):
                yield Label("Partitions")
                yield Input(
                    str(self.default_partitions), id="partitions", restrict=r"[0-9]*", classes="-short", compact=True
                )
                yield Label("Replication factor", classes="inner-label")
                yield Input(
                    str(min(3, max(1, self.broker_count))),
                    id="replication_factor",
                    restrict=r"[0-9]*",
                    classes="-short",
                    compact=True,
                )
            yield Static("", id="problem-partitions", classes="problem")
            yield Static("", id="problem-replication_factor", classes="problem")
            yield Static(f"The cluster has {self.broker_count} broker(s).", classes="muted")
            yield Label("Configs (optional): name=value, one per line, e.g. retention.ms=86400000")
            yield TextArea(id="configs", soft_wrap=False)
            yield Static("", id="problem-configs", classes="problem")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Create", id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("ctrl+s creates · tab moves · esc cancels", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def field_of(self, key: str) -> str:
        if key.startswith("config") or key.startswith("line "):
            return "configs"
        return key

    def _values(self) -> tuple[str, str, str, dict[str, str], dict[str, str]]:
        name = self.query_one("#name", Input).value.strip()
        partitions = self.query_one("#partitions", Input).value
        replication = self.query_one("#replication_factor", Input).value
        configs, problems = parse_config_lines(self.query_one("#configs", TextArea).text)
        return name, partitions, replication, configs, problems

    def problems(self) -> dict[str, str]:
        """Every problem of the form as it is now (empty when it can be sent)."""
        name, partitions, replication, configs, line_problems = self._values()
        problems = new_topic_problems(
            name,
            partitions,
            replication,
            configs,
            broker_count=self.broker_count,
            existing=self.existing,
        )
        problems.update(line_problems)
        return problems

    def on_input_changed(self, event: Input.Changed) -> None:
        self.touched.add(event.input.id or "")
        self.show_problems(self.problems(), only_touched=True)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.touched.add("configs")
        self.show_problems(self.problems(), only_touched=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def submit(self) -> None:
        problems = self.problems()
        self.touched.update({"name", "partitions", "replication_factor", "configs"})
        self.show_problems(problems)
        if problems:
            first = self.field_of(next(iter(problems)))
            for widget in self.query(f"#{first}"):
                widget.focus()
            return
        name, partitions, replication, configs, _ = self._values()
        self.run_operation(lambda: self.create(name, partitions, replication, configs), self.dismiss)
