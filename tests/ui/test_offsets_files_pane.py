"""Offsets files from the group detail, in the real app at 80x24 on the real
broker: ``e`` exports the committed offsets to a file that Kafka's tool
reads back (``--from-file --dry-run``), ``i`` imports a file with the reset
preview on screen, and commits only on Apply; refused in read-only mode."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import replace

from aiokafka import AIOKafkaProducer
from screen_text import screen_text, wait_for

from kview.app import make_app
from kview.core.cluster import ClusterClient
from kview.core.config import Config, adhoc_profile
from kview.core.groups import GroupService
from kview.core.readonly import refuse_message
from kview.ui.panes.group_detail import GroupDetailPane
from kview.ui.panes.groups import GroupsPane
from kview.ui.screens.offsets_file import ExportOffsetsScreen, ImportOffsetsScreen


def on_screen(app, text: str) -> bool:
    squeeze = lambda s: re.sub(r"[\s\u2500-\u259f]+", "", s)  # noqa: E731
    return squeeze(text) in squeeze(screen_text(app))


async def prepared(kafka, partitions: int, per_partition: int, committed: dict[int, int]) -> tuple[str, str]:
    topic, group = f"of-{uuid.uuid4().hex[:8]}", f"og-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(
        kafka.run_tool, "kafka-topics", "--create", "--topic", topic, "--partitions", str(partitions)
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        for p in range(partitions):
            for _ in range(per_partition):
                await producer.send(topic, b"v", partition=p)
        await producer.flush()
    finally:
        await producer.stop()
    await commit(kafka, group, {(topic, p): o for p, o in committed.items()})
    return topic, group


async def commit(kafka, group: str, offsets: dict[tuple[str, int], int]) -> None:
    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    service = GroupService(client)
    try:
        await service.commit_offsets(group, offsets)
    finally:
        await service.close()
        await client.close()


async def committed(kafka, group: str) -> dict[tuple[str, int], int]:
    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    service = GroupService(client)
    try:
        return await service.committed_offsets(group)
    finally:
        await service.close()
        await client.close()


async def open_detail(pilot, group: str) -> GroupDetailPane:
    await pilot.press("4")
    pane = pilot.app.query_one(GroupsPane)
    await wait_for(
        pilot, lambda: pane.groups_snapshot is not None and pane.groups_snapshot.group(group), what="group listed"
    )
    await pilot.press("slash", *group, "enter")
    await wait_for(pilot, lambda: (g := pane.operation_group()) is not None and g.name == group, what="group selected")
    await pilot.press("enter")
    detail = pilot.app.query_one(GroupDetailPane)
    await wait_for(
        pilot, lambda: pilot.app.active_pane_id == "group-detail" and detail.detail is not None, what="the detail"
    )
    return detail


def app_for(kafka, *, read_only: bool = False):
    return make_app(Config(), replace(adhoc_profile(kafka.bootstrap), read_only=read_only, refresh_interval=0.5))


async def test_export_then_import_from_the_group_detail(kafka, tmp_path):
    topic, group = await prepared(kafka, 2, 10, {0: 3, 1: 8})
    path = tmp_path / "kept.csv"
    app = app_for(kafka)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_detail(pilot, group)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportOffsetsScreen), what="the export form")
        field = app.screen.query_one("#export-path")
        field.value = str(path)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportOffsetsScreen), what="the export done")
        await wait_for(pilot, lambda: on_screen(app, "2 partition offset(s) written to"), what="the notice")
        assert path.exists()
        # Kafka's tool reads the file back as the offsets exported.
        dry = await asyncio.to_thread(
            kafka.run_tool,
            "kafka-consumer-groups",
            "--reset-offsets",
            "--group",
            group,
            "--all-topics",
            "--from-file",
            str(path),
            "--dry-run",
        )
        assert sorted(re.findall(rf"{re.escape(topic)}\s+(\d)\s+(\d+)", dry.stdout)) == [("0", "3"), ("1", "8")]

        await commit(kafka, group, {(topic, 0): 10, (topic, 1): 10})
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportOffsetsScreen), what="the import form")
        form = app.screen
        form.query_one("#import-path").value = str(path)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.plan is not None, what="the preview")
        assert [(r.partition, r.current, r.new, r.lag) for r in form.plan.rows] == [(0, 10, 3, 7), (1, 10, 8, 2)]
        assert on_screen(app, "2 partition(s), 2 would change · lag now 0 → after 9")
        assert await committed(kafka, group) == {(topic, 0): 10, (topic, 1): 10}  # nothing before Apply
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportOffsetsScreen), what="the import applied")
        assert await committed(kafka, group) == {(topic, 0): 3, (topic, 1): 8}


async def test_a_bad_file_is_said_under_the_field(kafka, tmp_path):
    _topic, group = await prepared(kafka, 1, 2, {0: 1})
    bad = tmp_path / "bad.csv"
    bad.write_text("orders,zero,1\n")
    app = app_for(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, group)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportOffsetsScreen), what="the import form")
        app.screen.query_one("#import-path").value = str(bad)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: on_screen(app, "line 1: partition and offset must be whole numbers"), what="the problem"
        )
        assert isinstance(app.screen, ImportOffsetsScreen) and app.screen.plan is None


async def test_import_is_refused_in_read_only_mode(kafka):
    _topic, group = await prepared(kafka, 1, 2, {0: 1})
    app = app_for(kafka, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_detail(pilot, group)
        await pilot.press("i")
        await wait_for(pilot, lambda: on_screen(app, refuse_message("import offsets")), what="the refusal")
        assert len(app.screen_stack) == 1
