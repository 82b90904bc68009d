"""Group detail: one group's partitions (committed offset, log end, lag,
exact time lag, the member that owns each), its members with their
assignments, a chart of its lag over time, its rates and time to catch up.

Each group type shows what it has: a KIP-848 group its group and assignment
epochs, server-side assignor, each member's epoch, and the partitions still
moving to their target assignment (``+`` coming, ``-`` being revoked); a share
group each share-partition's start offset and the lag the broker computes
(``n/a`` where a figure has no meaning: time lag, readable, row owner); a
streams group its members' processes and tasks.
The group keys of the groups pane work here too; ``esc`` goes back.

Rows follow ``kafka-consumer-groups --describe``: a partition without a
committed offset shows ``-``; a negative lag (a commit past the log end) is
shown as it is.  The time lag here is *exact*: read from the timestamp of the
next record a read_committed consumer receives (``GroupService.describe_group``),
0 when only transaction markers, aborted or open transactional records are
left.  Such offsets count in the lag (as Kafka's tools count them); the lag
cell then shows ``1 (0)``, the readable records in brackets, and the
Readable column (wider terminals) says what the rest is."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message

from kview.core.format import human_count, human_duration, human_rate
from kview.core.groups import GroupDetail, GroupPartitionLag, GroupSummary, MemberInfo
from kview.ui.messages import OpenTopic
from kview.ui.panes.base import updated_at
from kview.ui.panes.detail_pane import DetailPane
from kview.ui.panes.groups import (
    BREACH_MARK,
    NOT_APPLICABLE,
    GroupOperations,
    catch_up_text,
    group_operation_bindings,
    lag_text,
    protocol_text,
    readable_text,
    status_style,
    time_lag_text,
)
from kview.ui.widgets.diff_table import Column, DiffTable, key_of
from kview.ui.widgets.elastic_table import ElasticDiffTable
from kview.ui.widgets.lag_chart import LagChart

if TYPE_CHECKING:
    from kview.core.transactions.behind import BehindTransaction

log = logging.getLogger(__name__)

PARTITION_COLUMNS = (
    Column("topic", "Topic", 12, 0),
    Column("partition", "Part", 4, 0, numeric=True),
    Column("committed", "Committed", 9, 0, numeric=True),
    Column("log_end", "Log end", 9, 1, numeric=True),
    Column("lag", "Lag", 8, 0, numeric=True),
    Column("time_lag", "Time lag", 8, 1, numeric=True),
    Column("readable", "Readable", 16, 3),
    Column("client", "Client id", 12, 2),
    Column("host", "Host", 15, 3),
    Column("consumer", "Consumer id", 24, 4),
    Column("log_start", "Log start", 9, 5, numeric=True),
)
"""At 80 columns: topic, partition, committed, log end, lag, time lag and
the member's client id; wider terminals add readable, host, consumer id,
log start."""

MEMBER_COLUMNS = (
    Column("client", "Client id", 16, 0),
    Column("epoch", "Epoch", 5, 1, numeric=True),
    Column("host", "Host", 15, 1),
    Column("assignment", "Assignment", 24, 0),
    Column("count", "Parts", 5, 2, numeric=True),
    Column("member", "Member id", 30, 3),
    Column("instance", "Instance id", 14, 4),
)


def assignment_text(assignment: tuple[tuple[str, int], ...]) -> str:
    """``orders:0-2,5 payments:1``: partitions per topic, runs as ranges."""
    by_topic: dict[str, list[int]] = {}
    for topic, partition in sorted(assignment):
        by_topic.setdefault(topic, []).append(partition)
    parts = []
    for topic, partitions in by_topic.items():
        runs: list[str] = []
        start = prev = partitions[0]
        for p in [*partitions[1:], None]:
            if p is not None and p == prev + 1:
                prev = p
                continue
            runs.append(str(start) if start == prev else f"{start}-{prev}")
            if p is not None:
                start = prev = p
        parts.append(f"{topic}:{','.join(runs)}")
    return " ".join(parts) or "-"


def member_assignment_text(m: MemberInfo) -> str:
    """What the member owns; KIP-848: partitions still moving to its target
    marked ``+t:p`` (coming) and ``-t:p`` (being revoked); streams: its
    process and active (standby) tasks."""
    if m.process_id is not None:
        tasks = " ".join(m.active_tasks) or "no tasks"
        standby = f" standby {' '.join(m.standby_tasks)}" if m.standby_tasks else ""
        return f"process {m.process_id[:8]}: {tasks}{standby}"
    text = assignment_text(m.assignment)
    moving = [f"+{t}:{p}" for t, p in m.moving_in] + [f"-{t}:{p}" for t, p in m.moving_out]
    if moving:
        text += " → " + " ".join(moving)
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def dash(value: Any) -> str:
    return "-" if value is None else str(value)


class GroupDetailPane(GroupOperations, DetailPane):
    pane_id = "group-detail"
    title = "Group"
    parts_prefix = "group"
    opens = "partitions"

    BINDINGS = [
        Binding("enter", "open", "Open the selected row's topic", id="group_detail.open_topic", show=False),
        *group_operation_bindings("group_detail"),
        Binding("A", "acls", "ACLs of this group (Access pane)", id="group_detail.acls"),
        Binding("e", "export_offsets", "Export offsets to a file", id="group_detail.export_offsets", show=False),
        Binding("i", "import_offsets", "Import offsets from a file", id="group_detail.import_offsets", show=False),
    ]

    DEFAULT_CSS = """
    GroupDetailPane #group-summary { height: auto; padding: 0 1; background: $panel; }
    GroupDetailPane LagChart { border: round $panel-lighten-2; padding: 0 1; border-title-color: $text-muted; }
    GroupDetailPane DiffTable { border: round $panel-lighten-2; border-title-color: $text-muted; }
    GroupDetailPane DiffTable:focus { border: round $primary; border-title-color: $text; }
    """
    HEIGHTS = {"group-chart": ("6", None), "group-partitions": ("1fr", None), "group-members": ("auto", "35%")}

    def __init__(self, group: str, **kwargs: Any) -> None:
        super().__init__(group, **kwargs)
        self.group = group
        self.detail: GroupDetail | None = None
        self.taken_at = 0.0
        self.behind: tuple[BehindTransaction, ...] = ()
        """Open transactions holding the group's lag past the LSO (the summary names them)."""

    def compose_parts(self) -> ComposeResult:
        chart = LagChart(id="group-chart")
        chart.border_title = "Total lag over time"
        yield chart
        partitions = ElasticDiffTable(PARTITION_COLUMNS, elastic=(("client", 24), ("topic", 60)), id="group-partitions")
        partitions.border_title = "Partitions (time lag exact, from the unread record)"
        partitions.sort_by("topic", reverse=False)
        yield partitions
        members = ElasticDiffTable(MEMBER_COLUMNS, elastic=(("assignment", 80),), id="group-members")
        members.border_title = "Members"
        members.sort_by("client", reverse=False)
        yield members

    # -- data --------------------------------------------------------------------------

    async def collect(self) -> GroupDetail:
        detail = await self.group_service.describe_group(self.group)
        self.taken_at = time.time()
        self.behind = await self._behind_transactions(detail)
        return detail

    async def _behind_transactions(self, detail: GroupDetail) -> tuple[BehindTransaction, ...]:
        """Which open transactions hold the lag that is past the LSO (only
        asked when some is): an explanation, so a failure leaves it out."""
        from kview.core.transactions.behind import behind_open_transactions

        try:
            return await behind_open_transactions(self.kview.services.transactions, detail.partitions)
        except Exception:  # the lag is shown without the explanation
            log.debug("open transactions behind group %s not described", self.group, exc_info=True)
            return ()

    def show(self, data: GroupDetail) -> None:
        self.detail = data
        summary = data.summary
        self._show_summary(summary)
        chart = self.query_one(LagChart)
        chart.set_history(summary.lag_history, self.taken_at)
        if summary.lag_history:
            span = self.taken_at - summary.lag_history[0][0]
            peak = max(v for _, v in summary.lag_history)
            chart.border_title = (
                f"Total lag over the last {human_duration(span)} "
                f"(peak {human_count(peak)}, now {human_count(summary.total_lag)})"
            )
        self._show_partitions(data.partitions)
        self._show_members(data.members)
        # The footer shows the group keys as room allows; here the ways about
        # come first, the keys last (80 columns cut them, the help lists them).
        self.set_status(
            f"{updated_at(self.taken_at)} · esc back · tab switches tables · "
            "enter opens a partition's topic · r reset · o delete a topic's offsets · d delete group"
        )

    def _show_summary(self, g: GroupSummary) -> None:
        missing = g.state in ("Dead", "") and not g.partitions and not g.members
        text = Text(no_wrap=False)
        text.append(g.name, style="bold")
        if missing:
            text.append(" · no such group (deleted, or it never committed)")
            self.show_summary(text)
            return
        uncommitted = f" ({g.uncommitted_partitions} without commit)" if g.uncommitted_partitions else ""
        text.append(
            f" · {g.state or '-'} · {protocol_text(g)} · {_count(g.member_count, 'member')} · "
            f"{_count(len(g.topics), 'topic')} · {_count(g.partition_count, 'partition')}{uncommitted}"
        )
        if g.group_epoch is not None:
            text.append(f" · epoch {g.group_epoch}, assignment epoch {g.assignment_epoch}")
            if g.reconciling:
                text.append(" · RECONCILING", style=status_style(self.app, "warn"))
        text.append("\n")
        text.append(str(g.status), style=status_style(self.app, g.status))
        lag_source = "exact" if g.time_lag is None or g.time_lag.exact else "est."
        readable = f" · {g.readable.text(long=True)}" if g.readable is not None and g.total_lag > 0 else ""
        time_lag = NOT_APPLICABLE if g.kind == "share" else f"{time_lag_text(g.time_lag)} {lag_source}"
        text.append(
            f" · lag {human_count(g.total_lag)}{readable}"
            f" · time lag {time_lag}"
            f" · in {human_rate(g.production_rate, unit='/s')}"
            f" · out {human_rate(g.consumption_rate, unit='/s')}"
            f" · catch-up {catch_up_text(g)} · idle {human_duration(g.idle_seconds)}"
        )
        if g.retention_breach:
            text.append(
                f"\n{BREACH_MARK} retention breach: records the group never read were deleted",
                style=status_style(self.app, "stop"),
            )
        for behind in self.behind[:3]:
            style = status_style(self.app, "warn" if behind.holder.status != "open" else "ok")
            text.append(f"\n{behind.text()}", style=style)
        if len(self.behind) > 3:
            text.append(f"\n... and {len(self.behind) - 3} more open transactions hold its lag (Transactions pane, 9)")
        self.show_summary(text)

    def _partition_row(self, r: GroupPartitionLag):
        stop = status_style(self.app, "stop")
        warn = status_style(self.app, "warn")
        committed: str | Text = dash(r.committed)
        if r.retention_breach:
            committed = Text(f"{BREACH_MARK}{r.committed}", style=stop)
        lag: str | Text = dash(r.lag) if r.lag is None or r.lag <= 0 else lag_text(r.lag, r.readable)
        if r.lag is not None and r.lag < 0:
            lag = Text(str(r.lag), style=warn)
        na = NOT_APPLICABLE if r.share else None
        cells = (
            r.topic,
            str(r.partition),
            committed,
            dash(r.log_end),
            lag,
            na or time_lag_text(r.time_lag),
            na or readable_text(r.lag, r.readable),
            na or r.client_id or "-",
            na or r.host or "-",
            na or r.consumer_id or "-",
            dash(r.log_start),
        )
        raw = (
            r.topic,
            r.partition,
            r.committed,
            r.log_end,
            r.lag,
            r.time_lag.seconds if r.time_lag else None,
            r.readable_lag,
            r.client_id,
            r.host,
            r.consumer_id,
            r.log_start,
        )
        # Sorting by topic keeps partitions in order within it.
        raw = (f"{r.topic}\0{r.partition:010d}", *raw[1:])
        return r.key, cells, raw

    def _show_partitions(self, rows: tuple[GroupPartitionLag, ...]) -> None:
        table = self.query_one("#group-partitions", DiffTable)
        table.set_rows([self._partition_row(r) for r in rows])
        exact = all(r.time_lag is None or r.time_lag.exact for r in rows)
        note = "time lag exact, from the unread record" if exact else "time lag exact where read, ~ estimated"
        if any(r.share for r in rows):
            note = "Committed = share-partition start offset, lag as the broker counts it"
        table.border_title = f"Partitions: {len(rows)} ({note})"

    def _show_members(self, members: tuple[MemberInfo, ...]) -> None:
        table = self.query_one("#group-members", DiffTable)
        table.set_rows(
            [
                (
                    key_of(m.member_id),
                    (
                        m.client_id or "-",
                        dash(m.member_epoch),
                        m.host or "-",
                        member_assignment_text(m),
                        str(len(m.assignment) if m.process_id is None else len(m.active_tasks)),
                        m.member_id or "-",
                        m.group_instance_id or "-",
                    ),
                    (
                        m.client_id,
                        m.member_epoch,
                        m.host,
                        member_assignment_text(m),
                        len(m.assignment),
                        m.member_id,
                        m.group_instance_id,
                    ),
                )
                for m in members
            ]
        )
        table.border_title = f"Members: {len(members)}" if members else "Members: none (nobody consumes now)"

    # -- keys ----------------------------------------------------------------------------

    def operation_group(self) -> GroupSummary | None:
        return self.detail.summary if self.detail is not None else None

    def operation_topic(self) -> str | None:
        """The topic of the selected partition row."""
        key = self.query_one("#group-partitions", DiffTable).selected_key()
        return key.rsplit(":", 1)[0] if key else None

    def open_message(self, key: str) -> Message:
        """The partition row's topic (keys are ``topic:partition``)."""
        return OpenTopic(key.rsplit(":", 1)[0])

    def action_acls(self) -> None:
        """The Access pane with the ACLs that apply to this group (run from
        the app: switching panes removes this one)."""
        from kview.ui.panes.access import show_access_for

        app, group = self.kview, self.subject
        app.call_later(show_access_for, app, "GROUP", group)

    # -- offsets files -------------------------------------------------------------------

    def action_export_offsets(self) -> None:
        from kview.core.groups.offsets_file import OffsetsFiles
        from kview.ui.screens.offsets_file import ExportOffsetsScreen

        group = self.operation_target(None, self.operation_group(), "Wait for the group to load.")
        if group is None:
            return
        files, name = OffsetsFiles(self.group_service), group.name

        def done(result: tuple[str, int]) -> tuple[str, str, str]:
            path, count = result
            return name, f"{count} partition offset(s) written to {path}", f"Offsets of '{name}' exported"

        self.open_form(
            ExportOffsetsScreen(
                name, export=lambda topics: files.export(name, topics), cluster=self.kview.profile.name
            ),
            done,
            timeout=8,
        )

    def action_import_offsets(self) -> None:
        from kview.core.groups.offsets_file import ImportPlan, OffsetsFiles
        from kview.ui.screens.offsets_file import ImportOffsetsScreen

        group = self._target("import offsets")
        if group is None:
            return
        files, name = OffsetsFiles(self.group_service), group.name

        def done(plan: ImportPlan) -> tuple[str, str, str]:
            return name, f"{len(plan.rows)} partition(s), {plan.moves} moved", f"Offsets of '{name}' imported"

        self.open_form(
            ImportOffsetsScreen(
                name,
                members=group.member_count,
                preview=lambda offsets: files.preview(name, offsets),
                apply=lambda offsets: files.apply(name, offsets),
            ),
            done,
            timeout=6,
        )
