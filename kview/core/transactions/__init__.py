"""Transactions and producers: transactional ids as their coordinators
describe them, partitions' active producers and last stable offsets, hanging
transactions (``kafka-transactions find-hanging``'s rule) and their abort."""

from kview.core.transactions.models import (
    DEFAULT_MAX_TIMEOUT_MS,
    HANGING,
    OPEN,
    OVERDUE,
    AbortSpec,
    OpenTransaction,
    PartitionProducers,
    PartitionTransactions,
    ProducerState,
    Transaction,
    TransactionsSnapshot,
)
from kview.core.transactions.service import TransactionService

__all__ = [
    "DEFAULT_MAX_TIMEOUT_MS",
    "HANGING",
    "OPEN",
    "OVERDUE",
    "AbortSpec",
    "OpenTransaction",
    "PartitionProducers",
    "PartitionTransactions",
    "ProducerState",
    "Transaction",
    "TransactionService",
    "TransactionsSnapshot",
]
