"""What kview concludes of open transactions (pure: no Kafka): find-hanging's
rule case by case, a partition's holder, status and backlog, the group
detail's sentence, and the ``kview transactions`` document against its JSON
Schema with the table made from it."""

from __future__ import annotations

import jsonschema

from kview.core.transactions import (
    HANGING,
    OPEN,
    OVERDUE,
    OpenTransaction,
    PartitionTransactions,
    ProducerState,
    Transaction,
    TransactionService,
    TransactionsSnapshot,
)
from kview.core.transactions.behind import BehindTransaction
from kview.headless.render import plain_text
from kview.headless.schema import SCHEMAS
from kview.headless.transactions import hanging_doc, transactions_doc, transactions_view

NOW = 1_800_000_000_000
MINUTE = 60_000
TP = ("orders", 3)


def producer(pid: int = 7, *, written_ago: int = 20 * MINUTE, start: int | None = 100) -> ProducerState:
    return ProducerState(pid, 2, 9, NOW - written_ago, None, start)


def ongoing(tid: str = "tx", *, partitions=(TP,), started_ago: int = 20 * MINUTE, timeout: int = MINUTE) -> Transaction:
    return Transaction(tid, 1, 7, "Ongoing", 2, timeout, NOW - started_ago, tuple(partitions))


def classify(p: ProducerState, ids: dict, described: dict, max_timeout: int = 15 * MINUTE) -> OpenTransaction:
    return TransactionService.classify(TP, p, ids, described, NOW, max_timeout)


def test_hanging_follows_find_hanging_case_by_case():
    old = producer()
    # No transactional id for the producer id.
    assert classify(old, {}, {}).status == HANGING
    # An id its coordinator does not know (DescribeTransactions: not found).
    assert classify(old, {7: "tx"}, {"tx": None}).status == HANGING
    # Known, but the coordinator does not hold this partition for it.
    assert classify(old, {7: "tx"}, {"tx": ongoing(partitions=[("orders", 4)])}).status == HANGING
    assert classify(old, {7: "tx"}, {"tx": Transaction("tx", 1, 7, "Empty", 2, MINUTE)}).status == HANGING
    # The coordinator holds it: never hanging (past its own timeout: overdue).
    held = classify(old, {7: "tx"}, {"tx": ongoing()})
    assert held.status == OVERDUE and held.transactional_id == "tx" and held.open_ms == 20 * MINUTE
    assert classify(old, {7: "tx"}, {"tx": ongoing(timeout=30 * MINUTE)}).status == OPEN
    # Younger (since the last write) than the bound: not judged hanging, as the tool.
    young = producer(written_ago=15 * MINUTE)
    assert classify(young, {}, {}).status == OPEN
    assert classify(young, {}, {}, max_timeout=15 * MINUTE - 1).status == HANGING
    # A description that failed proves nothing either way.
    failed = Transaction("tx", -1, -1, "", error="CoordinatorNotAvailable")
    assert classify(old, {7: "tx"}, {"tx": failed}).status == OPEN


def test_find_hanging_duration_is_minutes_since_the_last_write():
    t = classify(producer(written_ago=17 * MINUTE + 59_999), {}, {})
    assert t.duration_minutes == 17


def test_partition_holder_status_and_backlog():
    first = OpenTransaction("orders", 3, producer(7, start=100), "a", OVERDUE, 5 * MINUTE, MINUTE)
    later = OpenTransaction("orders", 3, producer(8, start=140), None, HANGING, 20 * MINUTE)
    p = PartitionTransactions("orders", 3, 1, 180, 100, (first.producer, later.producer), (later, first))
    assert p.holder is first  # its start offset is the LSO
    assert p.status == HANGING  # the worst of its transactions
    assert p.behind == 80
    assert PartitionTransactions("orders", 3, 1, None, 100, (), ()).behind is None
    assert PartitionTransactions("orders", 3, 1, 5, 5, (), ()).status == ""


def test_group_detail_sentence():
    holder = OpenTransaction("orders", 3, producer(), "payments-tx", OVERDUE, 14 * MINUTE + 5000, MINUTE)
    text = BehindTransaction(holder, 3120, (("orders", 3),)).text()
    assert text == (
        "3,120 records behind the last stable offset (orders-3): transaction payments-tx open for 14m05s"
        " · past its timeout of 1m00s"
    )
    lost = OpenTransaction("orders", 3, producer(), None, HANGING, 20 * MINUTE)
    parts = tuple(("orders", p) for p in range(5))
    text = BehindTransaction(lost, 1, parts).text()
    assert text.startswith(
        "1 record behind the last stable offset (orders-0, orders-1, orders-2 and 2 more): "
        "a transaction of producer 7 (no transactional id) open for 20m00s · HANGING"
    )


def test_document_follows_its_schema_and_the_table_shows_it():
    hanging = OpenTransaction("orders", 3, producer(), None, HANGING, 20 * MINUTE)
    overdue = OpenTransaction("orders", 4, producer(9, start=50), "tx", OVERDUE, 20 * MINUTE, MINUTE)
    snapshot = TransactionsSnapshot(
        (ongoing(partitions=[("orders", 4)]), Transaction("idle", 1, 12, "Empty", 0, MINUTE)),
        (
            PartitionTransactions("orders", 3, 1, 130, 100, (hanging.producer,), (hanging,)),
            PartitionTransactions("orders", 4, 1, 60, 50, (overdue.producer,), (overdue,)),
        ),
        NOW / 1000,
        errors=("list transactions on broker 2: request timed out",),
    )
    doc = transactions_doc(snapshot)
    jsonschema.Draft202012Validator(SCHEMAS["transactions"]).validate(doc)
    assert [h["partition"] for h in doc["hanging"]] == [3]
    text = plain_text(transactions_view(doc))
    assert "2 transactional id(s)" in text and "2 partition(s) with open transactions" in text
    assert "1 hanging transaction(s) (max transaction timeout 15m00s)" in text
    assert "list transactions on broker 2: request timed out" in text
    row = next(line for line in text.splitlines() if line.startswith("orders-3"))
    assert row.split()[:6] == ["orders-3", "1", "130", "100", "30", "hanging"]

    only = hanging_doc([hanging], 0, NOW / 1000)
    jsonschema.Draft202012Validator(SCHEMAS["transactions"]).validate(only)
    assert plain_text(transactions_view(hanging_doc([], 0, NOW / 1000))).strip() == (
        "no hanging transactions (max transaction timeout 0s)"
    )


def test_many_transactional_ids_describe_only_those_that_matter():
    from kview.core.transactions import PartitionProducers
    from kview.core.transactions.service import DESCRIBE_ALL_UP_TO

    few = [Transaction(f"id-{i}", 1, i, "Empty") for i in range(3)]
    assert TransactionService._worth_describing(few, []) == ["id-0", "id-1", "id-2"]
    many = [Transaction(f"id-{i}", 1, i, "CompleteCommit") for i in range(DESCRIBE_ALL_UP_TO + 1)]
    many[5] = Transaction("id-5", 1, 5, "Ongoing")
    many[9] = Transaction("id-9", 1, 9, "PrepareAbort")
    holding = PartitionProducers("orders", 0, 1, (producer(pid=12), producer(pid=13, start=None)))
    assert TransactionService._worth_describing(many, [holding]) == ["id-5", "id-9", "id-12"]
