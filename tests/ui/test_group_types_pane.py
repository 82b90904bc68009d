"""Every group type in the app, headless at 80x24 on the session's real
broker: the groups pane's Type column, type filter (``t``) and per-type
totals; the detail of a share group (start offsets, the broker's lag, ``n/a``
where a figure has no meaning) and of a KIP-848 group (epochs, members'
epochs and targets); a share group's reset whose preview equals
``kafka-share-groups --reset-offsets --dry-run``.  The members are Kafka's
own console clients (the session's ``group_types``, tests/group_types.py)."""

from __future__ import annotations

import asyncio
import re

from screen_text import screen_rows, screen_text, wait_for
from test_groups_pane import choose, make_test_app, on_screen, parse_tool_table, preview_rows

from kview.core.readonly import refuse_message
from kview.ui.panes.group_detail import GroupDetailPane
from kview.ui.panes.groups import GroupsPane
from kview.ui.screens.reset_offsets import ResetOffsetsScreen


async def open_group_list(pilot) -> GroupsPane:
    await pilot.press("4")
    pane = pilot.app.query_one(GroupsPane)
    await wait_for(pilot, lambda: pane.groups_snapshot is not None, what="first groups refresh")
    return pane


async def filter_to(pilot, pane: GroupsPane, group: str) -> None:
    await wait_for(pilot, lambda: pane.groups_snapshot.group(group) is not None, what=f"{group} listed")
    await pilot.press("slash", *group, "enter")
    await wait_for(pilot, lambda: [g.name for g in pane.visible_groups()] == [group], what=f"filtered to {group}")


def row_of(app, group: str) -> str:
    return next((line for line in screen_rows(app) if f" {group} " in line), "")


async def focus(pilot, widget_id: str) -> None:
    """Tab to the form field ``widget_id`` (fields a kind does not need may be skipped)."""
    for _ in range(8):
        if pilot.app.focused is not None and pilot.app.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached #{widget_id}")


async def tool(kafka, *args: str) -> str:
    return (await asyncio.to_thread(kafka.run_tool, *args)).stdout


async def test_type_column_from_100_columns(kafka, group_types):
    app = make_test_app(kafka)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_group_list(pilot)
        await filter_to(pilot, pane, group_types.group848)
        header = next(line for line in screen_rows(app) if "Consumer group" in line)
        assert "Type" in header
        await wait_for(pilot, lambda: " consumer " in row_of(app, group_types.group848), what="the type cell")
        await pilot.press("slash", *(["backspace"] * len(group_types.group848)), *group_types.share, "enter")
        await wait_for(pilot, lambda: " share " in row_of(app, group_types.share), what="the share type cell")


async def test_type_filter_and_totals_at_80_columns(kafka, group_types):
    app = make_test_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_group_list(pilot)
        await wait_for(
            pilot,
            lambda: all(pane.groups_snapshot.group(n) for n in (group_types.share, group_types.group848)),
            what="both groups listed",
        )
        # The status line counts each type present.
        totals = {g.kind for g in pane.groups_snapshot.groups}
        assert {"share", "consumer"} <= totals
        assert re.search(r"\d+ share", screen_text(app)) and re.search(r"\d+ consumer", screen_text(app))
        # t: classic, consumer, share, streams, then all again.
        seen = []
        for _ in range(5):
            await pilot.press("t")
            await pilot.pause()
            seen.append(pane.type_filter)
            visible = pane.visible_groups()
            assert all(g.kind == pane.type_filter for g in visible) or pane.type_filter is None
        assert seen == ["classic", "consumer", "share", "streams", None]
        await pilot.press("t", "t", "t")
        await wait_for(pilot, lambda: pane.type_filter == "share", what="share filter")
        await pilot.press("slash", *group_types.share, "enter")
        await wait_for(pilot, lambda: [g.name for g in pane.visible_groups()] == [group_types.share], what="filtered")
        await wait_for(pilot, lambda: row_of(app, group_types.share) != "", what="the share group's row")
        row = row_of(app, group_types.share)
        # Time lag has no meaning for a share group: it says so (not 0).
        assert "n/a" in row, row
        assert "type share" in screen_text(app)
        assert all(len(line) <= 80 for line in screen_rows(app))
        # The KIP-848 group is not a share group: filtered out.
        assert row_of(app, group_types.group848) == ""


async def test_share_group_detail(kafka, group_types):
    name = group_types.share
    app = make_test_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_group_list(pilot)
        await filter_to(pilot, pane, name)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "group-detail", what="the detail")
        detail = app.query_one(GroupDetailPane)
        await wait_for(pilot, lambda: detail.detail is not None, what="the detail's data")
        tool_rows = parse_tool_table(
            await tool(kafka, "kafka-share-groups", "--describe", "--offsets", "--group", name), "LAG"
        )
        starts = {int(r["PARTITION"]): r["START-OFFSET"] for r in tool_rows}
        text = screen_text(app)
        assert "share" in text and "epoch" in text and "time lag n/a" in text
        shown = {}
        for line in screen_rows(app):
            match = re.search(rf"{re.escape(group_types.share_topic)}\s+(\d)\s+(\S+)\s+(\d+)\s+(\S+)\s+n/a", line)
            if match:
                shown[int(match.group(1))] = match.group(2)
        assert shown == starts
        # The members table: both console share consumers, with their epochs.
        members = {m.member_id: m for m in detail.detail.members}
        assert len(members) == 2 and all(m.member_epoch is not None for m in members.values())


async def test_consumer_group_detail_shows_epochs_and_targets(kafka, group_types):
    name = group_types.group848
    app = make_test_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_group_list(pilot)
        await filter_to(pilot, pane, name)
        await pilot.press("enter")
        detail = app.query_one(GroupDetailPane)
        await wait_for(pilot, lambda: detail.detail is not None, what="the detail's data")
        rows = parse_tool_table(
            await tool(kafka, "kafka-consumer-groups", "--describe", "--state", "--verbose", "--group", name),
            "#MEMBERS",
        )
        g = detail.detail.summary
        (row,) = rows
        assert (g.group_epoch, g.assignment_epoch) == (int(row["GROUP-EPOCH"]), int(row["TARGET-ASSIGNMENT-EPOCH"]))
        await wait_for(
            pilot,
            lambda: (
                f"epoch {row['GROUP-EPOCH']}, assignment epoch {row['TARGET-ASSIGNMENT-EPOCH']}" in screen_text(app)
            ),
            what="the epochs on screen",
        )
        assert "consumer" in screen_text(app)
        (member,) = detail.detail.members
        assert member.target_assignment == member.assignment and not member.moving_in


async def test_share_reset_preview_equals_the_dry_run(kafka, group_types):
    name, topic = group_types.idle_share, group_types.share_topic
    app = make_test_app(kafka)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        pane = await open_group_list(pilot)
        await filter_to(pilot, pane, name)
        await wait_for(pilot, lambda: pane.operation_group() is not None, what="selected")
        # o (delete a topic's offsets) has no meaning for a share group: said, no form.
        await pilot.press("o")
        await wait_for(
            pilot, lambda: on_screen(app, "has start offsets, not committed offsets"), what="the explanation"
        )
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ResetOffsetsScreen), what="the reset form")
        form = app.screen
        assert "start offsets of share group" in screen_text(app)
        await choose(pilot, 1)  # latest
        assert form.kind == "latest"
        await focus(pilot, "reset-scope")
        if form.scope != "topic":  # the form may open on one topic already
            await choose(pilot, 1)  # all -> one topic
        assert form.scope == "topic"
        await focus(pilot, "reset-topic")
        await choose(pilot, 1 if form.topic is None else 0)
        await wait_for(pilot, lambda: form.topic is not None, what="a topic chosen")
        if form.topic != topic:
            await choose(pilot, 1)
        assert form.topic == topic
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(preview_rows(app, topic)) == 3, what="the preview")
        shown = preview_rows(app, topic)
        dry = parse_tool_table(
            await tool(
                kafka,
                "kafka-share-groups",
                "--reset-offsets",
                "--group",
                name,
                "--topic",
                topic,
                "--to-latest",
                "--dry-run",
            ),
            "NEW-OFFSET",
        )
        assert {int(r["PARTITION"]): r["NEW-OFFSET"] for r in dry} == {p: row[1] for p, row in shown.items()}
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ResetOffsetsScreen), what="applied")
        after = parse_tool_table(
            await tool(kafka, "kafka-share-groups", "--describe", "--offsets", "--group", name), "LAG"
        )
        assert {int(r["PARTITION"]): r["START-OFFSET"] for r in after} == {p: row[1] for p, row in shown.items()}


async def test_read_only_refuses_the_share_group_writes(kafka, group_types):
    name = group_types.idle_share
    app = make_test_app(kafka, read_only=True)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        pane = await open_group_list(pilot)
        await filter_to(pilot, pane, name)
        await wait_for(pilot, lambda: pane.operation_group() is not None, what="selected")
        for key, action in (("r", "reset share-group offsets"), ("d", "delete group")):
            app.clear_notifications()
            await pilot.press(key)
            await wait_for(
                pilot, lambda action=action: on_screen(app, refuse_message(action)), what=f"{action} refused"
            )
            assert len(app.screen_stack) == 1, f"a form opened for {action}"
    listed = await tool(kafka, "kafka-share-groups", "--list")
    assert name in listed.split()
