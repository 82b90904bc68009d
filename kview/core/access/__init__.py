"""Who may do what: ACL bindings, SCRAM users and client quotas.

``models.py`` holds the data model and Kafka's enum names; ``service.py``
(``AccessService``) reads and changes them on a cluster, with previews of
each change and authorisation failures as ``AccessDenied``."""

from kview.core.access.models import (
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
    new_binding,
    parse_entity,
    principal_of,
)
from kview.core.access.service import AccessService

__all__ = [
    "AccessDenied",
    "AccessService",
    "AccessSnapshot",
    "AclBinding",
    "AclChange",
    "AclFilter",
    "QuotaEntry",
    "ScramCredential",
    "ScramUser",
    "Section",
    "entity_text",
    "new_binding",
    "parse_entity",
    "principal_of",
]
