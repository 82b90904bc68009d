"""The messages sent this session, newest first, to reopen and send again."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from kview.core.produce.message import ComposedMessage, SendResult


@dataclass(frozen=True)
class HistoryEntry:
    message: ComposedMessage
    result: SendResult
    sent_at: float
    """``time.time()`` when the acknowledgement arrived."""


class SendHistory:
    """The last ``capacity`` messages sent (acknowledged), newest first.  Pure
    data: the UI lists ``entries``, re-opens ``reopen(n)`` in the form and sends
    it again.  Failed sends are not recorded; the form still holds them."""

    def __init__(self, capacity: int = 100) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._entries: deque[HistoryEntry] = deque(maxlen=capacity)

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def record(self, message: ComposedMessage, result: SendResult, sent_at: float | None = None) -> HistoryEntry:
        entry = HistoryEntry(message, result, time.time() if sent_at is None else sent_at)
        self._entries.appendleft(entry)
        return entry

    @property
    def entries(self) -> tuple[HistoryEntry, ...]:
        return tuple(self._entries)

    def reopen(self, index: int) -> ComposedMessage:
        """The message of entry ``index`` (0 = newest), to edit and send again."""
        return self._entries[index].message

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[HistoryEntry]:
        return iter(tuple(self._entries))
