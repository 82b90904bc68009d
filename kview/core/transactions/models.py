"""kview's data model of transactions and producers: what the coordinators
say of transactional ids, what partition leaders say of their active
producers, and what kview concludes (open, overdue, hanging)."""

from __future__ import annotations

from dataclasses import dataclass, field

TopicPartition = tuple[str, int]

DEFAULT_MAX_TIMEOUT_MS = 15 * 60 * 1000
"""find-hanging's default bound (``--max-transaction-timeout 15``, Kafka's
default ``transaction.max.timeout.ms``): a transaction the coordinator does
not hold is hanging only once it is older than this."""


@dataclass(frozen=True)
class Transaction:
    """One transactional id as its coordinator describes it.  ``start_ms``
    None: no transaction in progress (the coordinator answers -1).
    ``error``: why it could not be described (the listing's fields stay)."""

    transactional_id: str
    coordinator: int
    producer_id: int
    state: str
    producer_epoch: int | None = None
    timeout_ms: int | None = None
    start_ms: int | None = None
    partitions: tuple[TopicPartition, ...] = ()
    error: str | None = None

    def duration_ms(self, now_ms: int) -> int | None:
        return None if self.start_ms is None else max(0, now_ms - self.start_ms)

    def overdue(self, now_ms: int) -> bool:
        """Running longer than its own timeout (the coordinator should have
        aborted it: read_committed consumers of its partitions wait)."""
        duration = self.duration_ms(now_ms)
        return duration is not None and self.timeout_ms is not None and duration > self.timeout_ms


@dataclass(frozen=True)
class ProducerState:
    """One active producer of a partition (``describe-producers``'s row).
    ``coordinator_epoch`` and ``txn_start_offset`` are None where Kafka
    answers -1 (none known / no open transaction)."""

    producer_id: int
    producer_epoch: int
    last_sequence: int
    last_timestamp: int
    coordinator_epoch: int | None
    txn_start_offset: int | None


@dataclass(frozen=True)
class PartitionProducers:
    """A partition's active producers as its leader (or ``broker``) tells
    them; ``error`` when it could not."""

    topic: str
    partition: int
    broker: int
    producers: tuple[ProducerState, ...] = ()
    error: str | None = None

    @property
    def open_transactions(self) -> tuple[ProducerState, ...]:
        return tuple(p for p in self.producers if p.txn_start_offset is not None)


OPEN = "open"
OVERDUE = "overdue"
HANGING = "hanging"


@dataclass(frozen=True)
class OpenTransaction:
    """A transaction open on one partition (a producer with a current
    transaction start offset), with what kview concludes of it:

    - ``hanging``: ``kafka-transactions find-hanging``'s rule: older (since
      the producer's last write) than the max transaction timeout, and the
      coordinator does not hold this partition for it (no transactional id
      for the producer id, the id unknown, or its partitions without this
      one): no coordinator will ever end it; only an abort marker does.
    - ``overdue``: the coordinator holds it but it has run longer than its
      own timeout (the coordinator should abort it soon).
    - ``open``: neither."""

    topic: str
    partition: int
    producer: ProducerState
    transactional_id: str | None
    status: str
    open_ms: int
    """How long it has been open: since the coordinator's start time when the
    coordinator holds it, else since the producer's last write (at least)."""
    timeout_ms: int | None = None

    @property
    def start_offset(self) -> int:
        assert self.producer.txn_start_offset is not None
        return self.producer.txn_start_offset

    @property
    def duration_minutes(self) -> int:
        """find-hanging's Duration(min) column is computed from the last write;
        ``open_ms`` for hanging ones is exactly that."""
        return self.open_ms // 60_000


@dataclass(frozen=True)
class PartitionTransactions:
    """One partition with an open transaction: the last stable offset next
    to the high watermark, and its active producers."""

    topic: str
    partition: int
    leader: int
    high: int | None
    stable: int | None
    producers: tuple[ProducerState, ...]
    open: tuple[OpenTransaction, ...]

    @property
    def behind(self) -> int | None:
        """Offsets between the LSO and the high watermark: what read_committed
        consumers cannot read yet."""
        if self.high is None or self.stable is None:
            return None
        return max(0, self.high - self.stable)

    @property
    def status(self) -> str:
        states = {t.status for t in self.open}
        for status in (HANGING, OVERDUE, OPEN):
            if status in states:
                return status
        return ""

    @property
    def holder(self) -> OpenTransaction | None:
        """The open transaction holding the LSO (its start offset is the LSO,
        else the earliest one)."""
        if not self.open:
            return None
        for txn in self.open:
            if txn.start_offset == self.stable:
                return txn
        return min(self.open, key=lambda t: t.start_offset)


@dataclass(frozen=True)
class AbortSpec:
    """What an abort marker needs (``kafka-transactions abort``'s spec)."""

    topic: str
    partition: int
    producer_id: int
    producer_epoch: int
    coordinator_epoch: int


@dataclass(frozen=True)
class TransactionsSnapshot:
    """Everything the Transactions pane and ``kview transactions`` show."""

    transactions: tuple[Transaction, ...]
    partitions: tuple[PartitionTransactions, ...]
    taken_at: float
    max_timeout_ms: int = DEFAULT_MAX_TIMEOUT_MS
    errors: tuple[str, ...] = field(default=())

    @property
    def hanging(self) -> tuple[OpenTransaction, ...]:
        return tuple(t for p in self.partitions for t in p.open if t.status == HANGING)
