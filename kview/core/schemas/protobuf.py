"""Protobuf: a registered schema (and the files it imports, supplied by the
registry as references named by their import path) compiled into message
classes of a private descriptor pool, payloads decoded to JSON and JSON
encoded to payloads.

The registry serves a Protobuf schema as ``.proto`` text, or, for schemas
registered by confluent-kafka's Python serializer, as a base64 serialized
``FileDescriptorProto``; both are accepted, for the schema and each reference.
``.proto`` text is compiled by protoc itself, in-process (grpcio-tools: the
only complete parser of the language; its bundled include directory supplies
the well-known types), into a FileDescriptorSet.  Each schema gets a pool of
its own, so two schemas that define the same message name never clash.

The message of a record is chosen by the message indexes of its framing (the
top-level message, then nested types).  Decoded values follow the proto3 JSON
mapping (``json_format.MessageToDict``) with the field names of the .proto
file and every field shown, defaults included: oneofs show the field that is
set, enums their names, 64-bit integers as strings, bytes as base64, and the
well-known types their JSON forms (a Timestamp as RFC 3339 text, a Struct as
an object, wrappers as their value)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import importlib
import operator
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kview.core.schemas.avro import describe_json, fast_compact_json
from kview.core.schemas.errors import DecodeError, EncodeError, SchemaError
from kview.core.schemas.framing import read_message_indexes
from kview.core.schemas.models import Schema
from kview.core.schemas.protobuf_json import JsonConverters

_ENCODE = fast_compact_json()
_FIRST = (0,)
"""The message indexes of the schema's first message (one 0 byte on the wire)."""
_INDEX_BYTE = operator.itemgetter(5)
"""The byte after a value's framing: 0 for the first message."""
_PROTOC_LOCK = threading.Lock()
"""protoc writes its errors to file descriptor 2: one compile at a time
borrows it (and a TUI's terminal never sees them)."""
_LOG_NOISE = re.compile(r"^(WARNING: All log messages before absl|[WIEF]\d{4} \d\d:\d\d)")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+=*")


def _include_dir() -> str:
    import grpc_tools  # type: ignore[import-untyped,unused-ignore]

    return str(Path(grpc_tools.__file__).parent / "_proto")


def _descriptor(text: str) -> Any | None:
    """The FileDescriptorProto of a base64 serialized schema, None for .proto text."""
    from google.protobuf import descriptor_pb2  # type: ignore[import-untyped,unused-ignore]
    from google.protobuf.message import DecodeError as ProtoDecodeError  # type: ignore[import-untyped,unused-ignore]

    compact = text.strip()
    if not compact or not _BASE64.fullmatch(compact):
        return None
    try:
        raw = base64.b64decode(compact, validate=True)
        proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
    except (binascii.Error, ValueError, ProtoDecodeError):
        return None
    return proto if (proto.name or proto.message_type) else None


@contextlib.contextmanager
def _stderr_into(path: Path) -> Iterator[None]:
    with _PROTOC_LOCK, open(path, "wb") as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def compile_proto(main: str, files: Mapping[str, str], descriptors: Sequence[Any] = ()) -> list[Any]:
    """FileDescriptorProtos of ``main`` and everything it imports: ``files``
    are .proto texts by import path (``main`` among them), ``descriptors``
    already compiled files the texts may import."""
    from google.protobuf import descriptor_pb2  # type: ignore[import-untyped,unused-ignore]
    from grpc_tools import protoc  # type: ignore[import-untyped,unused-ignore]

    with tempfile.TemporaryDirectory(prefix="kview-proto-") as tmp:
        root = Path(tmp) / "src"
        for name, text in files.items():
            target = (root / name).resolve()
            if root.resolve() not in target.parents:
                raise SchemaError(f"Protobuf import path {name!r} leaves its directory")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        out = Path(tmp) / "out.pb"
        errors = Path(tmp) / "errors.txt"
        args = ["protoc", f"-I{root}", f"-I{_include_dir()}", f"--descriptor_set_out={out}", "--include_imports"]
        if descriptors:
            given = Path(tmp) / "given.pb"
            given.write_bytes(descriptor_pb2.FileDescriptorSet(file=list(descriptors)).SerializeToString())
            args.append(f"--descriptor_set_in={given}")
        args.append(main)
        with _stderr_into(errors):
            code = protoc.main(args)
        if code != 0 or not out.exists():
            text = errors.read_text(encoding="utf-8", errors="replace").replace(f"{root}{os.sep}", "")
            # protoc's logging library may announce itself first; its lines are no reason.
            lines = [line.strip() for line in text.splitlines() if line.strip() and not _LOG_NOISE.match(line)]
            raise SchemaError(f"Protobuf schema does not compile: {lines[0] if lines else f'protoc exit code {code}'}")
        return list(descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file)


def _well_known(name: str) -> Any | None:
    """The FileDescriptorProto of a well-known type (google/protobuf/*.proto)
    from the protobuf package itself."""
    from google.protobuf import descriptor_pb2, descriptor_pool  # type: ignore[import-untyped,unused-ignore]

    if not name.startswith("google/protobuf/") or not name.endswith(".proto"):
        return None
    module = name[: -len(".proto")].replace("/", ".") + "_pb2"
    try:
        importlib.import_module(module)
        found = descriptor_pool.Default().FindFileByName(name)
    except (ImportError, KeyError):
        return None
    proto = descriptor_pb2.FileDescriptorProto()
    found.CopyToProto(proto)
    return proto


class ProtobufCodec:
    """One registered Protobuf schema, compiled."""

    type = "PROTOBUF"

    def __init__(self, schema: Schema, references: Mapping[str, Schema] | None = None) -> None:
        from google.protobuf import descriptor_pool  # type: ignore[import-untyped,unused-ignore]

        self.schema = schema
        references = references or {}
        texts: dict[str, str] = {}
        compiled: dict[str, Any] = {}
        for name, ref in references.items():
            proto = _descriptor(ref.text)
            if proto is not None:
                proto.name = name  # imports name it by the reference name
                compiled[name] = proto
            else:
                texts[name] = ref.text
        main_proto = _descriptor(schema.text)
        main_name = f"kview_schema_{schema.id if schema.id is not None else 'new'}.proto"
        while main_name in references:
            main_name = "_" + main_name
        if main_proto is None:
            texts[main_name] = schema.text
        else:
            main_proto.name = main_name
            compiled[main_name] = main_proto
        if texts:
            targets = [main_name] if main_name in texts else list(texts)
            for target in targets:
                for proto in compile_proto(target, texts, list(compiled.values())):
                    compiled.setdefault(proto.name, proto)
        self.pool = descriptor_pool.DescriptorPool()
        self._add(main_name, compiled, set(), ())
        self.file = compiled[main_name]
        self.package = self.file.package
        if not self.file.message_type:
            raise SchemaError("Protobuf schema defines no message")
        self._classes: dict[tuple[int, ...], tuple[Any, str]] = {}
        self._to_json = JsonConverters(self.pool)
        self._readers: dict[tuple[int, ...], tuple[Any, str, Any]] = {}

    def _add(self, name: str, files: dict[str, Any], added: set[str], chain: tuple[str, ...]) -> None:
        if name in added:
            return
        if name in chain:
            raise SchemaError(f"Protobuf imports go round in a circle: {' -> '.join((*chain, name))}")
        proto = files.get(name) or _well_known(name)
        if proto is None:
            raise SchemaError(f"Protobuf schema imports {name}, which the registry did not supply as a reference")
        for dependency in proto.dependency:
            self._add(dependency, files, added, (*chain, name))
        try:
            self.pool.Add(proto)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"Protobuf file {name} cannot be loaded: {' '.join(str(exc).split())}") from None
        added.add(name)

    # -- messages ---------------------------------------------------------------------
    def message_class(self, indexes: tuple[int, ...]) -> tuple[Any, str]:
        """The message class the indexes choose, and its full name."""
        found = self._classes.get(indexes)
        if found is None:
            from google.protobuf import message_factory  # type: ignore[import-untyped,unused-ignore]

            names = []
            types = self.file.message_type
            try:
                for index in indexes:
                    message = types[index]
                    names.append(message.name)
                    types = message.nested_type
            except IndexError:
                raise DecodeError(f"message indexes {list(indexes)} name no message of the schema") from None
            full = ".".join([self.package, *names] if self.package else names)
            cls = message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full))
            found = self._classes[indexes] = (cls, full)
        return found

    def indexes_of(self, message: str | None) -> tuple[int, ...]:
        """The indexes of the message with this full (or short) name; the first message without one."""
        if message is None:
            return (0,)
        wanted = message.lstrip(".")

        def walk(types: Any, prefix: str, path: tuple[int, ...]) -> tuple[int, ...] | None:
            for i, t in enumerate(types):
                full = f"{prefix}.{t.name}" if prefix else t.name
                if wanted in (full, t.name if not prefix or "." not in wanted else full):
                    return (*path, i)
                inner = walk(t.nested_type, full, (*path, i))
                if inner is not None:
                    return inner
            return None

        found = walk(self.file.message_type, self.package, ())
        if found is None:
            raise SchemaError(f"the schema has no message {message}")
        return found

    def message_names(self) -> list[str]:
        """Full names of every message of the schema, top-level first."""
        names: list[str] = []

        def walk(types: Any, prefix: str) -> None:
            for t in types:
                if t.options.map_entry:
                    continue  # map<k, v> fields' generated entries are no messages to write
                full = f"{prefix}.{t.name}" if prefix else t.name
                names.append(full)
                walk(t.nested_type, full)

        walk(self.file.message_type, self.package)
        return names

    # -- reading and writing -------------------------------------------------------------
    def decode_json(self, data: bytes, pos: int = 5) -> tuple[bytes, str, None]:
        """The per-record path of the tail: (JSON bytes, message full name, None)."""
        value, name = self.read(data, pos)
        return _ENCODE(value), name, None

    def decode_many(self, values: list[bytes]) -> tuple[list[bytes], str]:
        """(JSON bytes of each, the message's full name) for framed values that
        all carry this schema's id (the caller has checked the 5 framing
        bytes) and the first message's index (one 0 byte): a tail's batch in
        one call.  Anything else, or a value that does not parse, raises; the
        caller then decodes record by record (decode_json) to say which fail and why."""
        if set(map(_INDEX_BYTE, values)) != {0}:
            raise DecodeError("not all the first message")
        reader = self._readers.get(_FIRST)
        if reader is None:
            reader = self._reader(_FIRST)
        parse, full, convert = reader
        return [_ENCODE(convert(parse(data[6:]))) for data in values], full

    def _reader(self, indexes: tuple[int, ...]) -> tuple[Any, str, Any]:
        cls, full = self.message_class(indexes)
        reader = self._readers[indexes] = (cls.FromString, full, self._to_json(cls.DESCRIPTOR))
        return reader

    def read(self, data: bytes, pos: int) -> tuple[dict[str, Any], str]:
        """The JSON object of the message at ``data[pos:]`` (indexes first), and its full name."""
        if len(data) > pos and data[pos] == 0:  # the first message ([0]): the common case
            indexes: tuple[int, ...] = (0,)
            pos += 1
        else:
            try:
                indexes, pos = read_message_indexes(data, pos)
            except ValueError as exc:
                raise DecodeError(str(exc)) from None
        reader = self._readers.get(indexes)
        if reader is None:
            reader = self._reader(indexes)
        parse, full, convert = reader
        try:
            message = parse(data[pos:])
        except Exception as exc:  # protobuf's DecodeError, or a library surprise on odd bytes
            raise DecodeError(
                f"truncated or corrupt Protobuf payload for {full} ({' '.join(str(exc).split())})"
            ) from None
        try:
            value = convert(message)
        except Exception as exc:  # e.g. an Any whose type the pool does not know
            raise DecodeError(f"{full} cannot be shown as JSON: {' '.join(str(exc).split())}") from None
        return value, full

    def write(self, doc: Any, message: str | None = None) -> tuple[bytes, tuple[int, ...]]:
        """The payload of JSON ``doc`` as ``message`` and its message indexes
        (EncodeError with the field path)."""
        from google.protobuf import json_format  # type: ignore[import-untyped,unused-ignore]

        indexes = self.indexes_of(message)
        cls, full = self.message_class(indexes)
        if not isinstance(doc, dict):
            raise EncodeError("$", f"expected an object for {full}")
        target = cls()
        try:
            json_format.ParseDict(doc, target, descriptor_pool=self.pool)
        except json_format.ParseError as exc:
            raise EncodeError(*_locate(doc, cls, self.pool, "$", exc)) from None
        return target.SerializeToString(), indexes


_PREFIX = re.compile(r"^(?:Failed to parse \w+ field: )+")
_SUFFIX = re.compile(r"(?: at [\w.\[\]]+)?\.*$")


def _clean(exc: BaseException) -> str:
    """json_format's innermost reason, without its "Failed to parse x field:"
    chain, its " at Order.x" tail and its list of available fields."""
    text = str(exc).split("\n")[0].strip()
    text = _PREFIX.sub("", text)
    return _SUFFIX.sub("", text) or "not valid for the message"


def _field(descriptor: Any, key: str) -> Any:
    field = descriptor.fields_by_name.get(key)
    if field is None:
        field = next((f for f in descriptor.fields if f.json_name == key), None)
    return field


def _locate(doc: dict[str, Any], cls: Any, pool: Any, path: str, error: BaseException) -> tuple[str, str]:
    """The field path (``$.lines[1].sku``) and reason of a ParseDict failure:
    json_format names the fields of the chain but not the list positions, so
    the failing part is found by parsing the parts one by one."""
    from google.protobuf import json_format, message_factory  # type: ignore[import-untyped,unused-ignore]

    descriptor = cls.DESCRIPTOR

    def fails(part: dict[str, Any], target: Any) -> BaseException | None:
        try:
            json_format.ParseDict(part, target(), descriptor_pool=pool)
        except json_format.ParseError as exc:
            return exc
        return None

    for key, value in doc.items():
        exc = fails({key: value}, cls)
        if exc is None:
            continue
        here = f"{path}.{key}"
        field = _field(descriptor, key)
        if field is None:
            return here, f"no field named {key} in {descriptor.full_name}"
        message = field.message_type
        is_map = message is not None and message.GetOptions().map_entry
        repeated = field.is_repeated
        if is_map:
            if not isinstance(value, dict):
                return here, f"expected an object (a map), got {describe_json(value)}"
            for k, v in value.items():
                inner = fails({key: {k: v}}, cls)
                if inner is not None:
                    return f"{here}.{k}", _clean(inner)
            return here, _clean(exc)
        if repeated:
            if not isinstance(value, list):
                return here, f"expected an array, got {describe_json(value)}"
            for i, item in enumerate(value):
                inner = fails({key: [item]}, cls)
                if inner is None:
                    continue
                if _plain_message(message) and isinstance(item, dict):
                    sub = message_factory.GetMessageClass(message)
                    return _locate(item, sub, pool, f"{here}[{i}]", inner)
                if _plain_message(message):
                    return f"{here}[{i}]", f"expected an object ({message.full_name}), got {describe_json(item)}"
                return f"{here}[{i}]", _clean(inner)
            return here, _clean(exc)
        if _plain_message(message):
            if not isinstance(value, dict):
                return here, f"expected an object ({message.full_name}), got {describe_json(value)}"
            return _locate(value, message_factory.GetMessageClass(message), pool, here, exc)
        return here, _clean(exc)
    return path, _clean(error)


def _plain_message(message: Any) -> bool:
    """A message field written as a JSON object field by field (not a
    well-known type with a JSON form of its own)."""
    return message is not None and not message.full_name.startswith("google.protobuf.")
