"""ACLs, SCRAM users and client quotas against a real broker running KRaft's
StandardAuthorizer with SASL/SCRAM, compared with ``kafka-acls --list`` and
``kafka-configs --describe``; what a principal without rights is told; and
no password anywhere in logs, messages or reprs.

One secured broker with the authorizer (conftest's ``access_cluster``) is
shared with the Access pane's tests.  Its
``admin`` is a super user; ``limited`` has only the ACLs a test gives it;
Kafka's tools run as the harness's super user over the plain listener.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import uuid

import pytest

from kview.core.access import AccessService, AclFilter, entity_text, new_binding
from kview.core.cluster import ClusterClient
from kview.core.config import Secret
from kview.core.errors import ClusterUnavailable, KViewError
from kview.core.groups import GroupService
from kview.core.logs import setup_logging, stop_logging

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def secure(access_cluster):
    return access_cluster


def _client(secure, user: str = "admin", password: str | None = None) -> ClusterClient:
    return ClusterClient(secure.profile("SCRAM512", username=user, password=password))


@pytest.fixture
async def admin(secure):
    client = _client(secure)
    yield AccessService(client)
    await client.close()


def tool(secure, name: str, *args: str) -> str:
    return secure.cluster.run_tool(name, *args).stdout


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# -- what Kafka's tools print ------------------------------------------------------------

_ACL_RESOURCE = re.compile(r"ResourcePattern\(resourceType=(\w+), name=(.*), patternType=(\w+)\)`:")
_ACL_ENTRY = re.compile(r"\(principal=(.+), host=(.+), operation=(\w+), permissionType=(\w+)\)")


def parse_acls(out: str) -> set[tuple[str, ...]]:
    """``kafka-acls --list`` -> {(type, name, pattern, principal, host, operation, permission)}."""
    found: set[tuple[str, ...]] = set()
    resource: tuple[str, ...] | None = None
    for line in out.splitlines():
        if m := _ACL_RESOURCE.search(line):
            resource = m.groups()
        elif (m := _ACL_ENTRY.search(line)) and resource is not None:
            found.add((*resource, *m.groups()))
    return found


def as_tuples(bindings) -> set[tuple[str, ...]]:
    return {
        (b.resource_type, b.resource_name, b.pattern_type, b.principal, b.host, b.operation, b.permission)
        for b in bindings
    }


_SCRAM_LINE = re.compile(r"SCRAM credential configs for user-principal '(.+)' are (.*)$")
_QUOTA_LINE = re.compile(r"Quota configs for (.+) are (.*)$")


def parse_scram(out: str) -> dict[str, set[tuple[str, int]]]:
    users: dict[str, set[tuple[str, int]]] = {}
    for line in out.splitlines():
        if m := _SCRAM_LINE.match(line.strip()):
            creds = {(k, int(v.split("=")[1])) for k, v in (part.split("=", 1) for part in m.group(2).split(", "))}
            users[m.group(1)] = creds
    return users


def _entity(text: str) -> str:
    """``user-principal 'a', client-id 'b'`` / ``the default ip`` -> kview's entity text."""
    kinds = {"user-principal": "user", "client-id": "client-id", "ip": "ip"}
    parts = []
    for piece in text.split(", "):
        piece = piece.strip()
        if piece.startswith("the default "):
            parts.append((kinds[piece.removeprefix("the default ")], None))
        else:
            kind, _, name = piece.partition(" ")
            parts.append((kinds[kind], name.strip("'")))
    return entity_text(tuple(sorted(parts)))


def parse_quotas(out: str) -> dict[str, dict[str, float]]:
    quotas: dict[str, dict[str, float]] = {}
    for line in out.splitlines():
        if m := _QUOTA_LINE.match(line.strip()):
            values = dict(part.split("=", 1) for part in m.group(2).split(", ") if part)
            quotas[_entity(m.group(1))] = {k: float(v) for k, v in values.items()}
    return quotas


# -- ACLs --------------------------------------------------------------------------------


async def test_acls_are_what_kafka_acls_lists(secure, admin):
    principal, topic, group = f"User:{unique('p')}", unique("acl-topic"), unique("acl-group")
    tool(
        secure,
        "kafka-acls",
        "--add",
        "--allow-principal",
        principal,
        "--operation",
        "Read",
        "--operation",
        "Describe",
        "--topic",
        topic,
    )
    tool(
        secure,
        "kafka-acls",
        "--add",
        "--deny-principal",
        principal,
        "--deny-host",
        "10.0.0.7",
        "--operation",
        "Write",
        "--topic",
        topic,
    )
    tool(
        secure,
        "kafka-acls",
        "--add",
        "--allow-principal",
        principal,
        "--operation",
        "Read",
        "--group",
        group[:8],
        "--resource-pattern-type",
        "prefixed",
    )
    tool(secure, "kafka-acls", "--add", "--allow-principal", principal, "--operation", "Describe", "--cluster")
    listed = parse_acls(tool(secure, "kafka-acls", "--list", "--principal", principal))
    assert len(listed) == 5
    assert as_tuples(await admin.acls(AclFilter(principal=principal))) == listed
    everything = as_tuples(await admin.acls())
    assert everything == parse_acls(tool(secure, "kafka-acls", "--list")) and listed <= everything

    # A topic's ACLs: every binding that applies to it (literal, '*', prefixes), as kafka-acls matches.
    tool(
        secure,
        "kafka-acls",
        "--add",
        "--allow-principal",
        principal,
        "--operation",
        "Describe",
        "--topic",
        topic[:6],
        "--resource-pattern-type",
        "prefixed",
    )
    mine = as_tuples(await admin.acls(AclFilter(resource_type="TOPIC", resource_name=topic, pattern_type="MATCH")))
    theirs = parse_acls(tool(secure, "kafka-acls", "--list", "--topic", topic, "--resource-pattern-type", "match"))
    assert mine == theirs and {t[2] for t in mine} == {"LITERAL", "PREFIXED"}
    group_acls = as_tuples(
        await admin.acls(AclFilter(resource_type="GROUP", resource_name=group, pattern_type="MATCH"))
    )
    assert group_acls == parse_acls(
        tool(secure, "kafka-acls", "--list", "--group", group, "--resource-pattern-type", "match")
    )
    assert len(group_acls) >= 1


async def test_create_and_delete_bindings_with_a_preview(secure, admin):
    principal, topic = f"User:{unique('c')}", unique("create-topic")
    bindings = [
        new_binding(principal=principal, operation=op, resource_type="topic", resource_name=topic)
        for op in ("read", "describe")
    ]
    plan = await admin.plan_create(bindings)
    assert set(plan.add) == set(bindings) and not plan.present and not plan.remove
    assert await admin.create_acls(bindings) == 2
    listed = parse_acls(tool(secure, "kafka-acls", "--list", "--principal", principal))
    assert listed == as_tuples(bindings)
    again = await admin.plan_create(bindings)
    assert not again.add and set(again.present) == set(bindings) and again.empty

    # Deleting one binding by its exact filter leaves the other.
    plan = await admin.plan_delete([bindings[0].as_filter()])
    assert plan.remove == (bindings[0],)
    assert plan.lines() == [f"- {bindings[0].text()}"]
    assert await admin.delete_acls([bindings[0].as_filter()]) == (bindings[0],)
    assert parse_acls(tool(secure, "kafka-acls", "--list", "--principal", principal)) == as_tuples(bindings[1:])
    assert await admin.delete_acls([AclFilter(principal=principal)]) == (bindings[1],)
    assert parse_acls(tool(secure, "kafka-acls", "--list", "--principal", principal)) == set()


# -- SCRAM users -------------------------------------------------------------------------


async def test_users_are_what_kafka_configs_describes(secure, admin):
    users = {u.name: {(c.mechanism, c.iterations) for c in u.credentials} for u in await admin.users()}
    assert users == parse_scram(tool(secure, "kafka-configs", "--describe", "--entity-type", "users"))
    assert {"admin", "limited"} <= set(users)
    (one,) = await admin.users(["limited"])
    assert one.mechanisms == ("SCRAM-SHA-256", "SCRAM-SHA-512")


async def _can_log_in(secure, user: str, password: str) -> bool:
    client = _client(secure, user, password)
    try:
        await client.start()
        return bool((await client.metadata()).brokers)
    except ClusterUnavailable:
        return False
    finally:
        await client.close()


async def test_create_change_and_delete_a_user_without_leaking_the_password(secure, admin, tmp_path, caplog):
    user = unique("u")
    first, second = "first-" + uuid.uuid4().hex, "second-" + uuid.uuid4().hex
    log_file = setup_logging(debug=True)
    caplog.set_level(logging.DEBUG)
    try:
        await admin.set_password(user, Secret(first), ["SCRAM-SHA-512", "SCRAM-SHA-256"], iterations=8192)
        described = parse_scram(
            tool(secure, "kafka-configs", "--describe", "--entity-type", "users", "--entity-name", user)
        )
        assert described == {user: {("SCRAM-SHA-512", 8192), ("SCRAM-SHA-256", 8192)}}
        assert await _can_log_in(secure, user, first)

        await admin.set_password(user, Secret(second), ["SCRAM-SHA-512"])
        assert not await _can_log_in(secure, user, first)
        assert await _can_log_in(secure, user, second)

        assert set(await admin.delete_user(user)) == {"SCRAM-SHA-256", "SCRAM-SHA-512"}
        out = tool(secure, "kafka-configs", "--describe", "--entity-type", "users", "--entity-name", user)
        assert user not in parse_scram(out)
        with pytest.raises(KViewError, match="has no SCRAM credentials"):
            await admin.users([user])
    finally:
        stop_logging()
    logged = log_file.read_text() + caplog.text
    assert "AlterUserScramCredentials" in logged  # the requests were logged, at debug level
    for password in (first, second):
        assert password not in logged
    assert "salted_password=b" not in logged and "salt=b" not in logged


async def test_bad_password_input_is_refused_in_words(admin):
    with pytest.raises(KViewError, match="iterations must be 4096 to 16384"):
        await admin.set_password("someone", Secret("pw"), iterations=10)
    with pytest.raises(KViewError, match="the password is empty"):
        await admin.set_password("someone", Secret(""))
    with pytest.raises(KViewError, match="unknown mechanism"):
        await admin.set_password("someone", Secret("pw"), ["SCRAM-MD5"])


# -- client quotas -----------------------------------------------------------------------


def _describe_quotas(secure) -> dict[str, dict[str, float]]:
    out = ""
    for kind in ("users", "clients", "ips"):
        out += tool(secure, "kafka-configs", "--describe", "--entity-type", kind) + "\n"
    return parse_quotas(out)


async def test_quotas_are_what_kafka_configs_describes(secure, admin):
    user, client, ip = unique("qu"), unique("qc"), "10.9.8.7"
    configs = [
        (["--entity-type", "users", "--entity-name", user], "producer_byte_rate=1024,consumer_byte_rate=2048"),
        (["--entity-type", "clients", "--entity-name", client], "request_percentage=50"),
        (["--entity-type", "ips", "--entity-name", ip], "connection_creation_rate=10"),
        (["--entity-type", "users", "--entity-default"], "producer_byte_rate=4096"),
        (["--entity-type", "clients", "--entity-default"], "consumer_byte_rate=999"),
        (["--entity-type", "ips", "--entity-default"], "connection_creation_rate=20"),
        (
            ["--entity-type", "users", "--entity-name", user, "--entity-type", "clients", "--entity-name", client],
            "producer_byte_rate=512",
        ),
    ]
    for entity, config in configs:
        tool(secure, "kafka-configs", "--alter", "--add-config", config, *entity)
    try:
        theirs = _describe_quotas(secure)
        pair = tool(
            secure,
            "kafka-configs",
            "--describe",
            "--entity-type",
            "users",
            "--entity-name",
            user,
            "--entity-type",
            "clients",
        )
        theirs.update(parse_quotas(pair))
        mine = {e.key: dict(e.values) for e in await admin.quotas()}
        assert mine == theirs
        for key in (
            f"user={user}",
            "user=<default>",
            f"client-id={client}",
            "client-id=<default>",
            f"ip={ip}",
            "ip=<default>",
            f"client-id={client}, user={user}",
        ):
            assert key in mine
        by_type = {e.key for e in await admin.quotas("ip")}
        assert by_type == {k for k in theirs if k.startswith("ip=")}
    finally:
        for entity, config in configs:
            keys = ",".join(part.split("=")[0] for part in config.split(","))
            tool(secure, "kafka-configs", "--alter", "--delete-config", keys, *entity)


async def test_set_and_remove_quotas(secure, admin):
    user = unique("sq")
    entity = (("user", user),)
    await admin.set_quota(entity, "consumer_byte_rate", 4096)
    await admin.set_quota(entity, "producer_byte_rate", 2048)
    out = tool(secure, "kafka-configs", "--describe", "--entity-type", "users", "--entity-name", user)
    assert parse_quotas(out) == {f"user={user}": {"consumer_byte_rate": 4096.0, "producer_byte_rate": 2048.0}}
    await admin.remove_quota(entity, ["consumer_byte_rate"])
    out = tool(secure, "kafka-configs", "--describe", "--entity-type", "users", "--entity-name", user)
    assert parse_quotas(out) == {f"user={user}": {"producer_byte_rate": 2048.0}}
    await admin.remove_quota(entity, ["producer_byte_rate"])
    out = tool(secure, "kafka-configs", "--describe", "--entity-type", "users", "--entity-name", user)
    assert parse_quotas(out) == {}
    with pytest.raises(KViewError, match="unknown quota"):
        await admin.set_quota(entity, "bytes_per_fortnight", 1)


# -- a principal with few rights ---------------------------------------------------------


async def test_a_principal_without_cluster_describe_is_told_so_and_sees_what_it_may(secure):
    topic, hidden, group, denied_group = (
        unique("lim-topic"),
        unique("lim-hidden"),
        unique("lim-group"),
        unique("lim-secret"),
    )
    for name in (topic, hidden):
        tool(secure, "kafka-topics", "--create", "--topic", name, "--partitions", "1", "--replication-factor", "1")
    tool(
        secure,
        "kafka-acls",
        "--add",
        "--allow-principal",
        "User:limited",
        "--operation",
        "Describe",
        "--operation",
        "Read",
        "--topic",
        topic,
    )
    tool(
        secure,
        "kafka-acls",
        "--add",
        "--allow-principal",
        "User:limited",
        "--operation",
        "Describe",
        "--operation",
        "Read",
        "--group",
        group,
    )
    tool(
        secure,
        "kafka-acls",
        "--add",
        "--deny-principal",
        "User:limited",
        "--operation",
        "Describe",
        "--group",
        denied_group,
    )
    # Both groups exist: committed by the super user.
    for name in (group, denied_group):
        tool(
            secure,
            "kafka-consumer-groups",
            "--reset-offsets",
            "--group",
            name,
            "--topic",
            topic,
            "--to-earliest",
            "--execute",
        )

    client = _client(secure, "limited", secure.scram_users["limited"])
    groups = GroupService(client)
    try:
        access = AccessService(client)
        snapshot = await access.snapshot()
        assert snapshot.acls.denied == "not authorised to describe ACLs (needs DESCRIBE on the cluster)"
        assert snapshot.users.denied == "not authorised to describe SCRAM users (needs DESCRIBE on the cluster)"
        assert (
            snapshot.quotas.denied == "not authorised to describe client quotas (needs DESCRIBE_CONFIGS on the cluster)"
        )
        assert snapshot.principal == "User:limited"
        # What it may see, it sees: its topic (not the other), its group.
        names = {t.name for t in (await client.metadata()).topics}
        assert topic in names and hidden not in names
        listed = {g.name for g in await groups.list_groups()}
        assert group in listed and denied_group not in listed
        detail = await groups.describe_group(group)
        assert detail.summary.name == group and detail.summary.error is None
        # The group it is denied: said so, by name, not an empty answer.
        with pytest.raises(KViewError) as info:
            await groups.describe_group(denied_group)
        text = str(info.value)
        assert text == f"group '{denied_group}': not authorised to describe the group (GroupAuthorizationFailed)"
    finally:
        await groups.close()
        await client.close()


# -- headless ----------------------------------------------------------------------------


def _kview(secure, user: str, password: str, *args: str, tmp_path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / f"kview-{user}.yaml"
    config.write_text(
        "clusters:\n"
        "  secured:\n"
        f"    bootstrap: {secure.bootstrap('SCRAM512')}\n"
        "    security:\n"
        "      protocol: SASL_PLAINTEXT\n"
        "      sasl_mechanism: SCRAM-SHA-512\n"
        f"      username: {user}\n"
        "      password: ${KVIEW_TEST_ACCESS_PASSWORD}\n"
    )
    env = {"KVIEW_CONFIG": str(config), "KVIEW_TEST_ACCESS_PASSWORD": password, "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args, "--cluster", "secured"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_headless_access_commands(secure, tmp_path):
    import jsonschema

    from kview.headless.schema import SCHEMAS

    principal, topic = f"User:{unique('h')}", unique("h-topic")
    tool(secure, "kafka-acls", "--add", "--allow-principal", principal, "--operation", "Read", "--topic", topic)
    result = _kview(secure, "admin", secure.scram_users["admin"], "acls", "--topic", topic, "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMAS["acls"]).validate(doc)
    got = {
        (
            a["resource_type"],
            a["resource_name"],
            a["pattern_type"],
            a["principal"],
            a["host"],
            a["operation"],
            a["permission"],
        )
        for a in doc["acls"]
    }
    assert got == parse_acls(tool(secure, "kafka-acls", "--list", "--topic", topic, "--resource-pattern-type", "match"))

    result = _kview(secure, "admin", secure.scram_users["admin"], "users", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMAS["users"]).validate(doc)
    got_users = {u["user"]: {(c["mechanism"], c["iterations"]) for c in u["credentials"]} for u in doc["users"]}
    assert got_users == parse_scram(tool(secure, "kafka-configs", "--describe", "--entity-type", "users"))

    result = _kview(secure, "admin", secure.scram_users["admin"], "quotas", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    jsonschema.Draft202012Validator(SCHEMAS["quotas"]).validate(json.loads(result.stdout))

    table = _kview(secure, "admin", secure.scram_users["admin"], "acls", "--principal", principal, tmp_path=tmp_path)
    assert table.returncode == 0 and "PRINCIPAL" in table.stdout and topic in table.stdout

    # Not allowed: a line saying so on stderr and exit code 1, no empty table; no password anywhere.
    for command, words in (
        ("acls", "describe ACLs"),
        ("users", "describe SCRAM users"),
        ("quotas", "describe client quotas"),
    ):
        denied = _kview(secure, "limited", secure.scram_users["limited"], command, "--json", tmp_path=tmp_path)
        assert denied.returncode == 1 and denied.stdout == ""
        assert denied.stderr.startswith(f"kview: not authorised to {words}")
        assert secure.scram_users["limited"] not in denied.stderr + denied.stdout
