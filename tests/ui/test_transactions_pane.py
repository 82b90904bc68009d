"""The Transactions pane (key 9): the real app, headless at 80x24, on a
cluster of the module's own (``txn_cluster``) where producers killed with
``kill -9`` left a hanging and an overdue transaction; driven with keys, and
the cluster's state checked with ``kafka-transactions`` afterwards."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from kafka_tools import parse_transactions_table
from screen_text import screen_text, wait_for
from test_schemas_pane import flat, notifications
from txn_cluster import killed_producer, txn_kafka  # noqa: F401

from kview.app import make_app
from kview.core.config import Config, adhoc_profile
from kview.core.readonly import refuse_message
from kview.ui.panes.transactions import TransactionsPane
from kview.ui.screens.confirm import ConfirmScreen

SIZE = (80, 24)


def make_test_app(kafka, *, read_only: bool = False):
    profile = replace(adhoc_profile(kafka.bootstrap), read_only=read_only, refresh_interval=0.5)
    return make_app(Config(), profile)


def find_hanging(kafka, topic: str) -> list[dict[str, str]]:
    out = kafka.run_tool("kafka-transactions", "find-hanging", "--topic", topic, "--max-transaction-timeout", "0")
    return parse_transactions_table(out.stdout)


async def open_pane(pilot, topic: str) -> TransactionsPane:
    """Key 9, find-hanging's bound at 0 (the test's transactions are seconds
    old), filtered to the test's topic."""
    await pilot.press("9")
    pane = pilot.app.query_one(TransactionsPane)
    pane.max_timeout_ms = 0
    await pilot.press("slash", *topic, "enter")
    return pane


def cells_after(text: str, name: str, word: str) -> list[str]:
    """The four cells after ``name`` on the screen line holding ``name`` and ``word``."""
    line = next(line for line in text.splitlines() if name in line and word in line)
    fields = line.split()
    at = fields.index(name)
    return fields[at + 1 : at + 5]


async def test_pane_shows_and_aborts_a_hanging_transaction(txn_kafka, unique_name):  # noqa: F811
    kafka = txn_kafka
    topic = f"x{unique_name[-6:]}"
    kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "2")
    lost = killed_producer(kafka, topic, 0, f"{topic}-lost", "unregistered")
    held = killed_producer(kafka, topic, 1, f"{topic}-held", "registered")
    assert [r["Partition"] for r in find_hanging(kafka, topic)] == ["0"]

    app = make_test_app(kafka)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, topic)
        await wait_for(
            pilot,
            lambda: "hanging" in flat(app) and "overdue" in flat(app),
            what="the hanging and the overdue rows",
            timeout=60,
        )
        text = screen_text(app)
        # Each row: the partition, HW, LSO (the open transaction's first offset), behind.
        assert cells_after(text, f"{topic}-0", "hanging") == ["3", str(lost["offsets"][0]), "3", "hanging"]
        assert cells_after(text, f"{topic}-1", "overdue") == ["3", str(held["offsets"][0]), "3", "overdue"]
        assert f"{topic}-held" in text and "Ongoing" in text
        assert "1 HANGING" in flat(app)

        # Keys only: down to the lost producer's id, enter puts the cursor on
        # its partition (the table below takes the keys), a aborts it.
        assert app.focused is pane.table
        await pilot.press("down")
        assert pane.table.selected_key() == f"{topic}-lost"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.focused is pane.partitions_table, what="the partitions table focused")
        assert pane.partitions_table.selected_key() == f"{topic}:0:{lost['offsets'][0]}"
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        shown = " ".join(flat(app).replace("█", " ").split())
        assert f"Abort the hanging transaction on {topic}-0?" in shown
        assert f"producer {lost['producer_id']}" in shown and "LSO moves on from 0" in shown
        await pilot.press(*f"{topic}-0", "enter")
        await wait_for(
            pilot,
            lambda: not isinstance(app.screen, ConfirmScreen) and "hanging" not in flat(app) and "overdue" in flat(app),
            what="the hanging row gone after the abort",
            timeout=60,
        )
        assert any(f"Aborted the transaction at offset 0 on {topic}-0" in n for n in notifications(app))

    # The cluster agrees: nothing hangs, partition 0 has no open transaction.
    assert find_hanging(kafka, topic) == []
    (row,) = parse_transactions_table(
        kafka.run_tool("kafka-transactions", "describe-producers", "--topic", topic, "--partition", "0").stdout
    )
    assert row["CurrentTransactionStartOffset"] == "None"


async def test_abort_refused_when_read_only_and_for_a_live_transaction(txn_kafka, unique_name):  # noqa: F811
    kafka = txn_kafka
    topic = f"y{unique_name[-6:]}"
    kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "1")
    killed_producer(kafka, topic, 0, f"{topic}-lost", "unregistered")

    app = make_test_app(kafka, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(pilot, topic)
        await wait_for(pilot, lambda: "hanging" in flat(app), what="the hanging row", timeout=60)
        await pilot.press("tab")
        assert app.focused is pane.partitions_table
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert refuse_message("abort transaction") in notifications(app)
    assert [r["Partition"] for r in find_hanging(kafka, topic)] == ["0"]

    # Writable, but with find-hanging's default bound (15 min) the transaction is
    # only "open": the pane will not abort what its producer may still end.
    app = make_test_app(kafka)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("9")
        pane = app.query_one(TransactionsPane)
        await pilot.press("slash", *topic, "enter")
        await wait_for(pilot, lambda: f"{topic}-0" in flat(app) and " open " in flat(app), what="the open row")
        await pilot.press("tab")
        assert app.focused is pane.partitions_table
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("within its timeout" in n for n in notifications(app))
    assert [r["Partition"] for r in await asyncio.to_thread(find_hanging, kafka, topic)] == ["0"]


async def test_group_detail_names_the_transaction_holding_its_lag(txn_kafka, unique_name):  # noqa: F811
    """A group behind a killed producer's open transaction: its detail, at
    80x24, says how many records wait past the LSO and which transaction,
    open how long, holds them (numbers from kafka-transactions and
    kafka-get-offsets)."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition
    from kafka_tools import parse_get_offsets
    from test_groups_pane import open_groups

    kafka = txn_kafka
    topic = f"g{unique_name[-6:]}"
    group, holder = f"{topic}-grp", f"{topic}-h"
    kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "1")
    held = killed_producer(kafka, topic, 0, holder, "registered", count=5)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): 0})
    finally:
        await consumer.stop()
    ends = parse_get_offsets(kafka.run_tool("kafka-get-offsets", "--topic", topic, "--time", "-1").stdout)
    pending = ends[(topic, 0)] - held["offsets"][0]

    app = make_test_app(kafka)
    async with app.run_test(size=SIZE) as pilot:
        await open_groups(pilot, group)
        await pilot.press("enter")
        expected = f"{pending:,} records behind the last stable offset ({topic}-0): transaction {holder} open for"
        await wait_for(pilot, lambda: expected in flat(app), what="the explanation", timeout=60)
    (row,) = parse_transactions_table(
        kafka.run_tool("kafka-transactions", "describe", "--transactional-id", holder).stdout
    )
    assert row["TransactionState"] == "Ongoing" and row["TopicPartitions"] == f"{topic}-0"
