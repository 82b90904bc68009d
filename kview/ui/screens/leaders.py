"""Leader elections from the brokers pane: the list of partitions not led by
their preferred replica (select some with space), and the election form
(preferred or unclean; every partition, one topic, chosen partitions of a
topic, or the ones selected in the list) that asks before it sends (an
unclean election only after the word ``unclean`` is typed: it may lose
data) and then shows Kafka's answer for every partition."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from kview.core import inputs
from kview.core.errors import InputError
from kview.core.format import human_count
from kview.core.reassign.models import (
    ELECTED,
    FAILED,
    ElectionReport,
    ElectionType,
    LeaderBalance,
    NotPreferredLeader,
    TopicPartition,
)
from kview.ui.screens.operation_form import OperationForm
from kview.ui.widgets.fitted_table import FittedTable

ElectCall = Callable[[list[TopicPartition] | None, ElectionType], Awaitable[ElectionReport]]

SHOWN_ROWS = 500
"""Rows drawn in a table; counts and elections always cover every partition."""

UNCLEAN_WORD = "unclean"
"""What the user types to confirm an unclean election."""


def replicas_text(replicas: Sequence[int]) -> str:
    return ",".join(map(str, replicas)) or "-"


# -- the list ---------------------------------------------------------------------------


class LeadersScreen(ModalScreen[None]):
    """The partitions led by another replica than their preferred one;
    ``space`` selects, ``e`` opens the election of the selected ones (or of
    the highlighted one)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="leaders.close"),
        Binding("space", "toggle_row", "Select / unselect the partition", id="leaders.toggle"),
        Binding("a", "toggle_all", "Select all / none", id="leaders.all"),
        Binding("e", "elect", "Elect preferred leaders of the selected", id="leaders.elect"),
    ]
    DEFAULT_CSS = """
    LeadersScreen { align: center middle; }
    LeadersScreen > Vertical {
        width: 100%; max-width: 110; height: 100%; max-height: 40;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    LeadersScreen #leaders-title { text-style: bold; width: 100%; }
    LeadersScreen #leaders-table { height: 1fr; }
    LeadersScreen .muted { color: $text-muted; }
    """

    def __init__(self, balance: LeaderBalance, open_election: Callable[[list[TopicPartition]], None]) -> None:
        super().__init__()
        self.balance = balance
        self.open_election = open_election
        self.rows: list[NotPreferredLeader] = list(balance.not_preferred)
        self.selected: set[TopicPartition] = set()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title(), id="leaders-title")
            table = FittedTable(id="leaders-table", cursor_type="row", zebra_stripes=True, squeeze=1)
            table.add_column("✓")
            table.add_column("Topic")
            for label in ("Part", "Leader", "Preferred"):
                table.add_column(Text(label, justify="right"))
            table.add_column("Replicas")
            table.add_column("ISR")
            yield table
            yield Static(self._status(), id="leaders-status")
            yield Static("space selects · a all/none · e elects preferred leaders · esc closes", classes="muted")

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#leaders-table", DataTable).focus()

    def _title(self) -> str:
        off = len(self.rows)
        if not off:
            return f"Every partition ({human_count(self.balance.partitions)}) is led by its preferred replica"
        return (
            f"{human_count(off)} of {human_count(self.balance.partitions)} partition(s) "
            "not led by their preferred replica"
        )

    def _status(self) -> str:
        stuck = sum(1 for p in self.rows if not p.preferred_in_sync)
        parts = [f"{len(self.selected)} selected"]
        if stuck:
            parts.append(f"{stuck} marked *: preferred replica not in the ISR, not electable")
        if len(self.rows) > SHOWN_ROWS:
            parts.append(f"first {SHOWN_ROWS} shown")
        return " · ".join(parts)

    def _cells(self, p: NotPreferredLeader) -> tuple[object, ...]:
        mark = "✓" if (p.topic, p.partition) in self.selected else " "
        preferred = str(p.preferred) if p.preferred_in_sync else f"{p.preferred}*"
        return (
            mark,
            p.topic,
            Text(str(p.partition), justify="right"),
            Text("-" if p.leader < 0 else str(p.leader), justify="right"),
            Text(preferred, justify="right"),
            replicas_text(p.replicas),
            replicas_text(p.isr),
        )

    def _fill(self) -> None:
        table = self.query_one("#leaders-table", FittedTable)
        row = table.cursor_row
        rows = ((self._cells(p), f"{p.topic}:{p.partition}") for p in self.rows[:SHOWN_ROWS])
        table.fill(rows, width=min(self.app.size.width, 110) - 6)
        if self.rows:
            table.move_cursor(row=min(row, min(len(self.rows), SHOWN_ROWS) - 1))
        self.query_one("#leaders-status", Static).update(self._status())

    def _highlighted(self) -> NotPreferredLeader | None:
        table = self.query_one("#leaders-table", DataTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    def action_toggle_row(self) -> None:
        p = self._highlighted()
        if p is None:
            return
        key = (p.topic, p.partition)
        self.selected.symmetric_difference_update({key})
        table = self.query_one("#leaders-table", DataTable)
        table.update_cell_at(Coordinate(table.cursor_row, 0), "✓" if key in self.selected else " ")
        self.query_one("#leaders-status", Static).update(self._status())
        if table.cursor_row < min(len(self.rows), SHOWN_ROWS) - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_toggle_all(self) -> None:
        everything = {(p.topic, p.partition) for p in self.rows}
        self.selected = set() if self.selected == everything else everything
        self._fill()

    def action_elect(self) -> None:
        chosen = [(p.topic, p.partition) for p in self.rows if (p.topic, p.partition) in self.selected]
        if not chosen:
            p = self._highlighted()
            if p is None:
                self.notify("Nothing to elect: every partition is led by its preferred replica.", timeout=4)
                return
            chosen = [(p.topic, p.partition)]
        self.dismiss(None)
        self.open_election(chosen)

    def action_close(self) -> None:
        self.dismiss(None)


# -- the election form ------------------------------------------------------------------------

TYPES: tuple[tuple[str, str], ...] = (
    ("preferred: the first replica, if in sync", "preferred"),
    ("unclean: any live replica (may LOSE data)", "unclean"),
)


def parse_partition_list(text: str, count: int | None) -> tuple[tuple[int, ...] | None, str | None]:
    try:
        return inputs.parse_partitions(text, count), None
    except InputError as exc:
        return None, str(exc)


class ElectionScreen(OperationForm[ElectionReport]):
    """Choose what to elect, confirm, and see every partition's answer."""

    DEFAULT_CSS = """
    ElectionScreen #dialog { width: 86; }
    ElectionScreen .row { margin-top: 0; height: 1; }
    ElectionScreen .row Label { width: 12; }
    ElectionScreen .row Select { width: 1fr; }
    ElectionScreen #elect-topic-row { height: auto; }
    ElectionScreen #elect-results { margin-top: 1; }
    """

    def __init__(
        self,
        *,
        elect: ElectCall,
        confirm: Callable[[str, str, str | None, Callable[[bool | None], None]], None],
        partition_counts: Mapping[str, int],
        not_preferred: int,
        selected: Sequence[TopicPartition] = (),
        topic: str | None = None,
    ) -> None:
        super().__init__()
        self.elect_call = elect
        self.confirm = confirm
        self.partition_counts = dict(partition_counts)
        self.not_preferred = not_preferred
        self.selected = list(selected)
        self.initial_topic = topic if topic in self.partition_counts else None
        self.report: ElectionReport | None = None
        self._ready = False

    def _scopes(self) -> list[tuple[str, str]]:
        scopes = [(f"every partition ({self.not_preferred} not on preferred leader)", "all")]
        if self.selected:
            scopes.insert(0, (f"the {len(self.selected)} partition(s) selected in the list", "selected"))
        scopes += [("one topic (all its partitions)", "topic"), ("chosen partitions of one topic", "partitions")]
        return scopes

    def compose(self) -> ComposeResult:
        scopes = self._scopes()
        with Vertical(id="dialog"):
            yield Label("Elect leaders", classes="title")
            with Horizontal(classes="row"):
                yield Label("Election")
                yield Select(TYPES, value="preferred", allow_blank=False, id="elect-type", compact=True)
            with Horizontal(classes="row"):
                yield Label("Scope")
                yield Select(scopes, value=scopes[0][1], allow_blank=False, id="elect-scope", compact=True)
            with Horizontal(classes="row", id="elect-topic-row"):
                yield Label("Topic")
                yield Select(
                    [(t, t) for t in sorted(self.partition_counts)],
                    prompt="choose a topic",
                    value=self.initial_topic if self.initial_topic is not None else Select.NULL,
                    id="elect-topic",
                    compact=True,
                )
            yield Static("", id="problem-topic", classes="problem")
            with Horizontal(classes="row", id="elect-partitions-row"):
                yield Label("Partitions")
                yield Input("", placeholder="0,2,4-6", id="elect-partitions", compact=True)
            yield Static("", id="problem-partitions", classes="problem")
            yield Static("", id="elect-warning", classes="warning")
            table = FittedTable(id="elect-results", cursor_type="row", zebra_stripes=True)
            table.add_column("Topic")
            table.add_column(Text("Part", justify="right"))
            table.add_column("Result")
            table.add_column("Leader")
            table.add_column("Kafka's answer")
            yield table
            yield Static("", id="elect-summary")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Elect", id="form-submit", variant="warning", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("ctrl+s elects (asks first) · tab moves · esc cancels", id="form-hint", classes="muted")

    def on_mount(self) -> None:
        results = self.query_one("#elect-results", DataTable)
        results.styles.height = "auto"
        results.styles.max_height = 10
        results.display = False
        self.query_one("#elect-summary").display = False
        self._show_fields()
        self.query_one("#elect-type", Select).focus()
        self.call_after_refresh(setattr, self, "_ready", True)

    # -- fields ----------------------------------------------------------------------

    @property
    def election(self) -> ElectionType:
        return (
            ElectionType.UNCLEAN if self.query_one("#elect-type", Select).value == "unclean" else ElectionType.PREFERRED
        )

    @property
    def scope(self) -> str:
        return str(self.query_one("#elect-scope", Select).value)

    @property
    def topic(self) -> str | None:
        value = self.query_one("#elect-topic", Select).value
        return None if value is Select.NULL or value is None else str(value)

    def _show_fields(self) -> None:
        scope = self.scope
        self.query_one("#elect-topic-row").display = scope in ("topic", "partitions")
        self.query_one("#elect-partitions-row").display = scope == "partitions"
        warning = ""
        if self.election is ElectionType.UNCLEAN:
            warning = (
                "⚠ Unclean: where no in-sync replica is left, Kafka makes an out-of-sync one leader and the "
                f"records it lacks are lost. You will type '{UNCLEAN_WORD}' to confirm."
            )
        self.query_one("#elect-warning", Static).update(warning)
        self.query_one("#elect-warning").display = bool(warning)

    def chosen(self) -> tuple[list[TopicPartition] | None, dict[str, str]]:
        """The partitions to elect (None: every partition) or the problems."""
        scope = self.scope
        if scope == "all":
            return None, {}
        if scope == "selected":
            return list(self.selected), {}
        topic = self.topic
        if topic is None:
            return None, {"topic": "choose a topic"}
        count = self.partition_counts.get(topic)
        if scope == "topic":
            return [(topic, p) for p in range(count or 0)], {}
        indexes, problem = parse_partition_list(self.query_one("#elect-partitions", Input).value, count)
        if problem or indexes is None:
            return None, {"partitions": problem or "give partitions, e.g. 0,2,4-6"}
        return [(topic, p) for p in indexes], {}

    def _changed(self, field: str) -> None:
        if not self._ready:
            return
        self.touched.add(field)
        self._show_fields()
        _chosen, problems = self.chosen()
        self.show_problems(problems, only_touched=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed("topic")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed("partitions")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    # -- sending ---------------------------------------------------------------------

    def describe(self, partitions: list[TopicPartition] | None) -> str:
        what = "every partition of the cluster" if partitions is None else f"{len(partitions)} partition(s)"
        if partitions is not None and len({t for t, _ in partitions}) == 1:
            what += f" of '{partitions[0][0]}'"
        return what

    def submit(self) -> None:
        if self.report is not None:
            self.dismiss(self.report)
            return
        partitions, problems = self.chosen()
        self.touched.update(("topic", "partitions"))
        self.show_problems(problems)
        if problems:
            return
        election = self.election
        what = self.describe(partitions)
        if election is ElectionType.UNCLEAN:
            title = f"Unclean leader election of {what}?"
            body = (
                "Where no in-sync replica is alive, Kafka makes any live replica leader: the records it "
                "does not have are lost for good, and consumers may see offsets go back. Use it only to bring "
                "an offline partition back when its in-sync replicas cannot return."
            )
            require: str | None = UNCLEAN_WORD
        else:
            title = f"Preferred leader election of {what}?"
            body = (
                "Each partition whose preferred replica (the first) is in sync and not leading is handed to "
                "it; clients follow the new leaders. No data moves."
            )
            require = None

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_operation(lambda: self.elect_call(partitions, election), self._show_report)

        self.confirm(title, body, require, answered)

    def _show_report(self, report: ElectionReport) -> None:
        self.report = report
        table = self.query_one("#elect-results", FittedTable)
        # Failures first: they are what the user must see.
        ordered = sorted(
            report.results, key=lambda r: (r.outcome != FAILED, r.outcome != ELECTED, r.topic, r.partition)
        )

        def leader(before: int | None, after: int | None) -> str:
            if before is None and after is None:
                return "-"
            return f"{'-' if before is None else before} → {'-' if after is None else after}"

        table.fill(
            (
                (
                    (
                        r.topic,
                        Text(str(r.partition), justify="right"),
                        r.outcome,
                        leader(r.leader_before, r.leader_after),
                        r.error or "",
                    ),
                    f"{r.topic}:{r.partition}",
                )
                for r in ordered[:SHOWN_ROWS]
            ),
            width=min(self.app.size.width, 86) - 6,
        )
        table.display = True
        more = f" (first {SHOWN_ROWS} shown)" if len(ordered) > SHOWN_ROWS else ""
        summary = self.query_one("#elect-summary", Static)
        summary.update(
            f"{report.elected} elected · {report.not_needed} already led by a valid replica · "
            f"{report.failed} failed{more}"
        )
        summary.display = True
        submit = self.query_one("#form-submit", Button)
        submit.label = "Close"
        submit.variant = "primary"
        self.query_one("#form-cancel").display = False
        self.query_one("#form-hint", Static).update("ctrl+s or esc closes")
        table.focus()

    def action_cancel(self) -> None:
        self.dismiss(self.report)
