"""The data model of the Access views: ACL bindings and filters, SCRAM users
and client quotas, Kafka's enum ids for them by name, and the answer of a
view that the principal may not see (``Denied``).

Names are Kafka's own (``TOPIC``, ``DESCRIBE``, ``ALLOW``, ``LITERAL``),
as ``kafka-acls`` prints them, so a row reads the same in both tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kview.core.errors import InputError, KViewError

RESOURCE_TYPES: dict[int, str] = {
    1: "ANY",
    2: "TOPIC",
    3: "GROUP",
    4: "CLUSTER",
    5: "TRANSACTIONAL_ID",
    6: "DELEGATION_TOKEN",
    7: "USER",
}
"""org.apache.kafka.common.resource.ResourceType ids (0 is UNKNOWN)."""

PATTERN_TYPES: dict[int, str] = {1: "ANY", 2: "MATCH", 3: "LITERAL", 4: "PREFIXED"}
"""PatternType ids; ANY and MATCH are for filters only."""

OPERATIONS: dict[int, str] = {
    1: "ANY",
    2: "ALL",
    3: "READ",
    4: "WRITE",
    5: "CREATE",
    6: "DELETE",
    7: "ALTER",
    8: "DESCRIBE",
    9: "CLUSTER_ACTION",
    10: "DESCRIBE_CONFIGS",
    11: "ALTER_CONFIGS",
    12: "IDEMPOTENT_WRITE",
    13: "CREATE_TOKENS",
    14: "DESCRIBE_TOKENS",
    15: "TWO_PHASE_COMMIT",
}
"""AclOperation ids; ANY is for filters only."""

PERMISSIONS: dict[int, str] = {1: "ANY", 2: "DENY", 3: "ALLOW"}
"""AclPermissionType ids; ANY is for filters only."""

SCRAM_MECHANISMS: dict[int, str] = {1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512"}
"""ScramMechanism ids of the SCRAM credential APIs."""

SCRAM_MIN_ITERATIONS = 4096
SCRAM_MAX_ITERATIONS = 16384
"""What Kafka's brokers accept for a SCRAM credential's iteration count."""

QUOTA_ENTITY_TYPES = ("user", "client-id", "ip")
QUOTA_KEYS = (
    "producer_byte_rate",
    "consumer_byte_rate",
    "request_percentage",
    "controller_mutation_rate",
    "connection_creation_rate",
)
"""Quota keys a broker knows; connection_creation_rate is for IPs only,
the others for users and client ids."""

DEFAULT_NAME = "<default>"
"""How a default quota entity (a null name on the wire) is shown."""


def id_of(table: dict[int, str], name: str, what: str) -> int:
    """Kafka's id for ``name`` (any case, ``-`` for ``_``) in ``table``."""
    wanted = name.strip().upper().replace("-", "_")
    for key, value in table.items():
        if value.replace("-", "_") == wanted:
            return key
    raise InputError(f"unknown {what} {name!r}: use one of {', '.join(table.values())}")


def principal_of(text: str) -> str:
    """``alice`` -> ``User:alice``; a principal with a type stays as it is."""
    text = text.strip()
    if not text:
        raise InputError("a principal is needed (e.g. User:alice)")
    return text if ":" in text else f"User:{text}"


@dataclass(frozen=True, slots=True, order=True)
class AclBinding:
    """One ACL: who (principal, host) may or may not (permission) do what
    (operation) to which resources (type, name, pattern type)."""

    resource_type: str
    resource_name: str
    pattern_type: str
    principal: str
    host: str
    operation: str
    permission: str

    @property
    def key(self) -> str:
        """Stable and unique: every field (a table's row key)."""
        return "|".join(
            (
                self.resource_type,
                self.pattern_type,
                self.resource_name,
                self.principal,
                self.host,
                self.operation,
                self.permission,
            )
        )

    def as_filter(self) -> AclFilter:
        """The filter matching exactly this binding (to delete it alone)."""
        return AclFilter(
            resource_type=self.resource_type,
            resource_name=self.resource_name,
            pattern_type=self.pattern_type,
            principal=self.principal,
            host=self.host,
            operation=self.operation,
            permission=self.permission,
        )

    def text(self) -> str:
        """One line, in the words ``kafka-acls`` uses."""
        return (
            f"{self.principal} from {self.host}: {self.permission} {self.operation} "
            f"on {self.resource_type} {self.pattern_type} '{self.resource_name}'"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "host": self.host,
            "operation": self.operation,
            "permission": self.permission,
            "resource_type": self.resource_type,
            "resource_name": self.resource_name,
            "pattern_type": self.pattern_type,
        }


@dataclass(frozen=True, slots=True)
class AclFilter:
    """Which bindings to list or delete; None and ANY match everything.
    ``pattern_type`` MATCH finds every binding that applies to the named
    resource: the literal one, the ``*`` wildcard and matching prefixes."""

    resource_type: str = "ANY"
    resource_name: str | None = None
    pattern_type: str = "ANY"
    principal: str | None = None
    host: str | None = None
    operation: str = "ANY"
    permission: str = "ANY"

    def wire(self) -> tuple[int, str | None, int, str | None, str | None, int, int]:
        """The filter as DescribeAcls/DeleteAcls v1 order it (ids checked)."""
        return (
            id_of(RESOURCE_TYPES, self.resource_type, "resource type"),
            self.resource_name,
            id_of(PATTERN_TYPES, self.pattern_type, "pattern type"),
            self.principal,
            self.host,
            id_of(OPERATIONS, self.operation, "operation"),
            id_of(PERMISSIONS, self.permission, "permission"),
        )

    def matches(self, binding: AclBinding) -> bool:
        """Whether ``binding`` passes this filter, as the broker decides for
        ANY and exact fields (MATCH is left to the broker: True here)."""
        if self.resource_type != "ANY" and binding.resource_type != self.resource_type:
            return False
        if self.principal is not None and binding.principal != self.principal:
            return False
        if self.host is not None and binding.host != self.host:
            return False
        if self.operation != "ANY" and binding.operation != self.operation:
            return False
        if self.permission != "ANY" and binding.permission != self.permission:
            return False
        if self.pattern_type in ("ANY", "MATCH"):
            return (
                self.pattern_type == "MATCH"
                or self.resource_name is None
                or binding.resource_name == self.resource_name
            )
        return binding.pattern_type == self.pattern_type and (
            self.resource_name is None or binding.resource_name == self.resource_name
        )


def new_binding(
    *,
    principal: str,
    operation: str,
    resource_type: str,
    resource_name: str,
    permission: str = "ALLOW",
    host: str = "*",
    pattern_type: str = "LITERAL",
) -> AclBinding:
    """A binding to create, every field checked (a clear InputError else)."""
    binding = AclBinding(
        resource_type=RESOURCE_TYPES[id_of(RESOURCE_TYPES, resource_type, "resource type")],
        resource_name=resource_name.strip(),
        pattern_type=PATTERN_TYPES[id_of(PATTERN_TYPES, pattern_type, "pattern type")],
        principal=principal_of(principal),
        host=host.strip() or "*",
        operation=OPERATIONS[id_of(OPERATIONS, operation, "operation")],
        permission=PERMISSIONS[id_of(PERMISSIONS, permission, "permission")],
    )
    if binding.resource_type == "ANY" or binding.operation == "ANY" or binding.permission == "ANY":
        raise InputError("a binding names one resource type, one operation and ALLOW or DENY (not ANY)")
    if binding.pattern_type not in ("LITERAL", "PREFIXED"):
        raise InputError("a binding's pattern type is LITERAL or PREFIXED")
    if binding.resource_type == "CLUSTER":
        binding = AclBinding(
            "CLUSTER",
            "kafka-cluster",
            "LITERAL",
            binding.principal,
            binding.host,
            binding.operation,
            binding.permission,
        )
    if not binding.resource_name:
        raise InputError("a resource name is needed ('*' for every resource of the type)")
    return binding


@dataclass(frozen=True)
class AclChange:
    """What creating or deleting bindings will do, shown before it is done."""

    add: tuple[AclBinding, ...] = ()
    """Bindings that do not exist yet and will be created."""
    present: tuple[AclBinding, ...] = ()
    """Bindings asked for that exist already (no change)."""
    remove: tuple[AclBinding, ...] = ()
    """Bindings that exist and will be deleted."""

    @property
    def empty(self) -> bool:
        return not self.add and not self.remove

    def lines(self) -> list[str]:
        """The preview: one line per binding, ``+`` added, ``-`` deleted, ``=`` unchanged."""
        out = [f"+ {b.text()}" for b in self.add]
        out += [f"- {b.text()}" for b in self.remove]
        out += [f"= {b.text()} (exists already)" for b in self.present]
        return out or ["no change"]


@dataclass(frozen=True, slots=True)
class ScramCredential:
    mechanism: str
    iterations: int


@dataclass(frozen=True, slots=True)
class ScramUser:
    """A user with SCRAM credentials: which mechanisms and their iterations
    (the broker never tells the secrets, and kview never asks)."""

    name: str
    credentials: tuple[ScramCredential, ...]

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return tuple(c.mechanism for c in self.credentials)

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.name,
            "credentials": [{"mechanism": c.mechanism, "iterations": c.iterations} for c in self.credentials],
        }


@dataclass(frozen=True, slots=True)
class QuotaEntry:
    """The quotas of one entity: ``entity`` is ((type, name or None for the
    default), ...) sorted by type, e.g. (("client-id", None), ("user", "alice"))."""

    entity: tuple[tuple[str, str | None], ...]
    values: tuple[tuple[str, float], ...]

    @property
    def key(self) -> str:
        return entity_text(self.entity)

    def value(self, key: str) -> float | None:
        return dict(self.values).get(key)

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": [{"type": t, "name": n, "default": n is None} for t, n in self.entity],
            "values": [{"key": k, "value": v} for k, v in self.values],
        }


def entity_text(entity: tuple[tuple[str, str | None], ...]) -> str:
    """``user=alice, client-id=<default>``."""
    return ", ".join(f"{t}={DEFAULT_NAME if n is None else n}" for t, n in entity)


def parse_entity(text: str) -> tuple[tuple[str, str | None], ...]:
    """``user=alice`` or ``user=alice,client-id=app`` or ``ip=<default>``
    (``<default>`` or an empty name: the default entity)."""
    parts: dict[str, str | None] = {}
    for piece in text.split(","):
        piece = piece.strip()
        if not piece:
            continue
        kind, sep, name = piece.partition("=")
        kind = kind.strip().lower()
        if kind in ("client", "clientid", "client_id"):
            kind = "client-id"
        if not sep or kind not in QUOTA_ENTITY_TYPES:
            raise InputError(f"{piece!r}: write TYPE=NAME with TYPE one of {', '.join(QUOTA_ENTITY_TYPES)}")
        if kind in parts:
            raise InputError(f"{kind} named twice in {text!r}")
        name = name.strip()
        parts[kind] = None if name in ("", DEFAULT_NAME) else name
    if not parts:
        raise InputError("name an entity: user=NAME, client-id=NAME or ip=ADDRESS (<default> for the default)")
    if "ip" in parts and len(parts) > 1:
        raise InputError("an ip quota stands alone (no user or client-id with it)")
    return tuple(sorted(parts.items()))


@dataclass(frozen=True)
class Section:
    """One view's answer: its items, or why it has none to show.
    ``denied`` is set when the principal may not see the view at all."""

    items: tuple[Any, ...] = ()
    denied: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.denied is None and self.error is None


@dataclass(frozen=True)
class AccessSnapshot:
    """The three views at one time, each on its own: a principal allowed
    to see one still sees it when another is denied."""

    acls: Section
    users: Section
    quotas: Section
    taken_at: float
    principal: str | None = field(default=None)
    """Who kview is logged in as (None: no SASL user)."""
    acl_filter: AclFilter | None = None
    """The filter the ACLs were listed with."""


class AccessDenied(KViewError):
    """The principal kview is logged in as may not do this; the message
    names what it tried and the permission it needs."""
