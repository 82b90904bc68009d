"""Producing with a schema from the producer pane, driven by key presses in
the real app on the real broker and the real registry: the schema chosen in
the settings, its subject, version and id shown in the pane, a valid record
sent and decoded by Confluent's AvroDeserializer, and a record that does not
fit refused with its field path on screen and nothing sent
(kafka-get-offsets)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re

from aiokafka import AIOKafkaConsumer, TopicPartition
from confluent_kafka.schema_registry import Schema as ConfluentSchema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_tools import parse_get_offsets
from screen_text import screen_text, wait_for

from kview.app import make_app
from kview.core.config import Config, RegistrySettings, adhoc_profile

ORDER_AVRO = {
    "type": "record",
    "name": "Order",
    "namespace": "kview.ui",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "item", "type": "string"},
        {"name": "qty", "type": "int", "default": 1},
    ],
}


def flat_text(app) -> str:
    """The screen's words in one line: wrapped lines joined, modal borders dropped."""
    return " ".join(re.sub("[█▀▄▌▐│╭╮╰╯─]", " ", screen_text(app, flat=True)).split())


def end_offsets(kafka, topic: str) -> dict[int, int]:
    found = parse_get_offsets(kafka.run_tool("kafka-get-offsets", "--topic", topic).stdout)
    return {partition: offset for (name, partition), offset in found.items() if name == topic}


async def raw_values(kafka, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        found: list[bytes] = []
        async with asyncio.timeout(60):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(r.value for r in records)
        return found
    finally:
        await consumer.stop()


def focused_id(app) -> str | None:
    return app.focused.id if app.focused is not None else None


async def focus(pilot, widget_id: str) -> None:
    """Move the focus with tab until it reaches the widget (as a user would)."""
    for _ in range(40):
        if focused_id(pilot.app) == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached #{widget_id}; focused: {focused_id(pilot.app)}")


async def type_text(pilot, text: str) -> None:
    await pilot.press(*["enter" if ch == "\n" else ch for ch in text])


async def send_and_wait(pilot, pane) -> str:
    before = str(pane.query_one("#producer-result").content)
    await pilot.press("ctrl+s")

    def answered() -> bool:
        now = str(pane.query_one("#producer-result").content)
        return now != before and "sending" not in now

    await wait_for(pilot, answered, what="a send result")
    return str(pane.query_one("#producer-result").content)


async def choose_value_schema(pilot, pane) -> None:
    """ctrl+t, Value as: schema, the subject left empty (<topic>-value), apply."""
    app = pilot.app
    await pilot.press("ctrl+t")
    await wait_for(pilot, lambda: "Producer settings" in flat_text(app), what="settings modal")
    await focus(pilot, "settings-value-encoding")
    await pilot.press("enter", "down", "enter")
    await wait_for(pilot, lambda: not app.screen.query_one("#settings-value-subject").disabled, what="subject field")
    await focus(pilot, "settings-value-subject")
    await pilot.press("enter")  # applies
    await wait_for(pilot, lambda: app.screen is pane.screen, what="settings closed")


def make_topic_and_schema(kafka, registry, topic: str) -> tuple[SchemaRegistryClient, int]:
    kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1")
    sr = SchemaRegistryClient({"url": registry.url})
    return sr, sr.register_schema(f"{topic}-value", ConfluentSchema(json.dumps(ORDER_AVRO), "AVRO"))


def schema_app(kafka, registry):
    profile = dataclasses.replace(
        adhoc_profile(kafka.bootstrap), refresh_interval=1.0, schema_registry=RegistrySettings(urls=(registry.url,))
    )
    return make_app(Config(), profile)


async def open_producer(pilot, topic: str):
    app = pilot.app
    await wait_for(pilot, lambda: app.snapshot is not None, what="first snapshot")
    await pilot.press("6")
    await wait_for(pilot, lambda: app.active_pane_id == "producer", what="producer pane")
    await focus(pilot, "producer-topic")
    await type_text(pilot, topic)
    return app.active_pane()


async def test_choose_a_schema_send_a_record_and_have_an_invalid_one_refused(kafka, registry, unique_name):
    topic = unique_name
    sr, schema_id = make_topic_and_schema(kafka, registry, topic)
    app = schema_app(kafka, registry)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_producer(pilot, topic)
        await focus(pilot, "producer-key")
        await type_text(pilot, "order-1")

        # The settings: the value written with a schema; no subject typed is <topic>-value.
        await choose_value_schema(pilot, pane)

        # The pane says what it writes with: subject, version, id.
        written = f"Schema: value {topic}-value v1 (id {schema_id}, Avro)"
        await wait_for(pilot, lambda: written in flat_text(app), what="the schema line")

        await focus(pilot, "producer-value")
        await type_text(pilot, '{"id": 42, "item": "lamp"}')
        await wait_for(pilot, lambda: "✓ fits" in flat_text(app), what="the live schema check")
        result = await send_and_wait(pilot, pane)
        assert "offset 0" in result and f"id {schema_id}" in result, result

        # A record that does not fit: refused, the field path on screen, nothing sent.
        await pilot.press("home", "ctrl+k")
        await type_text(pilot, '{"id": "forty-two", "item": "lamp"}')
        result = await send_and_wait(pilot, pane)
        assert result.startswith("✗ nothing sent: value does not fit"), result
        assert "$.id: " in result, result  # the field path, then the reason
        screen = flat_text(app)
        assert "nothing sent: value does not fit" in screen and f"{topic}-value v1" in screen
        assert "$.id: " in screen.split("nothing sent: value does not fit", 1)[1]
        await pilot.press("escape")
    assert end_offsets(kafka, topic) == {0: 1}
    (value,) = await raw_values(kafka, topic, 1)
    context = SerializationContext(topic, MessageField.VALUE)
    assert AvroDeserializer(sr)(value, context) == {"id": 42, "item": "lamp", "qty": 1}


async def test_import_with_a_schema_shows_and_refuses_the_record_that_does_not_fit(
    kafka, registry, unique_name, tmp_path
):
    topic = unique_name
    make_topic_and_schema(kafka, registry, topic)
    path = tmp_path / "orders.jsonl"
    rows = [{"id": 1, "item": "a"}, {"id": 2, "item": 7}, {"id": 3, "item": "c"}]
    path.write_text("".join(json.dumps({"value": row}) + "\n" for row in rows))
    app = schema_app(kafka, registry)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_producer(pilot, topic)
        await choose_value_schema(pilot, pane)
        await wait_for(pilot, lambda: f"Schema: value {topic}-value v1" in flat_text(app), what="the schema line")
        await pilot.press("escape", "ctrl+o")
        await wait_for(pilot, lambda: "Import messages from a file" in flat_text(app), what="import modal")
        await type_text(pilot, str(path))
        # The preview encodes the first records: line 2 is shown bad, with its field path.
        await wait_for(pilot, lambda: "bad lines: line 2: value does not fit" in flat_text(app), what="preview")
        assert "$.item: " in flat_text(app).split("bad lines: line 2", 1)[1]
        await pilot.press("enter")  # start: the whole file is refused
        await wait_for(pilot, lambda: "nothing sent" in flat_text(app), what="the refusal")
        refusal = str(app.screen.query_one("#job-problem").content)
        assert "1 bad line(s), nothing sent: line 2: value does not fit" in refusal and "$.item" in refusal
    assert end_offsets(kafka, topic) == {0: 0}
