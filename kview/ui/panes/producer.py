"""Producer pane: compose one message and send it, re-open sent messages from
the history, change the producer settings, run a templated load, import a
file.

The pane owns a ProduceService (kview.core.produce) built on the app's
backend; every check and every send is the service's.  The pane turns the
form into a ComposedMessage, shows what the service refuses where the user is
looking (a JSON error under the value editor with its line and column, other
refusals and Kafka's errors on the result line) and never clears the form on a
failure.  Loads and imports run in their own modals (kview.ui.screens).

With a schema chosen in the settings (ctrl+t), the schema line under the
settings says which subject, version and id the key and value are written
with (looked up when the settings or the topic change), the value's live
check says whether the JSON fits it, and a record that does not fit is
refused before sending with the field path, under the editor and on the
result line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from kview.core.errors import KViewError, describe_exception
from kview.core.models import ClusterSnapshot
from kview.core.produce import (
    ComposedMessage,
    Headers,
    InvalidJSON,
    InvalidMessage,
    JobState,
    LoadProgress,
    LoadSpec,
    MessageEncoders,
    ProducerSettings,
    ProduceService,
    SchemaMismatch,
    SendResult,
    ValueFormat,
    format_header_rows,
    parse_header_rows,
    validate_json,
)
from kview.core.schemas.errors import RegistryError
from kview.ui.panes.base import Pane, PaneStatus
from kview.ui.screens.import_file import ImportFileScreen
from kview.ui.screens.produce_load import LoadScreen
from kview.ui.screens.producer_settings import ProducerSettingsScreen, schemas_line, settings_line
from kview.ui.screens.send_history import SendHistoryScreen
from kview.ui.widgets.job_progress import summary_line

log = logging.getLogger(__name__)


def format_timestamp(ms: int) -> str:
    """Milliseconds since the epoch -> ``2025-01-31 12:00:00.123 UTC``."""
    try:
        stamp = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        # A timestamp the user set past year 9999: show the number.
        return f"{ms} ms"
    return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d} UTC"


def result_line(result: SendResult) -> str:
    """The broker's acknowledgement in one line."""
    if result.offset is None:
        where = "partition chosen by the producer" if result.partition < 0 else f"partition {result.partition}"
        return (
            f"✓ sent to '{result.topic}' ({where}); with acks=0 the broker does not answer, "
            "so the offset and timestamp are unknown"
        )
    stamp = "" if result.timestamp is None else f" · {format_timestamp(result.timestamp)}"
    kind = f" ({result.timestamp_type})" if result.timestamp_type else ""
    return (
        f"✓ sent to '{result.topic}': partition {result.partition} · offset {result.offset}{stamp}{kind}"
        + schemas_used(result)
    )


def schemas_used(result: SendResult) -> str:
    """`` · value written with orders-value v3 (id 12, Avro)`` (empty without schemas)."""
    parts = [
        f"{field} {used}"
        for field, used in (("key", result.key_schema), ("value", result.value_schema))
        if used is not None
    ]
    return f" · written with {', '.join(parts)}" if parts else ""


class ProducerPane(Pane):
    pane_id = "producer"
    title = "Producer"
    polls = False

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="producer.send"),
        Binding("ctrl+l", "load", "Load", id="producer.load"),
        Binding("ctrl+o", "import_file", "Import", id="producer.import"),
        Binding("ctrl+b", "history", "History", id="producer.history"),
        Binding("ctrl+t", "settings", "Settings", id="producer.settings"),
        Binding("ctrl+n", "clear", "Clear the form", id="producer.clear", show=False),
        Binding("escape", "leave_field", "Leave the field (pane keys work again)", id="producer.leave", show=False),
    ]

    DEFAULT_CSS = """
    ProducerPane #producer-form { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ProducerPane .row { height: 1; }
    ProducerPane .row Label { width: 8; }
    ProducerPane .row .inner-label { width: auto; padding: 0 1 0 2; }
    ProducerPane #producer-topic, ProducerPane #producer-key { width: 1fr; }
    ProducerPane #producer-partition { width: 8; }
    ProducerPane #producer-null-key { margin-left: 2; width: auto; }
    ProducerPane #producer-format { width: 12; }
    ProducerPane #producer-tombstone { margin-left: 2; width: auto; }
    ProducerPane #producer-topic-hint { width: 1fr; padding-left: 2; color: $text-muted; }
    ProducerPane #producer-topic-hint.-bad { color: $text-warning; }
    ProducerPane TextArea { border: round $panel-lighten-2; }
    ProducerPane TextArea:focus { border: round $primary; }
    ProducerPane #producer-value { height: 1fr; min-height: 8; }
    ProducerPane #producer-headers { height: 4; }
    ProducerPane .problem { height: auto; display: none; color: $text-error; }
    ProducerPane .problem.-shown { display: block; }
    ProducerPane #producer-value-problem.-ok { color: $text-success; }
    ProducerPane #producer-settings { height: auto; color: $text-muted; }
    ProducerPane #producer-schema { height: auto; display: none; }
    ProducerPane #producer-schema.-shown { display: block; }
    ProducerPane #producer-schema.-bad { color: $text-warning; }
    ProducerPane #producer-buttons { height: 1; margin-top: 1; }
    ProducerPane #producer-buttons Button { width: auto; min-width: 10; margin-right: 2; }
    ProducerPane #producer-result { height: auto; max-height: 3; padding: 0 1; }
    ProducerPane #producer-result.-ok { color: $text-success; }
    ProducerPane #producer-result.-error { color: $text-error; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._service: ProduceService | None = None
        self._sending = False
        self._last_focus: Widget | None = None
        self._topics: tuple[str, ...] = ()
        self._encoders: MessageEncoders | None = None
        self._encoders_for: tuple[str, ProducerSettings] | None = None
        """The (topic, settings) ``_encoders`` were looked up for."""

    # -- the service -----------------------------------------------------------------

    @property
    def service(self) -> ProduceService:
        """Built on first use from the app's backend; closed with the pane."""
        if self._service is None:
            service = self.kview.services.new_producer()
            # The app's shared registry client (its schema cache and backoff);
            # the services close it, not the producer.
            service.registry = getattr(self.kview.services, "registry", None)
            self._service = service
        return self._service

    @property
    def settings(self) -> ProducerSettings:
        return self.service.settings

    async def on_unmount(self) -> None:
        if self._service is not None:
            service, self._service = self._service, None
            await service.close()

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="producer-form", can_focus=False):
            with Horizontal(classes="row"):
                yield Label("Topic")
                yield Input(
                    id="producer-topic",
                    placeholder="topic (→ completes)",
                    compact=True,
                    suggester=SuggestFromList([], case_sensitive=True),
                )
                yield Label("Partition", classes="inner-label")
                yield Input(id="producer-partition", placeholder="auto", restrict=r"\d*", compact=True)
            with Horizontal(classes="row"):
                yield Label("Key")
                yield Input(id="producer-key", placeholder="key (empty is an empty key)", compact=True)
                yield Checkbox("null key", id="producer-null-key", compact=True)
            with Horizontal(classes="row"):
                yield Label("Format")
                yield Select(
                    [("text", ValueFormat.TEXT), ("JSON", ValueFormat.JSON)],
                    value=ValueFormat.TEXT,
                    allow_blank=False,
                    id="producer-format",
                    compact=True,
                )
                yield Checkbox("tombstone (null value)", id="producer-tombstone", compact=True)
                yield Static("", id="producer-topic-hint")
            # Above the editor, where the user is looking while typing the JSON.
            yield Static("", id="producer-schema")
            value = TextArea(id="producer-value", soft_wrap=True)
            value.border_title = "Value"
            yield value
            yield Static("", id="producer-value-problem", classes="problem")
            headers = TextArea(id="producer-headers", soft_wrap=False)
            headers.border_title = "Headers: name=value, one per line"
            yield headers
            yield Static("", id="producer-headers-problem", classes="problem")
            yield Static("", id="producer-settings")
            with Horizontal(id="producer-buttons"):
                yield Button("Send", id="producer-send", variant="primary", compact=True)
                yield Button("Load…", id="producer-load", compact=True)
                yield Button("Import…", id="producer-import", compact=True)
                yield Button("History", id="producer-history", compact=True)
                yield Button("Settings", id="producer-settings-button", compact=True)
        yield Static("", id="producer-result")
        yield PaneStatus("", id="producer-status")

    def on_mount(self) -> None:
        self._show_settings()
        self.watch(self.kview, "snapshot", self._snapshot_changed)
        if self.kview.profile.read_only:
            self.set_status(
                "READ-ONLY cluster: sending is refused · tab: next field · esc: leave the field, then 1-9 switch panes"
            )
        else:
            self.set_status("tab: next field · ctrl+s: send · esc: leave the field, then 1-9 switch panes")

    def focus_default(self) -> None:
        """Back where the user was; on first visit, the topic (or the key when
        the topic is already filled in)."""
        last = self._last_focus
        if last is not None and last.is_attached and last.focusable:
            last.focus()
            return
        topic = self.query_one("#producer-topic", Input)
        (topic if not topic.value else self.query_one("#producer-key", Input)).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._last_focus = event.widget

    def set_topic(self, topic: str) -> None:
        """Fill in the topic (the app's ProduceTo) and move on to the key."""
        self.query_one("#producer-topic", Input).value = topic
        key = self.query_one("#producer-key", Input)
        (key if not key.disabled else self.query_one("#producer-value", TextArea)).focus()

    # -- reacting to the form --------------------------------------------------------

    def _snapshot_changed(self, snapshot: ClusterSnapshot | None) -> None:
        if snapshot is None:
            return
        # User topics first, so completion offers them before internal ones.
        topics = tuple(t.name for t in sorted(snapshot.metadata.topics, key=lambda t: (t.internal, t.name)))
        if topics != self._topics:
            self._topics = topics
            self.query_one("#producer-topic", Input).suggester = SuggestFromList(topics, case_sensitive=True)
        self._show_topic_hint()

    def topic_names(self) -> list[str]:
        snapshot = self.kview.snapshot
        if snapshot is None:
            return []
        return sorted(t.name for t in snapshot.metadata.topics if not t.internal)

    def _show_topic_hint(self) -> None:
        """Partitions of the chosen topic (as of the last refresh), or a warning."""
        hint = self.query_one("#producer-topic-hint", Static)
        topic = self.query_one("#producer-topic", Input).value.strip()
        partition_text = self.query_one("#producer-partition", Input).value.strip()
        snapshot = self.kview.snapshot
        text, bad = "", False
        if topic and snapshot is not None:
            info = snapshot.metadata.topic(topic)
            if info is None:
                text, bad = "not in the cluster (as of the last refresh)", True
            else:
                count = info.partition_count
                text = f"{count} partition(s): 0-{count - 1}" if count else "no partitions"
                if partition_text and int(partition_text) >= count:
                    text, bad = f"no partition {partition_text}: {text}", True
        hint.update(text)
        hint.set_class(bad, "-bad")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("producer-topic", "producer-partition"):
            self._show_topic_hint()
        if event.input.id == "producer-topic":
            settings = self.settings
            if any(c is not None and c.subject is None for c in (settings.key_schema, settings.value_schema)):
                self._look_up_schemas(pause=0.3)  # the subject follows the topic

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # enter in a one-line field moves on, as tab does; ctrl+s sends.
        event.stop()
        self.screen.focus_next()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "producer-null-key":
            self.query_one("#producer-key", Input).disabled = event.value
        elif event.checkbox.id == "producer-tombstone":
            self.query_one("#producer-value", TextArea).disabled = event.value
            self._check_value()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "producer-format":
            self.query_one("#producer-value", TextArea).show_line_numbers = event.value is ValueFormat.JSON
            self._check_value()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "producer-value":
            self._check_value()
        elif event.text_area.id == "producer-headers":
            self._show_problem("producer-headers-problem", None)

    def value_format(self) -> ValueFormat:
        value = self.query_one("#producer-format", Select).value
        return value if isinstance(value, ValueFormat) else ValueFormat.TEXT

    def _check_value(self) -> None:
        """Live JSON check under the editor while the format is JSON, and
        against the value's schema once it has been looked up."""
        widget = self.query_one("#producer-value-problem", Static)
        tombstone = self.query_one("#producer-tombstone", Checkbox).value
        schema = self.settings.value_schema is not None
        if (self.value_format() is not ValueFormat.JSON and not schema) or tombstone:
            self._show_problem("producer-value-problem", None)
            return
        text = self.query_one("#producer-value", TextArea).text
        try:
            validate_json(text)
        except InvalidJSON as exc:
            note = ""
            if "{{" in text:
                note = " (placeholders are filled in only by a load)"
            self._show_problem("producer-value-problem", f"✗ {exc}{note}")
            widget.remove_class("-ok")
            return
        encoders = self._current_encoders()
        if encoders is None or encoders.value is None:
            self._show_problem("producer-value-problem", "✓ valid JSON")
            widget.add_class("-ok")
            return
        try:
            encoders.encode_text("value", text)
        except (SchemaMismatch, InvalidJSON) as exc:
            self._show_problem("producer-value-problem", f"✗ {exc}")
            widget.remove_class("-ok")
        else:
            self._show_problem("producer-value-problem", f"✓ fits {encoders.value_used}")
            widget.add_class("-ok")

    def _show_problem(self, widget_id: str, text: str | None) -> None:
        widget = self.query_one(f"#{widget_id}", Static)
        widget.update(text or "")
        widget.set_class(bool(text), "-shown")
        if not text:
            widget.remove_class("-ok")

    def _result(self, text: str, *, ok: bool = False, error: bool = False) -> None:
        widget = self.query_one("#producer-result", Static)
        widget.update(text)
        widget.set_class(ok, "-ok")
        widget.set_class(error, "-error")

    def _show_settings(self) -> None:
        self.query_one("#producer-settings", Static).update(f"Producer: {settings_line(self.settings)}")
        self._look_up_schemas()

    # -- the schemas the key and value are written with ------------------------------

    def _topic(self) -> str:
        return self.query_one("#producer-topic", Input).value.strip()

    def _current_encoders(self) -> MessageEncoders | None:
        """The encoders looked up for the form's topic and the settings, if current."""
        if self._encoders_for != (self._topic(), self.settings):
            return None
        return self._encoders

    def _show_schemas(self, text: str, *, bad: bool = False) -> None:
        widget = self.query_one("#producer-schema", Static)
        widget.update(text)
        widget.set_class(bool(text), "-shown")
        widget.set_class(bad, "-bad")

    def _look_up_schemas(self, pause: float = 0.0) -> None:
        """Say which schemas the settings choose and look them up in the
        registry (subject, version, id), in a worker: the form stays live."""
        settings = self.settings
        self._encoders, self._encoders_for = None, None
        if not settings.uses_schemas:
            self._show_schemas("")
            self._check_value()
            return
        topic = self._topic()
        self._show_schemas(f"Schemas: {schemas_line(settings, topic)} (looking up …)")
        self.run_worker(
            self._look_up(topic, settings, pause), exclusive=True, group="producer-schemas", exit_on_error=False
        )

    async def _look_up(self, topic: str, settings: ProducerSettings, pause: float) -> None:
        if pause:
            await asyncio.sleep(pause)  # typing a topic: look up once the keys pause
        if not topic and any(c is not None and c.subject is None for c in (settings.key_schema, settings.value_schema)):
            self._show_schemas(
                f"Schemas: {schemas_line(settings, topic)}: choose a topic (the subject is named after it)"
            )
            return
        try:
            encoders = await self.service.encoders(topic, settings)
        except KViewError as exc:
            self._show_schemas(f"✗ {exc}", bad=True)
            return
        except Exception as exc:  # a bug must not kill the pane: say it, log it
            log.exception("schema look-up failed")
            self._show_schemas(f"✗ schema look-up failed: {describe_exception(exc)}", bad=True)
            return
        self._encoders, self._encoders_for = encoders, (topic, settings)
        parts = [
            f"{field} {used}"
            for field, used in (("key", encoders.key_used), ("value", encoders.value_used))
            if used is not None
        ]
        self._show_schemas("Schema: " + " · ".join(parts))
        self._check_value()

    # -- the form as a message -------------------------------------------------------

    def _headers(self) -> Headers | None:
        try:
            return parse_header_rows(self.query_one("#producer-headers", TextArea).text)
        except InvalidMessage as exc:
            self._show_problem("producer-headers-problem", f"✗ {exc}")
            self._result(f"nothing sent: {exc}", error=True)
            return None

    def _fields(self) -> dict[str, Any] | None:
        """The form's fields, or None when one is wrong (said inline)."""
        headers = self._headers()
        if headers is None:
            return None
        partition_text = self.query_one("#producer-partition", Input).value.strip()
        return {
            "topic": self.query_one("#producer-topic", Input).value.strip(),
            "key": None
            if self.query_one("#producer-null-key", Checkbox).value
            else self.query_one("#producer-key", Input).value,
            "value": None
            if self.query_one("#producer-tombstone", Checkbox).value
            else self.query_one("#producer-value", TextArea).text,
            "headers": headers,
            "partition": int(partition_text) if partition_text else None,
            # A value written with a schema is JSON, whatever the format menu says.
            "value_format": ValueFormat.JSON if self.settings.value_schema is not None else self.value_format(),
        }

    def message(self) -> ComposedMessage | None:
        """The form as a checked message, or None (the reason shown inline)."""
        fields = self._fields()
        if fields is None:
            return None
        message = ComposedMessage(**fields)
        try:
            message.check()
        except InvalidJSON as exc:
            self._check_value()
            editor = self.query_one("#producer-value", TextArea)
            editor.cursor_location = (exc.line - 1, exc.column - 1)
            editor.focus()
            self._result(f"nothing sent: {exc}", error=True)
            return None
        except InvalidMessage as exc:
            self._result(f"nothing sent: {exc}", error=True)
            return None
        return message

    def load_message(self, message: ComposedMessage) -> None:
        """Put a message (from the history) back into the form."""
        self.query_one("#producer-topic", Input).value = message.topic
        self.query_one("#producer-partition", Input).value = "" if message.partition is None else str(message.partition)
        self.query_one("#producer-null-key", Checkbox).value = message.key is None
        self.query_one("#producer-key", Input).value = message.key or ""
        self.query_one("#producer-format", Select).value = message.value_format
        self.query_one("#producer-tombstone", Checkbox).value = message.value is None
        self.query_one("#producer-value", TextArea).load_text(message.value or "")
        self.query_one("#producer-headers", TextArea).load_text(format_header_rows(message.headers))
        self._show_problem("producer-headers-problem", None)

    def _refused(self) -> bool:
        """Read-only: one clear message (the status line already says why)."""
        return self.refuse_if_read_only("produce")

    # -- actions ---------------------------------------------------------------------

    def action_send(self) -> None:
        """Send the form's message and show the broker's acknowledgement."""
        if self._refused():
            return
        if self._sending:
            self._result("still waiting for the previous acknowledgement …")
            return
        message = self.message()
        if message is None:
            return
        self._sending = True
        self._result(f"sending to '{message.topic}' …")
        self.run_worker(self._send(message), group="producer-send", exit_on_error=False)

    async def _send(self, message: ComposedMessage) -> None:
        try:
            result = await self.service.send(message)
        except (SchemaMismatch, InvalidJSON) as exc:
            # Refused before sending: say where, under the editor too for the value.
            on_value = exc.field == "value" if isinstance(exc, SchemaMismatch) else str(exc).startswith("value ")
            if on_value:
                self._show_problem("producer-value-problem", f"✗ {exc}")
                self.query_one("#producer-value-problem", Static).remove_class("-ok")
            self._result(f"✗ nothing sent: {exc}", error=True)
        except RegistryError as exc:  # the schema could not be looked up: checked before sending
            self._result(f"✗ nothing sent: {exc}", error=True)
        except KViewError as exc:
            # The form keeps the message: fix it (or the cluster) and send again.
            self._result(f"✗ send failed: {exc}", error=True)
        except Exception as exc:  # a bug must not kill the pane: say it, log it
            log.exception("send failed")
            self._result(f"✗ send failed: {describe_exception(exc)}", error=True)
        else:
            self._result(result_line(result), ok=True)
        finally:
            self._sending = False

    def action_load(self) -> None:
        """Open the templated-load modal with the form as the template."""
        if self._refused():
            return
        fields = self._fields()
        if fields is None:
            return
        base = LoadSpec(**fields)
        problems = [p for p in base.problems() if "count or a duration" not in p]
        if problems:
            self._result("cannot load: " + "; ".join(problems), error=True)
            return
        self.app.push_screen(LoadScreen(self.service, base, self.settings), self._job_done("load"))

    def action_import_file(self) -> None:
        """Open the file-import modal for the form's topic."""
        if self._refused():
            return
        topic = self.query_one("#producer-topic", Input).value.strip()
        screen = ImportFileScreen(self.service, self.settings, topic=topic, topics=self.topic_names())
        self.app.push_screen(screen, self._job_done("import"))

    def _job_done(self, what: str) -> Callable[[LoadProgress | None], None]:
        def done(progress: LoadProgress | None) -> None:
            if progress is not None:
                self._result(
                    summary_line(what, progress),
                    ok=progress.state is JobState.DONE,
                    error=progress.state is JobState.FAILED,
                )
            self.focus_default()

        return done

    def action_history(self) -> None:
        """List the sent messages; the chosen one comes back into the form."""

        def reopen(index: int | None) -> None:
            if index is None:
                self.focus_default()
                return
            entry = self.service.history.entries[index]
            self.load_message(entry.message)
            self._result(
                f"re-opened the message sent to '{entry.message.topic}' at offset "
                f"{entry.result.offset if entry.result.offset is not None else '?'}: edit it and "
                "press ctrl+s to send it again"
            )
            self.query_one("#producer-value", TextArea).focus()

        self.app.push_screen(SendHistoryScreen(self.service.history.entries), reopen)

    def action_settings(self) -> None:
        """Change acks, idempotence, compression, linger and batch size."""
        defaults = ProducerSettings.from_defaults(self.kview.profile.producer)

        def applied(settings: ProducerSettings | None) -> None:
            if settings is not None and settings != self.service.settings:
                self.service.settings = settings
                self._show_settings()
                self._result(f"settings changed: {settings_line(settings)}")
            self.focus_default()

        self.app.push_screen(ProducerSettingsScreen(self.settings, defaults, topic=self._topic()), applied)

    def action_clear(self) -> None:
        """Empty the form (the topic stays)."""
        topic = self.query_one("#producer-topic", Input).value
        self.load_message(ComposedMessage(topic, "", ""))
        self.query_one("#producer-format", Select).value = ValueFormat.TEXT
        self._result("")
        self.query_one("#producer-key", Input).focus()

    def action_leave_field(self) -> None:
        """Move the focus out of the text fields, so single-key pane switching works."""
        self.query_one("#producer-send", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "producer-send": self.action_send,
            "producer-load": self.action_load,
            "producer-import": self.action_import_file,
            "producer-history": self.action_history,
            "producer-settings-button": self.action_settings,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()
