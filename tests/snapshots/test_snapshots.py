"""Snapshot tests: every pane and every modal of the real app, at 80x24 and
160x50, in the dark and the 16-colour theme, drawn from a RECORDED cluster
state (``recordings/``, made by ``record_states.py`` with kview's real
services on a real Kafka), so they need no Kafka and draw the same SVG on
every run and machine: the clock is frozen at the recording's time, in UTC,
the cursors do not blink, durations measured on screen read 0.

    pytest tests/snapshots                      # compare with the SVGs
    pytest tests/snapshots --snapshot-update    # accept the new drawings

A scene first waits until the replayed cluster is on screen (the header says
connected, the overview shows the recorded numbers), then drives the app like
a user (keys), waiting for the data of each pane before pressing its keys,
and last until what it must show is on screen before the picture is taken.
Every wait is on a condition, bounded by ``WAIT``: how long the app takes to
connect depends on the machine (a fresh one compiles aiokafka on the first
import), what it draws once connected does not."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from rich.console import Console
from snapshot_recording import load
from snapshot_replay import replay_app
from textual.widgets import Static

from kview.core.produce import ComposedMessage, ValueFormat

THEMES = ("kview-dark", "kview-16")
SIZES = {"80x24": (80, 24), "160x50": (160, 50)}
WORKDIR = Path("/tmp/kview-snapshots")
"""The current directory while a scene runs: the export modal proposes a file
in it and the import modal reads ``sample.jsonl`` from it, by a path that is
the same on every machine."""
SAMPLE = (
    '{"key": "c-0001", "value": {"order_id": "o-900001", "status": "NEW"}, "headers": {"source": "import"}}\n'
    '{"key": "c-0002", "value": {"order_id": "o-900002", "status": "PAID"}}\n'
    '{"key": null, "value": "plain text line"}\n'
)
BROKEN = ("not in the recording", "Traceback")
"""Never on a good snapshot: the replay lacked an answer, or the app failed."""
WAIT = 60.0
"""Seconds a scene waits for a state before it fails: generous, as a loaded
machine is slow; a good run waits a fraction of a second."""


# -- driving the app --------------------------------------------------------------------


def screen_text(app) -> str:
    """What the terminal shows, as lines of text (as export_screenshot
    renders it, without the SVG)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def wait_until(pilot, ready: Callable[[str], bool], what: str, timeout: float = WAIT) -> None:
    """Until ``ready(screen text)`` holds (and no sign of a broken replay);
    after ``timeout`` seconds, fail saying ``what`` was awaited and what the
    screen showed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        shown = screen_text(pilot.app)
        broken = [b for b in BROKEN if b in shown]
        if broken:
            raise AssertionError(f"{broken} on screen:\n{shown}")
        if ready(shown):
            return
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what}; screen:\n{shown}")
        await pilot.pause(0.05)


async def wait_for_text(pilot, *texts: str, timeout: float = WAIT) -> None:
    """Until every one of ``texts`` is on screen."""
    await wait_until(pilot, lambda shown: all(t in shown for t in texts), f"{list(texts)} on screen", timeout)


async def cluster_shown(pilot) -> None:
    """Until the header says connected and the overview (the first pane)
    shows the recorded cluster: its brokers figure and its 'updated' line.
    Every scene starts here, so no key is pressed on a connecting app."""
    app = pilot.app
    brokers = app.query_one("#stat-brokers", Static)

    def ready(shown: str) -> bool:
        snapshot = app.snapshot
        return (
            snapshot is not None
            and "● connected" in shown
            and "updated" in shown
            and str(brokers.content) == f"Brokers\n{len(snapshot.metadata.brokers)}"
        )

    await wait_until(pilot, ready, "connected, the overview drawn from the recording")


async def keys(pilot, *pressed: str) -> None:
    for key in pressed:
        await pilot.press(key)
        await pilot.pause()


def freeze_cursors(app) -> None:
    """A steady cursor: blinking would make the picture depend on timing."""
    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]


Steps = Callable[[object], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    steps: Steps
    expect: tuple[str, ...]
    """Text that must be on screen before the picture is taken."""


# -- the scenes -------------------------------------------------------------------------


async def nothing(pilot) -> None:
    pass


async def topics(pilot) -> None:
    await keys(pilot, "2")
    await wait_for_text(pilot, "orders", "topics")


async def topic_orders(pilot) -> None:
    """The topics pane filtered to 'orders' (selected)."""
    await topics(pilot)
    await keys(pilot, "slash", *"orders", "enter")
    await wait_for_text(pilot, "1 of 5 topics")


async def topic_detail(pilot) -> None:
    await topic_orders(pilot)
    await keys(pilot, "enter")
    await wait_for_text(pilot, "Consumer groups on this topic")


async def groups(pilot) -> None:
    await keys(pilot, "4")
    await wait_for_text(pilot, "billing", "groups")


def group(name: str) -> Steps:
    async def steps(pilot) -> None:
        await groups(pilot)
        await keys(pilot, "slash", *name, "enter")
        await wait_for_text(pilot, "1 of 4 groups")  # the status line's start: 80 columns cut the rest

    return steps


async def group_detail(pilot) -> None:
    await group("analytics")(pilot)
    await keys(pilot, "enter")
    await wait_for_text(pilot, "Members", "Total lag")


def tail(topic: str) -> Steps:
    async def steps(pilot) -> None:
        await keys(pilot, "5")
        await wait_for_text(pilot, "Tail a topic")  # asked on the first visit
        await keys(pilot, *topic, "enter")
        await wait_for_text(pilot, "FOLLOWING", f"{topic} (all partitions)")

    return steps


async def producer(pilot) -> None:
    await keys(pilot, "6")
    await wait_for_text(pilot, "ctrl+s: send")
    pane = pilot.app.active_pane()
    pane.load_message(
        ComposedMessage(
            "orders",
            "c-0042",
            '{\n  "order_id": "o-000042",\n  "status": "PAID",\n  "amount": 99.5\n}',
            (("source", "kview"), ("schema", "order.v1")),
            None,
            ValueFormat.JSON,
        )
    )
    await wait_for_text(pilot, "valid JSON", "6 partition(s)")


async def producer_key(key: str, pilot) -> None:
    """A producer key, pressed with the focus out of the form's fields."""
    await producer(pilot)
    await keys(pilot, "escape", key)


async def help_screen(pilot) -> None:
    await keys(pilot, "question_mark")


async def jump(pilot) -> None:
    await keys(pilot, "colon", *"ord")


async def palette(pilot) -> None:
    await keys(pilot, "ctrl+p", *"reset")


async def confirm(pilot) -> None:
    await topic_orders(pilot)
    await keys(pilot, "d", *"ord")


async def create_topic(pilot) -> None:
    await topics(pilot)
    await keys(pilot, "c", *"invoices", "tab", "1", "2")


async def topic_key(key: str, pilot) -> None:
    await topic_orders(pilot)
    await keys(pilot, key)


async def reset_offsets(pilot) -> None:
    await group("audit")(pilot)
    await keys(pilot, "r")


async def reset_preview(pilot) -> None:
    await reset_offsets(pilot)
    await wait_for_text(pilot, "Reset offsets of group 'audit'")
    await keys(pilot, "ctrl+s")


async def delete_offsets(pilot) -> None:
    await group("audit")(pilot)
    await keys(pilot, "o")


async def tail_start(pilot) -> None:
    await keys(pilot, "5")


async def tail_key(topic: str, key: str, pilot) -> None:
    await tail(topic)(pilot)
    await keys(pilot, key)


async def import_file(pilot) -> None:
    await producer_key("ctrl+o", pilot)
    await wait_for_text(pilot, "Import messages from a file")
    await keys(pilot, *"sample.jsonl")


async def schemas(pilot) -> None:
    await keys(pilot, "7")
    await wait_for_text(pilot, "orders-value", "5 subjects")


def subject(name: str) -> Steps:
    async def steps(pilot) -> None:
        await schemas(pilot)
        await keys(pilot, "slash", *name, "enter")
        await wait_for_text(pilot, "1 of 5 subjects")
        await keys(pilot, "enter")
        await wait_for_text(pilot, f"{name} · ", "Versions")

    return steps


async def subject_key(name: str, key: str, pilot) -> None:
    await subject(name)(pilot)
    await keys(pilot, key)


async def leaders(pilot) -> None:
    """The brokers pane's list of partitions not led by their preferred
    replica (the recording stopped a broker: its partitions moved leader)."""
    await keys(pilot, "3")
    await wait_for_text(pilot, "not on preferred leader (l)")
    await keys(pilot, "l")


def _with(fn, *args) -> Steps:
    async def steps(pilot) -> None:
        await fn(*args, pilot) if args else await fn(pilot)

    return steps


SCENES: dict[str, Scene] = {
    # panes
    "overview": Scene(nothing, ("updated", "Brokers")),
    "topics": Scene(topics, ("customers", "sensor-frames", "under-replicated")),
    "topic-detail": Scene(topic_detail, ("Partitions", "Configs", "analytics")),
    "brokers": Scene(_with(lambda p: keys(p, "3")), ("KRaft quorum", "broker(s)", "Pref")),
    "leaders": Scene(leaders, ("not led by their preferred replica", "0 selected")),
    "groups": Scene(groups, ("analytics", "audit")),
    "group-detail": Scene(group_detail, ("analytics",)),
    "tail": Scene(tail("orders"), ("orders",)),
    "tail-compacted": Scene(tail("customers"), ("customers",)),
    "producer": Scene(producer, ("o-000042",)),
    "schemas": Scene(schemas, ("payments-value", "FULL_TRANSITIVE")),
    "schema-detail": Scene(subject("orders-value"), ("Version 2", '"name": "order_id"')),
    "schema-references": Scene(subject("payments-value"), ("demo/common/money.proto", "message Payment")),
    "schema-diff": Scene(_with(subject_key, "orders-value", "f"), ("Diff 1 → 2", '"name": "currency"')),
    "schema-check": Scene(_with(subject_key, "orders-value", "e"), ("New version of 'orders-value'",)),
    # modals
    "help": Scene(help_screen, ("Global",)),
    "jump": Scene(jump, ("Go to a pane or topic", "orders")),  # "ord" completed
    "palette": Scene(palette, ("Reset offsets",)),
    "confirm": Scene(confirm, ("Delete topic 'orders'?",)),
    "create-topic": Scene(create_topic, ("invoices",)),
    "add-partitions": Scene(_with(topic_key, "plus"), ("orders",)),
    "edit-configs": Scene(_with(topic_key, "e"), ("min.insync.replicas",)),
    "delete-records": Scene(_with(topic_key, "x"), ("orders",)),
    "reset-offsets": Scene(reset_offsets, ("Reset offsets of group 'audit'",)),
    "reset-preview": Scene(reset_preview, ("would change", "Apply")),
    "delete-offsets": Scene(delete_offsets, ("audit",)),
    "tail-start": Scene(tail_start, ("Tail a topic",)),
    "tail-export": Scene(_with(tail_key, "orders", "x"), ("JSON Lines file", "kview-orders-")),
    "message-detail": Scene(_with(tail_key, "orders", "enter"), ("schema", "order.v1")),
    "message-detail-binary": Scene(_with(tail_key, "sensor-frames", "enter"), ("sensor-frames",)),
    "produce-load": Scene(_with(producer_key, "ctrl+l"), ("Templated load into 'orders'",)),
    "import-file": Scene(import_file, ("o-900001", "first 3 record(s)")),
    "producer-settings": Scene(_with(producer_key, "ctrl+t"), ("acks",)),
    "send-history": Scene(_with(producer_key, "ctrl+b"), ("o-manual",)),
}


async def play(pilot, scene: str) -> None:
    """Wait for the connected app, drive ``scene``, wait for what it must show."""
    wanted = SCENES[scene]
    await cluster_shown(pilot)
    await wanted.steps(pilot)
    await wait_for_text(pilot, *wanted.expect)
    freeze_cursors(pilot.app)
    await pilot.pause()


# -- fixtures and the test --------------------------------------------------------------


@pytest.fixture(scope="module")
def recording():
    return load()


@pytest.fixture
def frozen(recording):
    """The recording's moment, in UTC, in a directory with the same path
    everywhere; measured durations (``perf_counter``) read zero."""
    WORKDIR.mkdir(parents=True, exist_ok=True)
    (WORKDIR / "sample.jsonl").write_text(SAMPLE, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(WORKDIR)
        patch.setenv("TZ", "UTC")
        time.tzset()
        # Textual imports perf_counter by name (so keeps the real one); kview's
        # panes call time.perf_counter() to say how long a refresh took.
        patch.setattr(time, "perf_counter", lambda: 0.0)
        try:
            with time_machine.travel(round(recording["cluster"]["recorded_at"]), tick=False):
                yield
        finally:
            patch.undo()
            time.tzset()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("scene", SCENES)
def test_snapshot(scene: str, theme: str, size: str, recording, frozen, snap_compare) -> None:
    app = replay_app(recording, theme=theme)

    async def run_before(pilot) -> None:
        await play(pilot, scene)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
    assert app.backend.writes == []  # a scene only looks: nothing was asked of the cluster


async def test_a_scene_waits_for_the_connection(recording, frozen) -> None:
    """On a cluster that connects late (a slow machine), the palette scene
    presses no key while the header says connecting, and draws the connected
    app once the cluster answers."""
    gate = asyncio.Event()
    app = replay_app(recording, gate=gate)
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        scene = asyncio.create_task(play(pilot, "palette"))
        await wait_for_text(pilot, "… connecting")
        for _ in range(10):  # room for a scene that would not wait to press its keys
            await pilot.pause(0.05)
        assert not scene.done()
        assert len(app.screen_stack) == 1, "a modal opened before the cluster was connected"
        gate.set()
        await scene
        shown = screen_text(app)
        assert "● connected" in shown and "Reset offsets" in shown, shown
