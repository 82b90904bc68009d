"""Records taken out of the cycle collector's lists: untracked, still whole,
still freed when the ring lets them go, and nothing done to other objects."""

from __future__ import annotations

import gc
import weakref

import pytest

from kview.core import untrack as untrack_module
from kview.core.ring import Ring, make_record
from kview.core.untrack import untrack


def records(n: int) -> list:
    return [
        make_record("t", i % 3, i, 1_700_000_000_000 + i, 0, f"k{i}".encode(), b"v" * 50, (("trace", b"x"),))
        for i in range(n)
    ]


@pytest.fixture
def cpython_only():
    if not untrack_module.available():
        pytest.skip("this interpreter offers no PyObject_GC_UnTrack")


def test_records_leave_the_collectors_lists_and_stay_whole(cpython_only):
    batch = records(1_000)
    assert all(gc.is_tracked(r) for r in batch)
    assert untrack(batch) is True
    assert not any(gc.is_tracked(r) for r in batch)
    tracked_ids = {id(o) for o in gc.get_objects()}
    assert not tracked_ids & {id(r) for r in batch}
    assert [(r.partition, r.offset, r.key, r.headers) for r in batch[:2]] == [
        (0, 0, b"k0", (("trace", b"x"),)),
        (1, 1, b"k1", (("trace", b"x"),)),
    ]


def test_untracked_records_are_freed_when_the_ring_drops_them(cpython_only):
    ring = Ring(10)
    batch = records(10)
    untrack(batch)
    probes = [weakref.ref(r) for r in batch]
    ring.extend(batch)
    del batch
    assert all(p() is not None for p in probes)  # the ring holds them
    ring.extend(records(10))  # ... until newer ones push them out
    assert all(p() is None for p in probes)  # freed at once, by reference counting


def test_other_objects_are_never_untracked(cpython_only):
    batch = records(3)
    mixed = [*batch, ["a list"]]
    assert untrack(mixed) is False
    assert all(gc.is_tracked(o) for o in mixed)  # all or nothing
    assert untrack([1, 2, 3]) is False  # ints have no GC header: must never reach the C call
    assert untrack([]) is False


def test_without_the_c_function_nothing_happens(monkeypatch):
    monkeypatch.setattr(untrack_module, "_untracker", lambda: None)
    batch = records(2)
    assert untrack(batch) is False
    assert all(gc.is_tracked(r) for r in batch)
