"""Connection state shown in the header and used to mark panes stale."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectionState:
    """Where the app stands with its cluster.

    ``last_ok`` is the time of the last successful refresh (``time.time()``),
    so a pane can say how old the data it still shows is.
    """

    status: str = "connecting"  # connecting | connected | unreachable
    error: str | None = None
    last_ok: float | None = None
    retry_in: float | None = None

    @property
    def connected(self) -> bool:
        return self.status == "connected"

    def stale_age(self, now: float | None = None) -> float | None:
        """Seconds since the data was fresh, or None while connected."""
        if self.connected or self.last_ok is None:
            return None
        return (now or time.time()) - self.last_ok
