"""``TransactionService``: transactions and producers of one cluster, for
the Transactions pane, the group detail and ``kview transactions``.

What it asks, and of whom (the same requests Kafka's ``kafka-transactions``
tool makes through the admin client):

- ListTransactions of every broker (each answers for the transactional ids
  it coordinates);
- one batched FindCoordinator (key type 1: transactional ids), then
  DescribeTransactions of each coordinator for its ids;
- DescribeProducers of each partition's leader, at most ``BATCH`` partitions
  a request (find-hanging's batch size);
- ListOffsets with ``read_committed`` (the last stable offset) and
  ``read_uncommitted`` (the high watermark) of the leaders of partitions with
  an open transaction;
- WriteTxnMarkers (an abort marker) to a partition's leader, to end a
  hanging transaction: a write action, refused in read-only mode.

Hanging follows ``kafka-transactions find-hanging`` (see
``models.OpenTransaction``).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping

from kview.core.cluster import ClusterClient, per_broker
from kview.core.errors import KafkaRequestError, KViewError, describe_exception, error_name
from kview.core.models import ClusterMetadata
from kview.core.protocol import bulk_requests as bulk
from kview.core.protocol.group_requests import FindCoordinatorsRequest
from kview.core.protocol.transaction_requests import (
    COORDINATOR_TRANSACTION,
    DescribeProducersRequest,
    DescribeTransactionsRequest,
    ListTransactionsRequest,
    WriteAbortMarkerRequest,
)
from kview.core.readonly import write_action
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
    TopicPartition,
    Transaction,
    TransactionsSnapshot,
)

BATCH = 500
"""Partitions per DescribeProducers request (find-hanging's MAX_BATCH_SIZE)."""
DESCRIBE_BATCH = 1_000
"""Transactional ids per DescribeTransactions request."""
DESCRIBE_ALL_UP_TO = 2_000
"""A snapshot describes every transactional id up to this many (see
``_worth_describing``)."""
IN_PROGRESS = frozenset({"Ongoing", "PrepareCommit", "PrepareAbort", "PrepareEpochFence"})
"""Transaction states with a transaction in progress."""
TRANSACTIONAL_ID_NOT_FOUND = 105
_RETRIABLE_COORDINATOR = {14, 15, 16}


def _none_if_negative(value: int) -> int | None:
    return None if value < 0 else value


class TransactionService:
    """Transactions and producers of one cluster (``client`` is shared)."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    # -- the coordinators' view ---------------------------------------------------------

    async def list_transactions(
        self, producer_ids: Iterable[int] | None = None
    ) -> tuple[list[Transaction], dict[int, str]]:
        """Every transactional id of the cluster (``kafka-transactions list``),
        as listed (state and producer id), and the brokers that failed."""
        metadata = await self.client.metadata([])
        ids = list(producer_ids or ())

        async def one(broker: int) -> list[Transaction]:
            response = await self.client.send(broker, ListTransactionsRequest(None, ids), "list transactions")
            if response.error_code:
                raise KafkaRequestError(response.error_code, subject=f"list transactions on broker {broker}")
            return [
                Transaction(tid, broker, pid, state, partitions=())
                for tid, pid, state, _tags in response.transaction_states
            ]

        answers, errors = await per_broker((b.node_id for b in metadata.brokers), one)
        listed = [t for broker in sorted(answers) for t in answers[broker]]
        listed.sort(key=lambda t: t.transactional_id)
        return listed, errors

    async def coordinators(self, transactional_ids: list[str]) -> tuple[dict[str, int], dict[str, str]]:
        """The coordinator of each transactional id (one batched
        FindCoordinator, asked again for a few seconds while one answers
        "not available"); ids whose lookup failed -> reason."""
        found: dict[str, int] = {}
        failed: dict[str, str] = {}
        pending = list(dict.fromkeys(transactional_ids))
        deadline = time.monotonic() + 5.0
        while pending:
            response = await self.client.send_any(
                FindCoordinatorsRequest(pending, COORDINATOR_TRANSACTION), "find transaction coordinators"
            )
            retry = []
            for key, node_id, _host, _port, error_code, error_message, _tags in response.coordinators:
                if not error_code:
                    found[key] = node_id
                    failed.pop(key, None)
                    continue
                failed[key] = str(KafkaRequestError(error_code, error_message or None, subject="coordinator lookup"))
                if error_code in _RETRIABLE_COORDINATOR:
                    retry.append(key)
            if not retry or time.monotonic() >= deadline:
                break
            pending = retry
            await asyncio.sleep(0.25)
        return found, failed

    async def describe(self, transactional_ids: Iterable[str]) -> dict[str, Transaction | None]:
        """Each id as its coordinator describes it (``kafka-transactions
        describe``); None for an id the coordinator does not know; a
        Transaction with ``error`` when it could not be described."""
        ids = list(dict.fromkeys(transactional_ids))
        if not ids:
            return {}
        nodes, failed = await self.coordinators(ids)
        out: dict[str, Transaction | None] = {
            tid: Transaction(tid, -1, -1, "", error=message) for tid, message in failed.items()
        }
        by_node: dict[int, list[str]] = defaultdict(list)
        for tid, node in nodes.items():
            by_node[node].append(tid)

        async def on(node: int, batch: list[str]) -> None:
            response = await self.client.send(node, DescribeTransactionsRequest(batch), "describe transactions")
            for error_code, tid, state, timeout_ms, start_ms, pid, epoch, topics, _tags in response.transaction_states:
                if error_code == TRANSACTIONAL_ID_NOT_FOUND:
                    out[tid] = None
                elif error_code:
                    message = str(KafkaRequestError(error_code, subject=f"describe {tid}"))
                    out[tid] = Transaction(tid, node, pid, state, error=message)
                else:
                    partitions = tuple(sorted((topic, p) for topic, parts, _t in topics for p in parts))
                    out[tid] = Transaction(
                        tid, node, pid, state, epoch, timeout_ms, _none_if_negative(start_ms), partitions
                    )

        calls = [
            on(node, names[i : i + DESCRIBE_BATCH])
            for node, names in by_node.items()
            for i in range(0, len(names), DESCRIBE_BATCH)
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                raise KViewError(f"describe transactions: {describe_exception(result)}")
        return out

    # -- the partition leaders' view ---------------------------------------------------

    async def describe_producers(
        self,
        partitions: Iterable[TopicPartition],
        metadata: ClusterMetadata,
        *,
        broker: int | None = None,
    ) -> dict[TopicPartition, PartitionProducers]:
        """Active producers of each partition (``kafka-transactions
        describe-producers``), asked of its leader, or of ``broker`` (a
        replica) when given; partitions without a leader get an error."""
        leaders = {(p.topic, p.partition): p.leader for p in metadata.partitions}
        by_node: dict[int, list[TopicPartition]] = defaultdict(list)
        out: dict[TopicPartition, PartitionProducers] = {}
        for tp in partitions:
            node = broker if broker is not None else leaders.get(tp, -1)
            if node is None or node < 0:
                out[tp] = PartitionProducers(tp[0], tp[1], -1, error="no leader")
            else:
                by_node[node].append(tp)

        async def on(node: int, batch: list[TopicPartition]) -> None:
            topics: dict[str, list[int]] = defaultdict(list)
            for topic, partition in batch:
                topics[topic].append(partition)
            try:
                response = await self.client.send(
                    node, DescribeProducersRequest(list(topics.items())), f"describe producers on broker {node}"
                )
            except KViewError as exc:
                for tp in batch:
                    out[tp] = PartitionProducers(tp[0], tp[1], node, error=str(exc))
                return
            for name, parts, _tags in response.topics:
                for index, error_code, error_message, active, _ptags in parts:
                    if error_code:
                        error = str(KafkaRequestError(error_code, error_message or None))
                        out[(name, index)] = PartitionProducers(name, index, node, error=error)
                        continue
                    producers = tuple(
                        ProducerState(pid, epoch, seq, ts, _none_if_negative(ce), _none_if_negative(start))
                        for pid, epoch, seq, ts, ce, start, _t in active
                    )
                    out[(name, index)] = PartitionProducers(name, index, node, producers)

        await asyncio.gather(
            *(on(node, tps[i : i + BATCH]) for node, tps in by_node.items() for i in range(0, len(tps), BATCH))
        )
        return out

    async def offsets(
        self, partitions: Iterable[TopicPartition], metadata: ClusterMetadata
    ) -> dict[TopicPartition, tuple[int, int]]:
        """(last stable offset, high watermark) of each partition, from its
        leader (ListOffsets latest with read_committed / read_uncommitted)."""
        leaders = {(p.topic, p.partition): p.leader for p in metadata.partitions}
        by_node: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
        for topic, partition in partitions:
            node = leaders.get((topic, partition), -1)
            if node >= 0:
                by_node[node][topic].append((partition, -1))

        async def on(node: int, topics: dict[str, list[tuple[int, int]]], isolation: int) -> dict[TopicPartition, int]:
            request = bulk.ListOffsetsRequest(
                bulk.encode_offset_topics(list(topics.items())), isolation_level=isolation
            )
            response = await self.client.send(node, request, f"list offsets on broker {node}")
            return {
                (topic, partition): offset
                for topic, parts in bulk.read_list_offsets(response.body, response.version)
                for partition, error_code, _ts, offset in parts
                if not error_code
            }

        stable: dict[TopicPartition, int] = {}
        high: dict[TopicPartition, int] = {}
        results = await asyncio.gather(
            *(on(node, topics, 1) for node, topics in by_node.items()),
            *(on(node, topics, 0) for node, topics in by_node.items()),
            return_exceptions=True,
        )
        count = len(by_node)
        for index, result in enumerate(results):
            if isinstance(result, BaseException):
                continue  # that leader's partitions show no offsets
            (stable if index < count else high).update(result)
        return {tp: (stable[tp], high[tp]) for tp in stable if tp in high}

    # -- conclusions ---------------------------------------------------------------------

    @staticmethod
    def classify(
        tp: TopicPartition,
        producer: ProducerState,
        transactional_ids: Mapping[int, str],
        described: Mapping[str, Transaction | None],
        now_ms: int,
        max_timeout_ms: int,
    ) -> OpenTransaction:
        """What an open transaction on ``tp`` is (see ``OpenTransaction``)."""
        since_write = max(0, now_ms - producer.last_timestamp)
        tid = transactional_ids.get(producer.producer_id)
        description = described.get(tid) if tid is not None else None
        if description is not None and description.error is None and tp in description.partitions:
            duration = description.duration_ms(now_ms)
            status = OVERDUE if description.overdue(now_ms) else OPEN
            return OpenTransaction(
                tp[0],
                tp[1],
                producer,
                tid,
                status,
                duration if duration is not None else since_write,
                description.timeout_ms,
            )
        if description is not None and description.error is not None:
            # Not known either way: find-hanging would stop with this error.
            return OpenTransaction(tp[0], tp[1], producer, tid, OPEN, since_write)
        status = HANGING if since_write > max_timeout_ms else OPEN
        return OpenTransaction(tp[0], tp[1], producer, tid, status, since_write)

    @staticmethod
    def _worth_describing(listed: list[Transaction], producers: Iterable[PartitionProducers]) -> list[str]:
        """Every listed id, up to DESCRIBE_ALL_UP_TO; on clusters with more
        (Kafka Streams makes one per task), the ids with a transaction in
        progress and those of producers holding a partition open: the rest
        show what the listing says (state, producer id)."""
        if len(listed) <= DESCRIBE_ALL_UP_TO:
            return [t.transactional_id for t in listed]
        holding = {p.producer_id for found in producers for p in found.open_transactions}
        return [t.transactional_id for t in listed if t.state in IN_PROGRESS or t.producer_id in holding]

    async def _partitions_to_search(
        self, topic: str | None, partition: int | None, broker: int | None
    ) -> tuple[ClusterMetadata, list[TopicPartition]]:
        metadata = await self.client.metadata([topic] if topic is not None else None)
        if topic is not None:
            info = metadata.topic(topic)
            if info is None or (info.error and info.error.startswith(error_name(3))):
                raise KViewError(f"topic '{topic}': does not exist")
            if info.error:
                raise KViewError(f"topic '{topic}': {info.error}")
            if partition is not None:
                if partition not in {p.partition for p in info.partitions}:
                    raise KViewError(f"topic '{topic}' has no partition {partition}")
                return metadata, [(topic, partition)]
        tps = [
            (p.topic, p.partition)
            for p in metadata.partitions
            if (topic is None or p.topic == topic) and (broker is None or broker in p.replicas)
        ]
        return metadata, tps

    async def find_hanging(
        self,
        *,
        topic: str | None = None,
        partition: int | None = None,
        broker: int | None = None,
        max_timeout_ms: int = DEFAULT_MAX_TIMEOUT_MS,
    ) -> list[OpenTransaction]:
        """``kafka-transactions find-hanging`` (``--topic``, ``--partition``,
        ``--broker-id``, ``--max-transaction-timeout``), step for step: the
        open transactions older (since their last write) than
        ``max_timeout_ms`` whose producer id has no transactional id, whose
        id is unknown to its coordinator, or whose coordinator does not hold
        the partition.  Every partition of the cluster when neither topic
        nor broker is given (the tool insists on one of them)."""
        metadata, tps = await self._partitions_to_search(topic, partition, broker)
        producers = await self.describe_producers(tps, metadata, broker=broker)
        failed = [p for p in producers.values() if p.error]
        if failed:
            first = failed[0]
            raise KViewError(
                f"describe producers failed for {len(failed)} partitions "
                f"(first: {first.topic}-{first.partition}: {first.error})"
            )
        now_ms = int(time.time() * 1000)
        candidates = [
            ((p.topic, p.partition), producer)
            for p in producers.values()
            for producer in p.open_transactions
            if now_ms - producer.last_timestamp > max_timeout_ms
        ]
        if not candidates:
            return []
        listed, errors = await self.list_transactions({producer.producer_id for _tp, producer in candidates})
        if errors:
            broker_id, reason = next(iter(errors.items()))
            raise KViewError(f"list transactions failed on broker {broker_id}: {reason}")
        ids = {t.producer_id: t.transactional_id for t in listed}
        described = await self.describe(ids.values())
        found = [self.classify(tp, producer, ids, described, now_ms, max_timeout_ms) for tp, producer in candidates]
        return sorted((t for t in found if t.status == HANGING), key=lambda t: (t.topic, t.partition, t.start_offset))

    async def snapshot(
        self,
        *,
        topic: str | None = None,
        max_timeout_ms: int = DEFAULT_MAX_TIMEOUT_MS,
        all_producers: bool = False,
    ) -> TransactionsSnapshot:
        """Every transactional id with its description, and every partition
        (of ``topic``, or of the cluster) with an open transaction (with
        ``all_producers``: with any active producer): its LSO, high
        watermark, active producers and what each open transaction is."""
        taken_at = time.time()
        errors: list[str] = []
        (listed, list_errors), (metadata, tps) = await asyncio.gather(
            self.list_transactions(), self._partitions_to_search(topic, None, None)
        )
        errors.extend(f"list transactions on broker {b}: {reason}" for b, reason in sorted(list_errors.items()))
        producers = await self.describe_producers(tps, metadata)
        described = await self.describe(self._worth_describing(listed, producers.values()))
        transactions = []
        for t in listed:
            d = described.get(t.transactional_id)
            if d is None:
                transactions.append(t)  # not described (many ids), or gone between the list and the describe
            elif d.error is not None:
                transactions.append(
                    Transaction(t.transactional_id, t.coordinator, t.producer_id, t.state, error=d.error)
                )
            else:
                transactions.append(d)
        failed = [p for p in producers.values() if p.error]
        if failed:
            errors.append(
                f"describe producers failed for {len(failed)} partitions "
                f"(first: {failed[0].topic}-{failed[0].partition}: {failed[0].error})"
            )
        with_open = sorted(tp for tp, p in producers.items() if p.open_transactions or (all_producers and p.producers))
        marks = await self.offsets(with_open, metadata) if with_open else {}
        ids = {t.producer_id: t.transactional_id for t in listed}
        now_ms = int(time.time() * 1000)
        leaders = {(p.topic, p.partition): p.leader for p in metadata.partitions}
        partitions = []
        for tp in with_open:
            found = producers[tp]
            opened = tuple(
                sorted(
                    (self.classify(tp, p, ids, described, now_ms, max_timeout_ms) for p in found.open_transactions),
                    key=lambda t: t.start_offset,
                )
            )
            stable, high = marks.get(tp, (None, None))
            partitions.append(
                PartitionTransactions(tp[0], tp[1], leaders.get(tp, -1), high, stable, found.producers, opened)
            )
        return TransactionsSnapshot(tuple(transactions), tuple(partitions), taken_at, max_timeout_ms, tuple(errors))

    async def holders(
        self, partitions: Iterable[TopicPartition], *, max_timeout_ms: int = DEFAULT_MAX_TIMEOUT_MS
    ) -> dict[TopicPartition, OpenTransaction]:
        """The open transaction holding each partition's LSO (the earliest
        open one), with its transactional id and how long it has been open:
        what the group detail names for lag past the LSO.  Partitions without
        one are left out."""
        tps = sorted(set(partitions))
        if not tps:
            return {}
        metadata = await self.client.metadata(sorted({t for t, _ in tps}))
        producers = await self.describe_producers(tps, metadata)
        earliest: dict[TopicPartition, ProducerState] = {}
        for tp, found in producers.items():
            opened = found.open_transactions
            if opened:
                earliest[tp] = min(opened, key=lambda p: p.txn_start_offset or 0)
        if not earliest:
            return {}
        listed, _errors = await self.list_transactions({p.producer_id for p in earliest.values()})
        ids = {t.producer_id: t.transactional_id for t in listed}
        described = await self.describe(ids.values())
        now_ms = int(time.time() * 1000)
        return {tp: self.classify(tp, p, ids, described, now_ms, max_timeout_ms) for tp, p in earliest.items()}

    # -- the one write -----------------------------------------------------------------

    async def abort_spec(self, topic: str, partition: int, start_offset: int) -> AbortSpec:
        """The abort marker for the transaction that starts at
        ``start_offset`` on the partition, from its leader's producer state
        (as ``kafka-transactions abort --start-offset`` builds it)."""
        metadata, tps = await self._partitions_to_search(topic, partition, None)
        found = (await self.describe_producers(tps, metadata))[(topic, partition)]
        if found.error:
            raise KViewError(f"describe producers of {topic}-{partition}: {found.error}")
        for producer in found.producers:
            if producer.txn_start_offset == start_offset:
                return AbortSpec(
                    topic,
                    partition,
                    producer.producer_id,
                    producer.producer_epoch,
                    # -1 (never committed or aborted): 0, at most any leader epoch (as the tool does).
                    producer.coordinator_epoch or 0,
                )
        raise KViewError(f"no open transaction starts at offset {start_offset} on {topic}-{partition}")

    @write_action("abort transaction")
    async def abort(self, topic: str, partition: int, start_offset: int) -> AbortSpec:
        """Write an abort marker for the open transaction starting at
        ``start_offset`` on the partition (``kafka-transactions abort``):
        the LSO moves past it and read_committed consumers go on.  The spec
        written is returned."""
        spec = await self.abort_spec(topic, partition, start_offset)
        metadata = await self.client.metadata([topic])
        leader = next((p.leader for p in metadata.partitions if p.partition == partition), -1)
        if leader < 0:
            raise KViewError(f"{topic}-{partition} has no leader")
        request = WriteAbortMarkerRequest(
            topic, partition, spec.producer_id, spec.producer_epoch, spec.coordinator_epoch
        )
        response = await self.client.send(leader, request, f"abort transaction on {topic}-{partition}")
        for _pid, topics, _tags in response.markers:
            for _name, parts, _ttags in topics:
                for _index, error_code, _ptags in parts:
                    if error_code:
                        raise KafkaRequestError(error_code, subject=f"abort transaction on {topic}-{partition}")
        self.client.note_change()
        return spec
