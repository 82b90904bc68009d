"""Reading messages to produce from a file: JSON Lines and the console
producer's line format.  Pure parsing, no Kafka.

JSON Lines (``FileFormat.JSONL``): one JSON object per line, fields

* ``value`` (required; ``null`` for a tombstone): a string is sent as its UTF-8
  text, any other JSON value as compact JSON text (``{"a":1}``).  Requiring the
  field means a typo such as ``"vaule"`` is an error, never a silent tombstone.
* ``key`` (optional, default null): same rule as ``value``.
* ``headers`` (optional): an object ``{"name": "value"}`` or a list of pairs
  ``[["name", "value"], ...]`` (pairs allow repeated names); header values
  follow the same rule, ``null`` stays null.
* ``partition`` (optional): a whole number >= 0; absent or null means the
  partitioner chooses.

Unknown fields are errors.  Blank lines are skipped.

Console format (``FileFormat.CONSOLE``): what ``kafka-console-producer`` reads.
Each line is one message (the line ending is not part of it).  With
``parse_key`` (the default here) the line is ``KEY<separator>VALUE``, split at
the first separator; a line without the separator is an error, as in Kafka.
The separator defaults to a tab, Kafka's own ``key.separator`` default, so a
file written by ``kafka-console-consumer --property print.key=true`` reads
back unchanged; pick ``:`` (or anything) for hand-written files.
``null_marker`` (Kafka's ``null.marker``) turns a key or value equal to it
into null.  Without ``parse_key`` every line, blank ones included, is a value
with a null key, as Kafka does.

With a schema (``RecordEncoding``, built by the producer from the registry)
the key and/or value is written with it: in JSON Lines the field's JSON value
itself is encoded (``"value": {"id": 1}``; a JSON string is a string, not
JSON text to parse again), in console lines the text is parsed as JSON first.
A record that does not fit is a problem of its line, with the field path and
the reason.  ``null`` (or the null marker) stays null.

A record whose key and value are both null is an error in either format: the
producer cannot send one.  Errors are ImportProblem(line, message) with
1-based line numbers; a line that is not valid text in the file's encoding is
one such problem.  The
producer service checks the whole file before sending anything; see
``kview.core.produce``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kview.core.errors import KViewError


class FileFormat(enum.Enum):
    JSONL = "jsonl"
    CONSOLE = "console"


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file.  The console-format fields are ignored for JSONL."""

    format: FileFormat = FileFormat.JSONL
    parse_key: bool = True
    key_separator: str = "\t"
    null_marker: str | None = None
    encoding: str = "utf-8"

    def __post_init__(self) -> None:
        if self.format is FileFormat.CONSOLE and self.parse_key and not self.key_separator:
            raise ImportFileError("the key separator must not be empty")


DocEncoder = Callable[[Any], bytes]
"""A parsed JSON value -> the bytes to send; raises KViewError (path and
reason) when the value does not fit."""


@dataclass(frozen=True)
class RecordEncoding:
    """How keys and values are turned into bytes: None is the file's text as
    it is (the default), an encoder writes the field's JSON value with a schema."""

    key: DocEncoder | None = None
    value: DocEncoder | None = None


PLAIN = RecordEncoding()


@dataclass(frozen=True)
class ImportRecord:
    """One message read from a file, encoded and ready to send."""

    line: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    partition: int | None = None


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class FileCheck:
    """Result of reading a whole file without keeping its records."""

    records: int
    lines: int
    """Number of the last line holding a record or a problem."""
    problems: tuple[ImportProblem, ...]
    """The first problems found (at most ``max_problems``)."""
    problem_count: int
    partitions: frozenset[int] = frozenset()
    """Partitions named explicitly by records (JSONL), to check against the topic."""

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


@dataclass(frozen=True)
class Preview:
    records: tuple[ImportRecord, ...]
    problems: tuple[ImportProblem, ...]
    lines_read: int


class ImportFileError(KViewError):
    """A file cannot be imported; ``problems`` lists the first bad lines."""

    def __init__(self, message: str, problems: tuple[ImportProblem, ...] = ()) -> None:
        self.problems = problems
        super().__init__(message)


_BOTH_NULL = "a record needs a key or a value (the producer cannot send both as null)"
_JSONL_FIELDS = frozenset({"key", "value", "headers", "partition"})


def _as_bytes(value: object) -> bytes | None:
    """JSON value -> bytes: text as UTF-8, null as None, the rest as compact JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _encoded(value: object, encoder: DocEncoder | None) -> bytes | None:
    if encoder is None or value is None:
        return _as_bytes(value)
    return encoder(value)


def _jsonl_record(line_no: int, text: str, encoding: RecordEncoding = PLAIN) -> ImportRecord | ImportProblem | None:
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return ImportProblem(line_no, f"invalid JSON at column {exc.colno}: {exc.msg}")
    except RecursionError:
        return ImportProblem(line_no, "invalid JSON: nested too deeply")
    if not isinstance(obj, dict):
        return ImportProblem(line_no, f"expected a JSON object, found {type(obj).__name__}")
    unknown = sorted(set(obj) - _JSONL_FIELDS)
    if unknown:
        return ImportProblem(line_no, f"unknown field {unknown[0]!r} (expected key, value, headers, partition)")
    if "value" not in obj:
        return ImportProblem(line_no, "missing field 'value' (write \"value\": null for a tombstone)")
    partition = obj.get("partition")
    if partition is not None and (isinstance(partition, bool) or not isinstance(partition, int) or partition < 0):
        return ImportProblem(line_no, f"'partition' must be a whole number >= 0, not {json.dumps(partition)}")
    headers_obj = obj.get("headers")
    headers: list[tuple[str, bytes | None]] = []
    if isinstance(headers_obj, dict):
        headers = [(name, _as_bytes(value)) for name, value in headers_obj.items()]
    elif isinstance(headers_obj, list):
        for n, pair in enumerate(headers_obj, 1):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                return ImportProblem(line_no, f'header {n}: expected a pair ["name", value]')
            headers.append((pair[0], _as_bytes(pair[1])))
    elif headers_obj is not None:
        return ImportProblem(line_no, "'headers' must be an object or a list of [name, value] pairs")
    if obj.get("key") is None and obj["value"] is None:
        return ImportProblem(line_no, _BOTH_NULL)
    try:
        key, value = _encoded(obj.get("key"), encoding.key), _encoded(obj["value"], encoding.value)
    except KViewError as exc:  # a value that does not fit its schema
        return ImportProblem(line_no, str(exc))
    return ImportRecord(line_no, key, value, tuple(headers), partition)


def _console_record(
    line_no: int, text: str, options: ImportOptions, encoding: RecordEncoding = PLAIN
) -> ImportRecord | ImportProblem:
    marker = options.null_marker

    def field(part: str, encoder: DocEncoder | None, what: str) -> bytes | None:
        if marker is not None and part == marker:
            return None
        if encoder is None:
            return part.encode()
        try:
            doc = json.loads(part)
        except json.JSONDecodeError as exc:
            raise _NotJSON(f"{what} is not JSON (a schema needs JSON): {exc.msg} at column {exc.colno}") from None
        except RecursionError:
            raise _NotJSON(f"{what} is not JSON: nested too deeply") from None
        return encoder(doc)

    try:
        if not options.parse_key:
            return ImportRecord(line_no, None, field(text, encoding.value, "value"))
        key, sep, value = text.partition(options.key_separator)
        if not sep:
            return ImportProblem(line_no, f"no key separator {options.key_separator!r} found")
        record = ImportRecord(line_no, field(key, encoding.key, "key"), field(value, encoding.value, "value"))
    except KViewError as exc:  # not JSON, or does not fit its schema
        return ImportProblem(line_no, str(exc))
    if record.key is None and record.value is None:
        return ImportProblem(line_no, _BOTH_NULL)
    return record


class _NotJSON(KViewError):
    pass


def _strip_newline(raw: str) -> str:
    if raw.endswith("\n"):
        raw = raw[:-1]
    if raw.endswith("\r"):
        raw = raw[:-1]
    return raw


def parse_lines(
    lines: Iterable[str], options: ImportOptions = ImportOptions(), encoding: RecordEncoding = PLAIN
) -> Iterator[ImportRecord | ImportProblem]:
    """Records and problems, in file order, from lines (line endings allowed)."""
    jsonl = options.format is FileFormat.JSONL
    for line_no, raw in enumerate(lines, 1):
        text = _strip_newline(raw)
        if jsonl:
            item = _jsonl_record(line_no, text, encoding)
            if item is not None:
                yield item
        else:
            yield _console_record(line_no, text, options, encoding)


class _UndecodableLine(str):
    """Marker for a line whose bytes could not be decoded; carries the reason."""


def _file_lines(path: Path | str, options: ImportOptions) -> Iterator[str]:
    """Lines of a file; undecodable bytes become a problem on their own line
    rather than aborting the read, so every bad line can be reported."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        for n, raw in enumerate(handle):
            if n == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark is not part of the first record
            try:
                yield raw.decode(options.encoding)
            except UnicodeDecodeError as exc:
                yield _UndecodableLine(f"not valid {options.encoding} text (byte {exc.start + 1})")


def read_file(
    path: Path | str, options: ImportOptions = ImportOptions(), encoding: RecordEncoding = PLAIN
) -> Generator[ImportRecord | ImportProblem, None, None]:
    """Records and problems from a file, streamed, with 1-based line numbers."""
    jsonl = options.format is FileFormat.JSONL
    for line_no, raw in enumerate(_file_lines(path, options), 1):
        if isinstance(raw, _UndecodableLine):
            yield ImportProblem(line_no, str(raw))
            continue
        text = _strip_newline(raw)
        if jsonl:
            item = _jsonl_record(line_no, text, encoding)
            if item is not None:
                yield item
        else:
            yield _console_record(line_no, text, options, encoding)


def check_file(
    path: Path | str,
    options: ImportOptions = ImportOptions(),
    *,
    max_problems: int = 20,
    encoding: RecordEncoding = PLAIN,
) -> FileCheck:
    """Read the whole file: count records, collect the first problems (with a
    schema, every record is encoded, so a record that does not fit is one)."""
    records = lines = problem_count = 0
    problems: list[ImportProblem] = []
    partitions: set[int] = set()
    for item in read_file(path, options, encoding):
        lines = item.line
        if isinstance(item, ImportProblem):
            problem_count += 1
            if len(problems) < max_problems:
                problems.append(item)
        else:
            records += 1
            if item.partition is not None:
                partitions.add(item.partition)
    return FileCheck(records, lines, tuple(problems), problem_count, frozenset(partitions))


def _preview(items: Iterable[ImportRecord | ImportProblem], limit: int) -> Preview:
    records: list[ImportRecord] = []
    problems: list[ImportProblem] = []
    last = 0
    for item in items:
        last = item.line
        if isinstance(item, ImportProblem):
            problems.append(item)
        else:
            records.append(item)
        # A file that is bad throughout stops the preview as soon as a full
        # screen of problems is known, instead of reading it to the end.
        if len(records) >= limit or len(problems) >= limit:
            break
    return Preview(tuple(records), tuple(problems), last)


def preview_lines(lines: Iterable[str], options: ImportOptions = ImportOptions(), limit: int = 20) -> Preview:
    """The first ``limit`` records, and the problems among the lines read."""
    return _preview(parse_lines(lines, options), limit)


def preview_file(
    path: Path | str, options: ImportOptions = ImportOptions(), limit: int = 20, encoding: RecordEncoding = PLAIN
) -> Preview:
    """Like preview_lines, reading only as much of the file as needed."""
    items = read_file(path, options, encoding)
    try:
        return _preview(items, limit)
    finally:
        items.close()  # closes the file now, not when the generator is collected
