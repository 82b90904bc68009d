"""The tail pane: the real app, headless, on the real single-broker cluster.

Records are produced with aiokafka while the app tails; what the screen shows
is compared with what was produced, and exports and offsets with what Kafka's
own kafka-console-consumer prints.  The pure parts (the start modal's
parsers, the column layout, the detail's lines) are tested without Kafka."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import subprocess
import weakref
from datetime import datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from screen_text import screen_rows, screen_text, wait_for

from kview.app import make_app
from kview.core.config import Config, adhoc_profile
from kview.core.export import read_jsonl
from kview.core.filters import parse_filter
from kview.core.ring import make_record
from kview.core.tail import RUNNING, StartPosition
from kview.core.untrack import READ_GC_THRESHOLD0, GcWhileReading
from kview.ui.messages import TailTopic
from kview.ui.panes.tail import TailPane, _fit_parts, short_count
from kview.ui.screens.tail_start import (
    ExportScreen,
    TailStartScreen,
    parse_offsets,
    parse_partition,
    parse_start,
    parse_when,
)
from kview.ui.widgets.record_detail import detail_lines
from kview.ui.widgets.tail_view import FrozenSource, columns_for, header_line

pytestmark = pytest.mark.timeout(300)

# -- helpers ----------------------------------------------------------------------------------


def create_topic(kafka, name: str, partitions: int = 1) -> None:
    kafka.run_tool(
        "kafka-topics", "--create", "--topic", name, "--partitions", str(partitions), "--replication-factor", "1"
    )


async def produce(bootstrap: str, topic: str, records, partition: int | None = 0) -> None:
    """records: (key, value, headers) tuples, sent in order."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key=key, headers=list(headers) or None, partition=partition)
            for key, value, headers in records
        ]
        for future in futures:
            await future
    finally:
        await producer.stop()


def console_records(kafka, topic: str, count: int) -> list[tuple[int, int, str | None, str]]:
    """(partition, offset, key, value) of every record, as kafka-console-consumer prints them."""
    argv = kafka.tool_command(
        "kafka-console-consumer",
        "--bootstrap-server",
        kafka.bootstrap,
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        str(count),
        "--timeout-ms",
        "10000",
        "--formatter-property",
        "print.key=true",
        "--formatter-property",
        "print.offset=true",
        "--formatter-property",
        "print.partition=true",
        "--formatter-property",
        "key.separator=|",
        "--formatter-property",
        "null.literal=<<NULL>>",
    )
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120).stdout
    rows = []
    for line in out.splitlines():
        partition, offset, key, value = line.split("|", 3)
        rows.append(
            (
                int(partition.removeprefix("Partition:")),
                int(offset.removeprefix("Offset:")),
                None if key == "<<NULL>>" else key,
                value,
            )
        )
    return sorted(rows)


def groups(kafka) -> set[str]:
    out = kafka.run_tool("kafka-consumer-groups", "--list").stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def pane(app) -> TailPane:
    return app.query_one(TailPane)


def record_rows(app, marker: str) -> list[tuple[int, str]]:
    """(screen row number, text) of the rows showing a value containing ``marker``."""
    return [(i, row) for i, row in enumerate(screen_rows(app)) if marker in row]


async def open_tail(pilot, topic: str, partition: int | None = None) -> TailPane:
    """Tail ``topic`` the way another pane asks for it (TailTopic), wait until running."""
    app = pilot.app
    app.post_message(TailTopic(topic, partition))
    await wait_for(
        pilot,
        lambda: app.query(TailPane) and pane(app).tail is not None and pane(app).tail.status.state == RUNNING,
        what="tail running",
    )
    return pane(app)


def new_app(kafka):
    return make_app(Config(), adhoc_profile(kafka.bootstrap))


# -- follow -------------------------------------------------------------------------------------


async def test_start_modal_then_follow_shows_new_records_at_the_bottom(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(unique_name))
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, TailStartScreen), what="start modal")
        await pilot.press(*unique_name, "enter")
        tail_pane = pane(app)
        await wait_for(pilot, lambda: tail_pane.tail is not None and tail_pane.tail.status.state == RUNNING)
        assert "FOLLOWING" in screen_text(app)
        await produce(
            kafka.bootstrap, unique_name, [(f"k{i}".encode(), f"follow-{i:03d}".encode(), ()) for i in range(60)]
        )
        await wait_for(pilot, lambda: record_rows(app, "follow-059"), what="newest record on screen")
        rows = screen_rows(app)
        shown = [(i, int(m.group(1))) for i, row in enumerate(rows) if (m := re.search(r"follow-(\d{3})", row))]
        # Newest at the bottom, in order, consecutive, up to the last one produced.
        assert [n for _, n in shown] == list(range(shown[0][1], 60))
        assert len(shown) >= 15
        # The newest is the last record row: below it only the status line (and footer).
        last_row = shown[-1][0]
        assert "FOLLOWING" in "".join(rows[last_row + 1 :])
        # Offsets on screen are the records' offsets (one partition: offset == index).
        assert re.search(r"\b59\b", rows[last_row]) and "k59" in rows[last_row]
        # More records keep arriving at the bottom while following.
        await produce(kafka.bootstrap, unique_name, [(None, f"follow-{i:03d}".encode(), ()) for i in range(60, 70)])
        await wait_for(pilot, lambda: record_rows(app, "follow-069"))
        assert record_rows(app, "follow-069")[0][0] == last_row
        assert not record_rows(app, "follow-000")


async def test_a_pause_holds_the_ring_and_counts_what_it_skips(kafka, unique_name):
    # While the view is paused the full ring keeps what it has (Tail.hold):
    # the records read meanwhile are counted as skipped, not kept, so a
    # pause never keeps more than one ring's worth of records alive.
    create_topic(kafka, unique_name)
    app = make_app(Config(ring_capacity=100), adhoc_profile(kafka.bootstrap))
    async with app.run_test(size=(80, 24)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        tail = tail_pane.tail
        await produce(kafka.bootstrap, unique_name, [(None, f"old-{i:03d}".encode(), ()) for i in range(100)])
        await wait_for(pilot, lambda: record_rows(app, "old-099") and tail.stats().kept == 100)
        await pilot.press("space")
        await wait_for(pilot, lambda: "PAUSED" in screen_text(app))
        shown = [row for _, row in record_rows(app, "old-")]
        held = tail.ring.range()
        await produce(kafka.bootstrap, unique_name, [(None, f"new-{i:03d}".encode(), ()) for i in range(150)])
        await wait_for(pilot, lambda: tail.stats().seen == 250, what="the tail read every record")
        # The status line (80 columns) counts the skipped records where it shows dropped.
        await wait_for(pilot, lambda: "skipped 150  dropped 0" in screen_text(app), what="skipped on screen")
        stats = tail.stats()
        assert (stats.kept, stats.dropped, stats.skipped) == (100, 0, 150)
        assert stats.positions == {0: 250}  # read on: the next offset moved past every record
        assert all(a is b for a, b in zip(tail.ring.range(), held, strict=True))  # the ring is as it was
        assert [row for _, row in record_rows(app, "old-")] == shown and not record_rows(app, "new-")

        # Filter and search work on the paused view.
        def shown_old() -> list[str]:
            return [m.group(0) for _, row in record_rows(app, "old-") if (m := re.search(r"old-\d{3}", row))]

        await pilot.press("slash", *"old-04", "enter")
        await wait_for(
            pilot, lambda: shown_old() == [f"old-{i:03d}" for i in range(40, 50)], what="filter on the paused view"
        )
        await pilot.press("g", "s", *"old-045", "enter")  # from the oldest shown, forward
        await wait_for(
            pilot,
            lambda: (
                tail_pane.lines.selected_record() is not None and tail_pane.lines.selected_record().value == b"old-045"
            ),
            what="search on the paused view",
        )
        await pilot.press("slash", "escape")  # the filter cleared: every held record again
        await wait_for(pilot, lambda: "matched" not in screen_text(app))
        # Resumed, the ring takes new records again (the skipped ones stay in Kafka).
        await pilot.press("space")
        await wait_for(pilot, lambda: "PAUSED" not in screen_text(app))
        assert "skipped" not in screen_text(app)
        await pilot.press("G")  # the search left the newest out of sight
        await produce(kafka.bootstrap, unique_name, [(None, f"after-{i:03d}".encode(), ()) for i in range(10)])
        await wait_for(pilot, lambda: record_rows(app, "after-009"), what="new records after resuming")
        values = [r.value.decode() for r in tail.ring.range()]
        assert values == [f"old-{i:03d}" for i in range(10, 100)] + [f"after-{i:03d}" for i in range(10)]
        assert tail.stats().dropped == 10 and tail.stats().skipped == 150


async def test_pause_freezes_the_view_while_counters_move(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    thresholds = gc.get_threshold()
    async with app.run_test(size=(100, 30)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        # While tailing the collector runs less often (and the app is frozen out of it) ...
        assert gc.get_threshold()[0] >= READ_GC_THRESHOLD0 and gc.get_freeze_count() > 0
        await produce(kafka.bootstrap, unique_name, [(None, f"before-{i:03d}".encode(), ()) for i in range(20)])
        await wait_for(pilot, lambda: record_rows(app, "before-019"))
        await pilot.press("space")
        await wait_for(pilot, lambda: "PAUSED" in screen_text(app))
        frozen = [row for _, row in record_rows(app, "before-")]
        await produce(kafka.bootstrap, unique_name, [(None, f"during-{i:03d}".encode(), ()) for i in range(30)])
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 50, what="tail kept reading")
        await wait_for(pilot, lambda: "ring 50" in screen_text(app), what="counters on screen")
        assert [row for _, row in record_rows(app, "before-")] == frozen
        assert not record_rows(app, "during-")
        await pilot.press("space")
        await wait_for(pilot, lambda: record_rows(app, "during-029"))
        assert "FOLLOWING" in screen_text(app) and "PAUSED" not in screen_text(app)
    # ... and as it was once the pane is gone.
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0


async def test_batches_leave_cyclic_garbage_to_the_young_collections(kafka, unique_name):
    """Garbage made while a tail runs (Textual's strips hold cycles) goes with the
    ordinary young collections: batches never freeze it away, and the ring's
    records are not in the collector's lists at all."""
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(100, 30)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        probe = weakref.ref(_Cyclic([]))  # garbage from here on, in a cycle
        await produce(kafka.bootstrap, unique_name, [(None, f"gc-{i:03d}".encode(), ()) for i in range(50)])
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 50, what="the batches")
        kept = tail_pane.tail.ring.range()
        assert len(kept) == 50 and not any(gc.is_tracked(record) for record in kept)
        gc.collect(1)  # the young generations only
        assert probe() is None


async def test_scroll_up_leaves_follow_and_G_returns(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tail(pilot, unique_name)
        await produce(kafka.bootstrap, unique_name, [(None, f"row-{i:03d}".encode(), ()) for i in range(100)])
        await wait_for(pilot, lambda: record_rows(app, "row-099"))
        await pilot.press("pageup", "pageup")
        await wait_for(pilot, lambda: "FOLLOWING" not in screen_text(app))
        assert "SCROLLED" in screen_text(app)
        assert not record_rows(app, "row-099")

        # New records do not move a view the user scrolled.
        def shown() -> list[tuple[int, str]]:
            # (screen row, value): the scrollbar's thumb moves, the records must not.
            return [(i, re.search(r"row-\d{3}", row).group()) for i, row in record_rows(app, "row-")]

        before = shown()
        await produce(kafka.bootstrap, unique_name, [(None, f"row-{i:03d}".encode(), ()) for i in range(100, 110)])
        await wait_for(pilot, lambda: pane(app).tail.stats().kept == 110)
        await pilot.pause(0.3)
        assert shown() == before
        await pilot.press("G")
        await wait_for(pilot, lambda: record_rows(app, "row-109") and "FOLLOWING" in screen_text(app))


# -- filter, search, jumps -------------------------------------------------------------------------


def order(i: int) -> bytes:
    return json.dumps(
        {"id": i, "status": ["PAID", "FAILED", "NEW"][i % 3], "amount": i * 10, "user": {"id": i % 5}}
    ).encode()


async def test_filter_shows_only_matches_and_reports_a_malformed_expression(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_tail(pilot, unique_name)
        await produce(kafka.bootstrap, unique_name, [(f"o{i}".encode(), order(i), ()) for i in range(30)])
        await wait_for(pilot, lambda: pane(app).tail.stats().kept == 30)
        await pilot.press("slash", *'.status == "FAILED" and .amount > 100')
        expected = {i for i in range(30) if i % 3 == 1 and i * 10 > 100}
        await wait_for(pilot, lambda: "matched 6/30" in screen_text(app), what="filter applied")

        def shown_ids() -> set[int]:
            return {int(m.group(1)) for _, row in record_rows(app, '"id":') if (m := re.search(r'"id":(\d+)', row))}

        assert shown_ids() == expected
        # A malformed expression: a clear message with the column; the previous filter stays.
        await pilot.press("space", ")")
        await wait_for(pilot, lambda: "column" in screen_text(app), what="error message")
        text = screen_text(app)
        assert "filter:" in text and "previous one stays" in text
        assert shown_ids() == expected
        # Records arriving later are filtered too.
        await pilot.press("escape")  # clears the filter and closes the bar
        await wait_for(pilot, lambda: "matched" not in screen_text(app))
        await pilot.press("slash", *"key:o3")
        await produce(kafka.bootstrap, unique_name, [(f"o{i}".encode(), order(i), ()) for i in range(30, 40)])
        await wait_for(pilot, lambda: "matched 11/40" in screen_text(app))
        assert shown_ids() == {3} | set(range(30, 40))
        # Pausing keeps the same matches (taken from the live view, not rescanned).
        await pilot.press("enter", "space")
        await wait_for(pilot, lambda: "PAUSED" in screen_text(app))
        assert shown_ids() == {3} | set(range(30, 40)) and "showing 11" in screen_text(app)


async def test_search_next_and_previous(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(100, 40)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        await produce(
            kafka.bootstrap,
            unique_name,
            [(None, f"{'needle' if i % 10 == 5 else 'hay'}-{i}".encode(), ()) for i in range(30)],
        )
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 30)
        await pilot.press("g")  # to the oldest record
        await pilot.press("s", *"needle", "enter")
        await wait_for(pilot, lambda: tail_pane.lines.selected_record().offset == 5)
        await pilot.press("n")
        await wait_for(pilot, lambda: tail_pane.lines.selected_record().offset == 15)
        await pilot.press("n")
        await wait_for(pilot, lambda: tail_pane.lines.selected_record().offset == 25)
        await pilot.press("N")
        await wait_for(pilot, lambda: tail_pane.lines.selected_record().offset == 15)


async def test_jump_to_offset_shows_that_offset_first(kafka, unique_name):
    create_topic(kafka, unique_name)
    await produce(kafka.bootstrap, unique_name, [(None, f"jump-{i:03d}".encode(), ()) for i in range(200)])
    app = new_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        await wait_for(pilot, lambda: record_rows(app, "jump-199"))
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, TailStartScreen))
        await pilot.press(*"42", "enter")
        await wait_for(
            pilot,
            lambda: tail_pane.tail.start_offsets == {0: 42} and tail_pane.tail.stats().kept == 158,
            what="reseek applied",
        )
        # "jump-0", not "jump-": the topic's name (in the waiting message) has "jump-" too.
        await wait_for(pilot, lambda: record_rows(app, "jump-0"))
        first_row, text = record_rows(app, "jump-0")[0]
        assert "jump-042" in text and re.search(r"\b42\b", text)
        assert "SCROLLED" in screen_text(app)
        # The console consumer agrees the record at offset 42 is that one.
        assert (0, 42, None, "jump-042") in console_records(kafka, unique_name, 200)


async def test_jump_to_time(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        await produce(kafka.bootstrap, unique_name, [(None, b"old", ())])
        await asyncio.sleep(1.5)
        cut = datetime.now()
        await asyncio.sleep(0.2)
        await produce(kafka.bootstrap, unique_name, [(None, b"new", ())])
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 2)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, TailStartScreen))
        await pilot.press(*cut.isoformat(sep=" ", timespec="milliseconds"), "enter")
        await wait_for(pilot, lambda: tail_pane.tail.start_offsets == {0: 1} and tail_pane.tail.stats().kept == 1)


# -- detail and export -------------------------------------------------------------------------------


async def test_detail_shows_key_headers_json_hex_and_tombstone(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(100, 40)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        await produce(
            kafka.bootstrap,
            unique_name,
            [
                (
                    b"user-42",
                    b'{"user":{"id":42},"status":"PAID","tags":["a","b"]}',
                    (("trace-id", b"abc123"), ("source", b"kview")),
                ),
                (b"bin", bytes(range(256)) + b"\xff\xfe", ()),
                (b"gone", None, ()),
                (None, b"\xc3\x28 not utf8", ()),
            ],
        )
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 4)
        await pilot.press("g")
        await pilot.press("enter")
        await wait_for(pilot, lambda: tail_pane.detail_open)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "user-42" in text and "trace-id: abc123" in text and "source: kview" in text
        assert "Headers    2" in text and "CreateTime" in text
        # Pretty JSON: one field a line, indented.
        assert '  "user": {' in text and '    "id": 42' in text and '  "status": "PAID",' in text
        # In the pane, in place of the list; its keys are off meanwhile (space does not pause).
        assert not tail_pane.lines.display and "SCROLLED (G follows)" in screen_text(app)
        await pilot.press("space")
        await pilot.pause(0.2)
        assert "PAUSED" not in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: tail_pane.lines.display and record_rows(app, "user-42"), what="the list back")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: tail_pane.detail_open)
        await pilot.pause(0.2)
        text = screen_text(app)
        # The same detail, now showing the next record only.
        assert f"{unique_name}  partition 0  offset 1" in text
        assert "hex, 258 B" in text and "user-42" not in text
        assert "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|" in text
        await pilot.press("escape", "down", "enter")
        await wait_for(pilot, lambda: tail_pane.detail_open)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "gone" in text and re.search(r"Value\s+null\s+a tombstone", text)
        await pilot.press("escape", "down", "enter")
        await wait_for(pilot, lambda: tail_pane.detail_open)
        await pilot.pause(0.2)
        text = screen_text(app)
        # Invalid UTF-8: auto shows it as a hex dump; as text (f, f) the bad byte is marked.
        assert re.search(r"Key\s+null", text) and "|.( not utf8|" in text
        await pilot.press("f", "f")
        await wait_for(pilot, lambda: "value as text" in screen_text(app))
        text = screen_text(app)
        assert "not valid UTF-8" in text and "\ufffd( not utf8" in text
        await pilot.press("escape")
        # The list shows the tombstone and the null key too.
        await wait_for(pilot, lambda: not tail_pane.detail_open)
        assert len(record_rows(app, "<null>")) == 2
        # A large binary value: cut in the list, whole in the detail (laid out in a thread).
        big = bytes(range(256)) * 2400  # 614,400 bytes
        await produce(kafka.bootstrap, unique_name, [(b"big", big, ())])
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 5)
        await pilot.press("G", "up", "down", "enter")
        await wait_for(pilot, lambda: tail_pane.detail_open)
        await wait_for(pilot, lambda: "hex, 600.0 KiB" in screen_text(app), what="big value laid out")
        await pilot.press("end")
        last = len(big) - 16
        await wait_for(
            pilot,
            lambda: f"{last:08x}  f0 f1 f2 f3 f4 f5 f6 f7  f8 f9 fa fb fc fd fe ff" in screen_text(app),
            what="last line of the dump",
        )


async def test_detail_follows_a_theme_change_and_a_new_tail(kafka, unique_name):
    """The pane keeps one detail for the session: a new theme recolours it,
    and a tail started from another pane closes it for the new list."""
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(100, 30)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        await produce(kafka.bootstrap, unique_name, [(b"user-42", b'{"status":"PAID"}', ())])
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: tail_pane.detail_open)
        await pilot.pause(0.2)

        def label_colour() -> str:  # "Topic", the first line's label
            body = tail_pane.query_one("#detail-body")
            return str(body.render_line(0)._segments[0].style.color)

        before = label_colour()
        app.theme = "kview-light" if app.theme != "kview-light" else "kview-dark"
        await wait_for(pilot, lambda: label_colour() != before, what="the new theme's colours")
        other = f"{unique_name}-b"
        create_topic(kafka, other)
        app.post_message(TailTopic(other, None))
        await wait_for(pilot, lambda: tail_pane.topic == other and not tail_pane.detail_open, what="the new tail")
        assert tail_pane.lines.display


async def test_export_writes_exactly_the_filtered_records(kafka, unique_name, tmp_path, monkeypatch):
    create_topic(kafka, unique_name, partitions=2)
    monkeypatch.chdir(tmp_path)
    app = new_app(kafka)
    async with app.run_test(size=(100, 30)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        for partition in (0, 1):
            await produce(
                kafka.bootstrap,
                unique_name,
                [(f"p{partition}-{i}".encode(), order(i), ()) for i in range(25)],
                partition=partition,
            )
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 50)
        await pilot.press("slash", *'.status == "NEW"', "enter")
        await wait_for(pilot, lambda: "matched 16/50" in screen_text(app))
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: list(tmp_path.glob("kview-*.jsonl")), what="export file")
        [path] = list(tmp_path.glob("kview-*.jsonl"))
        exported = read_jsonl(path)
    console = console_records(kafka, unique_name, 50)
    expected = [(p, o, k, v) for p, o, k, v in console if json.loads(v)["status"] == "NEW"]
    assert len(expected) == 16
    assert sorted((r.partition, r.offset, r.key.decode(), r.value.decode()) for r in exported) == expected


async def test_tailing_never_creates_a_consumer_group(kafka, unique_name):
    create_topic(kafka, unique_name)
    before = groups(kafka)
    app = new_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        await produce(kafka.bootstrap, unique_name, [(None, b"x", ())] * 10)
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 10)
        await pilot.press("o", *"0", "enter")
        await wait_for(pilot, lambda: tail_pane.tail.stats().kept == 10)
        during = groups(kafka)
        tail = tail_pane.tail
    assert during == before
    assert groups(kafka) == before
    # Quitting the app stopped the tail.
    assert not tail.running


async def test_deleted_topic_is_shown_in_the_status_line(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = new_app(kafka)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_tail(pilot, unique_name)
        kafka.run_tool("kafka-topics", "--delete", "--topic", unique_name)
        await wait_for(pilot, lambda: "does not exist" in screen_text(app), timeout=60, what="topic-missing status")
        create_topic(kafka, unique_name)
        await produce(kafka.bootstrap, unique_name, [(None, b"back-again", ())])
        await wait_for(pilot, lambda: record_rows(app, "back-again"), timeout=60)


async def test_columns_narrow_and_wide(kafka, unique_name):
    create_topic(kafka, unique_name)
    await produce(kafka.bootstrap, unique_name, [(b"k", b"v1", (("h", b"1"), ("i", b"2")))])
    for size, has_time, has_headers in (((80, 24), True, False), ((60, 20), False, False), ((140, 30), True, True)):
        app = new_app(kafka)
        async with app.run_test(size=size) as pilot:
            await open_tail(pilot, unique_name)
            await wait_for(pilot, lambda app=app: record_rows(app, " v1"))
            titles = next(row for row in screen_rows(app) if re.search(r"\boffset\b.*\bvalue\b", row))
            assert titles.startswith("time ") == has_time, size
            assert titles.rstrip().endswith("hdr") == has_headers, size
            # The record's row shows the headers count only when the column is there.
            [(_, row)] = record_rows(app, " v1")
            assert row.rstrip().endswith(" 2") == has_headers, row


# -- pure parts ----------------------------------------------------------------------------------------


def test_parse_when():
    now = datetime(2024, 5, 1, 12, 0, 0)
    assert parse_when("-15m", now) == now - timedelta(minutes=15)
    assert parse_when("2h ago", now) == now - timedelta(hours=2)
    assert parse_when("now-1d", now) == now - timedelta(days=1)
    assert parse_when("09:30", now) == datetime(2024, 5, 1, 9, 30)
    assert parse_when("2024-04-30 08:15:00", now) == datetime(2024, 4, 30, 8, 15)
    assert parse_when("1714557600000", now) == datetime.fromtimestamp(1714557600)
    with pytest.raises(ValueError, match="not a date and time"):
        parse_when("yesterday-ish", now)


def test_parse_offsets_partition_and_start():
    assert parse_offsets("1234") == 1234
    assert parse_offsets("0:10, 1:25") == {0: 10, 1: 25}
    with pytest.raises(ValueError):
        parse_offsets("ten")
    assert parse_partition("") is None and parse_partition("all") is None
    assert parse_partition("2", 3) == 2
    with pytest.raises(ValueError, match="0 to 2"):
        parse_partition("3", 3)
    assert parse_start("latest", "") == StartPosition.latest()
    assert parse_start("last", "7") == StartPosition.last(7)
    assert parse_start("offset", "0:5") == StartPosition.at_offset({0: 5})


def test_gc_tuning_nests_and_restores():
    tuning = GcWhileReading()
    before = gc.get_threshold()
    tuning.acquire()
    tuning.acquire()
    assert gc.get_threshold()[0] == max(READ_GC_THRESHOLD0, before[0]) and gc.get_freeze_count() > 0
    tuning.release()
    assert gc.get_threshold()[0] == max(READ_GC_THRESHOLD0, before[0])  # one tail still runs
    tuning.release()
    tuning.release()  # one release too many changes nothing
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


class _Cyclic:
    def __init__(self, other: list) -> None:
        self.me = self
        self.other = other


def test_status_counts_are_short_and_whole_facts_are_cut():
    assert [short_count(n) for n in (0, 6, 30, 9_999, 25_123, 100_000, 1_900_000, 118_386.4)] == [
        "0",
        "6",
        "30",
        "9,999",
        "25.1k",
        "100k",
        "1.9M",
        "118k",
    ]
    parts = ["FOLLOWING", "118k msg/s", "ring 100k", "dropped 1.9M", "matched 25.1k/100k", "22.6 MiB/s"]
    assert _fit_parts(parts, 78) == "  ".join(parts)
    assert _fit_parts(parts, 70) == "  ".join(parts[:5])  # bytes/s goes first, whole
    assert _fit_parts(parts, 5) == "FOLLOWING"


def test_frozen_source_with_known_matches_equals_a_rescan():
    records = [make_record("t", 0, i, value=b"hit" if i % 3 == 0 else b"miss") for i in range(30)]
    match = parse_filter("hit")
    rescanned = FrozenSource(records, 100, match)
    given = FrozenSource(records, 100, match, seqs=[100 + i for i in range(0, 30, 3)])
    assert given.seqs() == rescanned.seqs() == [100 + i for i in range(0, 30, 3)]
    assert len(given) == 10 and given.record(103) is records[3]
    assert len(FrozenSource(records, 100, None, seqs=[100])) == 30  # no filter: every record


def test_frozen_source_scans_in_chunks_and_continues_a_live_scan():
    records = [make_record("t", 0, i, value=b"hit" if i % 7 == 0 else b"miss") for i in range(5_000)]
    match = parse_filter("hit")
    expected = [1_000 + i for i in range(0, 5_000, 7)]
    lazy = FrozenSource(records, 1_000, match)
    assert not lazy.caught_up and 0 < len(lazy) < len(expected)  # the first slice only
    while not lazy.caught_up:
        lazy.update(300)
    assert lazy.seqs() == expected and len(lazy) == len(expected)
    assert lazy.index_of(1_007) == 1 and lazy.index_of(1_008) is None
    assert lazy.nearest_index(1_008) == 2 and lazy.nearest_index(10**9) == len(expected) - 1
    # A pause hands over what the live view found below ``scanned``; the rest is scanned here.
    handed = FrozenSource(records, 1_000, match, seqs=[s for s in expected if s < 3_000], scanned=3_000)
    handed.update()
    assert handed.caught_up and handed.seqs() == expected


def test_columns_fit_the_width():
    for width in (40, 60, 78, 80, 100, 200):
        cols = columns_for(width)
        assert sum(w for _, _, w in cols) + len(cols) - 1 <= max(width, 40), width
        assert len(header_line(width)) <= width
    assert [c[0] for c in columns_for(78)] == ["time", "partition", "offset", "key", "value"]
    assert [c[0] for c in columns_for(120)][-1] == "headers"
    assert "time" not in [c[0] for c in columns_for(60)]


def test_detail_lines_never_fail_on_odd_records():
    odd = [
        make_record("t", 0, 1, key=None, value=None),
        make_record("t", 0, 2, key=b"", value=b""),
        make_record("t", 0, 3, timestamp=-1, key=b"\xff", value=b"\x00" * 40, headers=(("h", None),)),
        make_record("t", 0, 4, value=b'{"a": [1, 2, {"b": null}]}' * 2),
    ]
    for record in odd:
        text = "\n".join("".join(t for _, t in line) for line in detail_lines(record))
        assert f"Offset     {record.offset}" in text
    tombstone = "\n".join("".join(t for _, t in line) for line in detail_lines(odd[0]))
    assert "tombstone" in tombstone


def test_detail_shows_big_values_whole():
    text_value = b"y" * 1_500_000
    lines = detail_lines(make_record("t", 0, 0, value=text_value))
    body = lines[lines.index(()) + 1 :]
    assert "".join(t for line in body for _, t in line) == text_value.decode()
    doc = [{"n": i, "s": "x" * 40} for i in range(30_000)]
    json_value = json.dumps(doc).encode()
    assert len(json_value) > 1 << 20  # above what auto parses for the list
    lines = detail_lines(make_record("t", 0, 0, value=json_value))
    assert any("json" in t for _, t in lines[lines.index(()) - 1])
    body = "\n".join("".join(t for _, t in line) for line in lines[lines.index(()) + 1 :])
    assert json.loads(body) == doc


async def test_switching_cluster_stops_the_tail(kafka, unique_name):
    from kview.core.config import ClusterProfile

    create_topic(kafka, unique_name)
    first = ClusterProfile(name="first", bootstrap=tuple(kafka.bootstrap.split(",")))
    second = ClusterProfile(name="second", bootstrap=tuple(kafka.bootstrap.split(",")))
    app = make_app(Config(clusters={"first": first, "second": second}, default_cluster="first"))
    async with app.run_test(size=(80, 24)) as pilot:
        tail_pane = await open_tail(pilot, unique_name)
        tail = tail_pane.tail
        assert tail.running
        await app.switch_cluster("second")
        await wait_for(pilot, lambda: not tail.running, what="old tail stopped")
        assert tail.status.state == "stopped"
        assert not app.query(TailPane)
