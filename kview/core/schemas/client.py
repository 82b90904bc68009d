"""The registry client: Confluent's REST API (``/subjects``, ``/schemas/ids``,
``/config``, ``/compatibility``), as served by Confluent Schema Registry,
Apicurio's ``/apis/ccompat/v7``, Redpanda and Karapace.

Schemas by id are immutable, so they are cached for the life of the client;
concurrent requests for one id share one HTTP request (a burst of records with
a new id makes one request).  A failure to reach the registry puts it in
backoff (1 s, doubling to 60 s): until then calls fail at once with
RegistryUnavailable, so a tail of records with unknown ids does not wait on
every batch; ``status`` says so for the header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kview.core.config import RegistrySettings
from kview.core.schemas.models import CompatibilityResult, Schema, SubjectSummary, SubjectVersion


@dataclass(frozen=True)
class RegistryStatus:
    """For the header: 'ok', 'unreachable' (with the last error and when the
    next try is) or 'unknown' (nothing asked yet)."""

    state: str
    message: str = ""
    retry_at: float | None = None


VersionRef = int | Literal["latest"]


class RegistryClient:
    def __init__(self, settings: RegistrySettings) -> None:
        self.settings = settings
        raise NotImplementedError

    @property
    def status(self) -> RegistryStatus:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    # -- reading ----------------------------------------------------------------------
    async def schema_by_id(self, schema_id: int) -> Schema:
        """The schema with this id (cached; one request per id however many ask)."""
        raise NotImplementedError

    def cached_schema(self, schema_id: int) -> Schema | None:
        """The schema if already fetched, without asking the registry."""
        raise NotImplementedError

    async def subjects(self, *, deleted: bool = False) -> list[str]:
        raise NotImplementedError

    async def versions(self, subject: str) -> list[int]:
        raise NotImplementedError

    async def version(self, subject: str, version: VersionRef = "latest") -> SubjectVersion:
        raise NotImplementedError

    async def subject_versions_of(self, schema_id: int) -> list[tuple[str, int]]:
        """(subject, version) pairs that hold this id (empty if the registry cannot say)."""
        raise NotImplementedError

    async def compatibility(self, subject: str | None = None) -> str | None:
        """The subject's compatibility level, falling back to the global one."""
        raise NotImplementedError

    async def summaries(self, pattern: str | None = None) -> list[SubjectSummary]:
        """A summary per subject matching the glob ``pattern`` (bounded concurrency)."""
        raise NotImplementedError

    async def resolve_references(self, schema: Schema) -> dict[str, Schema]:
        """Every schema ``schema`` references, directly or not, by reference name."""
        raise NotImplementedError

    # -- writing (the callers check read-only) -----------------------------------------
    async def check_compatibility(
        self, subject: str, schema: Schema, version: VersionRef = "latest"
    ) -> CompatibilityResult:
        raise NotImplementedError

    async def register(self, subject: str, schema: Schema) -> int:
        """Register ``schema`` under ``subject``; returns its id."""
        raise NotImplementedError

    async def set_compatibility(self, subject: str | None, level: str) -> None:
        raise NotImplementedError

    async def delete_version(self, subject: str, version: int, *, permanent: bool = False) -> int:
        raise NotImplementedError

    async def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        raise NotImplementedError
