"""The one list of write actions, and the guard every one of them passes.

A backend method that changes the cluster is declared with ``@write_action``;
the decorator registers it in WRITE_ACTIONS and refuses it when the profile is
read-only.  A new write path cannot forget the check, and the read-only test
walks WRITE_ACTIONS to be sure every entry is refused.

The schema registry's writes (register, compatibility level, soft deletes)
are guarded here too, by ``RegistryWrites``: the registry client itself
knows nothing of profiles.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kview.core.errors import ReadOnlyError

if TYPE_CHECKING:
    from kview.core.schemas.client import RegistryClient
    from kview.core.schemas.models import Schema

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


# -- the schema registry's writes ---------------------------------------------------------


class RegistryWrites:
    """The writes of a schema registry, guarded like the cluster's: the
    registry client (``kview.core.schemas.client``) knows nothing of profiles,
    so every caller that writes to the registry (the Schemas pane, the subject
    detail) goes through this, built with the profile's ``read_only``.
    Checking compatibility sends a schema but changes nothing: it is a read."""

    def __init__(self, registry: RegistryClient, read_only: bool) -> None:
        self.registry = registry
        self.read_only = read_only

    @write_action("register schema")
    async def register(self, subject: str, schema: Schema) -> int:
        """Register ``schema`` under ``subject``; its id."""
        return await self.registry.register(subject, schema)

    @write_action("set compatibility")
    async def set_compatibility(self, subject: str | None, level: str) -> None:
        await self.registry.set_compatibility(subject, level)

    @write_action("delete schema version")
    async def delete_version(self, subject: str, version: int) -> int:
        """Soft-delete one version (the registry keeps it, marked deleted)."""
        return await self.registry.delete_version(subject, version)

    @write_action("delete subject")
    async def delete_subject(self, subject: str) -> list[int]:
        """Soft-delete every version of ``subject``; the versions deleted."""
        return await self.registry.delete_subject(subject)
