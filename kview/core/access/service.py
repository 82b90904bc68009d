"""AccessService: ACL bindings, SCRAM users and client quotas of one cluster,
read and changed through ``ClusterClient`` (any broker answers; KRaft
brokers forward the writes to the controller).

Every refusal by the authorizer becomes an ``AccessDenied`` naming what was
tried and the permission it takes, never an empty list; ``snapshot()`` asks
the three views separately so that one denied leaves the others shown.
Writes are ``@write_action``s (refused in read-only mode); each has a
preview (``plan_create``, ``plan_delete``) that says what will change.
Passwords arrive as ``Secret``s, are registered for redaction from logs,
salted here and sent only as SCRAM's salted password."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kview.core.access.models import (
    OPERATIONS,
    PATTERN_TYPES,
    PERMISSIONS,
    QUOTA_KEYS,
    RESOURCE_TYPES,
    SCRAM_MAX_ITERATIONS,
    SCRAM_MECHANISMS,
    SCRAM_MIN_ITERATIONS,
    AccessDenied,
    AccessSnapshot,
    AclBinding,
    AclChange,
    AclFilter,
    QuotaEntry,
    ScramCredential,
    ScramUser,
    Section,
    entity_text,
    id_of,
)
from kview.core.errors import InputError, KafkaRequestError, KViewError, describe_exception
from kview.core.protocol.access_requests import (
    AlterClientQuotasRequest,
    AlterUserScramCredentialsRequest,
    CreateAclsManyRequest,
    DeleteAclsManyRequest,
    DescribeAclsFilterRequest,
    DescribeClientQuotasRequest,
    DescribeUserScramCredentialsRequest,
)
from kview.core.readonly import write_action

if TYPE_CHECKING:
    from kview.core.cluster import ClusterClient
    from kview.core.config import Secret

TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30
CLUSTER_AUTHORIZATION_FAILED = 31
SECURITY_DISABLED = 54
RESOURCE_NOT_FOUND = 91
DENIED_CODES = frozenset({TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED})

NO_AUTHORIZER = "no authorizer is configured on the brokers: ACLs are off on this cluster"

_HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}


def denied(what: str, needs: str) -> AccessDenied:
    """``not authorised to describe ACLs (needs DESCRIBE on the cluster)``."""
    return AccessDenied(f"not authorised to {what} (needs {needs})")


def _check(code: int, message: str | None, what: str, needs: str) -> None:
    if code in DENIED_CODES:
        raise denied(what, needs)
    if code == SECURITY_DISABLED:
        raise KafkaRequestError(code, NO_AUTHORIZER, subject=what)
    if code:
        raise KafkaRequestError(code, message, subject=what)


def salted_password(password: str, salt: bytes, iterations: int, mechanism: str) -> bytes:
    """SCRAM's SaltedPassword (RFC 5802): PBKDF2 with the mechanism's HMAC,
    what the broker stores in place of the password."""
    return hashlib.pbkdf2_hmac(_HASHES[mechanism], password.encode("utf-8"), salt, iterations)


def _binding(resource_type: int, name: str, pattern: int, acl: Any) -> AclBinding:
    principal, host, operation, permission = acl
    return AclBinding(
        resource_type=RESOURCE_TYPES.get(resource_type, f"UNKNOWN({resource_type})"),
        resource_name=name,
        pattern_type=PATTERN_TYPES.get(pattern, f"UNKNOWN({pattern})"),
        principal=principal,
        host=host,
        operation=OPERATIONS.get(operation, f"UNKNOWN({operation})"),
        permission=PERMISSIONS.get(permission, f"UNKNOWN({permission})"),
    )


def _wire(binding: AclBinding) -> tuple[int, str, int, str, str, int, int]:
    return (
        id_of(RESOURCE_TYPES, binding.resource_type, "resource type"),
        binding.resource_name,
        id_of(PATTERN_TYPES, binding.pattern_type, "pattern type"),
        binding.principal,
        binding.host,
        id_of(OPERATIONS, binding.operation, "operation"),
        id_of(PERMISSIONS, binding.permission, "permission"),
    )


class AccessService:
    """The Access views of the cluster behind ``client``."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    @property
    def principal(self) -> str | None:
        """``User:<name>`` kview logs in as over SASL, else None."""
        security = self.client.profile.security
        return f"User:{security.username}" if security.uses_sasl and security.username else None

    # -- ACLs --------------------------------------------------------------------------

    async def acls(self, acl_filter: AclFilter | None = None) -> tuple[AclBinding, ...]:
        """Every binding matching ``acl_filter`` (all of them by default), sorted."""
        acl_filter = acl_filter or AclFilter()
        response = await self.client.send_any(DescribeAclsFilterRequest(acl_filter.wire()), "describe ACLs")
        _check(response.error_code, response.error_message, "describe ACLs", "DESCRIBE on the cluster")
        bindings = [
            _binding(rtype, name, pattern, acl) for rtype, name, pattern, acls in response.resources for acl in acls
        ]
        return tuple(sorted(bindings))

    async def plan_create(self, bindings: Iterable[AclBinding]) -> AclChange:
        """Which of ``bindings`` are new and which exist already."""
        wanted = list(dict.fromkeys(bindings))
        existing: set[AclBinding] = set()
        for binding in wanted:
            existing.update(await self.acls(binding.as_filter()))
        return AclChange(
            add=tuple(b for b in wanted if b not in existing), present=tuple(b for b in wanted if b in existing)
        )

    async def plan_delete(self, filters: Iterable[AclFilter]) -> AclChange:
        """The bindings that deleting with ``filters`` would remove."""
        found: dict[AclBinding, None] = {}
        for acl_filter in filters:
            for binding in await self.acls(acl_filter):
                found[binding] = None
        return AclChange(remove=tuple(sorted(found)))

    @write_action("create ACLs")
    async def create_acls(self, bindings: Iterable[AclBinding]) -> int:
        """Create ``bindings`` (existing ones are left as they are); how many were sent."""
        wanted = list(dict.fromkeys(bindings))
        if not wanted:
            return 0
        response = await self.client.send_any(CreateAclsManyRequest([_wire(b) for b in wanted]), "create ACLs")
        failures = []
        for binding, (code, message) in zip(wanted, response.creation_responses, strict=False):
            if code in DENIED_CODES:
                raise denied("create ACLs", "ALTER on the cluster")
            if code:
                failures.append(f"{binding.text()}: {KafkaRequestError(code, message)}")
        if failures:
            raise KViewError("; ".join(failures))
        return len(wanted)

    @write_action("delete ACLs")
    async def delete_acls(self, filters: Iterable[AclFilter]) -> tuple[AclBinding, ...]:
        """Delete every binding matching one of ``filters``; the bindings deleted."""
        filters = list(filters)
        if not filters:
            return ()
        response = await self.client.send_any(DeleteAclsManyRequest([f.wire() for f in filters]), "delete ACLs")
        deleted: list[AclBinding] = []
        for code, message, matching in response.filter_responses:
            _check(code, message, "delete ACLs", "ALTER on the cluster")
            for m_code, m_message, rtype, name, pattern, principal, host, operation, permission in matching:
                if m_code:
                    raise KafkaRequestError(m_code, m_message, subject="delete ACLs")
                deleted.append(_binding(rtype, name, pattern, (principal, host, operation, permission)))
        return tuple(sorted(set(deleted)))

    # -- SCRAM users -------------------------------------------------------------------

    async def users(self, names: list[str] | None = None) -> tuple[ScramUser, ...]:
        """Users with SCRAM credentials (all, or ``names``), by name.  A named
        user without credentials is an InputError saying so."""
        response = await self.client.send_any(DescribeUserScramCredentialsRequest(names), "describe SCRAM users")
        _check(response.error_code, response.error_message, "describe SCRAM users", "DESCRIBE on the cluster")
        users = []
        for name, code, message, infos, _tags in response.results:
            if code == RESOURCE_NOT_FOUND:
                raise InputError(f"user '{name}' has no SCRAM credentials")
            _check(code, message, f"describe SCRAM user '{name}'", "DESCRIBE on the cluster")
            creds = tuple(
                sorted(
                    (ScramCredential(SCRAM_MECHANISMS.get(m, f"UNKNOWN({m})"), i) for m, i, _t in infos),
                    key=lambda c: c.mechanism,
                )
            )
            users.append(ScramUser(name, creds))
        return tuple(sorted(users, key=lambda u: u.name))

    @write_action("set SCRAM password")
    async def set_password(
        self, user: str, password: Secret, mechanisms: Iterable[str] = ("SCRAM-SHA-512",), iterations: int = 4096
    ) -> None:
        """Create the user's SCRAM credential for each mechanism, or change
        its password: the same request either way."""
        from kview.core.logs import register_secrets

        user = user.strip()
        if not user:
            raise InputError("a user name is needed")
        if not password.reveal():
            raise InputError("the password is empty")
        if not SCRAM_MIN_ITERATIONS <= iterations <= SCRAM_MAX_ITERATIONS:
            raise InputError(f"iterations must be {SCRAM_MIN_ITERATIONS} to {SCRAM_MAX_ITERATIONS}")
        register_secrets([password.reveal()])
        upserts = []
        for mechanism in dict.fromkeys(m.strip().upper() for m in mechanisms):
            if mechanism not in _HASHES:
                raise InputError(f"unknown mechanism {mechanism!r}: use SCRAM-SHA-256 or SCRAM-SHA-512")
            salt = secrets.token_bytes(32)
            mechanism_id = id_of(SCRAM_MECHANISMS, mechanism, "mechanism")
            upserts.append(
                (user, mechanism_id, iterations, salt, salted_password(password.reveal(), salt, iterations, mechanism))
            )
        if not upserts:
            raise InputError("choose at least one mechanism")
        # One request per mechanism: a broker refuses a request that alters
        # the same user twice (DUPLICATE_RESOURCE).
        for upsert in upserts:
            await self._alter_scram([], [upsert], f"set the password of '{user}'")

    @write_action("delete SCRAM user")
    async def delete_user(self, user: str, mechanisms: Iterable[str] | None = None) -> tuple[str, ...]:
        """Delete the user's SCRAM credentials (every mechanism it has by
        default); the mechanisms deleted."""
        if mechanisms is None:
            found = await self.users([user])
            mechanisms = found[0].mechanisms if found else ()
        chosen = tuple(dict.fromkeys(mechanisms))
        if not chosen:
            raise InputError(f"user '{user}' has no SCRAM credentials")
        for mechanism in chosen:  # one a request, as for set_password
            deletion = (user, id_of(SCRAM_MECHANISMS, mechanism, "mechanism"))
            await self._alter_scram([deletion], [], f"delete SCRAM user '{user}'")
        return chosen

    async def _alter_scram(self, deletions: list[tuple[str, int]], upserts: list[Any], what: str) -> None:
        response = await self.client.send_any(AlterUserScramCredentialsRequest(deletions, upserts), what)
        for _name, code, message, _tags in response.results:
            _check(code, message, what, "ALTER on the cluster")

    # -- client quotas -----------------------------------------------------------------

    async def quotas(self, entity_type: str | None = None) -> tuple[QuotaEntry, ...]:
        """Every entity with quotas (defaults included), or those involving
        ``entity_type`` (user, client-id, ip), sorted by entity."""
        response = await self.client.send_any(DescribeClientQuotasRequest([], strict=False), "describe client quotas")
        _check(response.error_code, response.error_message, "describe client quotas", "DESCRIBE_CONFIGS on the cluster")
        entries = []
        for item in response.entries or ():
            entity_raw, values_raw = item[0], item[1]
            entity = tuple(sorted((e[0], e[1]) for e in entity_raw))
            if entity_type is not None and entity_type not in {t for t, _ in entity}:
                continue
            values = tuple(sorted((v[0], v[1]) for v in values_raw))
            entries.append(QuotaEntry(entity, values))
        return tuple(sorted(entries, key=lambda e: e.key))

    @write_action("set client quota")
    async def set_quota(self, entity: tuple[tuple[str, str | None], ...], key: str, value: float) -> None:
        """Set one quota key of ``entity`` (see ``models.parse_entity``)."""
        if key not in QUOTA_KEYS:
            raise InputError(f"unknown quota {key!r}: use one of {', '.join(QUOTA_KEYS)}")
        if value < 0:
            raise InputError("a quota is a number >= 0")
        await self._alter_quota(entity, [(key, float(value), False)], f"set {key} of {entity_text(entity)}")

    @write_action("remove client quota")
    async def remove_quota(self, entity: tuple[tuple[str, str | None], ...], keys: Iterable[str]) -> None:
        """Remove quota keys of ``entity`` (the entity goes when none is left)."""
        ops = [(k, 0.0, True) for k in keys]
        if not ops:
            raise InputError("name a quota to remove")
        await self._alter_quota(entity, ops, f"remove quotas of {entity_text(entity)}")

    async def _alter_quota(self, entity: tuple[tuple[str, str | None], ...], ops: list[Any], what: str) -> None:
        response = await self.client.send_any(AlterClientQuotasRequest([(entity, ops)]), what)
        for item in response.entries:
            _check(item[0], item[1], what, "ALTER_CONFIGS on the cluster")

    # -- the three at once -------------------------------------------------------------

    async def snapshot(self, acl_filter: AclFilter | None = None) -> AccessSnapshot:
        """ACLs, users and quotas, each asked on its own: a view the
        principal may not see says so, the others are still shown."""

        async def section(coro: Any) -> Section:
            try:
                return Section(items=await coro)
            except AccessDenied as exc:
                return Section(denied=str(exc))
            except KViewError as exc:
                return Section(error=str(exc))
            except Exception as exc:  # shown in the view, and the others go on
                return Section(error=describe_exception(exc))

        acls, users, quotas = await asyncio.gather(
            section(self.acls(acl_filter)), section(self.users()), section(self.quotas())
        )
        return AccessSnapshot(
            acls=acls,
            users=users,
            quotas=quotas,
            taken_at=time.time(),
            principal=self.principal,
            acl_filter=acl_filter or AclFilter(),
        )
