"""The base of the modals that run a produce job (templated load, file import):
start it, draw its progress, cancel it at any time, report why it stopped.

The job belongs to the modal: ``esc`` cancels a running job (the records in
flight still finish and are counted) and closes the modal once it has
stopped; the final LoadProgress is the modal's result, for the pane's result
line."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Static

from kview.core.errors import KViewError, describe_exception
from kview.core.produce import LoadProgress, ProduceJob
from kview.ui.widgets.job_progress import JobProgress

log = logging.getLogger(__name__)

_CSS = """
JobScreen { align: center middle; }
JobScreen #dialog {
    width: 90; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 0 1; overflow-y: auto;
}
JobScreen .title { text-style: bold; width: 1fr; }
JobScreen .muted { color: $text-muted; }
JobScreen .row { height: 1; margin-top: 1; }
JobScreen .row Label { width: auto; padding: 0 1 0 0; }
JobScreen .row Input { width: 1fr; margin-right: 1; }
JobScreen #job-problem { color: $text-error; height: auto; display: none; }
JobScreen #job-problem.-shown { display: block; }
JobScreen JobProgress { margin-top: 1; }
JobScreen #job-buttons { height: 1; margin-top: 1; align-horizontal: right; }
JobScreen #job-buttons Button { margin-left: 2; }
"""


class JobScreen(ModalScreen[LoadProgress | None]):
    """Subclasses compose their fields, then ``yield from self.job_controls()``,
    and implement ``begin()``: check the fields and call ``start(starter)``."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel_or_close", "Cancel the job / close", id="job.cancel"),
    ]
    DEFAULT_CSS = _CSS
    start_label: ClassVar[str] = "Start"

    def __init__(self) -> None:
        super().__init__()
        self.job: ProduceJob | None = None
        self.final: LoadProgress | None = None
        self._starting = False
        self._timer: Timer | None = None

    # -- composing --

    def job_controls(self) -> ComposeResult:
        yield Static("", id="job-problem")
        yield JobProgress()
        with Horizontal(id="job-buttons"):
            yield Button(self.start_label, id="job-start", variant="primary", compact=True)
            yield Button("Cancel job", id="job-cancel", variant="error", compact=True, disabled=True)
            yield Button("Close", id="job-close", compact=True)

    # -- state --

    @property
    def running(self) -> bool:
        """Starting or sending: ``esc`` cancels instead of closing."""
        return self._starting or (self.job is not None and not self.job.done)

    def set_problem(self, text: str | None) -> None:
        """Say inline why nothing was sent (or clear it)."""
        widget = self.query_one("#job-problem", Static)
        widget.update(text or "")
        widget.set_class(bool(text), "-shown")

    def _sync_buttons(self) -> None:
        running = self.running
        self.query_one("#job-start", Button).disabled = running
        self.query_one("#job-cancel", Button).disabled = not running
        self.query_one("#job-close", Button).disabled = running

    # -- running --

    def begin(self) -> None:
        """Check the fields and call ``start``; show problems with ``set_problem``."""
        raise NotImplementedError

    def start(self, starter: Callable[[], Awaitable[ProduceJob]]) -> None:
        """Start a job (``starter`` raises before sending anything when the
        input is wrong) and follow it until it stops."""
        if self.running:
            return
        self.set_problem(None)
        self._starting = True
        self._sync_buttons()
        self.run_worker(self._follow(starter), exclusive=True, group="produce-job", exit_on_error=False)

    async def _follow(self, starter: Callable[[], Awaitable[ProduceJob]]) -> None:
        try:
            job = await starter()
        except KViewError as exc:
            self._start_failed(str(exc))
            return
        except Exception as exc:  # a bug must not kill the modal: say it
            log.exception("produce job could not start")
            self._start_failed(describe_exception(exc))
            return
        self.job = job
        self._starting = False
        self.final = None
        self.query_one(JobProgress).reset()
        self._sync_buttons()
        self._timer = self.set_interval(0.1, self._draw)
        try:
            self.final = await job.wait()
        finally:
            self._timer.stop()
        # (When the modal goes away mid-job, wait() cancels the job and re-raises.)
        self._draw()
        self._sync_buttons()
        self.job_finished()

    def _start_failed(self, message: str) -> None:
        self._starting = False
        # Jobs check everything before the first send: a refusal sent nothing.
        self.set_problem(message if "nothing sent" in message else f"nothing sent: {message}")
        self._sync_buttons()

    def _draw(self) -> None:
        if self.job is not None and self.is_mounted:
            self.query_one(JobProgress).show_progress(self.job.progress())

    def job_finished(self) -> None:
        """Called once the job has stopped; the final progress is ``self.final``."""
        self.query_one("#job-close", Button).focus()

    # -- keys and buttons --

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "job-start":
            self.begin()
        elif event.button.id == "job-cancel":
            self.action_cancel_or_close()
        elif event.button.id == "job-close":
            self.dismiss(self.final)

    def action_cancel_or_close(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
        elif self._starting:
            # Still checking (topic, templates, producer start): nothing was sent yet.
            self.workers.cancel_group(self, "produce-job")
            self._start_failed("cancelled")
        else:
            self.dismiss(self.final)
