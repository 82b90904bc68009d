"""``kview offsets export|import``: a group's committed offsets kept in a
file (kview's JSON with a timestamp, or the CSV of ``kafka-consumer-groups
--reset-offsets --export``) and put back, with the reset preview first and
only while the group is empty (``--dry-run`` previews only)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kview.core.errors import KViewError
from kview.headless import EXIT_OK
from kview.headless.render import Doc, Printer, _table
from kview.headless.runner import NotFound, RunState, UsageError, note
from kview.headless.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient
    from kview.core.groups.offsets_file import ImportPlan, OffsetsExport


async def cmd_offsets(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.groups import GroupService
    from kview.core.groups.offsets_file import OffsetsFiles

    groups = GroupService(client)
    files = OffsetsFiles(groups)
    try:
        # Bounded like one refresh of the status commands (their --help says so).
        async with asyncio.timeout(state.bound):
            if args.action == "export":
                return await _export(args, client, files, printer)
            return await _import(args, files, printer)
    except TimeoutError:
        raise KViewError(
            f"no answer within {state.bound:g} s (the bound of one refresh); the cluster is slow or unreachable"
        ) from None
    finally:
        await groups.close()


async def _export(args: Namespace, client: ClusterClient, files: Any, printer: Printer) -> int:
    file_format = args.format or ("csv" if args.output and args.output.lower().endswith(".csv") else "json")
    try:
        exported: OffsetsExport = await files.export(args.group, args.topic)
    except KViewError as exc:
        if "no committed offsets" in str(exc):
            raise NotFound(str(exc)) from None
        raise
    text = exported.text(file_format, cluster=client.profile.name)
    if args.output in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        note(f"{len(exported.offsets)} partition offset(s) of group '{args.group}' written to {args.output}")
    return EXIT_OK


async def _import(args: Namespace, files: Any, printer: Printer) -> int:
    from kview.core.groups.offsets_file import parse_offsets_file

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None
    parsed = parse_offsets_file(text, args.group)
    if args.topic:
        wanted = set(args.topic)
        offsets = {tp: o for tp, o in parsed.offsets.items() if tp[0] in wanted}
    else:
        offsets = parsed.offsets
    if args.dry_run:
        plan: ImportPlan = await files.preview(args.group, offsets)
    else:
        plan = await files.apply(args.group, offsets)
    if args.json:
        printer.json(import_doc(plan, applied=not args.dry_run))
    else:
        printer.view(import_view(plan, applied=not args.dry_run))
    return EXIT_OK


def import_doc(plan: ImportPlan, *, applied: bool) -> Doc:
    return {
        "kind": "offsets",
        "schema_version": SCHEMA_VERSION,
        "taken_at": time.time(),
        "group": plan.group,
        "applied": applied,
        "moves": plan.moves,
        "partitions": [
            {
                "topic": r.topic,
                "partition": r.partition,
                "current": r.current,
                "new": r.new,
                "log_start": r.log_start,
                "log_end": r.log_end,
                "lag_after": r.lag,
            }
            for r in plan.rows
        ],
        "missing": [{"topic": t, "partition": p} for t, p in plan.missing],
    }


def import_view(plan: ImportPlan, *, applied: bool) -> list[Any]:
    table = _table(
        "TOPIC",
        "PARTITION",
        "CURRENT",
        "NEW",
        "CHANGE",
        "LAG AFTER",
        right=("PARTITION", "CURRENT", "NEW", "CHANGE", "LAG AFTER"),
    )
    for r in plan.rows:
        change = "-" if r.current is None else f"{r.new - r.current:+d}"
        table.add_row(
            r.topic, str(r.partition), "-" if r.current is None else str(r.current), str(r.new), change, str(r.lag)
        )
    verb = "committed" if applied else "would commit (dry run)"
    parts: list[Any] = [f"group '{plan.group}': {verb} {len(plan.rows)} offset(s), {plan.moves} move", table]
    if plan.missing:
        parts.append("not in the cluster (skipped): " + ", ".join(f"{t}:{p}" for t, p in plan.missing))
    return parts
