"""The incremental filter line a pane opens with `/`."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    """Hidden until opened; every keystroke posts FilterBar.Applied.

    ``esc`` clears and closes it; ``enter`` closes it and keeps the filter.
    """

    BINDINGS = [Binding("escape", "close(True)", "Clear filter", id="filter.clear", show=False)]
    DEFAULT_CSS = """
    FilterBar { dock: bottom; display: none; height: 1; border: none; padding: 0 1; background: $boost; }
    FilterBar:focus { border: none; height: 1; }
    FilterBar.-open { display: block; }
    """

    class Applied(Message):
        def __init__(self, bar: FilterBar, text: str) -> None:
            super().__init__()
            self.bar = bar
            self.text = text

        @property
        def control(self) -> FilterBar:
            return self.bar

    def __init__(self, placeholder: str = "filter (esc clears)", **kwargs) -> None:
        super().__init__(placeholder=placeholder, **kwargs)
        self._typing = False

    def _watch_value(self, value: str) -> None:
        # Input sets its virtual size on every change, which asks for a layout
        # of the whole screen: on a busy pane that was most of a keystroke's
        # cost.  The bar is one line of fixed size, so nothing else moves, and
        # Input scrolls its text from the virtual size itself, not the layout.
        self._typing = True
        try:
            super()._watch_value(value)
        finally:
            self._typing = False

    def refresh(self, *regions, repaint: bool = True, layout: bool = False, recompose: bool = False):
        return super().refresh(*regions, repaint=repaint, layout=layout and not self._typing, recompose=recompose)

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    def action_close(self, clear: bool = False) -> None:
        if clear and self.value:
            self.value = ""
        self.remove_class("-open")
        if self.parent is not None and hasattr(self.parent, "focus_default"):
            self.parent.focus_default()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Applied(self, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_close(clear=False)
