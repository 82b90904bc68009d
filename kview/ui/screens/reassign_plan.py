"""The reassignment plan builder: an intent (drain a broker, spread a topic's
or every topic's replicas, change a topic's replication factor, move chosen
partitions to chosen brokers edited by hand, or a plan file of
``kafka-reassign-partitions``), then the preview of the plan the core made
(every moving partition from and to which brokers, the bytes to copy,
totals per broker), where it can be written to a file or applied with a
replication throttle after a confirmation.  Nothing changes on the cluster
before that confirmation; a read-only cluster is refused before Apply."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from kview.core.errors import KViewError
from kview.core.format import human_bytes, human_count
from kview.core.models import ClusterMetadata
from kview.core.readonly import refuse_message
from kview.core.reassign.models import (
    ApplyResult,
    ChangeReplicationFactor,
    DrainBroker,
    MovePartitions,
    PlanIntent,
    ReassignmentPlan,
    Replicas,
    SpreadReplicas,
    TopicPartition,
)
from kview.core.reassign.plan_file import read_plan_file, write_plan_file
from kview.core.reassign.service import ReassignService
from kview.ui.screens.operation_form import OperationForm
from kview.ui.widgets.fitted_table import FittedTable
from kview.ui.widgets.measured_table import MeasuredTable

INTENTS: tuple[tuple[str, str], ...] = (
    ("drain a broker (move every replica off it)", "drain"),
    ("spread one topic's replicas evenly", "spread-topic"),
    ("spread every topic's replicas evenly", "spread-all"),
    ("change a topic's replication factor", "rf"),
    ("move partitions of a topic by hand", "hand"),
    ("read a plan file (kafka-reassign-partitions JSON)", "file"),
)

EVERY_TOPIC = "*"
"""The topic choice that means every topic (drain only)."""
EVERY_TOPIC_LABEL = "(every topic: drain only)"

SHOWN_MOVES = 500
"""Moves drawn in the preview table; totals always cover the whole plan."""

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}
_UNITS |= {"g": 1000**3, "gb": 1000**3, "gib": 1024**3}


def parse_rate(text: str) -> int | None:
    """``"10MB"``, ``"512KiB"``, ``"1048576"`` (per second) -> bytes/s; an
    empty text is no throttle (None).  Raises ValueError with a sentence."""
    value = text.strip().lower().removesuffix("/s")
    if not value:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"'{text.strip()}' is not a rate: give bytes per second, e.g. 10MB or 1048576")
    rate = int(float(match.group(1)) * _UNITS[match.group(2)])
    if rate < 1:
        raise ValueError("the throttle must be at least 1 byte per second")
    return rate


def current_lines(metadata: ClusterMetadata, topic: str) -> str:
    """The hand editor's starting text: ``partition: brokers`` per line, as
    the topic is assigned now (the first broker is the preferred leader)."""
    info = metadata.topic(topic)
    if info is None:
        return ""
    return "".join(f"{p.partition}: {','.join(map(str, p.replicas))}\n" for p in info.partitions)


def parse_hand_lines(topic: str, text: str) -> tuple[dict[TopicPartition, Replicas], dict[str, str]]:
    """``partition: b1,b2,b3`` lines -> assignments of ``topic``, or problems
    keyed by 'line N'.  The planner checks the brokers and partitions exist."""
    assignments: dict[TopicPartition, Replicas] = {}
    problems: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"(\d{1,10})\s*[:=]\s*(\d{1,10}(?:\s*,\s*\d{1,10})*)", line)
        if not match:
            problems[f"line {number}"] = f"expected 'partition: broker,broker', got {line!r}"
            continue
        partition = int(match.group(1))
        brokers = tuple(int(b) for b in match.group(2).split(","))
        if (topic, partition) in assignments:
            problems[f"line {number}"] = f"partition {partition} is given twice"
        elif len(set(brokers)) != len(brokers):
            problems[f"line {number}"] = f"partition {partition} names a broker twice"
        else:
            assignments[(topic, partition)] = brokers
    if not assignments and not problems:
        problems["hand"] = "give at least one 'partition: brokers' line"
    return assignments, problems


def replicas_text(replicas: Sequence[int]) -> str:
    return ",".join(map(str, replicas)) or "-"


# -- the intent form ----------------------------------------------------------------------


class PlanScreen(OperationForm[tuple[ReassignmentPlan, ApplyResult]]):
    """Choose an intent; ctrl+s makes the plan and opens its preview.  The
    result is the plan applied and what applying it did, or None."""

    DEFAULT_CSS = """
    PlanScreen #dialog { width: 86; }
    PlanScreen .row { margin-top: 0; height: 1; }
    PlanScreen .row Label { width: 12; }
    PlanScreen .row Select { width: 1fr; }
    PlanScreen #plan-topic-row { height: auto; }
    PlanScreen #plan-hand { height: 8; }
    """

    def __init__(
        self,
        service: ReassignService,
        metadata: ClusterMetadata,
        *,
        broker: int | None = None,
        topic: str | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.service = service
        self.metadata = metadata
        self.initial_broker = broker
        self.initial_topic = topic
        self.read_only = read_only
        self.plan: ReassignmentPlan | None = None
        self._ready = False
        self._hand_topic: str | None = None

    def compose(self) -> ComposeResult:
        brokers = sorted(b.node_id for b in self.metadata.brokers)
        broker = self.initial_broker if self.initial_broker in brokers else (brokers[0] if brokers else None)
        topics = sorted(t.name for t in self.metadata.topics)
        with Vertical(id="dialog"):
            yield Label("Plan a reassignment", classes="title")
            with Horizontal(classes="row"):
                yield Label("Intent")
                yield Select(INTENTS, value="drain", allow_blank=False, id="plan-intent", compact=True)
            with Horizontal(classes="row", id="plan-broker-row"):
                yield Label("Broker")
                yield Select(
                    [(f"broker {b}", b) for b in brokers],
                    value=broker if broker is not None else Select.NULL,
                    id="plan-broker",
                    compact=True,
                )
            with Horizontal(classes="row", id="plan-topic-row"):
                yield Label("Topic")
                yield Select(
                    [(EVERY_TOPIC_LABEL, EVERY_TOPIC), *((t, t) for t in topics)],
                    allow_blank=False,
                    value=self.initial_topic if self.initial_topic in topics else EVERY_TOPIC,
                    id="plan-topic",
                    compact=True,
                )
            yield Static("", id="problem-topic", classes="problem")
            with Horizontal(classes="row", id="plan-rf-row"):
                yield Label("New RF")
                yield Input("", placeholder=f"1-{len(brokers)}", id="plan-rf", restrict=r"[0-9]*", compact=True)
            yield Static("", id="problem-rf", classes="problem")
            with Horizontal(classes="row", id="plan-file-row"):
                yield Label("File")
                yield Input("", placeholder="reassignment.json", id="plan-file", compact=True)
            yield Static("", id="problem-file", classes="problem")
            yield Label("partition: brokers per line (the first broker leads)", id="plan-hand-label", classes="muted")
            yield TextArea(id="plan-hand", soft_wrap=False)
            yield Static("", id="problem-hand", classes="problem")
            yield Static("", id="plan-note", classes="muted")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Preview", id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("ctrl+s previews the plan; nothing changes before Apply · esc cancels", classes="muted")

    def on_mount(self) -> None:
        self._show_fields()
        self.query_one("#plan-intent", Select).focus()
        self.call_after_refresh(setattr, self, "_ready", True)

    # -- fields ----------------------------------------------------------------------

    @property
    def intent_kind(self) -> str:
        return str(self.query_one("#plan-intent", Select).value)

    @property
    def topic(self) -> str | None:
        value = self.query_one("#plan-topic", Select).value
        return None if value in (Select.NULL, None, EVERY_TOPIC) else str(value)

    @property
    def broker(self) -> int | None:
        value = self.query_one("#plan-broker", Select).value
        return None if value is Select.NULL or value is None else int(value)  # type: ignore[arg-type]

    def _show_fields(self) -> None:
        kind = self.intent_kind
        self.query_one("#plan-broker-row").display = kind == "drain"
        self.query_one("#plan-topic-row").display = kind in ("drain", "spread-topic", "rf", "hand")
        self.query_one("#plan-rf-row").display = kind == "rf"
        self.query_one("#plan-file-row").display = kind == "file"
        for widget_id in ("#plan-hand-label", "#plan-hand"):
            self.query_one(widget_id).display = kind == "hand"
        notes = {
            "drain": "Every replica on the broker (of every topic, or of one) goes to the others.",
            "spread-topic": "Replicas and preferred leaders spread evenly over live brokers and racks.",
            "spread-all": "Every non-internal topic, spread evenly over live brokers and racks.",
            "rf": "Replicas added on the least loaded brokers, or dropped from the most loaded.",
            "hand": "Edit the brokers of the partitions to move; unchanged lines stay where they are.",
            "file": "The JSON of kafka-reassign-partitions (--generate, or a file kview wrote).",
        }
        current = self.topic
        if kind == "hand" and current is not None and current != self._hand_topic:
            # A new topic: start the editor from its assignment now.
            self._hand_topic = current
            self.query_one("#plan-hand", TextArea).load_text(current_lines(self.metadata, current))
        self.query_one("#plan-note", Static).update(notes.get(kind, ""))

    def field_of(self, key: str) -> str:
        return "hand" if key.startswith("line ") else key

    def intent(self) -> tuple[PlanIntent | None, dict[str, str]]:
        """The intent the fields describe, or the problems by field."""
        kind = self.intent_kind
        if kind == "drain":
            broker = self.broker
            if broker is None:
                return None, {"": "choose a broker"}
            topic = self.topic
            return DrainBroker(broker, topics=(topic,) if topic is not None else None), {}
        if kind == "spread-all":
            return SpreadReplicas(), {}
        if kind == "file":
            path = self.query_one("#plan-file", Input).value.strip()
            if not path:
                return None, {"file": "give the path of a plan file"}
            try:
                return MovePartitions(read_plan_file(str(Path(path).expanduser()))), {}
            except KViewError as exc:
                return None, {"file": str(exc)}
        topic = self.topic
        if topic is None:
            return None, {"topic": "choose one topic"}
        if kind == "spread-topic":
            return SpreadReplicas(topics=(topic,)), {}
        if kind == "rf":
            text = self.query_one("#plan-rf", Input).value.strip()
            if not text:
                return None, {"rf": "give the new replication factor"}
            return ChangeReplicationFactor(topic, int(text)), {}
        assignments, problems = parse_hand_lines(topic, self.query_one("#plan-hand", TextArea).text)
        if problems:
            return None, problems
        return MovePartitions(assignments), {}

    def _changed(self, field: str) -> None:
        if not self._ready:
            return
        self.touched.add(field)
        self._show_fields()
        self.show_error(None)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed("topic")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed("rf" if event.input.id == "plan-rf" else "file")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._changed("hand")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    # -- preview -----------------------------------------------------------------------

    def submit(self) -> None:
        intent, problems = self.intent()
        self.touched.update(("topic", "rf", "file", "hand"))
        self.show_problems(problems)
        if intent is None:
            return
        self.run_operation(lambda: self.service.plan(intent), self._preview)

    def _preview(self, plan: ReassignmentPlan) -> None:
        self.plan = plan
        if plan.empty:
            self.show_error(f"{plan.description}: nothing to move, every partition is already where the plan puts it")
            return

        def closed(result: ApplyResult | None) -> None:
            if result is not None:
                self.dismiss((plan, result))

        self.app.push_screen(PlanPreviewScreen(plan, self.service, read_only=self.read_only), closed)


# -- the preview ----------------------------------------------------------------------------


class PlanPreviewScreen(ModalScreen[ApplyResult | None]):
    """The plan: every moving partition (from, to, bytes), totals per broker,
    a throttle, and Apply (after a confirmation) or Save to a plan file."""

    BINDINGS = [
        Binding("escape", "back", "Back to the plan's intent", id="plan_preview.back"),
        Binding("ctrl+s", "apply", "Apply the plan (asks first)", id="plan_preview.apply"),
        Binding("ctrl+o", "save", "Write the plan to the file", id="plan_preview.save"),
    ]
    DEFAULT_CSS = """
    PlanPreviewScreen { align: center middle; }
    PlanPreviewScreen > VerticalScroll {
        width: 100%; max-width: 110; height: 100%; border: thick $primary; background: $surface; padding: 0 1;
    }
    PlanPreviewScreen .title { text-style: bold; width: 100%; }
    PlanPreviewScreen .muted { color: $text-muted; }
    PlanPreviewScreen .warning { color: $text-warning; }
    PlanPreviewScreen .error { color: $text-error; }
    PlanPreviewScreen .row { height: 1; margin-top: 1; }
    PlanPreviewScreen .row Label { width: 16; }
    PlanPreviewScreen .row Input { width: 1fr; }
    PlanPreviewScreen #preview-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    PlanPreviewScreen #preview-buttons Button { margin-left: 2; width: auto; min-width: 8; }
    """

    def __init__(self, plan: ReassignmentPlan, service: ReassignService, *, read_only: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.service = service
        self.read_only = read_only
        self.busy = False

    def summary(self) -> str:
        plan = self.plan
        unknown = f", {plan.unknown_sizes} of unknown size" if plan.unknown_sizes else ""
        leaders = sum(1 for m in plan.moves if m.leader_change)
        return (
            f"{human_count(len(plan.moves))} partition(s) move · {human_bytes(plan.bytes_to_copy)} to copy{unknown} · "
            f"{leaders} preferred leader change(s)"
        )

    def compose(self) -> ComposeResult:
        plan = self.plan
        with VerticalScroll():
            yield Label(f"Plan: {plan.description}", classes="title")
            yield Static(self.summary(), id="preview-summary")
            for warning in plan.warnings:
                yield Static(f"⚠ {warning}", classes="warning")
            moves = FittedTable(id="preview-moves", cursor_type="row", zebra_stripes=True)
            moves.add_column("Topic")
            moves.add_column(Text("Part", justify="right"))
            moves.add_column("From")
            moves.add_column("To")
            moves.add_column(Text("Copy", justify="right"))
            yield moves
            brokers = MeasuredTable(id="preview-brokers", cursor_type="row", zebra_stripes=True)
            for label in ("Broker", "Replicas", "Pref. leader", "Copies in", "Frees"):
                brokers.add_column(Text(label, justify="right") if label != "Broker" else label)
            yield brokers
            with Horizontal(classes="row"):
                yield Label("Throttle (B/s)")
                yield Input("", placeholder="e.g. 10MB; empty: no throttle", id="preview-throttle", compact=True)
            with Horizontal(classes="row"):
                yield Label("Plan file")
                yield Input("reassignment.json", id="preview-file", compact=True)
            yield Static("", id="preview-message")
            with Horizontal(id="preview-buttons"):
                yield Button("Apply", id="preview-apply", variant="error", compact=True)
                yield Button("Save file", id="preview-save", compact=True)
                yield Button("Back", id="preview-back", compact=True)
            yield Static("ctrl+s applies (asks first) · ctrl+o writes the file · esc back", classes="muted")

    def on_mount(self) -> None:
        moves = self.query_one("#preview-moves", FittedTable)
        moves.styles.height = "auto"
        moves.styles.max_height = 8
        moves.fill(
            (
                (
                    (
                        m.topic,
                        Text(str(m.partition), justify="right"),
                        replicas_text(m.current),
                        replicas_text(m.target),
                        Text("?" if m.bytes_to_copy is None else human_bytes(m.bytes_to_copy), justify="right"),
                    ),
                    f"{m.topic}:{m.partition}",
                )
                for m in self.plan.moves[:SHOWN_MOVES]
            ),
            width=min(self.app.size.width, 110) - 7,
        )
        brokers = self.query_one("#preview-brokers", MeasuredTable)
        brokers.styles.height = "auto"
        brokers.fill(
            (
                (
                    f"{b.node_id}" + ("" if b.online else " (offline)"),
                    Text(f"{b.replicas_before} → {b.replicas_after}", justify="right"),
                    Text(f"{b.preferred_before} → {b.preferred_after}", justify="right"),
                    Text(human_bytes(b.bytes_in), justify="right"),
                    Text(human_bytes(b.bytes_out), justify="right"),
                ),
                str(b.node_id),
            )
            for b in self.plan.brokers
        )
        self.query_one("#preview-throttle", Input).focus()

    def message(self, text: str, style: str = "") -> None:
        widget = self.query_one("#preview-message", Static)
        widget.update(text)
        widget.set_classes(style)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"preview-apply": self.action_apply, "preview-save": self.action_save}.get(
            event.button.id or "", self.action_back
        )()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "preview-file":
            self.action_save()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        path = self.query_one("#preview-file", Input).value.strip()
        if not path:
            self.message("✗ give a file name to write the plan to", "error")
            return
        target = Path(path).expanduser()
        try:
            write_plan_file(str(target), self.plan.assignments)
        except (KViewError, OSError) as exc:
            self.message(f"✗ cannot write {target}: {exc}", "error")
            return
        self.message(
            f"✓ wrote {len(self.plan.moves)} partition(s) to {target} "
            "(kafka-reassign-partitions --execute --reassignment-json-file reads it)"
        )

    def action_apply(self) -> None:
        from kview.ui.screens.confirm import ConfirmScreen

        if self.busy:
            return
        if self.read_only:
            self.message(f"✗ {refuse_message('reassign partitions')}", "error")
            self.notify(refuse_message("reassign partitions"), title="Read-only", severity="error", timeout=6)
            return
        try:
            rate = parse_rate(self.query_one("#preview-throttle", Input).value)
        except ValueError as exc:
            self.message(f"✗ {exc}", "error")
            return
        throttle = f"throttled to {rate:,} B/s ({human_bytes(rate)}/s) per broker" if rate else "NOT throttled"
        body = (
            f"{self.summary()}, {throttle}. New replicas copy the logs, then the old ones are deleted; "
            "the progress shows next and the move can be cancelled there (partitions go back to their "
            "replicas before)."
        )
        if rate:
            body += " The throttle is removed when every partition is done."

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply(rate)

        self.app.push_screen(
            ConfirmScreen(f"Apply the plan: {self.plan.description}?", body, confirm_label="Apply"), answered
        )

    def _apply(self, rate: int | None) -> None:
        self.busy = True
        self.message("applying ...")

        async def runner() -> None:
            try:
                result = await self.service.apply(self.plan, throttle=rate)
            except KViewError as exc:
                self.message(f"✗ {exc}", "error")
            except Exception as exc:
                from kview.core.errors import describe_exception

                self.message(f"✗ {describe_exception(exc)}", "error")
            else:
                self.dismiss(result)
            finally:
                self.busy = False

        self.run_worker(runner(), group="plan-apply", exclusive=True, exit_on_error=False)


def apply_outcome(result: ApplyResult) -> tuple[str, SeverityLevel]:
    """What a notification says about an applied plan: (text, severity)."""
    started = f"{len(result.started)} partition(s) moving"
    if result.throttle is not None:
        started += f", throttled to {human_bytes(result.throttle.rate)}/s"
    if not result.errors:
        return started, "information"
    refused = "; ".join(f"{e.topic}-{e.partition}: {e.error}" for e in result.errors[:3])
    more = f" and {len(result.errors) - 3} more" if len(result.errors) > 3 else ""
    return f"{started}; Kafka refused {len(result.errors)} (unchanged): {refused}{more}", "warning"
