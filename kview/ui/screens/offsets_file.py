"""Offsets files from the group detail: export the group's committed
offsets to a file (kview's JSON with the time, or the CSV of
``kafka-consumer-groups --export``), and import a file back: the preview
shows what moves and the lag after, exactly as the reset form does; Apply
commits it, which Kafka (and the backend) accept only while the group has no
members."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Static

from kview.core.errors import KViewError
from kview.core.format import human_count
from kview.core.groups.models import TopicPartition
from kview.core.groups.offsets_file import ImportPlan, OffsetsExport, parse_offsets_file
from kview.ui.screens.operation_form import OperationForm
from kview.ui.screens.reset_offsets import SHOWN_ROWS, lag_totals, preview_rows, preview_table
from kview.ui.widgets.measured_table import MeasuredTable

ExportCall = Callable[[Sequence[str] | None], Awaitable[OffsetsExport]]
PlanCall = Callable[[dict[TopicPartition, int]], Awaitable[ImportPlan]]


def default_path(group: str, now: float | None = None) -> str:
    """``~/kview-offsets-<group>-<UTC time>.json``; characters a file name
    should not hold become ``_``."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in group)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return str(Path.home() / f"kview-offsets-{safe}-{stamp}.json")


def parse_topics(text: str) -> tuple[str, ...] | None:
    """``orders, payments`` -> the topics; empty -> None (every topic)."""
    topics = tuple(t.strip() for t in text.split(",") if t.strip())
    return topics or None


class ExportOffsetsScreen(OperationForm[tuple[str, int]]):
    """Write the group's committed offsets to a file; the result is (path, partitions)."""

    DEFAULT_CSS = """
    ExportOffsetsScreen .row Label { width: 10; }
    """

    def __init__(self, group: str, *, export: ExportCall, cluster: str, path: str | None = None) -> None:
        super().__init__()
        self.group = group
        self.export_call = export
        self.cluster = cluster
        self.initial_path = path or default_path(group)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Export the committed offsets of group '{self.group}'", classes="title")
            with Horizontal(classes="row"):
                yield Label("File")
                yield Input(self.initial_path, id="export-path", compact=True)
            yield Static("", id="problem-path", classes="problem")
            with Horizontal(classes="row"):
                yield Label("Topics")
                yield Input("", placeholder="all (or: orders, payments)", id="export-topics", compact=True)
            yield Static(
                "A .csv file is written as kafka-consumer-groups --reset-offsets --export writes it "
                "(its --from-file reads it back); anything else as kview's JSON with the time and log offsets.",
                classes="muted",
            )
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Export", id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def submit(self) -> None:
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        if not path.name:
            self.show_problems({"path": "type a file name"})
            return
        if path.exists():
            self.show_problems({"path": "the file exists: choose another name (nothing is overwritten)"})
            return
        self.show_problems({})
        topics = parse_topics(self.query_one("#export-topics", Input).value)
        file_format = "csv" if path.suffix.lower() == ".csv" else "json"

        async def export() -> tuple[str, int]:
            exported = await self.export_call(topics)
            try:
                with path.open("x", encoding="utf-8") as out:
                    out.write(exported.text(file_format, cluster=self.cluster))
            except OSError as exc:
                raise KViewError(f"cannot write {path}: {exc.strerror or exc}") from None
            return str(path), len(exported.offsets)

        self.run_operation(export, self.dismiss)


class ImportOffsetsScreen(OperationForm[ImportPlan]):
    """Read an offsets file, preview the reset it means, apply it; the
    result is the applied plan, or None."""

    DEFAULT_CSS = """
    ImportOffsetsScreen #dialog { width: 86; }
    ImportOffsetsScreen .row Label { width: 10; }
    ImportOffsetsScreen #import-preview { margin-top: 1; }
    ImportOffsetsScreen #import-members { margin-bottom: 1; }
    """

    def __init__(self, group: str, *, members: int, preview: PlanCall, apply: PlanCall, path: str = "") -> None:
        super().__init__()
        self.group = group
        self.members = members
        self.preview_call = preview
        self.apply_call = apply
        self.initial_path = path
        self.previewed: dict[TopicPartition, int] | None = None
        self.plan: ImportPlan | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Import offsets into group '{self.group}'", classes="title")
            if self.members:
                yield Static(
                    f"⚠ The group has {self.members} active member(s). Kafka accepts new offsets only while "
                    "a group has no members: stop its consumers first. You can still preview.",
                    id="import-members",
                    classes="warning",
                )
            with Horizontal(classes="row"):
                yield Label("File")
                yield Input(
                    self.initial_path, placeholder="kview JSON or the tool's CSV", id="import-path", compact=True
                )
            yield Static("", id="problem-path", classes="problem")
            yield preview_table("import-preview")
            yield Static("", id="import-summary")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Preview", id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("", id="form-hint", classes="muted")

    def on_mount(self) -> None:
        self._set_stage(previewed=False)
        self.query_one("#import-path", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.previewed is not None:
            self._set_stage(previewed=False)  # another file: preview it first

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def _set_stage(self, *, previewed: bool) -> None:
        if not previewed:
            self.previewed = None
            self.plan = None
            self.query_one("#import-preview", DataTable).clear()
            self.query_one("#import-summary", Static).update("")
        self.query_one("#import-preview").display = previewed
        self.query_one("#import-summary").display = previewed
        if previewed:
            self.show_step("Apply", "ctrl+s commits these offsets · esc cancels", final=True)
        else:
            self.show_step("Preview", "ctrl+s previews; nothing changes before Apply", final=False)

    def submit(self) -> None:
        if self.previewed is not None:
            offsets = self.previewed
            self.run_operation(lambda: self.apply_call(offsets), self.dismiss)
            return
        path = Path(self.query_one("#import-path", Input).value.strip()).expanduser()
        try:
            offsets = parse_offsets_file(path.read_text(encoding="utf-8"), self.group).offsets
        except (OSError, UnicodeDecodeError) as exc:
            self.show_problems({"path": f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"})
            return
        except KViewError as exc:
            self.show_problems({"path": str(exc)})
            return
        self.show_problems({})
        self.run_operation(lambda: self.preview_call(offsets), lambda plan: self._show_preview(offsets, plan))

    def _show_preview(self, offsets: dict[TopicPartition, int], plan: ImportPlan) -> None:
        rows = plan.rows
        self.query_one("#import-preview", MeasuredTable).fill(preview_rows(rows))
        now, after = lag_totals(rows)
        more = f" (first {SHOWN_ROWS} shown)" if len(rows) > SHOWN_ROWS else ""
        missing = (
            f" · {len(plan.missing)} not in the cluster, skipped: "
            + ", ".join(f"{t}:{p}" for t, p in plan.missing[:5])
            + ("…" if len(plan.missing) > 5 else "")
            if plan.missing
            else ""
        )
        self.query_one("#import-summary", Static).update(
            f"{len(rows)} partition(s){more}, {plan.moves} would change · lag now {human_count(now)} "
            f"→ after {human_count(after)}{missing}"
        )
        self.previewed = offsets
        self.plan = plan
        self._set_stage(previewed=True)
        self.query_one("#form-submit", Button).focus()
