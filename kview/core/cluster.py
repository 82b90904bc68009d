"""The one wrapper around aiokafka's admin client.

Everything the UI and the headless commands know about a cluster comes through
ClusterClient, as kview's own frozen dataclasses (``kview.core.models``), never
as raw protocol responses.  Requests are batched: watermarks take one
ListOffsets request per leader broker for all its partitions.

Metadata and ListOffsets answers are decoded by kview's bulk readers
(``kview.core.protocol.bulk_requests``), not by aiokafka on arrival, and big
ones (thousands of partitions) are decoded and turned into dataclasses in a
worker thread: the UI's event loop keeps handling keys meanwhile.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from operator import itemgetter
from typing import Any, TypeVar

from aiokafka import errors as kafka_errors
from aiokafka.admin import AIOKafkaAdminClient

from kview.core.config import ClusterProfile
from kview.core.errors import ClusterUnavailable, KafkaRequestError, KViewError, describe_exception
from kview.core.models import (
    BrokerInfo,
    ClusterMetadata,
    ClusterSnapshot,
    PartitionInfo,
    TopicInfo,
    Watermarks,
    reuse_topic,
    reuse_watermarks,
)
from kview.core.protocol import bulk_requests as bulk
from kview.core.protocol.bulk_requests import (
    MetadataTuple,
    RawResponse,
    encode_offset_topics,
    read_list_offsets,
    read_metadata,
)

log = logging.getLogger(__name__)

EARLIEST = -2
LATEST = -1
CONTROLLER_CACHE_SECONDS = 1.0
"""Calls within this long share one DescribeQuorum answer (a refresh makes
several metadata calls); short enough that a new leader shows at once."""
OFF_LOOP_BYTES = 64 * 1024
"""Responses at least this big (about 2,000 partitions of metadata) are
decoded in a worker thread; smaller ones cost less than the hand-over."""
OFFSETS_REQUEST_BYTES = 12
"""Bytes a partition takes in a ListOffsets request (a measure for off_loop)."""
WATERMARK_BYTES = 30
"""Bytes a partition takes in two ListOffsets answers (a measure for off_loop)."""
WATERMARKS_REUSE_ABOVE = 2_000
"""On clusters with more partitions than this, ``snapshot()`` reuses recent
watermarks instead of fetching every partition's on every call."""
WATERMARKS_MAX_AGE = 60.0
"""How old (seconds) reused watermarks may be on such clusters."""

_T = TypeVar("_T")

_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kview-decode")
"""One thread for all big decoding: Python runs one thread at a time, so more
workers would not finish sooner, and each would take turns with the event
loop; with one, the loop gets at least every other turn."""


async def off_loop(size: int, work: Callable[..., _T], *args: Any) -> _T:
    """``work(*args)`` (decoding, encoding, computing rows), in the worker
    thread when ``size`` (bytes of the answer, or a like measure) is big
    enough to hold up the event loop: a key pressed meanwhile is handled."""
    if size >= OFF_LOOP_BYTES:
        return await asyncio.get_running_loop().run_in_executor(_WORKER, partial(_in_bulk, work, *args))
    return work(*args)


def _in_bulk(work: Callable[..., _T], *args: Any) -> _T:
    """Run ``work`` with Python's cycle collector paused.  Bulk decoding makes
    some 100,000 objects that all live on; with the collector on, each few
    hundred of them set off a collection that scans the young ones again,
    and every hundredth a full one that scans the whole heap, stopping every
    thread, the event loop too, for 0.3 to 0.7 s at 20,000 partitions.
    Paused, the lot is looked at once, after.  (Only this one thread does
    it, so pauses never overlap.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return work(*args)
    finally:
        if enabled:
            gc.enable()


class _Flight:
    """One request in flight that several callers may share (see
    ``ClusterClient.metadata`` and ``all_watermarks``)."""

    def __init__(self, coro: Any, key: Any = None) -> None:
        self.started = time.monotonic()
        self.key = key
        self.loop = asyncio.get_running_loop()
        self.task = self.loop.create_task(coro)
        # A failure is every sharer's to handle; none left must not be "never retrieved".
        self.task.add_done_callback(lambda task: task.cancelled() or task.exception())

    def joinable(self, since: float) -> bool:
        """Still in flight (on this event loop), and begun at or after ``since``."""
        return not self.task.done() and self.started >= since and asyncio.get_running_loop() is self.loop

    async def result(self) -> Any:
        # A caller that gives up (a pane's worker cancelled) leaves it to the others.
        return await asyncio.shield(self.task)


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
            raise ClusterUnavailable(
                f"{security.protocol} with {security.sasl_mechanism} needs a username and password"
            )
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
        self._all_marks: tuple[float, dict[tuple[str, int], Watermarks]] | None = None
        """The latest watermarks of every partition (monotonic time, marks)."""
        self._metadata_flight: _Flight | None = None
        self._marks_flight: _Flight | None = None
        self._changed_at = 0.0

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
                raise ClusterUnavailable(
                    redact(f"cannot connect to {self.profile.bootstrap_servers}: {describe_exception(exc)}")
                ) from None
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
        except (
            TimeoutError,
            kafka_errors.KafkaConnectionError,
            kafka_errors.NodeNotReadyError,
            kafka_errors.RequestTimedOutError,
            kafka_errors.KafkaTimeoutError,
            ConnectionError,
        ) as exc:
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
            except (
                TimeoutError,
                kafka_errors.KafkaConnectionError,
                kafka_errors.NodeNotReadyError,
                kafka_errors.RequestTimedOutError,
                ConnectionError,
            ) as exc:
                last = exc
        # No known broker answered (or none is known yet): ask the bootstrap
        # servers for fresh metadata, then try one more time.
        try:
            await client.force_metadata_update()
            node_id = client.get_random_node()
            if node_id is not None:
                async with asyncio.timeout(self.profile.request_timeout_ms / 1000):
                    return await client.send(node_id, request)
        except (TimeoutError, kafka_errors.KafkaError, ConnectionError) as exc:
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
        auto-creation: reading must not change the cluster.

        Callers asking for all topics at the same time (the app's monitor, a
        pane's refresh) share one request in flight, unless kview changed the
        topics since it was sent (``note_change``): on 20,000 partitions each
        answer is 700 KB to decode."""
        if topics is not None:
            return await self._fetch_metadata(topics)
        flight = self._metadata_flight
        if flight is None or not flight.joinable(self._changed_at):
            flight = self._metadata_flight = _Flight(self._fetch_metadata(None))
        return await flight.result()

    async def _fetch_metadata(self, topics: list[str] | None) -> ClusterMetadata:
        async def decoded() -> ClusterMetadata:
            # Decoding starts as soon as the answer is in, while the quorum is asked.
            response = await self.send_any(bulk.MetadataRequest(topics), "metadata")
            return await off_loop(len(response.body), _metadata_from_raw, response)

        metadata, controller = await asyncio.gather(decoded(), self.active_controller())
        if controller is not None:
            metadata = metadata.with_controller(controller)
        return metadata

    def note_change(self) -> None:
        """kview changed topics or partitions: later metadata calls must not
        share a request sent before."""
        self._changed_at = time.monotonic()

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
        parts = partitions if isinstance(partitions, (list, tuple)) else list(partitions)
        by_leader = await off_loop(OFFSETS_REQUEST_BYTES * len(parts), _by_leader, parts)
        if not by_leader:
            return {}

        async def for_leader(leader: int, parts: list[PartitionInfo]):
            low, high = await asyncio.gather(
                self.list_offsets(leader, parts, EARLIEST),
                self.list_offsets(leader, parts, LATEST),
            )
            return await off_loop(WATERMARK_BYTES * len(low), _watermarks_from, low, high)

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
            marks.update(result)
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
        parts = list(partitions)
        request = await off_loop(OFFSETS_REQUEST_BYTES * len(parts), _offsets_request, parts, timestamp)
        response = await self._call(
            lambda: self.admin._send_request_to_node(node_id, request), f"list offsets on broker {node_id}"
        )
        return await off_loop(len(response.body), _offsets_from_raw, node_id, response)

    async def all_watermarks(
        self, metadata: ClusterMetadata, max_age: float = 0.0, *, since: float | None = None
    ) -> dict[tuple[str, int], Watermarks]:
        """Watermarks of every partition in ``metadata``; every fetch made here
        is remembered.  With ``max_age``, the latest fetch (by any caller) is
        reused while younger than ``max_age`` seconds, or one in flight is
        joined.  With ``since`` (a ``time.monotonic()``), a fetch in flight
        for the same metadata that began at or after ``since`` is joined: its
        answer is as fresh as the caller's own would be."""
        latest = self._all_marks
        now = time.monotonic()
        if max_age > 0 and latest is not None and now - latest[0] < max_age:
            return latest[1]
        flight = self._marks_flight
        if flight is not None and (
            (max_age > 0 and flight.joinable(now - max_age))
            or (since is not None and flight.key is metadata and flight.joinable(since))
        ):
            return await flight.result()

        async def fetch() -> dict[tuple[str, int], Watermarks]:
            marks = await self.watermarks(metadata.partitions)
            self._all_marks = (started, marks)
            return marks

        started = now
        flight = self._marks_flight = _Flight(fetch(), key=metadata)
        return await flight.result()

    async def snapshot(self, *, watermarks_max_age: float | None = None) -> ClusterSnapshot:
        """Metadata and every partition's watermarks.

        On clusters with more than WATERMARKS_REUSE_ABOVE partitions the
        watermarks may be up to WATERMARKS_MAX_AGE seconds old (the latest
        ``all_watermarks`` fetch, e.g. the topics pane's): fetching 20,000
        partitions' offsets on every call, for a total in the header, would
        cost more than the rest of the refresh.  ``watermarks_max_age``
        overrides that (0: always fetch)."""
        metadata = await self.metadata()
        if watermarks_max_age is None:
            big = metadata.partition_count > WATERMARKS_REUSE_ABOVE
            watermarks_max_age = WATERMARKS_MAX_AGE if big else 0.0
        marks = await self.all_watermarks(metadata, watermarks_max_age)
        snapshot = ClusterSnapshot(metadata=metadata, watermarks=marks, taken_at=time.time())
        return await off_loop(30 * len(marks), snapshot.warm_totals)


# -- decoding (plain functions: big answers are decoded in a worker thread) ---------------


def _metadata_from_raw(response: RawResponse) -> ClusterMetadata:
    return metadata_from_tuples(read_metadata(response.body, response.version)).warm_totals()


def _by_leader(partitions: Iterable[PartitionInfo]) -> dict[int, list[PartitionInfo]]:
    """Partitions that have a leader, by leader."""
    by_leader: dict[int, list[PartitionInfo]] = defaultdict(list)
    for p in partitions:
        if p.leader >= 0:
            by_leader[p.leader].append(p)
    return by_leader


def _offsets_request(partitions: Iterable[PartitionInfo | tuple[str, int]], timestamp: int) -> bulk.ListOffsetsRequest:
    """The ListOffsets request for ``partitions`` at ``timestamp``, encoded."""
    by_topic: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for item in partitions:
        topic, partition = (item.topic, item.partition) if isinstance(item, PartitionInfo) else item
        by_topic[topic].append((partition, timestamp))
    return bulk.ListOffsetsRequest(encode_offset_topics(list(by_topic.items())))


def _offsets_from_raw(node_id: int, response: RawResponse) -> dict[tuple[str, int], int]:
    """(topic, partition) -> offset of a ListOffsets answer; partitions whose
    answer is an error (e.g. not leader any more) are left out."""
    offsets: dict[tuple[str, int], int] = {}
    for topic, parts in read_list_offsets(response.body, response.version):
        for partition, error_code, _timestamp, offset in parts:
            if error_code:
                log.debug("ListOffsets %s-%s on %s: error %s", topic, partition, node_id, error_code)
                continue
            offsets[(topic, partition)] = offset
    return offsets


def _watermarks_from(
    lows: dict[tuple[str, int], int], highs: dict[tuple[str, int], int]
) -> dict[tuple[str, int], Watermarks]:
    """Watermarks of the partitions both ListOffsets answers have."""
    # Equal watermarks are reused from the last refresh (few new objects, see models).
    return {key: reuse_watermarks(key, offset, highs[key]) for key, offset in lows.items() if key in highs}


def metadata_from_tuples(decoded: MetadataTuple) -> ClusterMetadata:
    """kview's metadata from ``read_metadata``'s tuples (sorted like
    ``metadata_from_response``: brokers by id, topics by name, partitions by
    index)."""
    raw_brokers, cluster_id, controller, raw_topics = decoded
    brokers = tuple(sorted((BrokerInfo(*b) for b in raw_brokers), key=lambda b: b.node_id))
    by_index = itemgetter(1)
    topics = []
    for error_code, name, internal, raw_partitions in raw_topics:
        error = None if error_code == 0 else str(KafkaRequestError(error_code))
        raw_partitions.sort(key=by_index)
        # The topic of the last refresh when nothing changed (see models.reuse_topic).
        topics.append(reuse_topic(name, internal, error, raw_partitions))
    topics.sort(key=lambda t: t.name)
    return ClusterMetadata(
        cluster_id=cluster_id,
        controller_id=controller if controller is not None and controller >= 0 else None,
        brokers=brokers,
        topics=tuple(topics),
    )


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


async def per_broker(ids: Iterable[int], one: Callable[[int], Awaitable[_T]]) -> tuple[dict[int, _T], dict[int, str]]:
    """``one(broker)`` for every broker at once: the answers by broker and,
    for brokers that failed, the reason in words (a broker that is down must
    not hide the others' answers)."""
    ids = list(ids)
    results = await asyncio.gather(*(one(b) for b in ids), return_exceptions=True)
    answers: dict[int, _T] = {}
    errors: dict[int, str] = {}
    for broker, result in zip(ids, results, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result
            errors[broker] = describe_exception(result)
        else:
            answers[broker] = result
    return answers, errors
