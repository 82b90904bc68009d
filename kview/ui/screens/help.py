"""The help screen, generated from the bindings actually declared: the app's
and its panes' (given by the app) and the dialogs' (``dialog_sections``)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def binding_rows(bindings: Iterable[BindingType]) -> list[Binding]:
    """Normalise a BINDINGS list (tuples or Binding objects) to Bindings."""
    rows = []
    for item in bindings:
        if isinstance(item, Binding):
            rows.append(item)
        else:
            rows.extend(Binding.make_bindings([item]))
    return rows


DIALOGS: tuple[tuple[str, str, str], ...] = (
    ("Dialog: help", "kview.ui.screens.help", "HelpScreen"),
    ("Dialog: go to (:)", "kview.ui.screens.jump", "JumpScreen"),
    ("Dialog: confirmation", "kview.ui.screens.confirm", "ConfirmScreen"),
    (
        "Dialog: create topic, add partitions, edit configs, delete records, reset offsets, "
        "elect leaders, plan a reassignment",
        "kview.ui.screens.operation_form",
        "OperationForm",
    ),
    ("Dialog: delete a group's offsets", "kview.ui.screens.delete_offsets", "DeleteOffsetsScreen"),
    ("Dialog: tail a topic, jump to an offset or a time", "kview.ui.screens.tail_start", "TailStartScreen"),
    ("Dialog: export the tail", "kview.ui.screens.tail_start", "ExportScreen"),
    ("Dialog: find in a topic (f)", "kview.ui.screens.find", "FindScreen"),
    ("Dialog: templated load, file import", "kview.ui.screens.produce_job", "JobScreen"),
    ("Dialog: producer settings", "kview.ui.screens.producer_settings", "ProducerSettingsScreen"),
    ("Dialog: sent messages", "kview.ui.screens.send_history", "SendHistoryScreen"),
    ("Dialog: check / register a schema", "kview.ui.screens.schema_check", "SchemaCheckScreen"),
    ("Dialog: compatibility level", "kview.ui.screens.schema_check", "CompatibilityScreen"),
    ("Dialog: partitions not on their preferred leader (l)", "kview.ui.screens.leaders", "LeadersScreen"),
    ("Dialog: a reassignment plan's preview", "kview.ui.screens.reassign_plan", "PlanPreviewScreen"),
    ("Dialog: reassignments in progress (m)", "kview.ui.screens.reassignments", "ReassignmentsScreen"),
    ("Tail: record detail (enter)", "kview.ui.widgets.record_detail", "RecordDetail"),
    ("Filter line (/)", "kview.ui.widgets.filter_bar", "FilterBar"),
    ("Tables (the topics list)", "kview.ui.widgets.fast_table", "FastTable"),
)
"""(section title, module, class) of every dialog (and the tail's record
detail, the filter line and the tables) with keys of its own.  They work
only while it is open, so they are in the help but not in the command
palette."""


def dialog_sections() -> list[tuple[str, list[Binding]]]:
    """(section title, bindings) of every dialog in DIALOGS."""
    return [
        (title, binding_rows(getattr(importlib.import_module(module), name).BINDINGS))
        for title, module, name in DIALOGS
    ]


class HelpScreen(ModalScreen[None]):
    """Every key of the app, grouped by where it works."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, sections: list[tuple[str, list[Binding]]], keymap: dict[str, str]) -> None:
        super().__init__()
        self.sections = sections
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("kview keys  (esc closes; ctrl+p lists every action)", style="bold"))
            for title, bindings in [*self.sections, *dialog_sections()]:
                table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True)
                table.add_column("key", style="bold", width=16, no_wrap=True)
                table.add_column("action", ratio=1)
                for binding in bindings:
                    keys = self.keymap.get(binding.id or "", binding.key) if binding.id else binding.key
                    display = binding.key_display or ", ".join(
                        self.app.get_key_display(Binding(k, "")) for k in keys.split(",")
                    )
                    table.add_row(display, binding.description or binding.action)
                yield Static(table)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
