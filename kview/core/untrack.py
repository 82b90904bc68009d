"""Keeping the tail's records out of the cycle collector's way.

A full ring holds 100,000 record objects for as long as it takes newer ones
to push them out.  They are containers to CPython's cycle collector, so every
collection that reaches their generation walks all of them: in the app,
with a full ring, one full collection took 100-170 ms, and a key pressed
meanwhile waited for it.  Yet a record can never be part of a reference
cycle: its fields are strings, numbers, bytes, None and a tuple of
``(str, bytes)`` headers, and kview never sets anything on it.  It dies by
reference counting when the ring lets it go, so the collector has no reason
to look at it.

``untrack(records)`` removes the records of one batch from the collector's
lists (``PyObject_GC_UnTrack``, part of CPython's stable C API, reached with
ctypes; about 0.3 us a record).  The records are freed as before; only the
collector no longer visits them.  The worst a mistake here could do is keep
a cycle through an untracked object alive (a leak), never free anything
early: the collector counts references from objects it does not track as
references from outside.

Only objects of ``RECORD_TYPE`` are untracked (a type the collector tracks;
calling the C function on an object of a type without a GC header would
corrupt memory).  On other Python implementations ``untrack`` does nothing
and returns False.
"""

from __future__ import annotations

import gc
import sys
from collections import deque
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from aiokafka.structs import ConsumerRecord

RECORD_TYPE = ConsumerRecord


@cache
def _untracker() -> Callable[[Any], None] | None:
    """The C function, looked up on first use (ctypes is imported then, not
    at start-up); None where the interpreter offers none."""
    if sys.implementation.name != "cpython":
        return None
    try:
        import ctypes

        function = ctypes.pythonapi.PyObject_GC_UnTrack
    except (ImportError, AttributeError, OSError):  # pragma: no cover - a CPython without ctypes
        return None
    function.argtypes = [ctypes.py_object]
    function.restype = None
    return function


def available() -> bool:
    return _untracker() is not None


def untrack(records: Sequence[Any]) -> bool:
    """Take ``records`` (all of RECORD_TYPE) out of the cycle collector's
    lists.  False, and nothing done, when any of them is of another type or
    the interpreter offers no way."""
    untrack_one = _untracker()
    if not records or untrack_one is None:
        return False
    if set(map(type, records)) != {RECORD_TYPE}:  # in C: a few ns a record
        return False
    deque(map(untrack_one, records), 0)
    return True


def untrack_made(objects: Sequence[Any]) -> None:
    """``untrack`` without its type check, for objects of kview's own that
    the caller made and knows can never be part of a cycle (the schema
    decoder's DecodedRecords); nothing done where the interpreter offers no way."""
    untrack_one = _untracker()
    if objects and untrack_one is not None:
        deque(map(untrack_one, objects), 0)


READ_GC_THRESHOLD0 = 20_000
"""Allocations (net of frees) between two young-generation collections while
a tail or a find reads.  A tail's batch allocates its records (still tracked while aiokafka
decodes them; the Tail untracks them after) and a full ring frees as many
as it takes in, so the count moves by thousands per batch: with the default
(700) the collector ran several times per batch and walked the records
being decoded.  Here a young collection runs every few batches and takes
the UI's garbage (Textual's strips hold cycles) with it.  A find that keeps
hundreds of thousands of matches did the same: with the default, about a quarter of
a dense find's time on bench/find_scan.py went to the collector walking the
matches piling up (kview find untracks them as the tail does)."""


class GcWhileReading:
    """Garbage-collector settings while any tail (a pane, ``kview tail``) or
    find (kview.core.find.scan) reads.

    The records themselves are out of the collector's way (the Tail untracks
    every batch, a find its matches, see kview/core/untrack.py).  On the first acquire: one full
    collection, then ``gc.freeze()``: the app's long-lived objects leave the
    collector's generations, so the collections that follow walk only what
    was made since (a full collection of the whole app took 50-70 ms).
    On the last release: the thresholds as they were, and ``gc.unfreeze()``.
    Counted, so panes, finds (and tests that start several apps) nest."""

    def __init__(self) -> None:
        self.users = 0
        self.saved: tuple[int, int, int] | None = None

    def acquire(self) -> None:
        self.users += 1
        if self.users > 1:
            return
        self.saved = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(max(READ_GC_THRESHOLD0, self.saved[0]), self.saved[1], self.saved[2])

    def release(self) -> None:
        if self.users == 0:
            return
        self.users -= 1
        if self.users == 0 and self.saved is not None:
            gc.set_threshold(*self.saved)
            self.saved = None
            gc.unfreeze()


GC_WHILE_READING = GcWhileReading()
"""The process's one: the tail panes and ``kview tail`` share it."""
