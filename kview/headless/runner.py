"""What every headless command shares: the state one run exits with, the
errors that map to exit codes, the bound on one refresh, and the refresh loop
behind ``--watch`` that fetches a document and prints it as JSON or a table.

The commands themselves live in one module per family (``cluster``,
``topics``, ``groups``, ``records``); ``commands`` dispatches to them.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from kview.core.errors import KViewError
from kview.core.schedule import delay_until_next
from kview.headless import EXIT_OK, render
from kview.headless.render import Doc, Part, Printer

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient

    # One subcommand: parsed arguments, the cluster, where to print, the run's
    # state -> the exit code.
    Command: TypeAlias = Callable[[Namespace, ClusterClient, Printer, "RunState"], Awaitable[int]]

REFRESH_BOUND = 60.0
"""Seconds one refresh (one document) may take at the least; see refresh_bound."""


def refresh_bound(request_timeout_ms: int) -> float:
    """The most one refresh of brokers/topics/topic/groups/group/lag may take
    (``--window`` comes on top): 60 s, or 4 request timeouts when that is more.
    Past it the command stops with an error instead of waiting on."""
    return max(REFRESH_BOUND, 4 * request_timeout_ms / 1000)


class UsageError(KViewError):
    """An argument that cannot be used (exit code 2)."""


class NotFound(KViewError):
    """A topic, partition or group that does not exist (exit code 1)."""


class BadInput(KViewError):
    """A line on stdin that cannot be sent (exit code 1)."""


@dataclass
class RunState:
    """What the process exits with when Ctrl-C ends a --watch or --follow."""

    code: int = EXIT_OK
    interruptible: bool = False
    bound: float = REFRESH_BOUND
    """Seconds one refresh may take (refresh_bound of the profile)."""


def note(text: str) -> None:
    """A remark on stderr (stdout stays machine-readable)."""
    print(f"kview: {text}", file=sys.stderr, flush=True)


async def refresh_loop(
    args: Namespace,
    printer: Printer,
    state: RunState,
    fetch: Callable[[], Awaitable[Doc]],
    view: Callable[[Doc], list[Part]],
    *,
    code_of: Callable[[Doc], int] = lambda doc: EXIT_OK,
) -> int:
    """Fetch and print once, or every ``--watch`` seconds (``--count`` times):
    refreshes start ``--watch`` seconds apart; one that took longer skips to
    the next tick (kview.core.schedule)."""
    watch = getattr(args, "watch", None)
    count = getattr(args, "count", None)
    state.interruptible = bool(watch)
    refreshes = 0
    bound = state.bound
    window = getattr(args, "window", None) or 0.0
    if watch:
        window = 0.0  # --watch feeds every refresh to the tracker instead of watching first
    while True:
        started = time.monotonic()
        try:
            async with asyncio.timeout(bound + window):
                doc = await fetch()
        except TimeoutError:
            raise KViewError(
                f"no answer within {bound + window:g} s (the bound of one refresh); the cluster is slow or unreachable"
            ) from None
        refreshes += 1
        state.code = code_of(doc)
        _emit(args, printer, doc, view, watch, refreshes)
        if not watch or (count and refreshes >= count):
            return state.code
        await asyncio.sleep(delay_until_next(started, time.monotonic(), watch))


def _emit(
    args: Namespace, printer: Printer, doc: Doc, view: Callable[[Doc], list[Part]], watch: float | None, refresh: int
) -> None:
    if args.json:
        # Always one compact line per document (the C encoder; `| jq` to read):
        # with --watch, one line per refresh.
        printer.json(doc)
        return
    parts = view(doc)
    if watch:
        header = f"every {watch:g}s  {render.iso_seconds(doc['taken_at'])}  refresh {refresh}"
        if printer.terminal:
            printer.clear()
        elif refresh > 1:
            printer.line("")
        parts = [header, *parts]
    printer.view(parts)
