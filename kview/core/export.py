"""Writing tailed records to a JSON Lines file, one record per line.

Each line is an object with ``topic``, ``partition``, ``offset``,
``timestamp`` (milliseconds since the epoch), ``timestamp_type``, ``key``,
``value`` and ``headers``.  Keys, values and header values are text when they
are valid UTF-8 and base64 otherwise; ``key_encoding``, ``value_encoding``
(and ``encoding`` in each header) say which: ``"utf-8"``, ``"base64"``, or
null for a null key, a tombstone or a null header value.  ``record_from_json``
reads a line back into the exact bytes.

Records decoded with a schema registry (kview.core.schemas.decoder) carry
their decoded value: ``key`` / ``value`` is then the decoded value as compact
JSON text, ``key_schema`` / ``value_schema`` says which schema decoded it
(``id``, ``type``, ``subject``, ``version``, ``message``) and
``key_problem`` / ``value_problem`` why a framed one was left as it was
(these four appear on the lines of records that went through a decoder, so
lines of topics read without a registry are as they always were).  With ``raw=True`` every line also
has ``key_raw`` / ``value_raw``: the bytes Kafka holds, base64 (null for a
null key or a tombstone).  Reading back, ``*_raw`` wins: a line with them
gives back exactly what Kafka held (re-producing it is faithful); a decoded
line without them gives back the decoded JSON text (the original bytes are
not in the file).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kview.core.codecs import encode_bytes
from kview.core.errors import KViewError
from kview.core.ring import TIMESTAMP_TYPES, Record, make_record, timestamp_type_name


class ExportError(KViewError):
    """The export file could not be written (or an export line not read)."""


def schema_to_json(info: Any) -> dict[str, Any] | None:
    """A decoder.SchemaInfo as a JSON-ready dict (None stays None)."""
    if info is None:
        return None
    return {
        "id": info.schema_id,
        "type": info.type,
        "subject": info.subject,
        "version": info.version,
        "message": info.message,
    }


def _base64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def record_to_json(record: Record, *, raw: bool = False) -> dict[str, Any]:
    """One record as a JSON-ready dict (see the module docstring); ``raw``
    adds the bytes Kafka holds (``key_raw``, ``value_raw``, base64)."""
    key, key_encoding = encode_bytes(record.key)
    value, value_encoding = encode_bytes(record.value)
    headers = []
    for name, data in record.headers:
        text, encoding = encode_bytes(data)
        headers.append({"key": name, "value": text, "encoding": encoding})
    doc: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "timestamp_type": timestamp_type_name(record),
        "key": key,
        "key_encoding": key_encoding,
        "value": value,
        "value_encoding": value_encoding,
        "headers": headers,
    }
    if hasattr(record, "raw_value"):  # went through a decoder (a DecodedRecord)
        decoded: Any = record
        doc["key_schema"] = schema_to_json(decoded.key_schema)
        doc["key_problem"] = decoded.key_problem
        doc["value_schema"] = schema_to_json(decoded.value_schema)
        doc["value_problem"] = decoded.value_problem
    if raw:
        doc["key_raw"] = _base64(getattr(record, "raw_key", record.key))
        doc["value_raw"] = _base64(getattr(record, "raw_value", record.value))
    return doc


def _decode(text: str | None, encoding: str | None, what: str) -> bytes | None:
    if text is None:
        return None
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            raise ExportError(f"{what}: not valid base64") from None
    return text.encode("utf-8", "surrogatepass")


def _field_bytes(obj: dict[str, Any], field: str) -> bytes | None:
    """The key's or value's bytes: the raw bytes Kafka held when the line has
    them, else what the line shows (see the module docstring)."""
    if f"{field}_raw" in obj:
        return _decode(obj[f"{field}_raw"], "base64", f"{field}_raw")
    return _decode(obj.get(field), obj.get(f"{field}_encoding"), field)


def record_from_json(obj: dict[str, Any]) -> Record:
    """The record a line of an export describes (inverse of record_to_json)."""
    try:
        types = {name: code for code, name in TIMESTAMP_TYPES.items()}
        headers = tuple(
            (h["key"], _decode(h.get("value"), h.get("encoding"), f"header {h['key']!r}"))
            for h in obj.get("headers") or ()
        )
        return make_record(
            obj["topic"],
            int(obj["partition"]),
            int(obj["offset"]),
            int(obj["timestamp"]),
            types.get(str(obj.get("timestamp_type")), 0),
            _field_bytes(obj, "key"),
            _field_bytes(obj, "value"),
            headers,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportError(f"not a kview export line: {exc}") from None


def export_jsonl(
    records: Iterable[Record], path: str | os.PathLike[str], *, append: bool = False, raw: bool = False
) -> int:
    """Write ``records`` to ``path``, one JSON object per line; returns how many.
    ``raw``: each line carries the bytes Kafka holds too (see the module docstring).

    The file is written next to its final name and renamed into place, so a
    failed export never leaves half a file (unless ``append``)."""
    target = Path(path).expanduser()
    count = 0
    try:
        if append:
            with target.open("a", encoding="utf-8") as out:
                count = _write(records, out, raw)
            return count
        temporary = target.with_name(f".{target.name}.partial")
        try:
            with temporary.open("w", encoding="utf-8") as out:
                count = _write(records, out, raw)
            os.replace(temporary, target)
        finally:
            if temporary.exists():
                temporary.unlink()
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    return count


def _write(records: Iterable[Record], out: Any, raw: bool = False) -> int:
    count = 0
    dumps = json.dumps
    for record in records:
        out.write(dumps(record_to_json(record, raw=raw), ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count


def read_jsonl(path: str | os.PathLike[str]) -> list[Record]:
    """Records from a file written by export_jsonl."""
    records = []
    try:
        with Path(path).expanduser().open(encoding="utf-8") as source:
            for number, line in enumerate(source, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    raise ExportError(f"{path}:{number}: not JSON: {exc}") from None
                records.append(record_from_json(obj))
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None
    return records
