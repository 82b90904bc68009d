"""Writing keys and values with a registered schema: which schema the user
chose (``SchemaChoice``, part of the producer settings), what it resolved to
(``SchemaUsed``, shown in the pane and on every acknowledgement), the key and
value encoders of one send or job (``MessageEncoders``), and the refusal of a
record that does not fit (``SchemaMismatch``: the field path and the reason;
nothing is sent).

The input is JSON: the text typed in the pane, a rendered template, a line of
a file.  The encoders themselves are kview.core.schemas.encoder's; this module
adds the producer's words around them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kview.core.errors import KViewError
from kview.core.produce.errors import InvalidJSON, InvalidMessage, ProduceError
from kview.core.schemas.errors import EncodeError

if TYPE_CHECKING:
    from kview.core.schemas.encoder import RecordEncoder

Field = Literal["key", "value"]
TYPE_NAMES = {"AVRO": "Avro", "PROTOBUF": "Protobuf", "JSON": "JSON Schema"}
FIELDS: tuple[Field, Field] = ("key", "value")


@dataclass(frozen=True)
class SchemaChoice:
    """A key or value written with a subject's schema.  ``subject=None`` is
    the topic name strategy: ``<topic>-key`` / ``<topic>-value`` of whatever
    topic the record goes to.  ``version`` is a number or ``"latest"`` (looked
    up at each send, so a newly registered version is used at once).
    ``message``: for Protobuf, the full name of the message to write (default:
    the schema's first message)."""

    subject: str | None = None
    version: int | Literal["latest"] = "latest"
    message: str | None = None

    def subject_for(self, topic: str, field: str) -> str:
        return self.subject or f"{topic}-{field}"

    def problems(self) -> list[str]:
        found = []
        if self.version != "latest" and (
            isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1
        ):
            found.append(f"the schema version must be 'latest' or a number >= 1, not {self.version!r}")
        if self.subject is not None and not self.subject.strip():
            found.append("the subject is empty (leave it out for <topic>-key / <topic>-value)")
        return found

    def describe(self, field: str, topic: str | None = None) -> str:
        """``orders-value latest`` (``<topic>-value latest`` before a topic is known)."""
        subject = self.subject or (f"{topic}-{field}" if topic else f"<topic>-{field}")
        version = "latest" if self.version == "latest" else f"v{self.version}"
        message = f" message {self.message}" if self.message else ""
        return f"{subject} {version}{message}"

    @classmethod
    def parse(cls, text: str, *, message: str | None = None) -> SchemaChoice:
        """``SUBJECT[:VERSION]`` (VERSION a number or ``latest``), as the
        headless flags take it; no subject is ``<topic>-key`` / ``<topic>-value``.
        A subject may itself hold ``:`` (registry contexts): only a last part
        that is a version is read as one."""
        text = text.strip()
        subject, sep, tail = text.rpartition(":")
        version: int | Literal["latest"] = "latest"
        if sep and (tail == "latest" or tail.isdigit()):
            version = "latest" if tail == "latest" else int(tail)
        else:
            subject = text
        # An empty subject (``""``, ``":3"``) is the topic name strategy.
        choice = cls(subject.strip() or None, version, message or None)
        found = choice.problems()
        if found:
            raise ProduceError("; ".join(found))
        return choice


@dataclass(frozen=True)
class SchemaUsed:
    """The schema a key or value was (or will be) written with."""

    subject: str
    version: int
    id: int
    type: str
    message: str | None = None

    def __str__(self) -> str:
        kind = TYPE_NAMES.get(self.type, self.type)
        message = f" {self.message}" if self.message else ""
        return f"{self.subject} v{self.version} (id {self.id}, {kind}{message})"


class SchemaMismatch(InvalidMessage):
    """A key or value that does not fit its schema: ``path`` is where
    (``$.address.zip``), ``reason`` why.  Nothing was sent."""

    def __init__(self, field: str, used: SchemaUsed | None, path: str, reason: str) -> None:
        self.field = field
        self.used = used
        self.path = path
        self.reason = reason
        schema = f"schema {used}" if used is not None else "its schema"
        where = f"{path}: " if path else ""
        super().__init__(f"{field} does not fit {schema}: {where}{reason}")


def schema_used(encoder: RecordEncoder, choice: SchemaChoice) -> SchemaUsed:
    version = encoder.subject_version
    message = getattr(encoder, "message", None) or choice.message
    return SchemaUsed(version.subject, version.version, version.id, version.schema.type, message)


@dataclass(frozen=True)
class MessageEncoders:
    """The encoders of one send or job: ``None`` where the field is sent as
    bytes.  ``encode_*`` raise InvalidJSON (text that is not JSON, with line
    and column) or SchemaMismatch (path and reason)."""

    key: RecordEncoder | None = None
    value: RecordEncoder | None = None
    key_used: SchemaUsed | None = None
    value_used: SchemaUsed | None = None

    @property
    def active(self) -> bool:
        return self.key is not None or self.value is not None

    def encoder(self, field: Field) -> RecordEncoder | None:
        return self.key if field == "key" else self.value

    def used(self, field: Field) -> SchemaUsed | None:
        return self.key_used if field == "key" else self.value_used

    def encode_doc(self, field: Field, doc: Any) -> bytes:
        """A parsed JSON value -> framed bytes with the field's schema."""
        encoder = self.encoder(field)
        assert encoder is not None
        try:
            return encoder.encode(doc)
        except EncodeError as exc:
            raise SchemaMismatch(field, self.used(field), exc.path, exc.reason) from None
        except KViewError:
            raise
        except Exception as exc:  # a codec library's own error: still one line, nothing sent
            raise SchemaMismatch(field, self.used(field), "$", str(exc) or type(exc).__name__) from None

    def encode_text(self, field: Field, text: str) -> bytes:
        """JSON text -> framed bytes with the field's schema."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidJSON(exc.msg, exc.lineno, exc.colno, what=field) from None
        except RecursionError:
            raise InvalidJSON("nested too deeply", 1, 1, what=field) from None
        return self.encode_doc(field, doc)

    def encode_bytes(self, field: Field, data: bytes | None) -> bytes | None:
        """A rendered field (UTF-8 JSON text) -> framed bytes; null stays null
        (a null key, a tombstone)."""
        if data is None or self.encoder(field) is None:
            return data
        try:
            text = data.decode()
        except UnicodeDecodeError as exc:
            raise InvalidMessage(f"{field} is not UTF-8 text (byte {exc.start + 1})") from None
        return self.encode_text(field, text)

    def field_encoder(self, field: Field) -> Callable[[Any], bytes] | None:
        """``doc -> bytes`` for the field, or None when it is sent as bytes."""
        if self.encoder(field) is None:
            return None
        return lambda doc: self.encode_doc(field, doc)


NO_ENCODERS = MessageEncoders()
