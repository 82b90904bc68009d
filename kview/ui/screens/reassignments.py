"""Reassignments in progress, with live progress: the partitions moving (by
kview or by any other tool: ListPartitionReassignments), how many are done,
bytes copied and remaining, the rate and the ETA, and each partition's
replicas, target and ISR; ``c`` cancels every one shown and ``x`` the
highlighted one (Kafka returns them to their replicas before), each after a
confirmation.  Opened after a plan is applied (following that plan's
partitions until they are done, then removing the throttle it set) or from
the brokers pane's ``m``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from kview.core.errors import KViewError, describe_exception
from kview.core.format import human_bytes, human_count, human_duration
from kview.core.readonly import refuse_message
from kview.core.reassign.models import (
    CancelResult,
    MovingPartition,
    ReassignProgress,
    Replicas,
    TopicPartition,
)
from kview.core.reassign.service import ReassignService
from kview.ui.widgets.fitted_table import FittedTable

POLL_SECONDS = 1.0
"""How often the progress is read again (a look costs a metadata, a list of
reassignments and the log dirs of the brokers taking part)."""

SHOWN_ROWS = 500


def replicas_text(replicas: Replicas) -> str:
    return ",".join(map(str, replicas)) or "-"


def progress_line(progress: ReassignProgress) -> str:
    """``2/5 done · 1.2 MB copied · 3.4 MB left · 500 KB/s · ETA 7s · throttle 1 MB/s``."""
    parts = [f"{human_count(progress.done)}/{human_count(progress.total)} done"]
    parts.append(f"{human_bytes(progress.bytes_copied)} copied")
    parts.append(f"{human_bytes(progress.bytes_remaining)} left")
    parts.append("rate -" if progress.rate is None else f"{human_bytes(progress.rate)}/s")
    eta = progress.eta
    parts.append("ETA -" if eta is None else f"ETA {human_duration(eta)}")
    parts.append(
        "not throttled" if progress.throttle_rate is None else f"throttle {human_bytes(progress.throttle_rate)}/s"
    )
    return " · ".join(parts)


class ReassignmentsScreen(ModalScreen[None]):
    """Live progress of ``targets`` (a plan just applied), or of every
    reassignment in progress (``targets`` None)."""

    BINDINGS = [
        Binding("escape", "close", "Close (moves go on)", id="reassignments.close"),
        Binding("c", "cancel_all", "Cancel every reassignment shown", id="reassignments.cancel_all"),
        Binding("x", "cancel_one", "Cancel the highlighted partition's move", id="reassignments.cancel_one"),
        Binding("t", "remove_throttle", "Remove a throttle left set (nothing moving)", id="reassignments.throttle"),
    ]
    DEFAULT_CSS = """
    ReassignmentsScreen { align: center middle; }
    ReassignmentsScreen > Vertical {
        width: 100%; max-width: 120; height: 100%; max-height: 40;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ReassignmentsScreen #moving-title { text-style: bold; width: 100%; }
    ReassignmentsScreen #moving-table { height: 1fr; }
    ReassignmentsScreen #moving-error { color: $text-error; height: auto; }
    ReassignmentsScreen .muted { color: $text-muted; }
    """

    def __init__(
        self,
        service: ReassignService,
        *,
        targets: Mapping[TopicPartition, Replicas] | None = None,
        title: str | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.service = service
        self.targets = dict(targets) if targets is not None else None
        self.title_text = title
        self.read_only = read_only
        self.progress: ReassignProgress | None = None
        self.rows: list[MovingPartition] = []
        self.throttle_removed = False
        self.cancelled: CancelResult | None = None
        self.cancelled_keys: set[TopicPartition] = set()
        """Partitions of ``targets`` cancelled here: followed no longer."""
        self.leftover_throttle: int | None = None
        """The throttle still set on the brokers while nothing moves (a
        reassignment whose end nobody verified, or a tool's): ``t`` removes it."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text or "Reassignments in progress (any tool's)", id="moving-title")
            yield Static("reading ...", id="moving-summary")
            table = FittedTable(id="moving-table", cursor_type="row", zebra_stripes=True)
            table.add_column("Topic")
            table.add_column(Text("Part", justify="right"))
            table.add_column("State")
            table.add_column("Replicas")
            table.add_column("Target")
            table.add_column("ISR")
            table.add_column(Text("Copied", justify="right"))
            table.add_column(Text("Left", justify="right"))
            yield table
            yield Static("", id="moving-error")
            yield Static("c cancels all · x cancels this one · t unthrottles · esc closes", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#moving-table", DataTable).focus()
        self.query_one("#moving-error").display = False
        self.run_worker(self._follow(), group="reassign-progress", exclusive=True, exit_on_error=False)

    # -- following -------------------------------------------------------------------

    async def _follow(self) -> None:
        while self.is_attached:
            started = time.monotonic()
            try:
                progress = await self.service.progress(self.targets, self.progress)
                if self.targets is None and not progress.partitions:
                    self.leftover_throttle = await self.service.throttle_rate()
                else:
                    self.leftover_throttle = None
            except KViewError as exc:
                self.show_error(str(exc))
            except Exception as exc:  # a bug must not kill the screen: say it, try again
                self.show_error(describe_exception(exc))
            else:
                if not self.is_attached:
                    return
                self.show_progress(progress)
                if self.targets is not None and progress.finished and progress.throttle_rate is not None:
                    await self._remove_throttle()
            await asyncio.sleep(max(0.05, POLL_SECONDS - (time.monotonic() - started)))

    async def _remove_throttle(self) -> None:
        """Every partition of the plan is done: remove the throttle it set,
        as ``kafka-reassign-partitions --verify`` does."""
        if self.throttle_removed or self.read_only or self.targets is None:
            return
        self.throttle_removed = True
        topics = sorted({t for t, _ in self.targets})
        try:
            left = await self.service.remove_throttles(topics)
        except KViewError as exc:
            self.show_error(f"the throttle could not be removed: {exc}")
            return
        if left:
            self.show_error("the throttle could not be removed everywhere: " + "; ".join(left))
        else:
            self.notify("Every partition moved; the replication throttle was removed.", title="Done", timeout=6)

    def show_error(self, text: str | None) -> None:
        if not self.is_attached:
            return
        error = self.query_one("#moving-error", Static)
        error.update(f"✗ {text}" if text else "")
        error.display = bool(text)

    def show_progress(self, progress: ReassignProgress) -> None:
        self.progress = progress
        # Still moving first, then done; by topic and partition.
        self.rows = sorted(progress.partitions, key=lambda p: (p.done, p.topic, p.partition))
        table = self.query_one("#moving-table", FittedTable)
        row = table.cursor_row
        table.fill(
            (
                (
                    (
                        p.topic,
                        Text(str(p.partition), justify="right"),
                        "done" if p.done else "moving",
                        replicas_text(p.replicas),
                        replicas_text(p.target),
                        replicas_text(p.isr),
                        Text("-" if p.copied is None else human_bytes(p.copied), justify="right"),
                        Text("?" if p.remaining is None else human_bytes(p.remaining), justify="right"),
                    ),
                    f"{p.topic}:{p.partition}",
                )
                for p in self.rows[:SHOWN_ROWS]
            ),
            width=min(self.app.size.width, 120) - 6,
        )
        if self.rows:
            table.move_cursor(row=max(0, min(row, min(len(self.rows), SHOWN_ROWS) - 1)))
        if not progress.partitions:
            summary = "No reassignment in progress."
            if self.leftover_throttle is not None:
                summary += f" A throttle of {self.leftover_throttle:,} B/s is still set (t removes it)."
        else:
            summary = progress_line(progress)
            if progress.finished:
                summary = "Finished · " + summary
        if self.cancelled_keys:
            summary += f" · {len(self.cancelled_keys)} cancelled (back on their replicas before)"
        self.query_one("#moving-summary", Static).update(summary)
        self.show_error("; ".join(progress.errors) if progress.errors else None)

    # -- cancel ----------------------------------------------------------------------

    def _highlighted(self) -> MovingPartition | None:
        table = self.query_one("#moving-table", DataTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    def action_cancel_all(self) -> None:
        moving = [p.key for p in self.rows if not p.done]
        self._cancel(moving, f"{len(moving)} reassignment(s)")

    def action_cancel_one(self) -> None:
        p = self._highlighted()
        if p is None or p.done:
            self.notify("The highlighted partition is not moving.", severity="warning", timeout=4)
            return
        self._cancel([p.key], f"the reassignment of {p.topic}-{p.partition}")

    def _cancel(self, partitions: list[TopicPartition], what: str) -> None:
        from kview.ui.screens.confirm import ConfirmScreen

        if self.read_only:
            self.notify(refuse_message("cancel reassignment"), title="Read-only", severity="error", timeout=6)
            return
        if not partitions:
            self.notify("Nothing is moving: nothing to cancel.", severity="warning", timeout=4)
            return
        body = (
            "Kafka stops copying and returns each partition to the replicas it had before; what the new "
            "replicas copied is deleted. The throttle is removed when no reassignment is left."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._send_cancel(partitions), group="reassign-cancel", exit_on_error=False)

        self.app.push_screen(ConfirmScreen(f"Cancel {what}?", body, confirm_label="Cancel the move"), answered)

    async def _send_cancel(self, partitions: list[TopicPartition]) -> None:
        try:
            result = await self.service.cancel(partitions)
        except KViewError as exc:
            self.notify(str(exc), title="Cancel failed", severity="error", timeout=8)
            return
        except Exception as exc:
            self.notify(describe_exception(exc), title="Cancel failed", severity="error", timeout=8)
            return
        self.cancelled = result
        self.cancelled_keys.update(result.cancelled)
        if self.targets is not None:
            # A cancelled partition never reaches the target: stop following it.
            for key in result.cancelled:
                self.targets.pop(key, None)
        text = f"{len(result.cancelled)} reassignment(s) cancelled"
        if result.throttles_removed:
            text += "; throttle removed"
        if result.errors:
            text += "; not cancelled: " + "; ".join(f"{e.topic}-{e.partition}: {e.error}" for e in result.errors[:3])
        self.notify(text, title="Cancelled", severity="warning" if result.errors else "information", timeout=8)

    def action_remove_throttle(self) -> None:
        """Remove the replication throttle configs from every broker and
        topic, once nothing moves (as ``kafka-reassign-partitions --verify``
        does at the end of a move)."""
        from kview.ui.screens.confirm import ConfirmScreen

        if self.read_only:
            self.notify(refuse_message("remove replication throttle"), title="Read-only", severity="error", timeout=6)
            return
        if self.rows and any(not p.done for p in self.rows):
            self.notify("Partitions are still moving: the throttle stays until they are done.", timeout=5)
            return
        if self.leftover_throttle is None:
            self.notify("No replication throttle is set.", timeout=4)
            return
        body = (
            "The throttled rates are removed from every broker and the throttled replicas from every "
            "topic: replication runs at full speed again. Nothing is moving now."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._send_remove_throttle(), group="reassign-throttle", exit_on_error=False)

        self.app.push_screen(ConfirmScreen("Remove the replication throttle?", body, confirm_label="Remove"), answered)

    async def _send_remove_throttle(self) -> None:
        try:
            left = await self.service.remove_throttles()
        except Exception as exc:
            text = str(exc) if isinstance(exc, KViewError) else describe_exception(exc)
            self.notify(text, title="Throttle not removed", severity="error", timeout=8)
            return
        if left:
            self.notify("; ".join(left), title="Throttle not removed everywhere", severity="warning", timeout=8)
        else:
            self.notify("The replication throttle was removed.", title="Done", timeout=5)

    def action_close(self) -> None:
        self.dismiss(None)
