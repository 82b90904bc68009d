"""The tail pane on registry-framed records: the real app, headless, on the
real broker and the real registry (Apicurio, started by the harness).

Records are framed as Confluent's serializers frame them (fastavro and the
registry's REST API, nothing of kview's); the screen must show them decoded,
the record detail must say which schema decoded them and show the raw bytes
on ``r``, a JSON predicate on a decoded field must filter the list, a record
that cannot be decoded must show its bytes with a mark, and the header must
say when the registry is unreachable (and stop saying it once it is back)."""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import replace

import fastavro
import pytest
from aiokafka import AIOKafkaProducer
from registry_tools import framed, register, unique
from screen_text import screen_rows, screen_text, wait_for
from textual.widgets import Checkbox

from kview.app import make_app
from kview.core.config import Config, RegistrySettings, adhoc_profile
from kview.core.export import read_jsonl
from kview.core.tail import RUNNING
from kview.local import registry as local_registry
from kview.local.cluster import free_port
from kview.local.registry import DevRegistry
from kview.ui.messages import TailTopic
from kview.ui.panes.tail import TailPane
from kview.ui.screens.tail_start import ExportScreen, TailStartScreen
from kview.ui.widgets.cluster_header import ClusterHeader
from kview.ui.widgets.record_detail import RecordDetail
from kview.ui.widgets.tail_view import PROBLEM_MARK

pytestmark = pytest.mark.timeout(300)

PAYMENT = {
    "type": "record",
    "name": "Payment",
    "namespace": "kview.ui",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "amount", "type": "double"},
        {"name": "currency", "type": "string"},
    ],
}
UNKNOWN_ID = 2_000_000_011


def framed_payment(schema_id: int, value: dict) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(PAYMENT), value)
    return framed(schema_id, out.getvalue())


def payment(i: int) -> dict:
    return {"id": i, "amount": float(i % 25), "currency": ("EUR", "USD")[i % 2]}


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=b"k%d" % i, partition=0) for i, value in enumerate(values)]
        for future in futures:
            await future
    finally:
        await producer.stop()


def create_topic(kafka, name: str) -> None:
    kafka.run_tool("kafka-topics", "--create", "--topic", name, "--partitions", "1", "--replication-factor", "1")


def app_with_registry(kafka, url: str, timeout: float = 5.0):
    profile = replace(adhoc_profile(kafka.bootstrap), schema_registry=RegistrySettings(urls=(url,), timeout=timeout))
    return make_app(Config(), profile)


def pane(app) -> TailPane:
    return app.query_one(TailPane)


async def open_tail(pilot, topic: str) -> TailPane:
    app = pilot.app
    app.post_message(TailTopic(topic, None))
    await wait_for(
        pilot,
        lambda: app.query(TailPane) and pane(app).tail is not None and pane(app).tail.status.state == RUNNING,
        what="tail running",
    )
    return pane(app)


def decoded_ids(app) -> list[int]:
    """The ``id`` fields of the decoded values on screen, top to bottom."""
    return [int(m.group(1)) for row in screen_rows(app) if (m := re.search(r'\{"id": ?(\d+)', row))]


# -- the list, the detail, the raw bytes ----------------------------------------------------


async def test_a_decoded_avro_tail_its_detail_and_the_raw_bytes(kafka, registry, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    subject = f"{topic}-value"
    schema_id = register(registry.url, subject, unique(PAYMENT, topic))
    values = [framed_payment(schema_id, payment(i)) for i in range(30)] + [
        b"\x00" + UNKNOWN_ID.to_bytes(4, "big") + b"\x02\x04"
    ]
    await produce(kafka.bootstrap, topic, values)
    app = app_with_registry(kafka, registry.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic))
        tail_pane = await open_tail(pilot, topic)
        await wait_for(pilot, lambda: tail_pane.tail.ring.seen == len(values), what="every record read")
        # Decoded values as compact JSON, newest at the bottom, in order.
        await wait_for(pilot, lambda: 29 in decoded_ids(app), what="decoded values on screen")
        shown = decoded_ids(app)
        assert shown == list(range(shown[0], 30)) and len(shown) >= 10
        rows = [row for row in screen_rows(app) if re.search(r'\{"id": ?29\b', row)]
        assert len(rows) == 1 and re.search(r'"amount": ?4(\.0)?,', rows[0]), rows  # payment(29)["amount"] == 4.0
        # The ids met, for the topic detail (ClusterServices.schemas_seen).
        assert set(app.services.schemas_seen[topic]) == {schema_id}
        # The record that did not decode: its bytes, after the mark.
        last = [row for row in screen_rows(app) if PROBLEM_MARK.strip() in row]
        assert len(last) == 1 and "k30" in last[0]

        # The detail of a decoded record: the schema that decoded it, the value pretty.
        await pilot.press("up")  # leave follow: from the last record (offset 30) one up
        record = tail_pane.lines.selected_record()
        assert record is not None and record.offset == 29
        await pilot.press("enter")
        await wait_for(pilot, lambda: tail_pane.detail_open, what="detail open")
        detail = app.query_one(RecordDetail)
        text = screen_text(app)
        # The schema line (cut at 80 columns: the whole of it is in the body's text).
        assert re.search(rf"Schema +id {schema_id} · AVRO · {subject[:20]}", text), text
        assert f"Schema     id {schema_id} · AVRO · {subject} v1\n" in detail.body.plain_text()
        assert '"currency": "USD"' in text and '"id": 29' in text  # pretty: one field a line
        # r: the bytes Kafka holds, as hex (the magic byte and the id first).
        await pilot.press("r")
        await wait_for(pilot, lambda: detail.raw and "raw bytes" in screen_text(app), what="raw shown")
        id_hex = " ".join(f"{b:02x}" for b in schema_id.to_bytes(4, "big"))
        assert f"00 {id_hex}" in screen_text(app)
        await pilot.press("r")
        await wait_for(pilot, lambda: not detail.raw and '"id": 29' in screen_text(app), what="decoded again")
        assert "r" in {b.key for b in detail.BINDINGS if getattr(b, "id", None) == "detail.raw"}
        assert "Raw bytes" in screen_text(app)  # in the footer
        await pilot.press("escape")
        await wait_for(pilot, lambda: not tail_pane.detail_open)

        # The undecoded record's detail says why, in one line.
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: tail_pane.detail_open)
        assert tail_pane.lines.selected_record().offset == 30
        assert "not decoded:" in screen_text(app) and str(UNKNOWN_ID) in screen_text(app)


async def test_a_filter_on_a_decoded_field_and_its_export(kafka, registry, unique_name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the export modal proposes a file in the current directory
    topic = unique_name
    create_topic(kafka, topic)
    schema_id = register(registry.url, f"{topic}-value", unique(PAYMENT, topic))
    written = [payment(i) for i in range(60)]
    await produce(kafka.bootstrap, topic, [framed_payment(schema_id, v) for v in written])
    app = app_with_registry(kafka, registry.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic))
        tail_pane = await open_tail(pilot, topic)
        await wait_for(pilot, lambda: tail_pane.tail.ring.seen == len(written))
        await pilot.press("slash", *'.amount > 20 and .currency == "EUR"', "enter")
        expected = [v["id"] for v in written if v["amount"] > 20 and v["currency"] == "EUR"]
        assert expected  # not vacuous
        await wait_for(pilot, lambda: decoded_ids(app) == expected, what="only the matching records")
        assert f"matched {len(expected)}/{len(written)}" in screen_text(app)

        # Export what the filter shows: decoded JSON, the schema, and (on by
        # default when decoding) the raw bytes, which read back exactly.
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="export modal")
        assert "raw bytes too" in screen_text(app)
        assert app.screen.query_one("#export-raw", Checkbox).value is True
        await pilot.press("enter")
        await wait_for(pilot, lambda: list(tmp_path.glob("kview-*.jsonl")), what="export file")
    [path] = list(tmp_path.glob("kview-*.jsonl"))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [json.loads(line["value"]) for line in lines] == [v for v in written if v["id"] in expected]
    assert {line["value_schema"]["id"] for line in lines} == {schema_id}
    assert [r.value for r in read_jsonl(path)] == [framed_payment(schema_id, written[i]) for i in expected]


# -- the start modal's decodings ------------------------------------------------------------


async def test_the_start_modal_offers_decodings_and_none_shows_the_bytes(kafka, registry, unique_name):
    topic = unique_name
    create_topic(kafka, topic)
    schema_id = register(registry.url, f"{topic}-value", unique(PAYMENT, topic))
    await produce(kafka.bootstrap, topic, [framed_payment(schema_id, payment(i)) for i in range(5)])
    app = app_with_registry(kafka, registry.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic))
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, TailStartScreen), what="start modal")
        assert "Key decoding" in screen_text(app) and "Value decoding" in screen_text(app)
        modal = app.screen
        modal.query_one("#tail-value-decoding").value = "none"
        await pilot.pause()
        await pilot.press(*topic, "enter")
        tail_pane = pane(app)
        await wait_for(pilot, lambda: tail_pane.tail is not None and tail_pane.tail.ring.seen == 5)
        assert tail_pane.value_decoding == "none"
        await wait_for(pilot, lambda: len([r for r in screen_rows(app) if re.search(r"\bk4\b", r)]) == 1)
        assert not decoded_ids(app) and all(not hasattr(r, "value_schema") for r in tail_pane.tail.ring.range())


async def test_without_a_registry_the_start_modal_has_no_decodings(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, TailStartScreen), what="start modal")
        assert "Tail a topic" in screen_text(app) and "decoding" not in screen_text(app)


# -- the header -------------------------------------------------------------------------------


async def test_the_header_says_when_the_registry_is_unreachable_and_when_it_is_back(kafka, unique_name, monkeypatch):
    # A registry of the test's own on a port chosen here: started, stopped
    # (unreachable), started again on the same port (back).
    topic = unique_name
    create_topic(kafka, topic)
    port = free_port()
    monkeypatch.setattr(local_registry, "free_port", lambda: port)
    own = DevRegistry()
    own.start()
    try:
        schema_id = register(own.url, f"{topic}-value", unique(PAYMENT, topic))
        url = own.url
        own.stop()
        app = app_with_registry(kafka, url, timeout=2.0)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic))
            header = app.query_one(ClusterHeader)
            assert "registry" not in header.text  # nothing asked yet: nothing to say
            tail_pane = await open_tail(pilot, topic)
            await produce(kafka.bootstrap, topic, [framed_payment(schema_id, payment(i)) for i in range(3)])
            await wait_for(pilot, lambda: tail_pane.tail.ring.seen == 3, what="records read (raw)")
            await wait_for(pilot, lambda: "registry unreachable" in header.text, what="header says unreachable")
            assert "registry unreachable" in screen_rows(app)[0]
            assert all(r.value_problem for r in tail_pane.tail.ring.range())
            assert PROBLEM_MARK.strip() in screen_text(app)

            own.start()  # the same port: the profile's URL answers again
            schema_id = register(own.url, f"{topic}-value", unique(PAYMENT, topic))
            # The client retries after its backoff; a record with the id asks again.
            deadline = time.monotonic() + 120
            sent = 3
            while "registry unreachable" in header.text:
                assert time.monotonic() < deadline, "the header never recovered"
                await produce(kafka.bootstrap, topic, [framed_payment(schema_id, payment(sent))])
                sent += 1
                await pilot.pause(1.0)
            await wait_for(pilot, lambda: sent - 1 in decoded_ids(app), what="decoded once the registry is back")
            assert "unreachable" not in screen_rows(app)[0]
    finally:
        own.stop()
