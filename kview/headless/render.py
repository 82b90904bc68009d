"""What the headless commands print: kview's dataclasses as JSON documents
(following ``kview.headless.schema``), and those documents as aligned rich
tables or one-line records.  Tables are built from the JSON documents, so a
table never shows anything the JSON lacks.  Pure functions, no Kafka.
"""

from __future__ import annotations

import fnmatch
import io
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from kview.core.codecs import preview
from kview.core.export import record_to_json
from kview.core.format import human_bytes, human_duration, human_rate
from kview.core.ring import Record
from kview.headless.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from kview.core.brokers import BrokersSnapshot, QuorumReplica
    from kview.core.groups import GroupDetail, GroupPartitionLag, GroupsSnapshot, GroupSummary, MemberInfo, Readable
    from kview.core.lag import TimeLag
    from kview.core.produce import SchemaUsed, SendResult
    from kview.core.schemas.models import SubjectSummary, SubjectVersion
    from kview.core.topics import TopicDetail, TopicsSnapshot

Doc = dict[str, Any]
Part = str | Table
"""What a view prints, in order: a line of text or a table."""

PREVIEW_LIMIT = 1 << 16
"""Characters of a key or value on a record line (the codecs mark a cut with …)."""

# -- selection -----------------------------------------------------------------------


def _has_wildcard(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def name_matcher(pattern: str | None) -> Callable[[str], bool]:
    """PATTERN of ``topics``/``groups``: a shell glob when it has a wildcard,
    else a substring; None matches everything.  Case-sensitive, like Kafka names."""
    if not pattern:
        return lambda name: True
    if _has_wildcard(pattern):
        return lambda name: fnmatch.fnmatchcase(name, pattern)
    return lambda name: pattern in name


def exact_or_glob(pattern: str) -> Callable[[str], bool]:
    """``lag --group G``: the name itself, or a shell glob."""
    if _has_wildcard(pattern):
        return lambda name: fnmatch.fnmatchcase(name, pattern)
    return lambda name: name == pattern


def lag_matches(group: Doc, min_lag: int, statuses: Sequence[str] | None) -> bool:
    """``kview lag``'s rule on a group row: readable lag (the total lag less
    what kview read and found a read_committed consumer never receives) >= min_lag and, when
    statuses are given, the group's status is one of them.  A group that could
    not be read (error) never matches: its numbers are unknown."""
    if group["error"]:
        return False
    if group["readable_lag"] < min_lag:
        return False
    return statuses is None or group["status"] in statuses


# -- JSON documents ------------------------------------------------------------------


def _document(kind: str, taken_at: float, **fields: Any) -> Doc:
    return {"kind": kind, "schema_version": SCHEMA_VERSION, "taken_at": taken_at, **fields}


def _count(value: int | None) -> int | None:
    return None if value is None else max(0, int(value))


def _rate(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return max(0.0, float(value))


def brokers_doc(snapshot: BrokersSnapshot) -> Doc:
    """kview.core.brokers.BrokersSnapshot -> the ``brokers`` document."""
    brokers = []
    for b in snapshot.brokers:
        brokers.append(
            {
                "id": b.node_id,
                "host": b.host,
                "port": b.port,
                "rack": b.rack,
                "controller": b.is_controller,
                "online": b.online,
                "leaders": b.leaders,
                "replicas": b.replicas,
                "log_dir_bytes": b.log_dir_size,
                "volume_total_bytes": b.total_bytes,
                "volume_usable_bytes": b.usable_bytes,
                "volume_used_fraction": b.used_fraction,
                "log_dirs": [
                    {
                        "path": d.path,
                        "error": d.error,
                        "bytes": d.size,
                        "total_bytes": d.total_bytes,
                        "usable_bytes": d.usable_bytes,
                        "replicas": len(d.replicas),
                    }
                    for d in b.log_dirs
                ],
                "log_dirs_error": b.log_dirs_error,
            }
        )
    quorum = None
    q = snapshot.quorum
    if q is not None:

        def replica(r: QuorumReplica) -> Doc:
            return {
                "id": r.node_id,
                "status": r.status,
                "log_end_offset": r.log_end_offset,
                "lag": r.lag,
                "last_fetch_timestamp": r.last_fetch_timestamp,
                "last_caught_up_timestamp": r.last_caught_up_timestamp,
            }

        quorum = {
            "leader_id": q.leader_id,
            "leader_epoch": q.leader_epoch,
            "high_watermark": q.high_watermark,
            "max_follower_lag": q.max_follower_lag,
            "voters": [replica(r) for r in q.voters],
            "observers": [replica(r) for r in q.observers],
        }
    return _document(
        "brokers",
        snapshot.taken_at,
        cluster_id=snapshot.cluster_id,
        controller_id=snapshot.controller_id,
        brokers=brokers,
        quorum=quorum,
        quorum_error=snapshot.quorum_error,
    )


def topics_doc(snapshot: TopicsSnapshot, pattern: str | None = None, *, include_internal: bool = True) -> Doc:
    """kview.core.topics.TopicsSnapshot -> the ``topics`` document (filtered)."""
    match = name_matcher(pattern)
    rows = [
        {
            "name": t.name,
            "internal": t.internal,
            "partitions": t.partitions,
            "replication_factor": t.replication_factor,
            "messages": t.messages,
            "size_bytes": t.size,
            "replicated_size_bytes": t.replicated_size,
            "rate": _rate(t.rate),
            "under_replicated": t.under_replicated,
            "offline": t.offline,
            "error": t.error,
        }
        for t in snapshot.topics
        if match(t.name) and (include_internal or not t.internal)
    ]
    return _document(
        "topics",
        snapshot.taken_at,
        pattern=pattern or None,
        broker_count=snapshot.broker_count,
        topics=rows,
        problems=list(snapshot.problems),
    )


def topic_doc(detail: TopicDetail) -> Doc:
    """kview.core.topics.TopicDetail -> the ``topic`` document."""
    partitions = [
        {
            "partition": p.partition,
            "leader": p.leader if p.leader >= 0 else None,
            "replicas": list(p.replicas),
            "isr": list(p.isr),
            "offline_replicas": list(p.offline_replicas),
            "under_replicated": p.under_replicated,
            "log_start_offset": p.low,
            "log_end_offset": p.high,
            "messages": p.messages,
            "size_bytes": p.size,
            "replica_sizes": [{"broker": b, "bytes": n} for b, n in p.replica_sizes],
            "rate": _rate(p.rate),
        }
        for p in detail.partitions
    ]
    configs = [
        {
            "name": c.name,
            "value": c.value,
            "source": c.source,
            "default": c.is_default,
            "read_only": c.read_only,
            "sensitive": c.sensitive,
        }
        for c in detail.configs
    ]
    return _document(
        "topic",
        detail.taken_at,
        name=detail.name,
        internal=detail.internal,
        partition_count=len(detail.partitions),
        replication_factor=detail.replication_factor,
        messages=detail.messages,
        size_bytes=detail.size,
        partitions=partitions,
        configs=configs,
        problems=list(detail.problems),
    )


def time_lag(value: TimeLag | None) -> Doc | None:
    """kview.core.lag.TimeLag -> JSON (None stays None)."""
    if value is None:
        return None
    return {"seconds": max(0.0, float(value.seconds)), "exact": value.exact, "at_least": value.at_least}


def readable(value: Readable | None) -> Doc | None:
    """kview.core.groups.Readable -> JSON (None stays None)."""
    if value is None:
        return None
    return {"records": value.records, "markers": value.markers, "aborted": value.aborted, "pending": value.pending}


def group_fields(g: GroupSummary) -> Doc:
    """kview.core.groups.GroupSummary -> the fields every group row has."""
    share = g.kind == "share"
    return {
        "name": g.name,
        "state": g.state,
        "type": g.kind,
        "protocol_type": g.protocol_type,
        "group_epoch": g.group_epoch,
        "assignment_epoch": g.assignment_epoch,
        "reconciling": g.reconciling if g.group_epoch is not None else None,
        "assignor": g.assignor,
        "coordinator": g.coordinator,
        "member_count": g.member_count,
        "topics": list(g.topics),
        "partition_count": g.partition_count,
        "uncommitted_partitions": None if share else g.uncommitted_partitions,
        "total_lag": max(0, g.total_lag),
        "readable_lag": max(0, g.readable_lag),
        "readable": readable(g.readable),
        "status": str(g.status),
        "retention_breach": None if share else g.retention_breach,
        "consumption_rate": _rate(g.consumption_rate),
        "production_rate": _rate(g.production_rate),
        "catch_up_seconds": _rate(g.catch_up_seconds),
        "time_lag": time_lag(g.time_lag),
        "idle_seconds": max(0.0, float(g.idle_seconds)),
        "error": g.error,
    }


def partition_fields(r: GroupPartitionLag) -> Doc:
    """kview.core.groups.GroupPartitionLag -> one partition row."""
    return {
        "topic": r.topic,
        "partition": r.partition,
        "committed_offset": None if r.share else r.committed,
        "start_offset": r.committed if r.share else None,
        "log_start_offset": r.log_start,
        "log_end_offset": r.log_end,
        "lag": r.lag,
        "readable_lag": None if r.share else r.readable_lag,
        "readable": readable(r.readable),
        "time_lag": time_lag(r.time_lag),
        "consumer_id": r.consumer_id,
        "client_id": r.client_id,
        "host": r.host,
        "retention_breach": None if r.share else r.retention_breach,
    }


def _pairs(partitions: Iterable[tuple[str, int]]) -> list[Doc]:
    return [{"topic": t, "partition": p} for t, p in partitions]


def member_fields(m: MemberInfo) -> Doc:
    """kview.core.groups.MemberInfo -> one member (fields a type lacks are null)."""
    return {
        "member_id": m.member_id,
        "client_id": m.client_id,
        "host": m.host,
        "group_instance_id": m.group_instance_id,
        "member_epoch": m.member_epoch,
        "assignment": _pairs(m.assignment),
        "target_assignment": None if m.target_assignment is None else _pairs(m.target_assignment),
        "moving_in": _pairs(m.moving_in),
        "moving_out": _pairs(m.moving_out),
        "subscribed_topics": list(m.subscription),
        "subscribed_topic_regex": m.subscribed_regex,
        "process_id": m.process_id,
        "active_tasks": list(m.active_tasks) if m.process_id is not None else None,
        "standby_tasks": list(m.standby_tasks) if m.process_id is not None else None,
        "warmup_tasks": list(m.warmup_tasks) if m.process_id is not None else None,
    }


def groups_doc(
    snapshot: GroupsSnapshot,
    *,
    pattern: str | None,
    window: float,
    snapshots: int,
    types: Sequence[str] | None = None,
    unavailable: Sequence[str] = (),
) -> Doc:
    """kview.core.groups.GroupsSnapshot -> the ``groups`` document (filtered by
    name and, with ``types``, by group type); ``unavailable``: what the broker
    lacks of the types asked for, said in ``problems``."""
    match = name_matcher(pattern)
    chosen = [g for g in snapshot.groups if match(g.name) and (not types or g.kind in types)]
    names = {g.name for g in chosen}
    problems = [p for p in snapshot.errors if not _about_other_group(p, names, snapshot)]
    return _document(
        "groups",
        snapshot.taken_at,
        pattern=pattern or None,
        types=list(types) if types else None,
        window_seconds=window,
        snapshots=snapshots,
        totals=type_totals(snapshot.groups),
        groups=[group_fields(g) for g in chosen],
        problems=[*unavailable, *problems],
    )


def type_totals(groups: Iterable[GroupSummary]) -> dict[str, int]:
    """Groups of each type (every type named, 0 included)."""
    from kview.core.groups.models import GROUP_TYPES

    totals = dict.fromkeys(GROUP_TYPES, 0)
    for g in groups:
        totals[g.kind] = totals.get(g.kind, 0) + 1
    return totals


def _about_other_group(problem: str, names: set[str], snapshot: GroupsSnapshot) -> bool:
    """Errors of groups the pattern left out are not this document's business."""
    for g in snapshot.groups:
        if g.name not in names and problem.startswith(f"{g.name}: "):
            return True
    return False


def group_doc(detail: GroupDetail, *, window: float, snapshots: int, taken_at: float) -> Doc:
    """kview.core.groups.GroupDetail -> the ``group`` document."""
    return _document(
        "group",
        taken_at,
        window_seconds=window,
        snapshots=snapshots,
        **group_fields(detail.summary),
        topology_epoch=detail.summary.topology_epoch,
        subtopologies=[{"id": i, "source_topics": list(ts)} for i, ts in detail.summary.subtopologies],
        members=[member_fields(m) for m in detail.members],
        partitions=[partition_fields(r) for r in detail.partitions],
    )


def lag_doc(
    groups: Iterable[GroupSummary],
    *,
    taken_at: float,
    window: float,
    snapshots: int,
    group: str | None,
    min_lag: int,
    statuses: Sequence[str] | None,
    problems: Sequence[str] = (),
    types: Sequence[str] | None = None,
) -> Doc:
    """The ``lag`` document from GroupSummary objects (with partition rows):
    only the groups that match, each with its partitions whose lag is > 0."""
    matched = []
    for g in groups:
        if types and g.kind not in types:
            continue
        row = group_fields(g)
        if not lag_matches(row, min_lag, statuses):
            continue
        row["partitions"] = [partition_fields(r) for r in g.partitions if r.lag is not None and r.lag > 0]
        matched.append(row)
    return _document(
        "lag",
        taken_at,
        window_seconds=window,
        snapshots=snapshots,
        criteria={
            "group": group,
            "min_lag": min_lag,
            "statuses": list(statuses) if statuses else None,
            "types": list(types) if types else None,
        },
        matched=len(matched),
        groups=matched,
        problems=list(problems),
    )


def schemas_doc(summaries: Sequence[SubjectSummary], *, registry: str, pattern: str | None, taken_at: float) -> Doc:
    """The registry's subject summaries -> the ``schemas`` document."""
    rows = [
        {
            "subject": s.subject,
            "type": s.type,
            "latest_version": s.latest_version,
            "latest_id": s.latest_id,
            "versions": s.versions,
            "compatibility": s.compatibility,
        }
        for s in summaries
    ]
    return _document("schemas", taken_at, registry=registry, pattern=pattern or None, subjects=rows)


def schema_doc(
    found: SubjectVersion, *, registry: str, versions: Sequence[int], compatibility: str | None, taken_at: float
) -> Doc:
    """One version of a subject -> the ``schema`` document."""
    return _document(
        "schema",
        taken_at,
        registry=registry,
        subject=found.subject,
        version=found.version,
        id=found.id,
        type=found.schema.type,
        compatibility=compatibility,
        versions=list(versions),
        schema=found.schema.text,
        references=[{"name": r.name, "subject": r.subject, "version": r.version} for r in found.schema.references],
    )


def record_doc(record: Record, *, raw: bool = False) -> Doc:
    """One tailed record (the export format of kview.core.export; ``raw``
    adds the bytes Kafka holds, base64)."""
    doc = record_to_json(record, raw=raw)
    # Every field on every line (the contract, see schema.TAIL_RECORD): an
    # export line leaves out what a record without decoding does not have.
    for name in _DECODING_FIELDS:
        doc.setdefault(name, None)
    return doc


_DECODING_FIELDS = ("key_schema", "key_problem", "value_schema", "value_problem", "key_raw", "value_raw")


def ack_doc(
    line: int, result: SendResult, key_schema: SchemaUsed | None = None, value_schema: SchemaUsed | None = None
) -> Doc:
    """kview.core.produce.SendResult of stdin line ``line`` -> one ack
    object; ``key_schema`` / ``value_schema``: what the key / value was
    written with (None: no schema)."""
    return {
        "line": line,
        "topic": result.topic,
        "partition": result.partition,
        "offset": result.offset,
        "timestamp": result.timestamp,
        "timestamp_type": result.timestamp_type,
        "key_schema": _used_doc(key_schema),
        "value_schema": _used_doc(value_schema),
    }


def _used_doc(used: SchemaUsed | None) -> Doc | None:
    """A schema written with, as the tail's lines name the one read with."""
    if used is None:
        return None
    return {"id": used.id, "type": used.type, "subject": used.subject, "version": used.version, "message": used.message}


def dumps(doc: Doc, *, ascii_only: bool = False) -> str:
    """A document as one line of compact JSON.  ``ascii_only`` escapes
    non-ASCII text (for an output that is not UTF-8)."""
    return json.dumps(doc, ensure_ascii=ascii_only, separators=(",", ":"))


# -- human formats -----------------------------------------------------------------------


def human_time_lag(value: Doc | None) -> str:
    if value is None:
        return "-"
    if value["at_least"] and not value["exact"] and value["seconds"] < 1:
        return "?"  # "at least 0 s": nothing known yet (one snapshot)
    text = human_duration(value["seconds"])
    if value["at_least"]:
        text = "≥" + text
    return text if value["exact"] else "~" + text


def human_readable(value: Doc | None, *, long: bool = False) -> str:
    """What a read_committed consumer receives of a lag, e.g. ``0 (1 marker)``
    (``long``: ``0 records (1 marker)``); ``-`` when it was not read."""
    if value is None:
        return "-"
    from kview.core.groups import Readable

    return Readable(value["records"], value["markers"], value["aborted"], value["pending"]).text(long=long)


def _lag_head(doc: Doc) -> str:
    """``lag 1 · 0 records (1 marker)``: the lag as Kafka's tools count it, and
    what of it a read_committed consumer receives, when kview read it."""
    text = f"lag {doc['total_lag']:,}"
    if doc["readable"] is not None:
        text += f" · {human_readable(doc['readable'], long=True)}"
    return text


def dash(value: Any) -> str:
    return "-" if value is None else str(value)


def iso_ms(timestamp_ms: int | None) -> str:
    """Kafka timestamp (ms) as ISO 8601 UTC with milliseconds; '-' when unknown."""
    if timestamp_ms is None or timestamp_ms < 0:
        return "-"
    try:
        stamp = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        # Producers may set any int64 timestamp; past year 9999 it is a number.
        return str(timestamp_ms)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_seconds(at: float) -> str:
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def _ids(values: Sequence[int]) -> str:
    return ",".join(str(v) for v in values) or "-"


# -- tables ---------------------------------------------------------------------------


def _table(*columns: str, right: Iterable[str] = ()) -> Table:
    """kubectl-like: no borders, bold header, numbers right-aligned."""
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", highlight=False)
    right = set(right)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left", no_wrap=True)
    return table


def brokers_view(doc: Doc) -> list[Part]:
    head = (
        f"cluster {doc['cluster_id'] or '?'}  controller {dash(doc['controller_id'])}  {len(doc['brokers'])} broker(s)"
    )
    table = _table(
        "ID",
        "ADDRESS",
        "RACK",
        "ROLE",
        "STATE",
        "LEADERS",
        "REPLICAS",
        "LOG SIZE",
        "DISK USED",
        right=("ID", "LEADERS", "REPLICAS", "LOG SIZE", "DISK USED"),
    )
    for b in doc["brokers"]:
        used = b["volume_used_fraction"]
        offline_dirs = sum(1 for d in b["log_dirs"] if d["error"])
        state = "online" if b["online"] else "OFFLINE"
        if offline_dirs:
            state += f", {offline_dirs} dir(s) offline"
        table.add_row(
            str(b["id"]),
            f"{b['host']}:{b['port']}" if b["host"] else "?",
            b["rack"] or "-",
            "controller" if b["controller"] else "",
            state,
            str(b["leaders"]),
            str(b["replicas"]),
            human_bytes(b["log_dir_bytes"]) if b["log_dirs_error"] is None else "?",
            "-" if used is None else f"{used * 100:.0f}%",
        )
    out: list[Part] = [head, table]
    for b in doc["brokers"]:
        if b["log_dirs_error"]:
            out.append(f"log dirs of broker {b['id']}: {b['log_dirs_error']}")
    q = doc["quorum"]
    if q is None:
        out.append(f"metadata quorum: {doc['quorum_error'] or 'unknown'}")
    else:
        out.append(
            f"metadata quorum: leader {q['leader_id']}, epoch {q['leader_epoch']}, high watermark {q['high_watermark']}"
        )
        quorum = _table("NODE", "ROLE", "LOG END", "LAG", "LAST FETCH", right=("NODE", "LOG END", "LAG"))
        for r in q["voters"] + q["observers"]:
            quorum.add_row(
                str(r["id"]), r["status"], dash(r["log_end_offset"]), dash(r["lag"]), iso_ms(r["last_fetch_timestamp"])
            )
        out.append(quorum)
    return out


def topics_view(doc: Doc) -> list[Part]:
    if not doc["topics"]:
        return [f"no topic matches '{doc['pattern']}'" if doc["pattern"] else "no topics"]
    table = _table(
        "TOPIC",
        "PARTITIONS",
        "RF",
        "MESSAGES",
        "SIZE",
        "RATE",
        "UNDER-REPL",
        "OFFLINE",
        "NOTE",
        right=("PARTITIONS", "RF", "MESSAGES", "SIZE", "RATE", "UNDER-REPL", "OFFLINE"),
    )
    for t in doc["topics"]:
        note = "internal" if t["internal"] else ""
        if t["error"]:
            note = (note + "; " if note else "") + t["error"]
        table.add_row(
            t["name"],
            str(t["partitions"]),
            str(t["replication_factor"]),
            f"{t['messages']:,}",
            human_bytes(t["size_bytes"]),
            human_rate(t["rate"]),
            str(t["under_replicated"]),
            str(t["offline"]),
            note,
        )
    return [table, *doc["problems"]]


def topic_view(doc: Doc, *, all_configs: bool = False) -> list[Part]:
    head = (
        f"topic {doc['name']}{' (internal)' if doc['internal'] else ''}: "
        f"{doc['partition_count']} partition(s), replication factor {doc['replication_factor']}, "
        f"{doc['messages']:,} message(s), {human_bytes(doc['size_bytes'])}"
    )
    table = _table(
        "PARTITION",
        "LEADER",
        "REPLICAS",
        "ISR",
        "LOG-START",
        "LOG-END",
        "MESSAGES",
        "SIZE",
        right=("PARTITION", "LEADER", "LOG-START", "LOG-END", "MESSAGES", "SIZE"),
    )
    for p in doc["partitions"]:
        table.add_row(
            str(p["partition"]),
            "none" if p["leader"] is None else str(p["leader"]),
            _ids(p["replicas"]),
            _ids(p["isr"]),
            dash(p["log_start_offset"]),
            dash(p["log_end_offset"]),
            dash(p["messages"]),
            human_bytes(p["size_bytes"]),
        )
    configs = [c for c in doc["configs"] if all_configs or not c["default"]]
    out: list[Part] = [head, table]
    if configs:
        config_table = _table("CONFIG", "VALUE", "SOURCE")
        for c in configs:
            value = "(sensitive)" if c["sensitive"] else dash(c["value"])
            config_table.add_row(c["name"], value, c["source"])
        out.append(config_table)
    else:
        out.append("configs: all at their defaults (--all-configs lists them)")
    return [*out, *doc["problems"]]


def _observed(doc: Doc) -> str:
    if doc["snapshots"] <= 1:
        return "status from one snapshot: OK or EMPTY only (STALL, STOP and WARN need --window or --watch)"
    return f"status over {doc['snapshots']} snapshots, window {human_duration(doc['window_seconds'])}"


def groups_view(doc: Doc) -> list[Part]:
    if not doc["groups"]:
        what = f"no group matches '{doc['pattern']}'" if doc["pattern"] else "no groups"
        if doc.get("types"):
            what += f" of type {', '.join(doc['types'])}"
        return [what, *doc["problems"]]
    table = _table(
        "GROUP",
        "TYPE",
        "STATE",
        "STATUS",
        "MEMBERS",
        "PARTITIONS",
        "LAG",
        "READABLE",
        "TIME LAG",
        "CONSUMED",
        "NOTE",
        right=("MEMBERS", "PARTITIONS", "LAG", "TIME LAG", "CONSUMED"),
    )
    for g in doc["groups"]:
        note = g["error"] or ("retention breach" if g["retention_breach"] else "")
        table.add_row(
            g["name"],
            g["type"],
            g["state"] or "-",
            g["status"],
            str(g["member_count"]),
            str(g["partition_count"]),
            f"{g['total_lag']:,}",
            _na(g, "readable", human_readable),
            _na(g, "time_lag", human_time_lag),
            human_rate(g["consumption_rate"]),
            note,
        )
    totals = ", ".join(f"{n} {kind}" for kind, n in doc["totals"].items())
    return [table, f"{totals} group(s)", _observed(doc), *doc["problems"]]


def _na(row: Doc, field: str, text: Callable[[Any], str]) -> str:
    """``n/a`` where the figure has no meaning for a share group (readable
    counts, time lag, a committed offset, a row owner); else ``text(value)``."""
    if row.get("type") == "share" or row.get("start_offset") is not None:
        return "n/a"
    return text(row[field])


def group_view(doc: Doc) -> list[Part]:
    share = doc["type"] == "share"
    head = (
        f"{doc['type']} group {doc['name']}: state {doc['state'] or '-'}, status {doc['status']}, "
        f"{doc['member_count']} member(s), {_lag_head(doc)}, time lag {_na(doc, 'time_lag', human_time_lag)}"
    )
    if doc["group_epoch"] is not None:
        head += f", group epoch {doc['group_epoch']}, assignment epoch {doc['assignment_epoch']}"
        if doc["assignor"]:
            head += f", assignor {doc['assignor']}"
        if doc["reconciling"]:
            head += ", RECONCILING"
    if doc["retention_breach"]:
        head += ", RETENTION BREACH (records it never read were deleted)"
    table = _table(
        "TOPIC",
        "PARTITION",
        "START-OFFSET" if share else "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "READABLE",
        "TIME LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
        right=("PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "TIME LAG"),
    )
    for r in doc["partitions"]:
        table.add_row(
            r["topic"],
            str(r["partition"]),
            dash(r["start_offset"] if share else r["committed_offset"]),
            dash(r["log_end_offset"]),
            dash(r["lag"]),
            _na(r, "readable", human_readable),
            _na(r, "time_lag", human_time_lag),
            _na(r, "consumer_id", dash),
            _na(r, "host", dash),
            _na(r, "client_id", dash),
        )
    out: list[Part] = [head, table if doc["partitions"] else "no partitions assigned or committed"]
    if doc["members"] and doc["type"] != "classic":
        out.append(_members_table(doc))
    out.append(_observed(doc))
    if doc["error"]:
        out.append(f"error: {doc['error']}")
    return out


def _pairs_text(pairs: Sequence[Doc]) -> str:
    by_topic: dict[str, list[int]] = {}
    for pair in pairs:
        by_topic.setdefault(pair["topic"], []).append(pair["partition"])
    return " ".join(f"{t}:{','.join(map(str, sorted(ps)))}" for t, ps in sorted(by_topic.items())) or "-"


def _members_table(doc: Doc) -> Table:
    """Members of a KIP-848, share or streams group: epochs, what each owns,
    and (KIP-848) the target, partitions still moving marked ``+`` (coming)
    and ``-`` (being revoked)."""
    if doc["type"] == "streams":
        table = _table("CONSUMER-ID", "EPOCH", "PROCESS", "ACTIVE", "STANDBY", "WARMUP", right=("EPOCH",))
        for m in doc["members"]:
            table.add_row(
                m["member_id"],
                dash(m["member_epoch"]),
                dash(m["process_id"]),
                " ".join(m["active_tasks"] or ()) or "-",
                " ".join(m["standby_tasks"] or ()) or "-",
                " ".join(m["warmup_tasks"] or ()) or "-",
            )
        return table
    columns = ["CONSUMER-ID", "CLIENT-ID", "EPOCH", "ASSIGNMENT"]
    if doc["type"] == "consumer":
        columns += ["TARGET", "MOVING", "SUBSCRIPTION"]
    table = _table(*columns, right=("EPOCH",))
    for m in doc["members"]:
        cells = [m["member_id"], m["client_id"], dash(m["member_epoch"]), _pairs_text(m["assignment"])]
        if doc["type"] == "consumer":
            moving = [f"+{p['topic']}:{p['partition']}" for p in m["moving_in"]]
            moving += [f"-{p['topic']}:{p['partition']}" for p in m["moving_out"]]
            subscription = m["subscribed_topic_regex"] or ",".join(m["subscribed_topics"]) or "-"
            cells += [_pairs_text(m["target_assignment"] or ()), " ".join(moving) or "-", subscription]
        table.add_row(*cells)
    return table


def lag_view(doc: Doc) -> list[Part]:
    if not doc["groups"]:
        return ["nothing behind", *doc["problems"]]
    table = _table(
        "GROUP",
        "TYPE",
        "STATUS",
        "STATE",
        "MEMBERS",
        "LAG",
        "READABLE",
        "TIME LAG",
        "BEHIND",
        "WORST",
        right=("MEMBERS", "LAG", "TIME LAG"),
    )
    for g in doc["groups"]:
        parts = g["partitions"]
        worst = max(parts, key=lambda r: r["lag"], default=None)
        table.add_row(
            g["name"],
            g["type"],
            g["status"],
            g["state"] or "-",
            str(g["member_count"]),
            f"{g['total_lag']:,}",
            _na(g, "readable", human_readable),
            _na(g, "time_lag", human_time_lag),
            f"{len(parts)} of {g['partition_count']} partition(s)",
            f"{worst['topic']}:{worst['partition']} ({worst['lag']:,})" if worst else "-",
        )
    return [table, _observed(doc), *doc["problems"]]


SCHEMA_TYPE_NAMES = {"AVRO": "Avro", "PROTOBUF": "Protobuf", "JSON": "JSON Schema"}


def schemas_view(doc: Doc) -> list[Part]:
    if not doc["subjects"]:
        return [f"no subject matches '{doc['pattern']}'" if doc["pattern"] else "no subjects"]
    table = _table("SUBJECT", "TYPE", "LATEST", "ID", "VERSIONS", "COMPATIBILITY", right=("LATEST", "ID", "VERSIONS"))
    for s in doc["subjects"]:
        table.add_row(
            s["subject"],
            SCHEMA_TYPE_NAMES.get(s["type"], s["type"]),
            str(s["latest_version"]),
            str(s["latest_id"]),
            str(s["versions"]),
            dash(s["compatibility"]),
        )
    return [table]


def pretty_schema_text(kind: str, text: str) -> str:
    """Avro and JSON Schema indented; Protobuf as registered."""
    if kind == "PROTOBUF":
        return text.strip("\n")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def schema_view(doc: Doc) -> list[Part]:
    versions = ", ".join(str(v) for v in doc["versions"])
    head = (
        f"subject {doc['subject']}: version {doc['version']} (of {versions}), id {doc['id']}, "
        f"{SCHEMA_TYPE_NAMES.get(doc['type'], doc['type'])}, compatibility {dash(doc['compatibility'])}"
    )
    out: list[Part] = [head]
    if doc["references"]:
        table = _table("REFERENCE", "SUBJECT", "VERSION", right=("VERSION",))
        for r in doc["references"]:
            table.add_row(r["name"], r["subject"], str(r["version"]))
        out.append(table)
    out.append(pretty_schema_text(doc["type"], doc["schema"]))
    return out


def record_line(record: Record, key_format: str = "auto", value_format: str = "auto") -> str:
    """One tailed record as a line: partition, offset, time (UTC), key, value."""
    key = preview(record.key, key_format, PREVIEW_LIMIT)
    value = preview(record.value, value_format, PREVIEW_LIMIT)
    line = f"{record.partition:>3} {record.offset:>10}  {iso_ms(record.timestamp)}  {key}  {value}"
    # A framed key or value that did not decode is shown as its bytes, and says why.
    problems = decode_problems(record)
    return f"{line}  [{problems}]" if problems else line


def decode_problems(record: Record) -> str:
    """'key not decoded: ...; value not decoded: ...' ('' when nothing failed)."""
    out = []
    for part in ("key", "value"):
        problem = getattr(record, f"{part}_problem", None)
        if problem:
            out.append(f"{part} not decoded: {problem}")
    return "; ".join(out)


def ack_line(doc: Doc) -> str:
    """One acknowledgement as a line: input line, partition, offset, time,
    and the schema ids written with, if any."""
    ids = "".join(
        f"  {field} schema id {doc[f'{field}_schema']['id']}"
        for field in ("key", "value")
        if doc.get(f"{field}_schema") is not None
    )
    return (
        f"line {doc['line']:>6}  partition {doc['partition']:>3}  offset {dash(doc['offset']):>10}  "
        f"{iso_ms(doc['timestamp'])}{ids}"
    )


# -- printing -------------------------------------------------------------------------


class Printer:
    """Writes tables (styled on a terminal, plain text elsewhere) and JSON."""

    def __init__(self, file: IO[str] | None = None, *, force_terminal: bool | None = None) -> None:
        self.file = file if file is not None else sys.stdout
        isatty = getattr(self.file, "isatty", None)
        self.terminal = force_terminal if force_terminal is not None else bool(isatty and isatty())
        self.console = Console(file=self.file, highlight=False, soft_wrap=False) if self.terminal else None
        encoding = (getattr(self.file, "encoding", None) or "utf-8").lower().replace("-", "")
        self.utf8 = encoding in ("utf8", "utf_8")
        """False when the output cannot take any character: JSON escapes them then."""

    def line(self, text: str) -> None:
        self.file.write(text + "\n")

    def json(self, doc: Doc) -> None:
        self.file.write(dumps(doc, ascii_only=not self.utf8) + "\n")
        self.file.flush()

    def view(self, parts: Sequence[Part]) -> None:
        """Print strings and tables in order."""
        if self.console is not None:
            for part in parts:
                if isinstance(part, str):
                    self.console.print(part, markup=False)
                else:
                    self.console.print(part)
        else:
            self.file.write(plain_text(parts))
        self.file.flush()

    def clear(self) -> None:
        if self.console is not None:
            self.console.clear()


def plain_text(parts: Sequence[Part]) -> str:
    """Strings and tables as plain text: no colour, no width limit (a pipe must
    get whole rows), no trailing spaces."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=100_000,
        color_system=None,
        highlight=False,
        soft_wrap=False,
        force_terminal=False,
        no_color=True,
    )
    for part in parts:
        if isinstance(part, str):
            console.print(part, markup=False, highlight=False)
        else:
            console.print(part)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
