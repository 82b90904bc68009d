"""The brokers pane on the real single-broker cluster: the broker row, the
KRaft quorum and the broker's configs, each compared with what Kafka's own
tools print (kafka-broker-api-versions, kafka-topics, kafka-metadata-quorum,
kafka-configs)."""

from __future__ import annotations

import json
import re
from collections import Counter

from kafka_tools import parse_api_versions_brokers, parse_quorum_status, parse_topics_describe
from screen_text import screen_text, wait_for
from test_topics_pane import make_test_app, screen_lines

from kview.ui.panes.brokers import BrokersPane


def parse_quorum_replication(output: str) -> dict[int, dict[str, str]]:
    """``kafka-metadata-quorum describe --replication``: node id -> column -> text."""
    lines = [line for line in output.splitlines() if line.strip()]
    header = lines[0].split()
    return {int(row["NodeId"]): row for row in (dict(zip(header, line.split(), strict=True)) for line in lines[1:])}


def broker_configs_by_source(output: str) -> tuple[dict[str, str], dict[str, str]]:
    """``kafka-configs --describe --all`` of a broker split in two, name -> value:
    the configs set somewhere (first synonym not DEFAULT_CONFIG), and those
    left at Kafka's default (or without any value)."""
    set_, default = {}, {}
    for line in output.splitlines():
        match = re.match(r"^\s+([^=\s]+)=(.*) sensitive=(?:true|false) synonyms=\{(.*)\}$", line)
        if match:
            synonyms = match.group(3)  # empty: no value anywhere, Kafka's (null) default
            target = set_ if synonyms and not synonyms.startswith("DEFAULT_CONFIG") else default
            target[match.group(1)] = match.group(2)
    return set_, default


def row_of(app, name: str) -> str:
    """The table row (inside a border) where ``name`` is a whole cell."""
    return next(
        (line for line in screen_lines(app) if line.startswith("│") and re.search(rf"\s{re.escape(name)}\s", line)), ""
    )


async def test_brokers_pane_matches_kafka_tools_at_80x24(kafka):
    kafka.run_tool("kafka-topics", "--create", "--if-not-exists", "--topic", "brokers-pane-ui", "--partitions", "4")
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.press("3")
        pane = app.query_one(BrokersPane)
        await wait_for(pilot, lambda: pane.brokers_snapshot is not None, what="the brokers refresh")
        tool_brokers = parse_api_versions_brokers(kafka.run_tool("kafka-broker-api-versions").stdout)
        status = parse_quorum_status(kafka.run_tool("kafka-metadata-quorum", "describe", "--status").stdout)
        replication = parse_quorum_replication(
            kafka.run_tool("kafka-metadata-quorum", "describe", "--replication").stdout
        )
        described = parse_topics_describe(kafka.run_tool("kafka-topics", "--describe").stdout)
        pane.poll_now()
        taken = pane.brokers_snapshot.taken_at
        await wait_for(pilot, lambda: pane.brokers_snapshot.taken_at > taken, what="a refresh after the tools")

        # The broker: id and host:port as the tool lists them, controller marked.
        ((broker_id, (address, _rack)),) = tool_brokers.items()
        row = next((line for line in screen_lines(app) if line.startswith("│") and address in line), "")
        assert re.match(rf"^│\s+{broker_id}\s+{re.escape(address)}\s+●\s+online\s", row), row
        # Leader and replica counts as kafka-topics --describe counts them.
        leaders = Counter(p.leader for p in described.values())
        replicas = Counter(r for p in described.values() for r in p.replicas)
        # (Counts are written with thousands separators: other tests on this
        # session's broker may have left over 1,000 partitions on it.)
        assert re.search(rf"online\s+{leaders[broker_id]:,}\s+{replicas[broker_id]:,}\s", row), row

        # The quorum: leader and epoch as kafka-metadata-quorum --status says.
        text = screen_text(app, flat=True)
        assert f"leader {status['LeaderId']} · epoch {status['LeaderEpoch']}" in text
        voters = {v["id"] for v in json.loads(status["CurrentVoters"])}
        observers = {o["id"] for o in json.loads(status["CurrentObservers"])}
        assert f"{len(voters)} voter(s), {len(observers)} observer(s)" in text
        for node, tool_row in replication.items():
            quorum_row = next(
                line for line in screen_lines(app) if re.match(rf"^│\s+{node}\s+{tool_row['Status']}\s", line)
            )
            # The metadata log keeps growing: ours was read after the tool's.
            _, _, _, leo, lag, *_ = quorum_row.split()
            assert int(leo) >= int(tool_row["LogEndOffset"])
            if tool_row["Status"] == "Leader":
                assert lag == tool_row["Lag"] == "0"

        # At 80 columns nothing is wider than the screen.
        assert all(len(line.rstrip()) <= 80 for line in screen_lines(app))


async def test_broker_configs_mark_what_is_set(kafka):
    tool, defaults = broker_configs_by_source(
        kafka.run_tool("kafka-configs", "--describe", "--all", "--entity-type", "brokers", "--entity-name", "1").stdout
    )
    assert "log.dirs" in tool
    default_name = "num.replica.fetchers" if "num.replica.fetchers" in defaults else min(defaults)
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(160, 60)) as pilot:
        await pilot.press("3")
        pane = app.query_one(BrokersPane)
        await wait_for(pilot, lambda: pane.configs_of == 1 and len(pane.configs) > 100, what="broker 1 configs")
        # Only the non-default ones first: exactly the ones the tool says are set.
        assert {c.name for c in pane.configs if c.non_default} == set(tool)
        await pilot.press("slash", *"log.dirs", "enter")
        await wait_for(pilot, lambda: row_of(app, "log.dirs") != "", what="log.dirs row")
        row = row_of(app, "log.dirs")
        assert row.lstrip("│ ").startswith("●") and tool["log.dirs"] in row and "broker (static)" in row
        # A config left at Kafka's default shows only with n, unmarked.
        await pilot.press("slash", "end", "ctrl+u", *default_name, "enter")
        await pilot.pause(0.3)
        assert row_of(app, default_name) == ""
        await pilot.press("n")
        await wait_for(pilot, lambda: row_of(app, default_name) != "", what="the default config")
        row = row_of(app, default_name)
        assert "●" not in row and "Kafka default" in row and defaults[default_name] in row


async def test_three_brokers_quorum_and_a_stopped_broker(kafka3, unique_name):
    kafka3.run_tool(
        "kafka-topics", "--create", "--topic", unique_name, "--partitions", "3", "--replication-factor", "3"
    )
    app = make_test_app(kafka3)
    async with app.run_test(notifications=True, size=(120, 34)) as pilot:
        await pilot.press("3")
        pane = app.query_one(BrokersPane)
        await wait_for(pilot, lambda: pane.brokers_snapshot is not None, what="the brokers refresh")
        tool_brokers = parse_api_versions_brokers(kafka3.run_tool("kafka-broker-api-versions").stdout)
        status = parse_quorum_status(kafka3.run_tool("kafka-metadata-quorum", "describe", "--status").stdout)
        replication = parse_quorum_replication(
            kafka3.run_tool("kafka-metadata-quorum", "describe", "--replication").stdout
        )
        taken = pane.brokers_snapshot.taken_at
        pane.poll_now()
        await wait_for(pilot, lambda: pane.brokers_snapshot.taken_at > taken, what="a refresh after the tools")

        leader = int(status["LeaderId"])
        # The harness gives each of the three brokers its own rack: the rack
        # column is compared with real values, not only with null.
        assert all(rack is not None for _address, rack in tool_brokers.values())
        assert len({rack for _address, rack in tool_brokers.values()}) == 3
        for node, (address, rack) in tool_brokers.items():
            row = next(line for line in screen_lines(app) if line.startswith("│") and address in line)
            mark = "●" if node == leader else ""
            assert re.match(rf"^│\s+{node}\s+{re.escape(address)}\s+{re.escape(rack)}\s+{mark}\s*online\s", row), row
        assert f"leader {leader} · epoch {status['LeaderEpoch']}" in screen_text(app, flat=True)
        assert set(replication) == {1, 2, 3}
        for node, tool_row in replication.items():
            quorum_row = next(
                line for line in screen_lines(app) if re.match(rf"^│\s+{node}\s+{tool_row['Status']}\s+\d+\s", line)
            )
            assert int(quorum_row.split()[3]) >= int(tool_row["LogEndOffset"])

        # A stopped broker stays in the table, marked offline.
        stopped = next(n for n in (1, 2, 3) if n != leader)
        kafka3.stop_broker(stopped)
        try:
            await wait_for(
                pilot,
                lambda: any(re.match(rf"^│\s+{stopped}\s.*\soffline\s", line) for line in screen_lines(app)),
                timeout=60,
                what="the stopped broker marked offline",
            )
            assert pane.brokers_snapshot.broker(stopped).replicas >= 3
            # ... and the status line says so first.
            assert any(
                line.strip().startswith(f"3 broker(s), 1 offline ({stopped}) · ") for line in screen_lines(app)
            ), screen_text(app, flat=True)
        finally:
            kafka3.start_broker(stopped)
