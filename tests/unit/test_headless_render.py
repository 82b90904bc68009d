"""The headless commands' pure parts: JSON documents built from kview's
dataclasses (validated against schema.py's JSON Schemas), the tables and lines
made from them, name patterns, the lag rule, ``--from`` parsing, argument
parsing and exit codes.  No Kafka here; tests/integration/test_headless.py
runs the commands on a real cluster."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest

from kview.cli import build_parser
from kview.core.brokers import (
    BrokersSnapshot,
    BrokerSummary,
    ConfigEntry,
    LogDirInfo,
    QuorumInfo,
    QuorumReplica,
    ReplicaLog,
)
from kview.core.errors import ClusterUnavailable, ConfigError, KafkaRequestError, KViewError, ReadOnlyError
from kview.core.filters import FilterError
from kview.core.groups import GroupDetail, GroupPartitionLag, GroupsSnapshot, GroupSummary, MemberInfo
from kview.core.lag import GroupStatus, TimeLag
from kview.core.produce import SchemaUsed, SendResult
from kview.core.ring import make_record
from kview.core.tail import StartPosition
from kview.core.topics import PartitionRow, TopicDetail, TopicsSnapshot, TopicSummary
from kview.headless import render
from kview.headless.commands import exit_code_of
from kview.headless.records import parse_start
from kview.headless.runner import NotFound, UsageError
from kview.headless.schema import SCHEMAS

# -- fixtures: one of each snapshot, with the awkward cases in them ------------------------


def brokers_snapshot() -> BrokersSnapshot:
    replicas = (
        ReplicaLog("orders", 0, 1, "/data/a", 1500, 0, False),
        ReplicaLog("orders", 1, 1, "/data/a", 500, 0, False),
    )
    dirs = (LogDirInfo(1, "/data/a", None, 10_000, 2_500, replicas),)
    quorum = QuorumInfo(
        leader_id=1,
        leader_epoch=4,
        high_watermark=120,
        voters=(
            QuorumReplica(1, "Leader", 120, 0, None, 1_700_000_000_000, 1_700_000_000_000),
            QuorumReplica(2, "Follower", 117, 3, None, 1_700_000_000_000, None),
        ),
        observers=(QuorumReplica(3, "Observer", -1, None),),
        endpoints={},
    )
    return BrokersSnapshot(
        brokers=(
            BrokerSummary(1, "k1", 9092, "r1", True, True, 2, 2, dirs),
            BrokerSummary(2, "", 0, None, False, False, 0, 1, (), "request timed out"),
        ),
        controller_id=1,
        cluster_id="abc",
        quorum=quorum,
        quorum_error=None,
        taken_at=1000.5,
    )


def topics_snapshot() -> TopicsSnapshot:
    return TopicsSnapshot(
        topics=(
            TopicSummary("__consumer_offsets", 50, 1, 12, 4096, 4096, None, 0, 0, True),
            TopicSummary("orders", 3, 3, 1234567, 2_000_000, 6_000_000, 12.5, 1, 0, False),
            TopicSummary("orders-dlq", 1, 3, 0, None, None, None, 0, 1, False),
        ),
        taken_at=1000.0,
        broker_count=3,
        problems=("log dirs of broker 2: request timed out",),
    )


def topic_detail() -> TopicDetail:
    return TopicDetail(
        name="orders",
        internal=False,
        partitions=(
            PartitionRow(0, 1, (1, 2, 3), (1, 2, 3), (), 0, 100, 5000, ((1, 5000), (2, 5000)), None),
            PartitionRow(1, -1, (2, 3), (2,), (3,), None, None, None, (), None),
        ),
        configs=(
            ConfigEntry("cleanup.policy", "delete", "DEFAULT_CONFIG"),
            ConfigEntry(
                "retention.ms", "1000", "DYNAMIC_TOPIC_CONFIG", fallback="604800000", fallback_source="DEFAULT_CONFIG"
            ),
            ConfigEntry("sasl.secret", None, "DYNAMIC_TOPIC_CONFIG", sensitive=True),
        ),
        taken_at=1000.0,
    )


def summary(
    name: str, *, lag: int, status: GroupStatus, members=(), rows=(), error=None, time_lag=None, state="Stable"
) -> GroupSummary:
    return GroupSummary(
        name=name,
        state=state,
        protocol_type="consumer",
        assignor="range",
        members=tuple(members),
        topics=("orders",),
        partition_count=len(rows) or 2,
        uncommitted_partitions=0,
        status=status,
        total_lag=lag,
        retention_breach=False,
        consumption_rate=None,
        production_rate=None,
        catch_up_seconds=None,
        time_lag=time_lag,
        idle_seconds=0.0,
        lag_history=(),
        partitions=tuple(rows),
        coordinator=1,
        group_type="classic",
        error=error,
    )


MEMBER = MemberInfo("m-1", "app", "/10.0.0.1", None, (("orders", 0),), ("orders",))
ROWS = (
    GroupPartitionLag("orders", 0, 90, 0, 100, "m-1", "app", "/10.0.0.1", TimeLag(12.0, exact=True)),
    GroupPartitionLag("orders", 1, 50, 0, 50, None, None, None, TimeLag(0.0, exact=True)),
    GroupPartitionLag("orders", 2, None, 0, 10),
    GroupPartitionLag("orders", 3, 9, 0, 6),  # committed past the log end: lag -3
)


def groups_snapshot() -> GroupsSnapshot:
    return GroupsSnapshot(
        groups=(
            summary(
                "billing",
                lag=10,
                status=GroupStatus.OK,
                members=[MEMBER],
                rows=ROWS,
                time_lag=TimeLag(12.0, exact=False, at_least=True),
            ),
            summary("audit", lag=0, status=GroupStatus.EMPTY, state="Empty"),
            summary("broken", lag=0, status=GroupStatus.OK, error="describe group: CoordinatorNotAvailable"),
        ),
        taken_at=1000.0,
        duration=0.1,
        errors=("broken: describe group: CoordinatorNotAvailable",),
    )


def validate(kind: str, doc: dict) -> None:
    """The document, as it would be printed and read back, fits its schema."""
    jsonschema.Draft202012Validator(SCHEMAS[kind]).validate(json.loads(render.dumps(doc)))


# -- schemas --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_schemas_are_valid_json_schema(kind):
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[kind])


def test_schema_refuses_an_undocumented_field():
    doc = render.topics_doc(topics_snapshot())
    doc["topics"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate("topics", doc)


# -- documents ------------------------------------------------------------------------------


def test_brokers_document():
    doc = render.brokers_doc(brokers_snapshot())
    validate("brokers", doc)
    first, second = doc["brokers"]
    assert first["log_dir_bytes"] == 2000 and first["volume_used_fraction"] == pytest.approx(0.75)
    assert first["log_dirs"] == [
        {"path": "/data/a", "error": None, "bytes": 2000, "total_bytes": 10_000, "usable_bytes": 2_500, "replicas": 2}
    ]
    assert second["online"] is False and second["log_dir_bytes"] is None
    assert second["log_dirs_error"] == "request timed out"
    assert [r["lag"] for r in doc["quorum"]["voters"] + doc["quorum"]["observers"]] == [0, 3, None]
    assert doc["quorum"]["max_follower_lag"] == 3


def test_brokers_without_quorum():
    snapshot = brokers_snapshot()
    snapshot = BrokersSnapshot(snapshot.brokers, 1, "abc", None, "not KRaft", 1.0)
    doc = render.brokers_doc(snapshot)
    validate("brokers", doc)
    assert "metadata quorum: not KRaft" in render.plain_text(render.brokers_view(doc))


def test_topics_document_filters_by_pattern_and_internal():
    snapshot = topics_snapshot()
    assert [t["name"] for t in render.topics_doc(snapshot)["topics"]] == ["__consumer_offsets", "orders", "orders-dlq"]
    assert [t["name"] for t in render.topics_doc(snapshot, "orders")["topics"]] == ["orders", "orders-dlq"]
    assert [t["name"] for t in render.topics_doc(snapshot, "orders*q")["topics"]] == ["orders-dlq"]
    assert [t["name"] for t in render.topics_doc(snapshot, include_internal=False)["topics"]] == [
        "orders",
        "orders-dlq",
    ]
    doc = render.topics_doc(snapshot, "ord")
    validate("topics", doc)
    assert doc["pattern"] == "ord" and doc["problems"] == ["log dirs of broker 2: request timed out"]


def test_topic_document_offline_partition_and_configs():
    doc = render.topic_doc(topic_detail())
    validate("topic", doc)
    online, offline = doc["partitions"]
    assert online["leader"] == 1 and online["messages"] == 100 and online["size_bytes"] == 5000
    assert online["replica_sizes"] == [{"broker": 1, "bytes": 5000}, {"broker": 2, "bytes": 5000}]
    assert offline["leader"] is None and offline["under_replicated"] is True and offline["messages"] is None
    assert offline["offline_replicas"] == [3]
    by_name = {c["name"]: c for c in doc["configs"]}
    assert by_name["cleanup.policy"]["default"] is True and by_name["retention.ms"]["default"] is False
    assert doc["messages"] == 100 and doc["replication_factor"] == 3


def test_groups_document():
    doc = render.groups_doc(groups_snapshot(), pattern=None, window=300.0, snapshots=1)
    validate("groups", doc)
    billing = doc["groups"][0]
    assert billing["status"] == "OK" and billing["member_count"] == 1 and billing["total_lag"] == 10
    assert billing["time_lag"] == {"seconds": 12.0, "exact": False, "at_least": True}
    assert doc["problems"] == ["broken: describe group: CoordinatorNotAvailable"]
    # A pattern drops the other groups and their problems.
    only = render.groups_doc(groups_snapshot(), pattern="bill*", window=300.0, snapshots=1)
    assert [g["name"] for g in only["groups"]] == ["billing"] and only["problems"] == []


def test_group_document_rows_follow_the_kafka_tool():
    g = groups_snapshot().groups[0]
    detail = GroupDetail(summary=g, partitions=g.partitions, members=g.members)
    doc = render.group_doc(detail, window=60.0, snapshots=3, taken_at=5.0)
    validate("group", doc)
    rows = doc["partitions"]
    assert [r["lag"] for r in rows] == [10, 0, None, -3]
    assert rows[0]["consumer_id"] == "m-1" and rows[2]["committed_offset"] is None
    assert doc["members"][0]["assignment"] == [{"topic": "orders", "partition": 0}]
    text = render.plain_text(render.group_view(doc))
    lines = text.splitlines()
    header = lines[1].split()
    assert header[:6] == ["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "READABLE"]
    # READABLE is '-': nothing was read from the log for this snapshot.
    assert lines[2].split()[:8] == ["orders", "0", "90", "100", "10", "-", "12s", "m-1"]
    assert lines[4].split()[:5] == ["orders", "2", "-", "10", "-"]
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize(
    ("min_lag", "statuses", "expected"),
    [
        (1, None, ["billing"]),
        (10, None, ["billing"]),
        (11, None, []),
        (0, None, ["billing", "audit"]),  # the unreadable group never matches
        (0, ("EMPTY",), ["audit"]),
        (1, ("STALL", "STOP"), []),
    ],
)
def test_lag_selection(min_lag, statuses, expected):
    snapshot = groups_snapshot()
    doc = render.lag_doc(
        snapshot.groups,
        taken_at=1.0,
        window=300.0,
        snapshots=1,
        group=None,
        min_lag=min_lag,
        statuses=statuses,
        problems=["broken: x"],
    )
    validate("lag", doc)
    assert [g["name"] for g in doc["groups"]] == expected and doc["matched"] == len(expected)
    for g in doc["groups"]:
        assert all(r["lag"] > 0 for r in g["partitions"])
    if "billing" in expected:
        assert [r["partition"] for r in doc["groups"][0]["partitions"]] == [0]


def test_tail_record_and_produce_ack_lines():
    record = make_record("t", 2, 41, 1_700_000_000_123, 0, None, b"\x00\xff", (("h", b"v"), ("n", None)))
    doc = render.record_doc(record)
    validate("tail", doc)
    assert doc["key"] is None and doc["value_encoding"] == "base64"
    assert render.record_line(record) == "  2         41  2023-11-14T22:13:20.123Z  <null>  00 ff"
    assert render.record_line(record, value_format="base64").endswith("AP8=")
    text = make_record("t", 0, 1, 0, 0, b"k", b'{"a": 1}\tx\nnext')
    assert "\n" not in render.record_line(text)  # control characters never break the line
    ack = render.ack_doc(3, SendResult("t", 1, 17, 1_700_000_000_000, "CreateTime"))
    validate("produce", ack)
    assert render.ack_line(ack) == "line      3  partition   1  offset         17  2023-11-14T22:13:20.000Z"
    no_ack = render.ack_doc(1, SendResult("t", -1, None, None))
    validate("produce", no_ack)
    assert (ack["key_schema"], ack["value_schema"]) == (None, None)
    used = SchemaUsed("t-value", 2, 7, "PROTOBUF", "shop.Order")
    encoded = render.ack_doc(4, SendResult("t", 0, 18, 1_700_000_000_000, "CreateTime"), None, used)
    validate("produce", encoded)
    assert encoded["value_schema"] == {
        "id": 7,
        "type": "PROTOBUF",
        "subject": "t-value",
        "version": 2,
        "message": "shop.Order",
    }
    assert render.ack_line(encoded).endswith("2023-11-14T22:13:20.000Z  value schema id 7")


# -- tables ---------------------------------------------------------------------------------


def test_tables_are_plain_and_whole_when_piped():
    doc = render.topics_doc(topics_snapshot())
    text = render.plain_text(render.topics_view(doc))
    assert "\x1b" not in text
    lines = text.splitlines()
    assert lines[0].split() == [
        "TOPIC",
        "PARTITIONS",
        "RF",
        "MESSAGES",
        "SIZE",
        "RATE",
        "UNDER-REPL",
        "OFFLINE",
        "NOTE",
    ]
    assert lines[2].split() == ["orders", "3", "3", "1,234,567", "1.9", "MiB", "12.5/s", "1", "0"]
    assert lines[-1] == "log dirs of broker 2: request timed out"
    # Columns line up: every row starts its second column where the header does.
    at = lines[0].index("PARTITIONS") + len("PARTITIONS")
    assert all(line[at - 1].isdigit() for line in lines[1:4])


def test_printer_writes_plain_text_to_a_pipe():
    out = io.StringIO()
    printer = render.Printer(out)
    assert printer.terminal is False
    printer.view(["title", render.brokers_view(render.brokers_doc(brokers_snapshot()))[1]])
    text = out.getvalue()
    assert text.startswith("title\nID") and "\x1b" not in text
    assert "k1:9092" in text and "OFFLINE" in text and "75%" in text


def test_topic_view_lists_overrides_unless_all_configs():
    doc = render.topic_doc(topic_detail())
    short = render.plain_text(render.topic_view(doc))
    assert "retention.ms" in short and "cleanup.policy" not in short and "(sensitive)" in short
    assert "cleanup.policy" in render.plain_text(render.topic_view(doc, all_configs=True))
    assert "none" in short.splitlines()[3].split()  # the offline partition's leader


def test_human_formats():
    # Bytes, rates and durations: kview.core.format (tests/unit/test_format.py).
    assert render.human_time_lag({"seconds": 5, "exact": True, "at_least": False}) == "5s"
    assert render.human_time_lag({"seconds": 65, "exact": False, "at_least": True}) == "~≥1m05s"
    assert render.human_time_lag({"seconds": 0, "exact": False, "at_least": True}) == "?"
    assert render.iso_ms(None) == "-" and render.iso_ms(-1) == "-"


# -- patterns, positions, arguments, exit codes -------------------------------------------


def test_patterns():
    assert render.name_matcher(None)("x")
    assert render.name_matcher("pay")("payments") and not render.name_matcher("pay")("Pay")
    assert render.name_matcher("pay*")("payments") and not render.name_matcher("pay*")("repay")
    assert render.name_matcher("[ab]-?")("a-1")
    assert render.exact_or_glob("g1")("g1") and not render.exact_or_glob("g1")("g10")
    assert render.exact_or_glob("g*")("g10")


def test_parse_start():
    assert parse_start(None, follow=False) == StartPosition.earliest()
    assert parse_start(None, follow=True) == StartPosition.latest()
    assert parse_start("latest", follow=False) == StartPosition.latest()
    assert parse_start("42", follow=False) == StartPosition.at_offset(42)
    assert parse_start("last:5", follow=False) == StartPosition.last(5)
    utc = parse_start("2024-03-01T10:00:00Z", follow=False)
    assert utc == StartPosition.at_time(1709287200000)
    for bad in ("yesterday", "-3", "last:x", "4.5"):
        with pytest.raises(UsageError, match="--from"):
            parse_start(bad, follow=False)


def test_connection_options_work_after_the_subcommand():
    parser = build_parser()
    args = parser.parse_args(["topics", "ord*", "--bootstrap", "h:1", "--json", "--read-only"])
    assert (args.command, args.pattern, args.bootstrap, args.json, args.read_only) == (
        "topics",
        "ord*",
        "h:1",
        True,
        True,
    )
    # Given before the subcommand, they are not reset by the subcommand's parser.
    args = parser.parse_args(["--bootstrap", "h:2", "--read-only", "lag", "--min-lag", "5"])
    assert (args.bootstrap, args.read_only, args.min_lag, args.status) == ("h:2", True, 5, None)
    args = parser.parse_args(["lag", "--status", "stall,STOP"])
    assert args.status == ("STALL", "STOP")


@pytest.mark.parametrize(
    "argv",
    [
        ["lag", "--status", "LATE"],
        ["lag", "--min-lag", "-1"],
        ["groups", "--watch", "0"],
        ["tail", "t", "-n", "x"],
        ["produce", "t", "--separator", ""],
        ["produce", "t", "--acks", "2"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(argv)
    assert raised.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_separator_escapes():
    args = build_parser().parse_args(["produce", "t", "--format", "console", "--separator", "\\t"])
    assert args.separator == "\t"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("x"), 2),
        (ConfigError("x"), 2),
        (FilterError("bad", 3), 2),
        (NotFound("x"), 1),
        (KafkaRequestError(3, subject="t"), 1),
        (ReadOnlyError("x"), 1),
        (KViewError("x"), 1),
        (ClusterUnavailable("x"), 3),
        (ConnectionRefusedError(), 3),
        (RuntimeError("bug"), 1),
    ],
)
def test_exit_codes(error, code):
    assert exit_code_of(error) == code


def test_every_subcommand_is_dispatched():
    """The names kview.cli hands over are the dispatcher's table, in the same
    order, and each runs a command of its family module."""
    from kview.headless import COMMANDS as HANDED_OVER
    from kview.headless.commands import COMMANDS as DISPATCHED

    assert tuple(DISPATCHED) == HANDED_OVER
    families = {
        "brokers": "cluster",
        "topics": "topics",
        "topic": "topics",
        "groups": "groups",
        "group": "groups",
        "lag": "groups",
        "tail": "records",
        "produce": "records",
        "schemas": "schemas",
        "schema": "schemas",
        "transactions": "transactions",
        "leaders": "reassign",
        "elect-leaders": "reassign",
        "reassign": "reassign",
        "acls": "access",
        "users": "access",
        "quotas": "access",
        "copy": "replay",
        "redrive": "replay",
        "offsets": "offsets",
        "find": "find",
    }
    assert {name: run.__module__ for name, run in DISPATCHED.items()} == {
        name: f"kview.headless.{family}" for name, family in families.items()
    }


def test_every_documented_field_is_required():
    """The contract: a script may rely on every field being present."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert sorted(node["required"]) == sorted(node["properties"])
                assert node["additionalProperties"] is False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for schema in SCHEMAS.values():
        walk(schema)
        json.loads(json.dumps(schema))  # plain data, printable in the README
