"""Snapshots of a decoded tail: the recorded cluster of test_snapshots.py,
plus a recorded tail of registry-framed Avro records and the registry's
answers about their ids (``recordings/schema_tail.json``, made by
``record_schema_tail.py`` on a real Kafka and a real registry).

The recording holds the records' RAW bytes; here they go through kview's
real RecordDecoder, whose registry is a stand-in answering from the recorded
schemas, so the decoded values on screen are decoded now, as the app would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from snapshot_recording import RECORDINGS, decode
from snapshot_replay import NotRecorded, ReplayClient, ReplayServices, ReplayTail, replay_profile
from test_snapshots import SIZES, THEMES, cluster_shown, freeze_cursors, frozen, keys, recording, wait_for_text

from kview.app import make_app
from kview.core.config import Config
from kview.core.schemas.client import RegistryStatus
from kview.core.tail import Tail
from kview.ui.messages import TailTopic

__all__ = ["frozen", "recording"]  # fixtures, used by name

SCHEMA_TAIL = decode(json.loads((RECORDINGS / "schema_tail.json").read_text(encoding="utf-8")))
TOPIC = SCHEMA_TAIL["topic"]


class ReplayRegistry:
    """The registry client's reads, answered from the recording."""

    def __init__(self, recorded: Mapping[str, Any]) -> None:
        self.recorded = recorded
        self.status = RegistryStatus("ok")

    def cached_schema(self, schema_id: int) -> Any:
        return self.recorded["schemas"].get(schema_id)

    async def schema_by_id(self, schema_id: int) -> Any:
        schema = self.cached_schema(schema_id)
        if schema is None:
            # What the registry answered for an id it does not know.
            from kview.core.schemas.errors import RegistryError

            raise RegistryError(f"schema id {schema_id} not found", status=404, code=40403)
        return schema

    async def subject_versions_of(self, schema_id: int) -> list[tuple[str, int]]:
        return list(self.recorded["subject_versions"].get(schema_id, []))

    async def resolve_references(self, schema: Any) -> dict[str, Any]:
        if schema.references:
            raise NotRecorded("schema references are not in the recording")
        return {}

    async def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        raise NotRecorded(f"the registry's {name} is not in the recording")


class SchemaReplayServices(ReplayServices):
    """The recorded cluster, with the recorded registry and schema topic."""

    def __init__(self, client: ReplayClient) -> None:
        super().__init__(client)
        self._replay_registry = ReplayRegistry(SCHEMA_TAIL)

    @property
    def registry(self) -> Any:
        return self._replay_registry

    def tail(self, topic: str, **kwargs: Any) -> Tail:
        if topic == TOPIC:
            return DecodingReplayTail(self.client.profile, topic, SCHEMA_TAIL, **kwargs)
        return super().tail(topic, **kwargs)


class DecodingReplayTail(ReplayTail):
    """A replayed tail whose recorded raw records go through the tail's
    decoder first, as a live tail's batches do (Tail._ingest)."""

    async def _fill(self, start: Any) -> dict[int, int]:
        if self.decoder is not None and self.recorded is not None and "raw" not in self.recorded:
            raw = list(self.recorded["records"])
            self.recorded = {**self.recorded, "raw": raw, "records": await self._decode(raw)}
        return await super()._fill(start)


def schema_app(recording: Mapping[str, Any], theme: str) -> Any:
    """replay_app's app, with the services above."""
    profile = replay_profile(recording)
    config = Config(clusters={profile.name: profile}, default_cluster=profile.name, theme=theme)
    return make_app(
        config,
        profile,
        backend_factory=lambda p: ReplayClient(p, recording),
        services_factory=SchemaReplayServices,
    )


async def decoded_tail(pilot) -> None:
    await cluster_shown(pilot)
    # Opened as the topics pane's t opens it (the topic is not in the main
    # recording's metadata, which the start modal checks names against).
    pilot.app.post_message(TailTopic(TOPIC, None))
    await wait_for_text(pilot, "FOLLOWING", f"{TOPIC} (all partitions)", "inv-1039")


async def decoded_detail(pilot) -> None:
    await decoded_tail(pilot)
    await keys(pilot, "up", "up", "up", "up", "enter")  # offset 35, a v2 record
    await wait_for_text(pilot, "Schema", "AVRO", f"{TOPIC}-value")


async def undecoded_detail(pilot) -> None:
    await decoded_tail(pilot)
    await keys(pilot, "up", "up", "enter")  # offset 37: an id the registry did not know
    await wait_for_text(pilot, "not decoded")


SCENES = {
    "schema-tail": decoded_tail,
    "schema-tail-detail": decoded_detail,
    "schema-tail-undecoded": undecoded_detail,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("scene", SCENES)
def test_decoded_tail_snapshot(scene: str, theme: str, size: str, recording, frozen, snap_compare) -> None:
    app = schema_app(recording, theme)

    async def run_before(pilot) -> None:
        await SCENES[scene](pilot)
        freeze_cursors(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
    assert app.backend.writes == []


def test_the_recording_holds_raw_bytes_only() -> None:
    """Nothing decoded was recorded: the snapshot's decoding is done now."""
    records = SCHEMA_TAIL["records"]
    assert records and all(not hasattr(r, "raw_value") for r in records)
    assert all(r.value[:1] == b"\x00" for r in records)
    assert Path(RECORDINGS / "schema_tail.json").is_file()
