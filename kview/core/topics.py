"""Topics and partitions: the topics table, one topic's detail, and the topic
operations (create, delete, add partitions, alter configs, delete records).

A refresh is batched so it stays fast on thousands of topics: one Metadata
request, one pair of ListOffsets requests per leader broker, one
DescribeLogDirs request per broker, all concurrent.  Big answers are decoded,
and the table's rows computed, in a worker thread (``off_loop``), so the UI's
event loop keeps handling keys during a refresh of 20,000 partitions.  Rates
come from the high watermarks of the previous refresh (the service keeps one
sample per partition).  Form validation and the config diff are pure
functions, so the UI can check input before anything is sent.

Sizes: ``size`` is the leader replica's bytes on disk (the topic's data once,
comparable to its message count); ``replicated_size`` sums every replica, as
``kafka-log-dirs`` reports them per broker (the disk the topic really takes).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka.protocol.admin import (
    CreatePartitionsRequest,
    CreateTopicsRequest,
    DeleteRecordsRequest,
    DeleteTopicsRequest,
)

from kview.core.brokers import ConfigEntry, LogDirInfo, describe_configs, describe_log_dirs, log_dirs_tuples
from kview.core.cluster import off_loop
from kview.core.errors import KafkaRequestError, KViewError
from kview.core.models import ClusterMetadata, PartitionInfo, TopicInfo, Watermarks
from kview.core.protocol.bulk_requests import LogDirsTuple
from kview.core.protocol.cluster_requests import (
    OP_DELETE,
    OP_SET,
    RESOURCE_TOPIC,
    IncrementalAlterConfigsRequest,
)
from kview.core.readonly import write_action

MAX_TOPIC_NAME = 249
_LEGAL_NAME = re.compile(r"[a-zA-Z0-9._-]+")
_CONFIG_NAME = re.compile(r"[a-zA-Z0-9._-]+")
HIGH_WATERMARK = -1
"""DeleteRecords offset meaning "the partition's high watermark" (truncate all)."""

OPERATION_TIMEOUT_MS = 30_000
"""How long the controller may take to create/delete topics or partitions."""


# -- validation (pure) ----------------------------------------------------------------


class TopicFormError(KViewError):
    """Input for a topic operation was refused before anything was sent.
    ``problems`` maps each bad field to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in self.problems.items()))


@dataclass(frozen=True)
class NewTopic:
    """A validated create-topic request."""

    name: str
    partitions: int
    replication_factor: int
    configs: tuple[tuple[str, str], ...] = ()


def topic_name_problem(name: object, existing: Iterable[str] = ()) -> str | None:
    """Why ``name`` cannot be a new topic's name (Kafka's rules), or None.

    Kafka allows [a-zA-Z0-9._-], at most 249 characters, not "." or "..".  It
    also refuses a name equal to an existing topic's, or equal to one once
    '.' and '_' are treated alike (they collide in metric names)."""
    if not isinstance(name, str) or not name:
        return "a name is required"
    if name in (".", ".."):
        return f"'{name}' is not allowed as a topic name"
    if len(name) > MAX_TOPIC_NAME:
        return f"at most {MAX_TOPIC_NAME} characters (this one has {len(name)})"
    if not _LEGAL_NAME.fullmatch(name):
        bad = sorted({c for c in name if not _LEGAL_NAME.fullmatch(c)})
        shown = " ".join(repr(c) for c in bad)
        return f"only letters, digits, '.', '_' and '-' are allowed (not {shown})"
    existing = set(existing)
    if name in existing:
        return f"topic '{name}' already exists"
    folded = name.replace(".", "_")
    for other in existing:
        if other.replace(".", "_") == folded:
            return f"collides with existing topic '{other}' ('.' and '_' are the same in metric names)"
    return None


def _whole_number(value: object) -> int | None:
    """An int, or a string of one as typed in a form; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        return int(value.strip())
    return None


def config_problems(configs: Mapping[Any, object] | None) -> dict[str, str]:
    """Problems with config overrides: names must be config-like, values strings."""
    problems: dict[str, str] = {}
    for key, value in (configs or {}).items():
        if not isinstance(key, str) or not _CONFIG_NAME.fullmatch(key):
            problems[f"config {key!r}"] = "not a config name"
        elif not isinstance(value, str):
            problems[f"config {key}"] = f"value must be a string, not {type(value).__name__}"
        elif value != value.strip() or not value:
            problems[f"config {key}"] = "value is empty or has surrounding spaces"
    return problems


def new_topic_problems(
    name: object,
    partitions: object,
    replication_factor: object,
    configs: Mapping[Any, object] | None = None,
    *,
    broker_count: int,
    existing: Iterable[str] = (),
) -> dict[str, str]:
    """Every problem with a create-topic form, by field ('name', 'partitions',
    'replication_factor', 'config <name>'); empty when the form is valid.
    Numbers may be ints or digit strings (as typed in a form)."""
    problems: dict[str, str] = {}
    name_problem = topic_name_problem(name, existing)
    if name_problem:
        problems["name"] = name_problem
    count = _whole_number(partitions)
    if count is None:
        problems["partitions"] = "must be a whole number"
    elif count < 1:
        problems["partitions"] = "at least 1 partition"
    rf = _whole_number(replication_factor)
    if rf is None:
        problems["replication_factor"] = "must be a whole number"
    elif rf < 1:
        problems["replication_factor"] = "at least 1"
    elif rf > broker_count:
        problems["replication_factor"] = f"{rf} replicas need {rf} brokers; the cluster has {broker_count}"
    elif rf > 32767:
        problems["replication_factor"] = "at most 32767"
    problems.update(config_problems(configs))
    return problems


def validate_new_topic(
    name: object,
    partitions: object,
    replication_factor: object,
    configs: Mapping[Any, object] | None = None,
    *,
    broker_count: int,
    existing: Iterable[str] = (),
) -> NewTopic:
    """The form as a NewTopic, or TopicFormError listing every problem."""
    problems = new_topic_problems(
        name, partitions, replication_factor, configs, broker_count=broker_count, existing=existing
    )
    if problems:
        raise TopicFormError(problems)
    return NewTopic(
        name=str(name),
        partitions=_whole_number(partitions),  # type: ignore[arg-type]
        replication_factor=_whole_number(replication_factor),  # type: ignore[arg-type]
        configs=tuple(sorted((str(k), str(v)) for k, v in (configs or {}).items())),
    )


def partition_increase_problem(current: int, requested: object) -> str | None:
    """Why ``requested`` is not a valid new partition count (Kafka can only add)."""
    count = _whole_number(requested)
    if count is None:
        return "must be a whole number"
    if count <= current:
        return (
            f"partitions can only be increased: the topic has {current}, so the new count must be more than {current}"
        )
    return None


def delete_records_problems(offsets: Mapping[int, int], watermarks: Mapping[int, Watermarks]) -> dict[str, str]:
    """Problems with 'delete records before offset' per partition: the
    partition must exist and the offset lie within [low, high] (or be -1,
    meaning the high watermark)."""
    problems: dict[str, str] = {}
    for partition, offset in sorted(offsets.items()):
        key = f"partition {partition}"
        mark = watermarks.get(partition)
        if mark is None:
            problems[key] = "no such partition (or its leader is offline)"
        elif isinstance(offset, bool) or not isinstance(offset, int):
            problems[key] = "offset must be a whole number"
        elif offset == HIGH_WATERMARK:
            continue
        elif offset < 0:
            problems[key] = "offset must be 0 or more (or -1 for the high watermark)"
        elif offset > mark.high:
            problems[key] = f"offset {offset} is past the high watermark {mark.high}"
    return problems


# -- configs diff (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class ConfigChange:
    """One line of the 'before -> after' shown before configs are altered."""

    name: str
    op: str
    """'set' or 'delete' (delete reverts to the value behind it)."""
    old: str | None
    new: str | None
    old_source: str | None = None
    """Where the current value comes from (None for a config unknown to the broker)."""

    def __str__(self) -> str:
        old = "(unset)" if self.old is None else self.old
        new = "(default)" if self.new is None else self.new
        suffix = " (reverts to default)" if self.op == "delete" else ""
        return f"{self.name}: {old} -> {new}{suffix}"


def config_diff(current: Iterable[ConfigEntry], desired: Mapping[str, str | None]) -> tuple[ConfigChange, ...]:
    """The changes that applying ``desired`` would make, sorted by name.

    ``desired`` maps a config name to its new value, or to None to delete the
    topic's own setting (reverting to the broker or built-in default).  Values
    equal to the current one, and deletes of configs the topic does not set,
    are left out: they would change nothing."""
    by_name = {entry.name: entry for entry in current}
    changes = []
    for name in sorted(desired):
        value = desired[name]
        entry = by_name.get(name)
        if value is None:
            if entry is None or not entry.dynamic:
                continue
            changes.append(ConfigChange(name, "delete", entry.value, entry.fallback, entry.source))
        else:
            if entry is not None and entry.value == value and entry.dynamic:
                continue
            changes.append(
                ConfigChange(name, "set", entry.value if entry else None, value, entry.source if entry else None)
            )
    return tuple(changes)


# -- rates (pure) ---------------------------------------------------------------------


def message_rate(previous: tuple[float, int] | None, now: float, high: int) -> float | None:
    """Messages per second between two high-watermark samples ``(time, high)``.
    None without a usable earlier sample, or when the watermark went back (the
    topic was recreated), since no rate is known then."""
    if previous is None:
        return None
    then, previous_high = previous
    elapsed = now - then
    if elapsed <= 0 or high < previous_high:
        return None
    return (high - previous_high) / elapsed


def partition_rates(
    previous: Mapping[tuple[str, int], tuple[float, int]],
    now: float,
    watermarks: Mapping[tuple[str, int], Watermarks],
) -> dict[tuple[str, int], float]:
    """Rate per partition that has both a previous sample and a watermark now."""
    rates: dict[tuple[str, int], float] = {}
    for key, mark in watermarks.items():
        rate = message_rate(previous.get(key), now, mark.high)
        if rate is not None:
            rates[key] = rate
    return rates


# -- the topics table -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicSummary:
    """One row of the topics table."""

    name: str
    partitions: int
    replication_factor: int
    messages: int | None
    """Sum over partitions of high minus low watermark (an upper bound on
    compacted topics and with transaction markers); None in an outline
    (watermarks not fetched yet)."""
    size: int | None
    """Leader replicas' bytes on disk; None when no broker reported any."""
    replicated_size: int | None
    """Every replica's bytes on disk (as kafka-log-dirs reports them)."""
    rate: float | None
    """Messages/s produced since the previous refresh; None on the first."""
    under_replicated: int
    offline: int
    internal: bool
    error: str | None = None


@dataclass(frozen=True)
class TopicsSnapshot:
    """The topics table at one moment."""

    topics: tuple[TopicSummary, ...]
    taken_at: float
    broker_count: int
    problems: tuple[str, ...] = ()
    """Partial failures (a broker's log dirs, a leader's offsets) in words."""
    timings: tuple[tuple[str, float], ...] = ()
    """Seconds spent per step: metadata, offsets+log dirs, total."""
    outline: bool = False
    """From metadata alone (``TopicService.outline``): partitions,
    replication and health are known, messages, sizes and rates not yet."""

    def topic(self, name: str) -> TopicSummary | None:
        return next((t for t in self.topics if t.name == name), None)

    @property
    def partition_count(self) -> int:
        return sum(t.partitions for t in self.topics)


def replica_sizes(log_dirs: Mapping[int, Iterable[LogDirInfo]]) -> dict[tuple[str, int], dict[int, int]]:
    """(topic, partition) -> {broker: bytes} of current (not future) logs."""
    sizes: dict[tuple[str, int], dict[int, int]] = defaultdict(dict)
    for broker, dirs in log_dirs.items():
        for log_dir in dirs:
            for replica in log_dir.replicas:
                if not replica.is_future:
                    sizes[(replica.topic, replica.partition)][broker] = replica.size
    return sizes


def replica_sizes_from_tuples(log_dirs: Mapping[int, LogDirsTuple]) -> dict[tuple[str, int], dict[int, int]]:
    """``replica_sizes`` from ``read_log_dirs`` answers by broker (no
    LogDirInfo objects in between: 20,000 of them per refresh at scale)."""
    sizes: dict[tuple[str, int], dict[int, int]] = defaultdict(dict)
    for broker, (_error, results) in log_dirs.items():
        for _dir_error, _path, topics, _total, _usable in results:
            for topic, partitions in topics:
                for partition, size, _lag, is_future in partitions:
                    if not is_future:
                        sizes[(topic, partition)][broker] = size
    return sizes


async def log_dirs_by_broker(client, broker_ids: Iterable[int]) -> tuple[dict[int, LogDirsTuple], dict[int, str]]:
    """Every partition's log dirs as ``read_log_dirs`` decodes them, by broker,
    and for brokers that did not answer the reason in words (``log_dirs_tuples``)."""
    return await log_dirs_tuples(client, broker_ids)


def leader_size(partition: PartitionInfo, sizes: Mapping[int, int] | None) -> int | None:
    """The leader replica's bytes; when the leader's broker did not report it
    (leader offline, broker unreachable), the largest replica stands in."""
    if not sizes:
        return None
    if partition.leader in sizes:
        return sizes[partition.leader]
    return max(sizes.values())


def summarize_topic(
    topic: TopicInfo,
    watermarks: Mapping[tuple[str, int], Watermarks],
    sizes: Mapping[tuple[str, int], Mapping[int, int]],
    rates: Mapping[tuple[str, int], float],
    *,
    outline: bool = False,
) -> TopicSummary:
    """One table row from metadata, watermarks, replica sizes and rates (pure).
    One pass over the partitions: this runs 20,000 times per refresh at scale.
    ``outline``: from metadata alone, so messages are unknown (None)."""
    name = topic.name
    messages = size = replicated = 0
    rate = 0.0
    any_size = any_rate = False
    replication = under = offline = 0
    for p in topic.partitions:
        key = (name, p.partition)
        replicas = len(p.replicas)
        if replicas > replication:
            replication = replicas
        if len(p.isr) < replicas:
            under += 1
        if p.leader < 0:
            offline += 1
        mark = watermarks.get(key)
        if mark is not None and mark.high > mark.low:
            messages += mark.high - mark.low
        replica = sizes.get(key)
        if replica:
            any_size = True
            size += replica[p.leader] if p.leader in replica else max(replica.values())
            replicated += sum(replica.values())
        partition_rate = rates.get(key)
        if partition_rate is not None:
            any_rate = True
            rate += partition_rate
    return TopicSummary(
        name=name,
        partitions=len(topic.partitions),
        replication_factor=replication,
        messages=None if outline else messages,
        size=size if any_size else None,
        replicated_size=replicated if any_size else None,
        rate=rate if any_rate else None,
        under_replicated=under,
        offline=offline,
        internal=topic.internal,
        error=topic.error,
    )


# -- one topic's detail -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartitionRow:
    """One partition in the topic detail pane."""

    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline_replicas: tuple[int, ...]
    low: int | None
    high: int | None
    size: int | None
    """Leader replica's bytes on disk."""
    replica_sizes: tuple[tuple[int, int], ...]
    """(broker, bytes) of every replica that reported its size."""
    rate: float | None

    @property
    def messages(self) -> int | None:
        if self.low is None or self.high is None:
            return None
        return max(0, self.high - self.low)

    @property
    def out_of_sync(self) -> tuple[int, ...]:
        """Assigned replicas not in the ISR."""
        return tuple(r for r in self.replicas if r not in self.isr)

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)

    @property
    def offline(self) -> bool:
        return self.leader < 0


@dataclass(frozen=True)
class TopicDetail:
    name: str
    internal: bool
    partitions: tuple[PartitionRow, ...]
    configs: tuple[ConfigEntry, ...]
    taken_at: float
    problems: tuple[str, ...] = ()

    @property
    def replication_factor(self) -> int:
        return max((len(p.replicas) for p in self.partitions), default=0)

    @property
    def messages(self) -> int:
        return sum(p.messages or 0 for p in self.partitions)

    @property
    def size(self) -> int | None:
        sizes = [p.size for p in self.partitions if p.size is not None]
        return sum(sizes) if sizes else None

    @property
    def rate(self) -> float | None:
        rates = [p.rate for p in self.partitions if p.rate is not None]
        return sum(rates) if rates else None

    @property
    def under_replicated(self) -> int:
        return sum(1 for p in self.partitions if p.under_replicated)

    @property
    def overrides(self) -> tuple[ConfigEntry, ...]:
        """Configs set on the topic itself (what kafka-configs --describe lists)."""
        return tuple(c for c in self.configs if c.source == "DYNAMIC_TOPIC_CONFIG")

    def config(self, name: str) -> ConfigEntry | None:
        return next((c for c in self.configs if c.name == name), None)


def partition_rows(
    topic: TopicInfo,
    watermarks: Mapping[tuple[str, int], Watermarks],
    sizes: Mapping[tuple[str, int], Mapping[int, int]],
    rates: Mapping[tuple[str, int], float],
) -> tuple[PartitionRow, ...]:
    """The detail pane's partition rows (pure)."""
    rows = []
    for p in topic.partitions:
        key = (topic.name, p.partition)
        mark = watermarks.get(key)
        replica = sizes.get(key) or {}
        rows.append(
            PartitionRow(
                partition=p.partition,
                leader=p.leader,
                replicas=p.replicas,
                isr=p.isr,
                offline_replicas=p.offline_replicas,
                low=mark.low if mark else None,
                high=mark.high if mark else None,
                size=leader_size(p, replica),
                replica_sizes=tuple(sorted(replica.items())),
                rate=rates.get(key),
            )
        )
    return tuple(rows)


# -- the service ------------------------------------------------------------------------


def _raise_for(code: int, message: str | None, subject: str) -> None:
    if code:
        raise KafkaRequestError(code, message or None, subject=subject)


class TopicService:
    """Topics for the UI: ``await topics()`` per refresh, ``await topic_detail(name)``
    for the detail pane, and the write actions (refused on read-only profiles)."""

    def __init__(self, client, *, wait_timeout: float = 10.0) -> None:
        self.client = client
        self.wait_timeout = wait_timeout
        """How long write actions wait for the change to show in metadata."""
        self._samples: dict[tuple[str, int], tuple[float, int]] = {}
        self._samples_lock = threading.Lock()
        """The table's rows are computed in a worker thread (``topics``), the
        detail's on the loop: both read and write the samples."""
        self._rows: dict[str, TopicSummary] = {}
        """The last refresh's rows by name: an equal row is reused, so a
        refresh of a quiet cluster leaves few new objects behind."""

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    # -- reads ------------------------------------------------------------------------

    def _rates(
        self,
        now: float,
        watermarks: Mapping[tuple[str, int], Watermarks],
        live: Iterable[tuple[str, int]] | None = None,
    ) -> dict[tuple[str, int], float]:
        """Rates since the previous samples, then these watermarks become the
        samples.  With ``live`` (every partition there is), samples of
        partitions that are gone are forgotten, so the map cannot grow forever."""
        with self._samples_lock:
            samples = self._samples
            rates = partition_rates(samples, now, watermarks)
            for key, mark in watermarks.items():
                samples[key] = (now, mark.high)
            if live is not None and len(samples) > len(watermarks):
                keep = set(live)
                for key in [k for k in samples if k not in keep]:
                    del samples[key]
        return rates

    def _table_rows(
        self,
        metadata: ClusterMetadata,
        watermarks: Mapping[tuple[str, int], Watermarks],
        log_dirs: Mapping[int, LogDirsTuple],
        now: float,
        include_internal: bool,
    ) -> tuple[tuple[TopicSummary, ...], int]:
        """The rows of ``topics()`` and how many partitions have a leader;
        plain computing over every partition, run in a worker thread."""
        partitions = metadata.partitions
        rates = self._rates(now, watermarks, ((p.topic, p.partition) for p in partitions))
        sizes = replica_sizes_from_tuples(log_dirs)
        previous = self._rows
        made = []
        for t in metadata.topics:
            if include_internal or not t.internal:
                row = summarize_topic(t, watermarks, sizes, rates)
                old = previous.get(row.name)
                made.append(old if old is not None and old == row else row)
        rows = tuple(made)
        self._rows = {row.name: row for row in rows}
        return rows, sum(1 for p in partitions if p.leader >= 0)

    async def outline(self, metadata: ClusterMetadata, *, include_internal: bool = True) -> TopicsSnapshot:
        """The topics table from ``metadata`` alone: what a first paint on a big
        cluster can show at once, before ``topics(metadata=...)`` adds the
        messages, sizes and rates."""

        def rows() -> tuple[TopicSummary, ...]:
            return tuple(
                summarize_topic(t, {}, {}, {}, outline=True)
                for t in metadata.topics
                if include_internal or not t.internal
            )

        return TopicsSnapshot(
            topics=await off_loop(10 * metadata.partition_count, rows),
            taken_at=time.time(),
            broker_count=len(metadata.brokers),
            outline=True,
        )

    async def topics(
        self, *, include_internal: bool = True, metadata: ClusterMetadata | None = None, since: float | None = None
    ) -> TopicsSnapshot:
        """The topics table: every topic with counts, messages, sizes and rates
        (of ``metadata`` when given, e.g. the one an outline was drawn from;
        ``since``: the ``time.monotonic()`` the data must be fresher than,
        default now)."""
        started = time.perf_counter()
        if since is None:
            since = time.monotonic()
        if metadata is None:
            metadata = await self.client.metadata()
        fetched_metadata = time.perf_counter()
        # all_watermarks remembers them (the app's cluster snapshot reuses
        # them), and joins a fetch for this metadata begun since we started.
        watermarks_result, (dirs, dir_errors) = await asyncio.gather(
            self.client.all_watermarks(metadata, since=since),
            log_dirs_by_broker(self.client, (b.node_id for b in metadata.brokers)),
        )
        fetched_rest = time.perf_counter()
        # About 30 bytes of answers per partition: the same measure of work as
        # the decoding, so small clusters stay on the loop.
        rows, led = await off_loop(
            30 * len(watermarks_result),
            self._table_rows,
            metadata,
            watermarks_result,
            dirs,
            time.monotonic(),
            include_internal,
        )
        problems = tuple(f"log dirs of broker {b}: {reason}" for b, reason in sorted(dir_errors.items()))
        missing = max(0, led - len(watermarks_result))
        if missing:
            problems += (f"offsets of {missing} partition(s) are unknown (leaders not answering)",)
        done = time.perf_counter()
        return TopicsSnapshot(
            topics=rows,
            taken_at=time.time(),
            broker_count=len(metadata.brokers),
            problems=problems,
            timings=(
                ("metadata", fetched_metadata - started),
                ("offsets+log dirs", fetched_rest - fetched_metadata),
                ("total", done - started),
            ),
        )

    async def _topic_info(self, name: str) -> tuple[ClusterMetadata, TopicInfo]:
        metadata = await self.client.metadata([name])
        topic = metadata.topic(name)
        if topic is None:
            raise KafkaRequestError(3, subject=name)
        if topic.error and not topic.partitions:
            # The metadata error is already Kafka's error in words.
            raise KViewError(f"{name}: {topic.error}")
        return metadata, topic

    async def topic_detail(self, name: str) -> TopicDetail:
        """Partitions (leader, replicas, ISR, watermarks, sizes, rates) and configs of one topic."""
        metadata, topic = await self._topic_info(name)
        hosts = sorted({r for p in topic.partitions for r in p.replicas} & {b.node_id for b in metadata.brokers})
        watermarks_result, (dirs, dir_errors), configs = await asyncio.gather(
            self.client.watermarks(topic.partitions),
            describe_log_dirs(self.client, hosts, [(name, [p.partition for p in topic.partitions])]),
            describe_configs(self.client, RESOURCE_TOPIC, name),
        )
        rates = self._rates(time.monotonic(), watermarks_result)
        problems = tuple(f"log dirs of broker {b}: {reason}" for b, reason in sorted(dir_errors.items()))
        return TopicDetail(
            name=name,
            internal=topic.internal,
            partitions=partition_rows(topic, watermarks_result, replica_sizes(dirs), rates),
            configs=configs,
            taken_at=time.time(),
            problems=problems,
        )

    async def topic_configs(self, name: str) -> tuple[ConfigEntry, ...]:
        """Every config of a topic with its source and the default behind it."""
        return await describe_configs(self.client, RESOURCE_TOPIC, name)

    async def plan_config_changes(self, name: str, desired: Mapping[str, str | None]) -> tuple[ConfigChange, ...]:
        """What ``alter_configs(name, desired)`` would change, to show before applying."""
        problems = config_problems({k: v for k, v in desired.items() if v is not None})
        if problems:
            raise TopicFormError(problems)
        return config_diff(await self.topic_configs(name), desired)

    # -- writes -----------------------------------------------------------------------

    async def _wait_for(self, name: str, ready) -> None:
        """Poll metadata until ``ready(topic_or_None)``; best effort, bounded,
        so a refresh right after a write already shows it."""
        deadline = time.monotonic() + self.wait_timeout
        while time.monotonic() < deadline:
            metadata = await self.client.metadata([name])
            topic = metadata.topic(name)
            if topic is not None and (topic.error or not topic.partitions):
                topic = None
            if ready(topic):
                return
            await asyncio.sleep(0.1)

    @write_action("create topic")
    async def create_topic(
        self,
        name: str,
        partitions: int | str,
        replication_factor: int | str,
        configs: Mapping[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> NewTopic:
        """Create a topic after validating the form (TopicFormError before
        sending; KafkaRequestError, e.g. TopicAlreadyExists, from Kafka)."""
        # Existence and '.'/'_' collisions are left to Kafka (TopicAlreadyExists,
        # InvalidTopic): it is the only one that knows for sure at this moment.
        metadata = await self.client.metadata([])
        spec = validate_new_topic(name, partitions, replication_factor, configs, broker_count=len(metadata.brokers))
        request = CreateTopicsRequest(
            [(spec.name, spec.partitions, spec.replication_factor, [], list(spec.configs))],
            OPERATION_TIMEOUT_MS,
            validate_only,
        )
        response = await self.client.send_controller(request, f"create topic {spec.name}")
        if not validate_only:
            self.client.note_change()
        for topic, code, *message in response.topic_errors:
            _raise_for(code, message[0] if message else None, topic)
        if not validate_only:
            await self._wait_for(
                spec.name,
                lambda t: t is not None and t.partition_count == spec.partitions and not t.offline,
            )
        return spec

    @write_action("delete topic")
    async def delete_topic(self, name: str) -> None:
        """Delete a topic and all its data."""
        response = await self.client.send_controller(
            DeleteTopicsRequest([name], OPERATION_TIMEOUT_MS), f"delete topic {name}"
        )
        self.client.note_change()
        for topic, code in response.topic_error_codes:
            _raise_for(code, None, topic)
        await self._wait_for(name, lambda t: t is None)

    @write_action("add partitions")
    async def add_partitions(self, name: str, total: int | str) -> int:
        """Raise the topic's partition count to ``total`` (Kafka cannot remove
        partitions, so ``total`` must exceed the current count)."""
        _, topic = await self._topic_info(name)
        problem = partition_increase_problem(topic.partition_count, total)
        if problem:
            raise TopicFormError({"partitions": problem})
        count = _whole_number(total)
        assert count is not None
        response = await self.client.send_controller(
            CreatePartitionsRequest([(name, (count, None))], OPERATION_TIMEOUT_MS, False),
            f"add partitions to {name}",
        )
        self.client.note_change()
        for topic_name, code, message in response.topic_errors:
            _raise_for(code, message, topic_name)
        await self._wait_for(name, lambda t: t is not None and t.partition_count >= count)
        return count

    @write_action("alter topic configs")
    async def alter_configs(
        self, name: str, changes: Mapping[str, str | None], *, validate_only: bool = False
    ) -> tuple[ConfigChange, ...]:
        """Set (value) or delete (None) some of a topic's configs with
        IncrementalAlterConfigs, leaving the others alone.  Returns the diff
        that was applied (computed against the configs just before)."""
        problems = config_problems({k: v for k, v in changes.items() if v is not None})
        bad_names = {k for k in changes if not isinstance(k, str) or not _CONFIG_NAME.fullmatch(k)}
        problems.update({f"config {k!r}": "not a config name" for k in bad_names})
        if problems:
            raise TopicFormError(problems)
        if not changes:
            return ()
        diff = config_diff(await self.topic_configs(name), changes)
        ops = [(key, OP_DELETE if value is None else OP_SET, value) for key, value in sorted(changes.items())]
        request = IncrementalAlterConfigsRequest([(RESOURCE_TOPIC, name, ops)], validate_only)
        response = await self.client.send_any(request, f"alter configs of {name}")
        for code, message, _rtype, resource, *_ in response.responses:
            _raise_for(code, message, resource)
        return diff

    async def _delete_records(self, name: str, offsets: Mapping[int, int]) -> dict[int, int]:
        _, topic = await self._topic_info(name)
        by_partition = {p.partition: p for p in topic.partitions}
        unknown = sorted(set(offsets) - set(by_partition))
        if unknown:
            raise TopicFormError({f"partition {p}": "no such partition" for p in unknown})
        offline = sorted(p for p in offsets if by_partition[p].leader < 0)
        if offline:
            raise TopicFormError({f"partition {p}": "has no leader (offline)" for p in offline})
        watermarks = await self.client.watermarks(by_partition[p] for p in offsets)
        problems = delete_records_problems(
            offsets, {p: watermarks[(name, p)] for p in offsets if (name, p) in watermarks}
        )
        if problems:
            raise TopicFormError(problems)
        by_leader: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for partition, offset in sorted(offsets.items()):
            by_leader[by_partition[partition].leader].append((partition, offset))

        async def one(leader: int, parts: list[tuple[int, int]]):
            return await self.client.send(
                leader, DeleteRecordsRequest([(name, parts)], OPERATION_TIMEOUT_MS), f"delete records of {name}"
            )

        responses = await asyncio.gather(*(one(leader, parts) for leader, parts in by_leader.items()))
        lows: dict[int, int] = {}
        first_error: tuple[int, int] | None = None
        for response in responses:
            for _topic, partitions, *_ in response.topics:
                for partition, low, code, *_ in partitions:
                    if code:
                        first_error = first_error or (partition, code)
                    else:
                        lows[partition] = low
        if first_error is not None:
            partition, code = first_error
            raise KafkaRequestError(code, subject=f"{name}-{partition}")
        return lows

    @write_action("delete records")
    async def delete_records(self, name: str, offsets: Mapping[int, int]) -> dict[int, int]:
        """Delete records before ``offsets[partition]`` in each listed partition
        (-1 = up to the high watermark).  Returns each partition's new low watermark."""
        if not offsets:
            return {}
        return await self._delete_records(name, dict(offsets))

    @write_action("truncate topic")
    async def truncate_topic(self, name: str, partitions: Iterable[int] | None = None) -> dict[int, int]:
        """Delete every record up to the high watermark, in all partitions (or
        the listed ones).  Returns each partition's new low watermark."""
        if partitions is None:
            _, topic = await self._topic_info(name)
            partitions = [p.partition for p in topic.partitions]
        return await self._delete_records(name, {p: HIGH_WATERMARK for p in partitions})
