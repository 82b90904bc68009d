"""The recording the snapshot tests replay: it survives the JSON codec
unchanged, it holds the states the scenes are meant to show, and the replayed
cluster refuses (and notes) every write."""

from __future__ import annotations

import json

import pytest
from snapshot_recording import decode, dumps, encode, load
from snapshot_replay import ReplayClient, ReplayRefused, ReplayServices, replay_profile

from kview.core.groups import ResetSpec
from kview.core.lag import GroupStatus
from kview.core.produce import ComposedMessage
from kview.core.tail import StartPosition


@pytest.fixture(scope="module")
def recording():
    return load()


def test_codec_round_trips_the_recording(recording):
    for name, part in recording.items():
        assert decode(json.loads(dumps(encode(part)))) == part, name


def test_codec_keeps_types_json_lacks():
    value = {("orders", 0): (b"\x00\xff", b"text", GroupStatus.STALL), "plain": [1, 2.5, None]}
    assert decode(json.loads(dumps(encode(value)))) == value


def test_codec_builds_only_kview_and_aiokafka_classes():
    with pytest.raises(ValueError, match="refusing"):
        decode({"$type": "subprocess:Popen", "args": "true"})


def test_recording_shows_every_state_the_scenes_need(recording):
    statuses = {g.name: g.status for g in recording["groups"]["groups"].groups}
    assert statuses["billing"] is GroupStatus.OK
    assert statuses["audit"] is GroupStatus.STOP
    assert statuses["reports"] is GroupStatus.STALL
    assert statuses["analytics"] is GroupStatus.WARN
    meta = recording["cluster"]["snapshot"].metadata
    assert meta.under_replicated_count > 0 and meta.offline_count > 0
    customers = recording["tail"]["customers"]["records"]
    assert any(r.value is None for r in customers), "a tombstone"
    orders = recording["tail"]["orders"]["records"]
    assert all(r.headers for r in orders), "headers"
    frames = recording["tail"]["sensor-frames"]["records"]
    assert any(r.value and not r.value.isascii() for r in frames), "binary values"
    assert len(recording["producer"]["history"]) == 3
    registry = recording["registry"]
    assert {s.type for s in registry["summaries"]} == {"AVRO", "PROTOBUF", "JSON"}
    assert any(s.versions > 1 for s in registry["summaries"]), "a subject to diff"
    assert any(v.schema.references for vs in registry["versions"].values() for v in vs), "a reference"


async def test_replay_refuses_and_notes_writes(recording):
    client = ReplayClient(replay_profile(recording), recording)
    services = ReplayServices(client)
    with pytest.raises(ReplayRefused):
        await services.topics.create_topic("invoices", 3, 1)
    with pytest.raises(ReplayRefused):
        await services.groups.apply_reset("audit", ResetSpec("earliest"))
    producer = services.new_producer()
    with pytest.raises(ReplayRefused):
        await producer.send(ComposedMessage("orders", "k", "v"))
    assert [action for action, _ in client.writes] == ["create topic", "reset offsets", "produce"]
    # Reads answer from the recording, as the real services did.
    assert await services.snapshot() == recording["cluster"]["snapshot"]
    assert producer.history.entries == tuple(recording["producer"]["history"])
    preview = await services.groups.preview_reset("audit", ResetSpec("earliest"))
    assert preview == recording["groups"]["reset_previews"]["audit"][0]["rows"]


async def test_replayed_registry_reads_and_refuses_writes(recording):
    client = ReplayClient(replay_profile(recording), recording)
    registry = ReplayServices(client).registry
    part = recording["registry"]
    assert await registry.summaries() == part["summaries"]
    latest = await registry.version("orders-value")
    assert latest == part["versions"]["orders-value"][-1]
    assert await registry.versions("orders-value") == [v.version for v in part["versions"]["orders-value"]]
    with pytest.raises(ReplayRefused):
        await registry.register("orders-value", latest.schema)
    with pytest.raises(ReplayRefused):
        await registry.delete_subject("orders-value")
    assert [action for action, _ in client.writes] == ["register schema", "delete subject"]


async def test_replayed_tail_starts_where_asked(recording):
    services = ReplayServices(ReplayClient(replay_profile(recording), recording))
    recorded = recording["tail"]["orders"]["records"]
    tail = services.tail("orders", partitions=[0], start=StartPosition.last(3))
    await tail.start()
    kept = tail.ring.range()
    assert [r.offset for r in kept] == [r.offset for r in recorded if r.partition == 0][-3:]
    assert tail.stats().msgs_per_s == recording["tail"]["orders"]["msgs_per_s"]
    await tail.stop()
