"""Access requests aiokafka 0.14 lacks or sends one item at a time:
DescribeClientQuotas (API 48), AlterClientQuotas (API 49),
DescribeUserScramCredentials (API 50), AlterUserScramCredentials (API 51),
and CreateAcls / DeleteAcls carrying several bindings or filters in one
request (aiokafka's builders take one; its v1 structs are reused here).

Layouts follow Kafka's message definitions
(clients/src/main/resources/common/message/*.json).  Only wire formats live
here; kview.core.access turns the answers into kview's dataclasses.

The SCRAM upsertion carries a salt and a salted password: both are kept out
of every repr (aiokafka logs requests at debug level), see
``AlterUserScramCredentialsRequest_v0.__repr__``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    Array,
    Boolean,
    CompactArray,
    CompactBytes,
    CompactString,
    Float64,
    Int8,
    Int16,
    Int32,
    Schema,
    String,
)

from kview.core.protocol.cluster_requests import Tags

_STR = String("utf-8")
_CSTR = CompactString("utf-8")

AclTuple: TypeAlias = tuple[int, str | None, int, str | None, str | None, int, int]
"""(resource type, resource name, pattern type, principal, host, operation,
permission) as DescribeAcls v1+ and CreateAcls v1+ order them."""


# -- ACLs (APIs 29, 30, 31): aiokafka's v1 structs, several items a request -------------


class DescribeAclsFilterRequest(Request[DescribeAclsRequest_v1]):
    """DescribeAcls v1 (v0 is gone from Kafka 4, and aiokafka's v2 is not
    really flexible): every binding matching one filter."""

    API_KEY = 29

    def __init__(self, acl_filter: AclTuple) -> None:
        self.filter = acl_filter

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        return request_struct_class(*self.filter)


class CreateAclsManyRequest(Request[CreateAclsRequest_v1]):
    """CreateAcls v1 with every binding in one request (one result each, in order)."""

    API_KEY = 30

    def __init__(self, bindings: list[AclTuple]) -> None:
        self.bindings = list(bindings)

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self.bindings)


class DeleteAclsManyRequest(Request[DeleteAclsRequest_v1]):
    """DeleteAcls v1 with several filters; each answer lists the bindings it deleted."""

    API_KEY = 31

    def __init__(self, filters: list[AclTuple]) -> None:
        self.filters = list(filters)

    def build(self, request_struct_class: type[DeleteAclsRequest_v1]) -> DeleteAclsRequest_v1:
        return request_struct_class(self.filters)


# -- DescribeClientQuotas (API 48): v0 classic, v1 flexible -----------------------------


class DescribeClientQuotasResponse_v0(Response):
    API_KEY = 48
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", _STR),
        (
            "entries",
            Array(
                ("entity", Array(("entity_type", _STR), ("entity_name", _STR))),
                ("values", Array(("key", _STR), ("value", Float64))),
            ),
        ),
    )


class DescribeClientQuotasResponse_v1(Response):
    API_KEY = 48
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", _CSTR),
        (
            "entries",
            CompactArray(
                ("entity", CompactArray(("entity_type", _CSTR), ("entity_name", _CSTR), ("tags", Tags))),
                ("values", CompactArray(("key", _CSTR), ("value", Float64), ("tags", Tags))),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


class DescribeClientQuotasRequest_v0(RequestStruct):
    API_KEY = 48
    API_VERSION = 0
    RESPONSE_TYPE = DescribeClientQuotasResponse_v0
    SCHEMA = Schema(
        ("components", Array(("entity_type", _STR), ("match_type", Int8), ("match", _STR))),
        ("strict", Boolean),
    )


class DescribeClientQuotasRequest_v1(RequestStruct):
    API_KEY = 48
    API_VERSION = 1
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeClientQuotasResponse_v1
    SCHEMA = Schema(
        ("components", CompactArray(("entity_type", _CSTR), ("match_type", Int8), ("match", _CSTR), ("tags", Tags))),
        ("strict", Boolean),
        ("tags", Tags),
    )


MATCH_EXACT = 0
MATCH_DEFAULT = 1
MATCH_ANY = 2
"""DescribeClientQuotas match types: an exact name, the default entity, any named one."""


class DescribeClientQuotasRequest(Request[DescribeClientQuotasRequest_v0 | DescribeClientQuotasRequest_v1]):
    """Quotas of the entities matching ``components``: ``[(entity type,
    match type, name or None), ...]``; an empty list with ``strict=False``
    asks for every entity."""

    API_KEY = 48

    def __init__(self, components: list[tuple[str, int, str | None]], strict: bool = False) -> None:
        self.components = list(components)
        self.strict = strict

    def build(self, request_struct_class: Any) -> Any:
        if not request_struct_class.FLEXIBLE_VERSION:
            return request_struct_class(self.components, self.strict)
        return request_struct_class([(*c, {}) for c in self.components], self.strict, {})


# -- AlterClientQuotas (API 49): v0 classic, v1 flexible --------------------------------


class AlterClientQuotasResponse_v0(Response):
    API_KEY = 49
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "entries",
            Array(
                ("error_code", Int16),
                ("error_message", _STR),
                ("entity", Array(("entity_type", _STR), ("entity_name", _STR))),
            ),
        ),
    )


class AlterClientQuotasResponse_v1(Response):
    API_KEY = 49
    API_VERSION = 1
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "entries",
            CompactArray(
                ("error_code", Int16),
                ("error_message", _CSTR),
                ("entity", CompactArray(("entity_type", _CSTR), ("entity_name", _CSTR), ("tags", Tags))),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


class AlterClientQuotasRequest_v0(RequestStruct):
    API_KEY = 49
    API_VERSION = 0
    RESPONSE_TYPE = AlterClientQuotasResponse_v0
    SCHEMA = Schema(
        (
            "entries",
            Array(
                ("entity", Array(("entity_type", _STR), ("entity_name", _STR))),
                ("ops", Array(("key", _STR), ("value", Float64), ("remove", Boolean))),
            ),
        ),
        ("validate_only", Boolean),
    )


class AlterClientQuotasRequest_v1(RequestStruct):
    API_KEY = 49
    API_VERSION = 1
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = AlterClientQuotasResponse_v1
    SCHEMA = Schema(
        (
            "entries",
            CompactArray(
                ("entity", CompactArray(("entity_type", _CSTR), ("entity_name", _CSTR), ("tags", Tags))),
                ("ops", CompactArray(("key", _CSTR), ("value", Float64), ("remove", Boolean), ("tags", Tags))),
                ("tags", Tags),
            ),
        ),
        ("validate_only", Boolean),
        ("tags", Tags),
    )


QuotaEntity: TypeAlias = tuple[tuple[str, str | None], ...]
"""((entity type, name or None for the default), ...), e.g. (("user", "alice"),)."""
QuotaOp: TypeAlias = tuple[str, float, bool]
"""(quota key, value, remove)."""


class AlterClientQuotasRequest(Request[AlterClientQuotasRequest_v0 | AlterClientQuotasRequest_v1]):
    """Set or remove quota keys of entities: ``[(entity, [ops]), ...]``."""

    API_KEY = 49

    def __init__(self, entries: list[tuple[QuotaEntity, list[QuotaOp]]], validate_only: bool = False) -> None:
        self.entries = [(tuple(entity), list(ops)) for entity, ops in entries]
        self.validate_only = validate_only

    def build(self, request_struct_class: Any) -> Any:
        if not request_struct_class.FLEXIBLE_VERSION:
            entries: list[Any] = [([list(e) for e in entity], ops) for entity, ops in self.entries]
            return request_struct_class(entries, self.validate_only)
        entries = [
            ([(t, n, {}) for t, n in entity], [(k, v, r, {}) for k, v, r in ops], {}) for entity, ops in self.entries
        ]
        return request_struct_class(entries, self.validate_only, {})


# -- DescribeUserScramCredentials (API 50): v0, flexible --------------------------------


class DescribeUserScramCredentialsResponse_v0(Response):
    API_KEY = 50
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", _CSTR),
        (
            "results",
            CompactArray(
                ("user", _CSTR),
                ("error_code", Int16),
                ("error_message", _CSTR),
                ("credential_infos", CompactArray(("mechanism", Int8), ("iterations", Int32), ("tags", Tags))),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )


class DescribeUserScramCredentialsRequest_v0(RequestStruct):
    API_KEY = 50
    API_VERSION = 0
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = DescribeUserScramCredentialsResponse_v0
    SCHEMA = Schema(("users", CompactArray(("name", _CSTR), ("tags", Tags))), ("tags", Tags))


class DescribeUserScramCredentialsRequest(Request[DescribeUserScramCredentialsRequest_v0]):
    """The SCRAM credentials (mechanism, iterations; never the secrets) of
    ``users``, or of every user when None.

    "Every user" is sent as an empty list, never as the null the schema
    also allows: a Kafka 4.4 broker refusing a null request (a principal
    without DESCRIBE on the cluster) fails to build its error answer
    (NullPointerException in ``getErrorResponse``) and never answers, which
    leaves the connection stuck behind it."""

    API_KEY = 50

    def __init__(self, users: list[str] | None = None) -> None:
        self.users = list(users or ())

    def build(self, request_struct_class: Any) -> Any:
        return request_struct_class([(u, {}) for u in self.users], {})


# -- AlterUserScramCredentials (API 51): v0, flexible -----------------------------------


class AlterUserScramCredentialsResponse_v0(Response):
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", CompactArray(("user", _CSTR), ("error_code", Int16), ("error_message", _CSTR), ("tags", Tags))),
        ("tags", Tags),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):
    API_KEY = 51
    API_VERSION = 0
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        ("deletions", CompactArray(("name", _CSTR), ("mechanism", Int8), ("tags", Tags))),
        (
            "upsertions",
            CompactArray(
                ("name", _CSTR),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", Tags),
            ),
        ),
        ("tags", Tags),
    )

    def __repr__(self) -> str:
        # aiokafka logs every request it sends at debug level: name what
        # changes, never the salt or the salted password.
        deletions = [(name, mechanism) for name, mechanism, _tags in self.deletions]
        upserts = [(u[0], u[1], u[2]) for u in self.upsertions]
        return f"AlterUserScramCredentialsRequest_v0(deletions={deletions}, upsertions={upserts} [secrets hidden])"

    __str__ = __repr__


ScramUpsertion: TypeAlias = tuple[str, int, int, bytes, bytes]
"""(user, mechanism id, iterations, salt, salted password)."""


class AlterUserScramCredentialsRequest(Request[AlterUserScramCredentialsRequest_v0]):
    """Delete ``(user, mechanism)`` credentials and upsert salted ones."""

    API_KEY = 51

    def __init__(self, deletions: list[tuple[str, int]], upsertions: list[ScramUpsertion]) -> None:
        self.deletions = list(deletions)
        self._upsertions = list(upsertions)

    def __repr__(self) -> str:
        users = [(u[0], u[1], u[2]) for u in self._upsertions]
        return f"AlterUserScramCredentialsRequest(deletions={self.deletions}, upsertions={users} [secrets hidden])"

    def build(self, request_struct_class: Any) -> Any:
        return request_struct_class(
            [(n, m, {}) for n, m in self.deletions],
            [(*u, {}) for u in self._upsertions],
            {},
        )
