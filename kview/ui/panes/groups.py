"""Groups pane: every group (classic, consumer/KIP-848, share, streams: the
Type column, ``t`` cycles a type filter, the status line counts each type)
with its state, protocol and assignor,
members, topics, total lag and its trend, consumption rate, estimated time
lag and status (coloured by the theme), refreshed live; filter, sort, and the
group operations (reset offsets, delete group, delete a topic's offsets).

A refresh is one ``GroupService.refresh()`` in the pane's worker (a few
batched requests whatever the number of groups); filtering and sorting work
on the rows in memory, so a keystroke never waits on the network.  The app
keeps one GroupService per connection (``app.services.groups``): its
LagTracker remembers the lag history between refreshes and panes, which is
what the trend, the rates and the time-lag estimates are made of."""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from kview.core.errors import KViewError
from kview.core.format import human_count, human_duration, human_rate
from kview.core.groups import GroupService, GroupsSnapshot, GroupSummary, Readable, ResetRow
from kview.core.groups.models import GROUP_TYPES, NEW_TYPES
from kview.core.lag import TimeLag
from kview.ui.messages import OpenGroup
from kview.ui.panes.base import Pane
from kview.ui.panes.list_pane import ListPane, list_bindings
from kview.ui.themes import colour_style
from kview.ui.widgets.diff_table import Column, Row
from kview.ui.widgets.elastic_table import ElasticDiffTable
from kview.ui.widgets.lag_chart import lag_sparkline

TREND_SPAN = 300.0
"""Seconds of lag history the list's trend column covers."""

BREACH_MARK = "⚠"
"""Appended to the status of a group that lost unread records to retention."""


# -- formatting shared with the group detail ---------------------------------------------


def time_lag_text(lag: TimeLag | None) -> str:
    """``12s`` (exact), ``~12s`` (estimated), ``≥…`` when the true value is
    larger (the record was deleted, or the timeline is younger); ``-`` unknown."""
    if lag is None:
        return "-"
    text = "<1s" if 0 < lag.seconds < 1 else human_duration(lag.seconds)
    if not lag.exact and lag.seconds > 0:
        text = "~" + text
    return ("≥" + text) if lag.at_least else text


def lag_text(lag: int | None, readable: Readable | None) -> str:
    """The lag as Kafka's tools count it, and in brackets what a
    read_committed consumer receives of it when that differs: ``1 (0)`` for a
    committed offset on a transaction marker."""
    text = human_count(lag)
    if lag is None or readable is None or readable.records is None or readable.records == lag:
        return text
    return f"{text} ({human_count(readable.records)})"


def readable_text(lag: int | None, readable: Readable | None) -> str:
    """``0 (1 marker)``: the Readable column; ``-`` when not read."""
    if lag is not None and lag <= 0:
        return "0"
    return "-" if readable is None else readable.text()


def catch_up_text(summary: GroupSummary) -> str:
    """Time to catch up: ``0s`` without lag, ``…`` until a rate is measured,
    ``never`` when the group does not consume faster than producers write."""
    if summary.total_lag <= 0 or summary.readable_lag <= 0:
        return "0s"
    if summary.consumption_rate is None:
        return "…"
    if summary.catch_up_seconds is None:
        return "never"
    return human_duration(summary.catch_up_seconds)


NOT_APPLICABLE = "n/a"
"""Said where a figure has no meaning for the group's type (a share group
has no committed offsets, so no readable count, time lag or row owner)."""


def protocol_text(summary: GroupSummary) -> str:
    """``classic/range``, ``consumer/uniform`` (KIP-848 group) when ListGroups
    named the group type, else the protocol type and assignor."""
    kind = summary.group_type or summary.protocol_type
    parts = [p for p in (kind, summary.assignor) if p]
    return "/".join(parts) or "-"


def status_style(app, status: str) -> Style:
    return colour_style(app.status_colour(str(status).lower()), bold=True)


def status_cell(app, summary: GroupSummary) -> Text:
    text = Text(str(summary.status), style=status_style(app, summary.status))
    if summary.retention_breach:
        text.append(f" {BREACH_MARK}", style=status_style(app, "stop"))
    return text


def group_matches(text: str, kind: str | None = None) -> Callable[[GroupSummary], bool]:
    """The filter: every word is in the group's name or one of its topics,
    and, with ``kind``, the group is of that type.  Smart case:
    case-insensitive unless the text has a capital letter."""
    words = text.split()
    if kind is not None:
        inner = group_matches(text)
        return lambda group: group.kind == kind and inner(group)
    if not words:
        return lambda group: True
    sensitive = any(c.isupper() for c in text)
    if not sensitive:
        words = [w.lower() for w in words]

    def matches(group: GroupSummary) -> bool:
        haystack = " ".join((group.name, *group.topics))
        if not sensitive:
            haystack = haystack.lower()
        return all(w in haystack for w in words)

    return matches


def type_totals(groups: tuple[GroupSummary, ...] | list[GroupSummary]) -> dict[str, int]:
    """Groups of each type, in GROUP_TYPES order."""
    totals = dict.fromkeys(GROUP_TYPES, 0)
    for g in groups:
        totals[g.kind] += 1
    return totals


# -- operations shared with the group detail ----------------------------------------------


class GroupOperations(Pane):
    """The group keys of the groups pane and the group detail.  Every write
    is refused at once on a read-only cluster, before any form opens; the
    backend refuses again whatever the UI does."""

    def operation_group(self) -> GroupSummary | None:
        """The group the keys act on (as last refreshed), or None."""
        raise NotImplementedError

    def operation_topic(self) -> str | None:
        """The topic offered first by topic-scoped operations."""
        return None

    @property
    def group_service(self) -> GroupService:
        return self.kview.services.groups

    def _target(self, action: str) -> GroupSummary | None:
        """The group the key acts on; None when there is none or the cluster
        is read-only for ``action`` (both said)."""
        return self.operation_target(action, self.operation_group(), "Select a consumer group first.")

    @staticmethod
    def _committed_topics(group: GroupSummary) -> list[str]:
        """The topics the group has committed offsets on (all its topics when
        the summary has no partition rows)."""
        if not group.partitions:
            return list(group.topics)
        return sorted({r.topic for r in group.partitions if r.committed is not None})

    def _partition_counts(self) -> dict[str, int]:
        snapshot = self.kview.snapshot
        if snapshot is None:
            return {}
        return {t.name: t.partition_count for t in snapshot.metadata.topics if not t.name.startswith("__")}

    def action_reset_offsets(self) -> None:
        from kview.ui.screens.reset_offsets import ResetOffsetsScreen

        selected = self.operation_group()
        share = selected is not None and selected.kind == "share"
        group = self._target("reset share-group offsets" if share else "reset offsets")
        if group is None:
            return
        service, name = self.group_service, group.name
        if group.kind == "streams":
            self.notify(
                "kview resets classic, consumer and share groups; reset a streams group with "
                "kafka-streams-groups --reset-offsets.",
                severity="warning",
                timeout=6,
            )
            return

        def done(rows: list[ResetRow]) -> tuple[str, str, str]:
            moved = sum(1 for r in rows if r.current != r.new)
            return name, f"{len(rows)} partition(s), {moved} moved", f"Offsets of '{name}' reset"

        self.open_form(
            ResetOffsetsScreen(
                name,
                members=group.member_count,
                group_topics=self._committed_topics(group),
                partition_counts=self._partition_counts(),
                preview=lambda spec: (service.preview_share_reset if share else service.preview_reset)(name, spec),
                apply=lambda spec: (service.apply_share_reset if share else service.apply_reset)(name, spec),
                topic=self.operation_topic(),
                share=share,
            ),
            done,
            timeout=6,
        )

    def action_delete_group(self) -> None:
        group = self._target("delete group")
        if group is None:
            return
        name = group.name
        if group.member_count:
            self.notify(
                f"Group '{name}' has {group.member_count} active member(s): Kafka deletes a group "
                "only when it has none. Stop its consumers first.",
                title="Cannot delete group",
                severity="error",
                timeout=8,
            )
            return
        service = self.group_service
        if group.kind == "share":
            question = f"Delete share group '{name}'?"
            detail = (
                f"Its share-partition state on {len(group.topics)} topic(s) is deleted: consumers that join "
                "again start from share.auto.offset.reset (latest by default). This cannot be undone."
            )
        else:
            noun = "streams group" if group.kind == "streams" else "consumer group"
            question = f"Delete {noun} '{name}'?"
            detail = (
                f"Its committed offsets on {len(group.topics)} topic(s) are deleted: consumers that join "
                "the group again start from their auto.offset.reset setting. This cannot be undone."
            )
        self.confirm_delete("group", name, question, detail, lambda: service.delete_group(name))

    def action_delete_offsets(self) -> None:
        from kview.ui.screens.delete_offsets import DeleteOffsetsScreen

        group = self._target("delete group offsets")
        if group is None:
            return
        name = group.name
        if group.kind == "share":
            self.notify(
                "A share group has start offsets, not committed offsets: reset them (r) or delete the group (d).",
                severity="warning",
                timeout=6,
            )
            return
        topics = self._committed_topics(group)
        if not topics:
            self.notify(f"Group '{name}' has no committed offsets.", severity="warning", timeout=5)
            return
        service = self.group_service

        def chosen(topic: str | None) -> None:
            if topic:
                self.run_operation(
                    f"Deleted offsets of '{name}' on '{topic}'",
                    lambda: service.delete_offsets(name, topic),
                    lambda parts: self._offsets_deleted(name, topic, parts),
                )

        self.app.push_screen(
            DeleteOffsetsScreen(name, topics, self.operation_topic(), members=group.member_count), chosen
        )

    def _offsets_deleted(self, name: str, topic: str, partitions: list[int]) -> None:
        self.notify(
            f"{len(partitions)} partition(s) of '{topic}' forgotten by '{name}'", title="Offsets deleted", timeout=5
        )
        self.after_change(name)


def group_operation_bindings(pane_id: str) -> list[Binding]:
    return [
        Binding("r", "reset_offsets", "Reset offsets", id=f"{pane_id}.reset"),
        Binding("d", "delete_group", "Delete group", id=f"{pane_id}.delete"),
        Binding("o", "delete_offsets", "Delete a topic's offsets", id=f"{pane_id}.delete_offsets"),
    ]


# -- the groups table --------------------------------------------------------------------

COLUMNS = (
    Column("name", "Consumer group", 20, 0),
    Column("status", "Status", 7, 0),
    Column("lag", "Lag", 9, 1, numeric=True),
    Column("time_lag", "Time lag", 8, 1, numeric=True),
    Column("trend", "Lag trend", 10, 2),
    Column("rate", "Msg/s", 7, 2, numeric=True),
    Column("members", "Mem", 3, 2, numeric=True),
    Column("type", "Type", 8, 3),
    Column("state", "State", 12, 3),
    Column("readable", "Readable", 14, 3),
    Column("catch_up", "Catch-up", 8, 4, numeric=True),
    Column("topics", "Topics", 24, 5),
    Column("partitions", "Parts", 5, 6, numeric=True),
    Column("protocol", "Protocol", 18, 6),
)
"""At 80 columns: name, status, lag, time lag, trend, rate and members (the
type filter ``t`` and the status line's per-type totals say the types);
wider terminals add type, state, readable, catch-up, topics, partitions and
protocol.  Where the lag holds offsets a read_committed consumer never
receives (transaction markers, aborted or open transactional records) the
lag cell says ``1 (0)``: the lag, and in brackets the readable records."""


class GroupsPane(GroupOperations, ListPane):
    pane_id = "groups"
    title = "Groups"
    COLUMNS = COLUMNS
    UNSORTED = frozenset({"trend"})
    noun = "groups"
    empty_text = "no consumer groups"
    filter_hint = "filter groups by name or topic (esc clears)"
    loading_text = "loading consumer groups ..."
    took_format = " in {:.2f}s"

    BINDINGS = [
        *list_bindings("groups", "Open group", operations=group_operation_bindings("groups")),
        Binding("t", "cycle_type", "Group type filter", id="groups.type"),
    ]

    type_filter: str | None = None
    """Only groups of this type (GROUP_TYPES), or all."""
    unavailable: tuple[str, ...] = ()
    """Group types the cluster's brokers lack (share, streams before Kafka 4.1)."""

    def make_table(self) -> ElasticDiffTable:
        return ElasticDiffTable(COLUMNS, elastic=(("name", 60), ("topics", 60)))

    @property
    def groups_snapshot(self) -> GroupsSnapshot | None:
        return self.listing

    # -- data --------------------------------------------------------------------------

    async def fetch(self) -> GroupsSnapshot:
        service = self.group_service
        snapshot = await service.refresh()
        try:
            self.unavailable = tuple([kind for kind in NEW_TYPES if not await service.supports(kind)])
        except KViewError:
            pass  # asked again next refresh; the groups themselves were read
        return snapshot

    def action_cycle_type(self) -> None:
        """All types -> classic -> consumer -> share -> streams -> all."""
        order: list[str | None] = [None, *GROUP_TYPES]
        self.type_filter = order[(order.index(self.type_filter) + 1) % len(order)]
        self.render_rows()

    def theme_changed(self, _theme: str) -> None:
        self.render_rows()
        table = self.table
        # Same text, new colours: only a full redraw repaints unchanged cells.
        table.sort_by(table.sort_column or "name", table.sort_reverse)

    def _row(self, g: GroupSummary, now: float) -> Row:
        share = g.kind == "share"
        cells = (
            g.name if not g.error else Text(f"{g.name} ({g.error})", style=status_style(self.app, "stop")),
            status_cell(self.app, g),
            lag_text(g.total_lag, g.readable),
            NOT_APPLICABLE if share else time_lag_text(g.time_lag),
            Text(lag_sparkline(g.lag_history, 10, now, TREND_SPAN), style=status_style(self.app, g.status)),
            human_rate(g.consumption_rate, unit=""),
            str(g.member_count),
            g.kind,
            g.state or "-",
            NOT_APPLICABLE if share else readable_text(g.total_lag, g.readable),
            catch_up_text(g),
            ", ".join(g.topics) or "-",
            str(g.partition_count),
            protocol_text(g),
        )
        raw = (
            g.name,
            _STATUS_ORDER.get(str(g.status), 0),
            g.total_lag,
            g.time_lag.seconds if g.time_lag else None,
            g.total_lag,
            g.consumption_rate,
            g.member_count,
            g.kind,
            g.state,
            g.readable_lag,
            g.catch_up_seconds,
            ", ".join(g.topics),
            g.partition_count,
            protocol_text(g),
        )
        return g.name, cells, raw

    def visible_groups(self) -> list[GroupSummary]:
        if self.groups_snapshot is None:
            return []
        matches = group_matches(self.filter_text, self.type_filter)
        return [g for g in self.groups_snapshot.groups if matches(g)]

    def render_rows(self) -> None:
        """Redraw the table from the groups in memory (no network)."""
        snapshot = self.groups_snapshot
        if snapshot is None:
            return
        groups = self.visible_groups()
        self.table.set_rows([self._row(g, snapshot.taken_at) for g in groups])
        self.update_status(len(groups))

    # -- the status line: the alarms, the legend of ``lag (n)``, errors; the sort and the time after

    def total_rows(self) -> int:
        return 0 if self.groups_snapshot is None else len(self.groups_snapshot.groups)

    def status_notes(self) -> list[str]:
        snapshot = self.groups_snapshot
        if snapshot is None:
            return []
        groups = snapshot.groups
        notes = []
        if self.type_filter in self.unavailable:
            notes.append(f"{self.type_filter} groups: not available on this Kafka version")
        elif self.type_filter is not None:
            notes.append(f"type {self.type_filter} (t: next)")
        if any(lag_text(g.total_lag, g.readable) != human_count(g.total_lag) for g in self.visible_groups()):
            # The legend of the lag cells' brackets on screen, first: the type
            # totals and alarms of a big cluster after it must not push it
            # past 80 columns.
            notes.append("lag (n): n readable")
        totals = type_totals(groups)
        if any(totals[k] for k in totals if k != "classic"):
            notes.append(" ".join(f"{n} {kind}" for kind, n in totals.items() if n))
        counts: dict[str, int] = {}
        for g in groups:
            counts[str(g.status)] = counts.get(str(g.status), 0) + 1
        alarming = [f"{counts[s]} {s}" for s in ("STOP", "STALL", "WARN") if counts.get(s)]
        if alarming:
            notes.append(", ".join(alarming))
        breaches = sum(1 for g in groups if g.retention_breach)
        if breaches:
            notes.append(f"{breaches} {BREACH_MARK} retention breach")
        if snapshot.errors:
            notes.append("; ".join(snapshot.errors))
        return notes

    def problems(self) -> list[str]:
        return [] if self.groups_snapshot is None else list(self.groups_snapshot.errors)

    def status_tail(self) -> list[str]:
        return [*super().status_tail(), "~ = estimated"]

    def default_reverse(self, column: str) -> bool:
        # Worst first is what one looks for in a number or a status.
        return column == "status" or super().default_reverse(column)

    # -- selection -----------------------------------------------------------------------

    def operation_group(self) -> GroupSummary | None:
        key = self.table.selected_key()
        if key is None or self.groups_snapshot is None:
            return None
        return self.groups_snapshot.group(key)

    def operation_topic(self) -> str | None:
        group = self.operation_group()
        return group.topics[0] if group is not None and len(group.topics) == 1 else None

    select_group = ListPane.select

    def open_message(self, key: str) -> Message:
        return OpenGroup(key)


_STATUS_ORDER = {"OK": 0, "EMPTY": 1, "WARN": 2, "STALL": 3, "STOP": 4}
"""Sorting the status column puts the worst first (descending)."""
