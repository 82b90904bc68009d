"""``kview schemas [PATTERN]`` and ``kview schema SUBJECT [--version N]``: the
profile's schema registry, as tables or ``--json`` documents.  They talk to
the registry only (never to Kafka) and end within ``registry_bound`` of the
registry's request timeout.

Errors: no registry configured is a usage error (exit 2), an unknown subject
or version is "not found" (exit 1, as for topics and groups), a registry
that cannot be reached is exit 3, one line each."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from kview.core.schemas.errors import RegistryError, RegistryUnavailable
from kview.headless import EXIT_OK, render
from kview.headless.render import Doc, Part, Printer
from kview.headless.runner import NotFound, RunState, UsageError

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient
    from kview.core.config import ClusterProfile
    from kview.core.schemas.client import RegistryClient

REGISTRY_BOUND = 30.0
"""Seconds a registry command may take at the least; see registry_bound."""

NO_REGISTRY = (
    "no schema registry configured for cluster '{name}': add a schema_registry block "
    "(url: ...) to its profile, or pass --schema-registry URL"
)


def registry_bound(timeout: float) -> float:
    """The most ``schemas`` / ``schema`` may take: 30 s, or 3 request
    timeouts of the registry when that is more."""
    return max(REGISTRY_BOUND, 3 * timeout)


def registry_of(profile: ClusterProfile) -> RegistryClient:
    """The profile's registry client, or a usage error saying how to configure one."""
    settings = profile.schema_registry
    if settings is None:
        raise UsageError(NO_REGISTRY.format(name=profile.name))
    from kview.core.schemas.client import RegistryClient

    return RegistryClient(settings)


async def _print_once(
    args: Namespace, printer: Printer, registry: RegistryClient, fetch: Callable[[], Awaitable[Doc]], view
) -> int:
    bound = registry_bound(registry.settings.timeout)
    try:
        async with asyncio.timeout(bound):
            doc = await fetch()
    except TimeoutError:
        raise RegistryUnavailable(
            f"schema registry {registry.url}: no answer within {bound:g} s (the bound of this command)"
        ) from None
    if args.json:
        printer.json(doc)
    else:
        parts: list[Part] = view(doc)
        printer.view(parts)
    return EXIT_OK


async def cmd_schemas(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    registry = registry_of(client.profile)
    try:

        async def fetch() -> Doc:
            summaries = await registry.summaries(args.pattern)
            return render.schemas_doc(summaries, registry=registry.url, pattern=args.pattern, taken_at=time.time())

        return await _print_once(args, printer, registry, fetch, render.schemas_view)
    finally:
        await registry.close()


async def cmd_schema(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    registry = registry_of(client.profile)
    subject, wanted = args.subject, args.version

    async def fetch() -> Doc:
        try:
            versions = await registry.versions(subject)
            found = await registry.version(subject, "latest" if wanted is None else wanted)
        except RegistryUnavailable:
            raise
        except RegistryError as exc:
            if exc.status == 404:
                if exc.code == 40402 or (wanted is not None and exc.code != 40401):
                    raise NotFound(f"subject '{subject}' has no version {wanted}") from None
                raise NotFound(f"subject '{subject}' does not exist") from None
            raise
        compatibility = await registry.compatibility(subject)
        return render.schema_doc(
            found, registry=registry.url, versions=versions, compatibility=compatibility, taken_at=time.time()
        )

    try:
        return await _print_once(args, printer, registry, fetch, render.schema_view)
    finally:
        await registry.close()
