"""Leader balance: per broker, the partitions it leads against those it is
the preferred leader of, its replicas and bytes; and the partitions not led
by their preferred replica.  Pure functions over metadata and log dirs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kview.core.models import ClusterMetadata
from kview.core.reassign.models import LeaderBalance, TopicPartition


def leader_balance(
    metadata: ClusterMetadata,
    broker_bytes: Mapping[int, int] | None = None,
    *,
    topics: Iterable[str] | None = None,
    bytes_error: str | None = None,
) -> LeaderBalance:
    """The leader balance of ``metadata`` (every topic, or ``topics``).
    ``broker_bytes`` gives each broker's replica log bytes where known."""
    raise NotImplementedError


def not_preferred_partitions(metadata: ClusterMetadata, topics: Iterable[str] | None = None) -> list[TopicPartition]:
    """Partitions whose leader is not their preferred replica (what a
    preferred election of 'all' would try)."""
    raise NotImplementedError
