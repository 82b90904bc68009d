"""``kview acls``, ``kview users`` and ``kview quotas``: ACL bindings, SCRAM
users and client quotas as tables or JSON (``kview.headless.schema``).

A view the principal may not see ends the command with "not authorised to
..." on stderr and exit code 1, never with an empty table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kview.core.access import AccessService, AclFilter, QuotaEntry, ScramUser, entity_text, principal_of
from kview.core.access.models import DEFAULT_NAME
from kview.core.format import quota_value
from kview.headless.render import Doc, Part, Printer, _document, _table
from kview.headless.runner import RunState, UsageError, refresh_loop

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.access import AclBinding
    from kview.core.cluster import ClusterClient


def acl_filter_of(args: Namespace) -> AclFilter:
    """The filter the arguments name: ``--topic``/``--group``/``--cluster``/
    ``--transactional-id`` (MATCH by default: every binding that applies),
    or ``--resource-type`` with ``--name``; ``--principal``."""
    named = [
        (kind, value)
        for kind, value in (
            ("TOPIC", args.topic),
            ("GROUP", args.group),
            ("TRANSACTIONAL_ID", args.transactional_id),
            ("CLUSTER", "kafka-cluster" if args.cluster_acls else None),
        )
        if value is not None
    ]
    if len(named) > 1:
        raise UsageError("name one resource: --topic, --group, --transactional-id or --cluster")
    resource_type, name = named[0] if named else (args.resource_type or "ANY", args.name)
    if named and args.resource_type:
        raise UsageError("--resource-type goes with --name, not with --topic/--group/--cluster")
    pattern = args.pattern_type or ("MATCH" if name is not None else "ANY")
    principal = principal_of(args.principal) if args.principal else None
    return AclFilter(
        resource_type=resource_type.upper().replace("-", "_"),
        resource_name=name,
        pattern_type=pattern.upper(),
        principal=principal,
    )


def acls_doc(bindings: tuple[AclBinding, ...], acl_filter: AclFilter, taken_at: float) -> Doc:
    return _document(
        "acls",
        taken_at,
        filter={
            "principal": acl_filter.principal,
            "resource_type": acl_filter.resource_type,
            "resource_name": acl_filter.resource_name,
            "pattern_type": acl_filter.pattern_type,
        },
        acls=[b.to_json() for b in bindings],
    )


def acls_view(doc: Doc) -> list[Part]:
    if not doc["acls"]:
        return ["no ACL bindings match" if any(v not in (None, "ANY") for v in doc["filter"].values()) else "no ACLs"]
    table = _table("PRINCIPAL", "HOST", "PERMISSION", "OPERATION", "RESOURCE", "PATTERN", "NAME")
    for b in doc["acls"]:
        table.add_row(
            b["principal"],
            b["host"],
            b["permission"],
            b["operation"],
            b["resource_type"],
            b["pattern_type"],
            b["resource_name"],
        )
    return [table, f"{len(doc['acls'])} binding(s)"]


def users_doc(users: tuple[ScramUser, ...], taken_at: float) -> Doc:
    return _document("users", taken_at, users=[u.to_json() for u in users])


def users_view(doc: Doc) -> list[Part]:
    if not doc["users"]:
        return ["no users with SCRAM credentials"]
    table = _table("USER", "MECHANISMS")
    for u in doc["users"]:
        table.add_row(
            u["user"], ", ".join(f"{c['mechanism']} ({c['iterations']} iterations)" for c in u["credentials"])
        )
    return [table]


def quotas_doc(entries: tuple[QuotaEntry, ...], entity_type: str | None, taken_at: float) -> Doc:
    return _document("quotas", taken_at, type=entity_type, quotas=[e.to_json() for e in entries])


def quotas_view(doc: Doc) -> list[Part]:
    if not doc["quotas"]:
        return [f"no {doc['type']} quotas" if doc["type"] else "no client quotas"]
    table = _table("ENTITY", "QUOTAS")
    for q in doc["quotas"]:
        entity = tuple((e["type"], e["name"]) for e in q["entity"])
        values = ", ".join(quota_value(v["key"], v["value"]) for v in q["values"])
        table.add_row(entity_text(entity), values)
    return [table, f"{DEFAULT_NAME}: the default for every entity of that type without its own quota"]


async def cmd_acls(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    import time

    acl_filter = acl_filter_of(args)
    service = AccessService(client)

    async def fetch() -> Doc:
        return acls_doc(await service.acls(acl_filter), acl_filter, time.time())

    return await refresh_loop(args, printer, state, fetch, acls_view)


async def cmd_users(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    import time

    service = AccessService(client)

    async def fetch() -> Doc:
        return users_doc(await service.users(args.users or None), time.time())

    return await refresh_loop(args, printer, state, fetch, users_view)


async def cmd_quotas(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    import time

    service = AccessService(client)

    async def fetch() -> Doc:
        return quotas_doc(await service.quotas(args.type), args.type, time.time())

    return await refresh_loop(args, printer, state, fetch, quotas_view)
