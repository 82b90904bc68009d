"""ClusterClient's sharing of big reads (no Kafka: the requests are stood in
for): concurrent all-topics Metadata calls share one request unless kview
changed the topics meanwhile; watermarks of every partition are reused or
joined only as fresh as the caller asked; the snapshot of a big cluster
reuses recent watermarks, a small one's never does."""

from __future__ import annotations

import asyncio
import time

from kview.core import cluster as cluster_module
from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.models import ClusterMetadata, PartitionInfo, TopicInfo, Watermarks


def metadata_of(partitions: int) -> ClusterMetadata:
    parts = tuple(PartitionInfo("t", i, 1, (1,), (1,)) for i in range(partitions))
    return ClusterMetadata("c", 1, (), (TopicInfo("t", False, parts),))


class Stand(ClusterClient):
    """A ClusterClient whose requests are counted and answered after ``delay``."""

    def __init__(self, partitions: int = 3, delay: float = 0.05) -> None:
        super().__init__(adhoc_profile("localhost:1"))
        self.delay = delay
        self.partitions = partitions
        self.metadata_requests = 0
        self.watermark_requests = 0

    async def _fetch_metadata(self, topics):
        self.metadata_requests += 1
        await asyncio.sleep(self.delay)
        return metadata_of(self.partitions)

    async def watermarks(self, partitions):
        self.watermark_requests += 1
        await asyncio.sleep(self.delay)
        return {
            (p.topic, p.partition): Watermarks(p.topic, p.partition, 0, self.watermark_requests) for p in partitions
        }


async def test_concurrent_metadata_calls_share_one_request():
    client = Stand()
    first, second = await asyncio.gather(client.metadata(), client.metadata())
    assert first is second and client.metadata_requests == 1
    # Once answered, the next call asks again: nothing is cached.
    await client.metadata()
    assert client.metadata_requests == 2
    # Calls for some topics never share.
    await asyncio.gather(client.metadata(["t"]), client.metadata(["t"]))
    assert client.metadata_requests == 4


async def test_a_change_by_kview_is_never_hidden_by_an_older_request():
    client = Stand()
    before = asyncio.ensure_future(client.metadata())
    await asyncio.sleep(0.01)  # that request is in flight
    client.note_change()  # e.g. a topic was just created
    after = await client.metadata()
    assert client.metadata_requests == 2 and after is not await before


async def test_a_caller_that_gives_up_leaves_the_request_to_the_others():
    client = Stand()
    quitter = asyncio.ensure_future(client.metadata())
    await asyncio.sleep(0.01)
    stayer = asyncio.ensure_future(client.metadata())
    await asyncio.sleep(0.01)
    quitter.cancel()
    assert isinstance(await stayer, ClusterMetadata) and client.metadata_requests == 1


async def test_all_watermarks_reuse_and_join_only_as_fresh_as_asked():
    client = Stand()
    metadata = metadata_of(3)
    fresh = await client.all_watermarks(metadata)
    assert client.watermark_requests == 1
    # max_age: the last fetch is reused while young enough ...
    assert await client.all_watermarks(metadata, max_age=60) is fresh
    assert client.watermark_requests == 1
    # ... and never without max_age.
    await client.all_watermarks(metadata)
    assert client.watermark_requests == 2

    # since: a fetch in flight for the same metadata, begun after since, is joined.
    since = time.monotonic()
    running = asyncio.ensure_future(client.all_watermarks(metadata))
    await asyncio.sleep(0.01)
    joined = await client.all_watermarks(metadata, since=since)
    assert joined is await running and client.watermark_requests == 3
    # One begun before since is not (its answer may predate what the caller did).
    running = asyncio.ensure_future(client.all_watermarks(metadata))
    await asyncio.sleep(0.01)
    later = time.monotonic()
    own = await client.all_watermarks(metadata, since=later)
    assert own is not await running and client.watermark_requests == 5
    # Nor one for other metadata.
    running = asyncio.ensure_future(client.all_watermarks(metadata))
    await asyncio.sleep(0.01)
    await client.all_watermarks(metadata_of(3), since=since)
    await running
    assert client.watermark_requests == 7


async def test_snapshot_of_a_big_cluster_reuses_watermarks_a_small_ones_never(monkeypatch):
    monkeypatch.setattr(cluster_module, "WATERMARKS_REUSE_ABOVE", 10)
    small = Stand(partitions=10)
    for _ in range(3):
        snapshot = await small.snapshot()
    assert small.watermark_requests == 3 and snapshot.total_messages == 10 * 3

    big = Stand(partitions=11)
    for _ in range(3):
        snapshot = await big.snapshot()
    assert big.watermark_requests == 1 and snapshot.total_messages == 11 * 1
    # Totals are computed up front, and agree with the partitions.
    assert snapshot.metadata.partition_count == 11 and snapshot.metadata.under_replicated_count == 0
    # An explicit 0 always fetches.
    await big.snapshot(watermarks_max_age=0)
    assert big.watermark_requests == 2
