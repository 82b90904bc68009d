"""The domain services of one cluster connection, in one place.

Every pane gets its services from the app's ``services`` (a ``ClusterServices``
built from the app's ClusterClient), never by building them itself: so the
services that keep history between refreshes (topic rates, group lag) are
shared by every pane, and a test can hand the whole app another
implementation (the snapshot tests replay recorded cluster states this way,
``make_app(..., services_factory=...)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kview.core.brokers import BrokerService
    from kview.core.cluster import ClusterClient
    from kview.core.groups import GroupService
    from kview.core.models import ClusterSnapshot
    from kview.core.produce import ProduceService
    from kview.core.reassign.service import ReassignService
    from kview.core.schemas.client import RegistryClient
    from kview.core.tail import Tail
    from kview.core.topics import TopicService


class ClusterServices:
    """The services of the cluster behind ``client``, built on first use.

    ``topics``, ``groups`` and ``brokers`` are shared (one each per
    connection); ``new_groups()``, ``new_producer()`` and ``tail()`` make one
    that the caller owns and closes."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client
        self._topics: TopicService | None = None
        self._groups: GroupService | None = None
        self._brokers: BrokerService | None = None
        self._registry: RegistryClient | None = None
        self._reassign: ReassignService | None = None
        self.schemas_seen: dict[str, dict[int, Any]] = {}
        """Per topic, the schema ids its tails met (id -> decoder.SchemaInfo),
        written by the tails' decoders, read by the topic detail."""

    @property
    def topics(self) -> TopicService:
        """Shared: message rates come from the previous sample, whoever took it."""
        if self._topics is None:
            from kview.core.topics import TopicService

            self._topics = TopicService(self.client)
        return self._topics

    @property
    def groups(self) -> GroupService:
        """Shared: its LagTracker keeps the lag history (trends, rates,
        time-lag estimates) across refreshes and panes."""
        if self._groups is None:
            self._groups = self.new_groups()
        return self._groups

    @property
    def brokers(self) -> BrokerService:
        if self._brokers is None:
            from kview.core.brokers import BrokerService

            self._brokers = BrokerService(self.client)
        return self._brokers

    @property
    def reassign(self) -> ReassignService:
        """Leader balance, elections, reassignment plans, progress and cancel."""
        if self._reassign is None:
            from kview.core.reassign.service import ReassignService

            self._reassign = ReassignService(self.client)
        return self._reassign

    @property
    def registry(self) -> RegistryClient | None:
        """Shared: the schema registry of the profile (None if it names none);
        its schema cache and backoff serve every pane and tail."""
        settings = self.client.profile.schema_registry
        if settings is None:
            return None
        if self._registry is None:
            from kview.core.schemas.client import RegistryClient

            self._registry = RegistryClient(settings)
        return self._registry

    def new_groups(self) -> GroupService:
        """A GroupService of the caller's own (with its own lag history)."""
        from kview.core.groups import GroupService

        return GroupService(self.client)

    def new_producer(self) -> ProduceService:
        """A ProduceService of the caller's own (its settings and history)."""
        from kview.core.produce import ProduceService

        return ProduceService(self.client)

    def tail(self, topic: str, **kwargs: Any) -> Tail:
        """A Tail of ``topic`` on this cluster; ``kwargs`` as for ``Tail``."""
        from kview.core.tail import Tail

        return Tail(self.client.profile, topic, **kwargs)

    async def snapshot(self) -> ClusterSnapshot:
        """Metadata and watermarks of the whole cluster (the app's monitor)."""
        return await self.client.snapshot()

    async def close(self) -> None:
        """Close the shared services (the client is the app's to close)."""
        groups, self._groups = self._groups, None
        if groups is not None:
            await groups.close()
        registry, self._registry = self._registry, None
        if registry is not None:
            await registry.close()
