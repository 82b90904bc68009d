"""The producer pane, driven by key presses in the real app on the real
single-broker cluster.  What the pane sends is read back with Kafka's own
kafka-console-consumer and kafka-get-offsets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import struct
from dataclasses import dataclass

import pytest
from kafka_tools import parse_get_offsets
from screen_text import screen_text, wait_for
from textual import events

from kview.app import make_app
from kview.core.config import Config, ProducerDefaults, adhoc_profile
from kview.core.produce import JobState, LoadProgress, SendResult, ValueFormat
from kview.ui.messages import ProduceTo
from kview.ui.panes.producer import format_timestamp, result_line
from kview.ui.screens.import_file import unescape_separator
from kview.ui.screens.produce_load import parse_number
from kview.ui.widgets.job_progress import progress_line, summary_line

# -- helpers -----------------------------------------------------------------------------


def flat_text(app) -> str:
    """The screen's words in one line: wrapped lines joined, modal borders dropped."""
    return " ".join(re.sub("[█▀▄▌▐]", " ", screen_text(app, flat=True)).split())


def create_topic(kafka, name: str, partitions: int = 1, *configs: str) -> None:
    args = ["--create", "--topic", name, "--partitions", str(partitions), "--replication-factor", "1"]
    for config in configs:
        args += ["--config", config]
    kafka.run_tool("kafka-topics", *args)


def end_offsets(kafka, topic: str) -> dict[int, int]:
    """Log-end offset per partition, as kafka-get-offsets prints them."""
    found = parse_get_offsets(kafka.run_tool("kafka-get-offsets", "--topic", topic).stdout)
    offsets = {partition: offset for (name, partition), offset in found.items() if name == topic}
    assert offsets
    return offsets


@dataclass(frozen=True)
class Consumed:
    timestamp: int
    partition: int
    offset: int
    headers: str
    key: str
    value: str


END = "<<END>>"


def consume(kafka, topic: str, count: int) -> list[Consumed]:
    """The topic's messages, read by kafka-console-consumer from the beginning
    (records end with a marker, so multi-line values survive)."""
    out = kafka.run_tool(
        "kafka-console-consumer",
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        str(count),
        "--timeout-ms",
        "30000",
        "--property",
        "print.key=true",
        "--property",
        "print.headers=true",
        "--property",
        "print.partition=true",
        "--property",
        "print.offset=true",
        "--property",
        "print.timestamp=true",
        "--property",
        f"line.separator={END}\n",
        timeout=120,
    ).stdout
    found = []
    for chunk in out.split(f"{END}\n"):
        start = chunk.find("CreateTime:")
        if start < 0:
            continue  # the tool's own notices share stdout
        stamp, partition, offset, headers, key, value = chunk[start:].split("\t", 5)
        found.append(
            Consumed(
                int(stamp.removeprefix("CreateTime:")),
                int(partition.removeprefix("Partition:")),
                int(offset.removeprefix("Offset:")),
                headers,
                key,
                value,
            )
        )
    assert len(found) == count, out
    return found


def first_batch_codec(kafka, topic: str) -> int:
    """The compression codec of the first record batch in the broker's own log
    segment (the batch header's attributes & 7: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)."""
    segments = sorted(kafka.directory.glob(f"broker-*/data/{topic}-0/*.log"))
    assert segments, f"no log segment for {topic}"
    data = segments[0].read_bytes()
    # baseOffset int64, batchLength int32, leaderEpoch int32, magic int8, crc int32, attributes int16
    magic = data[16]
    assert magic == 2, magic
    (attributes,) = struct.unpack(">h", data[21:23])
    return attributes & 0x7


def pane_app(kafka, *, read_only: bool = False, **profile_changes):
    profile = adhoc_profile(kafka.bootstrap, read_only=read_only)
    profile = dataclasses.replace(profile, refresh_interval=1.0, **profile_changes)
    return make_app(Config(), profile)


async def open_pane(pilot, topic: str | None = None):
    """Wait for the cluster (and the topic), switch to the producer with its key."""
    app = pilot.app
    await wait_for(pilot, lambda: app.snapshot is not None, what="first snapshot")
    if topic is not None:
        await wait_for(pilot, lambda: app.snapshot.metadata.topic(topic) is not None, what=f"topic {topic}")
    await pilot.press("6")
    await wait_for(pilot, lambda: app.active_pane_id == "producer", what="producer pane")
    await pilot.pause(0.2)
    return app.active_pane()


def focused_id(app) -> str | None:
    return app.focused.id if app.focused is not None else None


async def focus(pilot, widget_id: str) -> None:
    """Move the focus with tab until it reaches the widget (as a user would)."""
    for _ in range(30):
        if focused_id(pilot.app) == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached #{widget_id}; focused: {focused_id(pilot.app)}")


async def type_text(pilot, text: str) -> None:
    keys = ["enter" if ch == "\n" else ch for ch in text]
    await pilot.press(*keys)


async def fill(pilot, widget_id: str, text: str) -> None:
    """Tab to a one-line field, empty it, type the text."""
    await focus(pilot, widget_id)
    await pilot.press("home", "ctrl+k")
    await type_text(pilot, text)


async def choose(pilot, widget_id: str, moves: list[str]) -> None:
    """Open a Select from the keyboard, move, and pick."""
    await focus(pilot, widget_id)
    await pilot.press("enter", *moves, "enter")
    await pilot.pause(0.1)


def result_text(pane) -> str:
    return str(pane.query_one("#producer-result").content)


async def send_and_wait(pilot, pane) -> str:
    """ctrl+s, then the result line once the broker answered."""
    before = result_text(pane)
    await pilot.press("ctrl+s")
    await wait_for(
        pilot, lambda: result_text(pane) != before and "sending" not in result_text(pane), what="a send result"
    )
    return result_text(pane)


SENT = re.compile(
    r"✓ sent to '(?P<topic>[^']+)': partition (?P<partition>\d+) · offset (?P<offset>\d+) · "
    r"(?P<stamp>[\d-]+ [\d:.]+ UTC) \(CreateTime\)"
)


def job_counters(app) -> str:
    """The counters line of the open load or import modal."""
    return str(app.screen.query_one("#job-counters").content)


# -- compose and send ------------------------------------------------------------------


async def test_composed_messages_read_back_identically(kafka, unique_name):
    topic = unique_name
    create_topic(kafka, topic, 3)
    app = pane_app(kafka)
    sent = []  # (partition, offset, stamp, key, value, headers)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, topic)
        assert focused_id(app) == "producer-topic"
        # The topic completes from the cluster's topics: type a prefix, accept with →.
        await type_text(pilot, topic[:-3])
        await pilot.press("right")
        assert pane.query_one("#producer-topic").value == topic
        await wait_for(pilot, lambda: "3 partition(s): 0-2" in screen_text(app, flat=True), what="topic hint")

        # 1: chosen partition, headers, non-ASCII text.
        await fill(pilot, "producer-partition", "2")
        await fill(pilot, "producer-key", "k1")
        await focus(pilot, "producer-value")
        await type_text(pilot, "plain text ünï välue ß")
        await focus(pilot, "producer-headers")
        await type_text(pilot, "trace=abc\nn=1=2")
        sent.append((await send_and_wait(pilot, pane), "k1", "plain text ünï välue ß", "trace:abc,n:1=2"))

        # 2: JSON, multi-line, partition 1, no headers.
        await pilot.press("ctrl+n")
        await fill(pilot, "producer-partition", "1")
        await fill(pilot, "producer-key", "k2")
        await choose(pilot, "producer-format", ["down"])
        assert pane.value_format() is ValueFormat.JSON
        await focus(pilot, "producer-value")
        await type_text(pilot, '{"a": [1, 2],\n"b": "c"}')
        assert "✓ valid JSON" in screen_text(app, flat=True)
        sent.append((await send_and_wait(pilot, pane), "k2", '{"a": [1, 2],\n"b": "c"}', "NO_HEADERS"))

        # 3: null key, the partitioner chooses.
        await pilot.press("ctrl+n")
        await focus(pilot, "producer-null-key")
        await pilot.press("space")
        assert pane.query_one("#producer-key").disabled
        await focus(pilot, "producer-value")
        await type_text(pilot, "no key")
        sent.append((await send_and_wait(pilot, pane), "null", "no key", "NO_HEADERS"))

        # 4: a tombstone (null value) on partition 0.
        await pilot.press("ctrl+n")
        await fill(pilot, "producer-partition", "0")
        await fill(pilot, "producer-key", "gone")
        await focus(pilot, "producer-tombstone")
        await pilot.press("space")
        assert pane.query_one("#producer-value").disabled
        sent.append((await send_and_wait(pilot, pane), "gone", "null", "NO_HEADERS"))

        # The last acknowledgement is on screen (the line may wrap at 80 columns).
        flat = flat_text(app)
        last = SENT.search(sent[-1][0])
        assert last and f"partition {last['partition']} · offset {last['offset']}" in flat

    results = []
    for line, key, value, headers in sent:
        match = SENT.search(line)
        assert match and match["topic"] == topic, line
        results.append((int(match["partition"]), int(match["offset"]), match["stamp"], key, value, headers))
    assert [r[0] for r in results[:2]] == [2, 1] and results[3][0] == 0  # the chosen partitions

    consumed = {(c.partition, c.offset): c for c in consume(kafka, topic, len(sent))}
    assert set(consumed) == {(p, o) for p, o, *_ in results}
    for partition, offset, stamp, key, value, headers in results:
        got = consumed[(partition, offset)]
        assert (got.key, got.value, got.headers) == (key, value, headers)
        assert format_timestamp(got.timestamp) == stamp  # the timestamp shown is the broker's record's


async def test_invalid_json_sends_nothing_and_is_shown_inline(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, unique_name)
        await type_text(pilot, unique_name)
        await fill(pilot, "producer-key", "k")
        await choose(pilot, "producer-format", ["down"])
        await focus(pilot, "producer-value")
        await type_text(pilot, '{"a": 1,\n"b": }')
        await pilot.press("ctrl+s")
        await pilot.pause(1.0)
        text = screen_text(app, flat=True)
        assert "is not valid JSON" in text and "line 2, column 6" in text
        assert "nothing sent" in result_text(pane)
        editor = pane.query_one("#producer-value")
        # The message stays in the editor, the cursor on the mistake.
        assert editor.text == '{"a": 1,\n"b": }' and editor.cursor_location == (1, 5)
        assert app.focused is editor
    assert end_offsets(kafka, unique_name) == {0: 0}


async def test_history_reopens_a_message_to_edit_and_send_again(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, unique_name)
        await type_text(pilot, unique_name)
        await fill(pilot, "producer-key", "k")
        await focus(pilot, "producer-headers")
        await type_text(pilot, "h=1")
        await focus(pilot, "producer-value")
        await type_text(pilot, "first")
        assert "offset 0" in await send_and_wait(pilot, pane)
        await pilot.press("ctrl+n")
        assert pane.query_one("#producer-value").text == ""
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: "Sent messages (1" in screen_text(app, flat=True), what="history")
        assert "first" in screen_text(app, flat=True)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is pane.screen, what="history closed")
        assert pane.query_one("#producer-key").value == "k"
        assert pane.query_one("#producer-headers").text == "h=1"
        editor = pane.query_one("#producer-value")
        assert editor.text == "first" and app.focused is editor
        await pilot.press("end")
        await type_text(pilot, " again")
        assert "offset 1" in await send_and_wait(pilot, pane)
    consumed = consume(kafka, unique_name, 2)
    assert [(c.key, c.value, c.headers) for c in consumed] == [("k", "first", "h:1"), ("k", "first again", "h:1")]


async def test_errors_in_words_keep_the_message(kafka, unique_name):
    create_topic(kafka, unique_name, 1, "max.message.bytes=1000")
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, unique_name)
        await type_text(pilot, f"{unique_name}-absent")
        await focus(pilot, "producer-value")
        await type_text(pilot, "hello")
        line = await send_and_wait(pilot, pane)
        assert "✗ send failed" in line and "does not exist" in line and f"{unique_name}-absent" in line
        assert "does not exist" in screen_text(app, flat=True)
        assert pane.query_one("#producer-value").text == "hello"

        await fill(pilot, "producer-topic", unique_name)
        await focus(pilot, "producer-value")
        pane.query_one("#producer-value").post_message(events.Paste("x" * 2000))  # the terminal's paste
        await wait_for(pilot, lambda: len(pane.query_one("#producer-value").text) > 2000, what="paste")
        line = await send_and_wait(pilot, pane)
        assert "MessageSizeTooLarge" in line and "max.message.bytes=1000" in line
        assert "Traceback" not in screen_text(app, flat=True)
        await fill(pilot, "producer-partition", "5")
        line = await send_and_wait(pilot, pane)
        assert "there is no partition 5" in line
    assert end_offsets(kafka, unique_name) == {0: 0}


async def test_read_only_refuses_with_one_clear_message(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = pane_app(kafka, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        pane = await open_pane(pilot, unique_name)
        assert "sending is refused" in screen_text(app, flat=True)
        await type_text(pilot, unique_name)
        await focus(pilot, "producer-value")
        await type_text(pilot, "must not arrive")
        await pilot.press("ctrl+s")
        await pilot.pause(0.5)
        assert flat_text(app).count("read-only mode: 'produce' is not allowed") == 1
        await pilot.press("ctrl+l")
        await pilot.press("ctrl+o")
        await pilot.pause(0.3)
        assert app.screen is pane.screen  # neither the load nor the import modal opened
        assert pane.query_one("#producer-value").text == "must not arrive"
    assert end_offsets(kafka, unique_name) == {0: 0}


async def test_produce_to_opens_the_pane_on_the_topic(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        assert app.active_pane_id == "overview"
        app.post_message(ProduceTo(unique_name))
        await wait_for(pilot, lambda: app.active_pane_id == "producer", what="producer pane")
        pane = app.active_pane()
        assert pane.query_one("#producer-topic").value == unique_name
        assert focused_id(app) == "producer-key"
        await type_text(pilot, "from-elsewhere")
        await focus(pilot, "producer-value")
        await type_text(pilot, "v")
        assert "partition 0 · offset 0" in await send_and_wait(pilot, pane)
    assert [(c.key, c.value) for c in consume(kafka, unique_name, 1)] == [("from-elsewhere", "v")]


# -- settings ----------------------------------------------------------------------------


async def test_settings_show_problems_inline_and_apply(kafka, unique_name):
    create_topic(kafka, unique_name)
    # The settings start from the cluster profile's producer defaults.
    app = pane_app(kafka, producer=ProducerDefaults(compression="lz4", linger_ms=20))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, unique_name)
        assert "acks=all · idempotence on · compression lz4 · linger 20 ms" in flat_text(app)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "Producer settings" in screen_text(app, flat=True), what="settings modal")
        modal = app.screen
        assert modal.query_one("#settings-compression").value == "lz4"
        await choose(pilot, "settings-acks", ["up"])  # all -> 1
        assert "idempotence needs acks=all" in screen_text(app, flat=True)
        assert modal.query_one("#settings-apply").disabled
        await focus(pilot, "settings-idempotence")
        await pilot.press("space")
        assert "idempotence needs acks=all" not in screen_text(app, flat=True)
        await choose(pilot, "settings-compression", ["up", "up"])  # lz4 -> gzip
        await fill(pilot, "settings-linger", "")
        assert "linger must be a whole number" in screen_text(app, flat=True)
        await type_text(pilot, "0")
        await pilot.press("enter")  # applies
        await wait_for(pilot, lambda: app.screen is pane.screen, what="settings closed")
        assert "acks=1 · idempotence off · compression gzip · linger 0 ms" in flat_text(app)
        await fill(pilot, "producer-topic", unique_name)
        await focus(pilot, "producer-value")
        await type_text(pilot, "squeezed " * 20)
        assert "offset 0" in await send_and_wait(pilot, pane)
    assert first_batch_codec(kafka, unique_name) == 1  # gzip, in the broker's own log
    assert consume(kafka, unique_name, 1)[0].value == "squeezed " * 20


# -- templated load -----------------------------------------------------------------------


async def test_templated_load_shows_progress_and_counts_match(kafka, unique_name):
    create_topic(kafka, unique_name, 3)
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, unique_name)
        await type_text(pilot, unique_name)
        await fill(pilot, "producer-key", "k-{{i}}")
        await choose(pilot, "producer-format", ["down"])
        await focus(pilot, "producer-value")
        await type_text(pilot, '{"i": {{i}}, "id": "{{uuid}}", "c": "{{choice a|b}}"}')
        await focus(pilot, "producer-headers")
        await type_text(pilot, "n={{i}}")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "Templated load into" in screen_text(app, flat=True), what="load modal")
        assert focused_id(app) == "load-count"
        await pilot.press("home", "ctrl+k", *"1000", "enter")
        await wait_for(pilot, lambda: "done" in job_counters(app), what="load done")
        counters = job_counters(app)
        assert "sent 1,000/1,000 · acked 1,000 · failed 0" in counters
        assert "100%" in screen_text(app, flat=True)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is pane.screen, what="load modal closed")
        assert "load: sent 1,000/1,000 · acked 1,000 · failed 0" in result_text(pane)
    assert sum(end_offsets(kafka, unique_name).values()) == 1000
    consumed = consume(kafka, unique_name, 1000)
    numbers = set()
    for c in consumed:
        body = json.loads(c.value)
        assert c.key == f"k-{body['i']}" and c.headers == f"n:{body['i']}" and body["c"] in ("a", "b")
        numbers.add(body["i"])
    assert numbers == set(range(1000))


async def test_malformed_template_is_refused_before_sending(kafka, unique_name):
    create_topic(kafka, unique_name)
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(pilot, unique_name)
        await type_text(pilot, unique_name)
        await focus(pilot, "producer-value")
        await type_text(pilot, '{"a": {{rand_int 5}}}')
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "Templated load into" in screen_text(app, flat=True), what="load modal")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "nothing sent" in screen_text(app, flat=True), what="refusal")
        text = flat_text(app)
        assert "value: template error at column 9" in text
        assert "not started" in job_counters(app)
        # A count of zero is refused the same way.
        await pilot.press("home", "ctrl+k", "0", "enter")
        await wait_for(
            pilot, lambda: "the count must be at least 1" in screen_text(app, flat=True), what="count refusal"
        )
    assert end_offsets(kafka, unique_name) == {0: 0}


async def test_load_can_be_cancelled_and_counts_stay_consistent(kafka, unique_name):
    create_topic(kafka, unique_name, 2)
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, unique_name)
        await type_text(pilot, unique_name)
        await fill(pilot, "producer-key", "{{i}}")
        await focus(pilot, "producer-value")
        await type_text(pilot, "{{uuid}}")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "Templated load into" in screen_text(app, flat=True), what="load modal")
        modal = app.screen
        await pilot.press("home", "ctrl+k")  # no count: run for 300 seconds
        await fill(pilot, "load-duration", "300")
        await pilot.press("enter")
        await wait_for(pilot, lambda: modal.job is not None and modal.job.progress().acked > 1000, what="load running")
        # The counters line is redrawn on a timer: wait for it rather than read it at once.
        await wait_for(pilot, lambda: "running" in job_counters(app), what="the counters saying running")
        await pilot.press("escape")  # cancels, does not close
        await wait_for(pilot, lambda: "cancelled" in job_counters(app), what="cancelled")
        assert app.screen is modal
        final = modal.final
        assert final.sent == final.acked + final.failed and final.failed == 0
        assert f"acked {final.acked:,}" in job_counters(app)
        await pilot.press("escape")  # now it closes
        await wait_for(pilot, lambda: app.screen is pane.screen, what="load modal closed")
        assert "cancelled" in result_text(pane)
    assert sum(end_offsets(kafka, unique_name).values()) == final.acked


# -- file import --------------------------------------------------------------------------


async def test_file_import_in_both_formats(kafka, unique_name, tmp_path):
    create_topic(kafka, unique_name, 3)
    rows = [
        {"key": "a", "value": "text value", "headers": {"h1": "x"}, "partition": 0},
        {"key": "b", "value": {"nested": [1, 2]}, "partition": 1},
        {"key": "c", "value": None, "partition": 2},
        {"value": "no key", "partition": 2},
    ]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    console = tmp_path / "in.txt"
    console.write_text("user-1:hello: world\nuser-2:NULL\n")
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(pilot, unique_name)
        await type_text(pilot, unique_name)

        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: "Import messages from a file" in screen_text(app, flat=True), what="import modal")
        assert app.screen.query_one("#import-topic").value == unique_name
        await type_text(pilot, str(jsonl))
        await wait_for(pilot, lambda: "first 4 record(s)" in screen_text(app, flat=True), what="preview")
        assert "text value" in screen_text(app, flat=True) and '{"nested":[1,2]}' in screen_text(app, flat=True)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "done" in job_counters(app), what="jsonl import done")
        assert "sent 4/4 · acked 4 · failed 0" in job_counters(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is pane.screen, what="modal closed")
        assert "import: sent 4/4" in result_text(pane)

        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: "Import messages from a file" in screen_text(app, flat=True), what="import modal")
        await type_text(pilot, str(console))
        await choose(pilot, "import-format", ["down"])
        await fill(pilot, "import-separator", ":")
        await fill(pilot, "import-null", "NULL")
        await fill(pilot, "import-partition", "1")
        await wait_for(pilot, lambda: "first 2 record(s)" in screen_text(app, flat=True), what="console preview")
        assert "hello: world" in screen_text(app, flat=True)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "done" in job_counters(app), what="console import done")
        assert "acked 2" in job_counters(app)
        await pilot.press("escape")

    consumed = consume(kafka, unique_name, 6)
    by_partition: dict[int, list[tuple[str, str, str]]] = {}
    for c in sorted(consumed, key=lambda c: (c.partition, c.offset)):
        by_partition.setdefault(c.partition, []).append((c.headers, c.key, c.value))
    assert by_partition == {
        0: [("h1:x", "a", "text value")],
        1: [
            ("NO_HEADERS", "b", '{"nested":[1,2]}'),
            ("NO_HEADERS", "user-1", "hello: world"),
            ("NO_HEADERS", "user-2", "null"),
        ],
        2: [("NO_HEADERS", "c", "null"), ("NO_HEADERS", "null", "no key")],
    }


async def test_bad_import_file_names_the_lines_and_sends_nothing(kafka, unique_name, tmp_path):
    create_topic(kafka, unique_name)
    lines = [f'{{"key": "k{n}", "value": "v"}}' for n in range(1, 31)]
    lines[2] = '{"key": "k3", "value": }'
    lines[26] = '{"key": "k27"}'
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    app = pane_app(kafka)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(pilot, unique_name)
        await type_text(pilot, unique_name)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: "Import messages from a file" in screen_text(app, flat=True), what="import modal")
        await type_text(pilot, str(path))
        # The preview already names the bad line among the first ones.
        await wait_for(pilot, lambda: "line 3: invalid JSON" in screen_text(app, flat=True), what="preview problems")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "2 bad line(s), nothing sent" in flat_text(app), what="refusal")
        text = flat_text(app)
        assert "line 3: invalid JSON" in text and "line 27: missing field 'value'" in text
        assert "not started" in job_counters(app)
    assert end_offsets(kafka, unique_name) == {0: 0}


# -- keyboard and layout -------------------------------------------------------------------


async def test_every_control_is_reachable_with_tab_at_80x24(kafka):
    app = pane_app(kafka)
    controls = [
        "producer-topic",
        "producer-partition",
        "producer-key",
        "producer-null-key",
        "producer-format",
        "producer-tombstone",
        "producer-value",
        "producer-headers",
        "producer-send",
        "producer-load",
        "producer-import",
        "producer-history",
        "producer-settings-button",
    ]
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(pilot)
        forward = []
        for _ in range(len(controls)):
            forward.append(focused_id(app))
            widget = app.focused
            await pilot.pause(0.05)
            # Focusing scrolls the form: the control is on screen at 80x24.
            assert app.screen.region.contains_region(widget.region), (widget.id, widget.region)
            await pilot.press("tab")
        assert forward == controls
        assert focused_id(app) == controls[0]
        backward = []
        for _ in range(len(controls)):
            await pilot.press("shift+tab")
            backward.append(focused_id(app))
        assert backward == controls[::-1]
        # esc leaves the text fields, so the pane keys work again.
        await focus(pilot, "producer-value")
        await pilot.press("escape", "1")
        assert app.active_pane_id == "overview"


# -- the pane's wording (no Kafka) ---------------------------------------------------------


def test_result_and_progress_wording():
    assert format_timestamp(1738324800123) == "2025-01-31 12:00:00.123 UTC"
    acked = SendResult("t", 2, 41, 1738324800123, "CreateTime")
    assert result_line(acked) == "✓ sent to 't': partition 2 · offset 41 · 2025-01-31 12:00:00.123 UTC (CreateTime)"
    assert "offset and timestamp are unknown" in result_line(SendResult("t", -1, None, None))
    assert "partition chosen by the producer" in result_line(SendResult("t", -1, None, None))

    running = LoadProgress(sent=1500, acked=1000, failed=0, elapsed=2.0, total=2000)
    assert progress_line(running) == "sent 1,500/2,000 · acked 1,000 · failed 0 · 500/s · 2s · running"
    failed = LoadProgress(sent=10, acked=0, failed=10, elapsed=1.0, state=JobState.FAILED, error="boom")
    assert (
        summary_line("load", failed) == "load: sent 10 · acked 0 · failed 10 · 0.0/s · 1s · stopped by an error: boom"
    )

    assert unescape_separator("\\t") == "\t" and unescape_separator("a\\\\tb") == "a\\tb"
    assert unescape_separator(":") == ":" and unescape_separator("\\x") == "\\x"
    assert parse_number(" 1,000 ", "n", whole=True) == 1000 and parse_number("", "n", whole=True) is None
    assert parse_number("2.5", "rate", whole=False) == 2.5
    with pytest.raises(ValueError, match="the count must be a whole number"):
        parse_number("1.5", "the count", whole=True)


async def test_unreachable_broker_is_said_in_words_and_the_message_stays():
    from kview.local.cluster import free_port

    address = f"127.0.0.1:{free_port()}"
    app = make_app(Config(), adhoc_profile(address))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await wait_for(pilot, lambda: app.active_pane_id == "producer", what="producer pane")
        pane = app.active_pane()
        await type_text(pilot, "orders")
        await focus(pilot, "producer-value")
        await type_text(pilot, "kept")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "✗ send failed" in result_text(pane), timeout=60, what="send failure")
        line = result_text(pane)
        assert f"cannot connect to {address}: connection refused" in line and "Traceback" not in line
        assert "connection refused" in flat_text(app)
        assert pane.query_one("#producer-value").text == "kept"
        # A load against it is refused before sending, in the modal.
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "Templated load into" in screen_text(app, flat=True), what="load modal")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "nothing sent" in flat_text(app), timeout=60, what="load refusal")
        assert "connection refused" in str(app.screen.query_one("#job-problem").content)


async def test_a_load_still_starting_can_be_cancelled():
    # A "broker" that accepts connections and never answers: the load's checks hang.
    held = []

    async def hold(reader, writer):
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    app = make_app(Config(), adhoc_profile(f"127.0.0.1:{port}"))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("6")
            await wait_for(pilot, lambda: app.active_pane_id == "producer", what="producer pane")
            await type_text(pilot, "orders")
            await pilot.press("ctrl+l")
            await wait_for(pilot, lambda: "Templated load into" in screen_text(app, flat=True), what="load modal")
            modal = app.screen
            await pilot.press("enter")
            await pilot.pause(0.5)
            assert modal.running and modal.job is None
            assert modal.query_one("#job-start").disabled and modal.query_one("#job-close").disabled
            await pilot.press("escape")
            await wait_for(pilot, lambda: "nothing sent: cancelled" in flat_text(app), what="cancelled start")
            assert not modal.running and not modal.query_one("#job-close").disabled
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is not modal, what="modal closed")
    finally:
        for writer in held:
            writer.close()
        server.close()
