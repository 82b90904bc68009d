"""The header line: cluster name, mode, connection state, the schema
registry's state when it is unreachable, the pane shown, brokers and
controller (most important first: a narrow terminal cuts the end)."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from kview.core.format import human_duration
from kview.core.models import ClusterSnapshot
from kview.ui.state import ConnectionState


class ClusterHeader(Static):
    """One line across the screen whatever it says: a new text costs a
    repaint, never a layout, and the same text costs nothing."""

    DEFAULT_CSS = """
    ClusterHeader { dock: top; height: 1; width: 1fr; background: $primary; color: $text; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cluster_name = ""
        self.read_only = False
        self.pane_title = ""
        self.connection = ConnectionState()
        self.snapshot: ClusterSnapshot | None = None
        self._shown: Text | None = None
        self.updates = 0
        """How many times the text changed (each costs one repaint)."""

    def on_mount(self) -> None:
        self.set_interval(1.0, self.redraw)

    def redraw(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("kview", style="bold")
        text.append(f" │ {self.cluster_name}")
        if self.read_only:
            text.append(" │ READ-ONLY", style="bold")
        state = self.connection
        if state.connected:
            text.append(" │ ● connected")
        elif state.status == "connecting":
            text.append(" │ … connecting")
        else:
            stale = state.stale_age()
            retry = f", retry in {human_duration(state.retry_in)}" if state.retry_in else ""
            age = f", data {human_duration(stale)} old" if stale is not None else ""
            text.append(f" │ ✖ unreachable{age}{retry}", style="bold reverse")
        registry = self.registry_state()
        if registry:
            text.append(f" │ ✖ {registry}", style="bold reverse")
        if self.pane_title:
            text.append(f" │ {self.pane_title}")
        if self.snapshot is not None:
            meta = self.snapshot.metadata
            count = len(meta.brokers)
            text.append(f" │ {count} broker{'' if count == 1 else 's'}")
            text.append(f" │ ctrl {meta.controller_id if meta.controller_id is not None else '-'}")
        # Redrawn every second (the age of stale data): unchanged, it costs nothing.
        if text != self._shown:
            self._shown = text
            self.updates += 1
            self.update(text, layout=False)

    def registry_state(self) -> str:
        """'registry unreachable, retry in 8s' while the profile's registry
        is being backed off (RegistryClient.status); '' otherwise (none
        configured, fine, or not asked yet)."""
        app = self.app
        profile = getattr(app, "profile", None)
        if getattr(profile, "schema_registry", None) is None:
            return ""
        try:
            registry = app.services.registry  # type: ignore[attr-defined]
            status = registry.status if registry is not None else None
        except Exception:  # not connected yet, or a registry block kview cannot use
            return ""
        if status is None or status.state != "unreachable":
            return ""
        retry = ""
        if status.retry_at is not None:
            left = status.retry_at - registry_clock()
            retry = f", retry in {human_duration(max(1.0, left))}" if left > 0 else ", retrying"
        return f"registry unreachable{retry}"

    @property
    def text(self) -> str:
        """What the header says, as plain text."""
        return self._shown.plain if self._shown is not None else ""

    def set_state(self, **changes) -> None:
        for key, value in changes.items():
            setattr(self, key, value)
        self.redraw()

    @staticmethod
    def now() -> float:
        return time.time()


def registry_clock() -> float:
    """The clock of RegistryStatus.retry_at (wall-clock time)."""
    return time.time()
