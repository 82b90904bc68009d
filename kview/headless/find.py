"""``kview find``: the records of a topic's window that match a key and/or a
filter, and the account of what was read per partition (kview.core.find).

Text: the matches as ``kview tail`` lines, then a table per partition
(offsets read from and to, records read and matched) and one line saying
whether the whole window was read, so "nothing found" is an answer.  With
--json one document: the window, the account and the matches.  Progress
(offsets read of the window, rate, ETA) goes to stderr while it is a
terminal.  Exit code 0 when something matched, 1 when nothing did (the
account says whether the window was read whole), as grep does.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from kview.core.errors import InputError
from kview.headless import EXIT_ERROR, EXIT_OK, render
from kview.headless.render import Doc, Part, Printer
from kview.headless.runner import NotFound, RunState, UsageError

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient
    from kview.core.find.scan import FindProgress, FindResult

PROGRESS_INTERVAL = 0.25


def stall_bound(request_timeout_ms: int) -> float:
    """Seconds a partition may read nothing before it is given up (stated in --help)."""
    return max(60.0, 4 * request_timeout_ms / 1000)


def build_query(args: Namespace) -> Any:
    """The FindQuery of the arguments; UsageError (one line) for bad ones."""
    from kview.core.filters import parse_filter
    from kview.core.find.scan import FindQuery
    from kview.core.find.window import Bound, parse_bound

    try:
        start = parse_bound(args.start, Bound.earliest(), "--from")
        end = parse_bound(args.end, Bound.latest(), "--to")
    except InputError as exc:
        raise UsageError(str(exc)) from None
    if start.kind == end.kind and start.kind in ("offset", "time") and (end.value or 0) < (start.value or 0):
        raise UsageError(f"--to ({end.describe()}) is before --from ({start.describe()})")
    if args.all_partitions and args.key is None:
        raise UsageError("--all-partitions goes with --key (without --key every partition is read)")
    if args.key is not None and args.partition:
        raise UsageError("--key chooses the partition itself: use --all-partitions, not --partition")
    match = parse_filter(args.filter) if args.filter else None
    return FindQuery(
        topic=args.topic,
        key=args.key.encode("utf-8", "surrogateescape") if args.key is not None else None,
        all_partitions=args.all_partitions,
        partitions=tuple(sorted(set(args.partition))) if args.partition else None,
        start=start,
        end=end,
        filter=match,
        limit=args.max_matches,
    )


async def cmd_find(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.find.scan import Finder
    from kview.core.find.window import FindError

    query = build_query(args)  # bad arguments fail before any request
    decoder = None
    settings = client.profile.schema_registry
    if settings is not None and (args.key_decoding, args.value_decoding) != ("none", "none"):
        from kview.core.schemas.client import RegistryClient
        from kview.core.schemas.decoder import RecordDecoder

        # A find waits for a schema as long as the registry may take to answer:
        # its records must be tested decoded, not left raw by a slow first fetch.
        decoder = RecordDecoder(
            RegistryClient(settings),
            key_decoding=args.key_decoding,
            value_decoding=args.value_decoding,
            wait=max(2.0, settings.timeout),
        )
    show = _progress_printer() if sys.stderr.isatty() else None
    finder = Finder(
        client,
        query,
        decoder=decoder,
        on_progress=show,
        stall_seconds=stall_bound(client.profile.request_timeout_ms),
        keep=args.keep,
    )
    try:
        result = await finder.run()
    except FindError as exc:
        raise NotFound(str(exc)) from None
    finally:
        if show is not None:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        if decoder is not None:
            await decoder.close()
    if args.json:
        printer.json(find_doc(result))
    else:
        printer.view(find_view(result, args.key_format, args.value_format))
    return EXIT_OK if result.matched else EXIT_ERROR


def _progress_printer() -> Any:
    last = [0.0]

    def show(progress: FindProgress) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL and progress.scanned < progress.total:
            return
        last[0] = now
        sys.stderr.write("\r\x1b[K" + progress_text(progress))
        sys.stderr.flush()

    return show


def progress_text(progress: FindProgress) -> str:
    """'41% 820,000 of 2,000,000 offsets, 1,204,000/s, 1 s left, 12 matched'."""
    eta = progress.eta
    left = "-" if eta is None else f"{eta:.0f} s left"
    return (
        f"{progress.fraction:4.0%} {progress.scanned:,} of {progress.total:,} offsets, "
        f"{progress.rate:,.0f}/s, {left}, {progress.matched:,} matched"
    )


def find_doc(result: FindResult) -> Doc:
    query = result.query
    window = result.window
    return render._document(
        "find",
        time.time(),
        topic=query.topic,
        key=query.key.decode("utf-8", "replace") if query.key is not None else None,
        key_partition=result.key_partition,
        all_partitions=query.all_partitions,
        filter=query.filter.text if query.filter is not None else None,
        **{"from": window.start.describe()},
        to=window.end.describe(),
        limit=query.limit,
        limit_reached=result.limit_reached,
        complete=result.complete,
        seconds=round(result.elapsed, 3),
        offsets=result.offsets,
        records=result.records,
        matched=result.matched,
        kept=len(result.matches),
        partitions_without_leader=list(window.missing),
        partitions=[
            {
                "partition": p.partition,
                "from_offset": p.start,
                "to_offset": p.end,
                "read_to": p.position,
                "low": p.low,
                "high": p.high,
                "records": p.records,
                "matched": p.matched,
                "skipped": p.skipped,
                "complete": p.complete,
                "error": p.error,
            }
            for p in result.partitions
        ],
        matches=[render.record_doc(r) for r in result.matches],
    )


def find_view(result: FindResult, key_format: str = "auto", value_format: str = "auto") -> list[Part]:
    parts: list[Part] = [render.record_line(r, key_format, value_format) for r in result.matches]
    if parts:
        parts.append("")
    table = render._table(
        "PARTITION",
        "FROM",
        "TO",
        "READ TO",
        "RECORDS",
        "MATCHED",
        "",
        right=("PARTITION", "FROM", "TO", "READ TO", "RECORDS", "MATCHED"),
    )
    for p in result.partitions:
        if p.error:
            state = f"error: {p.error}"
        elif p.complete:
            state = "read whole" + (f" ({p.skipped:,} offsets deleted by retention first)" if p.skipped else "")
        else:
            state = "stopped (limit)" if result.limit_reached else "stopped"
        table.add_row(
            str(p.partition), f"{p.start:,}", f"{p.end:,}", f"{p.position:,}", f"{p.records:,}", f"{p.matched:,}", state
        )
    parts.append(table)
    parts.append(summary_line(result))
    return parts


def summary_line(result: FindResult) -> str:
    """One line: what was found and whether the window was read whole."""
    query = result.query
    window = result.window
    what = []
    if query.key is not None:
        where = "all partitions" if query.all_partitions else f"partition {result.key_partition}"
        what.append(
            f"key {query.key.decode('utf-8', 'replace')!r} (hashes to partition {result.key_partition}; read {where})"
        )
    if query.filter is not None:
        what.append(f"filter {query.filter.text!r}")
    looked = " and ".join(what) or "every record"
    found = result.matched
    span = f"{window.start.describe()} to {window.end.describe()}"
    offsets = sum(p.position - p.start for p in result.partitions)
    read = f"{_plural(result.records, 'record')} in {_plural(offsets, 'offset')}"
    if result.complete:
        tail = f"the whole window was read ({span}, {read}, {result.elapsed:.1f} s)"
    elif result.limit_reached:
        tail = f"stopped at {query.limit} matches ({read} of the window {span})"
    else:
        tail = f"the window was NOT read whole ({read} of {result.offsets:,} offsets, {span}): see the table"
    if window.missing:
        tail += f"; partitions without a leader, not read: {', '.join(map(str, window.missing))}"
    kept = "" if result.kept_all else f" (the first {len(result.matches):,} printed: --keep)"
    return f"{found:,} match{'es' if found != 1 else ''}{kept} for {looked}; {tail}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"
