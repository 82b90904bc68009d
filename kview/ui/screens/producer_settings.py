"""The producer-settings modal: acks, idempotence, compression, linger and
batch size.  Problems (such as idempotence without acks=all) are shown as the
fields change, and Apply stays disabled until there are none."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from kview.core.produce import ACKS, COMPRESSIONS, ProducerSettings

ACKS_LABELS = {"0": "0 (no acknowledgement)", "1": "1 (the leader)", "all": "all (every in-sync replica)"}


def settings_line(settings: ProducerSettings) -> str:
    """The settings in one line, for the pane."""
    return (
        f"acks={settings.acks} · idempotence {'on' if settings.idempotence else 'off'} · "
        f"compression {settings.compression} · linger {settings.linger_ms} ms · "
        f"batch {settings.batch_size:,} B"
    )


class ProducerSettingsScreen(ModalScreen[ProducerSettings | None]):
    """Edit the pane's producer settings; the result is the new settings or
    None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="producer_settings.cancel")]
    DEFAULT_CSS = """
    ProducerSettingsScreen { align: center middle; }
    ProducerSettingsScreen #dialog {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ProducerSettingsScreen .title { text-style: bold; }
    ProducerSettingsScreen .muted { color: $text-muted; }
    ProducerSettingsScreen .row { height: 1; margin-top: 1; }
    ProducerSettingsScreen .row Label { width: 14; }
    ProducerSettingsScreen .row Select { width: 34; }
    ProducerSettingsScreen .row Input { width: 12; }
    ProducerSettingsScreen #settings-problems { color: $text-error; height: auto; margin-top: 1; }
    ProducerSettingsScreen #settings-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    ProducerSettingsScreen #settings-buttons Button { margin-left: 2; }
    """

    def __init__(self, current: ProducerSettings, defaults: ProducerSettings) -> None:
        super().__init__()
        self.current = current
        self.defaults = defaults

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
            yield Static("", id="settings-problems")
            with Horizontal(id="settings-buttons"):
                yield Button("Apply", id="settings-apply", variant="primary", compact=True)
                yield Button("Profile defaults", id="settings-defaults", compact=True)
                yield Button("Cancel", id="settings-cancel", compact=True)

    def on_mount(self) -> None:
        self.fill(self.current)
        self.query_one("#settings-acks", Select).focus()

    def fill(self, settings: ProducerSettings) -> None:
        self.query_one("#settings-acks", Select).value = settings.acks
        self.query_one("#settings-idempotence", Checkbox).value = settings.idempotence
        self.query_one("#settings-compression", Select).value = settings.compression
        self.query_one("#settings-linger", Input).value = str(settings.linger_ms)
        self.query_one("#settings-batch", Input).value = str(settings.batch_size)
        self.check()

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
            self.fill(self.defaults)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
