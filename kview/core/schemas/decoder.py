"""Records in, decoded records out: for the tail, the record detail, export and
``kview tail``.

A key or value framed for a registry (a 0 byte, a 4-byte big-endian schema id,
then the payload; Protobuf puts the message indexes first) whose id the
registry knows is decoded with that schema.  The record that comes out is a
``DecodedRecord``: the same attributes as the ring's records, with ``key`` /
``value`` holding the decoded value as compact JSON (UTF-8 bytes), so every
consumer of records (the tail view, the filters, export, headless lines) works
on decoded fields unchanged; the original bytes are in ``raw_key`` /
``raw_value`` and what was used in ``key_schema`` / ``value_schema``.  A record
that cannot be decoded keeps its bytes and says why in ``key_problem`` /
``value_problem`` (unknown schema id, registry unreachable, truncated payload,
not registry framing, a schema the library cannot parse): never an exception.

``await decoder.prepare(records)`` fetches the schemas of ids not seen before
(one request per id, bounded by ``wait`` seconds so a slow registry cannot stall
the tail); ``decoder.decode_batch(records)`` is then synchronous."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kview.core.ring import Header
from kview.core.schemas.client import RegistryClient

DECODINGS = ("auto", "avro", "protobuf", "json-schema", "none")
"""How a key or value is decoded: ``auto`` decodes registry framing with
whatever type the schema has; ``avro`` / ``protobuf`` / ``json-schema`` insist
on that type (anything else stays raw with a reason); ``none`` never decodes."""


@dataclass(frozen=True)
class SchemaInfo:
    """Which schema decoded a key or value."""

    schema_id: int
    type: str
    subject: str | None = None
    version: int | None = None
    message: str | None = None
    """Protobuf: the full name of the message the indexes chose."""


class DecodedRecord:
    """A ring record with its key and/or value decoded (see the module docstring)."""

    __slots__ = (
        "topic",
        "partition",
        "offset",
        "timestamp",
        "timestamp_type",
        "key",
        "value",
        "headers",
        "raw_key",
        "raw_value",
        "key_schema",
        "value_schema",
        "key_problem",
        "value_problem",
    )

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[Header]
    raw_key: bytes | None
    raw_value: bytes | None
    key_schema: SchemaInfo | None
    value_schema: SchemaInfo | None
    key_problem: str | None
    value_problem: str | None


def raw_value(record: Any) -> bytes | None:
    """The bytes Kafka holds for the record's value (decoded or not)."""
    return getattr(record, "raw_value", record.value)


def raw_key(record: Any) -> bytes | None:
    return getattr(record, "raw_key", record.key)


class RecordDecoder:
    def __init__(
        self,
        client: RegistryClient | None,
        *,
        key_decoding: str = "auto",
        value_decoding: str = "auto",
        wait: float = 2.0,
    ) -> None:
        raise NotImplementedError

    async def prepare(self, records: Sequence[Any]) -> None:
        """Fetch (and compile) the schemas of ids in ``records`` not seen before."""
        raise NotImplementedError

    def decode_batch(self, records: list[Any]) -> list[Any]:
        """``records`` with every framed key/value decoded (a DecodedRecord in
        place of the original); records with nothing framed are returned as they are."""
        raise NotImplementedError

    def seen_ids(self) -> dict[int, SchemaInfo]:
        """Schema ids met so far (for the topic detail's 'schema ids seen')."""
        raise NotImplementedError
