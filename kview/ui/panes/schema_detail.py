"""Subject detail: one schema registry subject's versions (number, id, type,
references), the selected version's schema pretty-printed (JSON for Avro and
JSON Schema, the ``.proto`` text for Protobuf), its references, and a
coloured unified diff between two versions.  The keys: check an edited or
pasted schema for compatibility and register it as a new version (``e``),
soft-delete the selected version (``d``) or the whole subject (``D``) after
typing the subject's name, change the subject's compatibility level (``m``);
every write is refused in read-only mode.  ``esc`` goes back."""

from __future__ import annotations

import asyncio
import difflib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from kview.core.schemas.models import Schema, SubjectVersion
from kview.ui.panes.base import updated_at
from kview.ui.panes.detail_pane import DetailPane
from kview.ui.panes.schemas import OpenSubject, registry_writes, type_name
from kview.ui.themes import theme_style
from kview.ui.widgets.diff_table import Column, DiffTable
from kview.ui.widgets.elastic_table import ElasticDiffTable

if TYPE_CHECKING:
    from kview.core.schemas.client import RegistryClient

VERSION_COLUMNS = (
    Column("version", "Ver", 4, 0, numeric=True),
    Column("id", "Id", 6, 0, numeric=True),
    Column("refs", "Refs", 4, 1, numeric=True),
)
REFERENCE_COLUMNS = (
    Column("name", "Reference", 16, 0),
    Column("subject", "Subject", 16, 0),
    Column("version", "Ver", 4, 0, numeric=True),
)
FETCH_CONCURRENCY = 8
"""Versions fetched at once on the first refresh (the client caches them after)."""


def pretty_schema(schema: Schema) -> str:
    """Avro and JSON Schema as indented JSON; Protobuf (and text that is not
    JSON) as registered."""
    if schema.type == "PROTOBUF":
        return schema.text.strip("\n")
    try:
        return json.dumps(json.loads(schema.text), indent=2, ensure_ascii=False)
    except ValueError:
        return schema.text


def schema_diff(old: SubjectVersion, new: SubjectVersion) -> list[str]:
    """The unified diff of two versions' pretty-printed schemas (empty: the same)."""
    return list(
        difflib.unified_diff(
            pretty_schema(old.schema).splitlines(),
            pretty_schema(new.schema).splitlines(),
            f"{old.subject} version {old.version} (id {old.id})",
            f"{new.subject} version {new.version} (id {new.id})",
            lineterm="",
        )
    )


@dataclass(frozen=True)
class SubjectData:
    versions: tuple[SubjectVersion, ...]
    """Oldest first."""
    compatibility: str | None
    taken_at: float

    def version(self, number: int) -> SubjectVersion | None:
        return next((v for v in self.versions if v.version == number), None)


class SchemaDetailPane(DetailPane):
    pane_id = "schema-detail"
    title = "Subject"
    parts_prefix = "subject"
    opens = "references"

    BINDINGS = [
        Binding("enter", "open", "Open the selected reference's subject", id="schema_detail.open", show=False),
        Binding("f", "toggle_diff", "Diff / schema", id="schema_detail.diff"),
        Binding("b", "mark_base", "Diff from this version", id="schema_detail.base", show=False),
        Binding("e", "edit", "Check / register", id="schema_detail.edit"),
        Binding("m", "compatibility", "Compatibility level", id="schema_detail.compatibility", show=False),
        Binding("d", "delete_version", "Delete version", id="schema_detail.delete_version"),
        Binding("D", "delete_subject", "Delete subject (soft)", id="schema_detail.delete_subject", show=False),
    ]

    DEFAULT_CSS = """
    SchemaDetailPane #subject-summary { height: 1; padding: 0 1; background: $panel; }
    SchemaDetailPane #subject-body { height: 1fr; }
    SchemaDetailPane #subject-left { width: 24; }
    SchemaDetailPane DiffTable { border: round $panel-lighten-2; border-title-color: $text-muted; }
    SchemaDetailPane DiffTable:focus { border: round $primary; border-title-color: $text; }
    SchemaDetailPane #subject-versions { height: 1fr; }
    SchemaDetailPane #subject-references { height: auto; max-height: 40%; }
    SchemaDetailPane #subject-scroll { border: round $panel-lighten-2; border-title-color: $text-muted; }
    SchemaDetailPane #subject-scroll:focus { border: round $primary; }
    SchemaDetailPane #subject-schema { width: auto; padding: 0 1; }
    """

    def __init__(self, subject: str, **kwargs: Any) -> None:
        super().__init__(subject, **kwargs)
        self.detail: SubjectData | None = None
        self.diff_mode = False
        self.diff_base: int | None = None
        """The version the diff starts from (None: the one before the selected)."""

    def compose_parts(self) -> ComposeResult:
        with Horizontal(id="subject-body"):
            with Vertical(id="subject-left"):
                versions = ElasticDiffTable(VERSION_COLUMNS, id="subject-versions")
                versions.border_title = "Versions"
                versions.sort_by("version", reverse=True)
                yield versions
                references = ElasticDiffTable(REFERENCE_COLUMNS, elastic=(("name", 40),), id="subject-references")
                references.border_title = "References"
                yield references
            scroll = VerticalScroll(id="subject-scroll")
            scroll.border_title = "Schema"
            with scroll:
                yield Static("", id="subject-schema")

    @property
    def registry(self) -> RegistryClient | None:
        return self.kview.services.registry

    # -- data --------------------------------------------------------------------------

    async def collect(self) -> SubjectData:
        registry = self.registry
        if registry is None:
            from kview.core.errors import KViewError

            raise KViewError("no schema registry is configured for this cluster")
        numbers, level = await asyncio.gather(registry.versions(self.subject), registry.compatibility(self.subject))
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def one(number: int) -> SubjectVersion:
            async with gate:
                return await registry.version(self.subject, number)

        versions = await asyncio.gather(*(one(n) for n in numbers))
        return SubjectData(tuple(sorted(versions, key=lambda v: v.version)), level, time.time())

    def show(self, data: SubjectData) -> None:
        self.detail = data
        latest = data.versions[-1] if data.versions else None
        # The level before the numbers: 80 columns cut the line's end.
        text = Text(self.subject, style="bold")
        if latest is not None:
            text.append(f" · {type_name(latest.schema.type)}")
        text.append(f" · {data.compatibility or 'compatibility unknown'}")
        if latest is not None:
            text.append(f" · latest {latest.version} (id {latest.id}) · {len(data.versions)} version(s)")
        self.show_summary(text)
        table = self.query_one("#subject-versions", DiffTable)
        table.set_rows(
            [
                (
                    str(v.version),
                    (str(v.version), str(v.id), str(len(v.schema.references))),
                    (v.version, v.id, len(v.schema.references)),
                )
                for v in data.versions
            ]
        )
        self._show_selected()
        self.set_status(f"{updated_at(data.taken_at)} · tab moves · m compatibility · D deletes the subject · esc back")

    def selected_version(self) -> SubjectVersion | None:
        if self.detail is None or not self.detail.versions:
            return None
        key = self.query_one("#subject-versions", DiffTable).selected_key()
        chosen = self.detail.version(int(key)) if key is not None else None
        return chosen or self.detail.versions[-1]

    def base_version(self, selected: SubjectVersion) -> SubjectVersion | None:
        """The diff's base: the marked version, else the one before ``selected``."""
        if self.detail is None:
            return None
        if self.diff_base is not None and self.diff_base != selected.version:
            marked = self.detail.version(self.diff_base)
            if marked is not None:
                return marked
        older = [v for v in self.detail.versions if v.version < selected.version]
        return older[-1] if older else None

    def _show_selected(self) -> None:
        selected = self.selected_version()
        schema_view = self.query_one("#subject-schema", Static)
        scroll = self.query_one("#subject-scroll", VerticalScroll)
        references = self.query_one("#subject-references", DiffTable)
        if selected is None:
            schema_view.update("no versions")
            references.set_rows([])
            return
        refs = selected.schema.references
        references.set_rows(
            [(r.name, (r.name, r.subject, str(r.version)), (r.name, r.subject, r.version)) for r in refs]
        )
        references.border_title = f"References ({len(refs)}, enter opens)"
        references.display = bool(refs)
        if self.diff_mode:
            base = self.base_version(selected)
            if base is None:
                scroll.border_title = f"Diff: version {selected.version} is the first"
                schema_view.update(Text(pretty_schema(selected.schema)))
                return
            lines = schema_diff(base, selected)
            scroll.border_title = f"Diff {base.version} → {selected.version} (b sets the base)"
            schema_view.update(self._diff_text(lines) if lines else Text("the two versions' schemas are the same"))
            return
        scroll.border_title = f"Version {selected.version} · id {selected.id} · {type_name(selected.schema.type)}"
        schema_view.update(Text(pretty_schema(selected.schema)))

    def _diff_text(self, lines: list[str]) -> Text:
        added = theme_style(self.app, "status-ok", bold=False)
        removed = theme_style(self.app, "status-stop", bold=False)
        hunk = theme_style(self.app, "status-warn", bold=True)
        text = Text()
        for line in lines:
            if line.startswith(("+++", "---")):
                style: Any = "bold"
            elif line.startswith("@@"):
                style = hunk
            elif line.startswith("+"):
                style = added
            elif line.startswith("-"):
                style = removed
            else:
                style = ""
            text.append(line + "\n", style=style)
        text.rstrip()
        return text

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "subject-versions":
            self._show_selected()

    def open_message(self, key: str) -> Message:
        selected = self.selected_version()
        refs = selected.schema.references if selected is not None else ()
        return OpenSubject(next((r.subject for r in refs if r.name == key), key))

    # -- keys --------------------------------------------------------------------------

    def action_toggle_diff(self) -> None:
        self.diff_mode = not self.diff_mode
        self._show_selected()

    def action_mark_base(self) -> None:
        selected = self.selected_version()
        if selected is None:
            return
        self.diff_base = selected.version
        self.notify(f"Diffs start from version {selected.version}", timeout=3)
        self._show_selected()

    def action_edit(self) -> None:
        from kview.ui.screens.schema_check import SchemaCheckScreen

        registry = self.registry
        selected = self.selected_version()
        if registry is None or selected is None:
            self.notify("Nothing to start from yet: the subject is still loading.", severity="warning", timeout=4)
            return
        subject = self.subject
        writes = registry_writes(self, registry)
        references = selected.schema.references

        def schema_of(text: str) -> Schema:
            return Schema(selected.schema.type, text, references)

        def done(schema_id: int | None) -> None:
            if schema_id is not None:
                self.notify(f"Registered in '{subject}' (id {schema_id})", title="Done", timeout=5)
                self.after_change(subject)

        self.app.push_screen(
            SchemaCheckScreen(
                subject,
                selected.schema.type,
                pretty_schema(selected.schema),
                check=lambda text: registry.check_compatibility(subject, schema_of(text)),
                register=lambda text: writes.register(subject, schema_of(text)),
            ),
            done,
        )

    def action_compatibility(self) -> None:
        from kview.ui.screens.schema_check import CompatibilityScreen

        registry = self.registry
        if registry is None or self.refuse_if_read_only("set compatibility"):
            return
        subject, writes = self.subject, registry_writes(self, registry)
        current = self.detail.compatibility if self.detail is not None else None

        def chosen(level: str | None) -> None:
            if level and level != current:
                self.run_operation(
                    f"Compatibility of '{subject}' set to {level}", lambda: writes.set_compatibility(subject, level)
                )

        self.app.push_screen(CompatibilityScreen(subject, current), chosen)

    def action_delete_version(self) -> None:
        from kview.ui.screens.confirm import ConfirmScreen

        registry = self.registry
        if registry is None or self.refuse_if_read_only("delete schema version"):
            return
        selected = self.selected_version()
        if selected is None:
            self.notify("Select a version first.", severity="warning", timeout=4)
            return
        subject, number, writes = self.subject, selected.version, registry_writes(self, registry)
        last = self.detail is not None and len(self.detail.versions) == 1

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            if last:
                self.run_operation(
                    f"Deleted version {number} of '{subject}'",
                    lambda: writes.delete_version(subject, number),
                    lambda _: self._gone(f"Deleted version {number}, the last of '{subject}'"),
                )
            else:
                self.run_operation(
                    f"Deleted version {number} of '{subject}'", lambda: writes.delete_version(subject, number)
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Delete version {number} of '{subject}'?",
                f"Version {number} (id {selected.id}) is soft-deleted: the registry keeps the schema, so records "
                "written with it still decode by id, but the subject no longer lists it."
                + (" It is the subject's only version: the subject goes with it." if last else ""),
                require_text=subject,
                confirm_label="Delete version",
            ),
            confirmed,
        )

    def _gone(self, text: str) -> None:
        self.notify(text, title="Done", timeout=5)
        self.after_change(self.subject, deleted=True)

    def action_delete_subject(self) -> None:
        registry = self.registry
        if registry is None or self.refuse_if_read_only("delete subject"):
            return
        subject, writes = self.subject, registry_writes(self, registry)
        self.confirm_delete(
            "subject",
            subject,
            f"Delete subject '{subject}'?",
            "Every version of the subject is soft-deleted: the registry keeps the schemas (records "
            "written with them still decode by id) but the subject no longer lists them.",
            lambda: writes.delete_subject(subject),
        )
