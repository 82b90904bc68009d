"""The copy / redrive dialog, opened from the tail and the topic detail.

Copy: the records of this topic in a window (offsets or times), matching a
tail filter, to another topic on this cluster or another profile's.
Redrive: each record to the topic its header names.  Nothing is sent before
the dry run: Count scans the window and says how many records would go
where; the button then reads "Copy N records" and pressing it is the
confirmation.  While copying, a progress line (scanned of the window,
matched, sent, failed, rate) and esc stops reading; the summary at the end
says per partition which offsets were sent and which were not, and why."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from kview.core.errors import InputError, KViewError
from kview.core.filters import FilterError, parse_filter
from kview.core.find.window import Bound, parse_bound
from kview.core.replay import (
    FAILED,
    NO_TARGET,
    REDRIVE_HEADER,
    SENT,
    UNCONFIRMED,
    CopyProgress,
    CopyResult,
    CopySpec,
    RecordCopier,
)
from kview.ui.screens.operation_form import OperationForm

MODES: tuple[tuple[str, str], ...] = (
    ("copy to a topic", "copy"),
    ("redrive: back to the topic a header names", "redrive"),
)
PARTITIONINGS: tuple[tuple[str, str], ...] = (
    ("the source's partition number", "keep"),
    ("by key (default partitioner)", "key"),
    ("one partition", "chosen"),
)
SUMMARY_LINES = 6
"""Lines of not-sent offsets shown under the totals (the rest are counted)."""

CopierFactory = Callable[[str | None], RecordCopier]
"""Builds a copier reading this cluster and writing to the named profile's
(None: this cluster)."""


def build_copy_spec(
    source: str,
    mode: str,
    target: str,
    header: str,
    start: str,
    end: str,
    filter_text: str,
    partitioning: str,
    partition: str,
    keep: tuple[bool, bool, bool],
    rate: str,
) -> tuple[CopySpec | None, dict[str, str]]:
    """The form's fields -> (CopySpec, {}) or (None, problems by field)."""
    problems: dict[str, str] = {}
    redrive = mode == "redrive"
    if not redrive and not target.strip():
        problems["target"] = "type the topic to copy to"
    if redrive and not header.strip():
        problems["target"] = "type the header that names the original topic"
    edges: list[Bound] = []
    for field, text, default, label in (("start", start, Bound.earliest(), "from"), ("end", end, Bound.latest(), "to")):
        try:
            edges.append(parse_bound(text, default, label))
        except InputError as exc:
            problems[field] = str(exc)
    if filter_text.strip():
        try:
            parse_filter(filter_text)
        except FilterError as exc:
            problems["filter"] = str(exc)
    chosen = None
    if partitioning == "chosen":
        if not (partition.strip().isascii() and partition.strip().isdigit()):
            problems["partitioning"] = "type the partition number"
        else:
            chosen = int(partition.strip())
    limit = None
    if rate.strip():
        try:
            limit = float(rate)
            if not limit > 0 or limit == float("inf"):
                raise ValueError
        except ValueError:
            problems["rate"] = "records per second: a number more than 0 (empty: no limit)"
    if problems:
        return None, problems
    try:
        spec = CopySpec(
            source,
            None if redrive else target.strip(),
            start=edges[0],
            end=edges[1],
            filter=filter_text.strip(),
            keep_keys=keep[0],
            keep_headers=keep[1],
            keep_timestamps=keep[2],
            partitioning=partitioning,
            target_partition=chosen,
            rate=limit,
            redrive_header=header.strip() if redrive else None,
        )
    except KViewError as exc:
        return None, {"": str(exc)}
    return spec, {}


def progress_text(p: CopyProgress, *, dry_run: bool) -> str:
    share = f" ({100 * p.scanned / p.total:.0f}%)" if p.total else ""
    sent = "" if dry_run else f" · sent {p.sent:,} · failed {p.failed:,}"
    return f"scanned {p.scanned:,} of ≤{p.total:,}{share} · matched {p.matched:,}{sent} · {p.rate:,.0f}/s"


def count_text(result: CopyResult) -> str:
    spec = result.spec
    where = ", ".join(f"{t} {n:,}" for t, n in result.targets.items()) or "nothing"
    lines = [f"{result.matched:,} of {result.scanned:,} record(s) in the window match → {where}"]
    if result.count(NO_TARGET):
        lines.append(f"{result.count(NO_TARGET):,} without header '{spec.redrive_header}' would stay")
    if result.missing_targets:
        lines.append("✗ no such target topic: " + ", ".join(result.missing_targets))
    if result.stopped:
        lines.append(f"✗ {result.stopped}")
    return "\n".join(lines)


def summary_text(result: CopyResult) -> str:
    sent, failed, unconfirmed = result.count(SENT), result.count(FAILED), result.count(UNCONFIRMED)
    lines = [
        f"{'✓' if result.ok else '✗'} sent {sent:,} of {result.matched:,} matched · failed {failed:,}"
        + (f" · unconfirmed {unconfirmed:,}" if unconfirmed else "")
        + f" · {result.elapsed:.1f} s"
    ]
    details = []
    for p in result.partitions:
        for r in p.runs:
            if r.fate in (FAILED, UNCONFIRMED):
                details.append(f"p{p.partition} {r.text()}")
        if not p.complete:
            details.append(f"p{p.partition} {p.read_to}-{p.window.end - 1} not read, not sent")
    lines += details[:SUMMARY_LINES]
    if len(details) > SUMMARY_LINES:
        lines.append(f"… {len(details) - SUMMARY_LINES} more (kview copy --json lists all)")
    if result.stopped:
        lines.append(f"stopped: {result.stopped}")
    return "\n".join(lines)


class CopyRecordsScreen(OperationForm[CopyResult]):
    """Copy or redrive records of ``source``; the result is the finished
    copy's CopyResult (None when nothing was sent)."""

    DEFAULT_CSS = """
    CopyRecordsScreen .row { margin-top: 0; }
    CopyRecordsScreen .row Label { width: 13; }
    CopyRecordsScreen .row Select { width: 1fr; }
    CopyRecordsScreen #copy-partition { width: 8; }
    CopyRecordsScreen #keep-row Checkbox { width: auto; margin-right: 2; }
    CopyRecordsScreen #copy-status { height: auto; margin-top: 1; }
    """

    def __init__(
        self,
        source: str,
        *,
        make_copier: CopierFactory,
        profiles: Sequence[str] = (),
        current: str = "",
        mode: str = "copy",
        start: str = "",
        end: str = "",
        filter_text: str = "",
    ) -> None:
        """``start``, ``end``, ``filter_text``: the window and filter the
        form opens with (a search's, when its matches are to be copied)."""
        super().__init__()
        self.source = source
        self.presets = {"copy-start": start, "copy-end": end, "copy-filter": filter_text}
        self.make_copier = make_copier
        self.profiles = list(profiles)
        self.current = current
        self.initial_mode = mode
        self.counted: CopySpec | None = None
        self.count_result: CopyResult | None = None
        self.result: CopyResult | None = None
        self.copier: RecordCopier | None = None
        self.running = False
        self._ready = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Copy records of '{self.source}'", classes="title")
            with Horizontal(classes="row"):
                yield Label("Mode")
                yield Select(MODES, value=self.initial_mode, allow_blank=False, id="copy-mode", compact=True)
            with Horizontal(classes="row"):
                yield Label("To topic", id="target-label")
                yield Input("", placeholder="target topic", id="copy-target", compact=True)
            yield Static("", id="problem-target", classes="problem")
            with Horizontal(classes="row", id="cluster-row"):
                yield Label("On cluster")
                options = [(f"{name} (this one)" if name == self.current else name, name) for name in self.profiles]
                yield Select(
                    options or [(self.current, self.current)],
                    value=self.current or Select.NULL,
                    allow_blank=False,
                    id="copy-cluster",
                    compact=True,
                )
            with Horizontal(classes="row"):
                yield Label("From")
                yield Input(
                    self.presets["copy-start"],
                    placeholder="earliest · offset · 2024-05-01 12:00 · -2h",
                    id="copy-start",
                    compact=True,
                )
            yield Static("", id="problem-start", classes="problem")
            with Horizontal(classes="row"):
                yield Label("To (excl.)")
                yield Input(
                    self.presets["copy-end"],
                    placeholder="latest (the end now) · offset · time",
                    id="copy-end",
                    compact=True,
                )
            yield Static("", id="problem-end", classes="problem")
            with Horizontal(classes="row"):
                yield Label("Filter")
                yield Input(
                    self.presets["copy-filter"],
                    placeholder="a tail filter (empty: every record)",
                    id="copy-filter",
                    compact=True,
                )
            yield Static("", id="problem-filter", classes="problem")
            with Horizontal(classes="row"):
                yield Label("Partition")
                yield Select(PARTITIONINGS, value="keep", allow_blank=False, id="copy-partitioning", compact=True)
                yield Input("", placeholder="P", id="copy-partition", compact=True)
            yield Static("", id="problem-partitioning", classes="problem")
            with Horizontal(classes="row", id="keep-row"):
                yield Label("Keep")
                yield Checkbox("keys", True, id="keep-keys", compact=True)
                yield Checkbox("headers", True, id="keep-headers", compact=True)
                yield Checkbox("timestamps", True, id="keep-timestamps", compact=True)
            with Horizontal(classes="row"):
                yield Label("Rate/s")
                yield Input("", placeholder="no limit", id="copy-rate", compact=True)
            yield Static("", id="problem-rate", classes="problem")
            yield Static("", id="copy-status")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Count", id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("", id="form-hint", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#cluster-row").display = len(self.profiles) > 1
        self._show_fields()
        self._set_stage("form")
        self.query_one("#copy-target", Input).focus()
        self.call_after_refresh(setattr, self, "_ready", True)

    # -- fields ----------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return str(self.query_one("#copy-mode", Select).value)

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def _show_fields(self) -> None:
        redrive = self.mode == "redrive"
        self.query_one("#target-label", Label).update("Header" if redrive else "To topic")
        target = self.query_one("#copy-target", Input)
        target.placeholder = f"header naming the topic ({REDRIVE_HEADER})" if redrive else "target topic"
        self.query_one("#copy-partition").display = str(self.query_one("#copy-partitioning", Select).value) == "chosen"
        self.query_one(".title", Label).update(
            f"Redrive records of '{self.source}'" if redrive else f"Copy records of '{self.source}'"
        )

    def _spec(self) -> tuple[CopySpec | None, dict[str, str]]:
        return build_copy_spec(
            self.source,
            self.mode,
            self._value("#copy-target") if self.mode == "copy" else "",
            (self._value("#copy-target") or REDRIVE_HEADER) if self.mode == "redrive" else "",
            self._value("#copy-start"),
            self._value("#copy-end"),
            self._value("#copy-filter"),
            str(self.query_one("#copy-partitioning", Select).value),
            self._value("#copy-partition"),
            tuple(self.query_one(f"#keep-{k}", Checkbox).value for k in ("keys", "headers", "timestamps")),  # type: ignore[arg-type]
            self._value("#copy-rate"),
        )

    def _changed(self, field: str) -> None:
        if not self._ready or self.running:
            return
        self.touched.add(field)
        self._show_fields()
        _spec, problems = self._spec()
        self.show_problems(problems, only_touched=True)
        if self.result is None:
            self._set_stage("form")  # the count no longer matches what the form says

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "copy-mode":
            if self._ready and self.mode == "redrive":
                self.query_one("#copy-partitioning", Select).value = "key"
            self.touched.discard("target")
        self._changed({"copy-partitioning": "partitioning"}.get(event.select.id or "", "target"))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed((event.input.id or "").removeprefix("copy-").replace("partition", "partitioning"))

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed("keep")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    # -- stages ----------------------------------------------------------------------

    def _set_stage(self, stage: str) -> None:
        submit = self.query_one("#form-submit", Button)
        cancel = self.query_one("#form-cancel", Button)
        hint = self.query_one("#form-hint", Static)
        if stage == "form":
            self.counted = self.count_result = None
            self.query_one("#copy-status", Static).update("")
            submit.display = True
            cancel.label = "Cancel"
            self.show_step(
                "Count", "ctrl+s counts what would be copied (a dry run: nothing is sent) · esc cancels", final=False
            )
        elif stage == "counted":
            submit.display = True
            cancel.label = "Cancel"
            matched = self.count_result.matched - self.count_result.count(NO_TARGET) if self.count_result else 0
            self.show_step(
                f"Copy {matched:,} records",
                "ctrl+s sends them (acks=all) · editing a field counts again · esc cancels",
                final=True,
            )
            submit.refresh(layout=True)  # the new label is wider: measure the button again
        elif stage == "running":
            submit.display = False
            cancel.label = "Stop"
            hint.update("esc stops reading; what is in flight is awaited and reported")
        else:  # done
            submit.display = False
            cancel.label = "Close"
            hint.update("esc closes")

    def submit(self) -> None:
        if self.running or self.result is not None:
            return
        if self.counted is not None and self.count_result is not None and self.count_result.ok:
            self._run(self.counted, dry_run=False)
            return
        spec, problems = self._spec()
        self.touched.update(("target", "start", "end", "filter", "partitioning", "rate"))
        self.show_problems(problems)
        if spec is not None:
            self._run(spec, dry_run=True)

    def _run(self, spec: CopySpec, *, dry_run: bool) -> None:
        status = self.query_one("#copy-status", Static)
        cluster = self.query_one("#copy-cluster", Select).value
        target = None if cluster in (Select.NULL, None, self.current) else str(cluster)
        try:
            copier = self.make_copier(target)
        except KViewError as exc:
            self.show_error(str(exc))
            return
        self.copier = copier
        self.running = True
        if not dry_run:
            self._set_stage("running")

        def progress(p: CopyProgress) -> None:
            if self.is_attached:
                status.update(progress_text(p, dry_run=dry_run))

        async def operation() -> CopyResult:
            try:
                return await (copier.count if dry_run else copier.copy)(spec, progress)
            except Exception:
                if not dry_run and self.is_attached:
                    self._set_stage("counted")  # refused before sending: the form stays as it was
                raise
            finally:
                self.running = False
                await self._close_target(copier)

        def finished(result: CopyResult) -> None:
            if dry_run:
                self.counted, self.count_result = spec, result
                status.update(count_text(result))
                if result.ok and result.matched - result.count(NO_TARGET) > 0:
                    self._set_stage("counted")
                    self.query_one("#form-submit", Button).focus()
            else:
                self.result = result
                status.update(summary_text(result))
                self._set_stage("done")
                self.query_one("#form-cancel", Button).focus()

        self.run_operation(operation, finished)

    async def _close_target(self, copier: RecordCopier) -> None:
        if copier.target is not copier.source:
            await copier.target.close()

    def action_cancel(self) -> None:
        if self.running and self.copier is not None:
            self.copier.cancel()  # the summary follows when what is in flight is answered
            return
        self.dismiss(self.result)


def copy_dialog(app: object, topic: str, mode: str = "copy", **presets: str) -> CopyRecordsScreen:
    """The dialog for ``topic`` in the running app (``KViewApp``): reading
    with the app's cluster client, writing to it or to another profile's
    cluster (a client made for the copy and closed after it).  ``presets``:
    CopyRecordsScreen's ``start``, ``end``, ``filter_text``."""
    from kview.core.cluster import ClusterClient

    services, config, profile = app.services, app.config, app.profile  # type: ignore[attr-defined]

    def make(target_profile: str | None) -> RecordCopier:
        if target_profile is None:
            return RecordCopier(services.client)
        chosen = config.profile(target_profile)
        if profile.read_only:
            from dataclasses import replace

            chosen = replace(chosen, read_only=True)
        return RecordCopier(services.client, ClusterClient(chosen))

    return CopyRecordsScreen(
        topic, make_copier=make, profiles=sorted(config.clusters), current=profile.name, mode=mode, **presets
    )


def copy_done(topic: str) -> Callable[[CopyResult], tuple[str, str, str]]:
    """What the pane says when the dialog closes after a copy."""

    def done(result: CopyResult) -> tuple[str, str, str]:
        verb = "Redrive" if result.spec.redrive else "Copy"
        state = "done" if result.ok else "NOT complete"
        return topic, f"sent {result.count(SENT):,} of {result.matched:,} matched record(s)", f"{verb} {state}"

    return done
