"""The one reader of Kafka's primitive wire types that kview's fast decoders
share: unsigned varints, classic and compact strings, int32 arrays and
tagged-field sections, each read from ``buf`` at ``pos`` and returning
``(value, next position)``.

aiokafka's generic decoder reads the same types from a BytesIO at several
Python calls a field; for answers with tens of thousands of partitions
(Metadata, OffsetFetch, DescribeLogDirs) that adds up to seconds, so the big
answers are decoded with these instead.  A short buffer raises IndexError or
struct.error; callers turn that into a ValueError naming the answer.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

_I16 = struct.Struct(">h").unpack_from
_I32 = struct.Struct(">i").unpack_from
_INT_ARRAYS: dict[int, Callable[[bytes, int], tuple[int, ...]]] = {}


def int32s(count: int) -> Callable[[bytes, int], tuple[int, ...]]:
    """An unpacker of ``count`` int32s (made once per count)."""
    unpack = _INT_ARRAYS.get(count)
    if unpack is None:
        unpack = _INT_ARRAYS[count] = struct.Struct(f">{count}i").unpack_from
    return unpack


def uvarint(buf: bytes, pos: int) -> tuple[int, int]:
    """Kafka's unsigned varint (7 bits a byte, low bits first, at most 5 bytes)."""
    byte = buf[pos]
    if byte < 0x80:
        return byte, pos + 1
    value, shift = byte & 0x7F, 7
    while True:
        pos += 1
        byte = buf[pos]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos + 1
        shift += 7
        if shift > 28:
            raise ValueError("varint longer than 5 bytes")


def string(buf: bytes, pos: int) -> tuple[str | None, int]:
    """A classic (int16 length, -1 for null) UTF-8 string."""
    (size,) = _I16(buf, pos)
    pos += 2
    if size < 0:
        return None, pos
    end = pos + size
    if end > len(buf):
        raise ValueError("buffer underrun reading a string")
    return buf[pos:end].decode("utf-8"), end


def compact_string(buf: bytes, pos: int) -> tuple[str | None, int]:
    """A flexible-version string: unsigned varint length + 1 (0 for null)."""
    size, pos = uvarint(buf, pos)
    if size == 0:
        return None, pos
    end = pos + size - 1
    if end > len(buf):
        raise ValueError("buffer underrun reading a string")
    return buf[pos:end].decode("utf-8"), end


def required_string(buf: bytes, pos: int) -> tuple[str, int]:
    """A classic string where the protocol allows no null (a host, a topic name)."""
    value, pos = string(buf, pos)
    if value is None:
        raise ValueError("a null where the protocol has a string")
    return value, pos


def required_compact_string(buf: bytes, pos: int) -> tuple[str, int]:
    """A flexible-version string where the protocol allows no null."""
    value, pos = compact_string(buf, pos)
    if value is None:
        raise ValueError("a null where the protocol has a string")
    return value, pos


def int_array(buf: bytes, pos: int) -> tuple[tuple[int, ...] | None, int]:
    """A classic (int32 count, -1 for null) array of int32s."""
    (count,) = _I32(buf, pos)
    pos += 4
    if count < 0:
        return None, pos
    return int32s(count)(buf, pos), pos + 4 * count


def tags(buf: bytes, pos: int) -> tuple[dict[int, bytes], int]:
    """A tagged-field section, as ``{tag: raw bytes}``."""
    count, pos = uvarint(buf, pos)
    if not count:
        return {}, pos
    fields = {}
    for _ in range(count):
        tag, pos = uvarint(buf, pos)
        size, pos = uvarint(buf, pos)
        fields[tag] = buf[pos : pos + size]
        pos += size
    return fields, pos


def skip_tags(buf: bytes, pos: int) -> int:
    """Step over a tagged-field section (for answers where kview asks for no tag)."""
    count, pos = uvarint(buf, pos)
    for _ in range(count):
        _tag, pos = uvarint(buf, pos)
        size, pos = uvarint(buf, pos)
        pos += size
    return pos
