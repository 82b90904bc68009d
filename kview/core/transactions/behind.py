"""Why a group's lag sits behind an open transaction: for the partitions
where a ``read_committed`` consumer at the group's offset has offsets it
cannot read yet (``Readable.pending``: past the last stable offset), the
transaction holding the LSO, its transactional id and how long it has been
open, summed per transaction into one sentence each for the group detail
("3,120 records behind the last stable offset: transaction T open for
14m00s")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kview.core.format import human_duration
from kview.core.groups.models import GroupPartitionLag
from kview.core.transactions.models import HANGING, OVERDUE, OpenTransaction, TopicPartition
from kview.core.transactions.service import TransactionService


@dataclass(frozen=True)
class BehindTransaction:
    """Offsets of a group held past the LSO by one open transaction."""

    holder: OpenTransaction
    pending: int
    """Offsets at or past the LSO, over the group's partitions it holds."""
    partitions: tuple[TopicPartition, ...]

    def text(self) -> str:
        h = self.holder
        who = (
            f"transaction {h.transactional_id}"
            if h.transactional_id
            else f"a transaction of producer {h.producer.producer_id} (no transactional id)"
        )
        where = ", ".join(f"{t}-{p}" for t, p in self.partitions[:3])
        if len(self.partitions) > 3:
            where += f" and {len(self.partitions) - 3} more"
        noun = "record" if self.pending == 1 else "records"
        opened = human_duration(h.open_ms / 1000)
        text = f"{self.pending:,} {noun} behind the last stable offset ({where}): {who} open for {opened}"
        if h.status == HANGING:
            text += " · HANGING: no coordinator will end it (abort it in the Transactions pane, key 9)"
        elif h.status == OVERDUE and h.timeout_ms is not None:
            text += f" · past its timeout of {human_duration(h.timeout_ms / 1000)}"
        return text


async def behind_open_transactions(
    service: TransactionService, rows: Iterable[GroupPartitionLag]
) -> tuple[BehindTransaction, ...]:
    """One BehindTransaction per open transaction that holds back the
    group's rows whose readable lag was read and has pending offsets; most
    pending first."""
    pending: dict[TopicPartition, int] = {}
    for r in rows:
        if r.readable is not None and r.readable.pending > 0:
            pending[(r.topic, r.partition)] = r.readable.pending
    if not pending:
        return ()
    holders = await service.holders(pending)
    by_holder: dict[tuple[int, int], list[tuple[TopicPartition, OpenTransaction]]] = {}
    for tp, holder in holders.items():
        key = (holder.producer.producer_id, holder.producer.producer_epoch)
        by_holder.setdefault(key, []).append((tp, holder))
    out = []
    for held in by_holder.values():
        # The longest-open view of the one transaction (its partitions agree but for timing).
        holder = max((h for _tp, h in held), key=lambda h: (h.status == HANGING, h.status == OVERDUE, h.open_ms))
        tps = tuple(sorted(tp for tp, _h in held))
        out.append(BehindTransaction(holder, sum(pending[tp] for tp in tps), tps))
    out.sort(key=lambda b: -b.pending)
    return tuple(out)
