"""The Access pane (key 8) driven by keys at 80x24 on the broker with the
StandardAuthorizer (conftest's ``access_cluster``): ACLs, users and quotas
as Kafka's tools list them; a binding created and deleted through the form
with its preview; a user created with the password typed twice; writes
refused in read-only mode; a principal without cluster rights told so in
each view; the topic detail's ``A``.  Results are checked with Kafka's tools."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

import pytest
from screen_text import screen_text, wait_for

from kview.app import make_app
from kview.core.config import Config

pytestmark = pytest.mark.timeout(300)

SIZE = (80, 24)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def tool(cluster, name: str, *args: str) -> str:
    return cluster.cluster.run_tool(name, *args).stdout


def listed_acls(cluster, *args: str) -> set[tuple[str, ...]]:
    out = tool(cluster, "kafka-acls", "--list", *args)
    found, resource = set(), None
    for line in out.splitlines():
        if m := re.search(r"resourceType=(\w+), name=(.*), patternType=(\w+)\)", line):
            resource = m.groups()
        elif (m := re.search(r"principal=(.+), host=(.+), operation=(\w+), permissionType=(\w+)\)", line)) and resource:
            found.add((*resource, *m.groups()))
    return found


def app_for(cluster, user: str = "admin", *, read_only: bool = False):
    profile = cluster.profile("SCRAM512", username=user)
    profile = replace(profile, refresh_interval=0.5, read_only=read_only)
    return make_app(Config(clusters={"secured": profile}, default_cluster="secured"), profile)


async def open_access(app, pilot) -> None:
    await wait_for(pilot, lambda: app.connection.connected, timeout=60, what="connected")
    await pilot.press("8")
    await wait_for(pilot, lambda: app.active_pane_id == "access", what="access pane")
    await wait_for(pilot, lambda: app.active_pane().snapshot is not None, timeout=30, what="first refresh")


def shown(app) -> str:
    return screen_text(app, flat=True)


async def test_acls_listed_created_and_deleted_with_a_preview(access_cluster):
    principal, topic = f"User:{unique('ui')}", unique("ui-topic")
    tool(
        access_cluster, "kafka-acls", "--add", "--allow-principal", principal, "--operation", "Write", "--topic", topic
    )
    app = app_for(access_cluster)
    async with app.run_test(size=SIZE) as pilot:
        await open_access(app, pilot)
        pane = app.active_pane()
        await pilot.press("slash", *principal, "enter")
        await wait_for(pilot, lambda: pane.table_of("acls").row_count == 1, what="filtered to the binding")
        text = shown(app)
        for field in ("ACLs", "SCRAM users", "Client quotas", "ALLOW", "WRITE", "TOPIC", "LITERAL"):
            assert field in text, field
        assert f"1 of {pane.table_of('acls').row_count}" in text or "1 bindings" in text, screen_text(app)
        assert f"filter '{principal}'" in text and topic in text

        # n: the form, a preview of what will be added, then created.
        await pilot.press("n")
        await wait_for(pilot, lambda: "New ACL binding" in shown(app), what="the form")
        form = app.screen
        form.query_one("#acl-principal").value = principal
        form.query_one("#acl-operations").value = "READ,WRITE"
        form.query_one("#acl-resource_name").value = topic
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Will change:" in shown(app), what="preview")
        text = shown(app)
        assert f"+ {principal} from *: ALLOW READ on TOPIC LITERAL '{topic}'" in text
        assert "(exists already)" in text  # WRITE was there: no change for it
        assert listed_acls(access_cluster, "--principal", principal) == {
            ("TOPIC", topic, "LITERAL", principal, "*", "WRITE", "ALLOW")
        }  # nothing sent yet
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="form closed")
        assert ("TOPIC", topic, "LITERAL", principal, "*", "READ", "ALLOW") in listed_acls(
            access_cluster, "--principal", principal
        )
        await wait_for(pilot, lambda: pane.table_of("acls").row_count == 2, what="refreshed")

        # d on the selected row: what goes, confirmed, gone.
        await pilot.press("d")
        await wait_for(pilot, lambda: "Delete this ACL binding?" in shown(app), what="confirm")
        assert f"- {principal} from *: ALLOW" in shown(app)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: len(listed_acls(access_cluster, "--principal", principal)) == 1, what="deleted")


async def test_users_and_quotas_views_and_a_new_user(access_cluster):
    user = unique("ui-user")
    client_id = unique("ui-client")
    tool(
        access_cluster,
        "kafka-configs",
        "--alter",
        "--add-config",
        "request_percentage=25",
        "--entity-type",
        "clients",
        "--entity-name",
        client_id,
    )
    password = "pw-" + uuid.uuid4().hex
    app = app_for(access_cluster)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await open_access(app, pilot)
            pane = app.active_pane()
            await pilot.press("v")
            await wait_for(pilot, lambda: "Mechanisms" in shown(app), what="users view")
            assert "admin" in shown(app) and "SCRAM-SHA-512 (4096)" in shown(app)
            await pilot.press("n")
            await wait_for(pilot, lambda: "New SCRAM user" in shown(app), what="user form")
            await pilot.press(*user, "tab", *password, "tab", *password[:-1], "x", "ctrl+s")
            await wait_for(pilot, lambda: "the two passwords differ" in shown(app), what="mismatch said")
            assert password not in shown(app)
            form = app.screen
            form.query_one("#pw-again").value = password
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="form closed")
            out = tool(access_cluster, "kafka-configs", "--describe", "--entity-type", "users", "--entity-name", user)
            assert "SCRAM-SHA-512=iterations=4096" in out
            await wait_for(pilot, lambda: pane.table_of("users").row_count >= 3, what="user listed")
            assert password not in shown(app)

            await pilot.press("v")
            await wait_for(pilot, lambda: "Entity" in shown(app) and client_id in shown(app), what="quotas view")
            assert "request_percentage=25" in shown(app)
    finally:
        tool(
            access_cluster,
            "kafka-configs",
            "--alter",
            "--delete-config",
            "request_percentage",
            "--entity-type",
            "clients",
            "--entity-name",
            client_id,
        )
        access_cluster.cluster.run_tool(
            "kafka-configs",
            "--alter",
            "--delete-config",
            "SCRAM-SHA-512",
            "--entity-type",
            "users",
            "--entity-name",
            user,
            check=False,
        )


async def test_writes_refused_in_read_only_mode(access_cluster):
    from kview.core.readonly import refuse_message

    app = app_for(access_cluster, read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_access(app, pilot)
        await wait_for(pilot, lambda: app.active_pane().table_of("users").row_count >= 2, what="users listed")
        expected = [
            ("create ACLs", "delete ACLs"),
            ("set SCRAM password", "delete SCRAM user"),
            ("set client quota", "remove client quota"),
        ]
        for actions in expected:
            for key, action in zip(("n", "d"), actions, strict=True):
                await pilot.press(key)
                said = refuse_message(action)
                await wait_for(pilot, lambda said=said: any(n.message == said for n in app._notifications), what=said)
                assert app.screen is app.screen_stack[0], f"{key} opened a form in read-only mode"
            await pilot.press("v")


async def test_a_principal_without_rights_sees_why_each_view_is_empty(access_cluster):
    app = app_for(access_cluster, "limited")
    async with app.run_test(size=SIZE) as pilot:
        await open_access(app, pilot)
        await wait_for(pilot, lambda: "not authorised to describe ACLs" in shown(app), what="ACLs denied")
        text = shown(app)
        assert "ACLs denied" in text and "SCRAM users denied" in text and "Client quotas denied" in text
        assert "User:limited may not see it" in text
        await pilot.press("v")
        await wait_for(pilot, lambda: "not authorised to describe SCRAM users" in shown(app), what="users denied")
        await pilot.press("v")
        await wait_for(pilot, lambda: "not authorised to describe client quotas" in shown(app), what="quotas denied")


async def test_topic_detail_opens_its_acls(access_cluster):
    topic = unique("ui-detail")
    tool(access_cluster, "kafka-topics", "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1")
    tool(
        access_cluster,
        "kafka-acls",
        "--add",
        "--allow-principal",
        "User:reader-x",
        "--operation",
        "Read",
        "--topic",
        topic[:7],
        "--resource-pattern-type",
        "prefixed",
    )
    group = unique("ui-detail-group")
    tool(
        access_cluster,
        "kafka-consumer-groups",
        "--reset-offsets",
        "--group",
        group,
        "--topic",
        topic,
        "--to-earliest",
        "--execute",
    )
    tool(
        access_cluster,
        "kafka-acls",
        "--add",
        "--allow-principal",
        "User:g-r",
        "--operation",
        "Read",
        "--group",
        group,
    )
    app = app_for(access_cluster)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: app.snapshot is not None and app.snapshot.metadata.topic(topic), timeout=60, what="snapshot"
        )
        from kview.ui.messages import OpenTopic

        app.post_message(OpenTopic(topic))
        await wait_for(pilot, lambda: app.active_pane_id == "topic-detail", what="topic detail")
        await pilot.press("A")
        await wait_for(pilot, lambda: app.active_pane_id == "access", what="access pane")
        await wait_for(pilot, lambda: f"applying to TOPIC '{topic}'" in shown(app), what="scoped")
        await wait_for(
            pilot, lambda: "User:reader-x" in shown(app) and "PREFIXED" in shown(app), what="the prefixed binding"
        )
        theirs = listed_acls(access_cluster, "--topic", topic, "--resource-pattern-type", "match")
        assert app.active_pane().table_of("acls").row_count == len(theirs)

        # The group detail's A: the same for a group.
        from kview.ui.messages import OpenGroup

        app.post_message(OpenGroup(group))
        await wait_for(pilot, lambda: app.active_pane_id == "group-detail", what="group detail")
        await pilot.press("A")
        await wait_for(pilot, lambda: f"applying to GROUP '{group}'" in shown(app), what="scoped to the group")
        await wait_for(pilot, lambda: "User:g-r" in shown(app), what="the group's binding")
        theirs = listed_acls(access_cluster, "--group", group, "--resource-pattern-type", "match")
        assert app.active_pane().table_of("acls").row_count == len(theirs) == 1
