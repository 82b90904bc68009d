"""The delete-records form: delete every record of the topic (truncate), or
the records before an offset in chosen partitions.  The offsets are checked
against each partition's watermarks, what will be deleted is shown, and only a
second, explicit confirmation sends the request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, RadioButton, RadioSet, Static, TextArea

from kview.core.format import human_count
from kview.core.models import Watermarks
from kview.core.topics import HIGH_WATERMARK, delete_records_problems
from kview.ui.screens.operation_form import OperationForm

DeleteRecords = Callable[[Mapping[int, int] | None], Awaitable[dict[int, int]]]
"""offsets per partition (None: truncate every partition) -> new low watermarks."""

SHOWN_PARTITIONS = 8
"""Partitions listed in the form; more are summed up in one line."""


def parse_offset_lines(text: str, partitions: Iterable[int]) -> tuple[dict[int, int], dict[str, str]]:
    """``partition=offset`` lines -> (offsets, problems by line).

    ``*=offset`` means every partition; ``high`` (or -1) as the offset means
    the partition's high watermark, i.e. everything it holds now."""
    known = sorted(partitions)
    offsets: dict[int, int] = {}
    problems: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        left, sep, right = (part.strip() for part in line.partition("="))
        where = f"line {number}"
        if not sep or not left or not right:
            problems[where] = f"expected partition=offset, got {line!r}"
            continue
        if right.lower() == "high":
            offset = HIGH_WATERMARK
        elif right.lstrip("-").isdigit():
            offset = int(right)
        else:
            problems[where] = f"the offset must be a whole number or 'high', not {right!r}"
            continue
        if left == "*":
            targets = known
        elif left.isdigit():
            targets = [int(left)]
        else:
            problems[where] = f"the partition must be a number or '*', not {left!r}"
            continue
        for partition in targets:
            offsets[partition] = offset
    return offsets, problems


def deleted_count(offset: int, mark: Watermarks) -> int:
    """Records that deleting before ``offset`` removes from a partition."""
    end = mark.high if offset == HIGH_WATERMARK else min(offset, mark.high)
    return max(0, end - mark.low)


class DeleteRecordsScreen(OperationForm[dict[int, int]]):
    """Delete records; the result is the new low watermark per partition, or None."""

    def __init__(self, topic: str, watermarks: Mapping[int, Watermarks], delete: DeleteRecords) -> None:
        super().__init__()
        self.topic = topic
        self.watermarks = dict(sorted(watermarks.items()))
        self.delete = delete
        self.reviewing = False
        self.planned: dict[int, int] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Delete records of '{self.topic}'", classes="title")
            yield Static(self._watermark_lines(), classes="muted", id="watermarks")
            with Vertical(id="edit-stage"):
                with RadioSet(id="mode", compact=True):
                    yield RadioButton(
                        "Everything: truncate every partition to its high watermark", id="mode-all", value=True
                    )
                    yield RadioButton("Before an offset, per partition", id="mode-offsets")
                yield Static(
                    "partition=offset per line ('*=offset' for every partition, 'high' for all records now in it)",
                    classes="muted",
                    id="offsets-help",
                )
                yield TextArea("", id="offsets", soft_wrap=False)
                yield Static("", id="problem-offsets", classes="problem")
            with Vertical(id="review-stage"):
                yield Static("", id="review", classes="warning")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Review", id="form-submit", variant="primary", compact=True)
                yield Button("Back", id="form-back", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("", id="form-hint", classes="muted")

    def _watermark_lines(self) -> str:
        lines = []
        for partition, mark in list(self.watermarks.items())[:SHOWN_PARTITIONS]:
            lines.append(
                f"partition {partition}: low {mark.low} · high {mark.high} "
                f"({human_count(mark.high - mark.low)} records)"
            )
        more = len(self.watermarks) - SHOWN_PARTITIONS
        if more > 0:
            lines.append(f"... and {more} more partition(s)")
        return "\n".join(lines) or "no partition with a known watermark (leaders offline?)"

    def on_mount(self) -> None:
        self._stage(reviewing=False)
        self.query_one("#mode", RadioSet).focus()

    def _per_partition(self) -> bool:
        return self.query_one("#mode-offsets", RadioButton).value

    def _stage(self, *, reviewing: bool) -> None:
        self.reviewing = reviewing
        self.query_one("#edit-stage").display = not reviewing
        self.query_one("#review-stage").display = reviewing
        self.query_one("#form-back").display = reviewing
        per_partition = self._per_partition()
        for widget_id in ("#offsets-help", "#offsets", "#problem-offsets"):
            self.query_one(widget_id).display = per_partition
        if reviewing:
            self.show_step("Delete records", "This cannot be undone · ctrl+s deletes · esc cancels", final=True)
        else:
            self.show_step("Review", "ctrl+s reviews what will be deleted · esc cancels", final=False)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._stage(reviewing=False)
        self.show_problems({})

    def field_of(self, key: str) -> str:
        return "offsets" if key.startswith("line ") or key.startswith("partition ") else key

    def problems(self) -> tuple[dict[int, int] | None, dict[str, str]]:
        """The planned offsets (None: truncate everything) and their problems."""
        if not self._per_partition():
            return None, {} if self.watermarks else {"offsets": "no partition can be truncated now"}
        offsets, problems = parse_offset_lines(self.query_one("#offsets", TextArea).text, self.watermarks)
        if not offsets and not problems:
            problems["offsets"] = "give at least one partition=offset line"
        problems.update(delete_records_problems(offsets, self.watermarks))
        return offsets, problems

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.touched.add("offsets")
        _, problems = self.problems()
        self.show_problems(problems)

    def on_form_button(self, button_id: str) -> None:
        if button_id == "form-back":
            self._stage(reviewing=False)
            self.show_error(None)
        else:
            super().on_form_button(button_id)

    def submit(self) -> None:
        if self.reviewing:
            planned = self.planned
            self.run_operation(lambda: self.delete(planned), self.dismiss)
            return
        offsets, problems = self.problems()
        self.show_problems(problems)
        if problems:
            return
        plan = {p: HIGH_WATERMARK for p in self.watermarks} if offsets is None else offsets
        lines: list[str] = []
        total = 0
        for partition, offset in sorted(plan.items()):
            mark = self.watermarks[partition]
            count = deleted_count(offset, mark)
            total += count
            end = mark.high if offset == HIGH_WATERMARK else offset
            if len(lines) >= SHOWN_PARTITIONS:
                continue
            if count:
                lines.append(
                    f"partition {partition}: delete offsets {mark.low}..{end - 1} "
                    f"({human_count(count)} records); it will start at {end}"
                )
            else:
                lines.append(f"partition {partition}: nothing before offset {mark.low} to delete")
        if len(plan) > SHOWN_PARTITIONS:
            lines.append(f"... and {len(plan) - SHOWN_PARTITIONS} more partition(s)")
        what = "every record" if offsets is None else "records"
        lines.insert(0, f"Delete {what} of '{self.topic}': {human_count(total)} record(s) now.")
        lines.append("This cannot be undone.")
        self.planned = offsets
        self.query_one("#review", Static).update("\n".join(lines))
        self._stage(reviewing=True)
        self.query_one("#form-submit", Button).focus()
