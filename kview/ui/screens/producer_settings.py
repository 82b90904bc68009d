"""The producer-settings modal: acks, idempotence, compression, linger and
batch size, and how the key and the value are written: as the bytes of their
text, or as JSON encoded with a registered schema (subject, version,
Protobuf message).  Problems (such as idempotence without acks=all) are shown
as the fields change, and Apply stays disabled until there are none."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from kview.core.produce import ACKS, COMPRESSIONS, ProducerSettings, SchemaChoice

ACKS_LABELS = {"0": "0 (no acknowledgement)", "1": "1 (the leader)", "all": "all (every in-sync replica)"}


def settings_line(settings: ProducerSettings) -> str:
    """The settings in one line, for the pane."""
    return (
        f"acks={settings.acks} · idempotence {'on' if settings.idempotence else 'off'} · "
        f"compression {settings.compression} · linger {settings.linger_ms} ms · "
        f"batch {settings.batch_size:,} B"
    )


def schemas_line(settings: ProducerSettings, topic: str | None = None) -> str:
    """How the key and value are written, in one line (empty when both are bytes)."""
    if not settings.uses_schemas:
        return ""
    parts = []
    for field, choice in (("key", settings.key_schema), ("value", settings.value_schema)):
        parts.append(f"{field} {choice.describe(field, topic)}" if choice is not None else f"{field} as text")
    return " · ".join(parts)


class ProducerSettingsScreen(ModalScreen[ProducerSettings | None]):
    """Edit the pane's producer settings; the result is the new settings or
    None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="producer_settings.cancel")]
    DEFAULT_CSS = """
    ProducerSettingsScreen { align: center middle; }
    ProducerSettingsScreen #dialog {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1; overflow-y: auto;
    }
    ProducerSettingsScreen .title { text-style: bold; }
    ProducerSettingsScreen .muted { color: $text-muted; }
    ProducerSettingsScreen .row { height: 1; margin-top: 1; }
    ProducerSettingsScreen .row Label { width: 14; }
    ProducerSettingsScreen .row Select { width: 34; }
    ProducerSettingsScreen .row Input { width: 12; }
    ProducerSettingsScreen .row.schema-row { margin-top: 0; }
    ProducerSettingsScreen .row.first-schema-row { margin-top: 1; }
    ProducerSettingsScreen .row .encoding { width: 10; }
    ProducerSettingsScreen .row .subject { width: 1fr; }
    ProducerSettingsScreen .row .version { width: 8; margin-left: 1; }
    ProducerSettingsScreen .row .message { width: 16; margin-left: 1; }
    ProducerSettingsScreen #settings-problems { color: $text-error; height: auto; margin-top: 1; }
    ProducerSettingsScreen #settings-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    ProducerSettingsScreen #settings-buttons Button { margin-left: 2; }
    """

    def __init__(self, current: ProducerSettings, defaults: ProducerSettings, *, topic: str = "") -> None:
        super().__init__()
        self.current = current
        self.defaults = defaults
        self.topic = topic
        """The pane's topic: a subject left empty is ``<topic>-key`` / ``<topic>-value``."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Producer settings", classes="title")
            yield Static(
                "Used by every send, load and import from this pane; the defaults come from the cluster profile.",
                classes="muted",
            )
            with Horizontal(classes="row"):
                yield Label("acks")
                yield Select([(ACKS_LABELS[a], a) for a in ACKS], allow_blank=False, id="settings-acks", compact=True)
            with Horizontal(classes="row"):
                yield Label("Idempotence")
                yield Checkbox("idempotent producer (needs acks=all)", id="settings-idempotence", compact=True)
            with Horizontal(classes="row"):
                yield Label("Compression")
                yield Select([(c, c) for c in COMPRESSIONS], allow_blank=False, id="settings-compression", compact=True)
            with Horizontal(classes="row"):
                yield Label("Linger (ms)")
                yield Input(id="settings-linger", restrict=r"\d*", compact=True)
            with Horizontal(classes="row"):
                yield Label("Batch (bytes)")
                yield Input(id="settings-batch", restrict=r"\d*", compact=True)
            for field in ("key", "value"):
                with Horizontal(classes="row schema-row" + (" first-schema-row" if field == "key" else "")):
                    yield Label(f"{field.capitalize()} as")
                    yield Select(
                        [("text", "text"), ("schema", "schema")],
                        allow_blank=False,
                        id=f"settings-{field}-encoding",
                        classes="encoding",
                        compact=True,
                    )
                    yield Input(
                        id=f"settings-{field}-subject",
                        placeholder=f"{self.topic or '<topic>'}-{field}",
                        classes="subject",
                        compact=True,
                    )
                    yield Input(
                        id=f"settings-{field}-version",
                        placeholder="latest",
                        restrict=r"[0-9a-z]*",
                        classes="version",
                        compact=True,
                    )
                    yield Input(
                        id=f"settings-{field}-message",
                        placeholder="Protobuf msg",
                        classes="message",
                        compact=True,
                    )
            yield Static(
                "schema: JSON, encoded with the subject's schema (default <topic>-key/-value)",
                classes="muted",
            )
            yield Static("", id="settings-problems")
            with Horizontal(id="settings-buttons"):
                yield Button("Apply", id="settings-apply", variant="primary", compact=True)
                yield Button("Profile defaults", id="settings-defaults", compact=True)
                yield Button("Cancel", id="settings-cancel", compact=True)

    def on_mount(self) -> None:
        self.fill(self.current)
        self.query_one("#settings-acks", Select).focus()

    def fill(self, settings: ProducerSettings, *, schemas: bool = True) -> None:
        """Show ``settings``; ``schemas=False`` leaves the key and value rows
        as they are (the profile's defaults say nothing about schemas)."""
        self.query_one("#settings-acks", Select).value = settings.acks
        self.query_one("#settings-idempotence", Checkbox).value = settings.idempotence
        self.query_one("#settings-compression", Select).value = settings.compression
        self.query_one("#settings-linger", Input).value = str(settings.linger_ms)
        self.query_one("#settings-batch", Input).value = str(settings.batch_size)
        if schemas:
            for field, choice in (("key", settings.key_schema), ("value", settings.value_schema)):
                self.query_one(f"#settings-{field}-encoding", Select).value = "text" if choice is None else "schema"
                self.query_one(f"#settings-{field}-subject", Input).value = (choice and choice.subject) or ""
                version = "" if choice is None or choice.version == "latest" else str(choice.version)
                self.query_one(f"#settings-{field}-version", Input).value = version
                self.query_one(f"#settings-{field}-message", Input).value = (choice and choice.message) or ""
        self._sync_schema_fields()
        self.check()

    def _sync_schema_fields(self) -> None:
        for field in ("key", "value"):
            text = self.query_one(f"#settings-{field}-encoding", Select).value != "schema"
            for part in ("subject", "version", "message"):
                self.query_one(f"#settings-{field}-{part}", Input).disabled = text

    def schema_choice(self, field: str, problems: list[str]) -> SchemaChoice | None:
        """The key's or value's schema the fields describe (None: as text)."""
        if self.query_one(f"#settings-{field}-encoding", Select).value != "schema":
            return None
        subject = self.query_one(f"#settings-{field}-subject", Input).value.strip()
        version_text = self.query_one(f"#settings-{field}-version", Input).value.strip()
        message = self.query_one(f"#settings-{field}-message", Input).value.strip()
        if not subject and not self.topic:
            problems.append(f"{field} schema: name the subject (or choose the topic first: <topic>-{field})")
        version: int | str = "latest"
        if version_text and version_text != "latest":
            if version_text.isdigit():
                version = int(version_text)
            else:
                problems.append(f"{field} schema: the version is a number or 'latest', not {version_text!r}")
        # An empty subject stays the topic name strategy: it follows the pane's topic.
        return SchemaChoice(subject or None, version, message or None)  # type: ignore[arg-type]

    def read(self) -> tuple[ProducerSettings | None, list[str]]:
        """The settings the fields describe, and every problem with them."""
        problems = []
        numbers = {}
        for field_id, name in (("settings-linger", "linger"), ("settings-batch", "batch size")):
            text = self.query_one(f"#{field_id}", Input).value.strip()
            if not text.isdigit():
                problems.append(f"{name} must be a whole number")
            numbers[field_id] = int(text) if text.isdigit() else 0
        settings = ProducerSettings(
            acks=str(self.query_one("#settings-acks", Select).value),
            idempotence=self.query_one("#settings-idempotence", Checkbox).value,
            compression=str(self.query_one("#settings-compression", Select).value),
            linger_ms=numbers["settings-linger"],
            batch_size=numbers["settings-batch"],
            key_schema=self.schema_choice("key", problems),
            value_schema=self.schema_choice("value", problems),
        )
        problems += settings.problems()
        return (None if problems else settings), problems

    def check(self) -> None:
        """Show the problems inline; Apply only when there are none."""
        settings, problems = self.read()
        self.query_one("#settings-problems", Static).update("\n".join(problems))
        self.query_one("#settings-apply", Button).disabled = settings is None

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._sync_schema_fields()
        self.check()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.check()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.check()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()

    def apply(self) -> None:
        settings, _problems = self.read()
        if settings is not None:
            self.dismiss(settings)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "settings-apply":
            self.apply()
        elif event.button.id == "settings-defaults":
            self.fill(self.defaults, schemas=False)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
