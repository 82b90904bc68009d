"""Fetch (API 1) with its answer kept as bytes, for kview find's byte-level scan.

aiokafka's consumer turns every fetched record into a Python object before
anyone can look at it; a search wants the record batches as Kafka sends
them, to look for a needle in the bytes and decode only the batches that may
hold it.  ``FetchRequest`` here is aiokafka's own Fetch builder (v4 to v11,
the version negotiated as for any aiokafka request) whose response arrives
undecoded (``bulk_requests.RawResponse``); ``read_fetch`` splits the body
into partitions with ``struct`` and hands each partition's records as
bytes (one copy of the body's slice, which the scan searches in place).

Layout (Kafka's FetchResponse.json, the non-flexible versions 4 to 11):
throttle_time_ms, [error_code, session_id (v7+)], topics [name, partitions
[partition, error_code, high_watermark, last_stable_offset, log_start_offset
(v5+), aborted_transactions (nullable array of producer_id, first_offset),
preferred_read_replica (v11+), records (nullable bytes)]].
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from aiokafka.protocol.fetch import (
    FetchRequest as _AiokafkaFetchRequest,
)
from aiokafka.protocol.fetch import (
    FetchRequest_v4,
    FetchRequest_v5,
    FetchRequest_v6,
    FetchRequest_v7,
    FetchRequest_v8,
    FetchRequest_v9,
    FetchRequest_v10,
    FetchRequest_v11,
)

from kview.core.protocol.bulk_requests import _offer, _undecoded
from kview.core.protocol.wire import required_string

READ_UNCOMMITTED = 0
READ_COMMITTED = 1

_I16 = struct.Struct(">h").unpack_from
_I32 = struct.Struct(">i").unpack_from
_PARTITION = struct.Struct(">ihqq").unpack_from  # partition, error, high watermark, last stable offset
_I64 = struct.Struct(">q").unpack_from


class FetchRequest(_AiokafkaFetchRequest):
    """aiokafka's Fetch builder; the answer is a RawResponse for read_fetch.
    ``topics`` is ``[(topic, [(partition, fetch_offset, max_bytes), ...])]``."""


_offer(
    FetchRequest,
    [
        _undecoded(s)
        for s in (
            FetchRequest_v4,
            FetchRequest_v5,
            FetchRequest_v6,
            FetchRequest_v7,
            FetchRequest_v8,
            FetchRequest_v9,
            FetchRequest_v10,
            FetchRequest_v11,
        )
    ],
)


@dataclass(frozen=True, slots=True)
class FetchedPartition:
    """One partition of a Fetch answer (``records``: its record batches as sent)."""

    topic: str
    partition: int
    error_code: int
    high_watermark: int
    last_stable_offset: int
    log_start_offset: int
    records: bytes


def read_fetch(body: bytes, version: int) -> tuple[int, list[FetchedPartition]]:
    """(top-level error code, partitions) of a Fetch response body, v4 to v11."""
    if not 4 <= version <= 11:
        raise ValueError(f"Fetch v{version} is not supported by this reader")
    try:
        pos = 4  # throttle_time_ms
        error = 0
        if version >= 7:
            (error,) = _I16(body, pos)
            pos += 6  # error_code, session_id
        (topic_count,) = _I32(body, pos)
        pos += 4
        out: list[FetchedPartition] = []
        for _ in range(max(topic_count, 0)):
            topic, pos = required_string(body, pos)
            (count,) = _I32(body, pos)
            pos += 4
            for _ in range(max(count, 0)):
                partition, p_error, high, stable = _PARTITION(body, pos)
                pos += 22
                log_start = -1
                if version >= 5:
                    (log_start,) = _I64(body, pos)
                    pos += 8
                (aborted,) = _I32(body, pos)
                pos += 4 + 16 * max(aborted, 0)
                if version >= 11:
                    pos += 4  # preferred_read_replica
                (size,) = _I32(body, pos)
                pos += 4
                size = max(size, 0)
                if pos + size > len(body):
                    raise ValueError("records run past the end of the answer")
                out.append(FetchedPartition(topic, partition, p_error, high, stable, log_start, body[pos : pos + size]))
                pos += size
    except struct.error as exc:
        raise ValueError(f"Fetch v{version}: the answer ({len(body)} bytes) ends early: {exc}") from None
    if pos != len(body):
        raise ValueError(f"Fetch v{version}: {len(body) - pos} bytes left over after decoding")
    return error, out
