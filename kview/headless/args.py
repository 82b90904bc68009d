"""The headless subcommands' arguments (argparse only: ``kview --help`` must
stay fast and import nothing else)."""

from __future__ import annotations

import argparse

STATUSES = ("OK", "WARN", "STALL", "STOP", "EMPTY")
FORMATS = ("auto", "text", "json", "hex", "base64")
"""Same decoders as the tail pane (kview.core.codecs.FORMATS)."""
DECODINGS = ("auto", "avro", "protobuf", "json-schema", "none")
"""Schema-registry decodings (kview.core.schemas.decoder.DECODINGS; not
imported: ``kview --help`` must stay fast)."""
KEPT_MATCHES = 100_000
"""Matches kview find keeps by default (kview.core.find.scan.KEPT_MATCHES; not imported)."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _version(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a version number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"versions start at 1, not {text}")
    return value


def _statuses(text: str) -> tuple[str, ...]:
    wanted = tuple(s.strip().upper() for s in text.split(",") if s.strip())
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown status {', '.join(unknown) or repr(text)}; use a comma-separated list of {','.join(STATUSES)}"
        )
    return wanted


GROUP_TYPES = ("classic", "consumer", "share", "streams")
"""kview.core.groups.models.GROUP_TYPES (not imported: ``kview --help`` must stay fast)."""


def _group_types(text: str) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
    unknown = [t for t in wanted if t not in GROUP_TYPES]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown group type {', '.join(unknown) or repr(text)}; "
            f"use a comma-separated list of {','.join(GROUP_TYPES)}"
        )
    return wanted


def _separator(text: str) -> str:
    # Let people type "\t" on a shell line; an empty separator cannot split.
    value = text.encode().decode("unicode_escape") if "\\" in text else text
    if not value:
        raise argparse.ArgumentTypeError("the separator must not be empty")
    return value


def _connection(parser: argparse.ArgumentParser) -> None:
    """The main parser's connection options, accepted after the subcommand too
    (``kview topics --bootstrap h:9092``).  SUPPRESS keeps a value given before
    the subcommand from being reset by this parser's defaults."""
    group = parser.add_argument_group("cluster")
    group.add_argument(
        "--cluster",
        "-c",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="cluster profile from the config file (security settings come from it)",
    )
    group.add_argument(
        "--bootstrap",
        "-b",
        metavar="HOST:PORT[,...]",
        default=argparse.SUPPRESS,
        help="connect to these bootstrap servers instead of a profile",
    )
    group.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="refuse every write action (only produce writes)",
    )
    group.add_argument(
        "--schema-registry",
        metavar="URL[,...]",
        default=argparse.SUPPRESS,
        help="use this schema registry (replaces the profile's URLs; its credentials and TLS files still apply)",
    )
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="verbose logging to the log file"
    )


def _output(parser: argparse.ArgumentParser, *, jsonl: bool = False) -> None:
    what = "one JSON object per line (JSONL)" if jsonl else "one JSON document on one line (schema in the README)"
    parser.add_argument("--json", action="store_true", help=f"print {what} instead of a table")


def _watch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--watch",
        "-w",
        metavar="SECONDS",
        type=_positive_float,
        help="refresh every SECONDS until Ctrl-C (--json: one document per line and refresh)",
    )
    parser.add_argument("--count", metavar="N", type=_count, help="with --watch: stop after N refreshes")


def _window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--window",
        metavar="SECONDS",
        type=_positive_float,
        help="the status window W (default 300 s with --watch).  Without --watch: watch the groups "
        "for a little over W seconds before reporting, so STALL, STOP and WARN can be seen",
    )


BOUND = (
    "  Ends within a bound: one refresh gives up after 60 s or 4 request timeouts, whichever is "
    "more (plus --window); only --watch runs on until Ctrl-C."
)
"""Stated in each refreshing command's description (kview.headless.commands.refresh_bound)."""
REGISTRY_BOUND_TEXT = (
    "  Asks the registry only (no Kafka); ends within 30 s or 3 of the registry's request "
    "timeouts, whichever is more.  Needs a schema_registry block in the profile or --schema-registry URL."
)
"""Stated in the registry commands' descriptions (kview.headless.schemas.registry_bound)."""
READS = (
    "  Lag counts offsets as kafka-consumer-groups does; READABLE is what a read_committed consumer "
    "receives of it (transaction markers, aborted and open transactional records are not), read "
    "from the log for lags up to 100 offsets, for at most 3 s."
)


def add_headless_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the headless subcommands to kview's subparsers."""

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help, description=description)
        _connection(parser)
        return parser

    brokers = command(
        "brokers",
        "brokers, controller, quorum and log-dir sizes",
        "Brokers with their leader and replica counts, log-dir sizes and disk use, "
        "the active controller and the KRaft metadata quorum." + BOUND,
    )
    _output(brokers)
    _watch(brokers)

    topics = command(
        "topics",
        "the topics table",
        "Every topic with partitions, replication, messages, size and health.  PATTERN "
        "filters by name: a shell glob (orders-*) or, without wildcards, a substring." + BOUND,
    )
    topics.add_argument("pattern", metavar="PATTERN", nargs="?")
    topics.add_argument("--exclude-internal", action="store_true", help="leave out internal topics")
    _output(topics)
    _watch(topics)

    topic = command(
        "topic",
        "one topic's partitions and configs",
        "One topic: each partition's leader, replicas, ISR, watermarks and size, and the topic's configs." + BOUND,
    )
    topic.add_argument("name", metavar="NAME")
    topic.add_argument(
        "--all-configs",
        action="store_true",
        help="table: list every config, not only those set somewhere (JSON always has all)",
    )
    _output(topic)
    _watch(topic)

    groups = command(
        "groups",
        "consumer groups with state, members, lag and status",
        "Consumer groups with state, members, total lag and status.  PATTERN filters by "
        "name: a shell glob or, without wildcards, a substring." + READS + BOUND,
    )
    groups.add_argument("pattern", metavar="PATTERN", nargs="?")
    _output(groups)
    _watch(groups)
    _window(groups)

    group = command(
        "group",
        "one group's partitions: committed, log end, lag, time lag, owner",
        "One consumer group: per partition the committed offset, log-end offset, lag, "
        "time lag (read from the first record a read_committed consumer receives from the committed "
        "offset; 0 when only markers, aborted or open transactional records are left) and the "
        "owning member.  Lag counts offsets as kafka-consumer-groups does; READABLE is what of it "
        "a read_committed consumer receives, read from the log for at most 3 s (gaps up to "
        "10,000 offsets counted)." + BOUND,
    )
    group.add_argument("name", metavar="NAME")
    _output(group)
    _watch(group)
    _window(group)

    lag = command(
        "lag",
        "only what is behind; exit code 1 when something is",
        "Groups that are behind, with their lagging partitions.  Exit code 0 when nothing "
        "matches, 1 when something does, so it can drive an alert.  A group is behind by its "
        "readable lag: the lag less what kview read and found no read_committed consumer "
        "receives (a group on a transaction marker is not behind)." + READS + BOUND,
    )
    lag.add_argument(
        "--group",
        "-g",
        metavar="GROUP",
        help="only this group (or a shell glob of groups); an unknown name is an error",
    )
    lag.add_argument(
        "--min-lag",
        metavar="N",
        type=_count,
        default=1,
        help="match groups whose readable lag is at least N records (default 1)",
    )
    lag.add_argument(
        "--status",
        metavar="STATUS[,...]",
        type=_statuses,
        help=f"match only groups in one of these states ({','.join(STATUSES)})",
    )
    lag.add_argument(
        "--exact",
        action="store_true",
        help="read every lagging partition (at most 3 s) for exact time lags and readable counts",
    )
    _output(lag)
    _watch(lag)
    _window(lag)

    schemas = command(
        "schemas",
        "the schema registry's subjects",
        "Every subject of the profile's schema registry with its type, latest version and id, "
        "number of versions and compatibility level.  PATTERN filters by subject: a shell glob "
        "(orders-*) or, without wildcards, a substring." + REGISTRY_BOUND_TEXT,
    )
    schemas.add_argument("pattern", metavar="PATTERN", nargs="?")
    _output(schemas)

    schema = command(
        "schema",
        "one subject's schema, versions and references",
        "One version of a subject (the latest unless --version): its id, type, compatibility "
        "level, every version of the subject, its references and the schema itself "
        "(pretty-printed in the table, as registered in --json)." + REGISTRY_BOUND_TEXT,
    )
    schema.add_argument("subject", metavar="SUBJECT")
    schema.add_argument("--version", "-V", metavar="N", type=_version, help="this version (default: the latest)")
    _output(schema)

    tail = command(
        "tail",
        "print a topic's records as lines or JSONL",
        "Print records of a topic, with the tail pane's decoders and filter language.  "
        "Without --follow it stops after N records or when it reaches the end offsets "
        "seen when it started.",
    )
    tail.add_argument("topic", metavar="TOPIC")
    tail.add_argument(
        "--from",
        dest="start",
        metavar="WHERE",
        help="earliest, latest, an OFFSET, a DATETIME (ISO 8601; no zone = local time) "
        "or last:N (the last N of each partition); default: earliest, or latest with --follow",
    )
    tail.add_argument(
        "--partition", "-p", metavar="P", type=_count, action="append", help="only this partition (repeat for more)"
    )
    tail.add_argument(
        "-n",
        "--max-records",
        dest="max_records",
        metavar="N",
        type=_count,
        help="stop after N records (matching the filter)",
    )
    tail.add_argument("--filter", "-f", dest="filter", metavar="EXPR", help="the tail pane's filter expression")
    tail.add_argument("--follow", "-F", action="store_true", help="keep printing new records until Ctrl-C")
    tail.add_argument("--key-format", choices=FORMATS, default="auto", help="how keys are shown in lines")
    tail.add_argument("--value-format", choices=FORMATS, default="auto", help="how values are shown in lines")
    tail.add_argument(
        "--key-decoding",
        choices=DECODINGS,
        default="auto",
        help="schema-registry decoding of keys (with the profile's registry or --schema-registry): "
        "auto (registry framing, any type), avro, protobuf, json-schema or none (default auto)",
    )
    tail.add_argument(
        "--value-decoding",
        choices=DECODINGS,
        default="auto",
        help="schema-registry decoding of values, as --key-decoding (default auto)",
    )
    tail.add_argument(
        "--raw",
        action="store_true",
        help="--json: add key_raw/value_raw, the bytes Kafka holds (base64), to each line",
    )
    tail.add_argument(
        "--idle-timeout",
        metavar="SECONDS",
        type=_positive_float,
        default=10.0,
        help="without --follow: give up when nothing arrives for this long before the end "
        "offsets are reached (default 10)",
    )
    _output(tail, jsonl=True)

    produce = command(
        "produce",
        "send records read from stdin, print each acknowledgement",
        "Read records from stdin and send them, printing the broker's acknowledgement of "
        'each (in input order).  JSONL lines: {"key": ..., "value": ..., "headers": '
        '{...}, "partition": N}; or console lines KEY<separator>VALUE.  With --value-schema / '
        "--key-schema the JSON is written with a registered schema.  Refused on read-only profiles.",
    )
    produce.add_argument("topic", metavar="TOPIC")
    produce.add_argument(
        "--format",
        choices=("jsonl", "console"),
        default="jsonl",
        help="input lines: jsonl (default) or console (KEY<sep>VALUE, like kafka-console-producer)",
    )
    produce.add_argument(
        "--separator",
        "-s",
        metavar="SEP",
        type=_separator,
        default="\t",
        help="console format: key separator (default: tab)",
    )
    produce.add_argument("--no-key", action="store_true", help="console format: each line is a value with a null key")
    produce.add_argument("--null-marker", metavar="TEXT", help="console format: a key or value equal to TEXT is null")
    produce.add_argument("--partition", "-p", metavar="P", type=_count, help="send every record to this partition")
    produce.add_argument("--acks", choices=("0", "1", "all"), help="acks (default: the profile's producer setting)")
    for field in ("key", "value"):
        produce.add_argument(
            f"--{field}-schema",
            metavar="SUBJECT[:VERSION]",
            nargs="?",
            const="",
            help=f"write each {field} (JSON) with the subject's schema from the registry (the profile's "
            f"schema_registry or --schema-registry), the latest version unless VERSION; with no SUBJECT, "
            f"<topic>-{field}.  A line whose {field} does not fit is refused with its field path",
        )
        produce.add_argument(
            f"--{field}-schema-message",
            metavar="NAME",
            help=f"Protobuf: the full name of the message to write the {field} with (default: the first one)",
        )
    _output(produce, jsonl=True)

    transactions = command(
        "transactions",
        "transactional ids, open transactions per partition, hanging ones",
        "Every transactional id with state, producer id and epoch, timeout, start time and "
        "partitions (kafka-transactions list + describe); each partition with an open "
        "transaction: high watermark, last stable offset (read_committed consumers stop there) and "
        "active producers (describe-producers); and the hanging transactions.  --hanging runs only "
        "kafka-transactions find-hanging's search (exit code 1 when it finds one)." + BOUND,
    )
    transactions.add_argument(
        "--hanging", action="store_true", help="only the hanging transactions (kafka-transactions find-hanging)"
    )
    transactions.add_argument("--topic", "-t", metavar="TOPIC", help="only this topic's partitions")
    transactions.add_argument("--partition", "-p", metavar="P", type=_count, help="only this partition (with --topic)")
    transactions.add_argument(
        "--broker-id",
        metavar="ID",
        type=_count,
        help="--hanging: partitions with a replica on this broker, asked of it",
    )
    transactions.add_argument(
        "--max-transaction-timeout",
        metavar="MINUTES",
        type=_count,
        default=15,
        help="an open transaction the coordinator does not hold is hanging once older than this "
        "(default 15, as kafka-transactions)",
    )
    transactions.add_argument(
        "--producers",
        action="store_true",
        help="list every partition with an active producer, not only those with an open transaction",
    )
    _output(transactions)
    _watch(transactions)
    # -- replicas and leaders (kview.headless.reassign) ------------------------------
    ops_bound = (
        "  Ends within a bound: 60 s or 4 request timeouts, whichever is more"
        " (apply --wait: plus its SECONDS; status --watch runs on until Ctrl-C)."
    )
    leaders = command(
        "leaders",
        "leaders vs preferred leaders per broker; exit code 1 when unbalanced",
        "Per broker: partitions led, partitions it is the preferred leader of, replicas and bytes; "
        "then every partition not led by its preferred replica.  Exit code 0 when every partition "
        "is led by its preferred replica, 1 when not." + BOUND,
    )
    leaders.add_argument("topics", metavar="TOPIC", nargs="*", help="only these topics")
    leaders.add_argument("--no-bytes", action="store_true", help="skip the log dirs (bytes per broker)")
    _output(leaders)
    _watch(leaders)

    elect = command(
        "elect-leaders",
        "preferred (or unclean) leader election, with the result per partition",
        "Ask the controller to elect leaders, as kafka-leader-election does: preferred (the first "
        "replica, when in sync) or unclean (any live replica of a partition without a leader: "
        "may lose data, needs --allow-data-loss).  Exit code 1 when a partition's election failed "
        "('not needed' is not a failure).  Refused on read-only profiles." + ops_bound,
    )
    which = elect.add_argument_group("partitions (one or more)")
    which.add_argument("--all", action="store_true", help="every partition of the cluster")
    which.add_argument("--topic", "-t", metavar="TOPIC", action="append", help="every partition of TOPIC (repeat)")
    which.add_argument("--partition", "-p", metavar="TOPIC:PARTITION", action="append", help="one partition (repeat)")
    elect.add_argument("--type", choices=("preferred", "unclean"), default="preferred", help="default preferred")
    elect.add_argument(
        "--allow-data-loss", action="store_true", help="needed with --type unclean: you accept losing records"
    )
    elect.add_argument("--dry-run", action="store_true", help="list the partitions an election would concern")
    _output(elect)

    reassign = commands.add_parser(
        "reassign",
        help="partition reassignment: plan, apply (throttled), status, cancel",
        description="Move partition replicas between brokers, as kafka-reassign-partitions does, with "
        "plans made by intent and files in that tool's JSON format.",
    )
    actions = reassign.add_subparsers(dest="reassign_action", metavar="ACTION", required=True)

    def intents(parser: argparse.ArgumentParser) -> None:
        plan_group = parser.add_argument_group("the plan (exactly one)")
        plan_group.add_argument("--drain", metavar="BROKER", type=_count, help="move every replica off BROKER")
        plan_group.add_argument(
            "--spread", action="store_true", help="spread replicas evenly over the brokers (and racks)"
        )
        plan_group.add_argument(
            "--replication-factor", metavar="N", type=_count, help="give --topic's partitions N replicas"
        )
        plan_group.add_argument(
            "--move",
            metavar="TOPIC:PARTITION=B1,B2",
            action="append",
            help="put a partition on these brokers, the first its preferred leader (repeat)",
        )
        plan_group.add_argument(
            "--file", "-f", metavar="PLAN.json", help="a kafka-reassign-partitions JSON file ('-': stdin)"
        )
        parser.add_argument(
            "--topic", "-t", metavar="TOPIC", action="append", help="limit --drain / --spread to topics (repeat)"
        )
        parser.add_argument("--brokers", metavar="ID,ID", help="--spread over these brokers only")
        parser.add_argument(
            "--no-racks", action="store_true", help="--drain / --spread: ignore racks, balance load only"
        )
        parser.add_argument("--no-sizes", action="store_true", help="skip the log dirs (no bytes in the preview)")

    def action(name: str, help: str, description: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help, description=description)
        _connection(parser)
        return parser

    plan = action(
        "plan",
        "make a plan and show its preview; write it as a kafka-reassign-partitions file",
        "Make a reassignment plan and print its preview: each partition that moves, from and to "
        "which brokers, the bytes to copy (from the log dirs), totals per broker.  Sends nothing "
        "that changes the cluster." + ops_bound,
    )
    intents(plan)
    plan.add_argument("--output", "-o", metavar="FILE", help="write the plan as kafka-reassign-partitions JSON")
    plan.add_argument("--rollback-output", metavar="FILE", help="write the current assignment (the way back)")
    _output(plan)

    apply = action(
        "apply",
        "start a plan's reassignment, optionally throttled and followed to the end",
        "Start the reassignment of a plan.  With --throttle the replication throttle is set on "
        "the brokers and topics taking part, as kafka-reassign-partitions --throttle does; it "
        "is removed when --wait sees the end, or by 'status --file' once done.  Prints the "
        "current assignment (to roll back) on stderr.  Exit codes: 0 started (with --wait: "
        "done), 1 a partition was refused (the others started), 4 --wait ran out of time with "
        "partitions still moving.  Refused on read-only profiles." + ops_bound,
    )
    intents(apply)
    apply.add_argument(
        "--throttle", metavar="BYTES_PER_S", type=_count, help="replication throttle, bytes/s per broker"
    )
    apply.add_argument(
        "--wait", metavar="SECONDS", type=_positive_float, help="follow the progress until done, for at most SECONDS"
    )
    apply.add_argument("--dry-run", action="store_true", help="show the plan and the throttle; send nothing")
    _output(apply)

    status = action(
        "status",
        "progress of reassignments in progress (any tool's), or of a plan file's",
        "Every reassignment in progress (started by kview or any other tool), or the partitions "
        "of --file as kafka-reassign-partitions --verify checks them: per partition the replicas, "
        "target, ISR, bytes copied and remaining; rate and ETA with --watch.  With --file, once "
        "every partition is done the throttle is removed (as --verify does; not with "
        "--keep-throttle or on a read-only profile).  Exit codes: 0 all done (or nothing in "
        "progress), 4 still in progress, 1 a partition stopped short of its target." + ops_bound,
    )
    status.add_argument("--file", "-f", metavar="PLAN.json", help="the plan whose partitions to check")
    status.add_argument("--keep-throttle", action="store_true", help="leave the throttle set when done")
    _output(status)
    _watch(status)

    cancel = action(
        "cancel",
        "cancel reassignments in progress: partitions go back to their replicas",
        "Cancel reassignments in progress (all, those of --file, or --partition); Kafka returns "
        "each partition to its original replicas and kview then removes the throttle if nothing "
        "else moves.  Exit code 1 when a partition could not be cancelled.  Refused on read-only "
        "profiles." + ops_bound,
    )
    cancel.add_argument("--file", "-f", metavar="PLAN.json", help="cancel only this plan's partitions")
    cancel.add_argument(
        "--partition", "-p", metavar="TOPIC:PARTITION", action="append", help="cancel only this partition (repeat)"
    )
    cancel.add_argument("--dry-run", action="store_true", help="list what would be cancelled; send nothing")
    _output(cancel)
    acls = command(
        "acls",
        "ACL bindings: who may do what to which resources",
        "Every ACL binding (principal, host, permission, operation, resource type, pattern type, "
        "name), as kafka-acls --list prints them.  --topic/--group/--transactional-id/--cluster "
        "list every binding that applies to that resource (literal, '*' and matching prefixes; "
        "--pattern-type literal for the exact name only).  A principal without DESCRIBE on the "
        "cluster is told so (exit code 1)." + BOUND,
    )
    acls.add_argument("--principal", "-P", metavar="PRINCIPAL", help="only this principal (User:alice, or alice)")
    acls.add_argument("--topic", metavar="TOPIC", help="the bindings that apply to this topic")
    acls.add_argument("--group", "-g", metavar="GROUP", help="the bindings that apply to this group")
    acls.add_argument("--transactional-id", metavar="ID", help="the bindings that apply to this transactional id")
    acls.add_argument("--cluster-acls", action="store_true", help="the bindings on the cluster resource")
    acls.add_argument(
        "--resource-type",
        choices=("topic", "group", "cluster", "transactional-id", "delegation-token", "user", "any"),
        help="only this resource type (with --name: that resource)",
    )
    acls.add_argument("--name", metavar="NAME", help="with --resource-type: the resource's name")
    acls.add_argument(
        "--pattern-type",
        choices=("any", "match", "literal", "prefixed"),
        help="how --name/--topic/--group match (default match with a name, else any)",
    )
    _output(acls)
    _watch(acls)

    users = command(
        "users",
        "users with SCRAM credentials: mechanisms and iterations",
        "Every user with SCRAM credentials (or only USERs), each mechanism with its iteration count, "
        "as kafka-configs --describe --entity-type users shows them.  Passwords are never shown "
        "(the broker keeps only salted hashes)." + BOUND,
    )
    users.add_argument("users", metavar="USER", nargs="*")
    _output(users)
    _watch(users)

    quotas = command(
        "quotas",
        "client quotas by user, client id and IP, defaults included",
        "Every entity with client quotas: users, client ids, user and client-id pairs, IPs, and the "
        "defaults (shown <default>), as kafka-configs --describe --entity-type users|clients|ips "
        "shows them." + BOUND,
    )
    quotas.add_argument("--type", "-t", choices=("user", "client-id", "ip"), help="only entities of this type")
    _output(quotas)
    _watch(quotas)
    # -- copy, redrive, offsets (issue 19: replay and keep) --------------------------------
    copy_bound = (
        "  Ends when the window (fixed when the copy starts) is read through; stops, saying where, when "
        "nothing can be read for --idle-timeout seconds (default 15) or on the first refused record, "
        "and waits at most the target's request timeout + 5 s for the last acknowledgements.  "
        "Exit code 1 when anything matched was not sent.  Refused on read-only profiles (not --dry-run)."
    )

    def copy_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--from",
            dest="start",
            metavar="WHERE",
            help="window start: earliest (default), latest, an OFFSET, or a time (ISO 8601, 12:30, -2h; "
            "resolved per partition with offsets-for-times)",
        )
        parser.add_argument(
            "--to",
            dest="end",
            metavar="WHERE",
            help="window end, excluded: latest (default: the end offsets when the copy starts), an OFFSET or a time",
        )
        parser.add_argument(
            "--partition", "-p", metavar="P", type=_count, action="append", help="only this source partition (repeat)"
        )
        parser.add_argument("--filter", "-f", metavar="EXPR", help="copy only records matching the tail's filter")
        parser.add_argument(
            "--partitioning",
            metavar="keep|key|P",
            help="target partition: keep the source's number, key (the default partitioner), or partition P "
            "(default: keep for copy, key for redrive)",
        )
        parser.add_argument("--no-keys", action="store_true", help="send without keys")
        parser.add_argument("--no-timestamps", action="store_true", help="let the producer stamp the time")
        parser.add_argument("--rate", metavar="N", type=_positive_float, help="at most N records per second")
        parser.add_argument(
            "--to-cluster", metavar="NAME", help="write to this profile's cluster (default: the source's)"
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would be copied; send nothing")
        parser.add_argument(
            "--idle-timeout",
            metavar="SECONDS",
            type=_positive_float,
            default=15.0,
            help="stop when nothing can be read for this long before the window's end (default 15)",
        )
        _output(parser)

    copy = command(
        "copy",
        "copy a window of records (filtered) to another topic",
        "Copy the records of SOURCE in a window, optionally filtered, to TARGET (this cluster or "
        "--to-cluster), keys, headers and timestamps kept unless told; acks=all and an idempotent "
        "producer; the summary says per partition which offsets were sent, which failed and why." + copy_bound,
    )
    copy.add_argument("source", metavar="SOURCE")
    copy.add_argument("target", metavar="TARGET")
    copy.add_argument("--no-headers", action="store_true", help="send without headers")
    copy_options(copy)

    redrive = command(
        "redrive",
        "send a dead-letter topic's records back to their original topics",
        "Send each record of the dead-letter topic DLQ to the topic named by its header (--header, "
        "default __connect.errors.topic, Kafka Connect's); records without it stay and are counted." + copy_bound,
    )
    redrive.add_argument("source", metavar="DLQ")
    redrive.add_argument("--header", metavar="NAME", help="the header naming the original topic")
    redrive.add_argument("--strip-headers", action="store_true", help="send without any headers")
    copy_options(redrive)

    offsets = command(
        "offsets",
        "export a group's committed offsets to a file, or import them back",
        "export: a group's committed offsets as kview's JSON (with the time and the log offsets of "
        "that moment) or the CSV of kafka-consumer-groups --reset-offsets --export.  import: either "
        "format (the tool's 3- or 4-column CSV), shown as a reset preview and committed only while the "
        "group has no members; offsets are clamped to each partition's log start and end like the tool." + BOUND,
    )
    actions = offsets.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write the group's committed offsets to a file (or stdout)")
    export.add_argument("group", metavar="GROUP")
    export.add_argument("--topic", "-t", metavar="TOPIC", action="append", help="only this topic (repeat)")
    export.add_argument("--format", choices=("json", "csv"), help="default: csv for a .csv file, else json")
    export.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")
    _connection(export)
    load = actions.add_parser("import", help="commit the offsets of a file (preview with --dry-run)")
    load.add_argument("group", metavar="GROUP")
    load.add_argument("file", metavar="FILE", help="kview JSON or the tool's CSV; - reads stdin")
    load.add_argument("--topic", "-t", metavar="TOPIC", action="append", help="only this topic's lines (repeat)")
    load.add_argument("--dry-run", action="store_true", help="show what would move; commit nothing")
    _output(load)
    _connection(load)
    find = command(
        "find",
        "search a topic's window for a key or a filter, with an account per partition",
        "Read a window of a topic (every partition at once) and print the records that match, then "
        "per partition the offsets read from and to and the records read and matched, so that "
        "nothing found is an answer.  --key reads only the partition Kafka's default partitioner "
        "gives the key (murmur2).  A plain substring filter or a key is searched in the fetched "
        "record batches as bytes; only batches holding it are decoded.  Exit code 0 when something "
        "matched, 1 when nothing did.  Ends within a bound: it reads only the window fixed when it "
        "starts (the watermarks then), and gives up on a partition that reads nothing new for 60 s "
        "or 4 request timeouts, whichever is more (the account then says where it stopped).",
    )
    find.add_argument("topic", metavar="TOPIC")
    find.add_argument(
        "--key", "-k", metavar="KEY", help="records whose key is exactly KEY (UTF-8), read in the key's partition"
    )
    find.add_argument(
        "--all-partitions",
        action="store_true",
        help="with --key: read every partition (keys written by another partitioner)",
    )
    find.add_argument(
        "--partition", "-p", metavar="P", type=_count, action="append", help="only this partition (repeat for more)"
    )
    find.add_argument(
        "--from",
        dest="start",
        metavar="WHERE",
        help="window start: earliest (default), latest, an OFFSET (every partition), or a time "
        "(ISO 8601, no zone = local time; 12:30; -15m; 2h ago): the first offset at or after it per partition",
    )
    find.add_argument(
        "--to",
        dest="end",
        metavar="WHERE",
        help="window end, not included: latest (default: the end offsets when the find starts), an OFFSET, "
        "or a time (the first offset at or after it per partition)",
    )
    find.add_argument("--filter", "-f", dest="filter", metavar="EXPR", help="the tail pane's filter expression")
    find.add_argument("-n", "--max-matches", dest="max_matches", metavar="N", type=_count, help="stop after N matches")
    find.add_argument(
        "--keep",
        metavar="N",
        type=_count,
        default=KEPT_MATCHES,
        help=f"print (and hold in memory) the first N matches; the rest are counted (default {KEPT_MATCHES:,})",
    )
    find.add_argument("--key-format", choices=FORMATS, default="auto", help="how keys are shown in lines")
    find.add_argument("--value-format", choices=FORMATS, default="auto", help="how values are shown in lines")
    find.add_argument(
        "--key-decoding",
        choices=DECODINGS,
        default="auto",
        help="schema-registry decoding of keys before the filter (with the profile's registry or "
        "--schema-registry; default auto)",
    )
    find.add_argument(
        "--value-decoding", choices=DECODINGS, default="auto", help="as --key-decoding, for values (default auto)"
    )
    _output(find)
    # Group types (issue 18): --type on the group listings.
    for name in ("groups", "lag"):
        commands.choices[name].add_argument(
            "--type",
            metavar="TYPE[,TYPE]",
            type=_group_types,
            help=f"only groups of these types ({','.join(GROUP_TYPES)}); a type the broker lacks "
            "(share and streams before Kafka 4.1) is said in the problems",
        )
