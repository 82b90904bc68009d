"""Schema registry support: the registry client (Confluent-compatible REST API),
the wire framing (magic byte, schema id, Protobuf message indexes), the Avro,
Protobuf and JSON Schema codecs, and the record decoder and encoder built on them.

Layout: ``settings`` (what a profile says about its registry), ``models`` (what
the client returns), ``errors``, ``client`` (HTTP, caching, backoff),
``framing``, ``avro`` / ``protobuf`` / ``jsonschema_codec`` (one codec per
type, built from a registered schema and its references), ``decoder`` (records
in, decoded records out, for the tail, the detail, export and headless) and
``encoder`` (JSON in, framed bytes out, for the producer)."""

from kview.core.config import RegistrySettings
from kview.core.schemas.errors import DecodeError, EncodeError, RegistryError, RegistryUnavailable, SchemaError
from kview.core.schemas.models import (
    SCHEMA_TYPES,
    CompatibilityResult,
    Schema,
    SchemaReference,
    SubjectSummary,
    SubjectVersion,
)

__all__ = [
    "SCHEMA_TYPES",
    "CompatibilityResult",
    "DecodeError",
    "EncodeError",
    "RegistryError",
    "RegistrySettings",
    "RegistryUnavailable",
    "Schema",
    "SchemaError",
    "SchemaReference",
    "SubjectSummary",
    "SubjectVersion",
]
