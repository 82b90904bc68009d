"""The one list of write actions, and the guard every one of them passes.

A backend method that changes the cluster is declared with ``@write_action``;
the decorator registers it in WRITE_ACTIONS and refuses it when the profile is
read-only.  A new write path cannot forget the check, and the read-only test
walks WRITE_ACTIONS to be sure every entry is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from kview.core.errors import ReadOnlyError

WRITE_ACTIONS: dict[str, str] = {}
"""Action name -> qualified name of the (last registered) method performing it."""

WRITE_METHODS: dict[str, str] = {}
"""Qualified name of every guarded method -> its action name (an action such
as 'produce' may have several methods)."""

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def refuse_message(action: str) -> str:
    return f"read-only mode: '{action}' is not allowed on this cluster"


def check_writable(read_only: bool, action: str) -> None:
    """Raise ReadOnlyError when ``read_only``; ``action`` must be registered."""
    if read_only:
        raise ReadOnlyError(refuse_message(action))


def write_action(action: str) -> Callable[[F], F]:
    """Mark an async method of an object with a ``read_only`` attribute as a write."""

    def decorate(method: F) -> F:
        WRITE_ACTIONS[action] = method.__qualname__
        WRITE_METHODS[method.__qualname__] = action

        @functools.wraps(method)
        async def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            check_writable(bool(getattr(self, "read_only", False)), action)
            return await method(self, *args, **kwargs)

        guarded.write_action = action  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate
