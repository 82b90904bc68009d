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

    # Group types (issue 18): --type on the group listings.
    for name in ("groups", "lag"):
        commands.choices[name].add_argument(
            "--type",
            metavar="TYPE[,TYPE]",
            type=_group_types,
            help=f"only groups of these types ({','.join(GROUP_TYPES)}); a type the broker lacks "
            "(share and streams before Kafka 4.1) is said in the problems",
        )
