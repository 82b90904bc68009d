"""Runs one headless subcommand: picks the command's function from its
family module (``cluster``, ``topics``, ``groups``, ``records``, ``schemas``), connects,
and maps every error to one line on stderr and an exit code (see
kview.headless).  What the commands share (the refresh loop behind
``--watch``, the bound on a refresh, the errors) is in ``runner``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING

from kview.core.config import ClusterProfile
from kview.core.errors import ClusterUnavailable, ConfigError, KViewError, describe_exception
from kview.headless import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_UNAVAILABLE, EXIT_USAGE
from kview.headless.access import cmd_acls, cmd_quotas, cmd_users
from kview.headless.cluster import cmd_brokers
from kview.headless.find import cmd_find
from kview.headless.groups import cmd_group, cmd_groups, cmd_lag
from kview.headless.offsets import cmd_offsets
from kview.headless.reassign import cmd_elect_leaders, cmd_leaders, cmd_reassign
from kview.headless.records import cmd_produce, cmd_tail
from kview.headless.render import Printer
from kview.headless.replay import cmd_copy
from kview.headless.runner import RunState, UsageError, refresh_bound
from kview.headless.schemas import cmd_schema, cmd_schemas
from kview.headless.topics import cmd_topic, cmd_topics
from kview.headless.transactions import cmd_transactions

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.headless.runner import Command

log = logging.getLogger(__name__)

COMMANDS: dict[str, Command] = {
    "brokers": cmd_brokers,
    "topics": cmd_topics,
    "topic": cmd_topic,
    "groups": cmd_groups,
    "group": cmd_group,
    "lag": cmd_lag,
    "tail": cmd_tail,
    "produce": cmd_produce,
    "schemas": cmd_schemas,
    "schema": cmd_schema,
    "transactions": cmd_transactions,
    "leaders": cmd_leaders,
    "elect-leaders": cmd_elect_leaders,
    "reassign": cmd_reassign,
    "acls": cmd_acls,
    "users": cmd_users,
    "quotas": cmd_quotas,
    "copy": cmd_copy,
    "redrive": cmd_copy,
    "offsets": cmd_offsets,
    "find": cmd_find,
}


def run_command(args: Namespace, profile: ClusterProfile) -> int:
    """Run ``args.command`` against ``profile``; returns the exit code.  Never
    raises: errors become one line on stderr."""
    _quiet_logging(bool(getattr(args, "debug", False)))
    state = RunState()
    try:
        return asyncio.run(_main(args, profile, state))
    except KeyboardInterrupt:
        return state.code if state.interruptible else EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): not an error of ours.
        _silence_stdout()
        return state.code
    except BaseException as exc:  # every failure is one line, never a traceback
        if not isinstance(exc, Exception):
            raise
        return _fail(exc)


def exit_code_of(exc: BaseException) -> int:
    """The exit code for an error (see kview.headless)."""
    from kview.core.filters import FilterError

    if isinstance(exc, (UsageError, ConfigError, FilterError)):
        return EXIT_USAGE
    from kview.core.schemas.errors import RegistryUnavailable

    if isinstance(exc, (ClusterUnavailable, RegistryUnavailable)) or _is_connection_error(exc):
        return EXIT_UNAVAILABLE
    return EXIT_ERROR


def _fail(exc: BaseException) -> int:
    if isinstance(exc, KViewError):
        message = str(exc)
    else:
        log.error("headless command failed", exc_info=exc)
        message = describe_exception(exc)
    from kview.core.logs import redact

    message = redact(" ".join(message.split())) or type(exc).__name__
    try:
        print(f"kview: {message}", file=sys.stderr, flush=True)
    except OSError:
        pass
    return exit_code_of(exc)


def _is_connection_error(exc: BaseException) -> bool:
    from aiokafka import errors as kafka_errors

    return isinstance(
        exc,
        (
            kafka_errors.KafkaConnectionError,
            kafka_errors.NodeNotReadyError,
            kafka_errors.NoBrokersAvailable,
            ConnectionError,
        ),
    )


def _quiet_logging(debug: bool) -> None:
    """Logs go to kview's log file, never to stderr (aiokafka logs connection
    failures at ERROR; Python would print them without a handler)."""
    from kview.core.logs import setup_logging

    try:
        setup_logging(debug)
    except OSError:
        logging.getLogger().addHandler(logging.NullHandler())
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


async def _main(args: Namespace, profile: ClusterProfile, state: RunState) -> int:
    from kview.core.cluster import ClusterClient

    command = COMMANDS[args.command]
    state.bound = refresh_bound(profile.request_timeout_ms)
    printer = Printer()
    client = ClusterClient(profile)
    try:
        return await command(args, client, printer, state)
    finally:
        await client.close()
