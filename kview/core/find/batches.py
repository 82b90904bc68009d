"""The byte-level part of a find: walk the record batches of one fetched
partition, count the records of the window without decoding them, and decode
only the batches that may hold a match.

A record batch (magic 2, Kafka's DefaultRecordBatch) starts with a 61-byte
header: base offset, length, leader epoch, magic, CRC, attributes (codec in
the low 3 bits, 0x20 = control batch), last offset delta, timestamps,
producer id and epoch, base sequence, record count; the records follow,
compressed as a whole when the codec says so.  A record's key and value are
stored as they are inside the (decompressed) records, so a needle that is
in a key or value is in those bytes: a batch without it cannot match and
only its header is read.  A batch with it is decoded by aiokafka's record
reader and each record is then tested by the real filter, so a needle that
only straddles two records, or sits in a header or a varint, costs a decode
and never a false match.

Only records whose offsets fall in the window ``[start, end)`` are counted
and returned; control batches (transaction markers) hold no records a
consumer sees and are stepped over.  A batch cut short at the end of a fetch
is left for the next fetch.  Legacy message sets (magic 0 and 1, written by
pre-0.11 clients, only on 3.x brokers) are decoded whole: correct, not fast.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import codec
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.structs import ConsumerRecord

HEADER_SIZE = 61
_HEAD = struct.Struct(">qi").unpack_from  # base offset, batch length (after these 12 bytes)
_ATTRS = struct.Struct(">hi").unpack_from  # attributes, last offset delta (at 21)
_COUNT = struct.Struct(">i").unpack_from  # record count (at 57)
_MAGIC_AT = 16
_CONTROL = 0x20
_CODEC_MASK = 0x07


def _decompressor(codec_id: int) -> Callable[[Any], bytes]:
    if codec_id == 1:
        return codec.gzip_decode
    if codec_id == 2:
        return codec.snappy_decode
    if codec_id == 3:
        return codec.lz4_decode
    if codec_id == 4:
        return codec.zstd_decode
    raise ValueError(f"record batch with unknown compression codec {codec_id}")


@dataclass(frozen=True, slots=True)
class Needle:
    """Bytes every matching record holds in its key or value: ``text`` as is,
    or with ``fold`` its ASCII-lower-cased form in the lower-cased bytes."""

    text: bytes
    fold: bool = False


@dataclass(slots=True)
class BatchScan:
    """What one fetched partition's bytes gave."""

    next_offset: int
    """Where the next fetch starts: past the last whole batch read (``end``
    once a batch at or past the window's end is seen)."""
    records: int = 0
    """Records with offsets in the window, counted (decoded or not)."""
    candidates: list[Any] = field(default_factory=list)
    """Records of batches that may match, decoded, in offset order; the
    caller tests them with the filter."""
    marks: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(offset after the batch, records counted up to and with it, where the
    batch starts and ends in the data) for each batch read: where a scan cut
    short at a match (``-n``) stands (see records_through)."""
    batches: int = 0
    decoded_batches: int = 0
    done: bool = False
    """A batch at or past ``end`` was reached: the window is read."""


def scan_batches(
    data: bytes,
    topic: str,
    partition: int,
    start: int,
    end: int,
    needle: Needle | None,
) -> BatchScan:
    """Scan the record batches in ``data`` (one partition's records of a Fetch
    answer) for the window ``[start, end)``; without a needle every record
    of the window is a candidate."""
    result = BatchScan(next_offset=start)
    n = len(data)
    pos = 0
    fold = needle is not None and needle.fold
    lowered = data.lower() if fold else None
    wanted = needle.text if needle is not None else b""
    candidates = result.candidates
    while pos + HEADER_SIZE <= n:
        base, length = _HEAD(data, pos)
        size = 12 + length
        if pos + size > n:
            break  # cut short by the fetch's size bound: read again next time
        if data[pos + _MAGIC_AT] != 2:
            _legacy(data, pos, size, topic, partition, start, end, result)
            pos += size
            if result.done:
                break
            continue
        attrs, last_delta = _ATTRS(data, pos + 21)
        last = base + last_delta
        if base >= end:
            result.done = True
            result.next_offset = end
            break
        pos_next = pos + size
        result.batches += 1
        if last < start or attrs & _CONTROL:
            result.next_offset = max(result.next_offset, last + 1)
            pos = pos_next
            continue
        codec_id = attrs & _CODEC_MASK
        whole = base >= start and last < end
        (count,) = _COUNT(data, pos + 57)
        if needle is None:
            hits = -1
        elif codec_id == 0:
            hits = _occurrences(lowered if lowered is not None else data, wanted, pos + HEADER_SIZE, pos_next)
        else:
            body = _decompressor(codec_id)(memoryview(data)[pos + HEADER_SIZE : pos_next])
            hits = _occurrences(body.lower() if fold else body, wanted, 0, len(body))
        if whole and hits == 0:
            result.records += count
        elif whole and (hits < 0 or (hits > MANY and not fold)):
            # The common heavy cases (every record wanted, or the needle in most
            # records) in one tight loop: no window edges to test, nothing to count down.
            result.decoded_batches += 1
            decoded = DefaultRecordBatch(data[pos:pos_next])
            _take_whole(decoded, topic, partition, None if hits < 0 else wanted, candidates)
            result.records += count
        else:
            result.decoded_batches += 1
            batch = DefaultRecordBatch(data[pos:pos_next])
            ts_type = batch.timestamp_type
            seen = 0
            for record in batch:
                offset = record.offset
                if offset < start or offset >= end:
                    continue
                seen += 1
                if hits < 0:
                    candidates.append(_record(topic, partition, offset, record, ts_type))
                    continue
                if hits == 0:
                    if whole:
                        break  # every occurrence is accounted for: the rest are counted from the header
                    continue
                key, value = record.key, record.value
                if fold:
                    key = key.lower() if key is not None else None
                    value = value.lower() if value is not None else None
                if hits > MANY:
                    # Too many to count down: a plain test per record.
                    if (key is not None and wanted in key) or (value is not None and wanted in value):
                        candidates.append(_record(topic, partition, offset, record, ts_type))
                    continue
                found = _occurrences(key, wanted, 0, len(key)) if key else 0
                if value:
                    found += _occurrences(value, wanted, 0, len(value))
                if found:
                    hits -= found
                    candidates.append(_record(topic, partition, offset, record, ts_type))
            result.records += count if whole else seen
        result.next_offset = max(result.next_offset, last + 1)
        result.marks.append((result.next_offset, result.records, pos, pos_next))
        if last + 1 >= end:
            result.done = True
            result.next_offset = end
            break
        pos = pos_next
    return result


MANY = 64
"""Occurrences of the needle in a batch past which they are not counted
(``MANY + 1``): every record of such a batch is tested."""


def _occurrences(data: bytes, needle: bytes, start: int, end: int) -> int:
    """Occurrences of ``needle`` in ``data[start:end]``, overlapping ones too
    (so the occurrences inside the records' keys and values never number more
    than those in the batch), at most ``MANY + 1``."""
    count = 0
    at = data.find(needle, start, end)
    while at >= 0:
        count += 1
        if count > MANY:
            break
        at = data.find(needle, at + 1, end)
    return count


def records_through(scan: BatchScan, data: bytes, start: int, offset: int) -> int:
    """Records of the window (from ``start``) that ``scan`` of ``data`` counted up
    to and with ``offset``, the offset of one of its candidates: the batches
    before it by their counts, its own batch decoded again and counted."""
    before = 0
    for next_offset, counted, pos, pos_next in scan.marks:
        if next_offset > offset:
            batch = DefaultRecordBatch(data[pos:pos_next])
            return before + sum(1 for r in batch if start <= r.offset <= offset)
        before = counted
    # Legacy message sets leave no marks: all their records are candidates.
    return sum(1 for r in scan.candidates if start <= r.offset <= offset)


def _take_whole(batch: Any, topic: str, partition: int, wanted: bytes | None, out: list[Any]) -> None:
    """Append to ``out`` the records of ``batch`` (all in the window) that hold
    ``wanted`` in their value or key, or all of them when ``wanted`` is None;
    built as _record builds them, inline because this runs once per record."""
    ts_type = batch.timestamp_type
    append = out.append
    for record in batch:
        value = record.value
        key = record.key
        if wanted is None or (value is not None and wanted in value) or (key is not None and wanted in key):
            append(
                ConsumerRecord(
                    topic,
                    partition,
                    record.offset,
                    record.timestamp,
                    ts_type,
                    key,
                    value,
                    None,
                    -1 if key is None else len(key),
                    -1 if value is None else len(value),
                    tuple(record.headers),
                )
            )


def _record(topic: str, partition: int, offset: int, record: Any, ts_type: int) -> ConsumerRecord[bytes, bytes]:
    """The record as aiokafka's consumer would have given it (kview.core.ring.Record)."""
    key, value = record.key, record.value
    return ConsumerRecord(
        topic,
        partition,
        offset,
        record.timestamp,
        ts_type,
        key,
        value,
        None,
        len(key) if key is not None else -1,
        len(value) if value is not None else -1,
        tuple(record.headers),
    )


def _legacy(
    data: bytes, pos: int, size: int, topic: str, partition: int, start: int, end: int, result: BatchScan
) -> None:
    """A magic 0/1 message set entry: decoded whole, every record a candidate."""
    records = MemoryRecords(data[pos : pos + size])
    while (batch := records.next_batch()) is not None:
        result.batches += 1
        result.decoded_batches += 1
        for record in batch:
            offset = record.offset
            if offset >= end:
                result.done = True
                result.next_offset = end
                return
            result.next_offset = max(result.next_offset, offset + 1)
            if offset < start:
                continue
            result.records += 1
            result.candidates.append(_record(topic, partition, offset, record, record.timestamp_type or 0))
