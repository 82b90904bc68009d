"""The big reads of a refresh, with wire codecs fast enough for 20,000 partitions:
Metadata (API 3), ListOffsets (API 2) and DescribeLogDirs (API 35).

aiokafka decodes a response field by field in Python, on the event loop, the
moment it arrives (in its connection's reader), and encodes requests the same
way.  For 20,000 partitions that is half a second to a second of CPU per
Metadata answer, and encoding the ListOffsets requests and decoding their
answers costs more again, while no key is handled.

The requests here are aiokafka ``Request`` builders, so they travel through
aiokafka's connections and version negotiation like any other request, but
their responses arrive undecoded (``RawResponse``: the body bytes and the
version).  The readers below decode them by unpacking whole records with
``struct``, several times faster, and are plain functions so a caller can run
them in a worker thread (``kview.core.cluster.off_loop``).  ListOffsets requests are
encoded here for the same reason.

The request classes are named after Kafka's APIs, like aiokafka's and
kview's own: use them as ``bulk_requests.MetadataRequest`` and so on.

Readers return plain tuples in the order of Kafka's schemas (arrays as lists,
int arrays as tuples, a null array as None); tagged fields are skipped.  The
unit tests compare them with aiokafka's own decoding of the same bytes.  Only
wire formats live here: kview's dataclasses are built in ``kview.core.cluster``
and ``kview.core.topics``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from functools import wraps
from io import BytesIO
from typing import Any, ClassVar, TypeVar

from aiokafka.protocol.api import Request, Response
from aiokafka.protocol.metadata import (
    MetadataRequest_v0,
    MetadataRequest_v1,
    MetadataRequest_v2,
    MetadataRequest_v3,
    MetadataRequest_v4,
    MetadataRequest_v5,
    MetadataRequestStruct,
)
from aiokafka.protocol.offset import (
    OffsetRequest_v1,
    OffsetRequest_v2,
    OffsetRequest_v3,
    OffsetRequestStruct,
)

from kview.core.protocol import cluster_requests
from kview.core.protocol.cluster_requests import (
    DescribeLogDirsRequest_v1,
    DescribeLogDirsRequest_v2,
    DescribeLogDirsRequest_v3,
    DescribeLogDirsRequest_v4,
    DescribeLogDirsRequest_v5,
)
from kview.core.protocol.wire import (
    int32s,
    int_array,
    required_compact_string,
    required_string,
    skip_tags,
    string,
    uvarint,
)

_R = TypeVar("_R")

# -- undecoded responses ------------------------------------------------------------------


class RawResponse(Response):
    """A response kept as its body's bytes (after the response header), to be
    decoded by a reader of this module, possibly in another thread."""

    API_KEY: ClassVar[int]
    API_VERSION: ClassVar[int]
    SCHEMA = Response.SCHEMA  # empty: nothing is decoded on arrival
    body: bytes

    @classmethod
    def decode(cls, data: BytesIO | bytes) -> RawResponse:
        response = cls()
        response.body = data.read() if isinstance(data, BytesIO) else bytes(data)
        return response

    @property
    def version(self) -> int:
        return self.API_VERSION

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.body)} bytes)"


def _undecoded(struct_class: type[Any], **overrides: Any) -> type:
    """A subclass of an aiokafka request struct whose response arrives undecoded."""
    response = struct_class.RESPONSE_TYPE
    raw = type(
        f"Raw{response.__name__}", (RawResponse,), {"API_KEY": response.API_KEY, "API_VERSION": response.API_VERSION}
    )
    return type(f"Bulk{struct_class.__name__}", (struct_class,), {"RESPONSE_TYPE": raw, **overrides})


def _offer(request_class: type[Request], structs: Sequence[type]) -> None:
    # aiokafka's Request takes its versions from the generic parameter of the
    # class statement; the undecoded variants are made at import, so they are
    # set here (the highest version both sides speak is still picked by
    # Request.prepare, as for aiokafka's own requests).
    request_class._CLASSES = tuple(structs)


# -- primitive readers ----------------------------------------------------------------------

_I16 = struct.Struct(">h").unpack_from
_I32 = struct.Struct(">i").unpack_from
_I64 = struct.Struct(">q").unpack_from
_PARTITION_HEAD = struct.Struct(">hiii").unpack_from  # error, index, leader, replica count


def _whole(reader: Callable[[bytes, int], _R]) -> Callable[[bytes, int], _R]:
    """A reader that says a short body is one (struct and indexing say it
    many ways) as a ValueError naming the response."""

    @wraps(reader)
    def read(body: bytes, version: int) -> _R:
        try:
            return reader(body, version)
        except (struct.error, IndexError) as exc:
            raise ValueError(
                f"{reader.__name__}: the answer (v{version}, {len(body)} bytes) ends early: {exc}"
            ) from None

    return read


def _finished(buf: bytes, pos: int, what: str) -> None:
    if pos != len(buf):
        raise ValueError(f"{what}: {len(buf) - pos} bytes left over (or missing) after decoding")


# -- Metadata (API 3) -------------------------------------------------------------------------

MetadataTuple = tuple[
    list[tuple[int, str, int, "str | None"]],
    "str | None",
    int,
    list[tuple[int, str, bool, list[tuple[int, int, int, Any, Any, Any]]]],
]
"""(brokers [(node_id, host, port, rack)], cluster_id, controller_id,
topics [(error_code, name, is_internal, partitions [(error_code, partition,
leader, replicas, isr, offline_replicas)])]); fields a version lacks are None
(controller_id -1, is_internal False)."""


@_whole
def read_metadata(body: bytes, version: int) -> MetadataTuple:
    """Decode a Metadata response body of ``version`` (0 to 5)."""
    if not 0 <= version <= 5:
        raise ValueError(f"Metadata v{version} is not supported by this reader")
    buf = body
    pos = 4 if version >= 3 else 0  # throttle_time_ms
    (count,) = _I32(buf, pos)
    pos += 4
    brokers = []
    for _ in range(max(count, 0)):
        (node_id,) = _I32(buf, pos)
        host, pos = required_string(buf, pos + 4)
        (port,) = _I32(buf, pos)
        pos += 4
        rack = None
        if version >= 1:
            rack, pos = string(buf, pos)
        brokers.append((node_id, host, port, rack))
    cluster_id = None
    if version >= 2:
        cluster_id, pos = string(buf, pos)
    controller_id = -1
    if version >= 1:
        (controller_id,) = _I32(buf, pos)
        pos += 4
    (count,) = _I32(buf, pos)
    pos += 4
    topics = []
    with_offline = version >= 5
    shape = (-1, -1, -1)  # the last partition's (replicas, ISR, offline) counts
    whole = None
    for _ in range(max(count, 0)):
        (error_code,) = _I16(buf, pos)
        name, pos = required_string(buf, pos + 2)
        internal = False
        if version >= 1:
            internal = buf[pos] != 0
            pos += 1
        (partition_count,) = _I32(buf, pos)
        pos += 4
        partitions = []
        for _ in range(max(partition_count, 0)):
            # Partitions mostly look like the one before (same replica and ISR
            # counts): read such a one whole with one unpack, checking its counts.
            if whole is not None and pos + whole.size <= len(buf):
                values = whole.unpack_from(buf, pos)
                r, i, o = shape
                if values[3] == r and values[4 + r] == i and (not with_offline or values[5 + r + i] == o):
                    partitions.append(
                        (
                            values[0],
                            values[1],
                            values[2],
                            values[4 : 4 + r],
                            values[5 + r : 5 + r + i],
                            values[6 + r + i :] if with_offline else None,
                        )
                    )
                    pos += whole.size
                    continue
            entry, pos, counts = _read_partition(buf, pos, with_offline)
            partitions.append(entry)
            if counts != shape and min(counts) >= 0:
                shape = counts
                whole = _partition_struct(counts, with_offline)
        topics.append((error_code, name, internal, partitions))
    _finished(buf, pos, f"Metadata v{version}")
    return brokers, cluster_id, controller_id, topics


def _read_partition(buf: bytes, pos: int, with_offline: bool) -> tuple[tuple[Any, ...], int, tuple[int, int, int]]:
    """One Metadata partition, field by field: (entry, position after, counts)."""
    p_error, index, leader, replica_count = _PARTITION_HEAD(buf, pos)
    pos += 14
    if replica_count >= 0:
        replicas = int32s(replica_count)(buf, pos)
        pos += 4 * replica_count
    else:
        replicas = None
    isr, pos = int_array(buf, pos)
    offline = None
    if with_offline:
        offline, pos = int_array(buf, pos)
    counts = (
        replica_count,
        -1 if isr is None else len(isr),
        (-1 if offline is None else len(offline)) if with_offline else 0,
    )
    return (p_error, index, leader, replicas, isr, offline), pos, counts


_PARTITION_STRUCTS: dict[tuple[tuple[int, int, int], bool], struct.Struct] = {}


def _partition_struct(counts: tuple[int, int, int], with_offline: bool) -> struct.Struct:
    """A whole partition of these counts: error, index, leader, replica
    count, replicas, ISR count, ISR[, offline count, offline]."""
    key = (counts, with_offline)
    made = _PARTITION_STRUCTS.get(key)
    if made is None:
        r, i, o = counts
        layout = f">hiii{r}ii{i}i" + (f"i{o}i" if with_offline else "")
        made = _PARTITION_STRUCTS[key] = struct.Struct(layout)
    return made


class MetadataRequest(Request[MetadataRequestStruct]):
    """Metadata of ``topics`` (None: every topic), answered undecoded; never
    creates a topic it asks about."""

    API_KEY = 3

    def __init__(self, topics: list[str] | None = None) -> None:
        self.topics = topics

    def build(self, request_struct_class: type[Any]) -> Any:
        if request_struct_class.API_VERSION >= 4:
            return request_struct_class(self.topics, False)
        if request_struct_class.API_VERSION == 0:
            return request_struct_class(self.topics or [])
        return request_struct_class(self.topics)


_offer(
    MetadataRequest,
    [
        _undecoded(s)
        for s in (
            MetadataRequest_v0,
            MetadataRequest_v1,
            MetadataRequest_v2,
            MetadataRequest_v3,
            MetadataRequest_v4,
            MetadataRequest_v5,
        )
    ],
)


# -- ListOffsets (API 2) -----------------------------------------------------------------------

_OFFSET_ANSWER = struct.Struct(">ihqq")  # partition, error, timestamp, offset
_REPLICA = struct.Struct(">i").pack
_COUNT = struct.Struct(">i").pack
_ISOLATION = struct.Struct(">b").pack
_SIZE16 = struct.Struct(">h").pack


_PARTITION_AT = struct.Struct(">iq").pack  # partition, timestamp


def encode_offset_topics(topics: Sequence[tuple[str, Sequence[tuple[int, int]]]]) -> bytes:
    """The topics array of a ListOffsets request (the same in v1 to v3):
    ``topics`` is ``[(topic, [(partition, timestamp), ...]), ...]``."""
    out = [_COUNT(len(topics))]
    for topic, partitions in topics:
        name = topic.encode("utf-8")
        out += (_SIZE16(len(name)), name, _COUNT(len(partitions)))
        out += [_PARTITION_AT(partition, timestamp) for partition, timestamp in partitions]
    return b"".join(out)


def encode_list_offsets(
    version: int, replica_id: int, isolation_level: int, topics: Sequence[tuple[str, Sequence[tuple[int, int]]]] | bytes
) -> bytes:
    """A ListOffsets request body (v1 to v3); ``topics`` as for
    ``encode_offset_topics``, or what it returned."""
    if not 1 <= version <= 3:
        raise ValueError(f"ListOffsets v{version} is not supported by this encoder")
    head = _REPLICA(replica_id) + (_ISOLATION(isolation_level) if version >= 2 else b"")
    return head + (topics if isinstance(topics, bytes) else encode_offset_topics(topics))


@_whole
def read_list_offsets(body: bytes, version: int) -> list[tuple[str, list[tuple[int, int, int, int]]]]:
    """Decode a ListOffsets response body (v1 to v3):
    ``[(topic, [(partition, error_code, timestamp, offset), ...]), ...]``."""
    if not 1 <= version <= 3:
        raise ValueError(f"ListOffsets v{version} is not supported by this reader")
    buf = body
    pos = 4 if version >= 2 else 0  # throttle_time_ms
    (count,) = _I32(buf, pos)
    pos += 4
    topics = []
    size = _OFFSET_ANSWER.size
    for _ in range(max(count, 0)):
        name, pos = required_string(buf, pos)
        (partition_count,) = _I32(buf, pos)
        pos += 4
        end = pos + size * max(partition_count, 0)
        if end > len(buf):
            raise ValueError("buffer underrun reading ListOffsets partitions")
        topics.append((name, list(_OFFSET_ANSWER.iter_unpack(buf[pos:end]))))
        pos = end
    _finished(buf, pos, f"ListOffsets v{version}")
    return topics


def _offsets_encoder(version: int) -> Callable[[Any], bytes]:
    def encode(self: Any) -> bytes:
        isolation = self.isolation_level if version >= 2 else 0
        return encode_list_offsets(version, self.replica_id, isolation, self.topics)

    return encode


class ListOffsetsRequest(Request[OffsetRequestStruct]):
    """ListOffsets (v1+), encoded and answered in bulk: ``topics`` is
    ``[(topic, [(partition, timestamp), ...]), ...]`` with timestamp -2
    (earliest), -1 (latest) or milliseconds since the epoch, or those already
    encoded by ``encode_offset_topics`` (in a worker thread, say)."""

    API_KEY = 2

    def __init__(
        self, topics: list[tuple[str, list[tuple[int, int]]]] | bytes, *, replica_id: int = -1, isolation_level: int = 0
    ) -> None:
        self.topics = topics
        self.replica_id = replica_id
        self.isolation_level = isolation_level

    def build(self, request_struct_class: type[Any]) -> Any:
        if request_struct_class.API_VERSION < 2:
            return request_struct_class(self.replica_id, self.topics)
        return request_struct_class(self.replica_id, self.isolation_level, self.topics)


_offer(
    ListOffsetsRequest,
    [
        _undecoded(s, encode=_offsets_encoder(s.API_VERSION))
        for s in (OffsetRequest_v1, OffsetRequest_v2, OffsetRequest_v3)
    ],
)


# -- DescribeLogDirs (API 35) ------------------------------------------------------------------

_LOG_PARTITION = struct.Struct(">iqq?")  # index, size, offset lag, is future
_LOG_PARTITION_TAGGED = struct.Struct(">iqq?B")  # ... then an (empty) tag count
_SIZES = struct.Struct(">qq").unpack_from

LogDirsTuple = tuple[
    int, list[tuple[int, str, list[tuple[str, list[tuple[int, int, int, bool]]]], "int | None", "int | None"]]
]
"""(error_code, results [(error_code, log_dir, topics [(name, partitions
[(partition, size, offset_lag, is_future)])], total_bytes, usable_bytes)]);
error_code is 0 before v3, the byte counts None before v4."""


@_whole
def read_log_dirs(body: bytes, version: int) -> LogDirsTuple:
    """Decode a DescribeLogDirs response body (v1 to v5)."""
    if not 1 <= version <= 5:
        raise ValueError(f"DescribeLogDirs v{version} is not supported by this reader")
    buf = body
    pos = 4  # throttle_time_ms
    error_code = 0
    if version >= 3:
        (error_code,) = _I16(buf, pos)
        pos += 2
    flexible = version >= 2
    if flexible:
        count, pos = uvarint(buf, pos)
        count -= 1
    else:
        (count,) = _I32(buf, pos)
        pos += 4
    results = []
    for _ in range(max(count, 0)):
        (dir_error,) = _I16(buf, pos)
        pos += 2
        if flexible:
            log_dir, pos = required_compact_string(buf, pos)
            topic_count, pos = uvarint(buf, pos)
            topic_count -= 1
        else:
            log_dir, pos = required_string(buf, pos)
            (topic_count,) = _I32(buf, pos)
            pos += 4
        topics = []
        for _ in range(max(topic_count, 0)):
            if flexible:
                name, pos = required_compact_string(buf, pos)
                partition_count, pos = uvarint(buf, pos)
                partition_count -= 1
                partitions = []
                tagged = _LOG_PARTITION_TAGGED
                for _ in range(max(partition_count, 0)):
                    index, size, lag, future, tags = tagged.unpack_from(buf, pos)
                    pos += 22
                    if tags:  # tagged fields: rare, step over them properly
                        pos = skip_tags(buf, pos - 1)
                    partitions.append((index, size, lag, future))
                pos = skip_tags(buf, pos)
            else:
                name, pos = required_string(buf, pos)
                (partition_count,) = _I32(buf, pos)
                pos += 4
                end = pos + _LOG_PARTITION.size * max(partition_count, 0)
                if end > len(buf):
                    raise ValueError("buffer underrun reading DescribeLogDirs partitions")
                partitions = list(_LOG_PARTITION.iter_unpack(buf[pos:end]))
                pos = end
            topics.append((name, partitions))
        total = usable = None
        if version >= 4:
            total, usable = _SIZES(buf, pos)
            pos += 16
        if version >= 5:
            pos += 1  # is_cordoned
        if flexible:
            pos = skip_tags(buf, pos)
        results.append((dir_error, log_dir, topics, total, usable))
    if flexible:
        pos = skip_tags(buf, pos)
    _finished(buf, pos, f"DescribeLogDirs v{version}")
    return error_code, results


class DescribeLogDirsRequest(cluster_requests.DescribeLogDirsRequest):
    """DescribeLogDirs of the broker it is sent to, answered undecoded;
    ``topics=None`` asks for every partition the broker hosts."""


_offer(
    DescribeLogDirsRequest,
    [
        _undecoded(s)
        for s in (
            DescribeLogDirsRequest_v1,
            DescribeLogDirsRequest_v2,
            DescribeLogDirsRequest_v3,
            DescribeLogDirsRequest_v4,
            DescribeLogDirsRequest_v5,
        )
    ],
)
