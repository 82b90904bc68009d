"""The footer line and the header, in the real app on the real single-broker
cluster: the app's own keys on every pane at 80x24 with nothing cut or
garbled, keys as remapped in the config, the header naming the detail pane
shown, and a footer that is not rebuilt when the keys it offers stay the same."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import replace

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from screen_text import screen_rows, wait_for

from kview.app import PANES, make_app
from kview.core.cluster import connection_kwargs
from kview.core.config import Config, adhoc_profile, parse_config
from kview.ui.widgets.cluster_header import ClusterHeader
from kview.ui.widgets.key_footer import FooterEntry, KeyFooter, compact_keys, fit

WIDTH, HEIGHT = 80, 24
ESSENTIALS = ("? Help", ": Go", "^p Commands", "q Quit")


def footer_chunks(app) -> list[str]:
    """The footer line as the user reads it, split into its entries."""
    row = screen_rows(app)[HEIGHT - 1]
    return [chunk for chunk in re.split(r" {2,}", row.strip()) if chunk]


def assert_clean_footer(app, where: str) -> list[str]:
    """The footer line holds the essentials, ends with quit, and every entry
    on it is one of the footer's whole entries (nothing cut, wrapped or
    drawn over)."""
    footer = app.query_one(KeyFooter)
    row = screen_rows(app)[HEIGHT - 1]
    chunks = footer_chunks(app)
    whole = {f"{e.display} {e.description}" for e in (*footer.essentials, *footer.context)}
    assert len(row.rstrip()) <= WIDTH, (where, row)
    assert [c for c in chunks if c not in whole] == [], (where, row)
    assert [e for e in ESSENTIALS if e not in chunks] == [], (where, row)
    assert row.rstrip().endswith("q Quit"), (where, row)
    return chunks


def header_row(app) -> str:
    return screen_rows(app)[0]


async def make_group(kafka, topic: str, group: str) -> None:
    """A topic of two partitions and a group (no members) that committed in both."""
    await asyncio.to_thread(kafka.run_tool, "kafka-topics", "--create", "--topic", topic, "--partitions", "2")
    consumer = AIOKafkaConsumer(
        **connection_kwargs(adhoc_profile(kafka.bootstrap)), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (0, 1)]
        consumer.assign(partitions)
        await consumer.commit({tp: OffsetAndMetadata(0, "") for tp in partitions})
    finally:
        await consumer.stop()


# -- pure logic ---------------------------------------------------------------------------


def test_fit_skips_whole_entries_and_keeps_order():
    entries = [
        FooterEntry("a", "a", "Alpha"),
        FooterEntry("b", "b", "A long description"),
        FooterEntry("c", "c", "Gamma"),
    ]
    # "a Alpha" (7) + 2 + "c Gamma" (7) = 16: the long one in between is left out whole.
    assert fit(entries, 16) == [entries[0], entries[2]]
    assert fit(entries, 6) == []
    assert fit(entries, 7 + 2 + 20 + 2 + 7) == entries


def test_compact_keys():
    assert compact_keys(["1", "2", "3", "4", "5", "6"]) == "1-6"
    assert compact_keys(["1", "2", "x"]) == "1/2/x"
    assert compact_keys(["1", "3", "4"]) == "1/3/4"
    # A gap in the pane keys keeps the runs around it short.
    assert compact_keys(["1", "2", "3", "4", "5", "6", "7", "9"]) == "1-7/9"
    assert compact_keys(["1", "2", "4", "5", "6"]) == "1/2/4-6"


# -- the real app -------------------------------------------------------------------------


async def test_footer_shows_the_essentials_whole_on_every_pane_at_80x24(kafka):
    topic, group = f"foot-{uuid.uuid4().hex[:6]}", f"foot-g-{uuid.uuid4().hex[:6]}"
    await make_group(kafka, topic, group)
    app = make_app(Config(), replace(adhoc_profile(kafka.bootstrap), refresh_interval=0.5))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await wait_for(
            pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic), what="first snapshot"
        )
        seen_panes_entry = False
        for spec in PANES:
            await pilot.press(spec.key)
            await wait_for(pilot, lambda spec=spec: app.active_pane_id == spec.pane_id, what=spec.pane_id)
            if spec.pane_id == "tail":  # the first visit asks what to tail
                await wait_for(pilot, lambda: app.screen is not app.screen_stack[0], what="tail form")
                await pilot.press(*topic, "enter")
            await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back on the main screen")
            if spec.pane_id == "producer":
                # Typing in a field: the essentials stay on the line (dim), and
                # after esc they work again.
                await pilot.pause(0.3)
                assert_clean_footer(app, "producer, in a field")
                assert not any(e.enabled for e in app.query_one(KeyFooter).essentials if e.key != "ctrl+p")
                await pilot.press("escape")
            await pilot.pause(0.3)
            chunks = assert_clean_footer(app, spec.pane_id)
            assert all(e.enabled for e in app.query_one(KeyFooter).essentials), spec.pane_id
            seen_panes_entry |= f"{compact_keys([s.key for s in PANES])} Panes" in chunks
        # Where there is room (the overview has few keys of its own), the pane keys.
        assert seen_panes_entry
        # The detail panes.
        await pilot.press("2", "slash", *topic, "enter")
        await wait_for(pilot, lambda: app.active_pane().operation_topic() == topic, what="topic selected")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "topic-detail", what="topic detail")
        await pilot.pause(0.3)
        assert_clean_footer(app, "topic detail")
        await pilot.press("4", "slash", *group, "enter")
        await wait_for(
            pilot,
            lambda: (g := app.active_pane().operation_group()) is not None and g.name == group,
            what="group selected",
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_pane_id == "group-detail", what="group detail")
        await pilot.pause(0.3)
        chunks = assert_clean_footer(app, "group detail")
        assert "r Reset offsets" in chunks


async def test_keys_remapped_in_the_config_show_in_the_footer(kafka):
    config = parse_config("keys:\n  app.help: f1\n  topics.filter: f\n")
    app = make_app(config, adhoc_profile(kafka.bootstrap))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: app.active_pane_id == "topics", what="topics pane")
        await wait_for(pilot, lambda: "f Filter" in footer_chunks(app), what="remapped filter key in the footer")
        chunks = footer_chunks(app)
        assert "f1 Help" in chunks and "? Help" not in chunks and "/ Filter" not in chunks
        # The footer says what the keys do: f1 opens the help.
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="help on f1")


async def test_header_names_the_detail_pane_and_returns_on_escape(kafka):
    topic, group = f"head-{uuid.uuid4().hex[:6]}", f"head-g-{uuid.uuid4().hex[:6]}"
    await make_group(kafka, topic, group)
    app = make_app(Config(), replace(adhoc_profile(kafka.bootstrap), refresh_interval=0.5))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await wait_for(
            pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic), what="first snapshot"
        )
        await pilot.press("4", "slash", *group, "enter")
        await wait_for(
            pilot,
            lambda: (g := app.active_pane().operation_group()) is not None and g.name == group,
            what="group selected",
        )
        assert "│ Groups │" in header_row(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: f"│ Group {group} │" in header_row(app), what="group detail in the header")
        assert "│ Groups │" not in header_row(app)
        # A topic opened from the group's detail, then back twice.
        await wait_for(pilot, lambda: app.active_pane().operation_topic() == topic, what="partition row")
        await pilot.press("enter")
        await wait_for(pilot, lambda: f"│ Topic {topic} │" in header_row(app), what="topic detail in the header")
        await pilot.press("escape")
        await wait_for(pilot, lambda: f"│ Group {group} │" in header_row(app), what="back to the group detail")
        assert app.active_pane_id == "group-detail"
        await pilot.press("escape")
        await wait_for(pilot, lambda: "│ Groups │" in header_row(app), what="back to the groups")
        assert app.active_pane_id == "groups"
        # From the topics pane too.
        await pilot.press("2", "slash", *topic, "enter")
        await wait_for(pilot, lambda: app.active_pane().operation_topic() == topic, what="topic selected")
        await pilot.press("enter")
        await wait_for(pilot, lambda: f"│ Topic {topic} │" in header_row(app), what="topic detail from the topics")
        await pilot.press("escape")
        await wait_for(pilot, lambda: "│ Topics │" in header_row(app), what="back to the topics")


async def test_header_redraws_only_when_its_text_changes(kafka):
    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        header = app.query_one(ClusterHeader)
        await wait_for(pilot, lambda: app.connection.connected and " broker" in header.text, what="connected")
        await pilot.pause(0.3)
        before, text = header.updates, header.text
        # Its timer redraws every second and each refresh sets the snapshot
        # again: the same text is no update.
        ticks = app.snapshot
        await wait_for(pilot, lambda: app.snapshot is not ticks, what="a new snapshot")
        await pilot.pause(1.2)
        assert header.text == text
        assert header.updates == before
        await pilot.press("3")
        await wait_for(pilot, lambda: "│ Brokers │" in header.text, what="brokers title")
        assert header.updates == before + 1


async def test_footer_is_not_rebuilt_when_focus_keeps_the_same_keys(kafka):
    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        footer = app.query_one(KeyFooter)
        await pilot.press("6")
        await wait_for(
            pilot,
            lambda: app.active_pane_id == "producer" and app.focused is not None and app.focused.id == "producer-topic",
            what="producer topic field",
        )
        await pilot.pause(0.3)
        updates, renders, shown = footer.updates, footer.renders, footer_chunks(app)
        # Topic -> partition -> key: three fields with the same keys.
        for field in ("producer-partition", "producer-key"):
            await pilot.press("tab")
            await wait_for(pilot, lambda field=field: app.focused is not None and app.focused.id == field, what=field)
            await pilot.pause(0.2)
        assert footer.updates == updates
        assert footer.renders == renders
        assert footer_chunks(app) == shown
        # Out of the field the keys change (the essentials work again): one update.
        await pilot.press("escape")
        await wait_for(pilot, lambda: footer.updates == updates + 1, what="footer update after esc")
        assert all(e.enabled for e in footer.essentials)
