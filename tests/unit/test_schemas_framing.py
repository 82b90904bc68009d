"""Registry framing: the magic byte, the big-endian schema id, and Protobuf's
message indexes (zig-zag varints; [0] as a single 0), from the wire format's
definition."""

from __future__ import annotations

import pytest

from kview.core.schemas.framing import (
    FramingError,
    encode_message_indexes,
    frame,
    is_framed,
    read_message_indexes,
    schema_id,
)


def test_frame_and_read_back_the_id():
    framed = frame(0x01020304, b"payload")
    assert framed == b"\x00\x01\x02\x03\x04payload"
    assert is_framed(framed) and schema_id(framed) == 0x01020304
    assert schema_id(frame(2**32 - 1, b"")) == 2**32 - 1


@pytest.mark.parametrize("data", [None, b"", b"\x00", b"\x00\x00\x00\x01", b"\x01\x00\x00\x00\x01x", b"{}"])
def test_not_framed(data):
    assert not is_framed(data)


def test_schema_id_says_why_bytes_are_not_framing():
    with pytest.raises(FramingError, match="first byte is not 0"):
        schema_id(b"\x07abcdef")
    with pytest.raises(FramingError, match=r"too short for registry framing \(3 bytes"):
        schema_id(b"\x00\x00\x01")


def test_ids_outside_four_bytes_are_refused():
    with pytest.raises(ValueError):
        frame(2**32, b"")
    with pytest.raises(ValueError):
        frame(-1, b"")


@pytest.mark.parametrize(
    ("indexes", "encoded"),
    [
        ([0], b"\x00"),  # the first message: one 0 byte
        ([1], b"\x02\x02"),  # count 1 (zig-zag 2), index 1 (zig-zag 2)
        ([0, 1], b"\x04\x00\x02"),
        ([2, 0, 3], b"\x06\x04\x00\x06"),
        ([64], b"\x02\x80\x01"),  # zig-zag 128 needs two varint bytes
    ],
)
def test_message_indexes(indexes, encoded):
    assert encode_message_indexes(indexes) == encoded
    framed = frame(7, b"rest", indexes)
    assert framed == b"\x00\x00\x00\x00\x07" + encoded + b"rest"
    read, pos = read_message_indexes(framed)
    assert list(read) == indexes
    assert framed[pos:] == b"rest"


def test_an_explicit_count_of_one_zero_reads_as_zero():
    # Some writers spell [0] in full: count 1, index 0.
    assert read_message_indexes(b"\x00\x00\x00\x00\x01\x02\x00")[0] == (0,)


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (b"", "truncated"),
        (b"\x04\x02", "truncated"),  # two indexes announced, one given
        (b"\x01", "message indexes"),  # a negative count
        (b"\xfe\x01", "message indexes"),  # 127 indexes: not real nesting
        (b"\x02\x01", "negative"),
        (b"\xff\xff\xff\xff\xff\xff", "bad Protobuf message indexes"),  # a varint too long
    ],
)
def test_bad_message_indexes(tail, reason):
    with pytest.raises(FramingError, match=reason):
        read_message_indexes(b"\x00\x00\x00\x00\x01" + tail)
