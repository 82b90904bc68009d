"""JSON in, framed bytes out: for the producer pane and ``kview produce``.

``await RecordEncoder.for_subject(client, subject, version)`` fetches the
subject's schema (latest or a version) and its references and compiles it;
``encoder.encode(doc)`` checks the parsed JSON ``doc`` against the schema and
returns the framed bytes (0, schema id, [Protobuf message indexes], payload),
or raises EncodeError with the field path and the reason: nothing is sent.

The JSON each type takes is the JSON the decoder shows (see ``avro``,
``protobuf`` and ``jsonschema_codec``): Avro from plain JSON (a union's value
unwrapped; decimals as text or numbers; timestamps as ISO-8601 text or epoch
numbers; bytes as base64), Protobuf by the proto3 JSON mapping, JSON Schema as
it is."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kview.core.schemas.avro import AvroCodec
from kview.core.schemas.client import RegistryClient, VersionRef
from kview.core.schemas.decoder import Codec, compile_codec
from kview.core.schemas.errors import EncodeError
from kview.core.schemas.framing import frame
from kview.core.schemas.jsonschema_codec import JsonSchemaCodec
from kview.core.schemas.models import SubjectVersion
from kview.core.schemas.protobuf import ProtobufCodec


class RecordEncoder:
    subject_version: SubjectVersion

    def __init__(self, subject_version: SubjectVersion, codec: Codec, *, message: str | None = None) -> None:
        self.subject_version = subject_version
        self.codec = codec
        self.message: str | None = None
        self._indexes: tuple[int, ...] | None = None
        if isinstance(codec, ProtobufCodec):
            self._indexes = codec.indexes_of(message)  # SchemaError if the schema has no such message
            self.message = codec.message_class(self._indexes)[1]

    @classmethod
    async def for_subject(
        cls, client: RegistryClient, subject: str, version: VersionRef = "latest", *, message: str | None = None
    ) -> RecordEncoder:
        """``message``: for Protobuf, the full name of the message to write (default: the first one)."""
        found = await client.version(subject, version)
        references = await client.resolve_references(found.schema) if found.schema.references else {}
        schema = found.schema
        if schema.type == "PROTOBUF":  # protoc takes tens of milliseconds: not on the event loop
            codec = await asyncio.to_thread(compile_codec, schema, references)
        else:
            codec = compile_codec(schema, references)
        return cls(found, codec, message=message)

    @property
    def schema_id(self) -> int:
        return self.subject_version.id

    @property
    def type(self) -> str:
        return self.subject_version.schema.type

    @property
    def messages(self) -> list[str]:
        """Protobuf: the messages the schema defines (full names); empty for the other types."""
        return self.codec.message_names() if isinstance(self.codec, ProtobufCodec) else []

    def encode(self, doc: Any) -> bytes:
        codec = self.codec
        if isinstance(codec, ProtobufCodec):
            payload, indexes = codec.write(doc, self.message)
            return frame(self.schema_id, payload, indexes)
        if isinstance(codec, (AvroCodec, JsonSchemaCodec)):
            return frame(self.schema_id, codec.write(doc))
        raise EncodeError("$", f"schema type {self.type} cannot be written")

    def encode_text(self, text: str) -> bytes:
        """Parse ``text`` as JSON (EncodeError at '$' if it is not) and encode it."""
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise EncodeError("$", f"not JSON: {exc}") from None
        except RecursionError:
            raise EncodeError("$", "not JSON: nested too deeply") from None
        return self.encode(doc)
