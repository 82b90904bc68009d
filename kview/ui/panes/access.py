"""Access pane (key 8): who may do what.  Three views, switched with ``v``:
ACL bindings (every field), SCRAM users (mechanisms and iterations) and
client quotas (users, client ids, IPs, defaults).  The line on top names
the three with their counts, or says that a view is denied: a principal
without DESCRIBE on the cluster sees "not authorised ..." in place of that
view's table, never an empty list, and the other views still show.

``n`` new binding / user / quota, ``e`` change the selected user's password
or quota, ``d`` delete the selected binding / user / quota, each with a
preview of what changes and a confirmation, refused in read-only mode.
The topic and group details open this pane scoped to their resource (``A``,
``show_access_for``): the ACLs that apply to it (literal, ``*`` and
matching prefixes); ``c`` lists every binding again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kview.core.access import AccessService, AccessSnapshot, AclBinding, AclFilter, QuotaEntry, ScramUser, Section
from kview.core.access.models import DEFAULT_NAME
from kview.core.access.service import NO_AUTHORIZER
from kview.core.format import quota_value
from kview.ui.messages import OpenGroup, OpenTopic
from kview.ui.panes.base import FilteredPane, PaneStatus, updated_at
from kview.ui.widgets.diff_table import Column, Row
from kview.ui.widgets.elastic_table import ElasticDiffTable
from kview.ui.widgets.filter_bar import FilterBar

if TYPE_CHECKING:
    from kview.app import KViewApp

VIEWS = ("acls", "users", "quotas")
VIEW_TITLES = {"acls": "ACLs", "users": "SCRAM users", "quotas": "Client quotas"}

ACL_COLUMNS = (
    Column("principal", "Principal", 14, 0),
    Column("host", "Host", 5, 2),
    Column("permission", "Perm", 5, 0),
    Column("operation", "Operation", 9, 0),
    Column("type", "Type", 7, 1),
    Column("pattern", "Pattern", 8, 1),
    Column("name", "Name", 12, 0),
)
USER_COLUMNS = (Column("user", "User", 24, 0), Column("mechanisms", "Mechanisms (iterations)", 44, 0))
QUOTA_COLUMNS = (Column("entity", "Entity", 28, 0), Column("values", "Quotas", 44, 0))


async def show_access_for(app: KViewApp, resource_type: str, name: str) -> None:
    """Switch to the Access pane showing the ACLs that apply to one resource
    (the topic and group details' ``A``)."""
    pane = await app.show_pane("access")
    if isinstance(pane, AccessPane):
        pane.show_resource(resource_type, name)


class ViewMessage(Static, can_focus=True):
    """What stands in for a view's table (why it is empty); focusable, so
    the pane's keys (v, /) still work while it is shown."""


def _matches(words: list[str], sensitive: bool, cells: Sequence[Any]) -> bool:
    haystack = " ".join(str(c) for c in cells)
    if not sensitive:
        haystack = haystack.lower()
    return all(w in haystack for w in words)


class AccessPane(FilteredPane):
    pane_id = "access"
    title = "Access"

    BINDINGS: ClassVar[list[Any]] = [
        Binding("v", "next_view", "Next view: ACLs, users, quotas", id="access.view"),
        Binding("slash", "filter", "Filter", id="access.filter", key_display="/"),
        Binding("n", "new", "New binding / user / quota", id="access.new"),
        Binding("e", "edit", "Change password / quota", id="access.edit"),
        Binding("d", "delete", "Delete selected", id="access.delete"),
        Binding("c", "clear_scope", "All ACLs (leave the topic/group scope)", id="access.all", show=False),
        Binding("enter", "open", "Open the binding's topic/group, a user's ACLs", id="access.open", show=False),
    ]

    DEFAULT_CSS = """
    AccessPane #access-tabs { height: 1; padding: 0 1; background: $panel; }
    AccessPane #access-message { padding: 1 2; height: 1fr; display: none; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view = "acls"
        self.snapshot: AccessSnapshot | None = None
        self.scope: tuple[str, str] | None = None
        """(resource type, name): only the ACLs that apply to it."""
        self.principal_scope: str | None = None
        """Only this principal's ACLs (enter on a user)."""
        self._service: AccessService | None = None

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="access-tabs")
        yield ElasticDiffTable(ACL_COLUMNS, elastic=(("name", 60), ("principal", 30)), id="access-acls")
        yield ElasticDiffTable(USER_COLUMNS, elastic=(("user", 60),), id="access-users")
        yield ElasticDiffTable(QUOTA_COLUMNS, elastic=(("entity", 60),), id="access-quotas")
        yield ViewMessage("", id="access-message")
        yield FilterBar("filter the rows by any word (esc clears)", id="access-filter")
        yield PaneStatus("loading ACLs, users and quotas ...", id="access-status")

    def on_mount(self) -> None:
        for view in VIEWS:
            table = self.table_of(view)
            table.sort_by(table.all_columns[0].key, reverse=False)
        self._show_view()

    def table_of(self, view: str) -> ElasticDiffTable:
        return self.query_one(f"#access-{view}", ElasticDiffTable)

    @property
    def service(self) -> AccessService:
        if self._service is None:
            self._service = AccessService(self.kview.services.client)
        return self._service

    @property
    def refresh_interval(self) -> float:
        # ACLs, users and quotas change when someone changes them: no need
        # to ask three questions every couple of seconds (ctrl+r: now).
        return max(self.kview.profile.refresh_interval, 10.0)

    # -- data --------------------------------------------------------------------------

    def acl_filter(self) -> AclFilter:
        if self.scope is not None:
            kind, name = self.scope
            return AclFilter(
                resource_type=kind, resource_name=name, pattern_type="MATCH", principal=self.principal_scope
            )
        return AclFilter(principal=self.principal_scope)

    async def collect(self) -> AccessSnapshot:
        return await self.service.snapshot(self.acl_filter())

    def show(self, data: AccessSnapshot) -> None:
        self.snapshot = data
        self.render_rows()

    def apply_filter(self) -> None:
        self.render_rows()

    def section(self, view: str | None = None) -> Section | None:
        if self.snapshot is None:
            return None
        return getattr(self.snapshot, view or self.view)

    def render_rows(self) -> None:
        snapshot = self.snapshot
        self._show_tabs()
        if snapshot is None:
            return
        words = self.filter_text.split()
        sensitive = any(c.isupper() for c in self.filter_text)
        if not sensitive:
            words = [w.lower() for w in words]
        for view in VIEWS:
            section: Section = getattr(snapshot, view)
            rows = [r for r in (self._row(view, item) for item in section.items) if _matches(words, sensitive, r[2])]
            self.table_of(view).set_rows([(key, cells, raw) for key, cells, raw in rows])
        self._show_view()

    def _row(self, view: str, item: Any) -> Row:
        if view == "acls":
            b: AclBinding = item
            cells = (b.principal, b.host, b.permission, b.operation, b.resource_type, b.pattern_type, b.resource_name)
            return b.key, cells, cells
        if view == "users":
            u: ScramUser = item
            mechs = ", ".join(f"{c.mechanism} ({c.iterations})" for c in u.credentials)
            return u.name, (u.name, mechs), (u.name, mechs)
        q: QuotaEntry = item
        values = ", ".join(quota_value(k, v) for k, v in q.values)
        return q.key, (q.key, values), (q.key, values)

    # -- what is on screen -------------------------------------------------------------

    def _tab_text(self, view: str) -> str:
        section = self.section(view)
        if section is None:
            state = "…"
        elif section.denied:
            state = "denied"
        elif section.error and NO_AUTHORIZER in section.error:
            state = "off"
        elif section.error:
            state = "error"
        else:
            state = str(len(section.items))
        return f"{VIEW_TITLES[view]} {state}"

    def _show_tabs(self) -> None:
        text = Text()
        for i, view in enumerate(VIEWS):
            if i:
                text.append("  ")
            style = "bold reverse" if view == self.view else ""
            text.append(f" {self._tab_text(view)} ", style=style)
        text.append("   v: next view", style="dim")
        self.query_one("#access-tabs", Static).update(text)

    def _show_view(self) -> None:
        message = self.query_one("#access-message", ViewMessage)
        focused = self.app.focused
        # The focus was on a view's table or message: it moves with the view.
        was_focused = focused is None or focused is message or any(focused is self.table_of(v) for v in VIEWS)
        for view in VIEWS:
            self.table_of(view).display = False
        section = self.section()
        blocked = section is not None and not section.ok
        table = self.table_of(self.view)
        table.display = not blocked
        message.display = blocked
        if was_focused and self.is_active:
            self.focus_default()
        if section is not None and section.denied:
            who = self.snapshot.principal if self.snapshot is not None else None
            message.update(
                f"{section.denied}.\n\n"
                f"This view is empty because {who or 'the principal kview logs in as'} may not see it, "
                "not because there is nothing to see. The other views show what it may see "
                "(v: next view)."
            )
        elif section is not None and section.error:
            message.update(f"{VIEW_TITLES[self.view]}: {section.error}")
        self._update_status()

    def _update_status(self) -> None:
        section = self.section()
        if section is None:
            return
        table = self.table_of(self.view)
        parts: list[str] = []
        if section.ok:
            shown, total = table.row_count, len(section.items)
            noun = {"acls": "bindings", "users": "users", "quotas": "entities"}[self.view]
            parts.append(f"{shown} of {total} {noun}" if shown != total else f"{total} {noun}")
        else:
            parts.append(section.denied or section.error or "")
        listed_with = self.snapshot.acl_filter if self.snapshot is not None else None
        if self.view == "acls" and listed_with != self.acl_filter():
            parts.append("loading ...")  # the scope changed; its ACLs are on the way
        elif self.view == "acls" and listed_with is not None:
            if listed_with.resource_name is not None:
                parts.append(f"applying to {listed_with.resource_type} '{listed_with.resource_name}' (c: all)")
            if listed_with.principal is not None:
                parts.append(f"of {listed_with.principal} (c: all)")
        if self.view == "quotas":
            parts.append(f"{DEFAULT_NAME}: the default")
        if self.filter_text:
            parts.append(f"filter '{self.filter_text}'")
        if self.snapshot is not None:
            parts.append(updated_at(self.snapshot.taken_at))
        text = " · ".join(parts)
        if section.ok:
            self.set_status(text)
        else:
            self.show_error(text)

    def focus_default(self) -> None:
        table = self.table_of(self.view)
        if table.display:
            table.focus()
        else:
            self.query_one("#access-message", ViewMessage).focus()

    # -- keys: moving around -----------------------------------------------------------

    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self._show_tabs()
        self._show_view()
        self.focus_default()

    def set_view(self, view: str) -> None:
        self.view = view
        self._show_tabs()
        self._show_view()
        self.focus_default()

    def show_resource(self, resource_type: str, name: str) -> None:
        """Show the ACLs that apply to one resource (a topic, a group)."""
        self.scope = (resource_type, name)
        self.principal_scope = None
        self.set_view("acls")
        self.poll_now()

    def action_clear_scope(self) -> None:
        if self.scope is None and self.principal_scope is None:
            return
        self.scope = None
        self.principal_scope = None
        self.poll_now()

    def selected(self) -> Any:
        """The object of the selected row in the current view, or None."""
        section = self.section()
        key = self.table_of(self.view).selected_key() if section is not None and section.ok else None
        if key is None or section is None:
            return None
        return next((item for item in section.items if self._row(self.view, item)[0] == key), None)

    def action_open(self) -> None:
        item = self.selected()
        if isinstance(item, AclBinding):
            literal = item.pattern_type == "LITERAL" and item.resource_name != "*"
            if item.resource_type == "TOPIC" and literal:
                self.post_message(OpenTopic(item.resource_name))
            elif item.resource_type == "GROUP" and literal:
                self.post_message(OpenGroup(item.resource_name))
        elif isinstance(item, ScramUser):
            self.scope = None
            self.principal_scope = f"User:{item.name}"
            self.set_view("acls")
            self.poll_now()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    # -- keys: writes ------------------------------------------------------------------

    def _writable(self, action: str) -> bool:
        return not self.refuse_if_read_only(action)

    def _done(self, text: str | None) -> None:
        if text:
            self.notify(text, title="Done", timeout=5)
            self.poll_now()

    def action_new(self) -> None:
        from kview.ui.screens.access_forms import AclCreateForm, PasswordForm, QuotaForm

        service = self.service
        if self.view == "acls":
            if not self._writable("create ACLs"):
                return
            kind, name = self.scope or ("TOPIC", "")
            form: Any = AclCreateForm(
                service.plan_create,
                service.create_acls,
                resource_type=kind,
                resource_name=name,
                principal=self.principal_scope or "",
            )
        elif self.view == "users":
            if not self._writable("set SCRAM password"):
                return
            form = PasswordForm(self._set_password)
        else:
            if not self._writable("set client quota"):
                return
            form = QuotaForm(service.set_quota, self._items("quotas"))
        self.app.push_screen(form, self._done)

    async def _set_password(self, user: str, password: Any, mechanisms: list[str], iterations: int) -> None:
        await self.service.set_password(user, password, mechanisms, iterations)

    def _items(self, view: str) -> tuple[Any, ...]:
        section = self.section(view)
        return section.items if section is not None else ()

    def action_edit(self) -> None:
        from kview.ui.screens.access_forms import PasswordForm, QuotaForm

        if self.view == "acls":
            self.notify("A binding is not edited: add the new one (n), delete the old (d).", timeout=5)
            return
        action = "set SCRAM password" if self.view == "users" else "set client quota"
        item = self.operation_target(action, self.selected(), "Select a row first.")
        if item is None:
            return
        if isinstance(item, ScramUser):
            iterations = max((c.iterations for c in item.credentials), default=4096)
            form: Any = PasswordForm(
                self._set_password, user=item.name, mechanisms=item.mechanisms, iterations=iterations
            )
        else:
            form = QuotaForm(self.service.set_quota, self._items("quotas"), entity=item.key)
        self.app.push_screen(form, self._done)

    def action_delete(self) -> None:
        action = {"acls": "delete ACLs", "users": "delete SCRAM user", "quotas": "remove client quota"}[self.view]
        item = self.operation_target(action, self.selected(), "Select a row first.")
        if item is None:
            return
        service = self.service
        if isinstance(item, AclBinding):
            binding = item
            self.fetch_then(
                "preview the deletion",
                lambda: service.plan_delete([binding.as_filter()]),
                lambda change: self._confirm(
                    "Delete this ACL binding?",
                    "Will change:\n" + "\n".join(change.lines()),
                    "Delete binding",
                    lambda: service.delete_acls([binding.as_filter()]),
                    lambda deleted: f"deleted {len(deleted)} ACL binding(s)",
                ),
            )
        elif isinstance(item, ScramUser):
            user = item
            self.confirm_delete(
                "SCRAM user",
                user.name,
                f"Delete SCRAM user '{user.name}'?",
                f"Its credentials ({', '.join(user.mechanisms)}) are deleted: clients logging in as "
                f"'{user.name}' with SCRAM are refused from then on. Its ACLs and quotas stay.",
                lambda: service.delete_user(user.name, user.mechanisms),
            )
        elif isinstance(item, QuotaEntry):
            entry = item
            keys = [k for k, _ in entry.values]
            self._confirm(
                f"Remove the quotas of {entry.key}?",
                "Will change:\n" + "\n".join(f"- {quota_value(k, v)}" for k, v in entry.values),
                "Remove quotas",
                lambda: service.remove_quota(entry.entity, keys),
                lambda _: f"removed the quotas of {entry.key}",
            )

    def _confirm(self, title: str, body: str, label: str, operation: Any, said: Any) -> None:
        from kview.ui.screens.confirm import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_operation(title, operation, lambda result: self._done(said(result)))

        self.app.push_screen(ConfirmScreen(title, body, confirm_label=label), confirmed)
