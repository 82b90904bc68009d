"""JSON Schema: a registered schema (its ``$ref`` references supplied by the
registry, each under its reference name, the URL the schema uses) compiled by
the jsonschema library; payloads are JSON text, validated against the schema
and shown as they are (compacted); values to write are validated the same way
before they are framed.

The draft is the one the schema's ``$schema`` names; without one, draft-07
(the default of Confluent's serializers)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kview.core.schemas.avro import compact_json, load_schema_json
from kview.core.schemas.errors import DecodeError, EncodeError, SchemaError
from kview.core.schemas.models import Schema

_ENCODE = compact_json()


def json_path(parts: Any) -> str:
    """jsonschema's error path as ``$.a.b[2]``."""
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class JsonSchemaCodec:
    """One registered JSON Schema, compiled."""

    type = "JSON"

    def __init__(self, schema: Schema, references: Mapping[str, Schema] | None = None) -> None:
        from jsonschema import Draft7Validator, validators  # type: ignore[import-untyped,unused-ignore]
        from jsonschema.exceptions import SchemaError as LibrarySchemaError  # type: ignore[import-untyped,unused-ignore]
        from referencing import Registry, Resource
        from referencing.exceptions import CannotDetermineSpecification
        from referencing.jsonschema import DRAFT7

        self.schema = schema
        doc = load_schema_json(schema.text, "the JSON Schema")
        resources = []
        for name, ref in (references or {}).items():
            contents = load_schema_json(ref.text, f"referenced JSON Schema {name}")
            try:
                resources.append((name, Resource.from_contents(contents, default_specification=DRAFT7)))
            except CannotDetermineSpecification:
                raise SchemaError(f"referenced JSON Schema {name}: unknown $schema") from None
        registry: Registry[Any] = Registry().with_resources(resources)
        if not isinstance(doc, (dict, bool)):
            raise SchemaError("the JSON Schema is neither an object nor a boolean")
        cls = validators.validator_for(doc, default=Draft7Validator)
        try:
            cls.check_schema(doc)
        except LibrarySchemaError as exc:
            raise SchemaError(f"JSON Schema is not valid: {exc.message} at {json_path(exc.path)}") from None
        self.validator = cls(doc, registry=registry)

    def problem(self, value: Any) -> tuple[str, str] | None:
        """The (path, reason) of the first place ``value`` breaks the schema, or None."""
        from referencing.exceptions import Unresolvable

        try:
            error = next(iter(sorted(self.validator.iter_errors(value), key=lambda e: list(e.path))), None)
        except Unresolvable as exc:
            return "$", f"the schema's $ref {getattr(exc, 'ref', exc)} was not supplied by the registry"
        except RecursionError:
            return "$", "the schema or the value is nested too deeply"
        if error is None:
            return None
        return json_path(error.absolute_path), " ".join(error.message.split())

    def read(self, data: bytes, pos: int) -> tuple[Any, str | None]:
        """The JSON value at ``data[pos:]`` and, if it breaks the schema, why."""
        try:
            value = json.loads(data[pos:])
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"payload is not JSON ({' '.join(str(exc).split())})") from None
        found = self.problem(value)
        return value, None if found is None else f"does not match its schema at {found[0]}: {found[1]}"

    def decode_json(self, data: bytes, pos: int = 5) -> tuple[bytes, None, str | None]:
        """The per-record path of the tail: (compact JSON bytes, None, the problem if it breaks the schema)."""
        value, problem = self.read(data, pos)
        return _ENCODE(value), None, problem

    def write(self, doc: Any) -> bytes:
        found = self.problem(doc)
        if found is not None:
            raise EncodeError(*found)
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
