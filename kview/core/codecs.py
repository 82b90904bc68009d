"""Turning record keys, values and header values (bytes or None) into text.

Formats: ``auto`` (JSON if it is a JSON object or array, text if it is
printable UTF-8, else a hex dump), ``text``, ``json``, ``hex`` and ``base64``.
Nothing here raises on bad input: invalid UTF-8, empty bytes, None (a
tombstone or null key), huge or deeply nested JSON all come back as text with a
note saying what was shown instead.

Two shapes of output:

* ``preview(data, fmt, limit)``: one line of at most ``limit`` characters for
  the tail list, ending in ``TRUNCATED`` when cut.  It only looks at the first
  few kilobytes, so a 5 MB value costs no more than a small one.
* ``render(data, fmt)``: the full rendering for the detail view, a ``Rendering``
  whose ``lines`` carry JSON tokens tagged by kind (key, string, number, ...)
  so the UI can colour them without parsing again.

Control characters are never passed through (a terminal would act on them):
they are shown as ``\\xNN`` escapes.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import math
import re
from dataclasses import dataclass
from typing import Any

FORMATS = ("auto", "text", "json", "hex", "base64")

NULL_TEXT = "<null>"
"""What a None key or value (a tombstone) is shown as."""
EMPTY_TEXT = "<empty>"
TRUNCATED = "…"
"""Last character of a preview that was cut."""

DEFAULT_PREVIEW_LIMIT = 200
DEFAULT_RENDER_LIMIT = 1 << 20
"""Bytes the hex and base64 detail renderings show before stopping with a note."""
AUTO_JSON_LIMIT = 1 << 20
"""Values larger than this are not parsed as JSON by ``auto`` for a preview."""
MAX_JSON_LINES = 200_000

# Token kinds in Rendering.lines.
KEY, STRING, NUMBER, BOOL, NULL, PUNCT, SPACE, PLAIN = (
    "key",
    "string",
    "number",
    "bool",
    "null",
    "punct",
    "space",
    "plain",
)


class _NotJson:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_JSON"

    def __bool__(self) -> bool:
        return False


NOT_JSON: Any = _NotJson()
"""Returned by ``loads`` for anything that is not a JSON document."""


def _escape_table(keep_newlines: bool) -> dict[int, str]:
    table = {c: f"\\x{c:02x}" for c in range(0x20)}
    table[0x7F] = "\\x7f"
    for c in range(0x80, 0xA0):  # C1 controls: some terminals act on these too
        table[c] = f"\\u{c:04x}"
    table[0x2028] = "\\u2028"
    table[0x2029] = "\\u2029"
    table[ord("\t")] = "    " if keep_newlines else " "
    if keep_newlines:
        del table[ord("\n")]
        table[ord("\r")] = ""
    else:
        table[ord("\n")] = "\\n"
        table[ord("\r")] = "\\r"
    return table


_ONE_LINE = _escape_table(keep_newlines=False)
_MULTI_LINE = _escape_table(keep_newlines=True)


def sanitize(text: str, *, one_line: bool = True) -> str:
    """``text`` with control characters made visible (newlines kept unless one_line)."""
    return text.translate(_ONE_LINE if one_line else _MULTI_LINE)


def decode_text(data: bytes, *, final: bool = True) -> str:
    """UTF-8 with U+FFFD for invalid bytes.  With ``final=False`` an incomplete
    character at the end (a cut in the middle of a value) is dropped rather
    than shown as U+FFFD."""
    if final:
        return data.decode("utf-8", "replace")
    return codecs.getincrementaldecoder("utf-8")("replace").decode(data, final=False)


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# ESC is allowed: logs with colour codes are text (the escape itself is shown as \x1b).
_NOT_TEXTUAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\ufffd]")


def _looks_textual(text: str) -> bool:
    """Printable enough to be shown as text: no control characters except
    whitespace, and no replacement characters from invalid bytes."""
    return _NOT_TEXTUAL.search(text) is None


def loads(data: bytes | str | None) -> Any:
    """The parsed JSON document, or NOT_JSON (never raises)."""
    if data is None or not data:
        return NOT_JSON
    try:
        return json.loads(data)
    except (ValueError, RecursionError, TypeError):
        # ValueError covers JSONDecodeError and UnicodeDecodeError.
        return NOT_JSON


def detect(data: bytes | None) -> str:
    """What ``auto`` would show: 'null', 'empty', 'json', 'text' or 'hex'."""
    return _detect(data)[0]


def _detect(data: bytes | None) -> tuple[str, Any]:
    """detect(), and the parsed document when it is JSON (NOT_JSON otherwise),
    so a caller that shows the document does not parse it twice."""
    if data is None:
        return "null", NOT_JSON
    if not data:
        return "empty", NOT_JSON
    head = data[:4096]
    text = decode_text(head, final=len(data) <= len(head))
    if not _looks_textual(text):
        return "hex", NOT_JSON
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[") and len(data) <= AUTO_JSON_LIMIT:
        doc = loads(data)
        if doc is not NOT_JSON:
            return "json", doc
    return "text", NOT_JSON


# -- one-line previews ---------------------------------------------------------------


def _cut(text: str, limit: int, more: bool) -> str:
    """Clip to ``limit`` characters, with the truncation marker when anything was lost."""
    if len(text) > limit:
        return text[: max(0, limit - 1)] + TRUNCATED
    if more:
        return (text[: max(0, limit - 1)] + TRUNCATED) if len(text) >= limit else text + TRUNCATED
    return text


def preview(data: bytes | None, fmt: str = "auto", limit: int = DEFAULT_PREVIEW_LIMIT) -> str:
    """One line of at most ``limit`` characters (``limit`` >= 1)."""
    limit = max(1, limit)
    if data is None:
        return NULL_TEXT[:limit]
    if not data:
        return EMPTY_TEXT[:limit]
    doc: Any = NOT_JSON
    if fmt == "auto":
        fmt, doc = _detect(data)
        if fmt == "empty":  # pragma: no cover - handled above
            return EMPTY_TEXT[:limit]
    if fmt == "hex":
        nbytes = (limit + 2) // 3 + 1
        text = data[:nbytes].hex(" ")
        return _cut(text, limit, len(data) > nbytes)
    if fmt == "base64":
        nbytes = (limit // 4 + 1) * 3
        text = base64.b64encode(data[:nbytes]).decode("ascii")
        return _cut(text, limit, len(data) > nbytes)
    if fmt == "json":
        if doc is NOT_JSON and len(data) <= AUTO_JSON_LIMIT:
            doc = loads(data)
        if doc is not NOT_JSON:
            try:
                dumped = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
            except (ValueError, RecursionError):
                dumped = None
            if dumped is not None:
                return _cut(sanitize(dumped), limit, False)
        # Not JSON: fall through to text, which is what the user can read.
    # text (and json that is not JSON): one line, controls escaped.  Four bytes
    # per character is the most UTF-8 needs, plus room for escapes.
    nbytes = limit * 4 + 4
    head = data[:nbytes]
    text = sanitize(decode_text(head, final=len(data) <= nbytes))
    return _cut(text, limit, len(data) > nbytes)


# -- full renderings -----------------------------------------------------------------


Token = tuple[str, str]
"""(kind, text): kind is one of KEY, STRING, NUMBER, BOOL, NULL, PUNCT, SPACE, PLAIN."""


@dataclass(frozen=True)
class Rendering:
    """The detail view of one key or value.

    ``format`` is what was actually shown ('json', 'text', 'hex', 'base64',
    'null' or 'empty'); ``text`` is the whole rendering as plain text;
    ``lines`` is the same text as tokens per line (JSON tokens carry their
    kind, other formats are one PLAIN token per line); ``note`` says why the
    format differs from the one asked for, or that the rendering was cut.
    """

    format: str
    text: str
    lines: tuple[tuple[Token, ...], ...]
    size: int
    note: str = ""


def _plain(fmt: str, text: str, size: int, note: str = "") -> Rendering:
    lines = tuple(((PLAIN, line),) for line in text.split("\n"))
    return Rendering(fmt, text, lines, size, note)


def render(
    data: bytes | None, fmt: str = "auto", *, max_bytes: int = DEFAULT_RENDER_LIMIT, indent: int = 2
) -> Rendering:
    """The full rendering of ``data`` in ``fmt`` (see Rendering)."""
    if data is None:
        return _plain("null", NULL_TEXT, 0, "null (a tombstone when it is the value)")
    size = len(data)
    if not data:
        return _plain("empty", "", 0, "empty (0 bytes)")
    asked = fmt
    if fmt == "auto":
        fmt = detect(data)
    if fmt not in FORMATS:
        fmt, note = "text", f"unknown format {asked!r}; shown as text"
    else:
        note = ""
    if fmt == "json":
        doc = loads(data)
        if doc is not NOT_JSON:
            try:
                lines = json_lines(doc, indent=indent)
            except RecursionError:
                lines = None
            if lines is not None:
                text = "\n".join("".join(t for _, t in line) for line in lines)
                return Rendering("json", text, lines, size, note)
            note = "JSON too deeply nested to lay out; shown as text"
        else:
            note = f"not valid JSON ({_json_problem(data)}); shown as text"
        fmt = "text"
    if fmt == "hex":
        shown = data[:max_bytes]
        text = hexdump(shown)
        if size > max_bytes:
            note = f"first {max_bytes:,} of {size:,} bytes shown"
        return _plain("hex", text, size, note)
    if fmt == "base64":
        shown = data[: max_bytes - max_bytes % 3] if size > max_bytes else data
        encoded = base64.b64encode(shown).decode("ascii")
        text = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
        if size > max_bytes:
            note = f"first {len(shown):,} of {size:,} bytes shown"
        return _plain("base64", text, size, note)
    # text
    text = sanitize(decode_text(data), one_line=False)
    if not note and not is_utf8(data):
        note = "not valid UTF-8: invalid bytes shown as \ufffd"
    return _plain("text", text, size, note)


def _json_problem(data: bytes) -> str:
    try:
        json.loads(data)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except UnicodeDecodeError:
        return "not UTF-8"
    except RecursionError:
        return "too deeply nested"
    except (ValueError, TypeError) as exc:
        return str(exc) or type(exc).__name__
    return "unknown problem"


def _scalar(value: Any) -> Token:
    if value is None:
        return (NULL, "null")
    if value is True or value is False:
        return (BOOL, "true" if value else "false")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return (NUMBER, "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity"))
        return (NUMBER, json.dumps(value))
    return (STRING, sanitize(json.dumps(value, ensure_ascii=False)))


def json_lines(doc: Any, *, indent: int = 2) -> tuple[tuple[Token, ...], ...]:
    """A parsed JSON document laid out like ``json.dumps(indent=...)``, as
    tokens per line.  Raises RecursionError for absurd nesting (render() catches it)."""
    lines: list[tuple[Token, ...]] = []

    def emit(value: Any, depth: int, prefix: list[Token], suffix: str) -> None:
        if len(lines) > MAX_JSON_LINES:
            return
        pad = " " * (indent * depth)
        inner = " " * (indent * (depth + 1))
        if isinstance(value, dict) and value:
            lines.append((*prefix, (PUNCT, "{")))
            items = list(value.items())
            for i, (k, v) in enumerate(items):
                comma = "," if i < len(items) - 1 else ""
                key = [(SPACE, inner), (KEY, sanitize(json.dumps(str(k), ensure_ascii=False))), (PUNCT, ": ")]
                emit(v, depth + 1, key, comma)
            lines.append(_strip_empty(((SPACE, pad), (PUNCT, "}" + suffix))))
        elif isinstance(value, list) and value:
            lines.append((*prefix, (PUNCT, "[")))
            for i, v in enumerate(value):
                comma = "," if i < len(value) - 1 else ""
                emit(v, depth + 1, [(SPACE, inner)], comma)
            lines.append(_strip_empty(((SPACE, pad), (PUNCT, "]" + suffix))))
        else:
            if isinstance(value, dict):
                token: Token = (PUNCT, "{}")
            elif isinstance(value, list):
                token = (PUNCT, "[]")
            else:
                token = _scalar(value)
            line = [*prefix, token]
            if suffix:
                line.append((PUNCT, suffix))
            lines.append(tuple(line))

    emit(doc, 0, [], "")
    if len(lines) > MAX_JSON_LINES:
        del lines[MAX_JSON_LINES:]
        lines.append(((PLAIN, f"{TRUNCATED} (more than {MAX_JSON_LINES:,} lines)"),))
    return tuple(_strip_empty(line) for line in lines)


def _strip_empty(line: tuple[Token, ...]) -> tuple[Token, ...]:
    return tuple(t for t in line if t[1])


def hexdump(data: bytes, width: int = 16) -> str:
    """Offset, hex bytes and printable ASCII, ``width`` bytes a line (the layout of ``hexdump -C``)."""
    out = []
    half = width // 2
    for pos in range(0, len(data), width):
        chunk = data[pos : pos + width]
        left = chunk[:half].hex(" ")
        right = chunk[half:].hex(" ")
        hexpart = f"{left:<{half * 3 - 1}}  {right}" if right else left
        ascii_part = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        out.append(f"{pos:08x}  {hexpart:<{width * 3}}  |{ascii_part}|")
    return "\n".join(out)


def encode_bytes(data: bytes | None) -> tuple[str | None, str | None]:
    """(text, encoding) for machine-readable output: UTF-8 text as-is with
    encoding 'utf-8', anything else base64 with encoding 'base64'; None stays None."""
    if data is None:
        return None, None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


def decode_base64(text: str) -> bytes | None:
    """Inverse of the base64 case of encode_bytes; None if ``text`` is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
