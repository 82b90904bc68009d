"""The registry's wire framing, as Confluent's serializers write it: a 0 byte
(the "magic" byte), the schema id as 4 bytes big-endian, then the payload.
Protobuf payloads start with the message indexes: which message of the schema
file was written, as a zig-zag varint count followed by that many zig-zag
varint indexes (the top-level message, then nested types); the common case,
the first message of the file ([0]), is written as a single 0.

Reading returns positions rather than slices, so the decoders copy nothing."""

from __future__ import annotations

from collections.abc import Sequence

from kview.core.protocol.wire import uvarint

MAGIC = 0
HEADER_SIZE = 5
"""The magic byte and the 4-byte schema id."""
MAX_INDEXES = 64
"""More message indexes than any real nesting: a corrupt count is refused
before it makes the reader loop on garbage."""


class FramingError(ValueError):
    """Bytes that are not (complete) registry framing."""


def is_framed(data: bytes | None) -> bool:
    """True if ``data`` starts with the magic byte and holds a schema id."""
    return data is not None and len(data) >= HEADER_SIZE and data[0] == MAGIC


def schema_id(data: bytes) -> int:
    """The schema id of framed ``data`` (FramingError if it is not framed)."""
    if len(data) < HEADER_SIZE or data[0] != MAGIC:
        if not data or data[0] != MAGIC:
            raise FramingError("no registry framing (the first byte is not 0)")
        raise FramingError(f"too short for registry framing ({len(data)} bytes, at least 5 needed)")
    return int.from_bytes(data[1:HEADER_SIZE], "big")


def frame(schema_id: int, payload: bytes, indexes: Sequence[int] | None = None) -> bytes:
    """``payload`` framed for ``schema_id``; Protobuf passes its message indexes."""
    if not 0 <= schema_id < 2**32:
        raise ValueError(f"schema id {schema_id} does not fit in 4 bytes")
    header = bytes((MAGIC,)) + schema_id.to_bytes(4, "big")
    if indexes is None:
        return header + payload
    return header + encode_message_indexes(indexes) + payload


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_message_indexes(indexes: Sequence[int]) -> bytes:
    """Protobuf message indexes as Confluent writes them ([0] as a single 0)."""
    if list(indexes) == [0]:
        return b"\x00"
    return _varint(_zigzag(len(indexes))) + b"".join(_varint(_zigzag(i)) for i in indexes)


def read_message_indexes(data: bytes, pos: int = HEADER_SIZE) -> tuple[tuple[int, ...], int]:
    """The message indexes at ``pos`` and the position of the payload after them."""
    try:
        raw, pos = uvarint(data, pos)
        count = _unzigzag(raw)
        if count == 0:
            return (0,), pos
        if not 0 < count <= MAX_INDEXES:
            raise FramingError(f"{count} Protobuf message indexes: not message-index framing")
        indexes = []
        for _ in range(count):
            raw, pos = uvarint(data, pos)
            index = _unzigzag(raw)
            if index < 0:
                raise FramingError(f"negative Protobuf message index {index}")
            indexes.append(index)
    except IndexError:
        raise FramingError("truncated Protobuf message indexes") from None
    except ValueError as exc:
        if isinstance(exc, FramingError):
            raise
        raise FramingError(f"bad Protobuf message indexes: {exc}") from None
    return tuple(indexes), pos
