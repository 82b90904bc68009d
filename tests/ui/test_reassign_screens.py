"""The brokers pane's replica and leader operations on the real three-broker
cluster, driven by keys at 80x24 and checked against Kafka's own tools:
the leader balance (kafka-topics --describe), a preferred election from the
list and an unclean one behind its typed confirmation
(kafka-leader-election), a drained broker through the plan builder, its
preview, plan file and throttled apply with live progress
(kafka-reassign-partitions, kafka-configs), a reassignment started by
Kafka's tool shown and cancelled in kview, and the refusals of read-only
mode."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import replace

from aiokafka import AIOKafkaProducer
from kafka_tools import parse_topics_describe
from screen_text import screen_text, wait_for
from test_every_screen import expect
from test_topics_pane import screen_lines, toasts

from kview.app import make_app
from kview.core.cluster import connection_kwargs
from kview.core.config import Config, adhoc_profile
from kview.ui.panes.brokers import BrokersPane
from kview.ui.screens.confirm import ConfirmScreen
from kview.ui.screens.leaders import ElectionScreen, LeadersScreen
from kview.ui.screens.reassign_plan import PlanPreviewScreen, PlanScreen
from kview.ui.screens.reassignments import ReassignmentsScreen

SIZE = (80, 24)
FIRST_LINE = ("up", "up", "up", "up", "home", "shift+end")
"""Keys that select the first line of a short text area, wherever its cursor is."""


def make_app_on(cluster, *, read_only: bool = False):
    profile = replace(adhoc_profile(cluster.bootstrap), read_only=read_only, refresh_interval=0.5)
    return make_app(Config(), profile)


async def tool(cluster, *args: str, check: bool = True) -> str:
    return (await asyncio.to_thread(cluster.run_tool, *args, check=check)).stdout


async def describe(cluster, topic: str | None = None):
    args = ("--describe", "--topic", topic) if topic else ("--describe",)
    return parse_topics_describe(await tool(cluster, "kafka-topics", *args))


async def reorder_preferred(cluster, topic: str, partitions: list[int]) -> dict[int, tuple[int, ...]]:
    """Make the given partitions' preferred replica another than their
    leader without moving data: Kafka's tool reorders their replicas (the
    leader stays, being still a replica).  Returns the new orders."""
    described = await describe(cluster, topic)
    orders = {}
    for p in partitions:
        row = described[(topic, p)]
        rest = [r for r in row.replicas if r != row.leader]
        orders[p] = (rest[0], row.leader, *rest[1:])
    plan = {
        "version": 1,
        "partitions": [{"topic": topic, "partition": p, "replicas": list(r)} for p, r in orders.items()],
    }
    path = f"/tmp/kview-reorder-{topic}.json"
    with open(path, "w") as out:
        json.dump(plan, out)
    await tool(cluster, "kafka-reassign-partitions", "--execute", "--reassignment-json-file", path)
    for _ in range(100):
        now = await describe(cluster, topic)
        if all(now[(topic, p)].replicas == r for p, r in orders.items()):
            return orders
        await asyncio.sleep(0.3)
    raise AssertionError(f"the reorder of {topic} did not complete")


def broker_row(app, node: int) -> list[str]:
    """The cells after the state of a broker's row (Lead, Pref, Replicas, ...)."""
    for line in screen_lines(app):
        match = re.match(rf"^│\s+{node}\s+\S+:\d+\s+●?\s*online\s+(.*)│", line)
        if match:
            return match.group(1).split()
    return []


def table_row(app, topic: str, partition: int) -> list[str]:
    """The cells from the partition on, of the table row of ``topic`` and
    ``partition`` (at 80 columns a long topic name is shortened in its
    middle: the row is found by the name's unique end)."""
    for line in screen_lines(app):
        match = re.search(rf"{re.escape(topic[-6:])}\s+{partition}\s(.*)", line)
        if match:
            return [str(partition), *match.group(1).strip(" │█▊▎").split()]
    return []


async def brokers_pane(pilot) -> BrokersPane:
    await pilot.press("3")
    pane = pilot.app.query_one(BrokersPane)
    await wait_for(pilot, lambda: pane.balance is not None, what="the brokers and their leader balance")
    return pane


async def refreshed(pilot, pane: BrokersPane) -> None:
    """Wait for a refresh that started after now (after a tool's look)."""
    taken = pane.brokers_snapshot.taken_at
    pane.poll_now()
    await wait_for(pilot, lambda: pane.brokers_snapshot.taken_at > taken, what="a refresh after the tools")


async def choose(pilot, select_id: str, label: str) -> None:
    """Pick, with the keys, the option of a Select whose label starts with ``label``."""
    from textual.widgets import Select

    select = pilot.app.screen.query_one(f"#{select_id}", Select)
    options = list(select._options)
    index = next(i for i, (prompt, _value) in enumerate(options) if str(prompt).startswith(label))
    current = next((i for i, (_p, value) in enumerate(options) if value == select.value), 0)
    select.focus()
    await pilot.press("enter")
    await pilot.pause(0.2)
    step = "down" if index >= current else "up"
    await pilot.press(*([step] * abs(index - current)), "enter")
    await wait_for(pilot, lambda: select.value == options[index][1], what=f"{label!r} chosen in {select_id}")


async def test_leader_balance_and_a_preferred_election_from_the_list(kafka3, unique_name):
    topic = unique_name
    await tool(kafka3, "kafka-topics", "--create", "--topic", topic, "--partitions", "6", "--replication-factor", "3")
    orders = await reorder_preferred(kafka3, topic, [0, 2, 4])
    app = make_app_on(kafka3)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        pane = await brokers_pane(pilot)
        described = await describe(kafka3)
        await refreshed(pilot, pane)

        # Per broker: leaders, preferred leaders and replicas as kafka-topics counts them.
        leaders = Counter(p.leader for p in described.values() if p.leader >= 0)
        preferred = Counter(p.replicas[0] for p in described.values() if p.replicas)
        replicas = Counter(r for p in described.values() for r in p.replicas)
        for node in (1, 2, 3):
            cells = broker_row(app, node)
            assert cells[:3] == [f"{leaders[node]:,}", f"{preferred[node]:,}", f"{replicas[node]:,}"], (
                node,
                cells,
                screen_text(app),
            )
        # The count of partitions led by another replica than their first.
        off = sorted(k for k, p in described.items() if p.replicas and p.leader != p.replicas[0])
        assert {(topic, p) for p in orders} <= set(off)
        assert f"{len(off)} not on preferred leader (l)" in screen_text(app)

        # l lists them: ours with the leader and the preferred replica kafka-topics shows.
        await pilot.press("l")
        await expect(
            pilot,
            LeadersScreen,
            f"{len(off)} of {len(described)} partition(s) not led by their preferred replica",
            "space selects · a all/none · e elects preferred leaders · esc closes",
            what="the leader list",
        )
        screen = app.screen
        assert [(p.topic, p.partition) for p in screen.rows] == off
        first = off.index((topic, 0))
        await pilot.press(*(["down"] * first))
        for p in sorted(orders):
            row = described[(topic, p)]
            cells = table_row(app, topic, p)
            assert cells[:5] == [
                str(p),
                str(row.leader),
                str(row.replicas[0]),
                ",".join(map(str, row.replicas)),
                ",".join(map(str, row.isr)),
            ], (cells, screen_text(app))
            await pilot.press("space")
        assert screen.selected == {(topic, p) for p in orders}
        assert "3 selected" in screen_text(app)

        # e: the election of the selected, asked first, then each one's answer.
        await pilot.press("e")
        await expect(
            pilot,
            ElectionScreen,
            "Elect leaders",
            "the 3 partition(s) selected in the list",
            "ctrl+s elects (asks first)",
            what="the election form",
        )
        await pilot.press("ctrl+s")
        await expect(
            pilot, ConfirmScreen, f"Preferred leader election of 3 partition(s) of '{topic}'?", what="the question"
        )
        await pilot.press("tab", "enter")
        form = app.screen
        await wait_for(pilot, lambda: isinstance(form, ElectionScreen) and form.report is not None, what="the report")
        await expect(pilot, ElectionScreen, "Result", "Kafka's answer", "ctrl+s or esc closes", what="the results")
        report = form.report
        assert {(r.topic, r.partition) for r in report.results} == {(topic, p) for p in orders}
        text = screen_text(app)
        assert f"{report.elected} elected · {report.not_needed} already led by a valid replica · 0 failed" in text
        for r in report.results:
            # Elected now, or (had Kafka's own rebalancer been quicker) already so.
            assert r.outcome in ("elected", "not needed"), r
            line = " ".join(table_row(app, topic, r.partition))
            assert line.startswith(f"{r.partition} {r.outcome}"), line
            if r.outcome == "elected":
                assert f"→ {orders[r.partition][0]}" in line
        # Kafka's tools: every one of them is led by its preferred replica now...
        after = await describe(kafka3, topic)
        for p, order in orders.items():
            assert after[(topic, p)].leader == order[0] == after[(topic, p)].replicas[0]
        # ... and Kafka's election tool finds nothing left to do for them.
        answer = await tool(
            kafka3,
            "kafka-leader-election",
            "--election-type",
            "PREFERRED",
            "--topic",
            topic,
            "--partition",
            "0",
            check=False,
        )
        assert "Valid replica already elected for partitions" in answer and f"{topic}-0" in answer
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back on the pane")
        await refreshed(pilot, pane)
        assert not [p for p in pane.balance.not_preferred if p.topic == topic]


async def test_unclean_election_only_after_typing_unclean(kafka3, unique_name):
    topic = unique_name
    await tool(kafka3, "kafka-topics", "--create", "--topic", topic, "--partitions", "2", "--replication-factor", "3")
    before = await describe(kafka3, topic)
    app = make_app_on(kafka3)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await brokers_pane(pilot)
        await pilot.press("e")
        await expect(pilot, ElectionScreen, "Elect leaders", what="the election form")
        await choose(pilot, "elect-type", "unclean")
        await choose(pilot, "elect-scope", "one topic")
        await choose(pilot, "elect-topic", topic)
        await expect(pilot, ElectionScreen, "Unclean", "You will type 'unclean' to confirm.", what="the warning")
        await pilot.press("ctrl+s")
        await expect(
            pilot,
            ConfirmScreen,
            f"Unclean leader election of 2 partition(s) of '{topic}'?",
            "the records it does not have are lost for good",
            "Type 'unclean' to confirm:",
            what="the typed confirmation",
        )
        # A wrong word: nothing is sent, the form stays as it was.
        await pilot.press(*"yes", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ElectionScreen), what="back on the form")
        await wait_for(
            pilot, lambda: any("does not match: nothing was done" in t for t in toasts(app)), what="the refusal"
        )
        assert app.screen.report is None
        # The word: sent; on healthy partitions Kafka elects no one.
        await pilot.press("ctrl+s")
        await expect(pilot, ConfirmScreen, "Type 'unclean' to confirm:", what="asked again")
        await pilot.press(*"unclean", "enter")
        form = app.screen
        await wait_for(pilot, lambda: getattr(form, "report", None) is not None, what="the report")
        assert [r.outcome for r in form.report.results] == ["not needed", "not needed"]
        await expect(pilot, ElectionScreen, "0 elected · 2 already led by a valid replica · 0 failed", what="results")
    after = await describe(kafka3, topic)
    assert {k: p.leader for k, p in after.items()} == {k: p.leader for k, p in before.items()}


async def produce(cluster, topic: str, partitions: int, size: int) -> None:
    """``size`` bytes of records into each partition (so replicas have logs to copy)."""
    producer = AIOKafkaProducer(**connection_kwargs(adhoc_profile(cluster.bootstrap)), acks="all", linger_ms=20)
    await producer.start()
    try:
        chunk = b"x" * 10_000
        for p in range(partitions):
            for _ in range(size // len(chunk)):
                await producer.send(topic, chunk, partition=p)
        await producer.flush()
    finally:
        await producer.stop()


async def test_drain_a_broker_through_the_plan_preview_file_and_progress(kafka3, unique_name, tmp_path):
    topic = unique_name
    await tool(kafka3, "kafka-topics", "--create", "--topic", topic, "--partitions", "4", "--replication-factor", "2")
    await produce(kafka3, topic, 4, 200_000)
    before = await describe(kafka3, topic)
    on_three = sorted(p for (_t, p), row in before.items() if 3 in row.replicas)
    assert on_three, "the topic must have a replica on broker 3 for this test"
    plan_file = tmp_path / "drain.json"
    app = make_app_on(kafka3)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        pane = await brokers_pane(pilot)
        await wait_for(pilot, lambda: pane.selected_broker() is not None, what="a broker row")
        await pilot.press("p")
        await expect(
            pilot,
            PlanScreen,
            "Plan a reassignment",
            "drain a broker (move every replica off it)",
            "ctrl+s previews the plan; nothing changes before Apply",
            what="the plan form",
        )
        await choose(pilot, "plan-broker", "broker 3")
        await choose(pilot, "plan-topic", topic)
        await pilot.press("ctrl+s")
        await expect(
            pilot,
            PlanPreviewScreen,
            "Plan: ",
            f"{len(on_three)} partition(s) move",
            "From",
            "To",
            "Copy",
            "Broker",
            "Replicas",
            "ctrl+s applies (asks first) · ctrl+o writes the file · esc back",
            what="the plan preview",
        )
        preview = app.screen
        plan = preview.plan
        # Every partition that had a replica on broker 3 moves off it, from
        # the replicas kafka-topics shows.
        assert sorted(m.partition for m in plan.moves) == on_three
        for m in plan.moves:
            assert m.current == before[(topic, m.partition)].replicas and 3 not in m.target
            cells = table_row(app, topic, m.partition)
            assert cells[1:3] == [",".join(map(str, m.current)), ",".join(map(str, m.target))], cells
        three = plan.broker(3)
        assert three is not None and three.replicas_after == three.replicas_before - len(on_three)

        # ctrl+o: the plan file, in kafka-reassign-partitions' format.
        await pilot.press("tab", "ctrl+u", *str(plan_file), "ctrl+o")
        await wait_for(pilot, lambda: plan_file.exists(), what="the plan file")
        written = json.loads(plan_file.read_text())
        assert {(e["topic"], e["partition"]): tuple(e["replicas"]) for e in written["partitions"]} == plan.assignments
        await expect(pilot, PlanPreviewScreen, f"wrote {len(plan.moves)} partition(s)", what="saved")

        # ctrl+s with a throttle: asked first, then the live progress.
        await pilot.press("shift+tab", "ctrl+u", *"50MB", "ctrl+s")
        await expect(
            pilot,
            ConfirmScreen,
            "Apply the plan",
            "throttled to 50,000,000 B/s (47.7 MiB/s) per broker",
            what="the confirmation",
        )
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReassignmentsScreen), what="the progress")
        await expect(pilot, ReassignmentsScreen, "Moving: ", "Target", "ISR", what="the progress screen")
        progress_screen = app.screen
        await wait_for(
            pilot,
            lambda: progress_screen.progress is not None and progress_screen.progress.finished,
            timeout=120,
            what="every partition moved",
        )
        await expect(pilot, ReassignmentsScreen, "Finished · ", f"{len(on_three)}/{len(on_three)} done", what="done")
        await wait_for(pilot, lambda: progress_screen.throttle_removed, what="the throttle removed")
    after = await describe(kafka3, topic)
    assert not any(3 in row.replicas for row in after.values()), after
    assert {p: row.replicas for (_t, p), row in after.items() if p in on_three} == {
        m.partition: m.target for m in plan.moves
    }
    configs = await tool(kafka3, "kafka-configs", "--describe", "--entity-type", "topics", "--entity-name", topic)
    assert "throttled.replicas" not in configs, configs
    verify = await tool(kafka3, "kafka-reassign-partitions", "--verify", "--reassignment-json-file", str(plan_file))
    assert all(f"Reassignment of partition {topic}-{p} is completed" in verify for p in on_three), verify


async def test_a_reassignment_started_by_kafkas_tool_is_shown_and_cancelled(kafka3, unique_name, tmp_path):
    topic = unique_name
    await tool(kafka3, "kafka-topics", "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1")
    # Over 10 MB: a follower's first fetch takes up to 10 MB at once
    # (replica.fetch.response.max.bytes) whatever the throttle, the rest waits for it.
    await produce(kafka3, topic, 1, 12_000_000)
    original = (await describe(kafka3, topic))[(topic, 0)].replicas
    target = [next(b for b in (1, 2, 3) if b not in original)]
    path = tmp_path / "move.json"
    path.write_text(json.dumps({"version": 1, "partitions": [{"topic": topic, "partition": 0, "replicas": target}]}))
    # 10 KB/s: the last 2 MB take minutes, so the move is still on when kview looks.
    await tool(
        kafka3, "kafka-reassign-partitions", "--execute", "--reassignment-json-file", str(path), "--throttle", "10000"
    )
    app = make_app_on(kafka3)
    try:
        async with app.run_test(notifications=True, size=SIZE) as pilot:
            await brokers_pane(pilot)
            await pilot.press("m")
            await expect(pilot, ReassignmentsScreen, "Reassignments in progress (any tool's)", what="in progress")
            screen = app.screen
            await wait_for(
                pilot,
                lambda: any(p.key == (topic, 0) for p in screen.rows),
                what="the tool's reassignment in the list",
            )
            moving = next(p for p in screen.rows if p.key == (topic, 0))
            assert not moving.done and moving.target == tuple(target)
            index = screen.rows.index(moving)
            await pilot.press(*(["down"] * index))
            # As Kafka's tool lists it: replicas (target and leaving ones), and the target.
            listed = await tool(kafka3, "kafka-reassign-partitions", "--list")
            match = re.search(
                rf"{re.escape(topic)}-0: replicas: ([\d,]+)\. adding: ([\d,]+)\. removing: ([\d,]+)\.", listed
            )
            assert match, listed
            assert match.group(2) == str(target[0]) and match.group(3) == ",".join(map(str, original))
            cells = table_row(app, topic, 0)
            assert cells[1:4] == ["moving", match.group(1), str(target[0])], cells
            await pilot.press("x")
            await expect(
                pilot, ConfirmScreen, f"Cancel the reassignment of {topic}-0?", "Cancel the move", what="the question"
            )
            await pilot.press("tab", "enter")
            await wait_for(pilot, lambda: screen.cancelled is not None, what="the cancel")
            assert screen.cancelled.cancelled == ((topic, 0),)
            await wait_for(
                pilot, lambda: any("1 reassignment(s) cancelled" in t for t in toasts(app)), what="the notice"
            )
            await wait_for(pilot, lambda: not any(p.key == (topic, 0) for p in screen.rows), what="gone from the list")

            # A throttle left on the brokers while nothing moves (a move nobody
            # verified): shown, and t removes it, as kafka-configs then shows.
            for broker in ("1", "2"):
                await tool(
                    kafka3,
                    *("kafka-configs", "--alter", "--entity-type", "brokers", "--entity-name", broker),
                    *("--add-config", "leader.replication.throttled.rate=12345"),
                )
            await expect(
                pilot,
                ReassignmentsScreen,
                "No reassignment in progress. A throttle of 12,345 B/s is still set (t removes it).",
                what="the throttle left set",
            )
            await pilot.press("t")
            await expect(pilot, ConfirmScreen, "Remove the replication throttle?", what="the question")
            await pilot.press("tab", "enter")
            await wait_for(
                pilot, lambda: any("The replication throttle was removed." in t for t in toasts(app)), what="removed"
            )
            for broker in ("1", "2"):
                configs = await tool(
                    kafka3, "kafka-configs", "--describe", "--entity-type", "brokers", "--entity-name", broker
                )
                assert "throttled.rate" not in configs, configs
            await wait_for(pilot, lambda: "still set" not in screen_text(app), what="no throttle shown any more")
        listed = await tool(kafka3, "kafka-reassign-partitions", "--list")
        assert f"{topic}-0" not in listed
        assert (await describe(kafka3, topic))[(topic, 0)].replicas == original
    finally:
        # Whatever happened above: nothing of this test keeps moving or throttled.
        await tool(kafka3, "kafka-reassign-partitions", "--cancel", "--reassignment-json-file", str(path), check=False)
        await tool(kafka3, "kafka-reassign-partitions", "--verify", "--reassignment-json-file", str(path), check=False)


async def test_read_only_refuses_every_replica_write(kafka3, unique_name):
    topic = unique_name
    await tool(kafka3, "kafka-topics", "--create", "--topic", topic, "--partitions", "2", "--replication-factor", "2")
    before = await describe(kafka3, topic)
    app = make_app_on(kafka3, read_only=True)
    refusal = "read-only mode: '{}' is not allowed on this cluster"
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await brokers_pane(pilot)
        await pilot.press("e")
        await wait_for(
            pilot, lambda: refusal.format("elect leaders") in " ".join(toasts(app)), what="the election refused"
        )
        assert app.screen is app.screen_stack[0]
        # A plan can be made and previewed (it only reads), never applied.
        await pilot.press("p")
        await expect(pilot, PlanScreen, "Plan a reassignment", what="the plan form")
        await choose(pilot, "plan-intent", "change a topic's replication factor")
        await choose(pilot, "plan-topic", topic)
        await pilot.press("tab", *"3", "ctrl+s")
        await expect(pilot, PlanPreviewScreen, "2 partition(s) move", what="the preview")
        await pilot.press("ctrl+s")
        await expect(pilot, PlanPreviewScreen, refusal.format("reassign partitions"), what="apply refused")
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back on the pane")
        await pilot.press("m")
        await expect(pilot, ReassignmentsScreen, "Reassignments in progress", what="the list")
        screen = app.screen
        await wait_for(pilot, lambda: screen.progress is not None, what="the first look")
        await pilot.press("c")
        await wait_for(
            pilot, lambda: refusal.format("cancel reassignment") in " ".join(toasts(app)), what="the cancel refused"
        )
        await pilot.press("t")
        await wait_for(
            pilot,
            lambda: refusal.format("remove replication throttle") in " ".join(toasts(app)),
            what="the throttle removal refused",
        )
    after = await describe(kafka3, topic)
    assert {k: (p.leader, p.replicas) for k, p in after.items()} == {
        k: (p.leader, p.replicas) for k, p in before.items()
    }


async def test_partitions_moved_by_hand_a_plan_file_read_back_and_bad_input(kafka3, unique_name, tmp_path):
    """The hand editor starts from the assignment kafka-topics shows; an
    edited line is the only move previewed; its file, read back through the
    'read a plan file' intent, previews the same move; a broker or a
    partition that does not exist, an RF above the broker count and a file
    that is not a plan each get one clear line in the form, nothing applied."""
    topic = unique_name
    await tool(kafka3, "kafka-topics", "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "2")
    before = await describe(kafka3, topic)
    app = make_app_on(kafka3)
    plan_file = tmp_path / "by-hand.json"
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await brokers_pane(pilot)
        await pilot.press("p")
        await expect(pilot, PlanScreen, "Plan a reassignment", what="the plan form")
        form = app.screen
        await choose(pilot, "plan-intent", "move partitions of a topic by hand")
        await choose(pilot, "plan-topic", topic)
        await expect(pilot, PlanScreen, "partition: brokers per line (the first broker leads)", what="the editor")
        from textual.widgets import TextArea

        editor = form.query_one("#plan-hand", TextArea)
        assert editor.text.splitlines() == [f"{p}: {','.join(map(str, before[(topic, p)].replicas))}" for p in range(3)]
        current = before[(topic, 0)].replicas
        moved = tuple(reversed([b for b in (1, 2, 3) if b not in current] + [current[0]]))
        # Partition 0 on other brokers, by keys: the editor's first line replaced.
        editor.focus()
        await pilot.pause()
        await pilot.press(*FIRST_LINE, *f"0: {','.join(map(str, moved))}", "ctrl+s")
        await expect(pilot, PlanPreviewScreen, "1 partition(s) move", what="the hand plan's preview")
        plan = app.screen.plan
        assert [(m.partition, m.current, m.target) for m in plan.moves] == [(0, current, moved)]
        assert table_row(app, topic, 0)[1:3] == [",".join(map(str, current)), ",".join(map(str, moved))]
        await pilot.press("tab", "ctrl+u", *str(plan_file), "ctrl+o")
        await wait_for(pilot, lambda: plan_file.exists(), what="the plan file")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is form, what="back on the intent")

        # The file, read back: the same move.
        await choose(pilot, "plan-intent", "read a plan file")
        form.query_one("#plan-file").focus()
        await pilot.pause()
        await pilot.press(*str(plan_file), "ctrl+s")
        await expect(pilot, PlanPreviewScreen, "1 partition(s) move", what="the file's preview")
        assert app.screen.plan.assignments == {(topic, 0): moved}
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is form, what="back on the intent")

        # Bad input: one line each, where the user is looking.
        async def problem(text: str) -> None:
            await expect(pilot, PlanScreen, text, what=text)
            assert app.screen is form

        (tmp_path / "not-a-plan.json").write_text("{not json")
        form.query_one("#plan-file").focus()
        await pilot.pause()
        await pilot.press("ctrl+u", *str(tmp_path / "not-a-plan.json"), "ctrl+s")
        await problem("not JSON")
        await choose(pilot, "plan-intent", "move partitions of a topic by hand")
        editor.focus()
        await pilot.pause()
        await pilot.press(*FIRST_LINE, *"0: 1,9", "ctrl+s")
        await problem(f"{topic}-0: broker 9 does not exist or is offline")
        await pilot.press(*FIRST_LINE, *"7: 1,2", "ctrl+s")
        await problem(f"partition {topic}-7 does not exist")
        await choose(pilot, "plan-intent", "change a topic's replication factor")
        form.query_one("#plan-rf").focus()
        await pilot.pause()
        await pilot.press(*"4", "ctrl+s")
        await problem("replication factor 4 is above the 3 live broker(s)")
    after = await describe(kafka3, topic)
    assert {k: p.replicas for k, p in after.items()} == {k: p.replicas for k, p in before.items()}
