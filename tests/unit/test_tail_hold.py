"""The tail's hold rule (Tail.hold, set by the UI while its view is paused):
a held ring takes records into its free room and evicts none; the rest of a
batch is read (positions, bytes, rates, ``seen``) and counted as skipped.

Pure: batches of records built by make_record go through the Tail's own
batch entry (``_ingest``, what each getmany() result goes through); no
consumer is opened, nothing connects."""

from __future__ import annotations

from aiokafka import TopicPartition

from kview.core.config import adhoc_profile
from kview.core.ring import make_record
from kview.core.tail import Tail, TailBatch

TOPIC = "t"


def records(partition: int, offsets: range, prefix: str = "v") -> list:
    return [make_record(TOPIC, partition, o, value=f"{prefix}-{partition}-{o}".encode()) for o in offsets]


def new_tail(capacity: int, filter: str | None = None) -> tuple[Tail, list[TailBatch]]:
    batches: list[TailBatch] = []
    # Port 1 on loopback: nothing listens there, and nothing here connects anyway.
    tail = Tail(adhoc_profile("127.0.0.1:1"), TOPIC, capacity=capacity, filter=filter, on_batch=batches.append)
    return tail, batches


def values(tail: Tail) -> list[str]:
    return [r.value.decode() for r in tail.ring.range()]


async def test_not_held_the_ring_evicts_the_oldest():
    tail, _ = new_tail(5)
    await tail._ingest({TopicPartition(TOPIC, 0): records(0, range(8))})
    assert values(tail) == [f"v-0-{o}" for o in range(3, 8)]
    stats = tail.stats()
    assert (stats.seen, stats.kept, stats.dropped, stats.skipped) == (8, 5, 3, 0)


async def test_held_the_ring_fills_its_room_then_keeps_what_it_has():
    tail, batches = new_tail(5)
    await tail._ingest({TopicPartition(TOPIC, 0): records(0, range(2))})
    before = tail.ring.range()
    tail.hold = True
    # Room for three more: the first three of the batch go in, two are skipped.
    await tail._ingest({TopicPartition(TOPIC, 0): records(0, range(2, 7))})
    assert values(tail) == [f"v-0-{o}" for o in range(5)]
    assert tail.ring.range()[:2] == before  # the same objects, not copies
    # Full: a whole batch is read and skipped; nothing is pushed out.
    await tail._ingest({TopicPartition(TOPIC, 0): records(0, range(7, 11))})
    assert values(tail) == [f"v-0-{o}" for o in range(5)]
    stats = tail.stats()
    assert (stats.seen, stats.kept, stats.dropped, stats.skipped) == (11, 5, 0, 6)
    assert tail.seen == 11
    # Read all the same: the next offset to read, and the bytes of every record.
    assert stats.positions == {0: 11}
    assert stats.bytes_total == sum(len(f"v-0-{o}") for o in range(11))
    # The batches say what went into the ring (3, then none), and the bytes read.
    assert [(b.first_seq, b.count, b.matched) for b in batches[1:]] == [(2, 3, 3), (5, 0, 0)]
    assert [b.bytes for b in batches[1:]] == [sum(len(f"v-0-{o}") for o in r) for r in (range(2, 7), range(7, 11))]


async def test_released_the_ring_takes_new_records_again():
    tail, _ = new_tail(4)
    tail.hold = True
    await tail._ingest({TopicPartition(TOPIC, 0): records(0, range(6))})
    assert values(tail) == [f"v-0-{o}" for o in range(4)]
    tail.hold = False
    await tail._ingest({TopicPartition(TOPIC, 0): records(0, range(6, 9))})
    # The newest read records push the oldest out; the skipped ones (4, 5) never were in the ring.
    assert values(tail) == ["v-0-3", "v-0-6", "v-0-7", "v-0-8"]
    stats = tail.stats()
    assert (stats.seen, stats.kept, stats.dropped, stats.skipped) == (9, 4, 3, 2)


async def test_held_with_several_partitions_positions_move_for_every_one():
    tail, _ = new_tail(3)
    tail.hold = True
    await tail._ingest(
        {TopicPartition(TOPIC, 0): records(0, range(2)), TopicPartition(TOPIC, 1): records(1, range(10, 14))}
    )
    assert values(tail) == ["v-0-0", "v-0-1", "v-1-10"]
    assert tail.stats().positions == {0: 2, 1: 14}
    assert tail.skipped == 3


async def test_held_the_filter_sees_only_what_the_ring_kept():
    tail, _ = new_tail(4, filter="keep")
    tail.hold = True
    batch = [make_record(TOPIC, 0, o, value=(b"keep" if o % 2 else b"drop")) for o in range(10)]
    await tail._ingest({TopicPartition(TOPIC, 0): batch})
    # Offsets 0..3 are in the ring; 1 and 3 match.  The skipped ones (5, 7, 9 match too) are not there.
    assert [tail.ring[seq].offset for seq in tail.view.seqs()] == [1, 3]
    assert tail.stats().matched == 2
