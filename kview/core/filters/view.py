"""FilterView: the incremental filtered view over the tail's ring (``ring.py``),
which the tail and the tail view read instead of rescanning the ring."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from kview.core.filters.parser import Filter


class FilterView:
    """Sequence numbers of the ring's records that match a filter, kept in step
    with the ring incrementally: ``update()`` looks only at records appended
    since the last call and forgets matches that fell out of the ring.

    With no filter (or an empty one) every record matches and no list is kept.
    """

    def __init__(self, ring: Any, filter: Filter | None = None) -> None:
        self.ring = ring
        self.filter = filter if filter is not None and not filter.matches_all else None
        self._matches: list[int] = []
        self._start = 0
        self._scanned = ring.first
        self._candidates: list[int] | None = None
        """After a narrowing reset: the previous filter's matches still to
        test (all below _scanned), instead of every record."""
        self._next_candidate = 0

    @property
    def active(self) -> bool:
        return self.filter is not None

    @property
    def caught_up(self) -> bool:
        return self._candidates is None and self._scanned >= self.ring.next

    def update(self, limit: int | None = None) -> int:
        """Scan new records (at most ``limit``); returns how many new matches."""
        ring = self.ring
        if self.filter is None:
            self._scanned = ring.next
            self._candidates = None
            return 0
        found = 0
        if self._candidates is not None:
            found = self._test_candidates(limit)
            if self._candidates is not None or limit is not None:
                return found
        lo = max(self._scanned, ring.first)
        hi = ring.next if limit is None else min(ring.next, lo + limit)
        if hi > lo:
            before = len(self._matches)
            self._matches.extend(self.filter.select(ring.range(lo, hi), lo))
            found += len(self._matches) - before
            self._scanned = hi
        self._prune()
        return found

    def _test_candidates(self, limit: int | None) -> int:
        candidates = self._candidates
        assert candidates is not None and self.filter is not None
        ring = self.ring
        i = max(self._next_candidate, bisect_left(candidates, ring.first, self._next_candidate))
        end = len(candidates) if limit is None else min(len(candidates), i + max(1, limit))
        chunk = candidates[i:end]
        records = list(map(ring.get, chunk))
        hits = self.filter.select(records)
        before = len(self._matches)
        self._matches.extend(map(chunk.__getitem__, hits))
        self._next_candidate = end
        if end >= len(candidates):
            self._candidates = None
        self._prune()
        return len(self._matches) - before

    def _prune(self) -> None:
        first = self.ring.first
        matches = self._matches
        if self._start < len(matches) and matches[self._start] < first:
            self._start = bisect_left(matches, first, self._start)
            if self._start > 4096 and self._start * 2 > len(matches):
                del matches[: self._start]
                self._start = 0

    def __len__(self) -> int:
        if self.filter is None:
            return len(self.ring)
        self._prune()
        return len(self._matches) - self._start

    def seq_at(self, index: int) -> int:
        """Sequence number of the ``index``-th visible record (0 = oldest)."""
        if self.filter is None:
            if not 0 <= index < len(self.ring):
                raise IndexError(index)
            return self.ring.first + index
        self._prune()
        if not 0 <= index < len(self._matches) - self._start:
            raise IndexError(index)
        return self._matches[self._start + index]

    def seqs(self, start: int = 0, stop: int | None = None) -> list[int]:
        """Sequence numbers of visible records ``start .. stop-1`` (indices, not seqs)."""
        if self.filter is None:
            total = len(self.ring)
            stop = total if stop is None else min(stop, total)
            return list(range(self.ring.first + max(0, start), self.ring.first + max(0, stop)))
        self._prune()
        base = self._start
        end = len(self._matches) if stop is None else min(len(self._matches), base + max(0, stop))
        return self._matches[base + max(0, start) : end]

    @property
    def scanned(self) -> int:
        """Sequence number of the first record not looked at yet (every
        record before it was tested, or ruled out by a narrowing)."""
        candidates = self._candidates
        if candidates is not None and self._next_candidate < len(candidates):
            return min(candidates[self._next_candidate], self._scanned)
        return self._scanned

    def adopt(self, matches: list[int], scanned: int) -> None:
        """Take the matches another view of the same records found (sorted
        sequence numbers below ``scanned``) instead of scanning for them again."""
        self._matches = list(matches)
        self._start = 0
        self._scanned = scanned
        self._candidates = None
        self._next_candidate = 0

    def nearest_index(self, seq: int) -> int:
        """Index of ``seq``, or of the first visible record after it (the last
        one when none is after it); 0 when nothing is visible."""
        if self.filter is None:
            return max(0, min(seq - self.ring.first, len(self.ring) - 1))
        self._prune()
        i = bisect_left(self._matches, seq, self._start) - self._start
        return max(0, min(i, len(self._matches) - self._start - 1))

    def index_of(self, seq: int) -> int | None:
        """Index of sequence number ``seq`` among visible records, or None."""
        if self.filter is None:
            return seq - self.ring.first if seq in self.ring else None
        self._prune()
        i = bisect_left(self._matches, seq, self._start)
        if i < len(self._matches) and self._matches[i] == seq:
            return i - self._start
        return None

    def reset(self, filter: Filter | None = None) -> None:
        """Use a new filter (or the same after the ring was cleared); rescans
        lazily.  A filter that narrows the current one (a letter typed at the
        end of a substring) tests only the current matches, not the ring."""
        new = filter if filter is not None and not filter.matches_all else None
        old = self.filter
        if new is not None and old is not None and new is not old and new.narrows(old):
            self._prune()
            pending = self._candidates[self._next_candidate :] if self._candidates is not None else []
            # The old view's matches, then (still untested by it) its candidates.
            candidates = self._matches[self._start :] + pending
            if pending:
                candidates.sort()
            self.filter = new
            self._matches = []
            self._start = 0
            self._candidates = candidates
            self._next_candidate = 0
            return  # _scanned stays: records after it are scanned as usual
        self.filter = new
        self._matches = []
        self._start = 0
        self._scanned = self.ring.first
        self._candidates = None
        self._next_candidate = 0
