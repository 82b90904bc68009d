"""``kview transactions``: transactional ids, partitions held by open
transactions (last stable offset next to the high watermark, active
producers) and hanging transactions (``--hanging``: exactly
``kafka-transactions find-hanging``), as tables or JSON."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kview.core.format import human_duration
from kview.headless import EXIT_FOUND, EXIT_OK
from kview.headless.render import Doc, Part, _document, _table, dash, iso_ms
from kview.headless.runner import NotFound, RunState, UsageError, refresh_loop

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient
    from kview.core.transactions import OpenTransaction, PartitionTransactions, Transaction, TransactionsSnapshot
    from kview.headless.render import Printer


def transaction_fields(t: Transaction, now_ms: int) -> Doc:
    return {
        "transactional_id": t.transactional_id,
        "coordinator": t.coordinator,
        "producer_id": t.producer_id,
        "producer_epoch": t.producer_epoch,
        "state": t.state,
        "timeout_ms": t.timeout_ms,
        "start_ms": t.start_ms,
        "duration_ms": t.duration_ms(now_ms),
        "partitions": [{"topic": topic, "partition": p} for topic, p in t.partitions],
        "error": t.error,
    }


def open_fields(t: OpenTransaction) -> Doc:
    p = t.producer
    return {
        "topic": t.topic,
        "partition": t.partition,
        "producer_id": p.producer_id,
        "producer_epoch": p.producer_epoch,
        "coordinator_epoch": p.coordinator_epoch,
        "start_offset": t.start_offset,
        "last_timestamp": p.last_timestamp,
        "transactional_id": t.transactional_id,
        "status": t.status,
        "open_ms": t.open_ms,
        "duration_minutes": t.duration_minutes,
        "timeout_ms": t.timeout_ms,
    }


def partition_fields(p: PartitionTransactions) -> Doc:
    return {
        "topic": p.topic,
        "partition": p.partition,
        "leader": p.leader,
        "high_watermark": p.high,
        "last_stable_offset": p.stable,
        "behind": p.behind,
        "status": p.status,
        "producers": [
            {
                "producer_id": s.producer_id,
                "producer_epoch": s.producer_epoch,
                "coordinator_epoch": s.coordinator_epoch,
                "last_sequence": s.last_sequence,
                "last_timestamp": s.last_timestamp,
                "txn_start_offset": s.txn_start_offset,
            }
            for s in p.producers
        ],
        "open": [open_fields(t) for t in p.open],
    }


def transactions_doc(snapshot: TransactionsSnapshot) -> Doc:
    now_ms = int(snapshot.taken_at * 1000)
    return _document(
        "transactions",
        snapshot.taken_at,
        hanging_only=False,
        max_transaction_timeout_ms=snapshot.max_timeout_ms,
        transactions=[transaction_fields(t, now_ms) for t in snapshot.transactions],
        partitions=[partition_fields(p) for p in snapshot.partitions],
        hanging=[open_fields(t) for t in snapshot.hanging],
        errors=list(snapshot.errors),
    )


def hanging_doc(hanging: list[OpenTransaction], max_timeout_ms: int, taken_at: float) -> Doc:
    return _document(
        "transactions",
        taken_at,
        hanging_only=True,
        max_transaction_timeout_ms=max_timeout_ms,
        transactions=[],
        partitions=[],
        hanging=[open_fields(t) for t in hanging],
        errors=[],
    )


def _ms(value: int | None) -> str:
    return "-" if value is None else human_duration(value / 1000)


def hanging_table(rows: list[Doc]) -> Part:
    """find-hanging's columns, in its order."""
    table = _table(
        "TOPIC",
        "PARTITION",
        "PRODUCER ID",
        "EPOCH",
        "COORD EPOCH",
        "START OFFSET",
        "LAST TIMESTAMP",
        "DURATION(MIN)",
        "TRANSACTIONAL ID",
        right=("PARTITION", "PRODUCER ID", "EPOCH", "COORD EPOCH", "START OFFSET", "DURATION(MIN)"),
    )
    for h in rows:
        table.add_row(
            h["topic"],
            str(h["partition"]),
            str(h["producer_id"]),
            str(h["producer_epoch"]),
            str(h["coordinator_epoch"] if h["coordinator_epoch"] is not None else -1),
            str(h["start_offset"]),
            iso_ms(h["last_timestamp"]),
            str(h["duration_minutes"]),
            dash(h["transactional_id"]),
        )
    return table


def transactions_view(doc: Doc) -> list[Part]:
    bound = f"max transaction timeout {_ms(doc['max_transaction_timeout_ms'])}"
    if doc["hanging_only"]:
        if not doc["hanging"]:
            return [f"no hanging transactions ({bound})"]
        return [f"{len(doc['hanging'])} hanging transaction(s) ({bound})", hanging_table(doc["hanging"])]
    out: list[Part] = []
    txns = doc["transactions"]
    if txns:
        table = _table(
            "TRANSACTIONAL ID",
            "COORD",
            "PRODUCER ID",
            "EPOCH",
            "STATE",
            "TIMEOUT",
            "STARTED",
            "OPEN FOR",
            "PARTITIONS",
            right=("COORD", "PRODUCER ID", "EPOCH", "TIMEOUT", "OPEN FOR"),
        )
        for t in txns:
            parts = ",".join(f"{p['topic']}-{p['partition']}" for p in t["partitions"])
            table.add_row(
                t["transactional_id"],
                str(t["coordinator"]),
                str(t["producer_id"]),
                dash(t["producer_epoch"]),
                t["state"] + (f" ({t['error']})" if t["error"] else ""),
                _ms(t["timeout_ms"]),
                iso_ms(t["start_ms"]),
                _ms(t["duration_ms"]),
                parts or "-",
            )
        out += [f"{len(txns)} transactional id(s)", table]
    else:
        out.append("no transactional ids")
    parts = doc["partitions"]
    if parts:
        table = _table(
            "PARTITION",
            "LEADER",
            "HW",
            "LSO",
            "BEHIND",
            "STATUS",
            "PRODUCER ID",
            "EPOCH",
            "START OFFSET",
            "OPEN FOR",
            "TRANSACTIONAL ID",
            right=("LEADER", "HW", "LSO", "BEHIND", "PRODUCER ID", "EPOCH", "START OFFSET", "OPEN FOR"),
        )
        for p in parts:
            head = [
                f"{p['topic']}-{p['partition']}",
                str(p["leader"]),
                dash(p["high_watermark"]),
                dash(p["last_stable_offset"]),
                dash(p["behind"]),
            ]
            by_pid = {o["producer_id"]: o for o in p["open"]}
            for s in p["producers"] or [None]:
                if s is None:
                    table.add_row(*head, p["status"], "-", "-", "-", "-", "-")
                    continue
                o: Any = by_pid.get(s["producer_id"])
                table.add_row(
                    *head,
                    o["status"] if o else "",
                    str(s["producer_id"]),
                    str(s["producer_epoch"]),
                    dash(s["txn_start_offset"]),
                    _ms(o["open_ms"]) if o else "-",
                    dash(o["transactional_id"]) if o else "-",
                )
                head = ["", "", "", "", ""]
        out += [f"{len(parts)} partition(s) with open transactions", table]
    else:
        out.append("no open transactions")
    if doc["hanging"]:
        out += [f"{len(doc['hanging'])} hanging transaction(s) ({bound})", hanging_table(doc["hanging"])]
    else:
        out.append(f"no hanging transactions ({bound})")
    out += doc["errors"]
    return out


async def cmd_transactions(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.errors import KViewError
    from kview.core.transactions import TransactionService

    if args.partition is not None and args.topic is None:
        raise UsageError("--partition needs --topic")
    if args.broker_id is not None and not args.hanging:
        raise UsageError("--broker-id goes with --hanging (find-hanging's scope)")
    service = TransactionService(client)
    max_timeout_ms = args.max_transaction_timeout * 60_000

    async def fetch() -> Doc:
        try:
            if args.hanging:
                taken_at = time.time()
                found = await service.find_hanging(
                    topic=args.topic, partition=args.partition, broker=args.broker_id, max_timeout_ms=max_timeout_ms
                )
                return hanging_doc(found, max_timeout_ms, taken_at)
            snapshot = await service.snapshot(
                topic=args.topic, max_timeout_ms=max_timeout_ms, all_producers=args.producers
            )
        except KViewError as exc:
            if args.topic is not None and str(exc).startswith(f"topic '{args.topic}'"):
                raise NotFound(str(exc)) from None
            raise
        doc = transactions_doc(snapshot)
        if args.partition is not None:
            doc["partitions"] = [p for p in doc["partitions"] if p["partition"] == args.partition]
            doc["hanging"] = [h for h in doc["hanging"] if h["partition"] == args.partition]
        return doc

    def code_of(doc: Doc) -> int:
        return EXIT_FOUND if args.hanging and doc["hanging"] else EXIT_OK

    return await refresh_loop(args, printer, state, fetch, transactions_view, code_of=code_of)
