"""The footer line: the keys that matter now, in one line that always fits.

Textual's ``Footer`` builds one widget per key and rebuilds them all on every
bindings update (each focus change: 200-300 ms on a busy tail, and it leaks,
textual#6666), and at 80 columns it pushes the app's own keys off the line.
``KeyFooter`` is one widget drawing one line of text: on a bindings update it
works out which (key, description) pairs to offer and repaints only when they
changed.  What it shows, left to right: the focused widget's and its pane's
shown keys in binding order, the pane keys (``1-6 Panes``) and the app's
other shown keys while there is room; at the right edge, always, the
essentials (help, go to, palette, quit).  An entry that does not fit is left
out whole: never cut, never wrapped.  Keys are shown as bound, keymap
included, through ``App.get_key_display``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

SEPARATOR = "  "
"""Between two entries."""


class FooterEntry(NamedTuple):
    """One key on the footer line."""

    key: str
    """The key as Textual names it (what a click simulates)."""
    display: str
    """The key as the user reads it (``^p``, ``/``, ``1-6``)."""
    description: str
    enabled: bool = True
    """False: shown dim (the focused field takes the key, or the action is off)."""

    @property
    def width(self) -> int:
        return cell_len(self.display) + 1 + cell_len(self.description)


def fit(entries: Sequence[FooterEntry], width: int) -> list[FooterEntry]:
    """The entries, in order, that fit in ``width`` cells with separators
    between them; one that does not fit is skipped whole (a shorter one
    after it may still fit)."""
    chosen: list[FooterEntry] = []
    used = 0
    for entry in entries:
        needed = entry.width + (len(SEPARATOR) if chosen else 0)
        if used + needed <= width:
            chosen.append(entry)
            used += needed
    return chosen


def line_width(entries: Sequence[FooterEntry]) -> int:
    """Cells ``entries`` take on the line, separators included."""
    return sum(e.width for e in entries) + len(SEPARATOR) * max(len(entries) - 1, 0)


def compact_keys(displays: Sequence[str]) -> str:
    """Digits in runs of three or more as ranges (``1-6``, ``1-7/9``), else
    the keys joined with ``/``."""
    if len(displays) > 2 and all(len(d) == 1 and d.isdigit() for d in displays):
        runs: list[list[str]] = []
        for display in displays:
            if runs and int(display) == int(runs[-1][-1]) + 1:
                runs[-1].append(display)
            else:
                runs.append([display])
        return "/".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else "/".join(run) for run in runs)
    return "/".join(displays)


def _declared_order(node: DOMNode) -> dict[str, int]:
    """Position of each of ``node``'s bindings (by id, else action) in its
    class's BINDINGS."""
    return _class_order(type(node))


@cache
def _class_order(cls: type) -> dict[str, int]:
    order: dict[str, int] = {}
    for binding in Binding.make_bindings(getattr(cls, "BINDINGS", ())):
        order.setdefault(binding.id or binding.action, len(order))
    return order


class KeyFooter(Widget, can_focus=False):
    """One line of keys, rebuilt only when what it offers changes.

    ``essentials``: (binding id, short label) of app keys shown at the right
    edge always (dim while the focused field takes the key).  ``group``:
    binding ids shown as one entry (``1-6 Panes``) labelled ``group_label``,
    only while every one of them works.  The app's other shown bindings
    follow the focused pane's while there is room.
    """

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyFooter > .key-footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyFooter > .key-footer--disabled {
        text-style: dim;
    }
    """

    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--disabled"}

    def __init__(
        self,
        essentials: Sequence[tuple[str, str]] = (),
        group: Sequence[str] = (),
        group_label: str = "",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.essential_ids = tuple(essentials)
        self.group_ids = tuple(group)
        self.group_label = group_label
        self.context: tuple[FooterEntry, ...] = ()
        """The focused widget's and pane's keys, then the group and the app's other keys."""
        self.essentials: tuple[FooterEntry, ...] = ()
        self.updates = 0
        """How many times what the footer offers changed (each costs one repaint)."""
        self.renders = 0
        """How many times the line was drawn (a repaint, or a new width)."""
        self._pending = False
        self._hits: list[tuple[int, int, str]] = []

    # -- what to show ----------------------------------------------------------------

    def on_mount(self) -> None:
        # Immediate: the signal fires several times per key press; the work is
        # done once, after them.
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed, immediate=True)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen) -> None:
        if not self._pending:
            self._pending = True
            self.call_later(self.update_entries)

    def update_entries(self) -> bool:
        """Work out what to offer now; repaint only if it changed.  True if it did."""
        self._pending = False
        if not self.is_attached:
            return False
        essentials, context = self._entries()
        if essentials == self.essentials and context == self.context:
            return False
        self.essentials, self.context = essentials, context
        self.updates += 1
        self.refresh()  # one line, fixed size: a repaint, never a layout
        return True

    def _entries(self) -> tuple[tuple[FooterEntry, ...], tuple[FooterEntry, ...]]:
        app = self.app
        active = self.screen.active_bindings
        declared = self._declared()
        shown: dict[tuple[int, str], tuple[tuple[int, int], FooterEntry]] = {}
        ranks: dict[int, tuple[int, dict[str, int]]] = {}
        special = {binding_id for binding_id, _ in self.essential_ids} | set(self.group_ids)
        for node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.id in special:
                continue
            # "G,end" is one action under two keys: shown once, by its first.
            name = binding.id or binding.action
            if (id(node), name) in shown:
                continue
            if id(node) not in ranks:  # the focused widget first, then its parents, the app last
                ranks[id(node)] = (len(ranks), _declared_order(node))
            rank, order = ranks[id(node)]
            entry = FooterEntry(binding.key, app.get_key_display(binding), binding.description, enabled)
            shown[(id(node), name)] = ((rank, order.get(name, len(order))), entry)
        # In the order declared (a keymap moves a remapped binding to the end);
        # the app's own keys after the pane's.
        ranked = sorted(shown.values(), key=lambda item: item[0])
        app_rank = ranks[id(app)][0] if id(app) in ranks else -1
        context = [entry for (rank, _), entry in ranked if rank != app_rank]
        app_extras = [entry for (rank, _), entry in ranked if rank == app_rank]

        def works(binding: Binding) -> bool:
            # The key reaches this binding's action (a focused field may take it).
            found = active.get(binding.key)
            return found is not None and found.enabled and found.binding.action == binding.action

        essentials = tuple(
            FooterEntry(essential.key, app.get_key_display(essential), label, works(essential))
            for binding_id, label in self.essential_ids
            if (essential := declared.get(binding_id)) is not None
        )
        group = [declared[binding_id] for binding_id in self.group_ids if binding_id in declared]
        if group and len(group) == len(self.group_ids) and all(works(b) for b in group):
            keys = compact_keys([app.get_key_display(b) for b in group])
            context.append(FooterEntry("", keys, self.group_label))  # several keys: no click
        return essentials, tuple(context + app_extras)

    def _declared(self) -> dict[str, Binding]:
        """The app's bindings by id, each under the (first) key the keymap
        gives it: an essential is shown even while a field takes its key."""
        # The app's keymap (set_keymap) has no public reader.
        keymap = getattr(self.app, "_keymap", {})
        declared: dict[str, Binding] = {}
        for binding in Binding.make_bindings(self.app.BINDINGS):
            if binding.id is None or binding.id in declared:
                continue
            keys = keymap.get(binding.id)
            declared[binding.id] = binding.with_key(keys.split(",")[0].strip()) if keys else binding
        return declared

    # -- drawing ---------------------------------------------------------------------

    def render(self) -> Text:
        self.renders += 1
        width = self.content_size.width
        right = fit(self.essentials, width)
        room = width - line_width(right) - (len(SEPARATOR) if right else 0)
        left = fit(self.context, max(room, 0))
        key_style = self.get_component_rich_style("key-footer--key", partial=True)
        description_style = self.get_component_rich_style("key-footer--description", partial=True)
        dim = self.get_component_rich_style("key-footer--disabled", partial=True)
        text = Text(no_wrap=True, overflow="crop", end="")
        self._hits = []

        def draw(entries: Sequence[FooterEntry]) -> None:
            for n, entry in enumerate(entries):
                if n:
                    text.append(SEPARATOR)
                extra = Style() if entry.enabled else dim
                start = text.cell_len
                text.append(entry.display, key_style + extra)
                text.append(" " + entry.description, description_style + extra)
                self._hits.append((start, text.cell_len, entry.key))

        draw(left)
        gap = width - line_width(left) - line_width(right)
        text.append(" " * max(gap, 0))
        draw(right)
        return text

    def on_click(self, event: events.Click) -> None:
        # Nothing needs the mouse; a click on an entry presses its key.
        x = event.x - self.styles.padding.left
        for start, end, key in self._hits:
            if start <= x < end and key:
                self.app.simulate_key(key)
                return
