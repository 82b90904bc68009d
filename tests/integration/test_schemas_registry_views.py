"""The registry as kview shows and changes it, against the real registry the
harness starts (Apicurio Registry, Confluent-compatible API): ``kview
schemas`` / ``kview schema`` as a user runs them (tables and ``--json``,
validated against kview.headless.schema) compared with what the registry's
REST API answers when asked directly; the registry writes (register, the
compatibility level, soft deletes) through ``RegistryWrites``, checked on the
REST API afterwards, and refused on a read-only profile with nothing changed;
the errors: an unknown subject or version, an unreachable registry, no
registry configured.

Every test uses subjects of its own (``unique_name``)."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import quote

import httpx
import jsonschema
import pytest
from registry_tools import register, rest

from kview.core.config import RegistrySettings
from kview.core.errors import ReadOnlyError
from kview.core.readonly import WRITE_ACTIONS, RegistryWrites, refuse_message
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.errors import RegistryError
from kview.core.schemas.models import Schema
from kview.headless.schema import SCHEMAS
from kview.local.cluster import free_port

pytestmark = pytest.mark.timeout(300)


def order_schema(*extra: dict) -> str:
    fields = [{"name": "id", "type": "string"}, {"name": "amount", "type": "double"}, *extra]
    return json.dumps({"type": "record", "name": "Order", "namespace": "test", "fields": fields})


CURRENCY = {"name": "currency", "type": "string", "default": "EUR"}
"""A field with a default: backward compatible."""
QUANTITY = {"name": "qty", "type": "int"}
"""A field without a default: not backward compatible."""


# -- the registry, asked directly ----------------------------------------------------------


def rest_summary(registry, subject: str) -> dict:
    """What the REST API says of a subject, in the ``schemas`` document's words."""
    s = quote(subject, safe="")
    latest = rest(registry.url, "GET", f"/subjects/{s}/versions/latest").json()
    versions = rest(registry.url, "GET", f"/subjects/{s}/versions").json()
    own = rest(registry.url, "GET", f"/config/{s}")
    level = (own.json() if own.status_code == 200 else rest(registry.url, "GET", "/config").json())[
        "compatibilityLevel"
    ]
    return {
        "subject": subject,
        "type": latest.get("schemaType", "AVRO"),
        "latest_version": latest["version"],
        "latest_id": latest["id"],
        "versions": len(versions),
        "compatibility": level,
    }


def native_states(registry, subject: str) -> dict[int, str]:
    """Version -> state (ENABLED, DISABLED) from Apicurio's own API: its
    Confluent API keeps listing soft-deleted versions, its own says which."""
    base = registry.url.split("/apis/")[0]
    answer = httpx.get(f"{base}/apis/registry/v2/groups/default/artifacts/{quote(subject, safe='')}/versions")
    return {int(v["version"]): v["state"] for v in answer.json()["versions"]}


# -- running kview -------------------------------------------------------------------------


def kview(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def kview_registry(registry_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    # No broker behind the bootstrap: the registry commands never ask Kafka.
    return kview(*args, "--bootstrap", f"127.0.0.1:{free_port()}", "--schema-registry", registry_url)


def validated(kind: str, text: str) -> dict:
    doc = json.loads(text)
    jsonschema.Draft202012Validator(SCHEMAS[kind]).validate(doc)
    return doc


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


PAYMENT_PROTO = (
    'syntax = "proto3";\npackage t;\nimport "money.proto";\nmessage Payment { string id = 1; t.Money amount = 2; }\n'
)


@pytest.fixture
def subjects(registry, unique_name):
    """Three subjects of this test: an Avro one with two versions (BACKWARD),
    a Protobuf one importing a third."""
    orders, money, payments = f"{unique_name}-orders-value", f"{unique_name}-money", f"{unique_name}-payments-value"
    register(registry.url, orders, order_schema())
    assert rest(registry.url, "PUT", f"/config/{orders}", {"compatibility": "BACKWARD"}).status_code == 200
    register(registry.url, orders, order_schema(CURRENCY))
    register(
        registry.url,
        money,
        'syntax = "proto3";\npackage t;\nmessage Money { string currency = 1; int64 units = 2; }\n',
        "PROTOBUF",
    )
    register(
        registry.url,
        payments,
        PAYMENT_PROTO,
        "PROTOBUF",
        [{"name": "money.proto", "subject": money, "version": 1}],
    )
    return orders, money, payments


# -- reading ---------------------------------------------------------------------------------


def test_schemas_json_is_what_the_registry_says(registry, unique_name, subjects):
    result = kview_registry(registry.url, "schemas", f"{unique_name}-*", "--json")
    assert result.returncode == 0, result.stderr
    doc = validated("schemas", result.stdout)
    assert doc["pattern"] == f"{unique_name}-*"
    assert doc["registry"] == registry.url
    assert doc["subjects"] == [rest_summary(registry, s) for s in sorted(subjects)]
    orders = next(s for s in doc["subjects"] if s["subject"] == subjects[0])
    assert (orders["versions"], orders["compatibility"]) == (2, "BACKWARD")


def test_schemas_table_lists_the_subjects(registry, unique_name, subjects):
    result = kview_registry(registry.url, "schemas", unique_name)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert set(rows) == set(subjects)
    for subject in subjects:
        said = rest_summary(registry, subject)
        row = rows[subject]
        assert [int(row[-4]), int(row[-3]), int(row[-2]), row[-1]] == [
            said["latest_version"],
            said["latest_id"],
            said["versions"],
            said["compatibility"],
        ]
    assert result.stdout.splitlines()[0].split() == ["SUBJECT", "TYPE", "LATEST", "ID", "VERSIONS", "COMPATIBILITY"]
    nothing = kview_registry(registry.url, "schemas", f"{unique_name}-none-*")
    assert nothing.returncode == 0 and nothing.stdout.strip() == f"no subject matches '{unique_name}-none-*'"


def test_schema_json_and_table(registry, subjects):
    orders, money, payments = subjects
    first = rest(registry.url, "GET", f"/subjects/{orders}/versions/1").json()
    result = kview_registry(registry.url, "schema", orders, "--version", "1", "--json")
    assert result.returncode == 0, result.stderr
    doc = validated("schema", result.stdout)
    assert (doc["subject"], doc["version"], doc["id"], doc["type"]) == (orders, 1, first["id"], "AVRO")
    assert doc["schema"] == first["schema"]
    assert doc["versions"] == rest(registry.url, "GET", f"/subjects/{orders}/versions").json()
    assert doc["compatibility"] == "BACKWARD"

    latest = validated("schema", kview_registry(registry.url, "schema", payments, "--json").stdout)
    assert latest["type"] == "PROTOBUF"
    assert latest["references"] == [{"name": "money.proto", "subject": money, "version": 1}]

    table = kview_registry(registry.url, "schema", payments)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith(f"subject {payments}: version 1 (of 1), id {latest['id']}, Protobuf")
    assert lines[2].split() == ["money.proto", money, "1"]
    assert 'import "money.proto";' in lines
    avro = kview_registry(registry.url, "schema", orders).stdout
    # Avro is pretty-printed: one field name a line.
    assert '      "name": "currency",' in avro.splitlines()


def test_unknown_subject_and_version_are_not_found(registry, unique_name, subjects):
    missing = kview_registry(registry.url, "schema", f"{unique_name}-nope")
    assert missing.returncode == 1
    assert one_line_error(missing) == f"kview: subject '{unique_name}-nope' does not exist"
    no_version = kview_registry(registry.url, "schema", subjects[0], "--version", "9")
    assert no_version.returncode == 1
    assert one_line_error(no_version) == f"kview: subject '{subjects[0]}' has no version 9"


def test_unreachable_registry_is_one_line_and_exit_3():
    url = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
    for command in (("schemas",), ("schema", "anything")):
        result = kview_registry(url, *command)
        assert result.returncode == 3, result.stderr
        line = one_line_error(result)
        assert "unreachable" in line and "connection refused" in line, line


def test_no_registry_configured_says_how():
    result = kview("schemas", "--bootstrap", f"127.0.0.1:{free_port()}")
    assert result.returncode == 2
    line = one_line_error(result)
    assert "no schema registry configured" in line and "--schema-registry URL" in line


# -- writing -----------------------------------------------------------------------------------


async def test_check_register_and_soft_delete(registry, unique_name, subjects):
    orders = subjects[0]
    client = RegistryClient(RegistrySettings(urls=(registry.url,)))
    writes = RegistryWrites(client, read_only=False)
    try:
        bad = await client.check_compatibility(orders, Schema("AVRO", order_schema(CURRENCY, QUANTITY)))
        assert bad.compatible is False
        with pytest.raises(RegistryError) as refused:
            await writes.register(orders, Schema("AVRO", order_schema(CURRENCY, QUANTITY)))
        assert refused.value.status == 409
        assert len(rest(registry.url, "GET", f"/subjects/{orders}/versions").json()) == 2

        good = Schema("AVRO", order_schema(CURRENCY, {"name": "note", "type": "string", "default": ""}))
        assert (await client.check_compatibility(orders, good)).compatible is True
        new_id = await writes.register(orders, good)
        latest = rest(registry.url, "GET", f"/subjects/{orders}/versions/latest").json()
        assert (latest["version"], latest["id"]) == (3, new_id)

        await writes.set_compatibility(orders, "FULL")
        assert rest(registry.url, "GET", f"/config/{orders}").json()["compatibilityLevel"] == "FULL"

        assert await writes.delete_version(orders, 1) == 1
        assert native_states(registry, orders) == {1: "DISABLED", 2: "ENABLED", 3: "ENABLED"}
        assert await writes.delete_subject(orders) == [1, 2, 3]
        assert orders not in rest(registry.url, "GET", "/subjects").json()
        assert orders in rest(registry.url, "GET", "/subjects?deleted=true").json()
    finally:
        await client.close()


async def test_every_registry_write_is_refused_on_a_read_only_profile(registry, subjects):
    orders = subjects[0]
    client = RegistryClient(RegistrySettings(urls=(registry.url,)))
    writes = RegistryWrites(client, read_only=True)
    before = (rest_summary(registry, orders), native_states(registry, orders))
    calls = {
        "register schema": lambda: writes.register(orders, Schema("AVRO", order_schema(CURRENCY))),
        "set compatibility": lambda: writes.set_compatibility(orders, "NONE"),
        "delete schema version": lambda: writes.delete_version(orders, 1),
        "delete subject": lambda: writes.delete_subject(orders),
    }
    assert set(calls) <= set(WRITE_ACTIONS)
    try:
        for action, call in calls.items():
            with pytest.raises(ReadOnlyError) as info:
                await call()
            assert str(info.value) == refuse_message(action)
    finally:
        await client.close()
    assert client.requests == 0
    assert (rest_summary(registry, orders), native_states(registry, orders)) == before
