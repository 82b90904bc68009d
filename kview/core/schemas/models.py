"""What the registry client returns: kview's own frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_TYPES = ("AVRO", "PROTOBUF", "JSON")
"""The registry's names for the schema types (Confluent calls JSON Schema 'JSON')."""


@dataclass(frozen=True)
class SchemaReference:
    """An import of a schema: ``name`` as the schema names it (a Protobuf import
    path, an Avro full name, a JSON Schema ``$ref`` URL), the subject and version
    that hold it."""

    name: str
    subject: str
    version: int


@dataclass(frozen=True)
class Schema:
    """A schema as registered: its type, its text and its references.
    ``id`` is None for a schema not (yet) registered."""

    type: str
    text: str
    references: tuple[SchemaReference, ...] = ()
    id: int | None = None


@dataclass(frozen=True)
class SubjectVersion:
    """One version of a subject."""

    subject: str
    version: int
    id: int
    schema: Schema


@dataclass(frozen=True)
class SubjectSummary:
    """A row of the Schemas pane and of ``kview schemas``."""

    subject: str
    type: str
    latest_version: int
    latest_id: int
    versions: int
    compatibility: str | None
    """The subject's level, or the global one it falls back to (None if the registry says nothing)."""


@dataclass(frozen=True)
class CompatibilityResult:
    compatible: bool
    messages: tuple[str, ...] = ()
