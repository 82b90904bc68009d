"""The reset-offsets form: where to (earliest, latest, an offset, a date and
time, shift by N) and which partitions (every topic the group has committed,
one topic, chosen partitions of a topic).  Nothing is committed before the
user has seen the preview (old offset, new offset, lag after), computed by
the backend exactly as ``kafka-consumer-groups --reset-offsets --dry-run``
would; Apply then commits it.  Kafka accepts a reset only while the group has
no members: the form says so up front, and the backend checks again when
applying (members may have joined or left since the form opened)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from kview.core import inputs
from kview.core.errors import InputError, KViewError
from kview.core.format import human_count
from kview.core.groups import ResetRow, ResetSpec
from kview.ui.screens.operation_form import OperationForm
from kview.ui.widgets.measured_table import MeasuredTable

ResetCall = Callable[[ResetSpec], Awaitable[list[ResetRow]]]

KINDS: tuple[tuple[str, str], ...] = (
    ("the earliest offset (read everything again)", "earliest"),
    ("the latest offset (skip everything unread)", "latest"),
    ("an offset", "offset"),
    ("a date and time", "datetime"),
    ("shift by N records", "shift"),
)

SCOPES: tuple[tuple[str, str], ...] = (
    ("every topic the group has committed", "all"),
    ("one topic (all its partitions)", "topic"),
    ("chosen partitions of one topic", "partitions"),
)

PLACEHOLDERS = {
    "offset": "offset, e.g. 1000",
    "datetime": "2024-05-01 12:00 (local), ISO with zone, 12:30, epoch ms, or -2h",
    "shift": "N: -100 goes back 100 records, 50 skips 50",
}

SHOWN_ROWS = 200
"""Preview rows drawn in the table; the totals always cover every row."""


# -- parsing (pure) ---------------------------------------------------------------------


def parse_partitions(text: str, count: int | None = None) -> tuple[tuple[int, ...] | None, str | None]:
    """``"0,2,4-6"`` -> ((0, 2, 4, 5, 6), None); (None, problem) when invalid.
    With ``count``, partitions must exist (0 .. count-1)."""
    try:
        return inputs.parse_partitions(text, count), None
    except InputError as exc:
        return None, str(exc)


def parse_datetime(text: str, now: datetime | None = None) -> datetime | int:
    """A date and time as kview.core.inputs.parse_when reads it; epoch
    milliseconds stay an exact int.  Raises InputError with a sentence."""
    value = text.strip()
    when = inputs.parse_when(value, now)
    if inputs.is_number(value):
        return int(value) if len(value) >= 12 else int(value) * 1000
    return when


def parse_reset_value(kind: str, text: str) -> tuple[int | datetime | None, str | None]:
    """The value a reset kind needs, parsed: (value, None) or (None, problem)."""
    if kind in ("earliest", "latest"):
        return None, None
    try:
        if kind == "offset":
            return inputs.parse_offset(text), None
        if kind == "shift":
            return inputs.parse_shift(text), None
        return parse_datetime(text), None
    except InputError as exc:
        return None, str(exc)


def describe_datetime(value: datetime | int) -> str:
    """How a parsed date will be read: local time unless it carries a zone."""
    try:
        if isinstance(value, int):
            return f"= {datetime.fromtimestamp(value // 1000):%Y-%m-%d %H:%M:%S} local time"
        if value.tzinfo is None:
            return f"= {value:%Y-%m-%d %H:%M:%S} local time"
        return f"= {value.astimezone():%Y-%m-%d %H:%M:%S} local time"
    except (OverflowError, OSError, ValueError):
        return "(outside the range of local time)"


def build_spec(
    kind: str,
    value_text: str,
    scope: str,
    topic: str | None,
    partitions_text: str,
    partition_counts: Mapping[str, int],
) -> tuple[ResetSpec | None, dict[str, str]]:
    """The form's fields -> (ResetSpec, {}) or (None, problems by field)."""
    problems: dict[str, str] = {}
    value, problem = parse_reset_value(kind, value_text)
    if problem:
        problems["value"] = problem
    chosen: tuple[int, ...] | None = None
    if scope in ("topic", "partitions"):
        if not topic:
            problems["topic"] = "choose a topic"
        elif scope == "partitions":
            chosen, problem = parse_partitions(partitions_text, partition_counts.get(topic))
            if problem:
                problems["partitions"] = problem
    if problems:
        return None, problems
    try:
        spec = ResetSpec(
            kind, value, topic=topic if scope != "all" else None, partitions=chosen if scope == "partitions" else None
        )
    except KViewError as exc:
        return None, {"": str(exc)}
    return spec, {}


def lag_totals(rows: Sequence[ResetRow]) -> tuple[int, int]:
    """(lag now, lag after the reset) over the previewed partitions; a
    partition without a commit has no lag now."""
    now = sum(max(0, r.log_end - r.current) for r in rows if r.current is not None)
    after = sum(max(0, r.lag) for r in rows)
    return now, after


def preview_rows(rows: Sequence[ResetRow]) -> Iterator[tuple[tuple[str | Text, ...], str]]:
    """The preview table's rows, keyed ``topic:partition``: topic,
    partition, committed now, new offset, the move, lag after (the first
    SHOWN_ROWS; the reset form and the offsets-file import show the same)."""
    for r in rows[:SHOWN_ROWS]:
        cells = (
            str(r.partition),
            "-" if r.current is None else str(r.current),
            str(r.new),
            "-" if r.current is None else f"{r.new - r.current:+d}",
            human_count(r.lag),
        )
        yield (r.topic, *(Text(cell, justify="right") for cell in cells)), f"{r.topic}:{r.partition}"


def preview_table(table_id: str) -> MeasuredTable:
    """The preview table of the reset form and the offsets-file import: the
    columns of ``preview_rows``, at most 10 rows high.  Inline heights: the
    app's stylesheet (``DataTable { height: 1fr }``) outranks DEFAULT_CSS,
    and a 1fr table would stretch the dialog to the screen."""
    table = MeasuredTable(id=table_id, cursor_type="row", zebra_stripes=True)
    table.add_column("Topic")
    for label in ("Partition", "Current", "New", "Change", "Lag after"):
        table.add_column(Text(label, justify="right"))
    table.styles.height = "auto"
    table.styles.max_height = 10
    return table


# -- the form ---------------------------------------------------------------------------


class ResetOffsetsScreen(OperationForm[list[ResetRow]]):
    """Reset a group's offsets; the result is the committed rows, or None."""

    DEFAULT_CSS = """
    ResetOffsetsScreen #dialog { width: 86; }
    ResetOffsetsScreen .row { margin-top: 0; height: 1; }
    ResetOffsetsScreen .row Label { width: 12; }
    ResetOffsetsScreen .row Select { width: 1fr; }
    ResetOffsetsScreen #topic-row { height: auto; }  /* a long topic name wraps in the Select */
    ResetOffsetsScreen #reset-preview { margin-top: 1; }
    ResetOffsetsScreen #reset-summary { margin-top: 0; }
    ResetOffsetsScreen #reset-members { margin-bottom: 1; }
    ResetOffsetsScreen #value-hint { padding-left: 12; }
    """

    def __init__(
        self,
        group: str,
        *,
        members: int,
        group_topics: Sequence[str],
        partition_counts: Mapping[str, int],
        preview: ResetCall,
        apply: ResetCall,
        topic: str | None = None,
        share: bool = False,
    ) -> None:
        super().__init__()
        self.share = share
        """A share group: its start offsets are reset (no shift: Kafka's
        kafka-share-groups has none)."""
        self.group = group
        self.members = members
        self.group_topics = list(group_topics)
        self.partition_counts = dict(partition_counts)
        self.preview_call = preview
        self.apply_call = apply
        self.initial_topic = topic
        self.previewed: ResetSpec | None = None
        self.preview_rows: list[ResetRow] = []
        self._ready = False
        """False until mounted: the fields' first Changed events are not the user's."""

    # -- layout ----------------------------------------------------------------------

    def _topic_options(self) -> list[tuple[str, str]]:
        others = sorted(t for t in self.partition_counts if t not in self.group_topics)
        options = [(f"{t} (the group's)", t) for t in self.group_topics]
        options += [(t, t) for t in others]
        return options

    def compose(self) -> ComposeResult:
        topic_options = self._topic_options()
        initial = self.initial_topic if any(v == self.initial_topic for _, v in topic_options) else None
        with Vertical(id="dialog"):
            what = "start offsets of share group" if self.share else "offsets of group"
            yield Label(f"Reset {what} '{self.group}'", classes="title")
            if self.members:
                yield Static(
                    f"⚠ The group has {self.members} active member(s). Kafka accepts a reset only while "
                    "a group has no members: stop its consumers first. You can still preview.",
                    id="reset-members",
                    classes="warning",
                )
            with Horizontal(classes="row"):
                yield Label("Reset to")
                kinds = [k for k in KINDS if not (self.share and k[1] == "shift")]
                yield Select(kinds, value="earliest", allow_blank=False, id="reset-kind", compact=True)
            with Horizontal(classes="row", id="value-row"):
                yield Label("Value")
                yield Input("", id="reset-value", compact=True)
            yield Static("", id="value-hint", classes="muted")
            yield Static("", id="problem-value", classes="problem")
            with Horizontal(classes="row"):
                yield Label("Scope")
                yield Select(
                    SCOPES,
                    value="all" if self.group_topics else "topic",
                    allow_blank=False,
                    id="reset-scope",
                    compact=True,
                )
            with Horizontal(classes="row", id="topic-row"):
                yield Label("Topic")
                yield Select(
                    topic_options,
                    prompt="choose a topic",
                    value=initial if initial is not None else Select.NULL,
                    id="reset-topic",
                    compact=True,
                )
            yield Static("", id="problem-topic", classes="problem")
            with Horizontal(classes="row", id="partitions-row"):
                yield Label("Partitions")
                yield Input("", placeholder="0,2,4-6", id="reset-partitions", compact=True)
            yield Static("", id="problem-partitions", classes="problem")
            yield preview_table("reset-preview")
            yield Static("", id="reset-summary")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Preview", id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("", id="form-hint", classes="muted")

    def on_mount(self) -> None:
        self._show_fields()
        self._set_stage(previewed=False)
        self.query_one("#reset-kind", Select).focus()
        self.call_after_refresh(setattr, self, "_ready", True)

    # -- fields ----------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return str(self.query_one("#reset-kind", Select).value)

    @property
    def scope(self) -> str:
        return str(self.query_one("#reset-scope", Select).value)

    @property
    def topic(self) -> str | None:
        value = self.query_one("#reset-topic", Select).value
        return None if value is Select.NULL or value is None else str(value)

    def _show_fields(self) -> None:
        kind, scope = self.kind, self.scope
        needs_value = kind in PLACEHOLDERS
        self.query_one("#value-row").display = needs_value
        self.query_one("#value-hint").display = needs_value
        if needs_value:
            self.query_one("#reset-value", Input).placeholder = PLACEHOLDERS[kind]
        self.query_one("#topic-row").display = scope != "all"
        self.query_one("#partitions-row").display = scope == "partitions"
        self._update_value_hint()

    def _update_value_hint(self) -> None:
        hint = ""
        if self.kind == "datetime":
            value, problem = parse_reset_value("datetime", self.query_one("#reset-value", Input).value)
            hint = describe_datetime(value) if value is not None and not problem else ""
        elif self.kind == "shift":
            hint = "offsets are kept between each partition's log start and log end"
        self.query_one("#value-hint", Static).update(hint)

    def field_of(self, key: str) -> str:
        return key

    def _spec(self) -> tuple[ResetSpec | None, dict[str, str]]:
        return build_spec(
            self.kind,
            self.query_one("#reset-value", Input).value,
            self.scope,
            self.topic,
            self.query_one("#reset-partitions", Input).value,
            self.partition_counts,
        )

    def _changed(self, field: str) -> None:
        if not self._ready:
            return
        self.touched.add(field)
        self._show_fields()
        _spec, problems = self._spec()
        self.show_problems(problems, only_touched=True)
        # A preview no longer matches what the form says: show it again first.
        self._set_stage(previewed=False)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        field = {"reset-kind": "value", "reset-scope": "topic", "reset-topic": "topic"}.get(event.select.id or "", "")
        if event.select.id == "reset-kind":
            # A new kind brings different rules for the value: judge it afresh.
            self.touched.discard("value")
        self._changed(field)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed("value" if event.input.id == "reset-value" else "partitions")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    # -- stages ----------------------------------------------------------------------

    def _set_stage(self, *, previewed: bool) -> None:
        if not previewed:
            self.previewed = None
            self.preview_rows = []
            self.query_one("#reset-preview", DataTable).clear()
            self.query_one("#reset-summary", Static).update("")
            self.show_error(None)
        self.query_one("#reset-preview").display = previewed
        self.query_one("#reset-summary").display = previewed
        if previewed:
            self.show_step(
                "Apply", "ctrl+s applies these offsets · editing a field previews again · esc cancels", final=True
            )
        else:
            self.show_step("Preview", "ctrl+s previews; nothing changes before Apply · esc cancels", final=False)

    def submit(self) -> None:
        if self.previewed is not None:
            previewed = self.previewed
            self.run_operation(lambda: self.apply_call(previewed), self.dismiss)
            return
        spec, problems = self._spec()
        self.touched.update(("value", "topic", "partitions"))
        self.show_problems(problems)
        if spec is None:
            return
        self.run_operation(lambda: self.preview_call(spec), lambda rows: self._show_preview(spec, rows))

    def _show_preview(self, spec: ResetSpec, rows: list[ResetRow]) -> None:
        self.query_one("#reset-preview", MeasuredTable).fill(preview_rows(rows))
        now, after = lag_totals(rows)
        more = f" (first {SHOWN_ROWS} shown)" if len(rows) > SHOWN_ROWS else ""
        moved = sum(1 for r in rows if r.current != r.new)
        self.query_one("#reset-summary", Static).update(
            f"{len(rows)} partition(s){more}, {moved} would change · lag now {human_count(now)} "
            f"→ after the reset {human_count(after)}"
        )
        self.previewed = spec
        self.preview_rows = list(rows)
        self._set_stage(previewed=True)
        self.query_one("#form-submit", Button).focus()
