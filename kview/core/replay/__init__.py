"""Replaying records: copying the records of a window (filtered) from one
topic to another, on the same cluster or another, and redriving a
dead-letter topic to the topics its records came from; with a dry-run count
first and an exact account of what was sent (``copier``, ``models``,
``window``)."""

from kview.core.replay.copier import RecordCopier
from kview.core.replay.models import (
    FAILED,
    MATCHED,
    NO_TARGET,
    PARTITIONINGS,
    REDRIVE_HEADER,
    SENT,
    UNCONFIRMED,
    CopyProgress,
    CopyResult,
    CopySpec,
    OffsetRun,
    PartitionAccount,
)
from kview.core.replay.window import PartitionWindow

__all__ = [
    "FAILED",
    "MATCHED",
    "NO_TARGET",
    "PARTITIONINGS",
    "REDRIVE_HEADER",
    "SENT",
    "UNCONFIRMED",
    "CopyProgress",
    "CopyResult",
    "CopySpec",
    "OffsetRun",
    "PartitionAccount",
    "PartitionWindow",
    "RecordCopier",
]
