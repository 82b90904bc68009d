"""Protobuf messages to JSON-able values, fast: the proto3 JSON mapping as
``json_format.MessageToDict(preserving_proto_field_name=True,
always_print_fields_with_no_presence=True)`` gives it, by a converter made
once per message type.

MessageToDict is generic: for every field of every message it asks the
descriptor what to do, about 10 µs for a 200-byte message, 25 times the cost
of parsing it, which would make decoding the slow part of a Protobuf tail.  The
converter made here is Python code generated for the message type (fields read
by name, each value converted by a function chosen in advance); the values are
the same as MessageToDict's (a test compares them), the keys come in field
order.

The mapping: 64-bit integers as strings, enums by name (the number when the
schema has no name for it), bytes as base64, float and double NaN/Infinity as
strings, map keys as strings; fields with presence (message fields, oneof
members, ``optional`` scalars, proto2 fields) only when set, the others always;
well-known types by their JSON forms (Timestamp, Duration and FieldMask as
text, wrappers as their value; Struct, Value, ListValue, Any and Empty through
json_format itself)."""

from __future__ import annotations

import base64
import keyword
import math
from collections.abc import Callable
from typing import Any

from kview.core.schemas.avro import ExactFloat, exact_float, seconds_text

Converter = Callable[[Any], Any]

_WRAPPERS = {
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.Int32Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
}
_AS_TEXT = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}


_INF = math.inf


def _double(value: float) -> Any:
    """A double's JSON value: non-finite ones as text (the proto3 mapping);
    small ones as ExactFloats, so that the JSON encoder writes them as the
    json module does (see avro.fast_compact_json)."""
    if 0.0001 <= abs(value) < _INF or value == 0:
        return value
    if math.isfinite(value):
        return ExactFloat(value)
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")


def _marked(value: Any) -> Any:
    """json_format's output with its floats made exact_float (Struct, Value,
    ListValue and Any hold numbers of any size)."""
    if type(value) is float:
        return exact_float(value)
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_marked(item) for item in value]
    return value


_TIMESTAMP_MIN = -62135596800  # 0001-01-01T00:00:00Z
_TIMESTAMP_MAX = 253402300799  # 9999-12-31T23:59:59Z


_MILLIS_TEXT = ["Z"] + [f".{millis:03d}Z" for millis in range(1, 1000)]
"""What follows the seconds for whole milliseconds (the common case), made
once: formatting it took as long as the rest of the conversion."""


def timestamp_text(message: Any) -> str:
    """A google.protobuf.Timestamp as Timestamp.ToJsonString writes it (0, 3, 6
    or 9 fraction digits, 'Z'), without its cost on each record."""
    seconds = message.seconds
    nanos = message.nanos
    if not (_TIMESTAMP_MIN <= seconds <= _TIMESTAMP_MAX and 0 <= nanos < 1_000_000_000):
        return str(message.ToJsonString())  # out of range: its own error
    text = seconds_text(seconds)
    millis, rest = divmod(nanos, 1_000_000)
    if not rest:
        return text + _MILLIS_TEXT[millis]
    if not nanos % 1000:
        return f"{text}.{nanos // 1000:06d}Z"
    return f"{text}.{nanos:09d}Z"


def _bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


class JsonConverters:
    """Converters of the messages of one descriptor pool, made on first use."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self._made: dict[str, Converter] = {}

    def __call__(self, descriptor: Any) -> Converter:
        """The converter of messages of type ``descriptor``."""
        found = self._made.get(descriptor.full_name)
        if found is None:
            found = self._make(descriptor)
        return found

    # -- per value ----------------------------------------------------------------------
    def _value(self, field: Any) -> Converter | None:
        """The conversion of one value of ``field`` (None: the value as it is)."""
        from google.protobuf.descriptor import FieldDescriptor  # type: ignore[import-untyped,unused-ignore]

        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            return self(field.message_type)
        if kind == FieldDescriptor.TYPE_ENUM:
            enum = field.enum_type
            if enum.full_name == "google.protobuf.NullValue":
                return lambda _value: None
            names = {v.number: v.name for v in enum.values}
            get = names.get
            return lambda value: get(value, value)
        if kind in (
            FieldDescriptor.TYPE_INT64,
            FieldDescriptor.TYPE_UINT64,
            FieldDescriptor.TYPE_FIXED64,
            FieldDescriptor.TYPE_SFIXED64,
            FieldDescriptor.TYPE_SINT64,
        ):
            return str
        if kind == FieldDescriptor.TYPE_BYTES:
            return _bytes
        if kind == FieldDescriptor.TYPE_DOUBLE:
            return _double
        if kind == FieldDescriptor.TYPE_FLOAT:
            from google.protobuf.internal import type_checkers  # type: ignore[import-untyped,unused-ignore]

            shortest = type_checkers.ToShortestFloat
            isfinite = math.isfinite
            return lambda value: _double(shortest(value) if isfinite(value) else value)
        return None

    # -- per message --------------------------------------------------------------------
    def _make(self, descriptor: Any) -> Converter:
        name = descriptor.full_name
        if name == "google.protobuf.Timestamp":
            self._made[name] = timestamp_text
            return timestamp_text
        if name in _AS_TEXT:
            converter: Converter = lambda message: message.ToJsonString()  # noqa: E731
            self._made[name] = converter
            return converter
        if name in _WRAPPERS:
            inner = self._value(descriptor.fields_by_name["value"])
            converter = (lambda m: m.value) if inner is None else (lambda m: inner(m.value))
            self._made[name] = converter
            return converter
        if name.startswith("google.protobuf.") and name in (
            "google.protobuf.Struct",
            "google.protobuf.Value",
            "google.protobuf.ListValue",
            "google.protobuf.Any",
            "google.protobuf.Empty",
        ):
            from google.protobuf import json_format  # type: ignore[import-untyped,unused-ignore]

            pool = self.pool

            def generic(message: Any) -> Any:
                return _marked(
                    json_format.MessageToDict(
                        message,
                        preserving_proto_field_name=True,
                        always_print_fields_with_no_presence=True,
                        descriptor_pool=pool,
                    )
                )

            self._made[name] = generic
            return generic

        # A recursive message type reaches itself while being made: it finds
        # this trampoline, which calls the converter once it exists.
        made: list[Converter] = []
        self._made[name] = lambda message: made[0](message)
        converter = self._generate(descriptor)
        made.append(converter)
        self._made[name] = converter
        return converter

    def _generate(self, descriptor: Any) -> Converter:
        """Python source for the message type's converter, compiled: one
        statement per field, no look-up of what to do at run time."""
        namespace: dict[str, Any] = {}
        lines = ["def convert(m):", "    out = {}"]
        for index, field in enumerate(descriptor.fields):
            name = field.name
            key = repr(name)
            read = f"m.{name}" if name.isidentifier() and not keyword.iskeyword(name) else f"getattr(m, {key})"
            value_converter = None
            message = field.message_type
            if message is not None and message.GetOptions().map_entry:
                key_field = message.fields_by_name["key"]
                value_field = message.fields_by_name["value"]
                namespace[f"v{index}"] = self._value(value_field) or (lambda value: value)
                if key_field.type == key_field.TYPE_BOOL:
                    key_text = '("true" if k else "false")'
                else:
                    key_text = "str(k)"
                lines.append(f"    out[{key}] = {{{key_text}: v{index}(v) for k, v in {read}.items()}}")
                continue
            value_converter = self._value(field)
            if value_converter is not None:
                namespace[f"c{index}"] = value_converter
            if field.is_repeated:
                if value_converter is None:
                    lines.append(f"    out[{key}] = list({read})")
                else:
                    lines.append(f"    out[{key}] = [c{index}(x) for x in {read}]")
                continue
            value = f"c{index}({read})" if value_converter is not None else read
            if field.has_presence:
                lines.append(f"    if m.HasField({key}):")
                lines.append(f"        out[{key}] = {value}")
            else:
                lines.append(f"    out[{key}] = {value}")
        lines.append("    return out")
        exec(compile("\n".join(lines), f"<kview protobuf json {descriptor.full_name}>", "exec"), namespace)  # noqa: S102
        converter: Converter = namespace["convert"]
        return converter
