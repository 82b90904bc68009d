"""Offsets files: a group's committed offsets kept in a file and put back.

Two formats.  kview's JSON (``FORMAT``): the group, when it was exported, the
cluster, and per partition the offset with the log start and end of that
moment.  The CSV of ``kafka-consumer-groups --reset-offsets --export``: one
``topic,partition,offset`` line per partition, or ``group,topic,partition,offset``
when the file holds several groups; ``--from-file`` reads both, and so does
kview.  Importing shows the reset preview (``ResetRow``: current, new, lag
after) and commits only while the group is empty, as a reset does; offsets
outside a partition's [log start, log end] are clamped like the tool's, and
partitions of topics that no longer exist are said, not committed."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from kview.core.errors import KViewError
from kview.core.groups.models import TopicPartition
from kview.core.groups.reset import ResetRow, clamp
from kview.core.groups.service import _INACTIVE_STATES, GroupService
from kview.core.models import Watermarks
from kview.core.readonly import write_action

FORMAT = "kview-offsets"
VERSION = 1
FILE_FORMATS = ("json", "csv")


class OffsetsFileError(KViewError):
    """A file that cannot be read as offsets (says which line)."""


@dataclass(frozen=True)
class OffsetsFile:
    """What a file holds for one group."""

    group: str
    offsets: dict[TopicPartition, int]
    exported_at_ms: int | None = None
    """When it was exported (JSON files; None for the tool's CSV)."""
    format: str = "json"


@dataclass(frozen=True)
class ImportPlan:
    """The preview of an import: one reset row per partition that exists, and
    the file's partitions that do not (topic deleted, fewer partitions)."""

    group: str
    rows: tuple[ResetRow, ...]
    missing: tuple[TopicPartition, ...] = ()

    @property
    def moves(self) -> int:
        return sum(1 for r in self.rows if r.current != r.new)


# -- writing (pure) -------------------------------------------------------------------


def to_json(
    group: str,
    offsets: Mapping[TopicPartition, int],
    marks: Mapping[TopicPartition, Watermarks],
    *,
    cluster: str = "",
    now_ms: int | None = None,
) -> str:
    """kview's JSON document for ``offsets`` (sorted), exported at ``now_ms``."""
    taken = int(time.time() * 1000) if now_ms is None else now_ms
    rows = []
    for (topic, partition), offset in sorted(offsets.items()):
        mark = marks.get((topic, partition))
        row: dict[str, object] = {"topic": topic, "partition": partition, "offset": offset}
        if mark is not None:
            row.update(log_start=mark.low, log_end=mark.high, lag=mark.high - offset)
        rows.append(row)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "group": group,
        "exported_at": datetime.fromtimestamp(taken / 1000, UTC).isoformat(timespec="milliseconds"),
        "exported_at_ms": taken,
        "cluster": cluster,
        "offsets": rows,
    }
    return json.dumps(doc, indent=2) + "\n"


CSV_PLAIN_MAX = 24
"""The tool (Jackson's CSV writer) quotes any text longer than this without
looking at it; shorter text only when it holds a character that needs it."""
_CSV_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def csv_field(text: str) -> str:
    """``text`` as the tool's export writes it: quoted (quotes doubled) when
    longer than CSV_PLAIN_MAX or holding anything but a topic name's
    characters; so a topic name comes out byte for byte as the tool's."""
    if len(text) > CSV_PLAIN_MAX or not set(text) <= _CSV_SAFE:
        return '"' + text.replace('"', '""') + '"'
    return text


def to_csv(offsets: Mapping[TopicPartition, int]) -> str:
    """The single-group CSV of ``kafka-consumer-groups --export``: ``topic,partition,offset``."""
    return "".join(
        f"{csv_field(topic)},{partition},{offset}\n" for (topic, partition), offset in sorted(offsets.items())
    )


# -- reading (pure) -------------------------------------------------------------------


def parse_offsets_file(text: str, group: str) -> OffsetsFile:
    """The offsets ``text`` holds for ``group``: kview's JSON (any group name
    in it is accepted: importing into another group is a use), or the tool's
    CSV (three columns; or four, of which ``group``'s lines are taken)."""
    stripped = text.strip()
    if not stripped:
        raise OffsetsFileError("the file is empty")
    if stripped.startswith("{"):
        return _parse_json(stripped, group)
    return _parse_csv(stripped, group)


def _parse_json(text: str, group: str) -> OffsetsFile:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OffsetsFileError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise OffsetsFileError(f'not a kview offsets file (no "format": "{FORMAT}")')
    rows = doc.get("offsets")
    if not isinstance(rows, list):
        raise OffsetsFileError('"offsets" must be a list')
    offsets: dict[TopicPartition, int] = {}
    for index, row in enumerate(rows):
        where = f"offsets[{index}]"
        if not isinstance(row, dict):
            raise OffsetsFileError(f"{where} must be an object")
        topic, partition, offset = row.get("topic"), row.get("partition"), row.get("offset")
        if not isinstance(topic, str) or not topic:
            raise OffsetsFileError(f'{where}: "topic" must be a topic name')
        for name, value in (("partition", partition), ("offset", offset)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise OffsetsFileError(f'{where}: "{name}" must be a whole number, 0 or more')
        _add(offsets, (topic, int(partition)), int(offset), where)  # type: ignore[arg-type]
    taken = doc.get("exported_at_ms")
    return OffsetsFile(group, offsets, taken if isinstance(taken, int) else None, "json")


def _parse_csv(text: str, group: str) -> OffsetsFile:
    offsets: dict[TopicPartition, int] = {}
    groups: set[str] = set()
    columns = None
    # The csv module reads the tool's quoting (long names, doubled quotes in group ids).
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) not in (3, 4):
            raise OffsetsFileError(
                f"line {number}: expected topic,partition,offset or group,topic,partition,offset, "
                f"not {len(cells)} field(s)"
            )
        if columns is None:
            columns = len(cells)
        elif len(cells) != columns:
            raise OffsetsFileError(f"line {number}: {len(cells)} fields where the first line has {columns}")
        if columns == 4:
            groups.add(cells[0])
            if cells[0] != group:
                continue
            cells = cells[1:]
        topic, partition, offset = cells
        if not topic:
            raise OffsetsFileError(f"line {number}: no topic")
        if not (partition.isascii() and partition.isdigit()) or not (offset.isascii() and offset.isdigit()):
            raise OffsetsFileError(f"line {number}: partition and offset must be whole numbers, 0 or more")
        _add(offsets, (topic, int(partition)), int(offset), f"line {number}")
    if columns == 4 and group not in groups:
        raise OffsetsFileError(f"the file has no lines for group '{group}' (it has {', '.join(sorted(groups))})")
    return OffsetsFile(group, offsets, None, "csv")


def _add(offsets: dict[TopicPartition, int], tp: TopicPartition, offset: int, where: str) -> None:
    if tp in offsets and offsets[tp] != offset:
        raise OffsetsFileError(f"{where}: {tp[0]}:{tp[1]} appears twice with different offsets")
    offsets[tp] = offset


def plan_import(
    group: str,
    wanted: Mapping[TopicPartition, int],
    committed: Mapping[TopicPartition, int],
    marks: Mapping[TopicPartition, Watermarks],
) -> ImportPlan:
    """Reset rows for the file's offsets, clamped to each partition's
    [log start, log end]; partitions without watermarks are ``missing``."""
    rows = []
    missing = []
    for tp, offset in sorted(wanted.items()):
        mark = marks.get(tp)
        if mark is None:
            missing.append(tp)
            continue
        rows.append(ResetRow(tp[0], tp[1], committed.get(tp), clamp(offset, mark), mark.low, mark.high))
    return ImportPlan(group, tuple(rows), tuple(missing))


# -- against the cluster --------------------------------------------------------------


@dataclass(frozen=True)
class OffsetsExport:
    group: str
    offsets: dict[TopicPartition, int]
    marks: dict[TopicPartition, Watermarks]
    taken_ms: int

    def text(self, file_format: str, cluster: str = "") -> str:
        if file_format == "csv":
            return to_csv(self.offsets)
        return to_json(self.group, self.offsets, self.marks, cluster=cluster, now_ms=self.taken_ms)


class OffsetsFiles:
    """Export and import of one cluster's group offsets, through ``groups``."""

    def __init__(self, groups: GroupService) -> None:
        self.groups = groups

    @property
    def read_only(self) -> bool:
        return self.groups.read_only

    async def export(self, group: str, topics: Iterable[str] | None = None) -> OffsetsExport:
        """The group's committed offsets (of ``topics`` only, when given) with
        the watermarks of that moment.  A group with nothing committed (or
        nothing in ``topics``) is an error: an empty file would reset nothing."""
        taken = int(time.time() * 1000)
        committed = await self.groups.committed_offsets(group)
        wanted = set(topics) if topics is not None else None
        offsets = {tp: o for tp, o in committed.items() if wanted is None or tp[0] in wanted}
        if not offsets:
            which = f" for topic(s) {', '.join(sorted(wanted))}" if wanted else ""
            raise KViewError(f"group '{group}' has no committed offsets{which}")
        marks = await self._marks(offsets)
        return OffsetsExport(group, offsets, marks, taken)

    async def preview(self, group: str, wanted: Mapping[TopicPartition, int]) -> ImportPlan:
        """What importing ``wanted`` would commit, like ``--from-file --dry-run``."""
        if not wanted:
            raise KViewError("the file holds no offsets")
        committed = await self.groups.committed_offsets(group)
        marks = await self._marks(wanted)
        return plan_import(group, wanted, committed, marks)

    @write_action("import offsets")
    async def apply(self, group: str, wanted: Mapping[TopicPartition, int]) -> ImportPlan:
        """Commit the previewed offsets; refused while the group has members."""
        raw = await self.groups._describe_one(group)
        if raw.members or raw.state not in _INACTIVE_STATES:
            raise KViewError(
                f"cannot import offsets into group '{group}': it has {len(raw.members)} active member(s) "
                f"(state {raw.state}); stop its consumers first"
            )
        plan = await self.preview(group, wanted)
        if plan.rows:
            await self.groups.commit_offsets(group, {(r.topic, r.partition): r.new for r in plan.rows})
        return plan

    async def _marks(self, offsets: Iterable[TopicPartition]) -> dict[TopicPartition, Watermarks]:
        topics = sorted({t for t, _p in offsets})
        metadata = await self.groups.client.metadata(topics)
        wanted = set(offsets)
        parts = [p for p in metadata.partitions if (p.topic, p.partition) in wanted]
        return await self.groups.client.watermarks(parts) if parts else {}
