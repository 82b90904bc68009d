"""``kview copy`` and ``kview redrive``: copy a window of a topic's records
(filtered) to another topic, on this cluster or another profile's, or send a
dead-letter topic's records back to the topics their header names.
``--dry-run`` counts without sending.  The summary accounts for every matched
record by source offset: sent, failed (with the reason), unconfirmed, and the
offsets left unread when the copy stopped."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kview.core.errors import InputError
from kview.headless import EXIT_ERROR, EXIT_OK
from kview.headless.render import Doc, Printer, _table
from kview.headless.runner import RunState, UsageError
from kview.headless.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient
    from kview.core.replay import CopyProgress, CopyResult, CopySpec


def spec_of(args: Namespace) -> CopySpec:
    """The copy the arguments ask for (UsageError when they cannot)."""
    from kview.core.errors import KViewError
    from kview.core.find.window import Bound, parse_bound
    from kview.core.replay import REDRIVE_HEADER, CopySpec

    redrive = args.command == "redrive"
    try:
        start = parse_bound(args.start, Bound.earliest(), "--from")
        end = parse_bound(args.end, Bound.latest(), "--to")
    except InputError as exc:
        raise UsageError(str(exc)) from None
    partitioning, chosen = args.partitioning or ("key" if redrive else "keep"), None
    if partitioning not in ("keep", "key"):
        if not partitioning.isdigit():
            raise UsageError(f"--partitioning: '{partitioning}' is not keep, key or a partition number")
        partitioning, chosen = "chosen", int(partitioning)
    try:
        return CopySpec(
            source=args.source,
            target=None if redrive else args.target,
            start=start,
            end=end,
            partitions=tuple(sorted(set(args.partition))) if args.partition else None,
            filter=args.filter or "",
            keep_keys=not args.no_keys,
            keep_headers=not (args.strip_headers if redrive else args.no_headers),
            keep_timestamps=not args.no_timestamps,
            partitioning=partitioning,
            target_partition=chosen,
            rate=args.rate,
            redrive_header=(args.header or REDRIVE_HEADER) if redrive else None,
        )
    except KViewError as exc:
        raise UsageError(str(exc)) from None


async def cmd_copy(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    """``kview copy`` and ``kview redrive``."""
    from kview.core.cluster import ClusterClient
    from kview.core.filters import parse_filter
    from kview.core.readonly import check_writable
    from kview.core.replay import RecordCopier

    spec = spec_of(args)
    if spec.filter:
        parse_filter(spec.filter)  # a bad filter is a usage error before connecting
    target = None
    if getattr(args, "to_cluster", None):
        from kview.core.config import load_config

        profile = load_config().profile(args.to_cluster)
        if client.read_only:
            profile = replace(profile, read_only=True)  # --read-only covers every profile
        target = ClusterClient(profile)
    copier = RecordCopier(client, target, idle_timeout=args.idle_timeout)
    if not args.dry_run:
        check_writable(copier.read_only, "copy records")  # refused before reading anything
    progress = _Progress() if sys.stderr.isatty() and not args.json else None
    try:
        run = copier.count if args.dry_run else copier.copy
        result = await run(spec, progress)
    finally:
        if progress is not None:
            progress.done()
        if target is not None:
            await target.close()
    if args.json:
        printer.json(copy_doc(result))
    else:
        printer.view(copy_view(result))
    return EXIT_OK if result.ok else EXIT_ERROR


class _Progress:
    """One line on a terminal's stderr, rewritten at most four times a second."""

    def __init__(self) -> None:
        self.shown = 0.0

    def __call__(self, p: CopyProgress) -> None:
        now = time.monotonic()
        if now - self.shown < 0.25:
            return
        self.shown = now
        share = f"{100 * p.scanned / p.total:.0f}%" if p.total else "-"
        sys.stderr.write(
            f"\rscanned {p.scanned:,} of ≤{p.total:,} ({share}) · matched {p.matched:,} · sent {p.sent:,}"
            f" · failed {p.failed:,} · {p.rate:,.0f} records/s   "
        )
        sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def copy_doc(result: CopyResult) -> Doc:
    """The ``copy`` JSON document: totals, per partition the window and the
    fate of every matched record as runs of source offsets."""
    from kview.core.replay import FAILED, MATCHED, NO_TARGET, SENT, UNCONFIRMED

    spec = result.spec
    return {
        "kind": "redrive" if spec.redrive else "copy",
        "schema_version": SCHEMA_VERSION,
        "taken_at": time.time(),
        "dry_run": result.dry_run,
        "source": spec.source,
        "target": spec.target,
        "redrive_header": spec.redrive_header,
        "ok": result.ok,
        "stopped": result.stopped,
        "elapsed_s": round(result.elapsed, 3),
        "window_offsets": result.window_size,
        "scanned": result.scanned,
        "matched": result.matched,
        "sent": result.count(SENT),
        "failed": result.count(FAILED),
        "unconfirmed": result.count(UNCONFIRMED),
        "no_target": result.count(NO_TARGET),
        "targets": [{"topic": topic, "count": count} for topic, count in result.targets.items()],
        "missing_targets": list(result.missing_targets),
        "partitions": [
            {
                "partition": p.partition,
                "from": p.window.start,
                "to": p.window.end,
                "scanned": p.scanned,
                "matched": p.matched,
                "read_to": p.read_to,
                "unread": None if p.complete else {"from": p.read_to, "to": p.window.end},
                "runs": [
                    {"first": r.first, "last": r.last, "count": r.count, "fate": r.fate, "reason": r.reason or None}
                    for r in p.runs
                    if not (result.dry_run and r.fate == MATCHED)
                ],
            }
            for p in result.partitions
        ],
    }


def copy_view(result: CopyResult) -> list[Any]:
    from kview.core.replay import FAILED, NO_TARGET, SENT, UNCONFIRMED

    spec = result.spec
    table = _table(
        "PARTITION", "FROM", "TO", "SCANNED", "MATCHED", "SENT", "FAILED", "UNREAD",
        right=("PARTITION", "FROM", "TO", "SCANNED", "MATCHED", "SENT", "FAILED"),
    )  # fmt: skip
    for p in result.partitions:
        unread = "-" if p.complete else f"{p.read_to}-{p.window.end - 1}"
        sent = "-" if result.dry_run else str(p.count(SENT))
        failed = "-" if result.dry_run else str(p.count(FAILED) + p.count(UNCONFIRMED))
        table.add_row(
            str(p.partition),
            str(p.window.start),
            str(p.window.end),
            str(p.scanned),
            str(p.matched),
            sent,
            failed,
            unread,
        )
    verb = "would copy" if result.dry_run else "copied"
    where = "their original topics" if spec.redrive else f"'{spec.target}'"
    head = f"{spec.source} → {where}: {verb} {result.matched if result.dry_run else result.count(SENT)} record(s)"
    parts: list[Any] = [head, table]
    if len(result.targets) > 1 or spec.redrive:
        parts.append("by target: " + (", ".join(f"{t} {n}" for t, n in result.targets.items()) or "none"))
    if result.missing_targets:
        parts.append("target topics that do not exist: " + ", ".join(result.missing_targets))
    if result.count(NO_TARGET):
        parts.append(f"{result.count(NO_TARGET)} record(s) without header '{spec.redrive_header}' left where they are")
    for p in result.partitions:
        for r in p.runs:
            if r.fate in (FAILED, UNCONFIRMED, NO_TARGET):
                parts.append(f"partition {p.partition}: offsets {r.text()}")
        if not p.complete:
            parts.append(f"partition {p.partition}: offsets {p.read_to}-{p.window.end - 1} not read, nothing sent")
    if result.stopped:
        parts.append(f"stopped: {result.stopped}")
    parts.append(
        f"scanned {result.scanned} of {result.window_size} offset(s) in {result.elapsed:.1f} s"
        + ("" if result.ok else " · NOT COMPLETE")
    )
    return parts
