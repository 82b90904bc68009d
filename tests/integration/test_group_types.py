"""Every group type of Kafka 4 against the real broker, compared with Kafka's
own tools: a share group (KIP-932) whose members are two of Kafka's console
share consumers and a KIP-848 consumer group whose member is Kafka's console
consumer with ``group.protocol=consumer`` (aiokafka speaks only the classic
protocol): the session's ``group_types`` (tests/group_types.py), started once.

Compared: ``kafka-share-groups --describe`` (``--members``, ``--state``,
``--offsets``, ``--verbose``) and its ``--reset-offsets --dry-run``;
``kafka-consumer-groups --describe`` (``--members --verbose``, ``--state
--verbose``) and ``--list --type``."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from dataclasses import replace

import pytest
from group_types import poll as _poll
from group_types import unique as _name
from streams_member import StreamsMember

from kview.core.cluster import ClusterClient
from kview.core.config import adhoc_profile
from kview.core.errors import KViewError, ReadOnlyError
from kview.core.groups import GroupService, ResetSpec
from kview.headless.schema import SCHEMAS
from kview.local.group_members import GroupMembers


@pytest.fixture
async def service(kafka):
    client = ClusterClient(adhoc_profile(kafka.bootstrap))
    s = GroupService(client)
    yield s
    await s.close()
    await client.close()


async def tool_rows(kafka, tool: str, *args: str) -> list[dict[str, str]]:
    """Rows of a table Kafka's group tools print (header line starts with GROUP;
    the fields hold no spaces)."""
    result = await asyncio.to_thread(kafka.run_tool, tool, *args)
    rows, header = [], None
    for line in result.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "GROUP":
            header = [f for f in fields if f != "(ID)"]
            header = [("COORDINATOR" if f == "COORDINATOR" else f) for f in header]
        elif header and fields:
            if "COORDINATOR" in header:
                # "127.0.0.1:port  (1)": the coordinator's host and id are two fields.
                fields = [fields[0], f"{fields[1]} {fields[2]}", *fields[3:]]
            rows.append(dict(zip(header, fields, strict=False)))
    return rows


def assignment_text(pairs) -> str:
    by_topic: dict[str, list[int]] = {}
    for topic, partition in pairs:
        by_topic.setdefault(topic, []).append(partition)
    return ";".join(f"{t}:{','.join(str(p) for p in sorted(ps))}" for t, ps in sorted(by_topic.items())) or "-"


async def settled(read_tool, read_kview, what: str):
    """Both sides equal: the groups' epochs move while members join, so read
    again (bounded) until one read of each agrees."""
    tool_view = kview_view = None
    for _ in range(8):
        tool_view = await read_tool()
        kview_view = await read_kview()
        if tool_view == kview_view:
            return tool_view
        await asyncio.sleep(1)
    assert kview_view == tool_view, what


# -- listing --------------------------------------------------------------------------------


async def test_list_shows_every_type(kafka, group_types, service):
    listed = {g.name: g for g in await service.list_groups()}
    assert listed[group_types.share].group_type == "share"
    assert listed[group_types.idle_share].group_type == "share"
    assert listed[group_types.group848].group_type == "consumer"
    share_list = await asyncio.to_thread(kafka.run_tool, "kafka-share-groups", "--list")
    tool_share = {line.strip() for line in share_list.stdout.splitlines() if line.strip()}
    assert {n for n, g in listed.items() if g.group_type == "share"} == tool_share
    typed = await tool_rows(kafka, "kafka-consumer-groups", "--list", "--type")
    tool_types = {r["GROUP"]: r["TYPE"].lower() for r in typed}
    assert tool_types[group_types.group848] == "consumer"
    for name, kind in tool_types.items():
        if name in listed:
            assert listed[name].group_type == kind, name


# -- share groups ---------------------------------------------------------------------------


async def test_share_group_members_state_and_offsets_equal_the_tool(kafka, group_types, service):
    name = group_types.share

    async def members_tool():
        rows = await tool_rows(kafka, "kafka-share-groups", "--describe", "--members", "--verbose", "--group", name)
        return sorted(
            (r["CONSUMER-ID"], r["CLIENT-ID"], int(r["MEMBER-EPOCH"]), r.get("ASSIGNMENT", "-")) for r in rows
        )

    async def members_kview():
        detail = await service.describe_group(name)
        return sorted((m.member_id, m.client_id, m.member_epoch, assignment_text(m.assignment)) for m in detail.members)

    shown = await settled(members_tool, members_kview, "share members")
    assert len(shown) == 2

    async def state_tool():
        (row,) = await tool_rows(kafka, "kafka-share-groups", "--describe", "--state", "--verbose", "--group", name)
        return row["STATE"], int(row["GROUP-EPOCH"]), int(row["ASSIGNMENT-EPOCH"]), int(row["#MEMBERS"])

    async def state_kview():
        g = (await service.refresh([name])).groups[0]
        return g.state, g.group_epoch, g.assignment_epoch, g.member_count

    state = await settled(state_tool, state_kview, "share state")
    assert state[0] == "Stable"

    async def offsets_tool():
        rows = await tool_rows(kafka, "kafka-share-groups", "--describe", "--offsets", "--group", name)
        return {(r["TOPIC"], int(r["PARTITION"])): (_number(r["START-OFFSET"]), _number(r["LAG"])) for r in rows}

    async def offsets_kview():
        detail = await service.describe_group(name)
        assert all(r.share and r.time_lag is None and r.readable is None for r in detail.partitions)
        return {(r.topic, r.partition): (r.committed, r.lag) for r in detail.partitions}

    offsets = await settled(offsets_tool, offsets_kview, "share offsets")
    assert set(offsets) == {(group_types.share_topic, p) for p in range(3)}
    summary = (await service.refresh([name])).groups[0]
    assert summary.kind == "share" and summary.total_lag == sum(lag for _, lag in offsets.values())


async def test_share_reset_preview_equals_the_dry_run_then_applies(kafka, group_types, service):
    name, topic = group_types.idle_share, group_types.share_topic
    await _poll(lambda: _empty(service, name), "the idle share group to be empty (its member stopped)", timeout=60)
    for spec, args in (
        (ResetSpec("earliest", topic=topic), ("--to-earliest",)),
        (ResetSpec("latest", topic=topic), ("--to-latest",)),
        (ResetSpec("datetime", 0, topic=topic), ("--to-datetime", "1970-01-01T00:00:00.000")),
    ):
        dry = await tool_rows(
            kafka, "kafka-share-groups", "--reset-offsets", "--group", name, "--topic", topic, *args, "--dry-run"
        )
        rows = await service.preview_share_reset(name, spec)
        assert {(r.topic, r.partition): r.new for r in rows} == {
            (r["TOPIC"], int(r["PARTITION"])): int(r["NEW-OFFSET"]) for r in dry
        }, spec
    with pytest.raises(KViewError, match="start offsets reset to"):
        await service.preview_share_reset(name, ResetSpec("shift", -1, topic=topic))
    # Applied, the tool sees the new start offsets.
    applied = await service.apply_share_reset(name, ResetSpec("earliest", topic=topic))
    rows = await tool_rows(kafka, "kafka-share-groups", "--describe", "--offsets", "--group", name)
    assert {(r["TOPIC"], int(r["PARTITION"])): int(r["START-OFFSET"]) for r in rows} == {
        (r.topic, r.partition): r.new for r in applied
    }


def _number(text: str) -> int | None:
    """The tool prints ``-`` where a share-partition has no state yet."""
    return None if text == "-" else int(text)


async def _empty(service: GroupService, name: str) -> bool:
    g = (await service.refresh([name])).groups[0]
    return g.member_count == 0 and g.state == "Empty"


async def test_share_writes_are_refused_in_read_only_mode_and_active_groups_are_kept(kafka, group_types):
    client = ClusterClient(replace(adhoc_profile(kafka.bootstrap), read_only=True))
    read_only = GroupService(client)
    try:
        with pytest.raises(ReadOnlyError):
            await read_only.apply_share_reset(group_types.share, ResetSpec("earliest"))
        with pytest.raises(ReadOnlyError):
            await read_only.delete_group(group_types.share)
    finally:
        await read_only.close()
        await client.close()
    writer = ClusterClient(adhoc_profile(kafka.bootstrap))
    service = GroupService(writer)
    try:
        with pytest.raises(KViewError, match="active member"):
            await service.apply_share_reset(group_types.share, ResetSpec("earliest"))
    finally:
        await service.close()
        await writer.close()
    rows = await tool_rows(kafka, "kafka-share-groups", "--describe", "--state", "--group", group_types.share)
    assert rows and rows[0]["#MEMBERS"] == "2"


async def test_delete_an_empty_share_group(kafka, group_types, service):
    # A share group of its own: the reset test reads the idle one.
    name = _name("shdel")
    members = GroupMembers(kafka)
    members.share_consumer(group_types.share_topic, name)
    try:
        await _poll(lambda: _has_members(service, name), "the share consumer to join", timeout=120)
    finally:
        await asyncio.to_thread(members.stop)
    await _poll(lambda: _empty(service, name), "the share group to empty", timeout=60)
    await service.delete_group(name)
    listed = await asyncio.to_thread(kafka.run_tool, "kafka-share-groups", "--list")
    assert name not in listed.stdout.split()


async def _has_members(service: GroupService, name: str) -> bool:
    return (await service.refresh([name])).groups[0].member_count > 0


# -- KIP-848 consumer groups ----------------------------------------------------------------


async def test_consumer_group_members_and_state_equal_the_tool(kafka, group_types, service):
    name = group_types.group848

    async def members_tool():
        rows = await tool_rows(kafka, "kafka-consumer-groups", "--describe", "--members", "--verbose", "--group", name)
        return sorted(
            (
                r["CONSUMER-ID"],
                r["CLIENT-ID"],
                int(r["CURRENT-EPOCH"]),
                r["CURRENT-ASSIGNMENT"],
                r["TARGET-ASSIGNMENT"],
            )
            for r in rows
        )

    async def members_kview():
        detail = await service.describe_group(name)
        return sorted(
            (
                m.member_id,
                m.client_id,
                m.member_epoch,
                assignment_text(m.assignment),
                assignment_text(m.target_assignment or ()),
            )
            for m in detail.members
        )

    (member,) = await settled(members_tool, members_kview, "KIP-848 members")
    assert member[3] == member[4] == assignment_text((group_types.topic848, p) for p in range(4))

    async def state_tool():
        (row,) = await tool_rows(kafka, "kafka-consumer-groups", "--describe", "--state", "--verbose", "--group", name)
        return (
            row["ASSIGNMENT-STRATEGY"],
            row["STATE"],
            int(row["GROUP-EPOCH"]),
            int(row["TARGET-ASSIGNMENT-EPOCH"]),
            int(row["#MEMBERS"]),
        )

    async def state_kview():
        g = (await service.refresh([name])).groups[0]
        return g.assignor, g.state, g.group_epoch, g.assignment_epoch, g.member_count

    state = await settled(state_tool, state_kview, "KIP-848 state")
    assert state[1] == "Stable"

    async def rows_tool():
        rows = await tool_rows(kafka, "kafka-consumer-groups", "--describe", "--group", name)
        return {(r["TOPIC"], int(r["PARTITION"])): (r["CURRENT-OFFSET"], r["LAG"], r["CONSUMER-ID"]) for r in rows}

    async def rows_kview():
        detail = await service.describe_group(name)
        return {
            (r.topic, r.partition): (str(r.committed) if r.committed is not None else "-", str(r.lag), r.consumer_id)
            for r in detail.partitions
        }

    await settled(rows_tool, rows_kview, "KIP-848 describe rows")


# -- headless ---------------------------------------------------------------------------------


def _kview_json(kafka, *args: str) -> dict:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "kview.cli", *args, "--bootstrap", kafka.bootstrap, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


async def test_headless_groups_group_and_lag_cover_every_type(kafka, group_types):
    from jsonschema import validate

    listing = await asyncio.to_thread(_kview_json, kafka, "groups", "--type", "share,consumer")
    validate(listing, SCHEMAS["groups"])
    types = {g["name"]: g["type"] for g in listing["groups"]}
    assert types[group_types.share] == "share" and types[group_types.group848] == "consumer"
    assert set(types.values()) <= {"share", "consumer"}
    assert listing["totals"]["share"] >= 2 and listing["totals"]["consumer"] >= 1

    share = await asyncio.to_thread(_kview_json, kafka, "group", group_types.share)
    validate(share, SCHEMAS["group"])
    assert share["type"] == "share" and share["readable"] is None and share["time_lag"] is None
    assert all(p["committed_offset"] is None and p["start_offset"] is not None for p in share["partitions"])
    assert {m["member_epoch"] is not None for m in share["members"]} == {True}

    modern = await asyncio.to_thread(_kview_json, kafka, "group", group_types.group848)
    validate(modern, SCHEMAS["group"])
    assert modern["group_epoch"] is not None and modern["members"][0]["target_assignment"] is not None

    lag = await asyncio.to_thread(_kview_json, kafka, "lag", "--type", "share", "--min-lag", "0")
    validate(lag, SCHEMAS["lag"])
    assert lag["criteria"]["types"] == ["share"]
    assert {g["type"] for g in lag["groups"]} == {"share"}
    assert group_types.share in {g["name"] for g in lag["groups"]}


# -- streams groups -------------------------------------------------------------------------


async def test_streams_group_describe_equals_the_tool(kafka, service):
    """A streams group made by a member that heartbeats for itself (no Kafka
    Streams library in the jars), compared with kafka-streams-groups."""
    topic, name = _name("stt"), _name("stg")
    await asyncio.to_thread(kafka.run_tool, "kafka-topics", "--create", "--topic", topic, "--partitions", "2")
    member = StreamsMember(
        service.client, await service.coordinator(name), name, topic, find=lambda: service.coordinator(name)
    )
    await member.join(2, rounds=6)
    try:
        listed = {g.name: g for g in await service.list_groups()}
        assert listed[name].group_type == "streams"

        async def members_tool():
            result = await asyncio.to_thread(
                kafka.run_tool, "kafka-streams-groups", "--describe", "--members", "--verbose", "--group", name
            )
            rows = []
            for line in result.stdout.splitlines():
                fields = line.split()
                if fields and fields[0] == name:
                    target = re.search(r"TARGET-ACTIVE: (\S+);", line)
                    rows.append((fields[3], int(fields[5]), fields[6], fields[7], target.group(1) if target else "-"))
            return sorted(rows)

        async def members_kview():
            detail = await service.describe_group(name)
            return sorted(
                (m.member_id, m.member_epoch, m.process_id, m.client_id, _tasks_text(m.target_tasks or ()))
                for m in detail.members
            )

        (shown,) = await settled(members_tool, members_kview, "streams members")
        assert shown[0] == member.member_id and shown[2] == member.process_id

        async def state_tool():
            (row,) = await tool_rows(
                kafka, "kafka-streams-groups", "--describe", "--state", "--verbose", "--group", name
            )
            return row["STATE"], int(row["GROUP-EPOCH"]), int(row["TARGET-ASSIGNMENT-EPOCH"]), int(row["#MEMBERS"])

        async def state_kview():
            g = (await service.refresh([name])).groups[0]
            return g.state, g.group_epoch, g.assignment_epoch, g.member_count

        await settled(state_tool, state_kview, "streams state")
        detail = await service.describe_group(name)
        assert detail.summary.kind == "streams"
        assert detail.summary.subtopologies == (("0", (topic,)),)
    finally:
        await member.leave()


def _tasks_text(tasks) -> str:
    """``0:[0,1]``: tasks by subtopology, as kafka-streams-groups prints them."""
    by_sub: dict[str, list[int]] = {}
    for task in tasks:
        sub, _, partition = task.rpartition("_")
        by_sub.setdefault(sub, []).append(int(partition))
    return ";".join(f"{s}:[{','.join(str(p) for p in sorted(ps))}]" for s, ps in sorted(by_sub.items())) or "-"
