"""The progress of a produce job (templated load or file import): a bar, the
counters (sent, acked, failed, achieved rate) and, when it stopped, why."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from kview.core.format import human_count, human_duration, human_rate
from kview.core.produce import JobState, LoadProgress

STATE_WORDS = {
    JobState.RUNNING: "running",
    JobState.DONE: "done",
    JobState.CANCELLED: "cancelled",
    JobState.FAILED: "stopped by an error",
}


def progress_line(progress: LoadProgress) -> str:
    """One line of counters, e.g. ``sent 1,000 · acked 1,000 · failed 0 · 950.0/s · 1s · done``."""
    parts = [
        f"sent {human_count(progress.sent)}",
        f"acked {human_count(progress.acked)}",
        f"failed {human_count(progress.failed)}",
        human_rate(progress.rate),
        human_duration(progress.elapsed),
        STATE_WORDS[progress.state],
    ]
    if progress.total is not None:
        parts[0] += f"/{human_count(progress.total)}"
    return " · ".join(parts)


def summary_line(what: str, progress: LoadProgress) -> str:
    """The pane's result line after a job: what happened, in one sentence."""
    text = f"{what}: {progress_line(progress)}"
    if progress.error:
        text += f": {progress.error}"
    return text


class JobProgress(Vertical):
    """Bar and counters for one job; ``show_progress`` redraws from a snapshot."""

    DEFAULT_CSS = """
    JobProgress { height: auto; }
    JobProgress ProgressBar { width: 1fr; height: 1; }
    JobProgress ProgressBar Bar { width: 1fr; }
    JobProgress #job-counters { height: 1; }
    JobProgress #job-error { height: auto; color: $text-error; display: none; }
    JobProgress #job-error.-shown { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=100, show_eta=False, id="job-bar")
        yield Static("not started", id="job-counters")
        yield Static("", id="job-error")

    def reset(self) -> None:
        self.query_one(ProgressBar).update(total=100, progress=0)
        self.query_one("#job-counters", Static).update("not started")
        self._show_error(None)

    def show_progress(self, progress: LoadProgress) -> None:
        bar = self.query_one(ProgressBar)
        fraction = progress.fraction
        if fraction is None:
            # A load "until cancelled" has no end to measure against.
            bar.update(total=None)
        else:
            if progress.state is JobState.DONE:
                fraction = 1.0
            bar.update(total=100, progress=round(fraction * 100, 1))
        self.query_one("#job-counters", Static).update(progress_line(progress))
        self._show_error(progress.error)

    def _show_error(self, error: str | None) -> None:
        widget = self.query_one("#job-error", Static)
        widget.update(error or "")
        widget.set_class(bool(error), "-shown")
