"""The Access pane's forms: a new ACL binding (or several, one per
operation) with a preview of what will be added before anything is sent;
a SCRAM user's password, typed twice in masked fields; a client quota.

Each form checks what was typed as the user types, runs its write inside the
modal (Kafka's refusal is shown there, nothing typed is lost) and dismisses
with a line saying what was done.  Passwords live only in the masked inputs
and in a ``Secret`` handed to the service; the inputs are cleared when the
form closes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from kview.core.access import AclBinding, AclChange, QuotaEntry, entity_text, new_binding, parse_entity
from kview.core.access.models import (
    OPERATIONS,
    QUOTA_KEYS,
    SCRAM_MAX_ITERATIONS,
    SCRAM_MIN_ITERATIONS,
)
from kview.core.config import Secret
from kview.core.errors import InputError
from kview.ui.screens.operation_form import OperationForm


def _row(label: str, widget: Input) -> Horizontal:
    return Horizontal(Label(label), widget, classes="row")


class AclCreateForm(OperationForm[str]):
    """New bindings: one per operation listed.  The first ctrl+s shows the
    preview (what will be added, what exists already); the second creates."""

    def __init__(
        self,
        plan: Callable[[list[AclBinding]], Awaitable[AclChange]],
        create: Callable[[list[AclBinding]], Awaitable[int]],
        *,
        resource_type: str = "TOPIC",
        resource_name: str = "",
        principal: str = "",
    ) -> None:
        super().__init__()
        self.plan = plan
        self.create = create
        self.defaults = {
            "principal": principal,
            "host": "*",
            "permission": "ALLOW",
            "operations": "READ,DESCRIBE",
            "resource_type": resource_type,
            "resource_name": resource_name,
            "pattern_type": "LITERAL",
        }
        self.change: AclChange | None = None
        """The preview shown; the next submit creates exactly its bindings."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("New ACL binding(s)", classes="title")
            fields = (
                ("principal", "Principal", "User:alice"),
                ("host", "Host", "* for any"),
                ("permission", "Permission", "ALLOW or DENY"),
                ("operations", "Operations", "READ,WRITE,DESCRIBE,..."),
                ("resource_type", "Resource type", "TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID"),
                ("resource_name", "Resource name", "* for every one"),
                ("pattern_type", "Pattern type", "LITERAL or PREFIXED"),
            )
            for field, label, placeholder in fields:
                yield _row(label, Input(self.defaults[field], id=f"acl-{field}", placeholder=placeholder, compact=True))
            yield Static("", id="problem-binding", classes="problem")
            yield Static("", id="acl-preview", classes="muted")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Preview", id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("ctrl+s: preview, then ctrl+s again creates · esc cancels", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#acl-principal" if not self.defaults["principal"] else "#acl-operations", Input).focus()

    def value(self, field: str) -> str:
        return self.query_one(f"#acl-{field}", Input).value

    def bindings(self) -> list[AclBinding]:
        operations = [op.strip() for op in self.value("operations").split(",") if op.strip()]
        if not operations:
            raise InputError(f"name at least one operation ({', '.join(list(OPERATIONS.values())[1:])})")
        return [
            new_binding(
                principal=self.value("principal"),
                host=self.value("host"),
                permission=self.value("permission"),
                operation=op,
                resource_type=self.value("resource_type"),
                resource_name=self.value("resource_name"),
                pattern_type=self.value("pattern_type"),
            )
            for op in operations
        ]

    def on_input_changed(self, event: Input.Changed) -> None:
        # What is previewed is what gets created: a change asks for a new preview.
        if self.change is not None:
            self.change = None
            self.query_one("#acl-preview", Static).update("")
            self.query_one("#form-submit", Button).label = "Preview"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def submit(self) -> None:
        try:
            bindings = self.bindings()
        except InputError as exc:
            self.show_problems({"binding": str(exc)})
            return
        self.show_problems({})
        change = self.change
        if change is None:
            self.run_operation(lambda: self.plan(bindings), self._previewed)
        elif change.empty:
            self.dismiss("nothing to add: every binding exists already")
        else:
            self.run_operation(lambda: self.create(list(change.add)), self._created)

    def _previewed(self, change: AclChange) -> None:
        self.change = change
        self.query_one("#acl-preview", Static).update("Will change:\n" + "\n".join(change.lines()))
        self.query_one("#form-submit", Button).label = f"Create {len(change.add)}" if change.add else "Close"

    def _created(self, count: int) -> None:
        self.dismiss(f"created {count} ACL binding(s)")


class PasswordForm(OperationForm[str]):
    """A SCRAM user's password, typed twice (masked); for a new user, its
    name too.  ``mechanisms`` and ``iterations`` start as the user has them."""

    def __init__(
        self,
        set_password: Callable[[str, Secret, list[str], int], Awaitable[None]],
        *,
        user: str | None = None,
        mechanisms: tuple[str, ...] = ("SCRAM-SHA-512",),
        iterations: int = 4096,
    ) -> None:
        super().__init__()
        self.set_password = set_password
        self.user = user
        self.mechanisms = mechanisms or ("SCRAM-SHA-512",)
        self.iterations = iterations

    def __repr__(self) -> str:
        return f"PasswordForm(user={self.user!r})"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = f"Change the password of '{self.user}'" if self.user else "New SCRAM user"
            yield Label(title, classes="title")
            if self.user is None:
                yield _row("User name", Input("", id="pw-user", placeholder="alice", compact=True))
            yield _row("Password", Input("", id="pw-password", password=True, compact=True))
            yield _row("Again", Input("", id="pw-again", password=True, compact=True))
            yield _row("Mechanisms", Input(",".join(self.mechanisms), id="pw-mechanisms", compact=True))
            yield _row("Iterations", Input(str(self.iterations), id="pw-iterations", restrict=r"[0-9]*", compact=True))
            yield Static("", id="problem-password", classes="problem")
            yield Static(
                "The broker keeps only a salted hash; kview never shows, logs or keeps the password.",
                classes="muted",
            )
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                label = "Change password" if self.user else "Create user"
                yield Button(label, id="form-submit", variant="warning", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("ctrl+s applies · esc cancels", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#pw-user" if self.user is None else "#pw-password", Input).focus()

    def _value(self, field: str) -> str:
        return self.query_one(f"#pw-{field}", Input).value

    def problems(self) -> dict[str, str]:
        user = self.user if self.user is not None else self._value("user").strip()
        if not user:
            return {"password": "a user name is needed"}
        if not self._value("password"):
            return {"password": "type the password"}
        if self._value("password") != self._value("again"):
            return {"password": "the two passwords differ"}
        iterations = self._value("iterations")
        if not iterations.isdigit() or not SCRAM_MIN_ITERATIONS <= int(iterations) <= SCRAM_MAX_ITERATIONS:
            return {"password": f"iterations: {SCRAM_MIN_ITERATIONS} to {SCRAM_MAX_ITERATIONS}"}
        return {}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def submit(self) -> None:
        problems = self.problems()
        self.show_problems(problems)
        if problems:
            return
        user = self.user if self.user is not None else self._value("user").strip()
        secret = Secret(self._value("password"))
        mechanisms = [m.strip() for m in self._value("mechanisms").split(",") if m.strip()]
        iterations = int(self._value("iterations"))
        done = f"changed the password of '{user}'" if self.user else f"created SCRAM user '{user}'"
        self.run_operation(lambda: self.set_password(user, secret, mechanisms, iterations), lambda _: self._done(done))

    def _done(self, text: str) -> None:
        self._clear()
        self.dismiss(text)

    def action_cancel(self) -> None:
        self._clear()
        super().action_cancel()

    def _clear(self) -> None:
        for field in ("password", "again"):
            self.query_one(f"#pw-{field}", Input).value = ""


class QuotaForm(OperationForm[str]):
    """Set one quota of an entity (``user=alice``, ``client-id=app``,
    ``ip=10.0.0.1``, ``user=<default>``); shows the value it replaces."""

    def __init__(
        self,
        set_quota: Callable[[tuple[tuple[str, str | None], ...], str, float], Awaitable[None]],
        current: tuple[QuotaEntry, ...],
        *,
        entity: str = "",
    ) -> None:
        super().__init__()
        self.set_quota = set_quota
        self.current = {e.key: e for e in current}
        self.entity = entity

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Set a client quota", classes="title")
            yield _row("Entity", Input(self.entity, id="quota-entity", placeholder="user=alice", compact=True))
            yield _row("Quota", Input("producer_byte_rate", id="quota-key", compact=True))
            yield _row(
                "Value", Input("", id="quota-value", placeholder="bytes/s, or % for request_percentage", compact=True)
            )
            yield Static(f"quotas: {', '.join(QUOTA_KEYS)}", classes="muted")
            yield Static("", id="problem-quota", classes="problem")
            yield Static("", id="quota-preview", classes="muted")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Set quota", id="form-submit", variant="warning", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
            yield Static("ctrl+s applies · esc cancels", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#quota-value" if self.entity else "#quota-entity", Input).focus()
        self._preview()

    def parsed(self) -> tuple[Any, str, float]:
        entity = parse_entity(self.query_one("#quota-entity", Input).value)
        key = self.query_one("#quota-key", Input).value.strip()
        if key not in QUOTA_KEYS:
            raise InputError(f"unknown quota {key!r}")
        text = self.query_one("#quota-value", Input).value.strip()
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"the value must be a number, not {text!r}") from None
        if value < 0:
            raise InputError("the value must be 0 or more")
        return entity, key, value

    def _preview(self) -> None:
        """What the entity has now for that quota, next to what it will have."""
        preview = self.query_one("#quota-preview", Static)
        try:
            entity = parse_entity(self.query_one("#quota-entity", Input).value)
        except InputError:
            preview.update("")
            return
        key = self.query_one("#quota-key", Input).value.strip()
        entry = self.current.get(entity_text(entity))
        now = entry.value(key) if entry is not None else None
        preview.update(f"{entity_text(entity)} {key}: now {'not set' if now is None else f'{now:g}'}")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def submit(self) -> None:
        try:
            entity, key, value = self.parsed()
        except InputError as exc:
            self.show_problems({"quota": str(exc)})
            return
        self.show_problems({})
        done = f"set {key}={value:g} for {entity_text(entity)}"
        self.run_operation(lambda: self.set_quota(entity, key, value), lambda _: self.dismiss(done))
