"""The copy / redrive dialog in the real app at 80x24 on the real broker,
driven with keys from the tail and the topic detail: Count is a dry run
(nothing sent), the button then offers to copy that many, the copy's
summary is on screen, and the target holds the records (read back with a
plain consumer and compared with what was produced).  Refused in
read-only mode; a redrive with headers stripped."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import replace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from screen_text import screen_text, wait_for

from kview.app import make_app
from kview.core.config import Config, adhoc_profile
from kview.core.readonly import refuse_message
from kview.ui.messages import TailTopic
from kview.ui.panes.tail import TailPane
from kview.ui.screens.copy_records import CopyRecordsScreen, build_copy_spec


def on_screen(app, text: str) -> bool:
    squeeze = lambda s: re.sub(r"[\s\u2500-\u259f▊▎▔▁▼]+", "", s)  # noqa: E731
    return squeeze(text) in squeeze(screen_text(app))


async def topics(kafka, *names: str, partitions: int = 1) -> None:
    for name in names:
        await asyncio.to_thread(
            kafka.run_tool, "kafka-topics", "--create", "--topic", name, "--partitions", str(partitions)
        )


async def produce(kafka, topic: str, records) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send(topic, value, key, partition=0, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


async def contents(kafka, topic: str) -> list[tuple]:
    """(key, value, headers) of every record of partition 0, read with a plain consumer."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    seen: list[tuple] = []
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        while await consumer.position(tp) < end:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen += [(r.key, r.value, tuple(r.headers)) for r in records]
    finally:
        await consumer.stop()
    return seen


def app_for(kafka, *, read_only: bool = False):
    return make_app(Config(), replace(adhoc_profile(kafka.bootstrap), read_only=read_only, refresh_interval=0.5))


async def open_tail(pilot, topic: str) -> None:
    app = pilot.app
    app.post_message(TailTopic(topic, None))
    await wait_for(pilot, lambda: app.query(TailPane) and app.query_one(TailPane).tail is not None, what="tail")


async def test_copy_from_the_tail_counts_then_copies(kafka):
    tag = uuid.uuid4().hex[:6]
    source, target = f"cp-a-{tag}", f"cp-b-{tag}"
    await topics(kafka, source, target)
    records = [(b"k%d" % i, b'{"n": %d}' % i, [("h", b"x")]) for i in range(30)]
    await produce(kafka, source, records)
    app = app_for(kafka)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_tail(pilot, source)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CopyRecordsScreen), what="the copy dialog")
        form = app.screen
        for field, text in (
            ("#copy-target", target),
            ("#copy-start", "5"),
            ("#copy-end", "25"),
            ("#copy-filter", ".n >= 10"),
        ):
            form.query_one(field).focus()
            await pilot.press(*text)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.count_result is not None, what="the count")
        # Offsets 5..24 of which n >= 10: 15 records; nothing sent yet.
        assert form.count_result.matched == 15 and form.count_result.scanned == 20
        assert on_screen(app, f"15 of 20 record(s) in the window match → {target} 15")
        assert on_screen(app, "Copy 15 records")
        assert await contents(kafka, target) == []
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.result is not None, what="the copy")
        assert on_screen(app, "✓ sent 15 of 15 matched · failed 0")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CopyRecordsScreen), what="the dialog closed")
        await wait_for(pilot, lambda: on_screen(app, "sent 15 of 15 matched record(s)"), what="the notice")
    wanted = [(k, v, (("h", b"x"),)) for k, v, _h in records[10:25]]
    assert await contents(kafka, target) == wanted


async def test_redrive_from_the_topic_detail_strips_headers(kafka):
    tag = uuid.uuid4().hex[:6]
    dlq, home = f"rd-dlq-{tag}", f"rd-home-{tag}"
    await topics(kafka, dlq, home)
    await produce(kafka, dlq, [(None, b"r%d" % i, [("__connect.errors.topic", home.encode())]) for i in range(4)])
    app = app_for(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(dlq), what="snapshot")
        await pilot.press("2")
        await wait_for(pilot, lambda: app.active_pane_id == "topics", what="topics")
        await pilot.press("slash", *dlq, "enter")
        await wait_for(pilot, lambda: app.active_pane().operation_topic() == dlq, what="topic selected")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "topic-detail", what="topic detail")
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CopyRecordsScreen), what="the dialog")
        form = app.screen
        form.query_one("#copy-mode").value = "redrive"
        await wait_for(pilot, lambda: on_screen(app, f"Redrive records of '{dlq}'"), what="redrive mode")
        form.query_one("#keep-headers").value = False
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.count_result is not None, what="the count")
        assert form.count_result.targets == {home: 4}
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.result is not None, what="the redrive")
        assert on_screen(app, "✓ sent 4 of 4 matched")
    assert await contents(kafka, home) == [(None, b"r%d" % i, ()) for i in range(4)]


async def test_copy_is_refused_in_read_only_mode(kafka):
    tag = uuid.uuid4().hex[:6]
    source = f"cp-ro-{tag}"
    await topics(kafka, source)
    app = app_for(kafka, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_tail(pilot, source)
        await pilot.press("C")
        await wait_for(pilot, lambda: on_screen(app, refuse_message("copy records")), what="the refusal")
        assert len(app.screen_stack) == 1


def test_form_problems_name_their_field():
    spec, problems = build_copy_spec("a", "copy", "", "", "soon", "", "(", "chosen", "", (True, True, True), "0")
    assert spec is None
    assert set(problems) == {"target", "start", "filter", "partitioning", "rate"}
    spec, problems = build_copy_spec("a", "redrive", "", "h", "", "", "", "key", "", (True, False, True), "")
    assert problems == {} and spec is not None and spec.redrive_header == "h" and not spec.keep_headers
