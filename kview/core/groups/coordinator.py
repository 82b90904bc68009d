"""Where each group lives: its coordinator, found with one batched
FindCoordinator (one request per group before Kafka 3.0) and cached until an
answer says the group moved, and calls to one group's coordinator asked again
while it moves or loads the group's offsets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from kview.core.cluster import ClusterClient
from kview.core.errors import KViewError, describe_exception
from kview.core.groups.errors import RETRIABLE, group_error
from kview.core.protocol.group_requests import FindCoordinatorsRequest

Answer = TypeVar("Answer")


class Coordinators:
    """The coordinator node of each group of one cluster, cached."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client
        self._nodes: dict[str, int] = {}

    def remember(self, group: str, node: int) -> None:
        """ListGroups answered for ``group`` on ``node``: it is the coordinator."""
        self._nodes[group] = node

    def forget(self, group: str) -> None:
        """The cached node answered NOT_COORDINATOR (or failed): look it up again."""
        self._nodes.pop(group, None)

    async def find(self, names: list[str], patience: float = 0.5) -> tuple[dict[str, int], dict[str, str]]:
        """Coordinator of each group (cached); groups whose lookup failed -> message.

        A young cluster answers COORDINATOR_NOT_AVAILABLE until its offsets
        topic exists, so retriable answers are asked again for up to
        ``patience`` seconds."""
        found = {n: self._nodes[n] for n in names if n in self._nodes}
        pending = [n for n in names if n not in found]
        failed: dict[str, tuple[int, str]] = {}
        deadline = time.monotonic() + patience
        attempt = 0
        while pending:
            if attempt:
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(min(0.25 * attempt, 1.0))
            attempt += 1
            more, failed_now = await self._lookup(pending)
            found.update(more)
            self._nodes.update(more)
            failed.update(failed_now)
            for name in more:
                failed.pop(name, None)
            pending = [n for n, (code, _) in failed_now.items() if code in RETRIABLE]
        return found, {name: message for name, (_code, message) in failed.items()}

    async def _lookup(self, names: list[str]) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
        """One batched FindCoordinator; failures map to (error code or -1, message)."""
        found: dict[str, int] = {}
        failed: dict[str, tuple[int, str]] = {}
        try:
            response = await self.client.send_any(FindCoordinatorsRequest(names), "find coordinators")
        except NotImplementedError:
            # Brokers before 3.0 answer one group per request.
            results = await asyncio.gather(*(self.client.find_coordinator(n) for n in names), return_exceptions=True)
            for name, result in zip(names, results, strict=True):
                if isinstance(result, BaseException):
                    code = getattr(result, "errno", -1)
                    failed[name] = (code, f"coordinator lookup failed: {describe_exception(result)}")
                else:
                    found[name] = result
            return found, failed
        for key, node_id, _host, _port, error_code, error_message, _tags in response.coordinators:
            if error_code:
                failed[key] = (error_code, str(group_error(error_code, "coordinator lookup", error_message or None)))
            else:
                found[key] = node_id
        return found, failed

    async def of(self, group: str) -> int:
        """Node id of the group's coordinator (waits up to half a minute while a
        young cluster creates its offsets topic)."""
        found, errors = await self.find([group], patience=30.0)
        if group not in found:
            raise KViewError(errors.get(group, f"no coordinator for group '{group}'"))
        return found[group]

    async def call(
        self,
        group: str,
        call: Callable[[int], Awaitable[Answer]],
        error_codes: Callable[[Answer], Iterable[int]],
        patience: float = 20.0,
    ) -> Answer:
        """``await call(node)`` on the group's coordinator, asked again (with a
        fresh lookup) while ``error_codes(answer)`` holds a retriable code: a
        coordinator that moved or is still loading the group's offsets."""
        deadline = time.monotonic() + patience
        attempt = 0
        while True:
            node = await self.of(group)
            answer = await call(node)
            attempt += 1
            if time.monotonic() >= deadline or not any(c in RETRIABLE for c in error_codes(answer)):
                return answer
            self.forget(group)
            await asyncio.sleep(min(0.25 * attempt, 1.0))
