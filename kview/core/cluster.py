"""The one wrapper around aiokafka's admin client.

Everything the UI and the headless commands know about a cluster comes through
ClusterClient, as kview's own frozen dataclasses (``kview.core.models``), never
as raw protocol responses.  Requests are batched: watermarks take one
ListOffsets request per leader broker for all its partitions.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from aiokafka import errors as kafka_errors
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.protocol.offset import OffsetRequest

from kview.core.config import ClusterProfile
from kview.core.errors import ClusterUnavailable, KafkaRequestError, KViewError, describe_exception
from kview.core.models import (
    BrokerInfo,
    ClusterMetadata,
    ClusterSnapshot,
    PartitionInfo,
    TopicInfo,
    Watermarks,
)

log = logging.getLogger(__name__)

EARLIEST = -2
LATEST = -1
CONTROLLER_CACHE_SECONDS = 1.0
"""Calls within this long share one DescribeQuorum answer (a refresh makes
several metadata calls); short enough that a new leader shows at once."""


def connection_kwargs(profile: ClusterProfile) -> dict[str, Any]:
    """Keyword arguments shared by every aiokafka client kview creates for a profile.

    Raises ClusterUnavailable naming the setting at fault when TLS files cannot
    be loaded or the SASL settings are incomplete; the profile's secrets are
    registered for redaction from logs first."""
    from kview.core.config import SASL_MECHANISMS, SECURITY_PROTOCOLS
    from kview.core.connectivity import build_ssl_context
    from kview.core.logs import register_secrets

    security = profile.security
    register_secrets(s.reveal() for s in (security.password, security.key_password) if s is not None)
    if security.protocol not in SECURITY_PROTOCOLS:
        raise ClusterUnavailable(
            f"security protocol {security.protocol!r} is not one of {', '.join(SECURITY_PROTOCOLS)}"
        )
    kwargs: dict[str, Any] = {
        "bootstrap_servers": profile.bootstrap_servers,
        "client_id": profile.client_id,
        "request_timeout_ms": profile.request_timeout_ms,
        "security_protocol": security.protocol,
    }
    if security.uses_tls:
        kwargs["ssl_context"] = build_ssl_context(security)
    if security.uses_sasl:
        if security.sasl_mechanism not in SASL_MECHANISMS:
            raise ClusterUnavailable(
                f"SASL mechanism {security.sasl_mechanism!r} is not supported by kview "
                f"(use {', '.join(SASL_MECHANISMS)})"
            )
        if not security.username or security.password is None:
            raise ClusterUnavailable(f"{security.protocol} with {security.sasl_mechanism} needs a username and password")
        kwargs["sasl_mechanism"] = security.sasl_mechanism
        kwargs["sasl_plain_username"] = security.username
        kwargs["sasl_plain_password"] = security.password.reveal()
    return kwargs


class ClusterClient:
    """Async access to one cluster.  ``await start()`` before use, ``close()`` after."""

    def __init__(self, profile: ClusterProfile) -> None:
        self.profile = profile
        self._admin: AIOKafkaAdminClient | None = None
        self._start_lock = asyncio.Lock()
        self._controller_cache: tuple[float, int | None] = (0.0, None)

    @property
    def admin(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            raise ClusterUnavailable("not connected")
        return self._admin

    @property
    def read_only(self) -> bool:
        """Write actions (``@write_action``) check this before they run."""
        return self.profile.read_only

    @property
    def connected(self) -> bool:
        return self._admin is not None

    async def start(self) -> None:
        """Connect to the bootstrap servers; raises ClusterUnavailable with the
        reason in one line (wrong password, untrusted certificate, mechanism not
        enabled, nothing listening), within about request_timeout_ms."""
        from kview.core.connectivity import probe_bootstrap
        from kview.core.logs import redact

        async with self._start_lock:
            if self._admin is not None:
                return
            kwargs = connection_kwargs(self.profile)
            timeout = self.profile.request_timeout_ms / 1000
            # aiokafka's bootstrap only logs why a broker refused us; the probe
            # connects the same way and keeps the exception to explain it.
            await probe_bootstrap(self.profile, kwargs, timeout=timeout)
            try:
                admin = AIOKafkaAdminClient(**kwargs)
            except (ValueError, TypeError) as exc:
                raise ClusterUnavailable(redact(f"client settings rejected: {exc}")) from None
            try:
                async with asyncio.timeout(timeout + 5):
                    await admin.start()
            except Exception as exc:
                await _close_quietly(admin)
                raise ClusterUnavailable(redact(
                    f"cannot connect to {self.profile.bootstrap_servers}: {describe_exception(exc)}"
                )) from None
            self._admin = admin

    async def close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            await _close_quietly(admin)

    async def _call(self, coro_factory, what: str):
        """Run one admin request; connection failures become ClusterUnavailable."""
        await self.start()
        try:
            return await coro_factory()
        except (kafka_errors.KafkaConnectionError, kafka_errors.NodeNotReadyError,
                kafka_errors.RequestTimedOutError, kafka_errors.KafkaTimeoutError,
                asyncio.TimeoutError, ConnectionError) as exc:
            raise ClusterUnavailable(f"{what}: {describe_exception(exc)}") from None

    # -- primitives for the domain services (topics, groups, ...) -------------------

    async def send(self, node_id: int, request: Any, what: str = "request") -> Any:
        """Send one protocol request (an aiokafka ``Request``) to a broker."""
        return await self._call(lambda: self.admin._send_request_to_node(node_id, request), what)

    async def send_any(self, request: Any, what: str = "request") -> Any:
        """Send one protocol request to any broker that answers: known brokers in
        random order, so one broker being down never fails a cluster-wide read."""
        await self.start()
        client = self.admin._client
        nodes = [broker.nodeId for broker in client.cluster.brokers()]
        random.shuffle(nodes)
        last: BaseException | None = None
        for node_id in nodes:
            try:
                async with asyncio.timeout(self.profile.request_timeout_ms / 1000):
                    return await client.send(node_id, request)
            except (kafka_errors.KafkaConnectionError, kafka_errors.NodeNotReadyError,
                    kafka_errors.RequestTimedOutError, asyncio.TimeoutError, ConnectionError) as exc:
                last = exc
        # No known broker answered (or none is known yet): ask the bootstrap
        # servers for fresh metadata, then try one more time.
        try:
            await client.force_metadata_update()
            node_id = client.get_random_node()
            if node_id is not None:
                async with asyncio.timeout(self.profile.request_timeout_ms / 1000):
                    return await client.send(node_id, request)
        except (kafka_errors.KafkaError, asyncio.TimeoutError, ConnectionError) as exc:
            last = exc
        raise ClusterUnavailable(f"{what}: no broker answered ({describe_exception(last) if last else 'none known'})")

    async def send_controller(self, request: Any, what: str = "request") -> Any:
        """Send to the controller as seen by clients (any broker forwards in KRaft)."""
        return await self._call(lambda: self.admin._send_to_controller(request), what)

    async def find_coordinator(self, group_id: str) -> int:
        """Node id of the group's coordinator."""
        return await self._call(lambda: self.admin.find_coordinator(group_id), f"find coordinator of {group_id}")

    # -- metadata ------------------------------------------------------------------

    async def metadata(self, topics: list[str] | None = None) -> ClusterMetadata:
        """Brokers, controller and topics (all topics when ``topics`` is None).
        Never creates a topic it asks about, even where the broker allows
        auto-creation: reading must not change the cluster."""
        response, controller = await asyncio.gather(
            self.send_any(MetadataRequest(topics, allow_auto_topic_creation=False), "metadata"), self.active_controller()
        )
        metadata = metadata_from_response(response.to_object())
        if controller is not None:
            metadata = replace(metadata, controller_id=controller)
        return metadata

    async def active_controller(self) -> int | None:
        """The KRaft quorum leader (DescribeQuorum).  In KRaft the controller id
        in a Metadata response is just some live broker, so it is not used when
        the quorum can be asked; None when it cannot (e.g. not authorised)."""
        from kview.core.brokers import quorum_from_response
        from kview.core.protocol.cluster_requests import DescribeQuorumRequest

        cached_at, leader = self._controller_cache
        if leader is not None and time.monotonic() - cached_at < CONTROLLER_CACHE_SECONDS:
            return leader
        try:
            response = await self.send_any(DescribeQuorumRequest(), "describe quorum")
            leader = quorum_from_response(response.to_object()).leader_id
        except KViewError as exc:
            log.debug("quorum leader unknown: %s", exc)
            leader = None
        self._controller_cache = (time.monotonic(), leader)
        return leader

    async def watermarks(self, partitions: Iterable[PartitionInfo]) -> dict[tuple[str, int], Watermarks]:
        """Low and high watermarks, one ListOffsets request per leader and bound."""
        by_leader: dict[int, list[PartitionInfo]] = defaultdict(list)
        for p in partitions:
            if p.leader >= 0:
                by_leader[p.leader].append(p)
        if not by_leader:
            return {}

        async def for_leader(leader: int, parts: list[PartitionInfo]):
            low, high = await asyncio.gather(
                self.list_offsets(leader, parts, EARLIEST),
                self.list_offsets(leader, parts, LATEST),
            )
            return [
                Watermarks(p.topic, p.partition, low[(p.topic, p.partition)], high[(p.topic, p.partition)])
                for p in parts if (p.topic, p.partition) in low and (p.topic, p.partition) in high
            ]

        results = await asyncio.gather(
            *(for_leader(leader, parts) for leader, parts in by_leader.items()),
            return_exceptions=True,
        )
        marks: dict[tuple[str, int], Watermarks] = {}
        failures = []
        for result in results:
            if isinstance(result, BaseException):
                failures.append(result)
                continue
            for mark in result:
                marks[(mark.topic, mark.partition)] = mark
        if failures and not marks:
            raise failures[0] if isinstance(failures[0], Exception) else ClusterUnavailable(str(failures[0]))
        return marks

    async def list_offsets(
        self, node_id: int, partitions: Iterable[PartitionInfo | tuple[str, int]], timestamp: int
    ) -> dict[tuple[str, int], int]:
        """One ListOffsets request to ``node_id``; ``timestamp`` is EARLIEST,
        LATEST or milliseconds since the epoch.  Partitions whose answer is an
        error (e.g. not leader any more) are left out; -1 means no offset for
        that timestamp."""
        by_topic: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for item in partitions:
            topic, partition = (item.topic, item.partition) if isinstance(item, PartitionInfo) else item
            by_topic[topic].append((partition, timestamp))
        request = OffsetRequest(-1, 0, list(by_topic.items()))
        response = await self._call(
            lambda: self.admin._send_request_to_node(node_id, request), f"list offsets on broker {node_id}"
        )
        offsets: dict[tuple[str, int], int] = {}
        for topic, parts in response.topics:
            for part in parts:
                partition, error_code = part[0], part[1]
                if error_code != 0:
                    log.debug("ListOffsets %s-%s on %s: error %s", topic, partition, node_id, error_code)
                    continue
                offsets[(topic, partition)] = part[-1]
        return offsets

    async def snapshot(self) -> ClusterSnapshot:
        """Metadata and every partition's watermarks, as of now."""
        metadata = await self.metadata()
        marks = await self.watermarks(metadata.partitions)
        return ClusterSnapshot(metadata=metadata, watermarks=marks, taken_at=time.time())


def metadata_from_response(obj: dict[str, Any]) -> ClusterMetadata:
    brokers = tuple(
        sorted(
            (BrokerInfo(b["node_id"], b["host"], b["port"], b.get("rack")) for b in obj["brokers"]),
            key=lambda b: b.node_id,
        )
    )
    topics = []
    for t in obj["topics"]:
        error = None if t["error_code"] == 0 else str(KafkaRequestError(t["error_code"]))
        partitions = tuple(
            sorted(
                (
                    PartitionInfo(
                        topic=t["topic"],
                        partition=p["partition"],
                        leader=p["leader"],
                        replicas=tuple(p["replicas"]),
                        isr=tuple(p["isr"]),
                        offline_replicas=tuple(p.get("offline_replicas") or ()),
                    )
                    for p in t["partitions"]
                ),
                key=lambda p: p.partition,
            )
        )
        topics.append(TopicInfo(t["topic"], bool(t.get("is_internal", False)), partitions, error))
    topics.sort(key=lambda t: t.name)
    controller = obj.get("controller_id")
    return ClusterMetadata(
        cluster_id=obj.get("cluster_id"),
        controller_id=controller if controller is not None and controller >= 0 else None,
        brokers=brokers,
        topics=tuple(topics),
    )


async def _close_quietly(admin: AIOKafkaAdminClient) -> None:
    try:
        await admin.close()
    except Exception:  # closing a half-started client can fail; nothing to report
        log.debug("admin close failed", exc_info=True)
