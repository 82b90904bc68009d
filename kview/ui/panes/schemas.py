"""Schemas pane: every subject of the profile's schema registry with its type,
latest version and id, compatibility level and number of versions, refreshed
on the pane's schedule (every 10 s at the most often: a refresh asks three
questions per subject); filter and sort in memory; enter opens the subject
(``schema_detail``); ``d`` soft-deletes the selected subject after typed
confirmation (refused in read-only mode).

Without a registry in the profile the pane says how to configure one instead
of drawing an empty table; while the registry cannot be reached it says so
(and when the client tries next) and keeps polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from kview.core.schemas.models import SubjectSummary
from kview.ui.panes.list_pane import ListPane, list_bindings
from kview.ui.widgets.diff_table import Column, Row
from kview.ui.widgets.elastic_table import ElasticDiffTable

if TYPE_CHECKING:
    from kview.core.readonly import RegistryWrites
    from kview.core.schemas.client import RegistryClient


class OpenSubject(Message):
    """Ask the app to show one registry subject's detail."""

    def __init__(self, subject: str) -> None:
        super().__init__()
        self.subject = subject


TYPE_NAMES = {"AVRO": "Avro", "PROTOBUF": "Protobuf", "JSON": "JSON Schema"}
"""The registry's type names as people say them."""


def type_name(kind: str) -> str:
    return TYPE_NAMES.get(kind, kind)


def not_configured_text(cluster: str, config_file: str | None) -> str:
    """What the pane shows when the profile names no registry."""
    where = f" in {config_file}" if config_file else ""
    return (
        f"No schema registry is configured for cluster '{cluster}'.\n\n"
        f"Add a schema_registry block to its profile{where}:\n\n"
        "  clusters:\n"
        f"    {cluster}:\n"
        "      schema_registry:\n"
        "        url: http://localhost:8081\n\n"
        "or start kview with --schema-registry URL."
    )


def subject_matches(text: str) -> Callable[[SubjectSummary], bool]:
    """The filter: every word is in the subject or its type.  Smart case:
    case-insensitive unless the text has a capital letter."""
    words = text.split()
    if not words:
        return lambda s: True
    sensitive = any(c.isupper() for c in text)
    if not sensitive:
        words = [w.lower() for w in words]

    def matches(summary: SubjectSummary) -> bool:
        haystack = f"{summary.subject} {summary.type} {type_name(summary.type)}"
        if not sensitive:
            haystack = haystack.lower()
        return all(w in haystack for w in words)

    return matches


def registry_writes(pane: Any, registry: RegistryClient) -> RegistryWrites:
    """The registry's writes, refused when the profile is read-only."""
    from kview.core.readonly import RegistryWrites

    return RegistryWrites(registry, pane.kview.profile.read_only)


@dataclass(frozen=True)
class SchemasListing:
    """One refresh: the subjects (empty when no registry is configured)."""

    subjects: tuple[SubjectSummary, ...]
    taken_at: float
    configured: bool = True
    registry: str = ""
    """The registry's URL as shown (no user info)."""


REFRESH_AT_MOST_EVERY = 10.0
"""Seconds between two refreshes of the list, at the least."""

COLUMNS = (
    Column("subject", "Subject", 20, 0),
    Column("type", "Type", 11, 1),
    Column("latest", "Latest", 6, 0, numeric=True),
    Column("id", "Id", 5, 1, numeric=True),
    Column("compatibility", "Compatibility", 19, 2),
    Column("versions", "Vers", 4, 1, numeric=True),
)
"""At 80 columns all of them; the subject takes what wider terminals leave."""


class SchemasPane(ListPane):
    pane_id = "schemas"
    title = "Schemas"
    COLUMNS = COLUMNS
    noun = "subjects"
    empty_text = "no subjects"
    filter_hint = "filter subjects by name or type (esc clears)"
    loading_text = "loading subjects ..."

    BINDINGS = list_bindings(
        "schemas",
        "Open subject",
        operations=[Binding("d", "delete_subject", "Delete subject (soft)", id="schemas.delete")],
    )

    DEFAULT_CSS = """
    SchemasPane #schemas-message { padding: 1 2; height: 1fr; display: none; }
    """

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static("", id="schemas-message")

    def make_table(self) -> ElasticDiffTable:
        return ElasticDiffTable(COLUMNS, elastic=(("subject", 80),))

    @property
    def refresh_interval(self) -> float:
        """Subjects change rarely, and a refresh asks the registry three
        questions per subject: every 10 s at the most often (the profile's
        interval when longer), and at most a quarter of the time (ctrl+r
        refreshes now)."""
        took = self._refresh_seconds or 0.0
        return max(self.kview.profile.refresh_interval, REFRESH_AT_MOST_EVERY, 4 * took)

    @property
    def registry(self) -> RegistryClient | None:
        return self.kview.services.registry

    # -- data --------------------------------------------------------------------------

    async def fetch(self) -> SchemasListing:
        registry = self.registry
        if registry is None:
            return SchemasListing((), time.time(), configured=False)
        summaries = await registry.summaries()
        return SchemasListing(tuple(summaries), time.time(), registry=getattr(registry, "url", ""))

    def show(self, data: SchemasListing) -> None:
        self._show_message(None if data.configured else self._not_configured())
        super().show(data)

    def _not_configured(self) -> str:
        path = self.kview.config.path
        return not_configured_text(self.kview.profile.name, str(path) if path else None)

    def _show_message(self, text: str | None) -> None:
        """Show ``text`` in place of the table (None: the table)."""
        message = self.query_one("#schemas-message", Static)
        message.update(text or "")
        message.display = text is not None
        self.table.display = text is None

    def show_error(self, message: str) -> None:
        if isinstance(self.listing, SchemasListing) and not self.listing.configured:
            return
        registry = self.registry
        status = getattr(registry, "status", None) if registry is not None else None
        retry_at = getattr(status, "retry_at", None)
        if retry_at is not None:
            message += f" · retrying in {max(0.0, retry_at - time.time()):.0f} s"
        if self.listing is None:
            # Nothing to keep on screen: say it where the table would be.
            self._show_message(f"{message}\n\nkview tries again on its own (ctrl+r: now).")
        super().show_error(message)

    def render_rows(self) -> None:
        listing = self.listing
        if listing is None:
            return
        matches = subject_matches(self.filter_text)
        shown = [s for s in listing.subjects if matches(s)]
        self.table.set_rows([self._row(s) for s in shown])
        self.update_status(len(shown))

    def _row(self, s: SubjectSummary) -> Row:
        cells = (
            s.subject,
            type_name(s.type),
            str(s.latest_version),
            str(s.latest_id),
            s.compatibility or "-",
            str(s.versions),
        )
        raw = (s.subject, s.type, s.latest_version, s.latest_id, s.compatibility, s.versions)
        return s.subject, cells, raw

    # -- the status line ---------------------------------------------------------------

    def total_rows(self) -> int:
        return 0 if self.listing is None else len(self.listing.subjects)

    def count_text(self, shown: int) -> str:
        if self.listing is not None and not self.listing.configured:
            return "no schema registry configured"
        return super().count_text(shown)

    def status_notes(self) -> list[str]:
        listing = self.listing
        return [listing.registry] if listing is not None and listing.registry else []

    # -- keys --------------------------------------------------------------------------

    def open_message(self, key: str) -> Message:
        return OpenSubject(key)

    def action_delete_subject(self) -> None:
        subject = self.operation_target("delete subject", self.table.selected_key(), "Select a subject first.")
        registry = self.registry
        if subject is None or registry is None:
            return
        writes = registry_writes(self, registry)
        self.confirm_delete(
            "subject",
            subject,
            f"Delete subject '{subject}'?",
            "Every version of the subject is soft-deleted: the registry keeps the schemas "
            "(records written with them still decode by id) but the subject no longer lists "
            "them, and producers can no longer look it up.",
            lambda: writes.delete_subject(subject),
        )
