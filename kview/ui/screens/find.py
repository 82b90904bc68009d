"""The find dialog: search a topic's window for a key and/or a filter
(kview.core.find), opened from the topics pane, the topic detail and the tail.

The form takes what ``kview find`` takes (key, filter, from, to, max matches,
all partitions); ctrl+s starts the search (enter in a field too).  While it
runs, a line shows the offsets read of the window, the rate and the time
left, and matches appear as they are found; esc stops it (the account then
says where each partition stopped) and a second esc closes.  When it ends the
account table says per partition the offsets read from and to and the
records read and matched, and one line says whether the whole window was
read, so that "no match" is an answer.  enter on a match opens it in the
record detail (esc goes back to the list); x exports the matches (or the
selected one) to a JSON Lines file, as the tail's export does.

Bad input (a time, an offset, a filter) is one line in the dialog, never an
exception; a failure of the search is said there too and the dialog stays.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, DataTable, Input, Label, ProgressBar

from kview.core.codecs import preview, sanitize
from kview.core.errors import InputError, KViewError, describe_exception
from kview.core.export import ExportError, export_jsonl
from kview.core.filters import FilterError, parse_filter
from kview.core.find.scan import Finder, FindProgress, FindQuery, FindResult
from kview.core.find.window import Bound, parse_bound
from kview.core.format import human_duration
from kview.ui.screens.tail_start import ExportRequest, ExportScreen, default_export_path
from kview.ui.widgets.record_detail import RecordDetail, format_timestamp

if TYPE_CHECKING:
    from kview.core.cluster import ClusterClient
    from kview.core.schemas.client import RegistryClient

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1000
SHOWN_MATCHES = 10_000
"""Matches the dialog keeps and lists at most (a table row each); the rest
of an unlimited search are counted, and ``kview find --json`` gives them all."""
"""Max matches preset in the form: the matches are held in memory."""
PROGRESS_INTERVAL = 0.1


def build_query(
    topic: str, key: str, filter_text: str, start: str, end: str, limit: str, all_partitions: bool
) -> FindQuery:
    """The FindQuery of the form's fields; InputError or FilterError (one line) if not."""
    start_bound = parse_bound(start, Bound.earliest(), "from")
    end_bound = parse_bound(end, Bound.latest(), "to")
    if start_bound.kind == end_bound.kind and start_bound.kind in ("offset", "time"):
        if (end_bound.value or 0) < (start_bound.value or 0):
            raise InputError(f"to ({end_bound.describe()}) is before from ({start_bound.describe()})")
    limit_text = limit.strip().replace(",", "").replace("_", "")
    if limit_text and not (limit_text.isascii() and limit_text.isdigit()):
        raise InputError(f"max matches: {limit!r} is not a whole number (empty: no limit)")
    if all_partitions and not key:
        raise InputError("all partitions goes with a key (without a key every partition is read)")
    return FindQuery(
        topic=topic,
        key=key.encode("utf-8", "surrogateescape") if key else None,
        all_partitions=all_partitions,
        start=start_bound,
        end=end_bound,
        filter=parse_filter(filter_text) if filter_text.strip() else None,
        limit=int(limit_text) if limit_text else None,
    )


def progress_text(progress: FindProgress) -> str:
    eta = progress.eta
    left = "" if eta is None else f" · {human_duration(eta)} left"
    return (
        f"{progress.scanned:,} of {progress.total:,} offsets · {progress.rate:,.0f}/s{left} · "
        f"{progress.matched:,} matched"
    )


def result_text(result: FindResult) -> str:
    """The one line under the account: found what, and was the window read whole."""
    found = result.matched
    what = f"{found:,} match{'es' if found != 1 else ''}"
    if not result.kept_all:
        what += f" (first {len(result.matches):,} listed)"
    if result.query.key is not None:
        what += f" · key in partition {result.key_partition}"
    records = f"{result.records:,} records in {sum(p.position - p.start for p in result.partitions):,} offsets"
    if result.complete:
        return f"{what} · whole window read: {records}, {result.elapsed:.1f} s"
    if result.limit_reached:
        return f"{what} · stopped at the limit ({records} read)"
    if result.cancelled:
        return f"{what} · stopped by you ({records} read; the window was NOT read whole)"
    return f"{what} · the window was NOT read whole ({records} read): see the errors above"


class FindScreen(ModalScreen[None]):
    """Search one topic; ``filter_text`` presets the filter (the tail's)."""

    BINDINGS = [
        Binding("escape", "close", "Stop / close", id="find.close"),
        Binding("ctrl+s", "start", "Search", id="find.start"),
        Binding("x", "export", "Export matches", id="find.export"),
        Binding("C", "copy", "Copy / redrive what this search matches", id="find.copy"),
    ]
    DEFAULT_CSS = """
    FindScreen { align: center middle; }
    FindScreen > Vertical { width: 100%; height: 100%; border: thick $primary; background: $surface;
                            padding: 0 1; }
    FindScreen .title { text-style: bold; }
    FindScreen .hint { color: $text-muted; }
    FindScreen Grid { grid-size: 4; grid-columns: 8 1fr 8 1fr; grid-rows: 1; grid-gutter: 0 1; height: 3; }
    FindScreen #find-status { height: auto; max-height: 2; }
    FindScreen #find-status.-error { color: $text-error; }
    FindScreen ProgressBar { height: 1; }
    FindScreen #find-matches { height: 1fr; }
    FindScreen #find-account { height: 1; }
    FindScreen RecordDetail { display: none; height: 1fr; }
    """

    def __init__(
        self,
        client: ClusterClient,
        topic: str,
        *,
        filter_text: str = "",
        registry: RegistryClient | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.topic = topic
        self.filter_text = filter_text
        self.registry = registry
        self.finder: Finder | None = None
        self.result: FindResult | None = None
        self.matches: list[Any] = []
        self._shown_progress = 0.0
        self._decoded = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Find in {self.topic}", classes="title", markup=False)
            with Grid():
                yield Label("Key")
                yield Input(placeholder="exact key (its partition only)", id="find-key", compact=True)
                yield Label("Filter")
                yield Input(self.filter_text, placeholder="the tail's filter", id="find-filter", compact=True)
                yield Label("From")
                yield Input(placeholder="earliest, offset or time", id="find-from", compact=True)
                yield Label("To")
                yield Input(placeholder="latest", id="find-to", compact=True)
                yield Label("Max")
                yield Input(str(DEFAULT_LIMIT), placeholder="no limit", id="find-limit", compact=True)
                yield Label("")
                yield Checkbox("key in all partitions", id="find-all", compact=True)
            yield Label("ctrl+s search · enter open a match · x export · C copy · esc stop, close", classes="hint")
            yield Label("", id="find-status", markup=False)
            yield ProgressBar(total=1, show_eta=False, id="find-progress")
            table: DataTable[str] = DataTable(id="find-matches", cursor_type="row", zebra_stripes=False)
            yield table
            yield DataTable(id="find-account", cursor_type="none", show_cursor=False)
            yield RecordDetail(id="find-detail")

    def on_mount(self) -> None:
        matches = self.query_one("#find-matches", DataTable)
        matches.add_columns("P", "Offset", "Time", "Key", "Value")
        account = self.query_one("#find-account", DataTable)
        account.add_columns("Partition", "From", "To", "Read to", "Records", "Matched", "State")
        self.query_one("#find-key" if not self.filter_text else "#find-filter", Input).focus()

    # -- starting and stopping -----------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        if self.finder is not None:
            return  # one search at a time: esc stops it
        value = lambda name: self.query_one(f"#find-{name}", Input).value  # noqa: E731
        try:
            query = build_query(
                self.topic,
                value("key"),
                value("filter"),
                value("from"),
                value("to"),
                value("limit"),
                self.query_one("#find-all", Checkbox).value,
            )
        except (InputError, FilterError) as exc:
            self._status(str(exc), error=True)
            return
        self.matches = []
        self.result = None
        self.query_one("#find-matches", DataTable).clear()
        self.query_one("#find-account", DataTable).clear()
        self._close_detail()
        decoder = None
        if self.registry is not None:
            from kview.core.schemas.decoder import RecordDecoder

            # Waits as long as the registry may take: a find tests decoded records.
            decoder = RecordDecoder(self.registry, wait=max(2.0, self.registry.settings.timeout))
        self._decoded = decoder is not None
        self.finder = Finder(
            self.client, query, decoder=decoder, on_progress=self._progress, on_match=self._found, keep=SHOWN_MATCHES
        )
        self._status("resolving the window ...")
        self.run_worker(self._run(self.finder), group="find", exclusive=True, exit_on_error=False)

    async def _run(self, finder: Finder) -> None:
        try:
            result = await finder.run()
        except asyncio.CancelledError:
            raise
        except KViewError as exc:
            self._status(str(exc), error=True)
            return
        except Exception as exc:  # never out of the dialog: say it, keep the dialog
            log.exception("find failed")
            self._status(describe_exception(exc), error=True)
            return
        finally:
            if self.finder is finder:
                self.finder = None
        self.result = result
        self._show_account(result)
        self._status(result_text(result), error=not result.complete and not result.limit_reached)
        bar = self.query_one("#find-progress", ProgressBar)
        progress = finder.progress()
        bar.update(total=max(progress.total, 1), progress=progress.scanned if progress.total else 1)
        if self.matches:
            self.query_one("#find-matches", DataTable).focus()

    def _progress(self, progress: FindProgress) -> None:
        now = time.monotonic()
        if now - self._shown_progress < PROGRESS_INTERVAL and progress.scanned < progress.total:
            return
        self._shown_progress = now
        self.query_one("#find-progress", ProgressBar).update(total=max(progress.total, 1), progress=progress.scanned)
        self._status(progress_text(progress))

    def _found(self, records: list[Any]) -> None:
        table = self.query_one("#find-matches", DataTable)
        for record in records:
            self.matches.append(record)
            table.add_row(
                str(record.partition),
                str(record.offset),
                format_timestamp(record.timestamp)[:23],
                sanitize(preview(record.key, "auto", 20)),
                sanitize(preview(record.value, "auto", 200)),
            )

    def _show_account(self, result: FindResult) -> None:
        table = self.query_one("#find-account", DataTable)
        table.clear()
        for p in result.partitions:
            if p.error:
                state = f"error: {p.error}"
            elif p.complete:
                state = "read whole" + (f", {p.skipped:,} deleted first" if p.skipped else "")
            else:
                state = "stopped"
            table.add_row(
                str(p.partition),
                f"{p.start:,}",
                f"{p.end:,}",
                f"{p.position:,}",
                f"{p.records:,}",
                f"{p.matched:,}",
                state,
            )
        for partition in result.window.missing:
            table.add_row(str(partition), "-", "-", "-", "-", "-", "no leader: not read")
        # As tall as its rows, up to 5 (then it scrolls): the matches keep the rest.
        table.styles.height = min(table.row_count, 5) + 1

    def _status(self, text: str, *, error: bool = False) -> None:
        label = self.query_one("#find-status", Label)
        label.update(text)
        label.set_class(error, "-error")

    def action_close(self) -> None:
        if self.query_one(RecordDetail).display:
            self._close_detail()
            return
        if self.finder is not None:
            self.finder.cancel()  # the worker ends with the account of what was read
            return
        self.dismiss(None)

    # -- a match in full, export -------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "find-matches":
            return
        event.stop()
        index = event.cursor_row
        if 0 <= index < len(self.matches):
            detail = self.query_one(RecordDetail)
            self.query_one("#find-matches", DataTable).display = False
            self.query_one("#find-account", DataTable).display = False
            detail.display = True
            detail.show_record(self.matches[index])
            detail.body.focus()

    def on_record_detail_closed(self, message: RecordDetail.Closed) -> None:
        message.stop()
        self._close_detail()

    def _close_detail(self) -> None:
        detail = self.query_one(RecordDetail)
        if not detail.display:
            return
        detail.display = False
        matches = self.query_one("#find-matches", DataTable)
        matches.display = True
        self.query_one("#find-account", DataTable).display = True
        matches.focus()

    def action_export(self) -> None:
        if not self.matches:
            self._status("nothing to export: no matches yet", error=True)
            return
        table = self.query_one("#find-matches", DataTable)
        self.app.push_screen(
            ExportScreen(
                default_export_path(f"{self.topic}-find"),
                len(self.matches),
                0 <= table.cursor_row < len(self.matches),
                decoded=self._decoded,
            ),
            self._export,
        )

    def action_copy(self) -> None:
        """The copy dialog on this topic with this search's window and filter
        (a key becomes the exact filter ``key:/^K\\Z/``, over every
        partition); the dialog counts what it would copy (a dry run) before
        anything is sent."""
        from kview.core.readonly import refuse_message
        from kview.ui.screens.copy_records import copy_dialog, copy_done

        if self.app.profile.read_only:  # type: ignore[attr-defined]
            self._status(refuse_message("copy records"), error=True)
            return
        text = self.query_one("#find-filter", Input).value.strip()
        key = self.query_one("#find-key", Input).value
        if key:
            exact = "key:/^" + re.escape(key).replace("/", "\\/") + "\\Z/"
            text = f"{exact} and ({text})" if text else exact
        done = copy_done(self.topic)

        def said(result: Any) -> None:
            if result is not None:
                subject, message, title = done(result)
                self.notify(f"{subject}: {message}", title=title, timeout=8)

        dialog = copy_dialog(
            self.app,
            self.topic,
            start=self.query_one("#find-from", Input).value.strip(),
            end=self.query_one("#find-to", Input).value.strip(),
            filter_text=text,
        )
        self.app.push_screen(dialog, said)

    def _export(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        table = self.query_one("#find-matches", DataTable)
        records = list(self.matches)
        if request.selected_only and 0 <= table.cursor_row < len(records):
            records = [records[table.cursor_row]]

        async def write() -> None:
            try:
                count = await asyncio.to_thread(export_jsonl, records, request.path, raw=request.raw)
            except ExportError as exc:
                self.notify(str(exc), title="Export failed", severity="error", timeout=8)
                return
            self.notify(f"{count:,} record(s) written to {request.path}", title="Exported", timeout=6)

        self.run_worker(write(), group="find-export", exit_on_error=False)
