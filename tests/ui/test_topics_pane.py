"""The topics pane, the topic detail and the topic operations: the real app,
headless, on the real single-broker cluster; every operation is driven through
its form with keys, and the cluster's state is checked with Kafka's tools."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from kafka_tools import parse_get_offsets, parse_topics_describe
from kafka_tools import parse_quorum_status as parse_quorum_status_text
from screen_text import screen_rows, screen_text, wait_for

from kview.app import make_app
from kview.core.cluster import connection_kwargs
from kview.core.config import Config, adhoc_profile
from kview.core.readonly import WRITE_ACTIONS, refuse_message
from kview.ui.messages import OpenGroup
from kview.ui.panes.topic_detail import TopicDetailPane
from kview.ui.panes.topics import TopicsPane, name_matches
from kview.ui.screens.delete_records import deleted_count, parse_offset_lines
from kview.ui.screens.edit_configs import desired_configs
from kview.ui.screens.operation_form import parse_config_lines

# -- helpers ------------------------------------------------------------------------------


def screen_lines(app) -> list[str]:
    """The terminal's non-blank rows."""
    return [line for line in screen_rows(app) if line.strip()]


def toasts(app) -> list[str]:
    """The messages of the notifications on screen now."""
    from textual.widgets._toast import Toast

    return [str(toast._notification.message) for toast in app.screen.query(Toast)]


def make_test_app(kafka, *, read_only: bool = False, refresh: float = 0.5):
    profile = replace(adhoc_profile(kafka.bootstrap), read_only=read_only, refresh_interval=refresh)
    return make_app(Config(), profile)


def topics_pane(app) -> TopicsPane:
    return app.query_one(TopicsPane)


def table_keys(pane) -> list[str]:
    """Row keys of the topics table, top to bottom."""
    return pane.table.keys()


async def open_topics(pilot, topic: str | None = None) -> TopicsPane:
    """Switch to the topics pane; with ``topic``, filter down to it and select it."""
    await pilot.press("2")
    pane = topics_pane(pilot.app)
    await wait_for(pilot, lambda: pane.topics_snapshot is not None, what="first topics refresh")
    if topic is not None:
        await wait_for(
            pilot,
            lambda: pane.topics_snapshot.topic(topic) is not None or pane.poll_now(),
            what=f"topic {topic} in the snapshot",
        )
        await pilot.press("slash", *topic, "enter")
        await wait_for(pilot, lambda: pane.operation_topic() == topic, what=f"{topic} selected")
    return pane


def describe(kafka, topic: str) -> dict[int, object]:
    out = kafka.run_tool("kafka-topics", "--describe", "--topic", topic).stdout
    return {p: row for (t, p), row in parse_topics_describe(out).items() if t == topic}


def topic_header(kafka, topic: str) -> dict[str, str]:
    out = kafka.run_tool("kafka-topics", "--describe", "--topic", topic).stdout
    for line in out.splitlines():
        if line.startswith(f"Topic: {topic}\t"):
            return {k: v.strip() for k, v in re.findall(r"(\w+): ?([^\t]*)", line)}
    raise AssertionError(out)


def topic_overrides(kafka, topic: str) -> dict[str, str]:
    """``kafka-configs --describe`` of a topic: its own settings."""
    out = kafka.run_tool("kafka-configs", "--describe", "--entity-type", "topics", "--entity-name", topic).stdout
    configs = {}
    for line in out.splitlines():
        match = re.match(r"^\s+([^=\s]+)=(.*) sensitive=(?:true|false) synonyms=\{.*\}$", line)
        if match:
            configs[match.group(1)] = match.group(2)
    return configs


def offsets(kafka, topic: str, time: str) -> dict[int, int]:
    """``kafka-get-offsets --time -2`` (earliest) or ``-1`` (latest)."""
    out = kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", time).stdout
    return {p: o for (t, p), o in parse_get_offsets(out).items() if t == topic}


def topic_exists(kafka, topic: str) -> bool:
    return topic in kafka.run_tool("kafka-topics", "--list").stdout.split()


async def produce(kafka, topic: str, counts: dict[int, int]) -> None:
    producer = AIOKafkaProducer(**connection_kwargs(adhoc_profile(kafka.bootstrap)), acks="all")
    await producer.start()
    try:
        for partition, count in counts.items():
            for i in range(count):
                await producer.send(topic, f"v{i}".encode(), partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


async def commit(kafka, group: str, topic: str, partition_offsets: dict[int, int]) -> None:
    """Commit offsets for ``group`` without consuming (a group with lag)."""
    consumer = AIOKafkaConsumer(
        **connection_kwargs(adhoc_profile(kafka.bootstrap)), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in partition_offsets])
        await consumer.commit(
            {TopicPartition(topic, p): OffsetAndMetadata(o, "") for p, o in partition_offsets.items()}
        )
    finally:
        await consumer.stop()


def create(kafka, topic: str, partitions: int = 1, *configs: str) -> None:
    args = ["kafka-topics", "--create", "--topic", topic, "--partitions", str(partitions)]
    for config in configs:
        args += ["--config", config]
    kafka.run_tool(*args)


# -- pure helpers of the forms -------------------------------------------------------------


def test_config_lines_are_parsed_with_problems_by_line():
    configs, problems = parse_config_lines(
        "retention.ms = 1000\n\n# note\ncleanup.policy=compact\nbad\nx=\nretention.ms=5"
    )
    assert configs == {"retention.ms": "1000", "cleanup.policy": "compact"}
    assert problems == {
        "line 5": "expected name=value, got 'bad'",
        "line 6": "x has no value",
        "line 7": "retention.ms is given twice",
    }


def test_offset_lines_accept_star_and_high():
    offsets_, problems = parse_offset_lines("0=5\n*=high\n2=abc\nfoo=1\n", [0, 1])
    assert offsets_ == {0: -1, 1: -1}
    assert set(problems) == {"line 3", "line 4"}
    offsets_, problems = parse_offset_lines("1=7", [0, 1])
    assert offsets_ == {1: 7} and not problems


def test_deleted_count_follows_the_watermarks():
    from kview.core.models import Watermarks

    mark = Watermarks("t", 0, 3, 10)
    assert deleted_count(-1, mark) == 7
    assert deleted_count(5, mark) == 2
    assert deleted_count(2, mark) == 0


def test_edited_lines_become_sets_and_deletes():
    from kview.core.brokers import ConfigEntry

    current = [
        ConfigEntry("retention.ms", "1000", "DYNAMIC_TOPIC_CONFIG", fallback="604800000"),
        ConfigEntry("cleanup.policy", "compact", "DYNAMIC_TOPIC_CONFIG", fallback="delete"),
        ConfigEntry("segment.ms", "604800000", "DEFAULT_CONFIG"),
    ]
    desired, problems = desired_configs(current, "retention.ms=2000\nsegment.ms=1000\nnope.x=1")
    assert desired == {"retention.ms": "2000", "segment.ms": "1000", "nope.x": "1", "cleanup.policy": None}
    assert problems == {"config nope.x": "not a config of this topic"}


def test_filter_words_and_smart_case():
    assert name_matches("ord ev")("orders.events")
    assert not name_matches("ord pay")("orders.events")
    assert name_matches("ORD")("ORDERS") and not name_matches("ORD")("orders")
    assert name_matches("")("anything")


# -- the pane on the real cluster -------------------------------------------------------------


async def test_create_topic_through_the_form_at_80x24(kafka, unique_name):
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        pane = await open_topics(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: "Create topic" in screen_text(app, flat=True), what="the create form")
        # Invalid input is refused in the form, before anything is sent.
        await pilot.press(*"bad name!", "tab", "end", "ctrl+u", "0", "ctrl+s")
        await pilot.pause(0.2)
        text = screen_text(app, flat=True)
        assert "only letters, digits, '.', '_' and '-' are allowed" in text
        assert "at least 1 partition" in text
        assert not topic_exists(kafka, "bad")
        # The first bad field has the focus: fix the name, 3 partitions, RF 1, a config line.
        assert app.focused is not None and app.focused.id == "name"
        await pilot.press(
            "end",
            "ctrl+u",
            *unique_name,
            "tab",
            "end",
            "ctrl+u",
            "3",
            "tab",
            "end",
            "ctrl+u",
            "1",
            "tab",
            *"retention.ms=3600000",
            "ctrl+s",
        )
        await wait_for(pilot, lambda: unique_name in pane.table.rows or pane.poll_now(), what="the new row")
        await wait_for(pilot, lambda: unique_name[:20] in screen_text(app, flat=True), what="the new topic on screen")

        header = topic_header(kafka, unique_name)
        assert header["PartitionCount"] == "3"
        assert header["ReplicationFactor"] == "1"
        assert topic_overrides(kafka, unique_name) == {"retention.ms": "3600000"}
        row = next(line for line in screen_lines(app) if unique_name[:20] in line)
        assert re.search(r"\s3\s", row), row  # the Parts column says 3

        # At 80 columns the columns fit: no row is wider than the screen, the
        # header is one line and every shown column title is on it.
        lines = screen_lines(app)
        assert all(len(line.rstrip()) <= 80 for line in lines)
        header_line = next(line for line in lines if "Topic" in line and "Messages" in line)
        assert [c.label for c in pane.table.shown_columns] == re.findall(r"[A-Za-z/]+", header_line)


async def test_add_partitions_through_the_form(kafka, unique_name):
    create(kafka, unique_name, 2)
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(100, 30)) as pilot:
        pane = await open_topics(pilot, unique_name)
        await pilot.press("plus")
        await wait_for(pilot, lambda: "Add partitions to" in screen_text(app, flat=True), what="the form")
        assert "per-key ordering" in screen_text(app, flat=True)
        await pilot.press("end", "ctrl+u", "2", "enter")
        await pilot.pause(0.2)
        assert "partitions can only be increased" in screen_text(app, flat=True)
        await pilot.press("end", "ctrl+u", "5", "enter")
        await wait_for(
            pilot, lambda: pane.topics_snapshot.topic(unique_name).partitions == 5, what="5 partitions in the table"
        )
        assert len(describe(kafka, unique_name)) == 5
        row = lambda: next((line for line in screen_lines(app) if unique_name[:30] in line), "")  # noqa: E731
        await wait_for(pilot, lambda: re.search(r"\s5\s+1\s", row()) is not None, what="the row showing 5 partitions")


async def test_edit_configs_shows_old_and_new_then_applies(kafka, unique_name):
    create(kafka, unique_name, 1, "cleanup.policy=compact")
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(100, 30)) as pilot:
        await open_topics(pilot, unique_name)
        await pilot.press("e")
        await wait_for(
            pilot, lambda: "cleanup.policy=compact" in screen_text(app, flat=True), what="the current override"
        )
        # Replace the override by another setting: cleanup.policy reverts, retention.ms is set.
        await pilot.press("f7", "backspace", *"retention.ms=7200000", "ctrl+s")
        await wait_for(pilot, lambda: "These changes will be applied" in screen_text(app, flat=True), what="the review")
        text = screen_text(app, flat=True)
        assert "retention.ms: 604800000 -> 7200000" in text
        assert "cleanup.policy: compact -> delete (reverts to default)" in text
        assert topic_overrides(kafka, unique_name) == {"cleanup.policy": "compact"}  # nothing sent yet
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: topic_overrides(kafka, unique_name) == {"retention.ms": "7200000"},
            timeout=15,
            what="kafka-configs agreeing",
        )


async def test_delete_records_moves_the_low_watermark_in_topic_detail(kafka, unique_name):
    create(kafka, unique_name, 2)
    await produce(kafka, unique_name, {0: 10, 1: 6})
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(100, 34)) as pilot:
        await open_topics(pilot, unique_name)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "topic-detail", what="the topic detail")
        detail = app.query_one(TopicDetailPane)
        await wait_for(pilot, lambda: detail.detail is not None, what="the detail data")

        def low(partition: int) -> int | None:
            assert detail.detail is not None
            return detail.detail.partitions[partition].low

        assert (low(0), low(1)) == (0, 0)
        # Before an offset in partition 0.
        await pilot.press("x")
        await wait_for(pilot, lambda: "Delete records of" in screen_text(app, flat=True), what="the delete form")
        await pilot.press("down", "enter", "tab", *"0=4", "ctrl+s")
        await wait_for(pilot, lambda: "This cannot be undone" in screen_text(app, flat=True), what="the review")
        assert "partition 0: delete offsets 0..3 (4 records)" in screen_text(app, flat=True)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: low(0) == 4, what="low watermark 4 in the detail")
        assert offsets(kafka, unique_name, "-2") == {0: 4, 1: 0}
        partitions_row = next(line for line in screen_lines(app) if re.match(r"^\W*0\s+1\s", line))
        assert re.search(r"\s4\s+10\s+6\s", partitions_row), partitions_row  # low 4, high 10, 6 messages

        # Everything (truncate): every partition starts at its high watermark.
        await pilot.press("x")
        await wait_for(pilot, lambda: "Delete records of" in screen_text(app, flat=True), what="the delete form")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "This cannot be undone" in screen_text(app, flat=True), what="the review")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: (low(0), low(1)) == (10, 6), what="truncated partitions")
        assert offsets(kafka, unique_name, "-2") == offsets(kafka, unique_name, "-1") == {0: 10, 1: 6}
        # esc goes back to the topics pane.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.active_pane_id == "topics", what="back on the topics pane")


async def test_delete_needs_the_typed_name(kafka, unique_name):
    create(kafka, unique_name, 1)
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        pane = await open_topics(pilot, unique_name)
        await pilot.press("d")
        await wait_for(pilot, lambda: "to confirm" in screen_text(app, flat=True), what="the confirmation")
        await pilot.press(*unique_name[:-1], "enter")
        await wait_for(pilot, lambda: "does not match" in screen_text(app, flat=True), what="the refusal")
        await pilot.pause(1.0)
        assert topic_exists(kafka, unique_name)
        assert pane.operation_topic() == unique_name
        # The right name deletes it.
        await pilot.press("d")
        await wait_for(pilot, lambda: "to confirm" in screen_text(app, flat=True), what="the confirmation")
        await pilot.press(*unique_name, "enter")
        await wait_for(pilot, lambda: unique_name not in pane.table.rows, what="the row gone")
        assert not topic_exists(kafka, unique_name)


async def test_every_operation_is_refused_in_read_only_mode(kafka, unique_name):
    create(kafka, unique_name, 2, "retention.ms=100000")
    await produce(kafka, unique_name, {0: 3, 1: 2})
    before = (
        describe(kafka, unique_name),
        topic_overrides(kafka, unique_name),
        offsets(kafka, unique_name, "-2"),
        offsets(kafka, unique_name, "-1"),
    )
    topic_actions = {a for a, where in WRITE_ACTIONS.items() if where.startswith("TopicService.")}
    keys = {
        "c": "create topic",
        "d": "delete topic",
        "plus": "add partitions",
        "e": "alter topic configs",
        "x": "delete records",
    }
    # Every topic write has a key (truncate is the "everything" choice of x).
    assert topic_actions == set(keys.values()) | {"truncate topic"}
    app = make_test_app(kafka, read_only=True)
    async with app.run_test(notifications=True, size=(100, 30)) as pilot:
        await open_topics(pilot, unique_name)
        for where in ("topics", "topic-detail"):
            for key, action in keys.items():
                if where == "topic-detail" and key == "c":
                    continue
                app.clear_notifications()
                await pilot.press(key)
                await wait_for(
                    pilot,
                    lambda action=action: refuse_message(action) in toasts(app),
                    what=f"refusal of {action} on {where}",
                )
                assert "Read-only" in screen_text(app, flat=True)
                assert len(app.screen_stack) == 1, f"a form opened for {action}"
            if where == "topics":
                await pilot.press("enter")
                await wait_for(pilot, lambda: app.active_pane_id == "topic-detail", what="the detail")
    assert topic_exists(kafka, unique_name)
    after = (
        describe(kafka, unique_name),
        topic_overrides(kafka, unique_name),
        offsets(kafka, unique_name, "-2"),
        offsets(kafka, unique_name, "-1"),
    )
    assert after == before


async def test_table_updates_without_a_key_press(kafka, unique_name):
    create(kafka, unique_name, 1)
    app = make_test_app(kafka, refresh=0.5)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        pane = await open_topics(pilot, unique_name)
        row = lambda: next((line for line in screen_lines(app) if unique_name[:20] in line), "")  # noqa: E731
        await wait_for(pilot, lambda: re.search(r"\s1\s+0\s", row()) is not None, what="0 messages")
        await produce(kafka, unique_name, {0: 25})
        await wait_for(pilot, lambda: re.search(r"\s1\s+25\s", row()) is not None, what="25 messages")
        assert offsets(kafka, unique_name, "-1") == {0: 25}
        assert pane.operation_topic() == unique_name  # the selection survived the refreshes


async def test_filter_sort_and_internal_topics(kafka, unique_name):
    names = {f"{unique_name}-a": 5, f"{unique_name}-b": 20, f"{unique_name}-c": 1}
    for name, count in names.items():
        create(kafka, name, 1)
        await produce(kafka, name, {0: count})
    create(kafka, f"other-{unique_name}", 1)
    # A committed offset makes sure __consumer_offsets exists.
    await commit(kafka, f"{unique_name}-group", f"{unique_name}-a", {0: 1})
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(140, 30)) as pilot:
        pane = await open_topics(pilot)
        await wait_for(
            pilot,
            lambda: (
                all(
                    pane.topics_snapshot.topic(n) is not None and pane.topics_snapshot.topic(n).messages == c
                    for n, c in names.items()
                )
                or pane.poll_now()
            ),
            what="the topics with their messages",
        )
        await pilot.press("slash", *f"{unique_name}-", "enter")
        await wait_for(pilot, lambda: sorted(table_keys(pane)) == sorted(names), what="filtered rows")
        assert f"other-{unique_name}" not in screen_text(app, flat=True)
        assert "3 of" in screen_text(app, flat=True)

        # s moves the sort to the next column; numeric columns sort biggest first.
        while pane.table.sort_column != "messages":
            await pilot.press("s")
        await pilot.pause(0.2)
        assert table_keys(pane) == [f"{unique_name}-b", f"{unique_name}-a", f"{unique_name}-c"]
        assert "sort Messages ↓" in screen_text(app, flat=True)
        order_on_screen = [n for line in screen_lines(app) for n in names if re.search(rf"{n}\s", line)]
        assert order_on_screen == [f"{unique_name}-b", f"{unique_name}-a", f"{unique_name}-c"]
        await pilot.press("S")
        await pilot.pause(0.2)
        assert table_keys(pane) == [f"{unique_name}-c", f"{unique_name}-a", f"{unique_name}-b"]

        # Internal topics: hidden by default, i shows them.
        await pilot.press("slash", "end", "ctrl+u", *"__consumer", "enter")
        await pilot.pause(0.3)
        assert table_keys(pane) == []
        await pilot.press("i")
        await wait_for(pilot, lambda: table_keys(pane) == ["__consumer_offsets"], what="internal topic shown")
        assert "__consumer_offsets" in screen_text(app, flat=True)


async def test_topic_detail_shows_partitions_configs_and_groups(kafka, unique_name):
    create(kafka, unique_name, 2, "retention.ms=123456")
    await produce(kafka, unique_name, {0: 7, 1: 3})
    group = f"{unique_name}-g"
    await commit(kafka, group, unique_name, {0: 2, 1: 3})
    tool = kafka.run_tool("kafka-consumer-groups", "--describe", "--group", group).stdout
    tool_lag = sum(int(m) for m in re.findall(rf"{re.escape(unique_name)}\s+\d+\s+\d+\s+\d+\s+(\d+)", tool))
    assert tool_lag == 5
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await open_topics(pilot, unique_name)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "topic-detail", what="the detail")
        detail = app.query_one(TopicDetailPane)
        await wait_for(pilot, lambda: group in screen_text(app, flat=True), what="the group on screen")
        text = screen_text(app, flat=True)
        groups_row = next(line for line in screen_lines(app) if group in line)
        assert re.search(rf"\s{tool_lag}\s*│?$", groups_row.rstrip()), groups_row
        # Partitions as kafka-topics describes them, watermarks as kafka-get-offsets.
        described = describe(kafka, unique_name)
        highs = offsets(kafka, unique_name, "-1")
        for row in detail.detail.partitions:
            assert row.leader == described[row.partition].leader
            assert row.replicas == described[row.partition].replicas
            assert row.high == highs[row.partition]
        assert "retention.ms" in text and "123456" in text
        config_row = next(line for line in screen_lines(app) if "retention.ms" in line)
        assert "●" in config_row and "topic" in config_row
        # Enter on the group asks the app for the group's detail.
        posted: list[str] = []
        post = detail.post_message

        def spy(message):
            if isinstance(message, OpenGroup):
                posted.append(message.group)
            return post(message)

        detail.post_message = spy  # type: ignore[method-assign]
        detail.query_one("#detail-groups").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: posted == [group], what="OpenGroup posted")


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_panes_fit_the_terminal(kafka, unique_name, size):
    """Every column shown fits: no line wider than the screen, and wide
    terminals show more columns than 80."""
    long_name = f"{unique_name}-with-a-rather-long-name-to-check-truncation"
    create(kafka, long_name, 3)
    app = make_test_app(kafka)
    async with app.run_test(notifications=True, size=size) as pilot:
        # Filtered down to the long name: the shared cluster holds other tests'
        # topics, which could push it below the visible rows.
        pane = await open_topics(pilot, long_name)
        await wait_for(pilot, lambda: pane.table.row_count > 0, what="rows")
        shown = [c.key for c in pane.table.shown_columns]
        lines = screen_lines(app)
        assert all(len(line.rstrip()) <= size[0] for line in lines)
        if size[0] >= 160:
            assert shown == [c.key for c in pane.table.all_columns]
            assert long_name in screen_text(app, flat=True)
        else:
            assert {"name", "partitions", "messages", "size", "rate", "urp"} <= set(shown)


# -- three brokers: under-replicated partitions ---------------------------------------------


def coloured_texts(app, colour: str) -> list[str]:
    """Text drawn in ``colour`` (a theme colour, any form Textual parses)."""
    from textual.color import Color

    svg = app.export_screenshot()
    wanted = Color.parse(colour).hex.lower()
    classes = set(re.findall(rf"\.(terminal-\d+-r\d+) \{{ fill: {wanted}[;}} ]", svg))
    return [
        html.unescape(text).replace("\xa0", " ")
        for cls, text in re.findall(r'<text class="(terminal-\d+-r\d+)"[^>]*>([^<]*)</text>', svg)
        if cls in classes
    ]


async def test_under_replicated_partitions_are_marked_while_a_broker_is_down(kafka3, unique_name):
    kafka3.run_tool(
        "kafka-topics", "--create", "--topic", unique_name, "--partitions", "3", "--replication-factor", "3"
    )
    status = parse_quorum_status_text(kafka3.run_tool("kafka-metadata-quorum", "describe", "--status").stdout)
    stopped = next(n for n in (1, 2, 3) if n != int(status["LeaderId"]))
    app = make_test_app(kafka3)
    kafka3.stop_broker(stopped)
    try:
        async with app.run_test(notifications=True, size=(120, 34)) as pilot:
            pane = await open_topics(pilot, unique_name)

            def tool_urp() -> dict[int, object]:
                out = kafka3.run_tool(
                    "kafka-topics", "--describe", "--under-replicated-partitions", "--topic", unique_name
                ).stdout
                return {p: row for (t, p), row in parse_topics_describe(out).items() if t == unique_name}

            await wait_for(
                pilot,
                lambda: pane.topics_snapshot.topic(unique_name).under_replicated == 3,
                timeout=90,
                what="3 under-replicated partitions",
            )
            urp = tool_urp()
            assert len(urp) == 3 and all(stopped not in row.isr for row in urp.values())
            colour = app.theme_variables["under-replicated"]
            await wait_for(
                pilot,
                lambda: "3" in [t.strip() for t in coloured_texts(app, colour)],
                what="the URP count in the under-replicated colour",
            )
            row = next(line for line in screen_lines(app) if unique_name[:30] in line)
            assert re.search(r"\s3\s+3\s+0\s+0\s", row), row  # 3 partitions, RF 3, 0 messages ... URP 3

            await pilot.press("enter")
            await wait_for(pilot, lambda: app.active_pane_id == "topic-detail", what="the detail")
            detail = app.query_one(TopicDetailPane)
            await wait_for(
                pilot,
                lambda: detail.detail is not None and detail.detail.under_replicated == 3,
                what="the detail's under-replicated partitions",
            )
            described = describe(kafka3, unique_name)
            for partition in detail.detail.partitions:
                assert partition.isr == described[partition.partition].isr
                assert partition.out_of_sync == (stopped,)
            # Every partition lists the stopped replica with a *; Kafka also calls
            # it offline, so it is drawn in the stop colour (worse than out of sync).
            partition_rows = [line for line in screen_lines(app) if re.match(r"^│\s+\d+\s+\d+\s+[\d,*]+\s", line)]
            assert len(partition_rows) == 3 and all(f"{stopped}*" in line for line in partition_rows)
            assert all(stopped in p.offline_replicas for p in detail.detail.partitions)
            stop = app.theme_variables["status-stop"]
            # The cursor row is drawn in the cursor's colours; the other two keep theirs.
            await wait_for(
                pilot,
                lambda: coloured_texts(app, stop).count(f"{stopped}*") >= 2,
                what="the stopped replica marked in the stop colour",
            )
            assert "3 under-replicated" in screen_text(app, flat=True)
    finally:
        kafka3.start_broker(stopped)


# -- the table widget ------------------------------------------------------------------------


async def test_fast_table_keeps_the_selected_row_in_place_across_updates():
    """A live refresh that re-sorts or filters keeps the cursor on its row key,
    at the same place on the screen (no Kafka needed)."""
    from textual.app import App

    from kview.ui.widgets.diff_table import Column
    from kview.ui.widgets.fast_table import FastTable

    class TableApp(App[None]):
        selected: list[str] = []

        def compose(self):
            yield FastTable([Column("name", "Name", 10), Column("n", "N", 6, numeric=True)])

        def on_fast_table_row_selected(self, message: FastTable.RowSelected) -> None:
            self.selected.append(message.key)

    def rows(values: dict[str, int]):
        return [(name, (name, str(n)), (name, n)) for name, n in values.items()]

    values = {f"t{i:03d}": i for i in range(100)}
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(FastTable)
        table.focus()
        table.set_rows(rows(values))
        table.sort_by("n", reverse=False)
        await pilot.pause()
        await pilot.press(*["pagedown"] * 3, "down", "down")
        await pilot.pause()
        key, offset = table.cursor_key, table.cursor_row - table.scroll_y
        assert key is not None and offset > 0 and table.scroll_y > 0
        # A refresh where the selected row's value changes its place in the order.
        values[key] = 70.5
        table.set_rows(rows(values))
        await pilot.pause()
        assert table.cursor_key == key and table.keys().index(key) == table.cursor_row
        assert table.cursor_row - table.scroll_y == offset
        # Rows drawn are the ones at the scroll position: the selected one among them.
        assert any(key in line for line in screen_rows(app))
        # A filter that removes rows above it: still the same row, same place.
        table.set_rows(rows({k: v for k, v in values.items() if int(k[1:]) % 2 == 0 or k == key}))
        await pilot.pause()
        assert table.cursor_key == key and table.cursor_row - table.scroll_y == offset
        # Enter selects it.
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == [key]


async def test_the_status_line_puts_trouble_first_at_80_columns(kafka, unique_name):
    """80 columns cut the status line's end: the count and the filter come
    first, then partitions in trouble and the refresh's problems; the sort and
    the time of the refresh are what gets cut."""
    name = f"st80-{unique_name[-6:]}"  # short: the filter shown must leave room for the rest
    create(kafka, name, 1)
    app = make_test_app(kafka, refresh=600.0)  # no refresh replaces the snapshot drawn below
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        pane = await open_topics(pilot, name)
        total = sum(1 for t in pane.topics_snapshot.topics if not t.internal)

        def status_row() -> str:
            return next((line for line in screen_rows(app) if " topics" in line and "·" in line), "")

        await wait_for(
            pilot,
            lambda: status_row().strip().startswith(f"1 of {total} topics · filter '{name}'"),
            what="count and filter first",
        )
        # The same snapshot with the topic in trouble and a broker not answering.
        snapshot = pane.topics_snapshot
        troubled = tuple(replace(t, under_replicated=1, offline=1) if t.name == name else t for t in snapshot.topics)
        pane.show(replace(snapshot, topics=troubled, problems=("log dirs of broker 9: unreachable",)))
        await pilot.pause(0.2)
        shown = status_row().strip().rstrip("…").rstrip()
        wanted = (
            f"1 of {total} topics · filter '{name}' · 1 offline partition(s) · 1 under-replicated · "
            "log dirs of broker 9: unreachable · "
        )
        # What fits of it, from its start (the rest, the sort and the time, cut).
        assert wanted.startswith(shown) and len(shown) > 60, shown
