"""One message as the user composes it, and the broker's acknowledgement of it."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kview.core.produce.errors import InvalidMessage, validate_json

if TYPE_CHECKING:
    from kview.core.produce.encoding import MessageEncoders, SchemaUsed

# -- composing one message --------------------------------------------------------


class ValueFormat(enum.Enum):
    TEXT = "text"
    JSON = "json"


Headers = tuple[tuple[str, str], ...]


def parse_header_rows(rows: str | Iterable[str]) -> Headers:
    """``name=value`` rows (a string is split into lines) -> header pairs.

    Blank rows are skipped; a row splits at its first ``=``; the name is
    trimmed, the value kept exactly.  Names may repeat, as Kafka allows."""
    lines = rows.splitlines() if isinstance(rows, str) else list(rows)
    headers = []
    for n, row in enumerate(lines, 1):
        if not row.strip():
            continue
        name, sep, value = row.partition("=")
        name = name.strip()
        if not sep:
            raise InvalidMessage(f"header row {n}: expected name=value, got {row.strip()!r}")
        if not name:
            raise InvalidMessage(f"header row {n}: the header name is empty")
        headers.append((name, value))
    return tuple(headers)


def format_header_rows(headers: Headers) -> str:
    """Inverse of parse_header_rows, for re-opening a message in the form."""
    return "\n".join(f"{name}={value}" for name, value in headers)


@dataclass(frozen=True)
class ComposedMessage:
    """One message as the user wrote it.  ``key=None`` is a null key,
    ``value=None`` a tombstone; ``partition=None`` lets the partitioner choose."""

    topic: str
    key: str | None = None
    value: str | None = ""
    headers: Headers = ()
    partition: int | None = None
    value_format: ValueFormat = ValueFormat.TEXT

    def check(self) -> None:
        """Raise InvalidMessage when this message cannot be sent (nothing is sent)."""
        if not self.topic:
            raise InvalidMessage("choose a topic")
        if self.partition is not None and (isinstance(self.partition, bool) or self.partition < 0):
            raise InvalidMessage(f"partition must be a number >= 0, not {self.partition}")
        if self.key is None and self.value is None:
            raise InvalidMessage("a message needs a key or a value: the key and the value cannot both be null")
        for name, _ in self.headers:
            if not name:
                raise InvalidMessage("a header name is empty")
        if self.value_format is ValueFormat.JSON and self.value is not None:
            validate_json(self.value)

    def encode(
        self, encoders: MessageEncoders | None = None
    ) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]:
        """Checked and encoded for the producer: (key, value, headers).  With
        ``encoders``, a key or value that has one is JSON text written with its
        schema (InvalidJSON or SchemaMismatch when it does not fit)."""
        self.check()
        key = None if self.key is None else self.key.encode()
        value = None if self.value is None else self.value.encode()
        if encoders is not None and encoders.active:
            if self.key is not None and encoders.key is not None:
                key = encoders.encode_text("key", self.key)
            if self.value is not None and encoders.value is not None:
                value = encoders.encode_text("value", self.value)
        return key, value, [(name, text.encode()) for name, text in self.headers]


@dataclass(frozen=True)
class SendResult:
    """The broker's acknowledgement of one message."""

    topic: str
    partition: int
    """-1 with acks=0 when the partitioner chose (the broker does not answer)."""
    offset: int | None
    """None with acks=0."""
    timestamp: int | None
    """Milliseconds since the epoch: the create time, or the broker's append
    time when the topic uses LogAppendTime; None with acks=0."""
    timestamp_type: str | None = None
    """'CreateTime' or 'LogAppendTime'."""
    key_schema: SchemaUsed | None = None
    """The schema the key was written with (None: its bytes as typed)."""
    value_schema: SchemaUsed | None = None
