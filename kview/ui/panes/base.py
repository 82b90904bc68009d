"""The base of every pane: poll in a worker, draw only when visible, then
schedule the next pass one refresh interval after this one *started*
(kview.core.schedule: a pass that overran skips ticks, passes never pile up
or overlap); run an operation or a form's fetch in a worker with its failure
in words; the status line; and ``FilteredPane``, a pane with a filter line.

The list panes' base is ``list_pane.ListPane``, the detail panes'
``detail_pane.DetailPane``.

Textual calls a message handler (``on_mount``, ``on_show`` ...) of every
class in a pane's MRO, base classes included, so a subclass's handler does
not call ``super()``'s."""

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
from kview.ui.widgets.filter_bar import FilterBar

if TYPE_CHECKING:
    from kview.app import KViewApp

log = logging.getLogger(__name__)


class PaneStatus(Static):
    """One line at the bottom of a pane: what it shows, how fresh, errors."""

    DEFAULT_CSS = """
    PaneStatus { height: 1; color: $text-muted; background: $panel; padding: 0 1; }
    PaneStatus.-error { color: $text-error; }
    """


def updated_at(taken_at: float) -> str:
    """``updated 12:34:56``: the local time the data on screen was taken."""
    return f"updated {time.strftime('%H:%M:%S', time.localtime(taken_at))}"


class Pane(Vertical):
    """A top-level view switched to with a single key.

    Subclasses set ``pane_id`` and ``title``; polling panes implement
    ``collect()`` (runs in a worker, may await the network) and ``show(data)``
    (runs on the UI, draws).  ``polls = False`` panes only react to events.
    """

    pane_id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    polls: ClassVar[bool] = True
    HEIGHTS: ClassVar[dict[str, tuple[str, str | None]]] = {}
    """Widget id -> (height, max height), set inline on mount: the app's
    stylesheet (``DataTable { height: 1fr }``) outranks a pane's DEFAULT_CSS."""

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id=f"pane-{self.pane_id}", **kwargs)
        self._timer: Timer | None = None
        self._last_error: str | None = None
        """The error the status line shows, so a repeat does not repaint it."""
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
        for widget in self.query("*"):
            if widget.focusable and not isinstance(widget, FilterBar):
                widget.focus()
                return

    def operation_target(self, action: str | None, target: Any, hint: str) -> Any:
        """What an operation key acts on (``target``: a topic, a group), or
        None when there is nothing to act on: the cluster is read-only for
        the write ``action``, said before any form opens (None: the key does
        not write), or nothing is selected (``hint`` says what to select)."""
        if action is not None and self.refuse_if_read_only(action):
            return None
        if target is None:
            self.notify(hint, severity="warning", timeout=4)
        return target

    def after_change(self, key: str, deleted: bool = False) -> None:
        """An operation changed (or ``deleted``) what ``key`` names: refresh."""
        self.poll_now()

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

    async def _attempt(self, call, title: str, timeout: float) -> tuple[bool, Any]:
        """``(True, await call())``; on failure ``(False, None)`` and the
        error in words, in a notification titled ``title``."""
        try:
            return True, await call()
        except KViewError as exc:
            self.notify(str(exc), title=title, severity="error", timeout=timeout)
        except Exception as exc:
            log.exception("%s", title)
            self.notify(describe_exception(exc), title=title, severity="error", timeout=timeout)
        return False, None

    def run_operation(self, description: str, operation, on_success=None) -> None:
        """Run ``await operation()`` in a worker; report success or Kafka's
        error in words where the user is looking, then refresh."""

        async def runner() -> None:
            ok, result = await self._attempt(operation, f"{description} failed", 10)
            if not ok:
                return
            if on_success is not None:
                on_success(result)
            else:
                self.notify(description, title="Done", timeout=4)
            if self.polls:
                self.poll_now()

        self.run_worker(runner(), group=f"op-{self.pane_id}", exit_on_error=False)

    def open_form(self, form, done, timeout: float = 5) -> None:
        """Push the modal ``form``; when it closes with a result (None is
        cancel), say what was done and refresh: ``done(result)`` gives the
        key of what changed, the text and the title of the notification."""

        def closed(result: Any) -> None:
            if result is not None:
                key, text, title = done(result)
                self.notify(text, title=title, timeout=timeout)
                self.after_change(key)

        self.app.push_screen(form, closed)

    def confirm_delete(self, kind: str, name: str, question: str, consequences: str, delete) -> None:
        """Ask ``question`` (the user types ``name`` to confirm), then
        ``await delete()`` in a worker; done, say so and ``after_change(name,
        deleted=True)``.  ``kind`` names what goes (``topic``, ``group``)."""
        from kview.ui.screens.confirm import ConfirmScreen

        def deleted(_: Any) -> None:
            self.notify(f"Deleted {kind} '{name}'", title="Done", timeout=5)
            self.after_change(name, deleted=True)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_operation(f"Deleted {kind} '{name}'", delete, deleted)

        self.app.push_screen(
            ConfirmScreen(question, consequences, require_text=name, confirm_label=f"Delete {kind}"), confirmed
        )

    def fetch_then(self, what: str, fetch, then) -> None:
        """Fetch what a form needs in a worker (``await fetch()``), then open
        it (``then(data)``); a failure says ``Cannot <what>`` and why."""

        async def runner() -> None:
            ok, data = await self._attempt(fetch, f"Cannot {what}", 8)
            if ok:
                then(data)

        self.run_worker(runner(), group=f"fetch-{self.pane_id}", exclusive=True, exit_on_error=False)

    def on_mount(self) -> None:
        if self.polls:
            self.schedule_poll(0)
        for widget_id, (height, max_height) in self.HEIGHTS.items():
            widget = self.query_one(f"#{widget_id}")
            widget.styles.height = height
            widget.styles.max_height = max_height

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
        elif message != self._last_error:
            self.notify(message, severity="error", timeout=6)
        self._last_error = message

    def set_status(self, text: str) -> None:
        """Replace the status line's text (clears the error mark)."""
        for status in self.query(PaneStatus):
            status.update(text)
            status.remove_class("-error")
        self._last_error = None


class FilteredPane(Pane):
    """A pane with a filter line (a ``FilterBar``, opened with ``/``): every
    keystroke there sets ``filter_text`` and calls ``apply_filter()``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filter_text = ""

    def apply_filter(self) -> None:
        """Show what passes ``filter_text`` (in memory: no network)."""

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        event.stop()
        self.filter_text = event.text
        self.apply_filter()
