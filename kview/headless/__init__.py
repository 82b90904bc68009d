"""Headless commands: every view of kview as a table or a JSON document, for
scripts, cron jobs and alerting (``kview brokers``, ``topics``, ``topic``,
``groups``, ``group``, ``lag``, ``tail``, ``produce``; ``schemas``, ``schema``
read the schema registry; ``leaders``, ``elect-leaders`` and ``reassign``
work on replicas and leaders, see ``reassign``; ``transactions`` lists
transactions and producers; ``acls``, ``users``, ``quotas`` the access views).

They reuse ``kview.core`` and never import Textual, so they start fast.
``args`` declares the subcommands (argparse only); ``commands`` dispatches
each to its family's module (``cluster``: brokers; ``topics``: topics, topic;
``groups``: groups, group, lag; ``records``: tail, produce), which share
``runner`` (the ``--watch`` refresh loop, its bound, the errors behind the
exit codes); ``render`` turns kview's dataclasses into JSON documents and
tables, and ``schema`` holds the JSON Schemas the documents follow.

Exit codes (stable, for scripts):

* 0: done (``lag``: nothing matched)
* 1: ``lag``: something matched; ``transactions --hanging``: a hanging one
  found; any command: a topic, group, registry subject or version that does
  not exist, an error answered by Kafka or the registry, a refused write
  (read-only profile), a bad input line for ``produce``
* 2: bad arguments or configuration (nothing was sent to Kafka)
* 3: the cluster (or the schema registry) could not be reached
* 130: interrupted (Ctrl-C) outside ``--watch`` / ``--follow``
"""

from __future__ import annotations

COMMANDS: tuple[str, ...] = (
    "brokers",
    "topics",
    "topic",
    "groups",
    "group",
    "lag",
    "tail",
    "produce",
    "schemas",
    "schema",
    "transactions",
    "leaders",
    "elect-leaders",
    "reassign",
    "acls",
    "users",
    "quotas",
    "copy",
    "redrive",
    "offsets",
    "find",
)
"""Subcommands handled here (``kview.cli`` hands them to ``commands.run_command``)."""

EXIT_OK = 0
EXIT_FOUND = 1
"""``lag`` found something behind."""
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130
