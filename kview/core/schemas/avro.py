"""Avro: a registered schema (with the named types of its references) compiled
by fastavro, records read with the writer's schema (the schema of the id in
the record's framing: records written with v1 are read with v1's schema) and
written from plain JSON.

Values become JSON as follows (and are read back from JSON the same way):

=====================================  =======================================
Avro                                   JSON
=====================================  =======================================
null, boolean, int, long, float,       the same JSON value
double, string
enum                                   the symbol as a string
record, map                            an object
array                                  an array
union                                  the branch's value, unwrapped (not
                                       Avro's ``{"type": value}`` JSON encoding)
bytes, fixed                           base64 text
decimal (bytes or fixed)               a string keeping its scale ("12.50")
uuid                                   the UUID as a string
date                                   "2024-05-01"
time-millis, time-micros               "12:30:05.250000"
timestamp-millis, timestamp-micros     ISO-8601 in UTC, "2024-05-01T12:30:05.250000+00:00"
local-timestamp-millis/-micros         ISO-8601 without a zone
=====================================  =======================================

Writing takes the same forms, and also numbers for decimals, epoch
milliseconds / microseconds (as the schema says) for timestamps and days since
the epoch for dates.  A union branch is chosen by the value: null, a boolean,
a number, a string, or for an object the record whose fields fit it best."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import io
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from kview.core.schemas.errors import DecodeError, EncodeError, SchemaError
from kview.core.schemas.models import Schema

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_EPOCH_DATE = dt.date(1970, 1, 1)


def to_json_default(value: Any) -> Any:
    """``json`` ``default`` hook: the table in the module docstring for the
    Python values fastavro reads (only called for values JSON lacks)."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):  # the most common: timestamps
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def compact_json(default: Any = None) -> Any:
    """A function of a JSON-able value to its compact UTF-8 JSON bytes.

    Uses the json module's C encoder directly where there is one:
    JSONEncoder.encode builds that encoder anew on every call, a cost the tail
    would pay on every record."""
    from json import encoder as json_encoder

    make = getattr(json_encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        encode = json.JSONEncoder(
            separators=(",", ":"), ensure_ascii=False, check_circular=False, default=default
        ).encode
        return lambda value: encode(value).encode()

    def fail(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is not JSON")

    chunks = make(None, default or fail, json_encoder.encode_basestring, None, ":", ",", False, False, True)
    join = "".join
    return lambda value: join(chunks(value, 0)).encode()


class ExactFloat(float):
    """A float whose JSON text orjson would write unlike ``json.dumps``: NaN
    and the infinities (orjson writes ``null``), and magnitudes below 1e-4
    (orjson writes ``0.00001`` where json writes ``1e-05``).  orjson refuses
    this subclass, so a value holding one is written by the json module: the
    text stays exactly what it always was."""

    __slots__ = ()


_INF = math.inf


def exact_float(value: float) -> float:
    """``value`` itself when orjson writes it as json does, else an ExactFloat."""
    return value if 0.0001 <= abs(value) < _INF or value == 0 else ExactFloat(value)


def fast_compact_json(default: Any = None) -> Any:
    """``compact_json(default)``, the same bytes, made by orjson (about a
    tenth of the time: on a 200-byte record the json module took as long as
    reading the record).

    For values whose every float that orjson would write differently is an
    ExactFloat (the codecs' readers make them so): orjson writes non-finite
    floats as ``null`` and small ones without an exponent, silently.  What
    orjson refuses (an ExactFloat, an integer beyond 64 bits, a key that is not
    text, text with lone surrogates, a subclass of a JSON type, nesting deeper
    than 254) is written by the json module, as before.  Dates and times go to
    ``default`` (``isoformat``), not to orjson's own formatting."""
    exact = compact_json(default)
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency; a platform without its wheel still works
        return exact

    dumps = orjson.dumps
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
    fallback = orjson.JSONEncodeError

    def refuse(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is written by the json module")

    def hook(value: Any) -> Any:
        if type(value) is ExactFloat:
            raise TypeError("an ExactFloat is written by the json module")
        return default(value)

    hook_or_refuse = hook if default is not None else refuse

    def encode(value: Any) -> bytes:
        try:
            # Copied (``%b``: the cheapest exact-size copy): orjson's bytes
            # object is its 4 KiB-or-more write buffer shrunk in place, and
            # malloc keeps each shrunk-off tail as a hole nothing else fits
            # in: a ring of 100,000 decoded records held 390 MiB more than
            # their JSON (measured by bench/schema_tail.py's peak RSS).
            return b"%b" % dumps(value, hook_or_refuse, options)
        except fallback:
            return exact(value)

    return encode


def load_schema_json(text: str, what: str) -> Any:
    """A schema's text parsed as JSON (the Avro and JSON Schema codecs), or
    SchemaError naming ``what``."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SchemaError(f"{what} is not JSON: {exc}") from None


_TEXT_TIMESTAMPS = {
    "timestamp-millis": "kview-text-timestamp-millis",
    "timestamp-micros": "kview-text-timestamp-micros",
    "local-timestamp-millis": "kview-text-local-timestamp-millis",
    "local-timestamp-micros": "kview-text-local-timestamp-micros",
}
_DAY_TEXT: dict[int, str] = {}
"""ISO-8601 dates by days since the epoch: any tail's records span few days."""
_HOUR_TEXT = [f"T{hour:02d}:" for hour in range(24)]
_MINUTE_SECOND_TEXT = [f"{minute:02d}:{second:02d}" for minute in range(60) for second in range(60)]


def _day_text(days: int) -> str:
    if len(_DAY_TEXT) >= 4096:
        _DAY_TEXT.clear()
    text = _DAY_TEXT[days] = (_EPOCH_DATE + dt.timedelta(days=days)).isoformat()
    return text


def seconds_text(seconds: int) -> str:
    """``(1970-01-01 + seconds).isoformat()`` ("2024-05-01T12:30:05"; an
    OverflowError out of years 1-9999 as datetime raises), from the day's
    text and tables of the hours and of the minutes and seconds: about a
    fifth of the time of making and formatting a datetime, whatever the
    records' times (no cache of seconds already seen)."""
    days, rest = divmod(seconds, 86_400)
    hour, rest = divmod(rest, 3600)
    return (_DAY_TEXT.get(days) or _day_text(days)) + _HOUR_TEXT[hour] + _MINUTE_SECOND_TEXT[rest]


def _text_timestamp(unit: int, zone: str) -> Any:
    """A fastavro logical reader: epoch ``unit``s to the text
    ``datetime.isoformat`` gives (microseconds only when not 0)."""
    scale = 1_000_000 // unit
    if unit == 1000:
        # The text after the seconds for each of the 1,000 milliseconds, made
        # once: formatting it took as long as the rest of the reader.
        tails = [zone] + [f".{millis * 1000:06d}{zone}" for millis in range(1, 1000)]

        def read_millis(data: int, writer_schema: Any = None, reader_schema: Any = None) -> str:
            seconds, fraction = divmod(data, 1000)
            return seconds_text(seconds) + tails[fraction]

        return read_millis

    def read(data: int, writer_schema: Any = None, reader_schema: Any = None) -> str:
        seconds, fraction = divmod(data, unit)
        text = seconds_text(seconds)
        return f"{text}.{fraction * scale:06d}{zone}" if fraction else text + zone

    return read


def _json_float(data: float, writer_schema: Any = None, reader_schema: Any = None) -> float:
    """A fastavro logical reader for every float and double read to JSON:
    ``exact_float`` (see fast_compact_json)."""
    return data if 0.0001 <= abs(data) < _INF or data == 0 else ExactFloat(data)


_JSON_FLOAT = "kview-json-float"


def _install_timestamp_readers() -> None:
    """Register kview's own logical types with fastavro, under names no
    schema uses (``kview-text-...``, ``kview-json-float``): fastavro's readers
    of the standard types, which other code in the process may use, stay as
    they are."""
    from fastavro.read import LOGICAL_READERS

    if f"double-{_JSON_FLOAT}" not in LOGICAL_READERS:
        LOGICAL_READERS["long-kview-text-timestamp-millis"] = _text_timestamp(1000, "+00:00")
        LOGICAL_READERS["long-kview-text-timestamp-micros"] = _text_timestamp(1_000_000, "+00:00")
        LOGICAL_READERS["long-kview-text-local-timestamp-millis"] = _text_timestamp(1000, "")
        LOGICAL_READERS["long-kview-text-local-timestamp-micros"] = _text_timestamp(1_000_000, "")
        LOGICAL_READERS[f"float-{_JSON_FLOAT}"] = _json_float
        LOGICAL_READERS[f"double-{_JSON_FLOAT}"] = _json_float


def _with_text_timestamps(doc: Any) -> Any:
    """``doc`` (a schema as JSON) with its long timestamps renamed to kview's text-timestamp logical types."""
    if isinstance(doc, list):
        return [_with_text_timestamps(item) for item in doc]
    if not isinstance(doc, dict):
        return doc
    out = {key: _with_text_timestamps(value) for key, value in doc.items()}
    if out.get("type") == "long" and out.get("logicalType") in _TEXT_TIMESTAMPS:
        out["logicalType"] = _TEXT_TIMESTAMPS[out["logicalType"]]
    return out


def _with_json_floats(node: Any) -> Any:
    """``node`` (a type as JSON) with every float and double marked with
    kview's ``kview-json-float`` logical type, so that reading it makes
    ExactFloats (see fast_compact_json).  Only type positions are looked at:
    a field, symbol or default named "double" stays as it is.  No standard
    logical type applies to float or double; an unknown one is read as its
    base type (Avro's rule), so replacing it changes no value."""
    if isinstance(node, str):
        return {"type": node, "logicalType": _JSON_FLOAT} if node in ("float", "double") else node
    if isinstance(node, list):
        return [_with_json_floats(branch) for branch in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    out = dict(node)
    if kind in ("float", "double"):
        out["logicalType"] = _JSON_FLOAT
    elif kind in ("record", "error") and isinstance(node.get("fields"), list):
        out["fields"] = [
            {**field, "type": _with_json_floats(field["type"])}
            if isinstance(field, dict) and "type" in field
            else field
            for field in node["fields"]
        ]
    elif kind == "array" and "items" in node:
        out["items"] = _with_json_floats(node["items"])
    elif kind == "map" and "values" in node:
        out["values"] = _with_json_floats(node["values"])
    elif isinstance(kind, (dict, list)):
        out["type"] = _with_json_floats(kind)
    return out


def _for_json(doc: Any) -> Any:
    """A schema as JSON adapted for reading to JSON: timestamps as text, floats checked."""
    return _with_json_floats(_with_text_timestamps(doc))


def _parse(schema: Schema, references: Mapping[str, Schema], *, text_timestamps: bool = False) -> Any:
    """fastavro's parsed schema, with the references' named types known
    (``text_timestamps``: for reading to JSON, timestamps as text and
    floats checked, see ``_for_json``)."""
    from fastavro import parse_schema
    from fastavro.schema import SchemaParseException, UnknownType

    adapt = _for_json if text_timestamps else (lambda doc: doc)
    if text_timestamps:
        _install_timestamp_readers()
    named: dict[str, Any] = {}
    pending = [
        (name, adapt(load_schema_json(ref.text, f"referenced schema {name}"))) for name, ref in references.items()
    ]
    # References may use each other: parse those whose names are known first,
    # each on a copy so that a failed attempt leaves nothing half-defined.
    while pending:
        postponed = []
        for name, doc in pending:
            trial = dict(named)
            try:
                parse_schema(doc, trial)
            except UnknownType:
                postponed.append((name, doc))
                continue
            except (SchemaParseException, ValueError, TypeError, KeyError, AttributeError) as exc:
                raise SchemaError(f"referenced Avro schema {name} cannot be parsed: {_reason(exc)}") from None
            named = trial
        if len(postponed) == len(pending):
            name = postponed[0][0]
            try:
                parse_schema(postponed[0][1], dict(named))
            except Exception as exc:
                raise SchemaError(f"referenced Avro schema {name} cannot be parsed: {_reason(exc)}") from None
        pending = postponed
    doc = adapt(load_schema_json(schema.text, "the Avro schema"))
    try:
        parsed = parse_schema(doc, named)
        if not isinstance(parsed, dict):
            # Only a dict carries fastavro's named types; a union or a name at
            # the top is expanded instead (parsed again on each read: rare).
            parsed = parse_schema(doc, dict(named), expand=True)
    except Exception as exc:
        raise SchemaError(f"Avro schema cannot be parsed: {_reason(exc)}") from None
    return parsed


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class AvroCodec:
    """One registered Avro schema, compiled."""

    type = "AVRO"

    def __init__(self, schema: Schema, references: Mapping[str, Schema] | None = None) -> None:
        self.schema = schema
        self.parsed = _parse(schema, references or {})
        self.read_parsed = _parse(schema, references or {}, text_timestamps=True)
        """The schema for reading to JSON: timestamps come out as ISO-8601 text
        (see ``_install_timestamp_readers``), the rest as ``parsed``."""
        self.decode_json, self.decode_many = self._json_decoders()

    def _json_decoders(self) -> tuple[Any, Any]:
        """``decode_json(framed) -> (JSON bytes, None, None)``, the per-record
        path of the tail, and ``decode_many(framed values) -> ([JSON bytes],
        None)``, its path for a batch whose values all carry this schema's id,
        with everything they use bound once (every attribute look-up saved
        counts at hundreds of thousands of records a second)."""
        from fastavro import schemaless_reader

        parsed = self.read_parsed
        new_stream = io.BytesIO
        encode = fast_compact_json(to_json_default)

        def decode_json(data: bytes, pos: int = 5) -> tuple[bytes, None, None]:
            stream = new_stream(data)
            stream.seek(pos)
            try:
                value = schemaless_reader(stream, parsed, None)
            except Exception as exc:  # fastavro raises many kinds on corrupt input
                raise DecodeError(_read_problem(exc)) from None
            if stream.tell() != len(data):
                raise DecodeError(
                    f"{len(data) - stream.tell()} bytes left after the Avro value: not written with this schema"
                )
            return encode(value), None, None

        def decode_many(values: list[bytes]) -> tuple[list[bytes], None]:
            # The framing (5 bytes) is the caller's to have checked.  No
            # wording here: the first value that does not read raises, and
            # the caller decodes that batch record by record (decode_json)
            # to say which records fail and why.
            out: list[bytes] = []
            keep = out.append
            for data in values:
                stream = new_stream(data)
                stream.seek(5)
                value = schemaless_reader(stream, parsed, None)
                if stream.tell() != len(data):
                    raise DecodeError("bytes left after an Avro value")
                keep(encode(value))
            return out, None

        return decode_json, decode_many

    def read(self, data: bytes, pos: int) -> Any:
        """The Python value of the payload at ``data[pos:]`` (DecodeError if
        it is truncated, corrupt or longer than the record)."""
        from fastavro import schemaless_reader

        stream = io.BytesIO(data)
        stream.seek(pos)
        try:
            value = schemaless_reader(stream, self.parsed, None)
        except Exception as exc:  # fastavro raises many kinds on corrupt input
            raise DecodeError(_read_problem(exc)) from None
        left = len(data) - stream.tell()
        if left:
            raise DecodeError(f"{left} bytes left after the Avro value: not written with this schema")
        return value

    def write(self, doc: Any) -> bytes:
        """The Avro payload of JSON ``doc`` (EncodeError with the field path)."""
        from fastavro import schemaless_writer

        value = _from_json(doc, self.parsed, self.parsed_names(), "$")
        _validate(value, self.parsed)
        stream = io.BytesIO()
        try:
            schemaless_writer(stream, self.parsed, value)
        except Exception as exc:
            raise EncodeError("$", _reason(exc)) from None
        return stream.getvalue()

    def parsed_names(self) -> dict[str, Any]:
        names = self.parsed.get("__named_schemas") if isinstance(self.parsed, dict) else None
        if names is None:
            names = {}
            _collect_names(self.parsed, "", names)
        return names


def _read_problem(exc: BaseException) -> str:
    if isinstance(exc, (EOFError, StopIteration, IndexError)):
        return f"truncated Avro payload ({_reason(exc)})"
    return f"corrupt Avro payload ({_reason(exc)})"


def _collect_names(schema: Any, namespace: str, names: dict[str, Any]) -> None:
    """Named types of an expanded schema, by full name."""
    if isinstance(schema, list):
        for branch in schema:
            _collect_names(branch, namespace, names)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed") and "name" in schema:
            name = schema["name"]
            space = schema.get("namespace", namespace)
            full = name if "." in name or not space else f"{space}.{name}"
            names[full] = schema
            namespace = full.rpartition(".")[0]
        for field in schema.get("fields", ()):
            _collect_names(field.get("type"), namespace, names)
        for key in ("items", "values"):
            if key in schema:
                _collect_names(schema[key], namespace, names)
        if isinstance(kind, (dict, list)):
            _collect_names(kind, namespace, names)


# -- JSON -> Avro ----------------------------------------------------------------------
_PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


def _resolve(schema: Any, names: Mapping[str, Any], namespace: str) -> Any:
    """A named type's definition (by full name, or relative to ``namespace``)."""
    if isinstance(schema, str) and schema not in _PRIMITIVES:
        for candidate in (schema, f"{namespace}.{schema}" if namespace else schema):
            if candidate in names:
                return names[candidate]
        raise EncodeError("$", f"unknown Avro type {schema}")
    return schema


def _type_name(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict):
        logical = schema.get("logicalType")
        kind = schema.get("type")
        base = schema.get("name") if kind in ("record", "enum", "fixed", "error") else kind
        return f"{logical} ({base})" if logical else str(base)
    return str(schema)


def describe_json(value: Any) -> str:
    """What kind of JSON value ``value`` is, for a refusal ("got text")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _from_json(value: Any, schema: Any, names: Mapping[str, Any], path: str, namespace: str = "") -> Any:
    """Plain JSON ``value`` as the Python value fastavro writes for ``schema``."""
    schema = _resolve(schema, names, namespace)
    if isinstance(schema, list):
        return _union(value, schema, names, path, namespace)
    if isinstance(schema, str):
        return _primitive(value, schema, path)
    if not isinstance(schema, dict):
        raise EncodeError(path, f"unsupported Avro schema {schema!r}")
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if logical:
        converted = _logical(value, schema, path)
        if converted is not _NOT_LOGICAL:
            return converted
    if isinstance(kind, (list, dict)) or (isinstance(kind, str) and kind not in _COMPLEX):
        return _from_json(value, kind, names, path, namespace)
    if kind in ("record", "error"):
        if not isinstance(value, dict):
            raise EncodeError(path, f"expected an object for record {schema.get('name')}, got {describe_json(value)}")
        space = _namespace_of(schema, namespace)
        out = {}
        known = set()
        for field in schema.get("fields", ()):
            name = field["name"]
            known.add(name)
            if name in value:
                out[name] = _from_json(value[name], field["type"], names, f"{path}.{name}", space)
            elif "default" in field:
                continue  # fastavro fills in the default
            else:
                raise EncodeError(f"{path}.{name}", "missing (the field has no default)")
        extra = sorted(set(value) - known)
        if extra:
            raise EncodeError(f"{path}.{extra[0]}", f"not a field of record {schema.get('name')}")
        return out
    if kind == "enum":
        if not isinstance(value, str) or value not in schema.get("symbols", ()):
            raise EncodeError(path, f"expected one of {', '.join(schema.get('symbols', ()))}, got {json.dumps(value)}")
        return value
    if kind == "array":
        if not isinstance(value, list):
            raise EncodeError(path, f"expected an array, got {describe_json(value)}")
        return [_from_json(v, schema["items"], names, f"{path}[{i}]", namespace) for i, v in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise EncodeError(path, f"expected an object (map), got {describe_json(value)}")
        return {k: _from_json(v, schema["values"], names, f"{path}.{k}", namespace) for k, v in value.items()}
    if kind == "fixed":
        data = _bytes(value, path)
        if len(data) != schema.get("size"):
            raise EncodeError(
                path, f"expected {schema.get('size')} bytes (fixed {schema.get('name')}), got {len(data)}"
            )
        return data
    raise EncodeError(path, f"unsupported Avro type {kind}")


_COMPLEX = ("record", "error", "enum", "array", "map", "fixed")
_NOT_LOGICAL = object()


def _namespace_of(schema: dict[str, Any], namespace: str) -> str:
    name = str(schema.get("name", ""))
    if "." in name:
        return name.rpartition(".")[0]
    return str(schema.get("namespace", namespace))


def _primitive(value: Any, kind: str, path: str) -> Any:
    if kind == "null":
        if value is not None:
            raise EncodeError(path, f"expected null, got {describe_json(value)}")
        return None
    if kind == "boolean":
        if not isinstance(value, bool):
            raise EncodeError(path, f"expected true or false, got {describe_json(value)}")
        return value
    if kind in ("int", "long"):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and not value.is_integer())
        ):
            raise EncodeError(path, f"expected a whole number ({kind}), got {_json_text(value)}")
        number = int(value)
        low, high = (-(2**31), 2**31 - 1) if kind == "int" else (-(2**63), 2**63 - 1)
        if not low <= number <= high:
            raise EncodeError(path, f"{number} is out of range for {kind}")
        return number
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                return float(value)
            raise EncodeError(path, f"expected a number ({kind}), got {describe_json(value)}")
        return float(value)
    if kind == "string":
        if not isinstance(value, str):
            raise EncodeError(path, f"expected text, got {describe_json(value)}")
        return value
    if kind == "bytes":
        return _bytes(value, path)
    raise EncodeError(path, f"unsupported Avro type {kind}")


def _json_text(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _bytes(value: Any, path: str) -> bytes:
    if not isinstance(value, str):
        raise EncodeError(path, f"expected base64 text for bytes, got {describe_json(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise EncodeError(path, "not valid base64") from None


def _logical(value: Any, schema: dict[str, Any], path: str) -> Any:
    logical = schema.get("logicalType")
    base = schema.get("type")
    if logical == "decimal" and base in ("bytes", "fixed"):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise EncodeError(path, f"expected a decimal as text or a number, got {describe_json(value)}")
        try:
            number = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise EncodeError(path, f"{_json_text(value)} is not a decimal number") from None
        if not number.is_finite():
            raise EncodeError(path, "a decimal must be finite")
        scale = int(schema.get("scale", 0))
        precision = int(schema.get("precision", 0) or 0)
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > scale:
            raise EncodeError(path, f"{value} has more than {scale} digits after the point (scale {scale})")
        scaled = number.quantize(decimal.Decimal(1).scaleb(-scale))
        if precision and len(scaled.as_tuple().digits) > precision and scaled != 0:
            raise EncodeError(path, f"{value} has more than {precision} digits (precision {precision})")
        return scaled
    if logical == "uuid" and base in ("string", "fixed"):
        if not isinstance(value, str):
            raise EncodeError(path, f"expected a UUID as text, got {describe_json(value)}")
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            raise EncodeError(path, f"{_json_text(value)} is not a UUID") from None
        return str(parsed) if base == "string" else parsed
    if logical == "date" and base == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return _EPOCH_DATE + dt.timedelta(days=value)
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise EncodeError(path, f"{_json_text(value)} is not a date (YYYY-MM-DD)") from None
        raise EncodeError(path, f"expected a date (YYYY-MM-DD or days since 1970-01-01), got {describe_json(value)}")
    if logical in ("timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros") and (
        base == "long"
    ):
        local = logical.startswith("local-")
        unit = 1000 if logical.endswith("millis") else 1_000_000
        epoch = _EPOCH_NAIVE if local else _EPOCH
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                raise EncodeError(path, "a timestamp must be finite")
            try:
                return epoch + dt.timedelta(microseconds=int(value) * (1_000_000 // unit))
            except OverflowError:
                raise EncodeError(path, f"{value} is out of range for a timestamp") from None
        if isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
            except ValueError:
                raise EncodeError(path, f"{_json_text(value)} is not an ISO-8601 timestamp") from None
            if local:
                return (
                    moment.replace(tzinfo=None)
                    if moment.tzinfo is None
                    else moment.astimezone(dt.UTC).replace(tzinfo=None)
                )
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
        raise EncodeError(
            path, f"expected a timestamp (ISO-8601 text or epoch {logical[-6:]}), got {describe_json(value)}"
        )
    if logical in ("time-millis", "time-micros") and base in ("int", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            micros = value * (1000 if logical == "time-millis" else 1)
            if not 0 <= micros < 86_400_000_000:
                raise EncodeError(path, f"{value} is not a time of day")
            return (dt.datetime.min + dt.timedelta(microseconds=micros)).time()
        if isinstance(value, str):
            try:
                return dt.time.fromisoformat(value)
            except ValueError:
                raise EncodeError(path, f"{_json_text(value)} is not a time (HH:MM:SS[.ffffff])") from None
        raise EncodeError(path, f"expected a time of day, got {describe_json(value)}")
    return _NOT_LOGICAL  # an unknown logical type: its base type applies (Avro's rule)


def _union(value: Any, branches: list[Any], names: Mapping[str, Any], path: str, namespace: str) -> Any:
    """The value converted for the branch that fits it best (fastavro then
    picks that branch when writing)."""
    resolved = [_resolve(b, names, namespace) for b in branches]
    candidates = [(b, r) for b, r in zip(branches, resolved, strict=True) if _may_fit(value, r)]
    problems = []
    # Records: the one with the most of the value's fields and no unknown one wins.
    if isinstance(value, dict):
        candidates.sort(key=lambda c: -_record_fit(value, c[1]))
    for _branch, target in candidates:
        try:
            return _from_json(value, target, names, path, namespace)
        except EncodeError as exc:
            problems.append(exc)
    if problems:
        raise problems[0]
    kinds = ", ".join(_type_name(r) for r in resolved)
    raise EncodeError(path, f"{describe_json(value)} fits none of the union's types ({kinds})")


def _base_kind(schema: Any) -> Any:
    if isinstance(schema, dict):
        kind = schema.get("type")
        return _base_kind(kind) if isinstance(kind, (dict, list)) else kind
    return schema


def _may_fit(value: Any, schema: Any) -> bool:
    kind = _base_kind(schema)
    logical = schema.get("logicalType") if isinstance(schema, dict) else None
    if value is None:
        return kind == "null"
    if isinstance(value, bool):
        return kind == "boolean"
    if isinstance(value, (int, float)):
        if logical == "decimal":
            return True
        if kind in ("int", "long"):
            return float(value).is_integer()
        return kind in ("float", "double")
    if isinstance(value, str):
        if logical in ("decimal", "uuid", "date", "time-millis", "time-micros") or (logical or "").endswith(
            ("timestamp-millis", "timestamp-micros")
        ):
            return True
        return kind in ("string", "bytes", "enum", "fixed") and (kind != "enum" or value in schema.get("symbols", ()))
    if isinstance(value, list):
        return kind == "array"
    if isinstance(value, dict):
        return kind in ("record", "error", "map")
    return False


def _record_fit(value: dict[str, Any], schema: Any) -> int:
    if not isinstance(schema, dict) or schema.get("type") not in ("record", "error"):
        return 0  # a map: after any record that fits
    fields = {f["name"]: f for f in schema.get("fields", ())}
    if set(value) - set(fields):
        return -1
    missing = [n for n, f in fields.items() if n not in value and "default" not in f]
    return -1 if missing else 1 + len(set(value) & set(fields))


def _validate(value: Any, parsed: Any) -> None:
    """fastavro's own check of the converted value: what _from_json let through
    (named-type subtleties) is still refused before anything is written."""
    from fastavro.validation import ValidationError, validate

    try:
        validate(value, parsed, raise_errors=True)
    except ValidationError as exc:
        raise EncodeError("$", _validation_reason(exc)) from None
    except Exception as exc:
        raise EncodeError("$", _reason(exc)) from None


def _validation_reason(exc: Any) -> str:
    errors = getattr(exc, "errors", None) or []
    if errors:
        first = errors[0]
        field = getattr(first, "field", "") or ""
        datum = getattr(first, "datum", None)
        schema = getattr(first, "schema", None)
        where = f" at {field}" if field else ""
        shown = _json_text(datum) if _jsonable(datum) else repr(datum)
        return f"does not fit the schema{where}: {shown} is not {_type_name(schema)}"
    return _reason(exc)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
