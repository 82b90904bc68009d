"""Transactions pane (key 9): the transactional ids of the cluster (state,
producer id and epoch, timeout, how long the current transaction has been
open, its partitions) above the partitions that an open transaction holds
(high watermark, last stable offset, how far read_committed consumers are
held behind, the producer, and whether the transaction is open, overdue --
past its own timeout -- or hanging, ``kafka-transactions find-hanging``'s
rule).  ``a`` aborts the selected partition's hanging or overdue transaction
after typed confirmation (an abort marker, as ``kafka-transactions abort``;
refused in read-only mode).  Filter and sort act on both tables, in memory.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message

from kview.core.format import human_count, human_duration
from kview.core.transactions import (
    DEFAULT_MAX_TIMEOUT_MS,
    HANGING,
    OVERDUE,
    OpenTransaction,
    PartitionTransactions,
    Transaction,
    TransactionsSnapshot,
)
from kview.ui.panes.base import PaneStatus
from kview.ui.panes.list_pane import ListPane, list_bindings
from kview.ui.widgets.diff_table import Column, Row
from kview.ui.widgets.elastic_table import ElasticDiffTable
from kview.ui.widgets.filter_bar import FilterBar

COLUMNS = (
    Column("id", "Transactional id", 16, 0),
    Column("state", "State", 14, 0),
    Column("producer", "Producer", 8, 1, numeric=True),
    Column("epoch", "Ep", 3, 2, numeric=True),
    Column("timeout", "Timeout", 7, 1, numeric=True),
    Column("open", "Open for", 8, 0, numeric=True),
    Column("partitions", "Partitions", 12, 1),
)

PARTITION_COLUMNS = (
    Column("partition", "Partition", 16, 0),
    Column("hw", "HW", 8, 0, numeric=True),
    Column("lso", "LSO", 8, 0, numeric=True),
    Column("behind", "Behind", 7, 0, numeric=True),
    Column("status", "Status", 7, 0),
    Column("producer", "Producer", 8, 1, numeric=True),
    Column("id", "Transactional id", 14, 1),
    Column("open", "Open for", 8, 1, numeric=True),
)

ABORTABLE = (HANGING, OVERDUE)

REFRESH_AT_MOST_EVERY = 5.0
"""Seconds between two refreshes of the pane, at the least."""


class ShowTransactions(Message):
    """Enter on a transactional id: its partitions get the cursor."""

    def __init__(self, transactional_id: str) -> None:
        super().__init__()
        self.transactional_id = transactional_id


def _ms(value: int | None) -> str:
    return "-" if value is None else human_duration(value / 1000)


def _matches(text: str, *fields: Any) -> bool:
    words = text.lower().split()
    haystack = " ".join(str(f) for f in fields if f is not None).lower()
    return all(w in haystack for w in words)


def partition_key(t: OpenTransaction) -> str:
    return f"{t.topic}:{t.partition}:{t.start_offset}"


class TransactionsPane(ListPane):
    pane_id = "transactions"
    title = "Transactions"
    COLUMNS = COLUMNS
    noun = "transactional ids"
    empty_text = "no transactional ids"
    filter_hint = "filter by transactional id, topic or state (esc clears)"
    loading_text = "loading transactions ..."

    BINDINGS = list_bindings(
        "transactions",
        "Show its partitions",
        operations=[Binding("a", "abort", "Abort transaction", id="transactions.abort")],
    )

    DEFAULT_CSS = """
    TransactionsPane ElasticDiffTable { border: round $panel-lighten-2; border-title-color: $text-muted; }
    TransactionsPane ElasticDiffTable:focus { border: round $primary; border-title-color: $text; }
    """
    HEIGHTS = {"transactions-table": ("1fr", None), "transactions-partitions": ("1fr", None)}

    max_timeout_ms: int = DEFAULT_MAX_TIMEOUT_MS
    """find-hanging's bound for transactions the coordinator does not hold."""

    @property
    def refresh_interval(self) -> float:
        """A refresh asks every partition leader for its producers (one
        request per 500 partitions): every 5 s at the most often (the
        profile's interval when longer), and at most a quarter of the time
        (ctrl+r refreshes now)."""
        took = self._refresh_seconds or 0.0
        return max(self.kview.profile.refresh_interval, REFRESH_AT_MOST_EVERY, 4 * took)

    def compose(self) -> ComposeResult:
        table = self.make_table()
        table.id = f"{self.pane_id}-table"
        table.border_title = "Transactional ids"
        table.sort_by(self.COLUMNS[0].key, reverse=False)
        yield table
        partitions = ElasticDiffTable(PARTITION_COLUMNS, elastic=(("partition", 40), ("id", 40)))
        partitions.id = "transactions-partitions"
        partitions.border_title = "Partitions held by open transactions"
        partitions.sort_by("partition", reverse=False)
        yield partitions
        yield FilterBar(self.filter_hint, id=f"{self.pane_id}-filter")
        yield PaneStatus(self.loading_text, id=f"{self.pane_id}-status")

    def make_table(self) -> ElasticDiffTable:
        return ElasticDiffTable(COLUMNS, elastic=(("id", 40), ("partitions", 60)))

    @property
    def partitions_table(self) -> ElasticDiffTable:
        return self.query_one("#transactions-partitions", ElasticDiffTable)

    # -- data --------------------------------------------------------------------------

    async def fetch(self) -> TransactionsSnapshot:
        return await self.kview.services.transactions.snapshot(max_timeout_ms=self.max_timeout_ms)

    def render_rows(self) -> None:
        listing: TransactionsSnapshot | None = self.listing
        if listing is None:
            return
        now_ms = int(listing.taken_at * 1000)
        text = self.filter_text
        shown = [
            t
            for t in listing.transactions
            if _matches(text, t.transactional_id, t.state, *(f"{topic}-{p}" for topic, p in t.partitions))
        ]
        self.table.set_rows([self._row(t, now_ms) for t in shown])
        rows = [
            self._partition_row(p, t)
            for p in listing.partitions
            for t in p.open
            if _matches(text, f"{p.topic}-{p.partition}", t.transactional_id, t.status)
        ]
        self.partitions_table.set_rows(rows)
        self.update_status(len(shown))

    def _row(self, t: Transaction, now_ms: int) -> Row:
        duration = t.duration_ms(now_ms)
        state: str | Text = t.state if t.error is None else f"{t.state or '?'} ({t.error})"
        if t.overdue(now_ms):
            state = Text(t.state, style="bold")
        parts = ",".join(f"{topic}-{p}" for topic, p in t.partitions) or "-"
        cells = (
            t.transactional_id,
            state,
            str(t.producer_id),
            "-" if t.producer_epoch is None else str(t.producer_epoch),
            _ms(t.timeout_ms),
            _ms(duration),
            parts,
        )
        raw = (t.transactional_id, t.state, t.producer_id, t.producer_epoch, t.timeout_ms, duration or -1, parts)
        return t.transactional_id, cells, raw

    def _partition_row(self, p: PartitionTransactions, t: OpenTransaction) -> Row:
        status: str | Text = t.status
        if t.status in ABORTABLE:
            status = Text(t.status, style="bold reverse" if t.status == HANGING else "bold")
        behind = p.behind
        cells = (
            f"{p.topic}-{p.partition}",
            "-" if p.high is None else f"{p.high:,}",
            "-" if p.stable is None else f"{p.stable:,}",
            "-" if behind is None else f"{behind:,}",
            status,
            str(t.producer.producer_id),
            t.transactional_id or "-",
            _ms(t.open_ms),
        )
        order = {HANGING: 0, OVERDUE: 1}.get(t.status, 2)
        raw = (
            f"{p.topic}-{p.partition:08d}",
            p.high,
            p.stable,
            behind,
            order,
            t.producer.producer_id,
            t.transactional_id,
            t.open_ms,
        )
        return partition_key(t), cells, raw

    # -- the status line ---------------------------------------------------------------

    def total_rows(self) -> int:
        return 0 if self.listing is None else len(self.listing.transactions)

    def status_notes(self) -> list[str]:
        listing: TransactionsSnapshot | None = self.listing
        if listing is None:
            return []
        notes = []
        hanging = len(listing.hanging)
        overdue = sum(1 for p in listing.partitions for t in p.open if t.status == OVERDUE)
        if hanging:
            notes.append(f"{hanging} HANGING")
        if overdue:
            notes.append(f"{overdue} overdue")
        held = len(listing.partitions)
        notes.append(f"{human_count(held)} partition{'s' if held != 1 else ''} held")
        notes.append(f"hanging after {_ms(listing.max_timeout_ms)}")
        return notes

    def problems(self) -> list[str]:
        return list(self.listing.errors) if self.listing is not None else []

    # -- keys --------------------------------------------------------------------------

    def open_message(self, key: str) -> Message:
        return ShowTransactions(key)

    def on_show_transactions(self, message: ShowTransactions) -> None:
        """Put the cursor on the transaction's first partition row."""
        message.stop()
        listing: TransactionsSnapshot | None = self.listing
        table = self.partitions_table
        if listing is None:
            return
        for p in listing.partitions:
            for t in p.open:
                if t.transactional_id == message.transactional_id:
                    try:
                        table.move_cursor(row=table.get_row_index(partition_key(t)))
                    except Exception:  # filtered out
                        continue
                    table.focus()
                    return
        self.notify(f"'{message.transactional_id}' holds no partition open", timeout=4)

    def selected_open(self) -> OpenTransaction | None:
        listing: TransactionsSnapshot | None = self.listing
        key = self.partitions_table.selected_key()
        if listing is None or key is None:
            return None
        for p in listing.partitions:
            for t in p.open:
                if partition_key(t) == key:
                    return t
        return None

    def _partition(self, t: OpenTransaction) -> PartitionTransactions | None:
        listing: TransactionsSnapshot | None = self.listing
        if listing is None:
            return None
        return next((p for p in listing.partitions if (p.topic, p.partition) == (t.topic, t.partition)), None)

    def action_abort(self) -> None:
        target = self.operation_target(
            "abort transaction", self.selected_open(), "Select a partition held by a transaction first."
        )
        if target is None:
            return
        if target.status not in ABORTABLE:
            self.notify(
                f"The transaction on {target.topic}-{target.partition} is open and within its timeout: "
                "its producer may still end it.  Only hanging or overdue ones are aborted here.",
                severity="warning",
                timeout=6,
            )
            return
        from kview.ui.screens.confirm import ConfirmScreen

        part = self._partition(target)
        name = f"{target.topic}-{target.partition}"
        who = f"producer {target.producer.producer_id} (epoch {target.producer.producer_epoch}"
        who += (
            f", transactional id '{target.transactional_id}')" if target.transactional_id else ", no transactional id)"
        )
        if target.status == HANGING:
            why = "Its coordinator does not hold this partition for it: nobody else will ever end it."
        else:
            why = f"It has run {_ms(target.open_ms)}, past its timeout of {_ms(target.timeout_ms)}."
        held = ""
        if part is not None and part.high is not None and part.stable is not None:
            held = f" The LSO moves on from {part.stable:,} (high watermark {part.high:,})."
        body = (
            f"Write an abort marker on {name} for {who}, whose transaction starts at offset "
            f"{target.start_offset:,}. {why} Its records are dropped for read_committed consumers, "
            f"which then read on.{held}"
        )
        service = self.kview.services.transactions
        topic, partition, start = target.topic, target.partition, target.start_offset

        def done(_: Any) -> None:
            self.notify(f"Aborted the transaction at offset {start:,} on {name}", title="Done", timeout=5)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_operation(
                    f"Aborted the transaction on {name}", lambda: service.abort(topic, partition, start), done
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Abort the {target.status} transaction on {name}?",
                body,
                require_text=name,
                confirm_label="Abort transaction",
            ),
            confirmed,
        )
