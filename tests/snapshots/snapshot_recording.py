"""Recorded cluster states for the snapshot tests: what kview's real services
returned on a real cluster, saved as readable JSON and loaded back as the same
frozen dataclasses.

The codec keeps types JSON has no word for: a dataclass is
``{"$type": "module:Class", field: value, ...}``, a tuple ``{"$tuple": [...]}``,
a named tuple ``{"$named": "module:Class", "values": [...]}``, an enum member
``{"$enum": "module:Class", "name": ...}``, bytes ``{"$text": ...}`` when they
are printable UTF-8 and ``{"$b64": ...}`` otherwise, a dict with keys that are
not strings ``{"$pairs": [[key, value], ...]}``.  Only classes of kview and
aiokafka are ever built back."""

from __future__ import annotations

import base64
import dataclasses
import enum
import importlib
import json
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).resolve().parent / "recordings"
"""Where ``record_states.py`` writes and the snapshot tests read."""

FILES = ("cluster", "topics", "groups", "brokers", "tail", "producer", "registry")
"""One JSON file per service, so a re-recording diffs service by service
(``registry``: the schema registry's subjects, recorded on its own)."""

_ALLOWED_MODULES = ("kview.", "aiokafka.")


# -- the codec --------------------------------------------------------------------------


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not module.startswith(_ALLOWED_MODULES):
        raise ValueError(f"refusing to build {name}: not a kview or aiokafka class")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _printable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() else None


def encode(obj: Any) -> Any:
    """``obj`` as plain JSON data (see the module docstring)."""
    if isinstance(obj, enum.Enum):  # before str: GroupStatus is a str too
        return {"$enum": _name(type(obj)), "name": obj.name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, bytes):
        text = _printable(obj)
        return {"$text": text} if text is not None else {"$b64": base64.b64encode(obj).decode("ascii")}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {"$type": _name(type(obj))}
        for field in dataclasses.fields(obj):
            out[field.name] = encode(getattr(obj, field.name))
        return out
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return {"$named": _name(type(obj)), "values": [encode(v) for v in obj]}
    if isinstance(obj, tuple):
        return {"$tuple": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in obj):
            return {k: encode(v) for k, v in obj.items()}
        return {"$pairs": [[encode(k), encode(v)] for k, v in obj.items()]}
    raise TypeError(f"cannot record a {type(obj).__name__}: {obj!r}")


def decode(data: Any) -> Any:
    """The objects ``encode`` was given, back."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "$type" in data:
        cls = _class(data["$type"])
        values = {k: decode(v) for k, v in data.items() if k != "$type"}
        fields = {f.name: f for f in dataclasses.fields(cls)}
        obj = cls(**{k: v for k, v in values.items() if fields[k].init})
        for key, value in values.items():
            if not fields[key].init:
                object.__setattr__(obj, key, value)
        return obj
    if "$tuple" in data:
        return tuple(decode(v) for v in data["$tuple"])
    if "$named" in data:
        return _class(data["$named"])(*(decode(v) for v in data["values"]))
    if "$enum" in data:
        return _class(data["$enum"])[data["name"]]
    if "$text" in data:
        return data["$text"].encode("utf-8")
    if "$b64" in data:
        return base64.b64decode(data["$b64"])
    if "$pairs" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["$pairs"]}
    return {k: decode(v) for k, v in data.items()}


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


# -- files ------------------------------------------------------------------------------


def dumps(data: Any, indent: str = "", width: int = 110) -> str:
    """JSON with one value per line, except that anything short enough stays
    on one line: readable, and a re-recording diffs line by line."""
    flat = json.dumps(data, ensure_ascii=False)
    if len(flat) + len(indent) <= width or not isinstance(data, (dict, list)) or not data:
        return flat
    inner = indent + " "
    if isinstance(data, list):
        items = [inner + dumps(v, inner, width) for v in data]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {dumps(v, inner, width)}" for k, v in data.items()]
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


def save(parts: dict[str, dict[str, Any]], directory: Path = RECORDINGS) -> list[Path]:
    """Write each part given (of ``FILES``) as ``<part>.json``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (n for n in FILES if n in parts):
        path = directory / f"{name}.json"
        path.write_text(dumps(encode(parts[name])) + "\n", encoding="utf-8")
        written.append(path)
    return written


def load(directory: Path = RECORDINGS) -> dict[str, dict[str, Any]]:
    """Every part of a recording, decoded."""
    return {name: decode(json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))) for name in FILES}
