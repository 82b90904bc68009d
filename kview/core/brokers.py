"""What the brokers hold: their log directories (DescribeLogDirs), their configs
(DescribeConfigs) and the KRaft metadata quorum (DescribeQuorum).

BrokerService builds the brokers pane's rows; the log-dir and config helpers
here are shared with ``kview.core.topics`` (topic sizes, topic configs).  All
results are frozen dataclasses; every response error becomes a
KafkaRequestError or a per-row error string, never a raw response.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from aiokafka.errors import IncompatibleBrokerVersion, KafkaError
from aiokafka.protocol.admin import DescribeConfigsRequest

from kview.core.cluster import off_loop, per_broker
from kview.core.errors import KafkaRequestError, KViewError, describe_exception
from kview.core.models import BrokerInfo, ClusterMetadata
from kview.core.protocol import bulk_requests as bulk
from kview.core.protocol.bulk_requests import LogDirsTuple, read_log_dirs
from kview.core.protocol.cluster_requests import (
    CONFIG_SOURCES,
    METADATA_TOPIC,
    RESOURCE_BROKER,
    DescribeLogDirsRequest,
    DescribeQuorumRequest,
)

_T = TypeVar("_T")

# -- log directories ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplicaLog:
    """One replica's log as a broker reports it in DescribeLogDirs."""

    topic: str
    partition: int
    broker: int
    log_dir: str
    size: int
    """Bytes of the replica's log segments on disk."""
    offset_lag: int
    is_future: bool
    """A log being moved to this dir by AlterReplicaLogDirs; not yet the replica's log."""


@dataclass(frozen=True)
class LogDirInfo:
    """One log directory of one broker."""

    broker: int
    path: str
    error: str | None
    """Kafka's error for the dir in words (e.g. an offline disk), else None."""
    total_bytes: int | None
    """Size of the dir's volume; None before DescribeLogDirs v4 or when unknown."""
    usable_bytes: int | None
    replicas: tuple[ReplicaLog, ...]
    """Every replica log in the dir; empty in a summary (``summary_counts``)."""
    summary_counts: tuple[int, int] | None = None
    """(replica logs, their bytes) when the dir was summarized without its
    replicas (the brokers pane: 20,000 ReplicaLogs per refresh otherwise)."""

    @property
    def size(self) -> int:
        """Bytes of all the replica logs in this dir (what kafka-log-dirs sums)."""
        if self.summary_counts is not None:
            return self.summary_counts[1]
        return sum(r.size for r in self.replicas)

    @property
    def replica_count(self) -> int:
        """How many replica logs the dir holds (future ones included)."""
        if self.summary_counts is not None:
            return self.summary_counts[0]
        return len(self.replicas)

    @property
    def used_fraction(self) -> float | None:
        """Share of the volume in use (by anything, not only Kafka), 0..1."""
        if not self.total_bytes or self.usable_bytes is None:
            return None
        return max(0.0, min(1.0, 1 - self.usable_bytes / self.total_bytes))


def _known(value: int | None) -> int | None:
    # Kafka answers -1 for "unknown" in total_bytes/usable_bytes.
    return value if value is not None and value >= 0 else None


def log_dirs_from_response(broker: int, response: Any) -> tuple[LogDirInfo, ...]:
    """kview's view of one broker's DescribeLogDirs response (any version).

    Walks the decoded tuples by field position instead of ``to_object()``:
    on 20,000 partitions the dict-building is most of the parsing time."""
    names = response.SCHEMA.names
    top = response.error_code if "error_code" in names else 0
    if top:
        raise KafkaRequestError(top, subject=f"log dirs of broker {broker}")
    fields = response.SCHEMA.fields[names.index("results")].array_of.names
    at_error, at_dir, at_topics = fields.index("error_code"), fields.index("log_dir"), fields.index("topics")
    at_total = fields.index("total_bytes") if "total_bytes" in fields else None
    at_usable = fields.index("usable_bytes") if "usable_bytes" in fields else None
    dirs = []
    for result in response.results:
        path = result[at_dir]
        # Partition fields are (index, size, offset lag, is future[, tags]) in every version.
        replicas = tuple(
            ReplicaLog(topic, partition[0], broker, path, partition[1], partition[2], bool(partition[3]))
            for topic, partitions, *_ in result[at_topics]
            for partition in partitions
        )
        code = result[at_error]
        dirs.append(
            LogDirInfo(
                broker=broker,
                path=path,
                error=str(KafkaRequestError(code)) if code else None,
                total_bytes=_known(result[at_total]) if at_total is not None else None,
                usable_bytes=_known(result[at_usable]) if at_usable is not None else None,
                replicas=replicas,
            )
        )
    return tuple(sorted(dirs, key=lambda d: d.path))


def log_dirs_from_tuples(broker: int, decoded: LogDirsTuple, *, with_replicas: bool = True) -> tuple[LogDirInfo, ...]:
    """kview's view of one broker's DescribeLogDirs answer as ``read_log_dirs``
    decodes it (equal to ``log_dirs_from_response``'s).  Without replicas,
    each dir keeps only their count and bytes (``summary_counts``)."""
    error, results = decoded
    if error:
        raise KafkaRequestError(error, subject=f"log dirs of broker {broker}")
    dirs = []
    for code, path, topics, total, usable in results:
        if with_replicas:
            replicas = tuple(
                ReplicaLog(topic, index, broker, path, size, lag, bool(future))
                for topic, partitions in topics
                for index, size, lag, future in partitions
            )
            summary = None
        else:
            replicas = ()
            summary = (
                sum(len(partitions) for _topic, partitions in topics),
                sum(size for _topic, partitions in topics for _index, size, _lag, _future in partitions),
            )
        dirs.append(
            LogDirInfo(
                broker=broker,
                path=path,
                error=str(KafkaRequestError(code)) if code else None,
                total_bytes=_known(total),
                usable_bytes=_known(usable),
                replicas=replicas,
                summary_counts=summary,
            )
        )
    return tuple(sorted(dirs, key=lambda d: d.path))


async def log_dirs_tuples(
    client,
    broker_ids: Iterable[int],
    convert: Callable[[int, LogDirsTuple], _T] | None = None,
) -> tuple[dict[int, Any], dict[int, str]]:
    """Every partition's log dirs, one DescribeLogDirs request per broker, all
    at once, decoded by the bulk reader (in the worker thread when big) and
    then, there too, given to ``convert(broker, decoded)`` if given.  Returns
    the answers by broker and, for brokers that did not answer (or answered
    an error), the reason in words."""
    ids = sorted(set(broker_ids))

    def decode(broker: int, body: bytes, version: int) -> Any:
        decoded = read_log_dirs(body, version)
        if decoded[0]:
            raise KafkaRequestError(decoded[0], subject=f"log dirs of broker {broker}")
        return decoded if convert is None else convert(broker, decoded)

    async def one(broker: int) -> Any:
        response = await client.send(broker, bulk.DescribeLogDirsRequest(None), f"log dirs of broker {broker}")
        return await off_loop(len(response.body), decode, broker, response.body, response.version)

    return await per_broker(ids, one)


async def describe_log_dirs(
    client,
    broker_ids: Iterable[int],
    topics: list[tuple[str, list[int]]] | None = None,
    *,
    with_replicas: bool = True,
) -> tuple[dict[int, tuple[LogDirInfo, ...]], dict[int, str]]:
    """One DescribeLogDirs request per broker, all at once.  Returns the dirs by
    broker and, for brokers that did not answer, the reason in words.

    Every partition's (``topics`` None) is decoded by the bulk reader off the
    event loop; ``with_replicas=False`` keeps only each dir's replica count
    and bytes (what the brokers pane shows)."""
    if topics is None:
        return await log_dirs_tuples(client, broker_ids, partial(log_dirs_from_tuples, with_replicas=with_replicas))
    ids = sorted(set(broker_ids))

    async def one(broker: int) -> tuple[LogDirInfo, ...]:
        response = await client.send(broker, DescribeLogDirsRequest(topics), f"log dirs of broker {broker}")
        return log_dirs_from_response(broker, response)

    return await per_broker(ids, one)


# -- configs --------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigEntry:
    """One config of a topic or broker, with where its value comes from."""

    name: str
    value: str | None
    """None for sensitive values (Kafka never sends them) and unset ones."""
    source: str
    """Kafka's ConfigSource name: DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ..."""
    read_only: bool = False
    sensitive: bool = False
    fallback: str | None = None
    """The value this config would have without its own setting: the next
    synonym's value (e.g. the broker default behind a topic override)."""
    fallback_source: str | None = None

    @property
    def is_default(self) -> bool:
        """True when nothing sets this config: Kafka's built-in default applies."""
        return self.source == "DEFAULT_CONFIG"

    @property
    def non_default(self) -> bool:
        """Set somewhere (topic override, broker dynamic or static config)."""
        return not self.is_default

    @property
    def dynamic(self) -> bool:
        """Set at runtime (kafka-configs / IncrementalAlterConfigs), so deletable."""
        return self.source.startswith("DYNAMIC_")


def configs_from_response(obj: dict[str, Any], subject: str) -> tuple[ConfigEntry, ...]:
    """ConfigEntry rows of the (single) resource of a DescribeConfigs v1+ response."""
    resources = obj["resources"]
    if not resources:
        return ()
    resource = resources[0]
    if resource["error_code"]:
        raise KafkaRequestError(resource["error_code"], resource.get("error_message"), subject=subject)
    entries = []
    for entry in resource["config_entries"]:
        source = CONFIG_SOURCES.get(entry["config_source"], "UNKNOWN")
        fallback = fallback_source = None
        for synonym in entry.get("config_synonyms") or ():
            synonym_source = CONFIG_SOURCES.get(synonym["config_source"], "UNKNOWN")
            if synonym_source != source:
                fallback, fallback_source = synonym["config_value"], synonym_source
                break
        entries.append(
            ConfigEntry(
                name=entry["config_names"],
                value=entry["config_value"],
                source=source,
                read_only=bool(entry["read_only"]),
                sensitive=bool(entry["is_sensitive"]),
                fallback=fallback,
                fallback_source=fallback_source,
            )
        )
    entries.sort(key=lambda e: e.name)
    return tuple(entries)


async def describe_configs(
    client, resource_type: int, name: str, node_id: int | None = None
) -> tuple[ConfigEntry, ...]:
    """Every config of one resource, with synonyms (so a topic override shows
    the default it hides).  Broker resources go to that broker: only it knows
    its static config."""
    request = DescribeConfigsRequest([(resource_type, name, None)], include_synonyms=True)
    subject = f"broker {name}" if resource_type == RESOURCE_BROKER else name
    what = f"configs of {subject}"
    response = await (client.send(node_id, request, what) if node_id is not None else client.send_any(request, what))
    return configs_from_response(response.to_object(), subject)


# -- quorum ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumReplica:
    """One voter or observer of the metadata log, as the quorum leader sees it."""

    node_id: int
    status: str
    """'Leader', 'Follower' (other voters) or 'Observer', as kafka-metadata-quorum says."""
    log_end_offset: int
    """-1 when the leader does not know it yet."""
    lag: int | None
    """Leader's log end offset minus this replica's; None when unknown."""
    directory_id: str | None = None
    last_fetch_timestamp: int | None = None
    """Milliseconds since the epoch; None when unknown (v0 responses, or -1)."""
    last_caught_up_timestamp: int | None = None


@dataclass(frozen=True)
class QuorumInfo:
    """The KRaft metadata quorum (``__cluster_metadata``)."""

    leader_id: int
    leader_epoch: int
    high_watermark: int
    voters: tuple[QuorumReplica, ...]
    observers: tuple[QuorumReplica, ...]
    endpoints: dict[int, tuple[str, ...]]
    """Voter id -> its controller listeners as ``NAME://host:port`` (v2+)."""

    @property
    def replicas(self) -> tuple[QuorumReplica, ...]:
        return self.voters + self.observers

    @property
    def max_follower_lag(self) -> int:
        return max((r.lag or 0 for r in self.replicas if r.node_id != self.leader_id), default=0)


def _timestamp(value: int | None) -> int | None:
    return value if value is not None and value >= 0 else None


def quorum_from_response(obj: dict[str, Any]) -> QuorumInfo:
    """kview's view of a DescribeQuorum response (``to_object()``), any version."""
    if obj["error_code"]:
        raise KafkaRequestError(obj["error_code"], obj.get("error_message") or None, subject="metadata quorum")
    partition = None
    for topic in obj["topics"]:
        if topic["topic_name"] == METADATA_TOPIC:
            partition = next((p for p in topic["partitions"] if p["partition_index"] == 0), None)
    if partition is None:
        raise KViewError("metadata quorum: the response did not describe __cluster_metadata-0")
    if partition["error_code"]:
        raise KafkaRequestError(
            partition["error_code"], partition.get("error_message") or None, subject="metadata quorum"
        )
    leader_id = partition["leader_id"]
    states = partition["current_voters"] + partition["observers"]
    leader_leo = next((s["log_end_offset"] for s in states if s["replica_id"] == leader_id), None)

    def replica(state: dict[str, Any], voter: bool) -> QuorumReplica:
        node = state["replica_id"]
        leo = state["log_end_offset"]
        lag = None if leader_leo is None or leo < 0 else max(0, leader_leo - leo)
        return QuorumReplica(
            node_id=node,
            status="Leader" if node == leader_id else ("Follower" if voter else "Observer"),
            log_end_offset=leo,
            lag=lag,
            directory_id=state.get("replica_directory_id"),
            last_fetch_timestamp=_timestamp(state.get("last_fetch_timestamp")),
            last_caught_up_timestamp=_timestamp(state.get("last_caught_up_timestamp")),
        )

    voters = tuple(sorted((replica(s, True) for s in partition["current_voters"]), key=lambda r: r.node_id))
    observers = tuple(sorted((replica(s, False) for s in partition["observers"]), key=lambda r: r.node_id))
    endpoints = {
        node["node_id"]: tuple(f"{lst['name']}://{lst['host']}:{lst['port']}" for lst in node["listeners"])
        for node in obj.get("nodes") or ()
    }
    return QuorumInfo(
        leader_id=leader_id,
        leader_epoch=partition["leader_epoch"],
        high_watermark=partition["high_watermark"],
        voters=voters,
        observers=observers,
        endpoints=endpoints,
    )


# -- the brokers pane ---------------------------------------------------------------


@dataclass(frozen=True)
class BrokerSummary:
    """One row of the brokers pane."""

    node_id: int
    host: str
    port: int
    rack: str | None
    is_controller: bool
    """The active controller: the metadata quorum's leader (KRaft metadata
    responses name a random live broker as 'controller', so that is not used
    when the quorum is known)."""
    online: bool
    """False for a broker that holds replicas or a quorum seat but is missing
    from the metadata (stopped or fenced)."""
    leaders: int
    replicas: int
    log_dirs: tuple[LogDirInfo, ...] = ()
    log_dirs_error: str | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}" if self.host else "?"

    @property
    def log_dir_size(self) -> int | None:
        """Bytes of Kafka logs in all of this broker's dirs (None if unknown)."""
        if not self.log_dirs:
            return None
        return sum(d.size for d in self.log_dirs)

    @property
    def total_bytes(self) -> int | None:
        values = [d.total_bytes for d in self.log_dirs]
        return sum(values) if values and None not in values else None  # type: ignore[arg-type]

    @property
    def usable_bytes(self) -> int | None:
        values = [d.usable_bytes for d in self.log_dirs]
        return sum(values) if values and None not in values else None  # type: ignore[arg-type]

    @property
    def used_fraction(self) -> float | None:
        total, usable = self.total_bytes, self.usable_bytes
        if not total or usable is None:
            return None
        return max(0.0, min(1.0, 1 - usable / total))

    @property
    def offline_log_dirs(self) -> int:
        return sum(1 for d in self.log_dirs if d.error)


@dataclass(frozen=True)
class BrokersSnapshot:
    brokers: tuple[BrokerSummary, ...]
    controller_id: int | None
    cluster_id: str | None
    quorum: QuorumInfo | None
    quorum_error: str | None
    """Why the quorum is missing (e.g. a ZooKeeper-mode cluster), else None."""
    taken_at: float

    def broker(self, node_id: int) -> BrokerSummary | None:
        return next((b for b in self.brokers if b.node_id == node_id), None)


def summarize_brokers(
    metadata: ClusterMetadata,
    log_dirs: dict[int, tuple[LogDirInfo, ...]],
    log_dir_errors: dict[int, str],
    quorum: QuorumInfo | None,
) -> tuple[BrokerSummary, ...]:
    """Rows of the brokers pane from metadata, log dirs and the quorum (pure)."""
    # Counted once per metadata (in the backend's worker thread when big).
    leaders, replicas = metadata.broker_counts
    controller = quorum.leader_id if quorum is not None and quorum.leader_id >= 0 else metadata.controller_id
    known: dict[int, BrokerInfo] = {b.node_id: b for b in metadata.brokers}
    absent = set(replicas) | ({v.node_id for v in quorum.voters} if quorum else set())
    rows = []
    for node_id in sorted(set(known) | absent):
        info = known.get(node_id)
        host, port = (info.host, info.port) if info else ("", 0)
        rows.append(
            BrokerSummary(
                node_id=node_id,
                host=host,
                port=port,
                rack=info.rack if info else None,
                is_controller=node_id == controller,
                online=info is not None,
                leaders=leaders.get(node_id, 0),
                replicas=replicas.get(node_id, 0),
                log_dirs=log_dirs.get(node_id, ()),
                log_dirs_error=log_dir_errors.get(node_id),
            )
        )
    return tuple(rows)


class BrokerService:
    """The brokers pane's data: ``await brokers()`` each refresh,
    ``await broker_configs(id)`` for one broker's configs."""

    def __init__(self, client) -> None:
        self.client = client

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    async def quorum(self) -> QuorumInfo:
        """DescribeQuorum, sent to any broker: in KRaft brokers forward it to
        the active controller, so no controller listener is needed."""
        response = await self.client.send_any(DescribeQuorumRequest(), "describe quorum")
        return quorum_from_response(response.to_object())

    async def brokers(self, *, with_replicas: bool = True) -> BrokersSnapshot:
        """Every broker with leader/replica counts, log dirs, and the quorum.
        ``with_replicas=False``: each log dir keeps only its replicas' count
        and bytes, not one ReplicaLog per replica (the pane needs no more)."""
        metadata = await self.client.metadata()
        (dirs, dir_errors), quorum_result = await asyncio.gather(
            describe_log_dirs(self.client, (b.node_id for b in metadata.brokers), with_replicas=with_replicas),
            self._quorum_or_reason(),
        )
        quorum, quorum_error = quorum_result
        return BrokersSnapshot(
            brokers=summarize_brokers(metadata, dirs, dir_errors, quorum),
            controller_id=quorum.leader_id if quorum is not None else metadata.controller_id,
            cluster_id=metadata.cluster_id,
            quorum=quorum,
            quorum_error=quorum_error,
            taken_at=time.time(),
        )

    async def _quorum_or_reason(self) -> tuple[QuorumInfo | None, str | None]:
        try:
            return await self.quorum(), None
        except IncompatibleBrokerVersion:
            return None, "the cluster does not support DescribeQuorum (not KRaft, or older than Kafka 3.3)"
        except (KViewError, KafkaError) as exc:
            # The brokers table is still worth showing without the quorum.
            return None, describe_exception(exc)

    async def broker_configs(self, node_id: int) -> tuple[ConfigEntry, ...]:
        """All configs of one broker; ``non_default`` marks those set anywhere."""
        return await describe_configs(self.client, RESOURCE_BROKER, str(node_id), node_id=node_id)
