"""Every pane and every modal at 80x24, reached only by the keys a user would
press, in one run of the real app on the real single-broker cluster.

Each stop asserts the screen's key content (title, first columns or fields,
the status or hint line) and that nothing is cut off: no widget reaches past
the edge of what holds it unless something there can scroll to it, and no
text is taller than the box it is drawn in.  Every modal is left with
``escape``: nothing is ever written to the cluster, and the test checks that
with Kafka's own tools at the end."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import replace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from screen_text import screen_rows, screen_text, wait_for
from textual.command import CommandPalette
from textual.widget import Widget
from textual.widgets import Static

from kview.app import make_app
from kview.core.cluster import connection_kwargs
from kview.core.config import Config, adhoc_profile
from kview.ui.screens.help import HelpScreen
from kview.ui.screens.jump import JumpScreen

WIDTH, HEIGHT = 80, 24

# -- what the terminal shows ---------------------------------------------------------------


def _squeeze(text: str) -> str:
    # Spaces, borders, block characters and a Select's arrow go: a text
    # wrapped over two lines of a dialog still matches.
    return re.sub(r"[\s\u2500-\u259f▊▎▔▁▼]+", "", text)


def missing(app, *texts: str) -> list[str]:
    """The texts that are not on screen (each may wrap over lines)."""
    shown = _squeeze(screen_text(app))
    return [t for t in texts if _squeeze(t) not in shown]


# -- nothing cut off ------------------------------------------------------------------------


def _scrolls(widget: Widget, horizontal: bool) -> bool:
    """Whether ``widget`` or a container around it can scroll that way, so
    that what lies past its edge can be reached with keys."""
    node = widget.parent
    while isinstance(node, Widget):
        # max_scroll_x alone is not enough: a container with overflow hidden
        # has room to scroll in theory, but nothing ever scrolls it.
        if node.allow_horizontal_scroll if horizontal else node.allow_vertical_scroll:
            return True
        node = node.parent
    return False


def cut_off(app) -> list[str]:
    """What is cut off on the screen the user sees: a widget that reaches
    past the terminal or past its container's clip with nothing there to
    scroll it into view, or a text taller than the box it is drawn in."""
    screen = app.screen
    problems = []
    for widget, (region, clip) in screen._compositor.visible_widgets.items():
        name = f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__
        if region.right > WIDTH or region.bottom > HEIGHT or region.x < 0 or region.y < 0:
            if not (_scrolls(widget, True) or _scrolls(widget, False)):
                problems.append(f"{name} at {region} is outside the {WIDTH}x{HEIGHT} terminal")
                continue
        if region.right > clip.right and not _scrolls(widget, True):
            problems.append(f"{name} at {region} is cut at column {clip.right}")
        if region.bottom > clip.bottom and not _scrolls(widget, False):
            problems.append(f"{name} at {region} is cut at row {clip.bottom}")
        # The header and a pane's status line are one row by design, their
        # parts ordered most important first: their end may be cut on a
        # narrow terminal (each stop checks that their first parts show).
        if isinstance(widget, Static) and type(widget).__name__ not in ("ClusterHeader", "PaneStatus"):
            box = widget.content_region
            if box.width > 0 and box.height > 0:
                needed = widget.get_content_height(widget.container_size, app.size, box.width)
                if needed > box.height:
                    problems.append(f"{name} needs {needed} rows, has {box.height}: {str(widget.render())[:60]!r}")
    return problems


async def expect(pilot, screen_type, *texts: str, what: str) -> None:
    """Wait until the app shows ``screen_type`` (a class, or None for the
    main screen) with every text on it, then check that nothing is cut off."""
    app = pilot.app

    def ready() -> bool:
        if screen_type is None:
            on_top = app.screen is app.screen_stack[0]
        else:
            on_top = isinstance(app.screen, screen_type)
        return on_top and not missing(app, *texts)

    try:
        await wait_for(pilot, ready, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{what}: missing {missing(app, *texts)} on {type(app.screen).__name__}\n{exc}") from None
    await pilot.pause(0.2)
    problems = cut_off(app)
    assert not problems, f"{what} at {WIDTH}x{HEIGHT}:\n" + "\n".join(problems) + "\n" + screen_text(app)


async def back_out(pilot, what: str) -> None:
    """Escape until no modal is left (a modal cancels on escape)."""
    app = pilot.app
    for _ in range(3):
        if app.screen is app.screen_stack[0]:
            return
        await pilot.press("escape")
        await pilot.pause(0.2)
    assert app.screen is app.screen_stack[0], f"escape did not close {what}: {type(app.screen).__name__}"


# -- the data the screens show -----------------------------------------------------------------


async def tool(kafka, *args: str) -> str:
    return (await asyncio.to_thread(kafka.run_tool, *args)).stdout


COMMITTED = 2
"""The offset the test group committed in every partition."""


async def make_data(kafka, topic: str, group: str) -> dict[int, int]:
    """A topic with keyed JSON records in three partitions, and a group
    (without members) that committed offset COMMITTED in each.  Returns the
    records per partition (the final check compares them with Kafka's tools)."""
    await tool(kafka, "kafka-topics", "--create", "--topic", topic, "--partitions", "3")
    settings = connection_kwargs(adhoc_profile(kafka.bootstrap))
    producer = AIOKafkaProducer(**settings, acks="all")
    await producer.start()
    counts = {0: 4, 1: 5, 2: 6}
    try:
        for partition, count in counts.items():
            for i in range(count):
                await producer.send(
                    topic, f'{{"n": {i}, "p": {partition}}}'.encode(), key=f"k{i}".encode(), partition=partition
                )
        await producer.flush()
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(**settings, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in counts])
        await consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(COMMITTED, "") for p in counts})
    finally:
        await consumer.stop()
    return counts


async def assert_untouched(kafka, topic: str, group: str, counts: dict[int, int]) -> None:
    """The topic still has its partitions, records and settings, and the
    group its offsets, as Kafka's own tools report them."""
    from kafka_tools import parse_get_offsets, parse_topics_describe

    partitions = {
        p
        for (t, p) in parse_topics_describe(await tool(kafka, "kafka-topics", "--describe", "--topic", topic))
        if t == topic
    }
    assert partitions == set(counts)
    earliest = parse_get_offsets(await tool(kafka, "kafka-get-offsets", "--topic", topic, "--time", "-2"))
    latest = parse_get_offsets(await tool(kafka, "kafka-get-offsets", "--topic", topic, "--time", "-1"))
    assert earliest == {(topic, p): 0 for p in counts}
    assert latest == {(topic, p): n for p, n in counts.items()}
    configs = await tool(kafka, "kafka-configs", "--describe", "--entity-type", "topics", "--entity-name", topic)
    assert f"Dynamic configs for topic {topic} are:" in configs and "retention.ms" not in configs
    described = await tool(kafka, "kafka-consumer-groups", "--describe", "--group", group)
    rows = [line.split() for line in described.splitlines() if line.split()[:2] == [group, topic]]
    assert sorted((int(r[2]), r[3]) for r in rows) == [(p, str(COMMITTED)) for p in sorted(counts)], described


# -- the forms -----------------------------------------------------------------------------


async def walk_topic_forms(pilot, topic: str, counts: dict[int, int]) -> None:
    """Open each topic operation's form with its key, check it, cancel it."""
    from kview.ui.screens.add_partitions import AddPartitionsScreen
    from kview.ui.screens.confirm import ConfirmScreen
    from kview.ui.screens.create_topic import CreateTopicScreen
    from kview.ui.screens.delete_records import DeleteRecordsScreen
    from kview.ui.screens.edit_configs import EditConfigsScreen

    await pilot.press("c")
    await expect(
        pilot,
        CreateTopicScreen,
        "Create topic",
        "Name",
        "Partitions",
        "Replication factor",
        "Configs (optional)",
        "Create",
        "Cancel",
        "ctrl+s creates · tab moves · esc cancels",
        what="create topic",
    )
    await back_out(pilot, "create topic")
    await pilot.press("d")
    await expect(
        pilot,
        ConfirmScreen,
        f"Delete topic '{topic}'?",
        "This cannot be undone.",
        f"Type '{topic}' to confirm:",
        "Delete topic",
        what="delete topic",
    )
    await back_out(pilot, "delete topic")
    await pilot.press("plus")
    await expect(
        pilot,
        AddPartitionsScreen,
        f"Add partitions to '{topic}'",
        f"The topic has {len(counts)} partition(s).",
        "New total count",
        "Partitions cannot be removed afterwards.",
        "enter or ctrl+s applies · esc cancels",
        what="add partitions",
    )
    await back_out(pilot, "add partitions")
    await pilot.press("e")
    await expect(
        pilot,
        EditConfigsScreen,
        f"Edit configs of '{topic}'",
        "name=value per line",
        "Review",
        "ctrl+s reviews the changes · esc cancels",
        what="edit configs",
    )
    # The review stage: what would change, old -> new (escape, never Apply).
    await pilot.press(*"retention.ms=3600000", "ctrl+s")
    await expect(
        pilot,
        EditConfigsScreen,
        "These changes will be applied (old -> new):",
        "retention.ms",
        "3600000",
        "Apply",
        "Back",
        "ctrl+s applies · esc cancels",
        what="edit configs review",
    )
    await back_out(pilot, "edit configs review")
    await pilot.press("x")
    await expect(
        pilot,
        DeleteRecordsScreen,
        f"Delete records of '{topic}'",
        *(f"partition {p}: low 0 · high {n} ({n} records)" for p, n in counts.items()),
        "Everything: truncate every partition",
        "Before an offset",
        "ctrl+s reviews what will be deleted · esc cancels",
        what="delete records",
    )
    # The per-partition mode brings its text field; its review says what goes.
    await pilot.press("down", "enter")
    await expect(pilot, DeleteRecordsScreen, "partition=offset per line", what="delete records per partition")
    await pilot.press("tab", *"0=2", "ctrl+s")
    await expect(
        pilot,
        DeleteRecordsScreen,
        f"Delete records of '{topic}': 2 record(s) now.",
        "partition 0: delete offsets 0..1 (2 records); it will start at 2",
        "This cannot be undone",
        "Delete records",
        "ctrl+s deletes · esc cancels",
        what="delete records review",
    )
    await back_out(pilot, "delete records review")


async def walk_detail_forms(pilot, topic: str) -> None:
    """The topic detail opens the same forms on its own topic."""
    from kview.ui.screens.add_partitions import AddPartitionsScreen
    from kview.ui.screens.delete_records import DeleteRecordsScreen

    await pilot.press("x")
    await expect(pilot, DeleteRecordsScreen, f"Delete records of '{topic}'", what="delete records (detail)")
    await back_out(pilot, "delete records (detail)")
    await pilot.press("plus")
    await expect(pilot, AddPartitionsScreen, f"Add partitions to '{topic}'", what="add partitions (detail)")
    await back_out(pilot, "add partitions (detail)")
    await walk_copy_dialog(pilot, topic, "copy records (detail)")
    from kview.ui.screens.find import FindScreen

    await pilot.press("f")
    await expect(
        pilot,
        FindScreen,
        f"Find in {topic}",
        "Key",
        "Filter",
        "From",
        "To",
        "Max",
        "key in all partitions",
        "ctrl+s search · enter open a match · x export · C copy · esc stop, close",
        what="find (detail)",
    )
    await back_out(pilot, "find (detail)")


async def walk_copy_dialog(pilot, topic: str, what: str) -> None:
    """The copy dialog (C), in both modes; the tallest state: a chosen
    partition's field shown.  Nothing is counted or sent."""
    from kview.ui.screens.copy_records import CopyRecordsScreen

    await pilot.press("C")
    await expect(
        pilot,
        CopyRecordsScreen,
        f"Copy records of '{topic}'",
        "Mode",
        "To topic",
        "From",
        "To (excl.)",
        "Filter",
        "Partition",
        "keys",
        "headers",
        "timestamps",
        "Rate/s",
        "Count",
        "ctrl+s counts what would be copied (a dry run: nothing is sent)",
        what=what,
    )
    form = pilot.app.screen
    form.query_one("#copy-mode").value = "redrive"
    await expect(pilot, CopyRecordsScreen, f"Redrive records of '{topic}'", "Header", "by key", what=f"{what}, redrive")
    form.query_one("#copy-partitioning").value = "chosen"
    await expect(pilot, CopyRecordsScreen, "one partition", what=f"{what}, one partition")
    await back_out(pilot, what)


async def walk_offsets_files(pilot, group: str) -> None:
    """The group detail's export (e) and import (i) forms, cancelled."""
    from kview.ui.screens.offsets_file import ExportOffsetsScreen, ImportOffsetsScreen

    await pilot.press("e")
    await expect(
        pilot,
        ExportOffsetsScreen,
        f"Export the committed offsets of group '{group}'",
        "File",
        "kview-offsets-",
        "Topics",
        "Export",
        what="export offsets",
    )
    await back_out(pilot, "export offsets")
    await pilot.press("i")
    await expect(
        pilot,
        ImportOffsetsScreen,
        f"Import offsets into group '{group}'",
        "File",
        "Preview",
        "ctrl+s previews; nothing changes before Apply",
        what="import offsets",
    )
    await back_out(pilot, "import offsets")


async def walk_group_forms(pilot, group: str, topic: str, counts: dict[int, int]) -> None:
    """Reset offsets up to its preview, delete group, delete offsets: each
    opened with its key and cancelled."""
    from kview.ui.screens.confirm import ConfirmScreen
    from kview.ui.screens.delete_offsets import DeleteOffsetsScreen
    from kview.ui.screens.reset_offsets import ResetOffsetsScreen

    await pilot.press("r")
    await expect(
        pilot,
        ResetOffsetsScreen,
        f"Reset offsets of group '{group}'",
        "Reset to",
        "the earliest offset (read everything again)",
        "Scope",
        "every topic the group has committed",
        "Preview",
        "ctrl+s previews; nothing changes before Apply · esc cancels",
        what="reset offsets",
    )
    # Back to the earliest offset (0 here): every partition moves, the lag
    # grows from what is left after the commit to every record.
    lag_now, lag_after = sum(n - COMMITTED for n in counts.values()), sum(counts.values())
    summary = f"{len(counts)} partition(s), {len(counts)} would change"
    await pilot.press("ctrl+s")
    await expect(
        pilot,
        ResetOffsetsScreen,
        "Topic",
        "Partition",
        "Current",
        "New",
        "Change",
        "Lag after",
        f"{summary} · lag now {lag_now} → after the reset {lag_after}",
        "Apply",
        "ctrl+s applies these offsets",
        what="reset offsets preview",
    )
    await back_out(pilot, "reset offsets preview")
    # The tallest state of the form: a date (value row and its reading),
    # chosen partitions of one topic (topic and partitions rows), previewed.
    await pilot.press("r")
    await expect(pilot, ResetOffsetsScreen, f"Reset offsets of group '{group}'", what="reset offsets again")
    form = pilot.app.screen
    await choose(pilot, 3)
    await pilot.press("tab", *"-1h", "tab")
    await choose(pilot, 2)
    await pilot.press("tab")
    await choose(pilot, 1 if form.topic is None else 0)
    chosen = f"0-{len(counts) - 1}"
    await pilot.press("tab", *chosen, "ctrl+s")
    await expect(
        pilot,
        ResetOffsetsScreen,
        "a date and time",
        "local time",
        "chosen partitions of one topic",
        "Topic",
        "Partitions",
        chosen,
        summary,
        "Apply",
        what="reset offsets to a date, chosen partitions, previewed",
    )
    assert form.kind == "datetime" and form.scope == "partitions" and form.topic == topic
    await back_out(pilot, "reset offsets to a date")
    await pilot.press("d")
    await expect(
        pilot,
        ConfirmScreen,
        f"Delete consumer group '{group}'?",
        "This cannot be undone.",
        f"Type '{group}' to confirm:",
        "Delete group",
        what="delete group",
    )
    await back_out(pilot, "delete group")
    await pilot.press("o")
    await expect(
        pilot,
        DeleteOffsetsScreen,
        f"Delete committed offsets of group '{group}'",
        "Topic",
        topic,
        "Delete offsets",
        "ctrl+s deletes · esc cancels",
        what="delete offsets",
    )
    await back_out(pilot, "delete offsets")


async def walk_replica_screens(pilot) -> None:
    """The brokers pane's leader list, election form, plan builder and the
    reassignments in progress (on one broker nothing can move: each is
    opened and left)."""
    from kview.ui.screens.leaders import ElectionScreen, LeadersScreen
    from kview.ui.screens.reassign_plan import PlanScreen
    from kview.ui.screens.reassignments import ReassignmentsScreen

    await pilot.press("l")
    await expect(
        pilot,
        LeadersScreen,
        "is led by its preferred replica",
        "0 selected",
        "space selects · a all/none · e elects preferred leaders · esc closes",
        what="leader list",
    )
    await back_out(pilot, "leader list")
    await pilot.press("e")
    await expect(
        pilot,
        ElectionScreen,
        "Elect leaders",
        "Election",
        "preferred: the first replica, if in sync",
        "Scope",
        "every partition (0 not on preferred leader)",
        "Elect",
        "ctrl+s elects (asks first) · tab moves · esc cancels",
        what="election form",
    )
    await back_out(pilot, "election form")
    await pilot.press("p")
    await expect(
        pilot,
        PlanScreen,
        "Plan a reassignment",
        "Intent",
        "drain a broker (move every replica off it)",
        "Broker",
        "broker 1",
        "Topic",
        "(every topic: drain only)",
        "Preview",
        "ctrl+s previews the plan; nothing changes before Apply · esc cancels",
        what="plan form",
    )
    await back_out(pilot, "plan form")
    await pilot.press("m")
    await expect(
        pilot,
        ReassignmentsScreen,
        "Reassignments in progress (any tool's)",
        "No reassignment in progress.",
        "c cancels all · x cancels this one · t unthrottles · esc closes",
        what="reassignments in progress",
    )
    await back_out(pilot, "reassignments in progress")


async def choose(pilot, steps_down: int) -> None:
    """Pick an option of the focused Select, ``steps_down`` below the current one."""
    await pilot.press("enter")
    await pilot.pause(0.2)
    await pilot.press(*(["down"] * steps_down), "enter")
    await pilot.pause(0.2)


async def walk_tail(pilot, topic: str) -> None:
    """The tail's start form, the tail itself, a record's detail, the jumps
    and the export form."""
    from kview.ui.screens.tail_start import ExportScreen, TailStartScreen

    await pilot.press("5")
    await expect(
        pilot,
        TailStartScreen,
        "Tail a topic",
        "Topic",
        "Partition",
        "Start at",
        "the last N records per partition",
        "Value",
        "enter or ctrl+s starts · tab moves · esc cancels",
        what="tail start",
    )
    await pilot.press(*topic, "enter")
    await expect(
        pilot, None, topic, "all partitions", "offset", "key", "value", '"n": 5', "FOLLOWING", what="tail pane"
    )
    await pilot.press("up")
    await pilot.press("enter")
    await expect(pilot, None, f"{topic}  partition", "offset", "value as auto (f changes)", what="record detail")
    await pilot.press("escape")
    await expect(pilot, None, "SCROLLED (G follows)", '"n": 5', what="tail pane after the record detail")
    await pilot.press("o")
    await expect(pilot, TailStartScreen, "Jump to an offset", "an offset", what="jump to offset")
    await back_out(pilot, "jump to offset")
    await pilot.press("d")
    await expect(pilot, TailStartScreen, "Jump to a date and time", "a date and time", what="jump to time")
    await back_out(pilot, "jump to time")
    await pilot.press("x")
    await expect(
        pilot,
        ExportScreen,
        "to a JSON Lines file",
        f"kview-{topic}-",
        "only the selected record",
        "enter exports · esc cancels",
        what="export",
    )
    await back_out(pilot, "export")
    from kview.ui.screens.find import FindScreen

    await pilot.press("f")
    await expect(pilot, FindScreen, f"Find in {topic}", what="find (tail)")
    await pilot.press("ctrl+s")
    await expect(pilot, FindScreen, "whole window read", "Partition", "Read to", "read whole", what="find results")
    await back_out(pilot, "find (tail)")
    await pilot.press("t")
    await expect(pilot, TailStartScreen, "Tail a topic", topic, what="tail start again")
    await back_out(pilot, "tail start again")
    await walk_copy_dialog(pilot, topic, "copy records (tail)")


async def walk_producer(pilot, topic: str) -> None:
    """The producer's form and each of its modals: settings, history, file
    import and (with a topic in the form) the templated load."""
    from kview.ui.screens.import_file import ImportFileScreen
    from kview.ui.screens.produce_load import LoadScreen
    from kview.ui.screens.producer_settings import ProducerSettingsScreen
    from kview.ui.screens.send_history import SendHistoryScreen

    await pilot.press("6")
    await expect(
        pilot,
        None,
        "Topic",
        "Partition",
        "Key",
        "Format",
        "Value",
        "Headers: name=value",
        "Send",
        "tab: next field · ctrl+s: send",
        what="producer pane",
    )
    await pilot.press("ctrl+t")
    await expect(
        pilot,
        ProducerSettingsScreen,
        "Producer settings",
        "acks",
        "Idempotence",
        "Compression",
        "Linger (ms)",
        "Batch (bytes)",
        "Apply",
        "Cancel",
        what="producer settings",
    )
    await back_out(pilot, "producer settings")
    await pilot.press("ctrl+b")
    await expect(pilot, SendHistoryScreen, "Sent messages (0, newest first)", "Nothing sent yet", what="send history")
    await back_out(pilot, "send history")
    await pilot.press("ctrl+o")
    await expect(
        pilot,
        ImportFileScreen,
        "Import messages from a file",
        "File",
        "Topic",
        "Partition",
        "Format",
        "type a path to preview the file",
        what="import file",
    )
    await back_out(pilot, "import file")
    await pilot.press(*topic)
    await pilot.press("ctrl+l")
    await expect(
        pilot, LoadScreen, f"Templated load into '{topic}'", "placeholders", "Messages", "Rate/s", what="templated load"
    )
    await back_out(pilot, "templated load")


# -- the walk ------------------------------------------------------------------------------


async def walk_access(pilot) -> None:
    """The Access pane's three views and the form of each (cancelled)."""
    from kview.ui.screens.access_forms import AclCreateForm, PasswordForm, QuotaForm

    await pilot.press("8")
    await expect(
        pilot,
        None,
        "ACLs off",
        "SCRAM users",
        "Client quotas",
        "no authorizer is configured on the brokers",
        what="access pane, ACLs without an authorizer",
    )
    await pilot.press("n")
    await expect(pilot, AclCreateForm, "New ACL binding(s)", "Principal", "Pattern type", what="new ACL form")
    await back_out(pilot, "new ACL form")
    await pilot.press("v")
    await expect(pilot, None, "User", "Mechanisms (iterations)", "users · ", what="access pane, users")
    await pilot.press("n")
    await expect(pilot, PasswordForm, "New SCRAM user", "Password", "Again", "Iterations", what="new user form")
    await back_out(pilot, "new user form")
    await pilot.press("v")
    await expect(pilot, None, "Entity", "Quotas", "entities · ", what="access pane, quotas")
    await pilot.press("n")
    await expect(pilot, QuotaForm, "Set a client quota", "Entity", "Value", what="quota form")
    await back_out(pilot, "quota form")


async def test_every_pane_and_modal_at_80x24(kafka):
    topic = f"every-{uuid.uuid4().hex[:6]}"
    group = f"every-g-{uuid.uuid4().hex[:6]}"
    counts = await make_data(kafka, topic, group)
    profile = replace(adhoc_profile(kafka.bootstrap), refresh_interval=0.5)
    app = make_app(Config(), profile)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await wait_for(
            pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic), what="first snapshot"
        )
        # -- overview
        await expect(
            pilot,
            None,
            "kview",
            "connected",
            "Overview",
            "Brokers",
            "Controller",
            "Broker",
            "Host:port",
            "updated",
            what="overview",
        )
        # -- help, jump, palette
        await pilot.press("question_mark")
        await expect(pilot, HelpScreen, "kview keys", "Global", "Help", what="help")
        await back_out(pilot, "help")
        await pilot.press("colon")
        await expect(pilot, JumpScreen, "Go to a pane or topic (tab completes, esc cancels)", what="jump")
        await back_out(pilot, "jump")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"create topic")
        await expect(pilot, CommandPalette, "Topics: Create topic", "key c in Topics", what="palette")
        await back_out(pilot, "the palette")

        # -- topics, and every topic operation's form
        await pilot.press("2")
        await expect(pilot, None, "Topics", "Topic", "Parts", "Messages", "topics · ", what="topics pane")
        await pilot.press("slash", *topic, "enter")
        await wait_for(pilot, lambda: app.active_pane().operation_topic() == topic, what="topic selected")
        await expect(pilot, None, topic, f"filter '{topic}'", what="topics pane filtered")
        await walk_topic_forms(pilot, topic, counts)

        # -- topic detail
        await pilot.press("enter")
        await expect(
            pilot,
            None,
            f"Topic {topic}",
            "Partitions (* = replica out of the ISR)",
            "Leader",
            "Configs",
            "tab moves between tables",
            what="topic detail",
        )
        await walk_detail_forms(pilot, topic)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.active_pane_id == "topics", what="back to the topics")

        # -- brokers
        await pilot.press("3")
        await expect(
            pilot,
            None,
            "Brokers · controller 1",
            "ID",
            "Host:port",
            "KRaft quorum · leader 1",
            "Configs of broker 1",
            "Config",
            "Value",
            "Source",
            "1 broker(s) · every leader preferred · cluster",
            what="brokers pane",
        )
        await walk_replica_screens(pilot)

        # -- groups, every group operation's form, the reset preview, group detail
        await pilot.press("4")
        await expect(
            pilot, None, "Groups", "Consumer group", "Status", "Lag", "Time lag", " groups · ", what="groups pane"
        )  # the status line's start: what follows depends on the cluster
        await pilot.press("slash", *group, "enter")
        await wait_for(
            pilot,
            lambda: (g := app.active_pane().operation_group()) is not None and g.name == group,
            what="group selected",
        )
        await expect(pilot, None, group, what="groups pane filtered")
        await walk_group_forms(pilot, group, topic, counts)
        await pilot.press("enter")
        await expect(
            pilot,
            None,
            f"{group} · Empty",
            "Total lag over the last",
            "Partitions: 3",
            "Topic",
            "Part",
            "Committed",
            "Log end",
            "Lag",
            "Members: none",
            "updated",
            what="group detail",
        )
        await walk_offsets_files(pilot, group)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.active_pane_id == "groups", what="back to the groups")

        # -- tail: the first visit asks what to tail
        await walk_tail(pilot, topic)

        # -- producer
        await walk_producer(pilot, topic)
        await pilot.press("escape")  # leave the form's field: pane keys work again

        # -- transactions (other tests' transactional ids may be listed: the headers and the status)
        await pilot.press("9")
        await expect(
            pilot,
            None,
            "Transactional ids",
            "Transactional id",
            "State",
            "Partitions held by open transactions",
            "Partition",
            "LSO",
            "Behind",
            "hanging after 15m",
            what="transactions pane",
        )
        # -- access: the three views and their forms (this broker has no authorizer)
        await walk_access(pilot)
        await pilot.press("1")
        await expect(pilot, None, "Overview", "Controller", what="back to the overview")

    # Every form was cancelled: Kafka's tools see the cluster as it was made.
    await assert_untouched(kafka, topic, group, counts)


async def test_long_names_wrap_in_every_form(kafka):
    """Real clusters have long topic and group names: every form that names
    them shows them whole at 80x24 (wrapped, never cut), the confirmation's
    text to type included."""
    from kview.ui.screens.add_partitions import AddPartitionsScreen
    from kview.ui.screens.confirm import ConfirmScreen
    from kview.ui.screens.delete_offsets import DeleteOffsetsScreen
    from kview.ui.screens.delete_records import DeleteRecordsScreen
    from kview.ui.screens.edit_configs import EditConfigsScreen
    from kview.ui.screens.reset_offsets import ResetOffsetsScreen

    tag = uuid.uuid4().hex[:6]
    topic = f"com.example.payments.settlement.events.reconciliation-completed.v2.dead-letter.{tag}"
    group = f"payments-settlement-reconciliation-service-consumers-production-eu-west-1-{tag}"
    counts = await make_data(kafka, topic, group)
    app = make_app(Config(), replace(adhoc_profile(kafka.bootstrap), refresh_interval=0.5))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await wait_for(
            pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic), what="first snapshot"
        )
        await pilot.press("2")
        await wait_for(pilot, lambda: app.active_pane_id == "topics", what="topics pane")
        await pilot.press("slash", *topic, "enter")
        await wait_for(pilot, lambda: app.active_pane().operation_topic() == topic, what="topic selected")
        for key, screen_type, texts in (
            ("d", ConfirmScreen, (f"Delete topic '{topic}'?", f"Type '{topic}' to confirm:")),
            ("plus", AddPartitionsScreen, (f"Add partitions to '{topic}'",)),
            ("e", EditConfigsScreen, (f"Edit configs of '{topic}'",)),
            ("x", DeleteRecordsScreen, (f"Delete records of '{topic}'",)),
        ):
            await pilot.press(key)
            await expect(pilot, screen_type, *texts, what=f"{screen_type.__name__} of a long topic name")
            await back_out(pilot, screen_type.__name__)
        await pilot.press("4")
        await wait_for(pilot, lambda: app.active_pane_id == "groups", what="groups pane")
        await pilot.press("slash", *group, "enter")
        await wait_for(
            pilot,
            lambda: (g := app.active_pane().operation_group()) is not None and g.name == group,
            what="group selected",
        )
        await pilot.press("r")
        await expect(pilot, ResetOffsetsScreen, f"Reset offsets of group '{group}'", what="reset, long names")
        form = app.screen
        await pilot.press("tab")
        await choose(pilot, 1)
        await pilot.press("tab")
        await choose(pilot, 1 if form.topic is None else 0)
        assert form.scope == "topic" and form.topic == topic
        await expect(pilot, ResetOffsetsScreen, f"{topic} (the group's)", what="reset, one topic of a long name")
        await back_out(pilot, "reset offsets")
        await pilot.press("d")
        await expect(
            pilot,
            ConfirmScreen,
            f"Delete consumer group '{group}'?",
            f"Type '{group}' to confirm:",
            what="delete group, long name",
        )
        await back_out(pilot, "delete group")
        await pilot.press("o")
        await expect(
            pilot,
            DeleteOffsetsScreen,
            f"Delete committed offsets of group '{group}'",
            topic,
            what="delete offsets, long names",
        )
        await back_out(pilot, "delete offsets")
    await assert_untouched(kafka, topic, group, counts)


# -- every binding in the help and in the palette ------------------------------------------------


def _classes_in(package: str, base: type) -> list[type]:
    """The classes derived from ``base`` defined in ``package``'s modules."""
    import importlib
    import pkgutil

    found = []
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, base) and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def pane_bindings() -> list[tuple[str, list]]:
    """(pane class name, its bindings) of every pane in kview/ui/panes: the
    ones switched to with a digit and the detail panes."""
    from kview.ui.panes.base import Pane
    from kview.ui.screens.help import binding_rows

    return [
        (cls.__name__, binding_rows(cls.BINDINGS))
        for cls in _classes_in("kview.ui.panes", Pane)
        if cls.pane_id and cls.BINDINGS
    ]


def dialog_bindings() -> list[tuple[str, list]]:
    """(class name, its own bindings) of every modal screen in
    kview/ui/screens, and of kview's widgets that declare keys with ids (the
    filter line).  Subclasses that only inherit their keys are left out: the
    base's section covers them."""
    from textual.screen import ModalScreen

    from kview.ui.screens.help import binding_rows

    out = []
    for cls in _classes_in("kview.ui.screens", ModalScreen):
        if "BINDINGS" in vars(cls):
            out.append((cls.__name__, binding_rows(cls.BINDINGS)))
    for cls in _classes_in("kview.ui.widgets", Widget):
        # Widgets' keys without ids are plain navigation (arrows, page keys)
        # that work in every table; keys with ids are kview's own.
        declared = [b for b in binding_rows(vars(cls).get("BINDINGS", [])) if b.id]
        if declared:
            out.append((cls.__name__, declared))
    return out


def key_display(app, binding) -> str:
    """The keys of a binding as the help shows them (``^p``, ``/``, ``⏎``)."""
    from textual.binding import Binding

    keys = app._keymap.get(binding.id, binding.key) if binding.id else binding.key
    return binding.key_display or ", ".join(app.get_key_display(Binding(k, "")) for k in keys.split(","))


async def test_every_binding_is_in_the_help(kafka):
    """Every key of the app, of every pane (detail panes too) and of every
    dialog is a row of the help (its keys and its description): as many rows
    as there are owners of the same key and description."""
    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    owners = [("KViewApp", list(app.BINDINGS)), *pane_bindings(), *dialog_bindings()]
    assert {"TopicDetailPane", "GroupDetailPane", "RecordDetail", "OperationForm"} <= {o for o, _ in owners}
    # Tall enough that the whole help shows at once.
    async with app.run_test(size=(100, 400)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause(0.3)
        rows = [" ".join(row.split()) for row in screen_rows(app)]
        wanted: dict[str, list[str]] = {}
        for owner, bindings in owners:
            for binding in bindings:
                row = " ".join(f"{key_display(app, binding)} {binding.description}".split())
                wanted.setdefault(row, []).append(f"{owner}: {binding.id or binding.action}")
        problems = []
        for row, who in wanted.items():
            shown = sum(1 for line in rows if row in line)
            if shown < len(who):
                problems.append(f"{row!r} shown {shown} time(s), wanted by {who}")
        assert not problems, "\n".join(problems) + "\n" + "\n".join(rows)


async def test_the_help_scrolls_to_its_end_at_80x24(kafka):
    """At 80x24 the help does not fit: its last row is reached with keys."""
    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    last_owner, last_bindings = dialog_bindings()[-1]
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.press("question_mark")
        await expect(pilot, HelpScreen, "kview keys", "Global", what="help at 80x24")
        last = last_bindings[-1].description
        assert missing(app, last), "the whole help fits: this test needs a longer help"
        await pilot.press("end")
        await expect(pilot, HelpScreen, last, what="the end of the help")


async def test_every_pane_binding_is_in_the_palette(kafka):
    """Every action of the app and of every pane (detail panes too) is a
    command of the palette; a detail pane's command is found by typing it."""
    topic = f"every-p-{uuid.uuid4().hex[:6]}"
    await tool(kafka, "kafka-topics", "--create", "--topic", topic, "--partitions", "1")
    app = make_app(Config(), adhoc_profile(kafka.bootstrap))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        names = [name for name, _help, _run in app.palette_commands()]
        problems = []
        for binding in app.BINDINGS:
            if binding.action != "command_palette" and binding.description not in names:
                problems.append(f"KViewApp: {binding.description}")
        wanted: dict[str, list[str]] = {}
        for owner, bindings in pane_bindings():
            for binding in bindings:
                wanted.setdefault(binding.description, []).append(f"{owner}: {binding.id}")
        for description, who in wanted.items():
            commands = [n for n in names if n.endswith(f": {description}")]
            if len(commands) < len(who):
                problems.append(f"{description!r}: commands {commands}, wanted by {who}")
        assert not problems, "\n".join(problems)
        # In the palette the user opens, a detail pane's command runs on that pane.
        from kview.ui.panes.topic_detail import TopicDetailPane

        detail = next(b for b in TopicDetailPane.BINDINGS if b.id == "topic_detail.non_default")
        command = next(n for n in names if n.endswith(f": {detail.description}") and "Broker" not in n)
        await wait_for(
            pilot,
            lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic),
            what="the topic in the snapshot",
        )
        await pilot.press("colon", *topic, "enter")
        await expect(pilot, None, "Configs:", "not Kafka's default", what="topic detail")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*command)
        await expect(pilot, CommandPalette, command, what="a detail pane's command in the palette")
        await pilot.press("enter")
        await expect(pilot, None, "Configs:", "all (● = not Kafka's default", what="every config shown")
