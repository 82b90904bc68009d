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
One case keeps the decoded value *and* has a problem: a JSON Schema payload
that parses but does not validate (the JSON is shown, the problem says where
it breaks the schema).

``await decoder.prepare(records)`` fetches the schemas of ids not seen before
(one request per id, bounded by ``wait`` seconds so a slow registry cannot stall
the tail); ``decoder.decode_batch(records)`` is then synchronous.  A schema
that arrives after the wait decodes the records of later batches, which do not
wait for it again.  An id the
registry does not know is asked again after a minute at the earliest; while
the registry is unreachable, the client's backoff keeps asking cheap.

Values become JSON as each codec's module says (``avro``: decimals as
strings keeping their scale, timestamps ISO-8601, bytes base64; ``protobuf``:
the proto3 JSON mapping; ``jsonschema_codec``: the JSON as it is)."""

from __future__ import annotations

import asyncio
import functools
import logging
import operator
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from kview.core.ring import Header
from kview.core.schemas.avro import AvroCodec
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.errors import DecodeError, RegistryError, RegistryUnavailable, SchemaError
from kview.core.schemas.framing import HEADER_SIZE
from kview.core.schemas.jsonschema_codec import JsonSchemaCodec
from kview.core.schemas.models import Schema
from kview.core.schemas.protobuf import ProtobufCodec
from kview.core.untrack import untrack_made

log = logging.getLogger(__name__)
_schema_id = struct.Struct(">I").unpack_from
_key = operator.attrgetter("key")
_value = operator.attrgetter("value")
_head = operator.itemgetter(slice(0, HEADER_SIZE))
_topic = operator.attrgetter("topic")
_first_byte = operator.itemgetter(slice(0, 1))
_ZERO = b"\x00"

DECODINGS = ("auto", "avro", "protobuf", "json-schema", "none")
"""How a key or value is decoded: ``auto`` decodes registry framing with
whatever type the schema has; ``avro`` / ``protobuf`` / ``json-schema`` insist
on that type (anything else stays raw with a reason); ``none`` never decodes."""

_TYPE_OF_DECODING = {"avro": "AVRO", "protobuf": "PROTOBUF", "json-schema": "JSON"}
_TYPE_NAMES = {"AVRO": "Avro", "PROTOBUF": "Protobuf", "JSON": "JSON Schema"}
UNKNOWN_ID_RETRY = 60.0
"""Seconds before an id the registry said it does not know is asked again."""
ERROR_RETRY = 10.0
"""Seconds before an id whose fetch failed with another error answer is asked again."""

Codec = AvroCodec | ProtobufCodec | JsonSchemaCodec


def compile_codec(schema: Schema, references: dict[str, Schema]) -> Codec:
    """The codec of a registered schema (SchemaError if it cannot be compiled)."""
    if schema.type == "AVRO":
        return AvroCodec(schema, references)
    if schema.type == "PROTOBUF":
        return ProtobufCodec(schema, references)
    if schema.type == "JSON":
        return JsonSchemaCodec(schema, references)
    raise SchemaError(f"schema type {schema.type} is not one kview decodes (AVRO, PROTOBUF, JSON)")


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

    def __init__(
        self,
        record: Any,
        key: bytes | None,
        value: bytes | None,
        key_schema: SchemaInfo | None = None,
        value_schema: SchemaInfo | None = None,
        key_problem: str | None = None,
        value_problem: str | None = None,
    ) -> None:
        self.topic = record.topic
        self.partition = record.partition
        self.offset = record.offset
        self.timestamp = record.timestamp
        self.timestamp_type = record.timestamp_type
        self.headers = record.headers
        self.raw_key = record.key
        self.raw_value = record.value
        self.key = key
        self.value = value
        self.key_schema = key_schema
        self.value_schema = value_schema
        self.key_problem = key_problem
        self.value_problem = value_problem

    def __repr__(self) -> str:
        return (
            f"DecodedRecord({self.topic}/{self.partition}@{self.offset}, key={self.key!r}, value={self.value!r}, "
            f"key_schema={self.key_schema}, value_schema={self.value_schema}, "
            f"key_problem={self.key_problem!r}, value_problem={self.value_problem!r})"
        )


def raw_value(record: Any) -> bytes | None:
    """The bytes Kafka holds for the record's value (decoded or not)."""
    return getattr(record, "raw_value", record.value)


def raw_key(record: Any) -> bytes | None:
    return getattr(record, "raw_key", record.key)


class _Entry:
    """A schema id the decoder knows: its codec (or why there is none) and the
    SchemaInfo shown per topic, side and Protobuf message."""

    __slots__ = ("codec", "info", "pairs", "problem", "type", "_infos")

    def __init__(self, info: SchemaInfo, codec: Codec | None = None, problem: str | None = None) -> None:
        self.codec = codec
        self.info = info
        self.type = info.type
        self.problem = problem
        self.pairs: list[tuple[str, int]] = []
        self._infos: dict[tuple[str, bool, str | None], SchemaInfo] = {}

    def info_for(self, topic: str, is_key: bool, message: str | None = None) -> SchemaInfo:
        """The subject and version that fit the topic (``<topic>-key`` /
        ``<topic>-value`` first, else the first the registry lists)."""
        cache_key = (topic, is_key, message)
        info = self._infos.get(cache_key)
        if info is None:
            info = self.info
            if self.pairs:
                wanted = f"{topic}-{'key' if is_key else 'value'}"
                subject, version = next((p for p in self.pairs if p[0] == wanted), self.pairs[0])
                info = replace(info, subject=subject, version=version)
            if message is not None:
                info = replace(info, message=message)
            self._infos[cache_key] = info
        return info

    def set_pairs(self, pairs: list[tuple[str, int]]) -> None:
        self.pairs = pairs
        if pairs:
            self.info = replace(self.info, subject=pairs[0][0], version=pairs[0][1])
        self._infos.clear()


class RecordDecoder:
    def __init__(
        self,
        client: RegistryClient | None,
        *,
        key_decoding: str = "auto",
        value_decoding: str = "auto",
        wait: float = 2.0,
    ) -> None:
        for name, decoding in (("key", key_decoding), ("value", value_decoding)):
            if decoding not in DECODINGS:
                raise ValueError(f"{name} decoding {decoding!r} is not one of {', '.join(DECODINGS)}")
        self.client = client
        self.key_decoding = key_decoding
        self.value_decoding = value_decoding
        self.wait = wait
        self._entries: dict[int, _Entry] = {}
        self._failed: dict[int, tuple[str, float]] = {}
        """Ids whose fetch failed: the reason, and when to ask again (monotonic)."""
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._looked: tuple[Sequence[Any], list[bytes | None], set[bytes], bool] | None = None
        """The batch prepare() looked at last (see _value_heads)."""

    # -- fetching ---------------------------------------------------------------------
    def _active(self, decoding: str) -> bool:
        if decoding == "none":
            return False
        return self.client is not None or decoding != "auto"

    async def prepare(self, records: Sequence[Any]) -> None:
        """Fetch (and compile) the schemas of ids in ``records`` not seen before."""
        if self.client is None:
            return
        keys, values = self._active(self.key_decoding), self._active(self.value_decoding)
        entries = self._entries
        read_id = _schema_id
        # The first 5 bytes of every key / value, gathered in C (a Python loop
        # here cost a tenth of decoding a record): a batch holds few distinct
        # ones, and only those are looked at.
        heads: set[bytes] = set()
        if keys:
            heads.update(map(_head, filter(None, map(_key, records))))
        if values:
            value_heads = self._value_heads(records)
            heads.update(value_heads[2])
        wanted: set[int] = set()
        for head in heads:
            if len(head) == HEADER_SIZE and head[0] == 0:
                schema_id = read_id(head, 1)[0]
                if schema_id not in entries:
                    wanted.add(schema_id)
        if not wanted:
            return
        now = time.monotonic()
        pending = []
        for schema_id in wanted:
            if schema_id in self._tasks:
                # Asked for by an earlier batch that already waited its bound:
                # this one is not held again (its records say they wait).
                continue
            failed = self._failed.get(schema_id)
            if failed is not None and now < failed[1]:
                continue
            task = asyncio.ensure_future(self._load(schema_id))
            self._tasks[schema_id] = task
            task.add_done_callback(functools.partial(self._loaded, schema_id))
            pending.append(task)
        if pending:
            # Tasks left running when the wait ends go on: their schema serves later batches.
            await asyncio.wait(pending, timeout=self.wait)

    def _value_heads(self, records: Sequence[Any]) -> tuple[Sequence[Any], list[bytes | None], set[bytes], bool]:
        """(records, their values, the first 5 bytes of every value neither
        null nor empty, whether every value is so), kept for decode_batch:
        prepare() and it look at the same batch."""
        looked = self._looked
        if looked is None or looked[0] is not records:
            values = list(map(_value, records))
            present = list(filter(None, values))
            looked = self._looked = (records, values, set(map(_head, present)), len(present) == len(values))
        return looked

    def _loaded(self, schema_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(schema_id) is task:
            del self._tasks[schema_id]

    async def _load(self, schema_id: int) -> None:
        """Fetch, resolve and compile one id; every outcome is recorded, nothing raised."""
        assert self.client is not None
        client = self.client
        try:
            schema = await client.schema_by_id(schema_id)
            references = await client.resolve_references(schema) if schema.references else {}
        except RegistryUnavailable as exc:
            self._failed[schema_id] = (f"schema id {schema_id}: {exc}", 0.0)
            return
        except RegistryError as exc:
            if exc.status == 404 and exc.code in (40403, None):
                reason = (
                    f"schema id {schema_id} is unknown to the registry (not registry framing, or another registry's id)"
                )
                self._failed[schema_id] = (reason, time.monotonic() + UNKNOWN_ID_RETRY)
            else:
                self._failed[schema_id] = (f"schema id {schema_id}: {exc}", time.monotonic() + ERROR_RETRY)
            return
        except Exception as exc:  # a bug must not stop the tail: say it, retry later
            log.exception("fetching schema id %s", schema_id)
            self._failed[schema_id] = (f"schema id {schema_id}: {type(exc).__name__}", time.monotonic() + ERROR_RETRY)
            return
        info = SchemaInfo(schema_id=schema_id, type=schema.type)
        try:
            if schema.type == "PROTOBUF":  # protoc takes tens of milliseconds: not on the loop
                codec = await asyncio.to_thread(compile_codec, schema, references)
            else:
                codec = compile_codec(schema, references)
            entry = _Entry(info, codec)
        except SchemaError as exc:
            entry = _Entry(info, problem=f"schema id {schema_id} ({schema.type}): {exc}")
        except Exception as exc:
            log.exception("compiling schema id %s", schema_id)
            entry = _Entry(info, problem=f"schema id {schema_id} ({schema.type}) cannot be compiled: {exc!r}")
        self._entries[schema_id] = entry
        self._failed.pop(schema_id, None)
        try:
            entry.set_pairs(await client.subject_versions_of(schema_id))
        except Exception:  # subject and version are a nicety: unknown is fine
            pass

    # -- decoding ---------------------------------------------------------------------
    def decode_batch(self, records: list[Any]) -> list[Any]:
        """``records`` with every framed key/value decoded (a DecodedRecord in
        place of the original); records with nothing framed are returned as they are."""
        try:
            return self._decode_batch(records)
        finally:
            self._looked = None  # the consumer's records it holds are done with

    def _decode_batch(self, records: list[Any]) -> list[Any]:
        key_mode, value_mode = self.key_decoding, self.value_decoding
        keys, values = self._active(key_mode), self._active(value_mode)
        if not (keys or values):
            return records
        if values:
            uniform = self._decode_uniform(records, keys)
            if uniform is not None:
                return uniform
        keys_any = keys and key_mode != "auto"  # explicit: every non-null key is looked at
        values_any = values and value_mode != "auto"
        out: list[Any] | None = None
        made: list[DecodedRecord] = []
        decode = self._decode
        # The per-record path of a decoding tail: a value with a known id
        # whose codec decodes it is handled inline, with everything bound
        # once; anything else (and every failure, to be worded) goes through
        # _decode.
        entries = self._entries
        read_id = _schema_id
        wanted = _TYPE_OF_DECODING.get(value_mode)  # None: auto (any type), or values not decoded
        make = DecodedRecord
        keep = made.append
        for i, record in enumerate(records):
            key = record.key
            value = record.value
            do_key = keys and key is not None and (keys_any or (len(key) > 0 and key[0] == 0))
            if values and value is not None and (values_any or (len(value) > 0 and value[0] == 0)):
                entry = entries.get(read_id(value, 1)[0]) if len(value) >= HEADER_SIZE and value[0] == 0 else None
                if entry is not None and entry.codec is not None and (wanted is None or entry.type == wanted):
                    try:
                        decoded, message, value_problem = entry.codec.decode_json(value, HEADER_SIZE)
                    except Exception:
                        value, value_schema, value_problem = decode(value, value_mode, record.topic, False)
                    else:
                        topic = record.topic
                        value_schema = entry._infos.get((topic, False, message))
                        if value_schema is None:
                            value_schema = entry.info_for(topic, False, message)
                        value = decoded
                else:
                    value, value_schema, value_problem = decode(value, value_mode, record.topic, False)
            elif do_key:
                value_schema = value_problem = None
            else:
                continue
            if do_key:
                key, key_schema, key_problem = decode(key, key_mode, record.topic, True)
            else:
                key_schema = key_problem = None
            if out is None:
                out = list(records)
            out[i] = decoded = make(record, key, value, key_schema, value_schema, key_problem, value_problem)
            keep(decoded)
        if out is None:
            return records
        # Out of the cycle collector's lists, as the consumer's records are:
        # a full ring holds 100,000 of them and every collection of their
        # generation walked them all (a fifth of a Protobuf tail's CPU time),
        # yet one holds only bytes, text, numbers, the record's headers tuple
        # and a frozen SchemaInfo, and nothing is set on it after it is made.
        untrack_made(made)
        return out

    def _decode_uniform(self, records: list[Any], keys: bool) -> list[DecodedRecord] | None:
        """The common batch, decoded in one call to its codec: every value
        framed with one schema id (and, for Protobuf, the schema's first
        message), one topic, no key to decode (``keys``: whether keys are
        decoded at all).  None when the batch is not so, or when any value
        fails to decode: the record-by-record loop then decodes it and words
        each failure.  Saves that loop's look-ups per record (a tenth of an
        Avro tail's time)."""
        _, values, heads, all_present = self._value_heads(records)
        if len(heads) != 1 or not all_present:
            return None
        (head,) = heads
        if len(head) != HEADER_SIZE or head[0] != 0:
            return None
        entry = self._entries.get(_schema_id(head, 1)[0])
        if entry is None or entry.codec is None:
            return None
        wanted = _TYPE_OF_DECODING.get(self.value_decoding)
        if wanted is not None and entry.type != wanted:
            return None
        decode_many = getattr(entry.codec, "decode_many", None)
        if decode_many is None:  # JSON Schema: a value may decode and still have a problem
            return None
        if keys and (self.key_decoding != "auto" or _ZERO in set(map(_first_byte, filter(None, map(_key, records))))):
            return None
        topics = set(map(_topic, records))
        if len(topics) != 1:
            return None
        try:
            decoded, message = decode_many(values)
        except Exception:
            return None
        info = entry.info_for(topics.pop(), False, message)
        make = DecodedRecord
        out = [make(record, record.key, value, None, info) for record, value in zip(records, decoded, strict=True)]
        untrack_made(out)  # as decode_batch does (see there)
        return out

    def _decode(self, data: bytes, mode: str, topic: str, is_key: bool) -> tuple[bytes, SchemaInfo | None, str | None]:
        """(JSON or the raw bytes, the schema, the problem) of one key or value."""
        entry = self._entries.get(_schema_id(data, 1)[0]) if len(data) >= HEADER_SIZE and data[0] == 0 else None
        if entry is not None and entry.codec is not None and (mode == "auto" or entry.type == _TYPE_OF_DECODING[mode]):
            try:
                decoded, message, problem = entry.codec.decode_json(data, HEADER_SIZE)
            except DecodeError as exc:
                return data, entry.info_for(topic, is_key), f"schema id {entry.info.schema_id}: {exc}"
            except Exception as exc:  # a library's surprise on odd bytes: that record stays raw
                reason = f"cannot decode ({type(exc).__name__})"
                return data, entry.info_for(topic, is_key), f"schema id {entry.info.schema_id}: {reason}"
            return decoded, entry.info_for(topic, is_key, message), problem
        return self._undecoded(data, mode, topic, is_key, entry)

    def _undecoded(
        self, data: bytes, mode: str, topic: str, is_key: bool, entry: _Entry | None
    ) -> tuple[bytes, SchemaInfo | None, str | None]:
        """Why ``data`` stays as it is."""
        if len(data) < HEADER_SIZE or data[0] != 0:
            if mode == "auto":
                return data, None, f"starts with a 0 byte but is too short for registry framing ({len(data)} bytes)"
            if not data:
                return data, None, f"empty: no {_TYPE_NAMES[_TYPE_OF_DECODING[mode]]} framing"
            return data, None, f"not registry framing (first byte {data[0]}, not 0)"
        schema_id = _schema_id(data, 1)[0]
        if entry is None:
            return data, None, self._missing(schema_id)
        info = entry.info_for(topic, is_key)
        if mode != "auto" and entry.type != _TYPE_OF_DECODING[mode]:
            wanted = _TYPE_NAMES[_TYPE_OF_DECODING[mode]]
            return data, info, f"schema id {schema_id} is {_TYPE_NAMES.get(entry.type, entry.type)}, not {wanted}"
        return data, info, entry.problem

    def _missing(self, schema_id: int) -> str:
        if schema_id in self._failed:
            return self._failed[schema_id][0]
        if schema_id in self._tasks:
            return f"schema id {schema_id}: the registry has not answered yet"
        if self.client is None:
            return "no schema registry configured for this cluster"
        return f"schema id {schema_id}: not fetched yet"

    def seen_ids(self) -> dict[int, SchemaInfo]:
        """Schema ids met so far (for the topic detail's 'schema ids seen')."""
        return {schema_id: entry.info for schema_id, entry in self._entries.items()}

    async def close(self) -> None:
        """Stop fetches still running (the client is not the decoder's to close)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
