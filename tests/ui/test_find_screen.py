"""The find dialog in the real app at 80x24 on the real single-broker cluster:
opened from the topics pane with f, a key search whose matches and account
are checked against the records written, a match opened in the record
detail and the matches exported, a bad time said in one line, and the
dialog opened from the tail with the tail's filter."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace

from aiokafka import AIOKafkaProducer
from screen_text import screen_text, wait_for
from textual.widgets import DataTable, Input

from kview.app import make_app
from kview.core.config import Config, adhoc_profile
from kview.core.find.partitioner import partition_for_key
from kview.ui.panes.tail import TailPane
from kview.ui.panes.topics import TopicsPane
from kview.ui.screens.find import FindScreen
from kview.ui.widgets.record_detail import RecordDetail

SIZE = (80, 24)


async def fill(kafka, topic: str) -> list[tuple[str, str]]:
    """3 partitions; 60 keyed records (keys order-0 .. order-5)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1)])
    finally:
        await admin.close()
    records = [(f"order-{i % 6}", f'{{"n":{i},"state":"{"PAID" if i % 4 else "FAILED"}"}}') for i in range(60)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        for key, value in records:
            # The partition Kafka's default partitioner gives the key, set explicitly.
            await producer.send_and_wait(
                topic, value=value.encode(), key=key.encode(), partition=partition_for_key(key.encode(), 3)
            )
    finally:
        await producer.stop()
    return records


def make_test_app(kafka):
    return make_app(Config(), replace(adhoc_profile(kafka.bootstrap), refresh_interval=0.5))


async def open_find_from_topics(pilot, topic: str) -> FindScreen:
    await pilot.press("2")
    pane = pilot.app.query_one(TopicsPane)
    await wait_for(
        pilot,
        lambda: pane.topics_snapshot is not None and pane.topics_snapshot.topic(topic) is not None or pane.poll_now(),
        what=f"{topic} listed",
    )
    await pilot.press("slash", *topic, "enter")
    await wait_for(pilot, lambda: pane.operation_topic() == topic, what=f"{topic} selected")
    await pilot.press("f")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FindScreen), what="the find dialog")
    return pilot.app.screen


async def test_key_search_detail_and_export(kafka, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    topic = f"find-ui-{uuid.uuid4().hex[:6]}"
    records = await fill(kafka, topic)
    app = make_test_app(kafka)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_find_from_topics(pilot, topic)
        assert f"Find in {topic}" in screen_text(app)
        await pilot.press(*"order-4", "enter")  # the key field has focus; enter searches
        await wait_for(pilot, lambda: screen.result is not None, what="the search to end")
        partition = partition_for_key(b"order-4", 3)
        expected = [value for key, value in records if key == "order-4"]
        assert [r.value.decode() for r in screen.matches] == expected
        text = screen_text(app)
        assert f"{len(expected)} matches · key in partition {partition} · whole window read" in text
        assert "read whole" in text  # the account row of the partition
        account = app.screen.query_one("#find-account", DataTable)
        assert account.row_count == 1

        # enter on a match: the record detail; esc back to the list.
        await pilot.press("down", "enter")
        detail = app.screen.query_one(RecordDetail)
        await wait_for(pilot, lambda: detail.display, what="the detail")
        assert f"partition {partition}  offset {screen.matches[1].offset}" in screen_text(app)
        assert '"n": ' in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not detail.display, what="the list again")

        # x: export every match.
        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen is not screen, what="the export dialog")
        path = tmp_path / "found.jsonl"
        field = app.screen.query_one("#export-path", Input)
        field.value = str(path)
        await pilot.press("enter")
        await wait_for(pilot, lambda: path.exists(), what="the export file")
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert [line["value"] for line in lines] == expected

        # A bad time: one line in the dialog, which stays.
        app.screen.query_one("#find-from", Input).value = "yesterdayish"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "from: 'yesterdayish'" in screen_text(app), what="the error line")
        assert isinstance(app.screen, FindScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, FindScreen), what="the dialog closed")


async def test_an_unlimited_search_lists_the_first_matches_and_counts_all(kafka, monkeypatch):
    import kview.ui.screens.find as find_screen

    monkeypatch.setattr(find_screen, "SHOWN_MATCHES", 4)
    topic = f"find-ui-many-{uuid.uuid4().hex[:6]}"
    records = await fill(kafka, topic)
    paid = sum(1 for _key, value in records if "PAID" in value)
    app = make_test_app(kafka)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_find_from_topics(pilot, topic)
        screen.query_one("#find-filter", Input).value = "PAID"
        screen.query_one("#find-limit", Input).value = ""  # no limit
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.result is not None, what="the search to end")
        assert len(screen.matches) == screen.query_one("#find-matches", DataTable).row_count == 4
        assert screen.result.matched == paid and screen.result.complete
        assert f"{paid} matches (first 4 listed) · whole window read" in screen_text(app)


async def test_from_the_tail_with_its_filter(kafka):
    topic = f"find-ui-tail-{uuid.uuid4().hex[:6]}"
    records = await fill(kafka, topic)
    app = make_test_app(kafka)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        topics = app.query_one(TopicsPane)
        await wait_for(
            pilot,
            lambda: (
                topics.topics_snapshot is not None
                and topics.topics_snapshot.topic(topic) is not None
                or topics.poll_now()
            ),
            what=f"{topic} listed",
        )
        await pilot.press("slash", *topic, "enter")
        await wait_for(pilot, lambda: topics.operation_topic() == topic, what=f"{topic} selected")
        await pilot.press("t")  # the tail on the topic
        await wait_for(pilot, lambda: bool(app.query(TailPane)), what="the tail pane")
        pane = app.query_one(TailPane)
        await wait_for(pilot, lambda: pane.topic == topic and pane.tail is not None, what="the tail on the topic")
        await pilot.press("slash", *"FAILED", "enter")
        await wait_for(pilot, lambda: pane.filter is not None, what="the tail's filter")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FindScreen), what="the find dialog")
        screen = app.screen
        assert screen.query_one("#find-filter", Input).value == "FAILED"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.result is not None, what="the search to end")
        expected = sorted((value for _key, value in records if "FAILED" in value), key=lambda v: json.loads(v)["n"])
        assert sorted((r.value.decode() for r in screen.matches), key=lambda v: json.loads(v)["n"]) == expected
        assert screen.result.complete and screen.result.needle == b"FAILED"
        assert "whole window read: 60 records in 60 offsets" in screen_text(app)


async def test_copy_what_a_key_search_matched(kafka):
    """C in the dialog: the copy dialog with the search's key as an exact key
    filter; its count (a dry run) equals the search's matches, and the copy
    writes exactly those records (read back with a plain consumer)."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    from kview.ui.screens.copy_records import CopyRecordsScreen

    topic = f"find-ui-copy-{uuid.uuid4().hex[:6]}"
    target = f"{topic}-target"
    records = await fill(kafka, topic)
    # A key that begins with the searched one, in its own partition: the
    # copy's key filter is exact, so it is not taken.
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"n":99}', b"order-10", partition=partition_for_key(b"order-10", 3))
    finally:
        await producer.stop()
    await asyncio.to_thread(kafka.run_tool, "kafka-topics", "--create", "--topic", target, "--partitions", "3")
    app = make_test_app(kafka)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_find_from_topics(pilot, topic)
        await pilot.press(*"order-1", "enter")
        await wait_for(pilot, lambda: screen.result is not None, what="the search to end")
        expected = [value for key, value in records if key == "order-1"]
        assert [r.value.decode() for r in screen.matches] == expected
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CopyRecordsScreen), what="the copy dialog")
        dialog = app.screen
        assert dialog.query_one("#copy-filter", Input).value == "key:/^order\\-1\\Z/"
        dialog.query_one("#copy-target", Input).value = target
        await pilot.press("ctrl+s")  # Count: a dry run
        await wait_for(
            pilot, lambda: f"Copy {len(expected)} records" in screen_text(app), what="the count of the dry run"
        )
        await pilot.press("ctrl+s")  # the copy
        await wait_for(pilot, lambda: dialog.result is not None, what="the copy to end")
        assert dialog.result.ok
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, FindScreen), what="back in the find dialog")

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(target, p) for p in range(3)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        copied = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                copied.extend((r.key.decode(), r.value.decode()) for r in batch)
    finally:
        await consumer.stop()
    assert sorted(copied) == sorted(("order-1", value) for value in expected)


async def test_copy_from_a_search_is_refused_read_only(kafka):
    topic = f"find-ui-ro-{uuid.uuid4().hex[:6]}"
    await fill(kafka, topic)
    app = make_app(Config(), replace(adhoc_profile(kafka.bootstrap), refresh_interval=0.5, read_only=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_find_from_topics(pilot, topic)
        await pilot.press(*"order-1", "enter")
        await wait_for(pilot, lambda: screen.result is not None, what="the search to end")
        await pilot.press("C")
        await wait_for(pilot, lambda: "read-only mode: 'copy records'" in screen_text(app), what="the refusal")
        assert app.screen is screen
