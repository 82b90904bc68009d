"""The groups pane, the group detail and the group operations: the real app,
headless, on the real single-broker cluster.  What the screen shows is
compared with Kafka's own ``kafka-consumer-groups`` (describe, reset
dry-run, list), and every operation is driven with keys.

Kafka's tools run in a thread (``asyncio.to_thread``) so that consumers a
test keeps alive go on heartbeating while the JVM starts."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import replace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from screen_text import screen_rows, screen_text, wait_for

from kview.app import make_app
from kview.core.cluster import connection_kwargs
from kview.core.config import Config, adhoc_profile
from kview.core.readonly import WRITE_ACTIONS, refuse_message
from kview.ui.panes.group_detail import GroupDetailPane
from kview.ui.panes.groups import GroupsPane
from kview.ui.screens.reset_offsets import ResetOffsetsScreen

# -- helpers ------------------------------------------------------------------------------


def on_screen(app, text: str) -> bool:
    """``text`` is shown, even if wrapped over several lines of a toast or a
    dialog (spaces, borders and block characters are ignored)."""
    squeeze = lambda s: re.sub(r"[\s\u2500-\u259f]+", "", s)  # noqa: E731
    return squeeze(text) in squeeze(screen_text(app))


def name(prefix: str) -> str:
    """Short unique names: long ones would be cut in an 80-column table."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_test_app(kafka, *, read_only: bool = False, refresh: float = 0.5):
    profile = replace(adhoc_profile(kafka.bootstrap), read_only=read_only, refresh_interval=refresh)
    return make_app(Config(), profile)


async def tool(kafka, *args: str) -> str:
    result = await asyncio.to_thread(kafka.run_tool, *args)
    return result.stdout


async def create_topic(kafka, topic: str, partitions: int) -> None:
    await tool(kafka, "kafka-topics", "--create", "--topic", topic, "--partitions", str(partitions))


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


async def commit(kafka, group: str, topic: str, offsets: dict[int, int]) -> None:
    """Commit offsets for ``group`` without joining it (a group with no members)."""
    consumer = AIOKafkaConsumer(
        **connection_kwargs(adhoc_profile(kafka.bootstrap)), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        # A manual assignment commits as an admin would: without joining.
        consumer.assign([TopicPartition(topic, p) for p in offsets])
        await consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "") for p, o in offsets.items()})
    finally:
        await consumer.stop()


async def member(kafka, group: str, topic: str, client_id: str) -> AIOKafkaConsumer:
    """A consumer that joins ``group`` and stays (until stopped)."""
    settings = {**connection_kwargs(adhoc_profile(kafka.bootstrap)), "client_id": client_id}
    consumer = AIOKafkaConsumer(
        topic, **settings, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    for _ in range(150):
        if consumer.assignment():
            return consumer
        await asyncio.sleep(0.2)
    await consumer.stop()
    raise AssertionError("the consumer got no assignment")


def parse_tool_table(stdout: str, last_column: str) -> list[dict[str, str]]:
    """Rows of a ``kafka-consumer-groups`` table whose header ends with
    ``last_column`` (ids never contain spaces)."""
    rows, header = [], None
    for line in stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "GROUP" and last_column in fields:
            header = fields
        elif header and len(fields) == len(header):
            rows.append(dict(zip(header, fields, strict=False)))
    return rows


async def describe(kafka, group: str) -> dict[tuple[str, int], dict[str, str]]:
    out = await tool(kafka, "kafka-consumer-groups", "--describe", "--group", group)
    return {
        (r["TOPIC"], int(r["PARTITION"])): r for r in parse_tool_table(out, "CLIENT-ID") if r["PARTITION"].isdigit()
    }


async def group_names(kafka) -> set[str]:
    out = await tool(kafka, "kafka-consumer-groups", "--list")
    return {line.strip() for line in out.splitlines() if line.strip()}


async def open_groups(pilot, group: str | None = None) -> GroupsPane:
    """Switch to the groups pane; with ``group``, filter down to it and select it."""
    await pilot.press("4")
    pane = pilot.app.query_one(GroupsPane)
    await wait_for(pilot, lambda: pane.groups_snapshot is not None, what="first groups refresh")
    if group is not None:
        await wait_for(pilot, lambda: pane.groups_snapshot.group(group) is not None, what=f"group {group} listed")
        await pilot.press("slash", *group, "enter")
        await wait_for(
            pilot, lambda: (g := pane.operation_group()) is not None and g.name == group, what=f"{group} selected"
        )
    return pane


def group_row(app, group: str) -> str:
    return next((line for line in screen_rows(app) if f" {group} " in line), "")


def shown_lag(app, group: str) -> int | None:
    """The Lag column of ``group``'s row in the groups table."""
    match = re.search(rf" {re.escape(group)}\s+[A-Z]+(?: ⚠)?\s+([\d,]+)\s", group_row(app, group))
    return int(match.group(1).replace(",", "")) if match else None


# -- the groups pane --------------------------------------------------------------------------


async def test_groups_pane_follows_commits_without_a_key_press(kafka):
    topic, group = name("gl"), name("grp")
    await create_topic(kafka, topic, 2)
    await produce(kafka, topic, {0: 30, 1: 20})
    await commit(kafka, group, topic, {0: 10, 1: 5})
    app = make_test_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        # Filtered to the group: the session's broker holds other tests' groups, more than a screen.
        await open_groups(pilot, group)
        await wait_for(pilot, lambda: shown_lag(app, group) == 35, what="lag 35 on screen")
        first = await describe(kafka, group)
        assert sum(int(r["LAG"]) for r in first.values()) == 35
        # The consumers move on in the background; nobody presses a key.
        await commit(kafka, group, topic, {0: 28, 1: 19})
        await wait_for(pilot, lambda: shown_lag(app, group) == 3, what="lag 3 on screen")
        after = await describe(kafka, group)
        assert sum(int(r["LAG"]) for r in after.values()) == 3
        row = group_row(app, group)
        # At 80 columns the row is one line with the most important columns.
        assert "EMPTY" in row and re.search(r"\s0\s*$", row), row  # no members
        assert all(len(line) <= 80 for line in screen_rows(app))
        header = next(line for line in screen_rows(app) if "Consumer group" in line)
        for label in ("Status", "Lag", "Time lag", "Lag trend", "Msg/s"):
            assert label in header


async def test_filter_sort_and_open(kafka):
    topic = name("gf")
    small, big = name("fa"), name("fb")
    await create_topic(kafka, topic, 1)
    await produce(kafka, topic, {0: 50})
    await commit(kafka, small, topic, {0: 45})
    await commit(kafka, big, topic, {0: 5})
    app = make_test_app(kafka)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_groups(pilot)
        # Filter by topic: both groups read it (and no other test's group, of which the
        # session's broker may hold more than a screen); by name: one.
        await pilot.press("slash", *topic)
        await wait_for(pilot, lambda: {g.name for g in pane.visible_groups()} == {small, big}, what="topic filter")
        await wait_for(pilot, lambda: shown_lag(app, small) == 5 and shown_lag(app, big) == 45, what="both groups")
        await pilot.press(*(["backspace"] * len(topic)), *small, "enter")
        await wait_for(pilot, lambda: [g.name for g in pane.visible_groups()] == [small], what="name filter")
        assert group_row(app, big) == ""
        await pilot.press("slash", "escape")
        await wait_for(pilot, lambda: big in {g.name for g in pane.visible_groups()}, what="filter cleared")
        # Sort by lag (s from the name column), biggest first, among the topic's groups.
        await pilot.press("slash", *topic, "enter")
        await wait_for(
            pilot, lambda: {g.name for g in pane.visible_groups()} == {small, big}, what="topic filter again"
        )
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: pane.table.sort_column == "lag", what="sort by lag")
        lines = screen_rows(app)
        assert lines.index(group_row(app, big)) < lines.index(group_row(app, small))
        # Enter opens the selected group.
        pane.select_group(small)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "group-detail", what="the detail")
        detail = app.query_one(GroupDetailPane)
        assert detail.group == small
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.active_pane_id == "groups", what="back to the list")


# -- the group detail ---------------------------------------------------------------------------


DETAIL_ROW = re.compile(
    r"^\s*│?\s*(?P<topic>\S+)\s+(?P<partition>\d+)\s+(?P<committed>-|⚠?\d+)\s+"
    r"(?P<log_end>-|\d+)\s+(?P<lag>-|-?\d+)\s+(?P<time_lag>\S+)\s+"
    r"(?P<readable>-|[\d,?]+(?: \([^)]*\))?)\s+(?P<client>\S+)\s+(?P<host>\S+)"
)


async def test_group_detail_rows_equal_kafka_describe(kafka):
    topic, group, client_id = name("gd"), name("det"), "ktest"
    await create_topic(kafka, topic, 3)
    await produce(kafka, topic, {0: 10, 1: 20, 2: 30})
    consumer = await member(kafka, group, topic, client_id)
    try:
        # p0 behind, p1 committed past its end (negative lag), p2 never committed.
        await consumer.commit(
            {TopicPartition(topic, 0): OffsetAndMetadata(4, ""), TopicPartition(topic, 1): OffsetAndMetadata(25, "")}
        )
        app = make_test_app(kafka)
        async with app.run_test(size=(160, 40)) as pilot:
            await open_groups(pilot, group)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.active_pane_id == "group-detail", what="the detail")
            detail = app.query_one(GroupDetailPane)
            await wait_for(
                pilot,
                lambda: detail.detail is not None and len(detail.detail.partitions) == 3,
                what="three partition rows",
            )

            def rows() -> dict[int, dict[str, str]]:
                found = {}
                for line in screen_rows(app):
                    match = DETAIL_ROW.match(line)
                    if match and match["topic"] == topic:
                        found[int(match["partition"])] = match.groupdict()
                return found

            await wait_for(pilot, lambda: len(rows()) == 3, what="rows on screen")
            expected = await describe(kafka, group)
            shown = rows()
            assert set(expected) == {(topic, p) for p in shown}
            for (_, partition), tool_row in expected.items():
                row = shown[partition]
                assert (row["committed"], row["log_end"], row["lag"]) == (
                    tool_row["CURRENT-OFFSET"],
                    tool_row["LOG-END-OFFSET"],
                    tool_row["LAG"],
                ), partition
                assert (row["client"], row["host"]) == (tool_row["CLIENT-ID"], tool_row["HOST"])
            # The cases the tool prints specially, as the tool prints them.
            assert shown[1]["lag"] == "-5" and shown[2]["committed"] == "-" and shown[2]["lag"] == "-"
            text = screen_text(app)
            assert "time lag exact" in text
            assert f"{client_id}" in text and f"{topic}:0-2" in text  # the member and its assignment
            assert "Total lag over" in text
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.active_pane_id == "groups", what="back to the list")
    finally:
        await consumer.stop()


# -- reset offsets ------------------------------------------------------------------------------


def preview_rows(app, topic: str) -> dict[int, tuple[str, str, str]]:
    """(current, new, lag after) per partition, from the reset preview on screen."""
    out = {}
    for line in screen_rows(app):
        match = re.search(rf"{re.escape(topic)}\s+(\d+)\s+(-|\d+)\s+(\d+)\s+(\S+)\s+([\d,]+)", line)
        if match:
            out[int(match.group(1))] = (match.group(2), match.group(3), match.group(5).replace(",", ""))
    return out


async def choose(pilot, steps_down: int) -> None:
    """Pick an option of the focused Select, ``steps_down`` below the current one."""
    await pilot.press("enter")
    await pilot.pause(0.2)
    await pilot.press(*(["down"] * steps_down), "enter")
    await pilot.pause(0.2)


async def test_reset_shows_the_preview_then_applies(kafka):
    topic, other, group = name("gr"), name("go"), name("rst")
    await create_topic(kafka, topic, 3)
    await create_topic(kafka, other, 1)
    await produce(kafka, topic, {0: 20, 1: 20, 2: 2})
    await produce(kafka, other, {0: 5})
    await commit(kafka, group, topic, {0: 15, 1: 10, 2: 2})
    await commit(kafka, group, other, {0: 5})
    app = make_test_app(kafka)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_groups(pilot, group)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ResetOffsetsScreen), what="the reset form")
        form = app.screen
        # Shift by -4 (kind is the 5th choice), on one topic (2nd scope).
        await choose(pilot, 4)
        assert form.kind == "shift"
        await pilot.press("tab", "minus", "4", "tab")
        await choose(pilot, 1)
        assert form.scope == "topic"
        await pilot.press("tab")
        await choose(pilot, 1 if form.topic is None else 0)
        await wait_for(pilot, lambda: form.topic is not None, what="a topic chosen")
        if form.topic != topic:
            await choose(pilot, 1)
        assert form.topic == topic
        assert not preview_rows(app, topic)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(preview_rows(app, topic)) == 3, what="the preview")
        shown = preview_rows(app, topic)
        dry = parse_tool_table(
            await tool(
                kafka,
                "kafka-consumer-groups",
                "--reset-offsets",
                "--group",
                group,
                "--topic",
                topic,
                "--shift-by",
                "-4",
                "--dry-run",
            ),
            "NEW-OFFSET",
        )
        assert {int(r["PARTITION"]): r["NEW-OFFSET"] for r in dry} == {p: row[1] for p, row in shown.items()}
        # p2 is clamped at the log start, as the tool does; lag after = log end - new.
        assert shown == {0: ("15", "11", "9"), 1: ("10", "6", "14"), 2: ("2", "0", "2")}
        assert on_screen(app, "lag now 15 → after the reset 25")
        # Nothing is committed by the preview.
        before = await describe(kafka, group)
        assert before[(topic, 0)]["CURRENT-OFFSET"] == "15"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ResetOffsetsScreen), what="the form closed")
        after = await describe(kafka, group)
        assert {p: after[(topic, p)]["CURRENT-OFFSET"] for p in range(3)} == {p: row[1] for p, row in shown.items()}
        assert after[(other, 0)]["CURRENT-OFFSET"] == "5"  # another topic, out of scope
        pane = app.query_one(GroupsPane)
        await wait_for(pilot, lambda: shown_lag(app, group) == 25, what="the new lag in the list")
        assert pane.operation_group().name == group


async def test_reset_is_refused_while_the_group_has_members(kafka):
    topic, group = name("gm"), name("mem")
    await create_topic(kafka, topic, 1)
    await produce(kafka, topic, {0: 10})
    consumer = await member(kafka, group, topic, "kmember")
    try:
        await consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(7, "")})
        app = make_test_app(kafka)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_groups(pilot, group)
            await wait_for(pilot, lambda: pane.operation_group().member_count == 1, what="the member")
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, ResetOffsetsScreen), what="the reset form")
            await wait_for(
                pilot,
                lambda: on_screen(
                    app, "The group has 1 active member(s). Kafka accepts a reset only while a group has no members"
                ),
                what="the warning",
            )
            # The preview still works (earliest, every committed topic) ...
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: len(preview_rows(app, topic)) == 1, what="the preview")
            assert preview_rows(app, topic)[0] == ("7", "0", "10")
            # ... but applying is refused, in words, on screen.
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: on_screen(app, "it has 1 active member(s)"), what="the refusal")
            assert on_screen(app, "stop its consumers first")
            assert isinstance(app.screen, ResetOffsetsScreen)  # the form stays open
            await pilot.press("escape")
            assert (await describe(kafka, group))[(topic, 0)]["CURRENT-OFFSET"] == "7"
    finally:
        await consumer.stop()


# -- delete group and delete offsets ------------------------------------------------------------


async def test_delete_group_after_confirmation(kafka):
    topic, group = name("gx"), name("del")
    await create_topic(kafka, topic, 1)
    await produce(kafka, topic, {0: 3})
    await commit(kafka, group, topic, {0: 1})
    app = make_test_app(kafka)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        pane = await open_groups(pilot, group)
        # Cancelled: nothing happens.
        await pilot.press("d")
        await wait_for(pilot, lambda: on_screen(app, f"Type '{group}' to confirm"), what="the confirmation")
        await pilot.press("escape")
        await pilot.pause(0.5)
        assert group in await group_names(kafka)
        # Confirmed with the group's name: deleted.
        await pilot.press("d")
        await wait_for(pilot, lambda: on_screen(app, f"Type '{group}' to confirm"), what="the confirmation")
        await pilot.press(*group, "enter")
        await wait_for(pilot, lambda: on_screen(app, f"Deleted group '{group}'"), what="done")
        await wait_for(pilot, lambda: pane.groups_snapshot.group(group) is None, what="gone from the list")
        assert group not in await group_names(kafka)


async def test_delete_group_from_its_detail_goes_back_to_the_list(kafka):
    topic, group = name("gx"), name("deld")
    await create_topic(kafka, topic, 1)
    await produce(kafka, topic, {0: 3})
    await commit(kafka, group, topic, {0: 1})
    app = make_test_app(kafka)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        pane = await open_groups(pilot, group)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "group-detail", what="the detail")
        detail = app.query_one(GroupDetailPane)
        await wait_for(pilot, lambda: detail.detail is not None, what="the detail's data")
        await pilot.press("d")
        await wait_for(pilot, lambda: on_screen(app, f"Type '{group}' to confirm"), what="the confirmation")
        await pilot.press(*group, "enter")
        await wait_for(pilot, lambda: on_screen(app, f"Deleted group '{group}'"), what="done")
        # The group is gone: its detail with it, back to the list, which no longer has it.
        await wait_for(
            pilot, lambda: app.active_pane_id == "groups" and not app.query(GroupDetailPane), what="back to the list"
        )
        await wait_for(pilot, lambda: pane.groups_snapshot.group(group) is None, what="gone from the list")
        assert group not in await group_names(kafka)


async def test_delete_one_topics_offsets_from_the_detail(kafka):
    keep, drop, group = name("gk"), name("gd"), name("off")
    await create_topic(kafka, keep, 1)
    await create_topic(kafka, drop, 2)
    await produce(kafka, keep, {0: 4})
    await produce(kafka, drop, {0: 4, 1: 4})
    await commit(kafka, group, keep, {0: 2})
    await commit(kafka, group, drop, {0: 1, 1: 3})
    app = make_test_app(kafka)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await open_groups(pilot, group)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "group-detail", what="the detail")
        detail = app.query_one(GroupDetailPane)
        await wait_for(pilot, lambda: detail.detail is not None and len(detail.detail.partitions) == 3, what="the rows")
        # Put the cursor on a row of the topic to drop: the form offers it.
        table = detail.query_one("#group-partitions")
        table.focus()
        table.move_cursor(row=table.get_row_index(f"{drop}:1"))
        await pilot.press("o")
        await wait_for(pilot, lambda: on_screen(app, f"Delete committed offsets of group '{group}'"), what="the form")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_screen(app, f"2 partition(s) of '{drop}' forgotten"), what="done")
        rows = await describe(kafka, group)
        assert set(rows) == {(keep, 0)} and rows[(keep, 0)]["CURRENT-OFFSET"] == "2"
        await wait_for(pilot, lambda: len(detail.detail.partitions) == 1, what="the detail refreshed")


# -- read-only ----------------------------------------------------------------------------------


async def test_read_only_refuses_every_group_operation(kafka):
    topic, group = name("gro"), name("ro")
    await create_topic(kafka, topic, 1)
    await produce(kafka, topic, {0: 6})
    await commit(kafka, group, topic, {0: 2})
    before = await describe(kafka, group)
    keys = {"r": "reset offsets", "d": "delete group", "o": "delete group offsets"}
    group_actions = {
        a for a, where in WRITE_ACTIONS.items() if where.startswith("GroupService.") and a != "commit offsets"
    }
    # Every group write the UI offers has a key (commits happen only inside a
    # reset; r on a share group resets its start offsets: test_group_types_pane).
    assert group_actions == set(keys.values()) | {"reset share-group offsets"}
    app = make_test_app(kafka, read_only=True)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await open_groups(pilot, group)
        for where in ("groups", "group-detail"):
            for key, action in keys.items():
                app.clear_notifications()
                await pilot.press(key)
                await wait_for(
                    pilot,
                    lambda action=action: on_screen(app, refuse_message(action)),
                    what=f"refusal of {action} on {where}",
                )
                assert len(app.screen_stack) == 1, f"a form opened for {action}"
            if where == "groups":
                await pilot.press("enter")
                await wait_for(
                    pilot,
                    lambda: app.active_pane_id == "group-detail" and app.query_one(GroupDetailPane).detail is not None,
                    what="the detail",
                )
    assert await describe(kafka, group) == before
    assert group in await group_names(kafka)


# -- transactions ------------------------------------------------------------------------------


async def test_group_on_a_transaction_marker_is_not_behind(kafka):
    """A group whose committed offset sits on a commit marker: the list and the
    detail (at 80x24) show Kafka's lag of 1, that nothing of it is readable,
    time lag 0, and the group is not STOP however long it stays idle."""
    topic, group = name("gtx"), name("gtx")
    await create_topic(kafka, topic, 1)
    producer = AIOKafkaProducer(**connection_kwargs(adhoc_profile(kafka.bootstrap)), transactional_id=name("tx"))
    await producer.start()
    try:
        async with producer.transaction():
            sent = [await producer.send(topic, f"v{i}".encode(), partition=0) for i in range(3)]
            offsets = [(await f).offset for f in sent]
        last = max(offsets)
    finally:
        await producer.stop()
    await commit(kafka, group, topic, {0: last + 1})  # on the commit marker
    expected = await describe(kafka, group)
    assert expected[(topic, 0)]["LAG"] == "1"
    app = make_test_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        # A short status window: an idle group with a real backlog is STOP after it.
        app.services.groups.tracker.window = 1.0
        # Filtered to the group: the session's broker holds other tests' groups, more than a screen.
        pane = await open_groups(pilot, group)
        await wait_for(pilot, lambda: "1 (0)" in group_row(app, group), what="lag 1 (0) in the list")
        first = pane.groups_snapshot.taken_at
        await wait_for(pilot, lambda: pane.groups_snapshot.taken_at > first + 1.5, what="refreshes past the window")
        row = group_row(app, group)
        assert "EMPTY" in row and "STOP" not in row, row
        assert re.search(r"1 \(0\)\s+0s\s", row), row  # time lag 0: nothing readable is left
        assert on_screen(app, "lag (n): n readable")
        assert all(len(line) <= 80 for line in screen_rows(app))
        pane.select_group(group)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "group-detail", what="the detail")
        detail = app.query_one(GroupDetailPane)
        await wait_for(pilot, lambda: detail.detail is not None, what="the detail's data")
        await wait_for(pilot, lambda: on_screen(app, "lag 1 · 0 records (1 marker)"), what="the readable split")
        partition_line = next(line for line in screen_rows(app) if f"{topic} " in line and "1 (0)" in line)
        assert re.search(rf"{last + 1}\s+{last + 2}\s+1 \(0\)\s+0s", partition_line), partition_line
        assert all(len(line) <= 80 for line in screen_rows(app))
