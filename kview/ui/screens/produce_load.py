"""The templated-load modal: the pane's message as a template, sent N times or
for a duration, at a target rate or full speed, with live progress.  With a
schema in the settings every rendered message is encoded with it (the modal
says which); one that does not fit stops the load and is counted as failed."""

from __future__ import annotations

import dataclasses
from typing import Literal, overload

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from kview.core.produce import LoadSpec, ProducerSettings, ProduceService, ValueFormat
from kview.ui.screens.produce_job import JobScreen
from kview.ui.screens.producer_settings import schemas_line

PLACEHOLDERS = "{{i}}  {{uuid}}  {{now}}  {{now_ms}}  {{rand_int a b}}  {{choice a|b|c}}"


def _shorten(text: str | None, width: int = 30) -> str:
    if text is None:
        return "null"
    line = text.replace("\n", " ")
    return line if len(line) <= width else line[: width - 1] + "…"


def template_summary(spec: LoadSpec) -> str:
    """The template the load will send, in one line."""
    parts = [f"key {_shorten(spec.key)}", f"value {_shorten(spec.value)}"]
    if spec.headers:
        parts.append(f"{len(spec.headers)} header(s)")
    parts.append("partition auto" if spec.partition is None else f"partition {spec.partition}")
    if spec.value_format is ValueFormat.JSON:
        parts.append("JSON")
    return " · ".join(parts)


@overload
def parse_number(text: str, what: str, *, whole: Literal[True]) -> int | None: ...
@overload
def parse_number(text: str, what: str, *, whole: Literal[False]) -> float | None: ...
def parse_number(text: str, what: str, *, whole: bool) -> int | float | None:
    """An optional number typed in a field; ValueError names the field."""
    text = text.strip().replace(",", "").replace("_", "")
    if not text:
        return None
    try:
        return int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{what} must be {kind}, not {text!r}") from None


class LoadScreen(JobScreen):
    """Send the template ``base`` (a LoadSpec without limits) repeatedly."""

    start_label = "Start load"
    DEFAULT_CSS = """
    LoadScreen #load-count { width: 12; }
    LoadScreen #load-duration { width: 10; }
    LoadScreen #load-rate { width: 1fr; }
    """

    def __init__(
        self, service: ProduceService, base: LoadSpec, settings: ProducerSettings, *, count: str = "1000"
    ) -> None:
        super().__init__()
        self.service = service
        self.base = base
        self.settings = settings
        self.initial_count = count

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Templated load into '{self.base.topic}'", classes="title")
            yield Static(template_summary(self.base), id="load-template", classes="muted")
            if self.settings.uses_schemas:
                yield Static(
                    f"written with: {schemas_line(self.settings, self.base.topic)}", id="load-schemas", classes="muted"
                )
            yield Static(f"placeholders: {PLACEHOLDERS}", classes="muted")
            with Horizontal(classes="row"):
                yield Label("Messages")
                yield Input(
                    self.initial_count, id="load-count", placeholder="count", restrict=r"[0-9,_]*", compact=True
                )
                yield Label("or seconds")
                yield Input(id="load-duration", placeholder="-", restrict=r"[0-9.]*", compact=True)
                yield Label("Rate/s")
                yield Input(id="load-rate", placeholder="full speed", restrict=r"[0-9.]*", compact=True)
            yield from self.job_controls()

    def on_mount(self) -> None:
        self.query_one("#load-count", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.begin()

    def spec(self) -> LoadSpec:
        """The load the fields describe (ValueError names a field typed wrong)."""
        count = parse_number(self.query_one("#load-count", Input).value, "the message count", whole=True)
        duration = parse_number(self.query_one("#load-duration", Input).value, "the duration", whole=False)
        rate = parse_number(self.query_one("#load-rate", Input).value, "the rate", whole=False)
        return dataclasses.replace(self.base, count=count, duration=duration, rate=rate)

    def begin(self) -> None:
        try:
            spec = self.spec()
        except ValueError as exc:
            self.set_problem(f"nothing sent: {exc}")
            return
        problems = spec.problems()
        if problems:
            self.set_problem("nothing sent: " + "; ".join(problems))
            return
        self.start(lambda: self.service.start_load(spec, self.settings))
