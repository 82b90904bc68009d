"""The base of every pane: poll in a worker, draw only when visible, then
schedule the next pass one refresh interval after this one *started*
(kview.core.schedule: a pass that overran skips ticks, passes never pile up
or overlap)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static

from kview.core.errors import KViewError, describe_exception
from kview.core.format import human_duration
from kview.core.schedule import delay_until_next

if TYPE_CHECKING:
    from kview.app import KViewApp

log = logging.getLogger(__name__)


class PaneStatus(Static):
    """One line at the bottom of a pane: what it shows, how fresh, errors."""

    DEFAULT_CSS = """
    PaneStatus { height: 1; color: $text-muted; background: $panel; padding: 0 1; }
    PaneStatus.-error { color: $text-error; }
    """


class Pane(Vertical):
    """A top-level view switched to with a single key.

    Subclasses set ``pane_id`` and ``title``; polling panes implement
    ``collect()`` (runs in a worker, may await the network) and ``show(data)``
    (runs on the UI, draws).  ``polls = False`` panes only react to events.
    """

    pane_id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    polls: ClassVar[bool] = True

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id=f"pane-{self.pane_id}", **kwargs)
        self._timer: Timer | None = None
        self._polling = False
        self._poll_started = 0.0
        """When the running (or last) pass started, time.monotonic()."""
        self.last_ok: float | None = None
        """When collect() last succeeded (time.time()); None before the first time."""

    @property
    def kview(self) -> KViewApp:
        return self.app  # type: ignore[return-value]

    @property
    def refresh_interval(self) -> float:
        return self.kview.profile.refresh_interval

    @property
    def is_active(self) -> bool:
        """Visible, on the screen the user is looking at, and no modal on top."""
        return self.display and self.screen is self.app.screen and self.kview.active_pane_id == self.pane_id

    def _stale_prefix(self) -> str:
        """What a failed refresh leaves on screen is the last good data: say how old."""
        if self.last_ok is None:
            return ""
        return f"STALE, data {human_duration(time.time() - self.last_ok)} old: "

    def focus_default(self) -> None:
        """Give the keyboard to the pane's main widget (its first focusable one,
        never the filter line)."""
        from kview.ui.widgets.filter_bar import FilterBar

        for widget in self.query("*"):
            if widget.focusable and not isinstance(widget, FilterBar):
                widget.focus()
                return

    def refuse_if_read_only(self, action: str) -> bool:
        """True (and a clear message) when the cluster is read-only.  The
        backend refuses too; this stops a form from even opening."""
        from kview.core.readonly import WRITE_ACTIONS, refuse_message

        if action not in WRITE_ACTIONS:
            log.warning("write action %r is not registered in WRITE_ACTIONS", action)
        if self.kview.profile.read_only:
            self.notify(refuse_message(action), title="Read-only", severity="error", timeout=6)
            return True
        return False

    def run_operation(self, description: str, operation, on_success=None) -> None:
        """Run ``await operation()`` in a worker; report success or Kafka's
        error in words where the user is looking, then refresh."""

        async def runner() -> None:
            try:
                result = await operation()
            except KViewError as exc:
                self.notify(str(exc), title=f"{description} failed", severity="error", timeout=10)
                return
            except Exception as exc:
                log.exception("%s failed", description)
                self.notify(describe_exception(exc), title=f"{description} failed", severity="error", timeout=10)
                return
            if on_success is not None:
                on_success(result)
            else:
                self.notify(description, title="Done", timeout=4)
            if self.polls:
                self.poll_now()

        self.run_worker(runner(), group=f"op-{self.pane_id}", exit_on_error=False)

    def on_mount(self) -> None:
        if self.polls:
            self.schedule_poll(0)

    def schedule_poll(self, delay: float | None = None) -> None:
        if self._timer is not None:
            self._timer.stop()
        # Textual's timer divides by its interval: a 0 s timer dies with
        # ZeroDivisionError (and the pane never polls), so "now" is 1 ms.
        delay = self.refresh_interval if delay is None else delay
        self._timer = self.set_timer(max(delay, 0.001), self._tick)

    def poll_now(self) -> None:
        """Refresh at once (the refresh key, or after an operation)."""
        self.schedule_poll(0)

    def on_show(self) -> None:
        if self.polls:
            self.poll_now()

    def _tick(self) -> None:
        if not self.is_active:
            # Hidden panes don't poll; on_show restarts them.
            return
        if self._polling:
            self.schedule_poll()
            return
        self._polling = True
        self._poll_started = time.monotonic()
        self.run_worker(self._poll(), exclusive=True, group=f"poll-{self.pane_id}", exit_on_error=False)

    async def _poll(self) -> None:
        try:
            data = await self.collect()
        except KViewError as exc:
            self.show_error(self._stale_prefix() + str(exc))
        except Exception as exc:  # a bug must not kill the app: show it, log it
            log.exception("pane %s refresh failed", self.pane_id)
            self.show_error(self._stale_prefix() + describe_exception(exc))
        else:
            self.last_ok = time.time()
            if self.is_mounted:
                self.show(data)
        finally:
            self._polling = False
            if self.is_mounted:
                self.schedule_poll(delay_until_next(self._poll_started, time.monotonic(), self.refresh_interval))

    async def collect(self) -> Any:
        """Fetch what the pane shows.  Runs in a worker."""
        return None

    def show(self, data: Any) -> None:
        """Draw ``data``.  Runs on the UI thread."""

    def show_error(self, message: str) -> None:
        """Keep the last data on screen and say what went wrong, in the pane's
        status line (or once as a notification when it has none)."""
        statuses = self.query(PaneStatus)
        if statuses:
            status = statuses.last()
            status.update(message)
            status.add_class("-error")
        elif message != getattr(self, "_last_error", None):
            self.notify(message, severity="error", timeout=6)
        self._last_error = message

    def set_status(self, text: str) -> None:
        """Replace the status line's text (clears the error mark)."""
        for status in self.query(PaneStatus):
            status.update(text)
            status.remove_class("-error")
        self._last_error = None
