"""The copy's pure parts: the spec's checks, and the runs of offsets the
summary is made of (its window's bounds are find's: tests/unit/test_find_core.py)."""

from __future__ import annotations

import pytest

from kview.core.errors import KViewError
from kview.core.replay import FAILED, SENT, CopySpec, OffsetRun
from kview.core.replay.models import runs_of


def test_spec_checks():
    with pytest.raises(KViewError, match="copy to"):
        CopySpec("a")
    with pytest.raises(KViewError, match="choose the target partition"):
        CopySpec("a", "b", partitioning="chosen")
    with pytest.raises(KViewError, match="more than 0"):
        CopySpec("a", "b", rate=0)
    with pytest.raises(KViewError, match="header"):
        CopySpec("a", redrive_header=" ")
    assert CopySpec("dlq", redrive_header="h").redrive


def test_runs_group_equal_fates_in_offset_order():
    fates = [(1, SENT, ""), (3, SENT, ""), (4, FAILED, "too big"), (5, FAILED, "too big"), (9, SENT, "")]
    assert runs_of(fates) == (
        OffsetRun(1, 3, 2, SENT),
        OffsetRun(4, 5, 2, FAILED, "too big"),
        OffsetRun(9, 9, 1, SENT),
    )
    assert OffsetRun(4, 5, 2, FAILED, "too big").text() == "4-5 (2 failed: too big)"
