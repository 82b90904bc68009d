"""The app on a recorded cluster: a stand-in ClusterClient and services that
answer with what kview's real services returned when ``record_states.py``
ran, so the snapshot tests need no Kafka and draw the same screen every time.

Reads answer from the recording; a read that was not recorded raises
``NotRecorded`` (a KViewError: the pane shows it, the snapshot shows it).
The schema registry is replayed the same way (``ReplayRegistry``: the
RegistryClient's reads, from what the real client returned).
Writes are noted in ``ReplayClient.writes`` and refused: nothing is sent
anywhere.  The panes get these through the app's one seam,
``make_app(..., services_factory=ReplayServices)``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, NoReturn

from aiokafka import TopicPartition

from kview.app import KViewApp, make_app
from kview.core.brokers import BrokerService, BrokersSnapshot, ConfigEntry, QuorumInfo
from kview.core.config import ClusterProfile, Config, RegistrySettings
from kview.core.errors import KafkaRequestError, KViewError
from kview.core.groups import GroupDetail, GroupService, GroupsSnapshot, ResetRow, ResetSpec
from kview.core.models import ClusterMetadata, ClusterSnapshot, PartitionInfo, Watermarks
from kview.core.produce import ProduceService
from kview.core.ring import record_size
from kview.core.schemas.client import RegistryStatus
from kview.core.schemas.errors import RegistryError
from kview.core.schemas.models import Schema, SubjectSummary, SubjectVersion
from kview.core.services import ClusterServices
from kview.core.tail import RUNNING, TOPIC_MISSING, StartPosition, Tail, TailBatch, TailStats
from kview.core.topics import TopicDetail, TopicService, TopicsSnapshot

UNKNOWN_TOPIC_OR_PARTITION = 3


class NotRecorded(KViewError):
    """The recording has no answer for this call."""


class ReplayRefused(KViewError):
    """A write on the recorded cluster: noted, never sent."""


# -- the client -------------------------------------------------------------------------


class ReplayClient:
    """Stands in for ClusterClient: metadata and watermarks of the recorded
    snapshot; the protocol primitives are not recorded."""

    def __init__(
        self, profile: ClusterProfile, recording: Mapping[str, Any], gate: asyncio.Event | None = None
    ) -> None:
        self.profile = profile
        self.recording = recording
        self.gate = gate
        """If given, snapshots wait until it is set: a cluster slow to connect."""
        self.writes: list[tuple[str, tuple[Any, ...]]] = []
        """(action, arguments) of every write asked for, in order."""

    @property
    def read_only(self) -> bool:
        return self.profile.read_only

    @property
    def connected(self) -> bool:
        return True

    @property
    def recorded_snapshot(self) -> ClusterSnapshot:
        return self.recording["cluster"]["snapshot"]

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def snapshot(self) -> ClusterSnapshot:
        if self.gate is not None:
            await self.gate.wait()
        return self.recorded_snapshot

    async def metadata(self, topics: list[str] | None = None) -> ClusterMetadata:
        meta = self.recorded_snapshot.metadata
        if topics is None:
            return meta
        return replace(meta, topics=tuple(t for t in meta.topics if t.name in topics))

    async def watermarks(self, partitions: Iterable[PartitionInfo]) -> dict[tuple[str, int], Watermarks]:
        marks = self.recorded_snapshot.watermarks
        return {
            (p.topic, p.partition): marks[(p.topic, p.partition)] for p in partitions if (p.topic, p.partition) in marks
        }

    def refuse(self, action: str, *args: Any) -> NoReturn:
        """Note a write and refuse it."""
        self.writes.append((action, args))
        raise ReplayRefused(f"{action}: this is a recorded cluster, nothing is written")

    async def _not_recorded(self, *args: Any, **kwargs: Any) -> Any:
        raise NotRecorded("this request is not in the recording")

    send = send_any = send_controller = find_coordinator = list_offsets = active_controller = _not_recorded


def _recorded(table: Mapping[str, Any], key: str, what: str) -> Any:
    try:
        return table[key]
    except KeyError:
        raise NotRecorded(f"{what} '{key}' is not in the recording") from None


# -- the services -----------------------------------------------------------------------


class ReplayTopicService(TopicService):
    client: ReplayClient

    @property
    def _part(self) -> Mapping[str, Any]:
        return self.client.recording["topics"]

    async def topics(self, *, include_internal: bool = True) -> TopicsSnapshot:
        snapshot: TopicsSnapshot = self._part["topics"]
        if include_internal:
            return snapshot
        return replace(snapshot, topics=tuple(t for t in snapshot.topics if not t.internal))

    async def topic_detail(self, name: str) -> TopicDetail:
        if name not in self._part["details"]:
            raise KafkaRequestError(UNKNOWN_TOPIC_OR_PARTITION, subject=name)
        return self._part["details"][name]

    async def topic_configs(self, name: str) -> tuple[ConfigEntry, ...]:
        return _recorded(self._part["configs"], name, "configs of topic")

    async def create_topic(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.client.refuse("create topic", name, *args)

    async def delete_topic(self, name: str) -> None:
        self.client.refuse("delete topic", name)

    async def add_partitions(self, name: str, total: int | str) -> int:
        self.client.refuse("add partitions", name, total)

    async def alter_configs(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.client.refuse("alter topic configs", name, *args)

    async def delete_records(self, name: str, offsets: Mapping[int, int]) -> dict[int, int]:
        self.client.refuse("delete records", name, dict(offsets))

    async def truncate_topic(self, name: str, partitions: Iterable[int] | None = None) -> dict[int, int]:
        self.client.refuse("truncate topic", name)


class ReplayGroupService(GroupService):
    client: ReplayClient

    @property
    def _part(self) -> Mapping[str, Any]:
        return self.client.recording["groups"]

    async def refresh(self, groups: Iterable[str] | None = None, *, with_partitions: bool = False) -> GroupsSnapshot:
        snapshot: GroupsSnapshot = self._part["with_partitions" if with_partitions else "groups"]
        if groups is None:
            return snapshot
        wanted = set(groups)
        return replace(snapshot, groups=tuple(g for g in snapshot.groups if g.name in wanted))

    async def describe_group(self, name: str, *, exact: bool = True) -> GroupDetail:
        return _recorded(self._part["details"], name, "consumer group")

    async def preview_reset(self, group: str, spec: ResetSpec) -> list[ResetRow]:
        for preview in self._part["reset_previews"].get(group, ()):
            if preview["spec"] == spec:
                return list(preview["rows"])
        raise NotRecorded(f"no preview of resetting '{group}' to {spec.kind} is in the recording")

    async def apply_reset(self, group: str, spec: ResetSpec) -> list[ResetRow]:
        self.client.refuse("reset offsets", group, spec)

    async def commit_offsets(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        self.client.refuse("commit offsets", group, dict(offsets))

    async def delete_group(self, name: str) -> None:
        self.client.refuse("delete group", name)

    async def delete_offsets(self, group: str, topic: str) -> list[int]:
        self.client.refuse("delete group offsets", group, topic)

    async def supports(self, kind: str) -> bool:
        # The recordings are made on the default Kafka (4.x), which has every group type.
        return True

    async def apply_share_reset(self, group: str, spec: ResetSpec) -> list[ResetRow]:
        self.client.refuse("reset share-group offsets", group, spec)


class ReplayBrokerService(BrokerService):
    client: ReplayClient

    @property
    def _part(self) -> Mapping[str, Any]:
        return self.client.recording["brokers"]

    async def brokers(self, *, with_replicas: bool = True) -> BrokersSnapshot:
        return self._part["brokers"]

    async def quorum(self) -> QuorumInfo:
        quorum = self._part["brokers"].quorum
        if quorum is None:
            raise NotRecorded("the quorum is not in the recording")
        return quorum

    async def broker_configs(self, node_id: int) -> tuple[ConfigEntry, ...]:
        return _recorded(self._part["configs"], str(node_id), "configs of broker")


class ReplayProduceService(ProduceService):
    """The recorded send history; every send is refused."""

    client: ReplayClient

    def __init__(self, client: ReplayClient, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)  # type: ignore[arg-type]
        for entry in reversed(client.recording["producer"]["history"]):  # recorded newest first
            self.history.record(entry.message, entry.result, entry.sent_at)

    async def send(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        self.client.refuse("produce", message)

    async def start_load(self, spec: Any, *args: Any, **kwargs: Any) -> Any:
        self.client.refuse("produce", spec)

    async def run_load(self, spec: Any, *args: Any, **kwargs: Any) -> Any:
        self.client.refuse("produce", spec)

    async def start_import(self, path: Any, topic: str, *args: Any, **kwargs: Any) -> Any:
        self.client.refuse("produce", path, topic)

    async def import_file(self, path: Any, topic: str, *args: Any, **kwargs: Any) -> Any:
        self.client.refuse("produce", path, topic)


class ReplayTail(Tail):
    """A tail whose records are the recorded ones: ``start()`` puts those
    matching the partitions and the start position in the ring as one batch
    (no consumer, no task); the rates are the recorded ones."""

    def __init__(self, profile: ClusterProfile, topic: str, recorded: Mapping[str, Any] | None, **kwargs: Any) -> None:
        super().__init__(profile, topic, **kwargs)
        self.recorded = recorded

    def _chosen(self, start: StartPosition) -> list[Any]:
        assert self.recorded is not None
        records = [
            r
            for r in self.recorded["records"]
            if self.wanted_partitions is None or r.partition in self.wanted_partitions
        ]
        if start.mode == "latest":
            return []
        if start.mode == "last":
            # The last ``count`` of every partition, in the order they were read.
            keep: set[tuple[int, int]] = set()
            by_partition: dict[int, list[Any]] = {}
            for r in records:
                by_partition.setdefault(r.partition, []).append(r)
            for rows in by_partition.values():
                keep.update((r.partition, r.offset) for r in rows[-(start.count or 0) :] if start.count)
            return [r for r in records if (r.partition, r.offset) in keep]
        if start.mode == "offset":
            wanted = dict(start.offsets)
            return [r for r in records if r.offset >= wanted.get(r.partition, start.offset or 0)]
        if start.mode == "time":
            return [r for r in records if r.timestamp >= (start.timestamp_ms or 0)]
        return records

    async def _fill(self, start: StartPosition) -> dict[int, int]:
        if self.recorded is None:
            await self._set_status(TOPIC_MISSING, f"topic '{self.topic}' is not in the recording")
            return {}
        records = self._chosen(start)
        partitions = sorted(
            {
                r.partition
                for r in self.recorded["records"]
                if self.wanted_partitions is None or r.partition in self.wanted_partitions
            }
        )
        self._assigned = tuple(TopicPartition(self.topic, p) for p in partitions)
        starts = {p: min((r.offset for r in records if r.partition == p), default=0) for p in partitions}
        self.start_offsets = dict(starts)
        self.positions = dict(starts)
        first = self.ring.extend(records)
        for r in records:
            self.positions[r.partition] = r.offset + 1
        nbytes = sum(map(record_size, records))
        self.bytes_total += nbytes
        matched = self.view.update() if self.view.active else len(records)
        await self._set_status(RUNNING, self._running_message())
        if self.on_batch is not None:
            await self._call_hook(self.on_batch, TailBatch(first, len(records), nbytes, matched))
        return starts

    async def start(self) -> None:
        await self._fill(self.start_position)

    async def reseek(self, start: StartPosition, *, clear: bool = True) -> dict[int, int]:
        self.start_position = start
        if clear:
            self._clear()
        return await self._fill(start)

    def stats(self) -> TailStats:
        stats = super().stats()
        if self.recorded is None:
            return stats
        return replace(stats, msgs_per_s=self.recorded["msgs_per_s"], bytes_per_s=self.recorded["bytes_per_s"])


class ReplayRegistry:
    """Stands in for the RegistryClient: the reads kview's panes make,
    answered from the recorded registry (what the real client returned);
    every write is noted and refused, a compatibility check is not recorded."""

    def __init__(self, client: ReplayClient, part: Mapping[str, Any]) -> None:
        self.client = client
        self.part = part
        self.settings = RegistrySettings(urls=(part["url"],))
        self.url = part["url"]
        self.status = RegistryStatus("ok")
        self.requests = 0

    async def close(self) -> None:
        pass

    def _versions(self, subject: str) -> list[SubjectVersion]:
        try:
            return self.part["versions"][subject]
        except KeyError:
            raise RegistryError(
                f"schema registry: subject '{subject}' not found (HTTP 404, error 40401)", status=404, code=40401
            ) from None

    async def subjects(self, *, deleted: bool = False) -> list[str]:
        return [s.subject for s in self.part["summaries"]]

    async def versions(self, subject: str) -> list[int]:
        return [v.version for v in self._versions(subject)]

    async def version(self, subject: str, version: int | str = "latest") -> SubjectVersion:
        found = self._versions(subject)
        if version == "latest":
            return found[-1]
        for v in found:
            if v.version == int(version):
                return v
        raise RegistryError(
            f"schema registry: version {version} not found (HTTP 404, error 40402)", status=404, code=40402
        )

    def cached_schema(self, schema_id: int) -> Schema | None:
        for versions in self.part["versions"].values():
            for v in versions:
                if v.id == schema_id:
                    return v.schema
        return None

    async def schema_by_id(self, schema_id: int) -> Schema:
        schema = self.cached_schema(schema_id)
        if schema is None:
            raise NotRecorded(f"schema id {schema_id} is not in the recording")
        return schema

    async def subject_versions_of(self, schema_id: int) -> list[tuple[str, int]]:
        return sorted((v.subject, v.version) for vs in self.part["versions"].values() for v in vs if v.id == schema_id)

    async def compatibility(self, subject: str | None = None) -> str | None:
        if subject is None:
            return self.part["global_compatibility"]
        return self.part["compatibility"].get(subject, self.part["global_compatibility"])

    async def summaries(self, pattern: str | None = None) -> list[SubjectSummary]:
        return [s for s in self.part["summaries"] if not pattern or pattern in s.subject]

    async def resolve_references(self, schema: Schema) -> dict[str, Schema]:
        out: dict[str, Schema] = {}
        for ref in schema.references:
            target = (await self.version(ref.subject, ref.version)).schema
            out[ref.name] = target
            out.update(await self.resolve_references(target))
        return out

    async def check_compatibility(self, subject: str, schema: Schema, version: Any = "latest") -> Any:
        raise NotRecorded("a compatibility check is not in the recording")

    async def register(self, subject: str, schema: Schema) -> int:
        self.client.refuse("register schema", subject, schema)

    async def set_compatibility(self, subject: str | None, level: str) -> None:
        self.client.refuse("set compatibility", subject, level)

    async def delete_version(self, subject: str, version: int, *, permanent: bool = False) -> int:
        self.client.refuse("delete schema version", subject, version)

    async def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        self.client.refuse("delete subject", subject)


class ReplayServices(ClusterServices):
    """The services of a recorded cluster (see the module docstring)."""

    client: ReplayClient

    @property
    def topics(self) -> TopicService:
        if self._topics is None:
            self._topics = ReplayTopicService(self.client)
        return self._topics

    @property
    def brokers(self) -> BrokerService:
        if self._brokers is None:
            self._brokers = ReplayBrokerService(self.client)
        return self._brokers

    @property
    def registry(self) -> Any:
        """The recorded registry, when the profile names one (as the real services)."""
        part = self.client.recording.get("registry")
        if self.client.profile.schema_registry is None or not part:
            return None
        if self._registry is None:
            self._registry = ReplayRegistry(self.client, part)  # type: ignore[assignment]
        return self._registry

    def new_groups(self) -> GroupService:
        return ReplayGroupService(self.client)  # type: ignore[arg-type]

    def new_producer(self) -> ProduceService:
        return ReplayProduceService(self.client)

    def tail(self, topic: str, **kwargs: Any) -> Tail:
        return ReplayTail(self.client.profile, topic, self.client.recording["tail"].get(topic), **kwargs)


# -- the app ----------------------------------------------------------------------------


def replay_profile(recording: Mapping[str, Any], *, read_only: bool = False) -> ClusterProfile:
    # A long refresh interval: every refresh would draw the same recording.
    registry = recording.get("registry")
    return ClusterProfile(
        name="demo",
        bootstrap=tuple(recording["cluster"]["bootstrap"].split(",")),
        read_only=read_only,
        refresh_interval=3600.0,
        schema_registry=RegistrySettings(urls=(registry["url"],)) if registry else None,
    )


def replay_app(
    recording: Mapping[str, Any],
    *,
    theme: str = "kview-dark",
    read_only: bool = False,
    gate: asyncio.Event | None = None,
    **kwargs: Any,
) -> KViewApp:
    """The real app on the recorded cluster (connected once ``gate`` is set, if given)."""
    profile = replay_profile(recording, read_only=read_only)
    config = Config(clusters={profile.name: profile}, default_cluster=profile.name, theme=theme)
    return make_app(
        config,
        profile,
        backend_factory=lambda p: ReplayClient(p, recording, gate),
        services_factory=ReplayServices,
        **kwargs,
    )
