"""The Schemas pane, the subject detail and the topic detail's schemas: the
real app, headless at 80x24, on the real broker and the real registry the
harness starts; driven with keys, and the registry's state checked on its
REST API afterwards.  Every test uses subjects of its own."""

from __future__ import annotations

import difflib
import json
from dataclasses import replace
from urllib.parse import quote

import httpx
from aiokafka import AIOKafkaProducer
from registry_tools import register, rest
from screen_text import screen_text, wait_for
from textual import events
from textual.widgets import TextArea

from kview.app import make_app
from kview.core.cluster import connection_kwargs
from kview.core.config import Config, RegistrySettings, adhoc_profile
from kview.core.readonly import refuse_message
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.encoder import RecordEncoder
from kview.local.cluster import free_port
from kview.ui.panes.schema_detail import SchemaDetailPane
from kview.ui.panes.schemas import REFRESH_AT_MOST_EVERY, SchemasPane
from kview.ui.screens.confirm import ConfirmScreen
from kview.ui.screens.schema_check import CompatibilityScreen, SchemaCheckScreen

SIZE = (80, 24)


def order_schema(*extra: dict, namespace: str = "test") -> str:
    fields = [{"name": "id", "type": "string"}, {"name": "amount", "type": "double"}, *extra]
    return json.dumps({"type": "record", "name": "Order", "namespace": namespace, "fields": fields})


CURRENCY = {"name": "currency", "type": "string", "default": "EUR"}
QUANTITY = {"name": "qty", "type": "int"}
"""No default: a schema adding it cannot read older records (not BACKWARD)."""


def versions(registry, subject: str) -> list[int]:
    return rest(registry.url, "GET", f"/subjects/{quote(subject, safe='')}/versions").json()


def two_versions(registry, subject: str, namespace: str = "test") -> None:
    """``subject``: version 1, then 2 with a currency; BACKWARD.  The same
    schema under another subject has the same id: a ``namespace`` of its own
    gives ids no other test shares."""
    register(registry.url, subject, order_schema(namespace=namespace))
    assert rest(registry.url, "PUT", f"/config/{subject}", {"compatibility": "BACKWARD"}).status_code == 200
    register(registry.url, subject, order_schema(CURRENCY, namespace=namespace))


def make_test_app(kafka, registry_url: str | None, *, read_only: bool = False):
    settings = RegistrySettings(urls=(registry_url,)) if registry_url else None
    profile = replace(
        adhoc_profile(kafka.bootstrap), read_only=read_only, refresh_interval=0.5, schema_registry=settings
    )
    return make_app(Config(), profile)


def short(unique_name: str) -> str:
    """A prefix of this test's own that fits the 80-column tables (unique_name
    ends with six random hex digits)."""
    return f"s{unique_name[-6:]}"


def flat(app) -> str:
    """The screen's text with its lines joined (a wrapped line reads whole)."""
    return " ".join(line.strip() for line in screen_text(app).splitlines())


def table_keys(table) -> list[str]:
    """Row keys of a DiffTable, top to bottom."""
    return [str(row.key.value) for row in table.ordered_rows]


def notifications(app) -> list[str]:
    """The messages of the notifications not yet expired."""
    return [str(n.message) for n in app._notifications]


async def open_schemas(pilot, filter_text: str | None = None) -> SchemasPane:
    await pilot.press("7")
    pane = pilot.app.query_one(SchemasPane)
    await wait_for(pilot, lambda: pane.listing is not None, what="first subjects refresh")
    if filter_text:
        await pilot.press("slash", *filter_text, "enter")
    return pane


async def open_subject(pilot, subject: str) -> SchemaDetailPane:
    pane = await open_schemas(pilot, subject)
    await wait_for(pilot, lambda: pane.table.selected_key() == subject, what=f"{subject} selected")
    await pilot.press("enter")
    await wait_for(pilot, lambda: bool(pilot.app.query(SchemaDetailPane)), what="the subject detail")
    detail = pilot.app.query_one(SchemaDetailPane)
    await wait_for(pilot, lambda: detail.detail is not None, what="the subject's versions")
    return detail


async def paste_schema(pilot, text: str) -> None:
    """Select everything in the modal's editor and paste ``text`` over it."""
    editor = pilot.app.screen.query_one(TextArea)
    editor.select_all()
    # As a terminal's paste arrives: to the app, which hands it to the focused widget.
    pilot.app.post_message(events.Paste(text))
    await wait_for(pilot, lambda: editor.text == text, what="the pasted schema")


# -- the list --------------------------------------------------------------------------------


async def test_the_pane_lists_subjects_and_filters(kafka, registry, unique_name):
    prefix = short(unique_name)
    orders, keys = f"{prefix}-orders-value", f"{prefix}-orders-key"
    two_versions(registry, orders)
    key_id = register(registry.url, keys, '"string"')
    orders_id = rest(registry.url, "GET", f"/subjects/{orders}/versions/latest").json()["id"]
    app = make_test_app(kafka, registry.url)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_schemas(pilot, prefix)
        await wait_for(pilot, lambda: pane.table.row_count == 2, what="the test's two subjects")
        rows = {line.split()[0]: line.split() for line in screen_text(app).splitlines() if prefix in line}
        assert rows[orders][1:] == ["Avro", "2", str(orders_id), "BACKWARD", "2"]
        assert rows[keys][1:] == ["Avro", "1", str(key_id), "NONE", "1"]
        assert table_keys(pane.table) == sorted([keys, orders])
        # Other tests' subjects end in -key too: the whole name narrows it to one.
        await pilot.press("slash", *keys, "enter")
        await wait_for(pilot, lambda: table_keys(pane.table) == [keys], what="filtered to the key subject")
        assert "filter '" in screen_text(app)


async def test_no_registry_configured_says_how(kafka):
    app = make_test_app(kafka, None)
    async with app.run_test(size=SIZE) as pilot:
        await open_schemas(pilot)
        await wait_for(pilot, lambda: "No schema registry is configured" in screen_text(app), what="the advice")
        shown = screen_text(app)
        assert "schema_registry:" in shown and "--schema-registry URL" in shown
        assert "no schema registry configured" in shown  # the status line


async def test_unreachable_registry_is_said_and_retried(kafka):
    url = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
    app = make_test_app(kafka, url)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: "connection refused" in screen_text(app), what="the registry's error")
        assert "kview tries again on its own" in screen_text(app)
        registry = app.services.registry
        assert registry is not None
        first = registry.requests
        # The pane keeps asking, every REFRESH_AT_MOST_EVERY seconds at the most often.
        await wait_for(pilot, lambda: registry.requests > first, timeout=3 * REFRESH_AT_MOST_EVERY, what="a retry")


# -- the subject detail ---------------------------------------------------------------------


async def test_open_a_subject_see_versions_and_a_diff(kafka, registry, unique_name):
    orders = f"{short(unique_name)}-value"
    two_versions(registry, orders)
    app = make_test_app(kafka, registry.url)
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_subject(pilot, orders)
        shown = screen_text(app)
        assert " · BACKWARD · latest 2 (id " in shown and "2 version(s)" in shown
        assert '"name": "currency"' in shown  # the latest version, pretty-printed
        await pilot.press("f")
        await wait_for(pilot, lambda: "Diff 1 → 2" in screen_text(app), what="the diff")
        shown = screen_text(app)
        # Every changed line of the diff of the two versions (as the registry
        # holds them, indented) is on screen, and nothing was taken away.
        old, new = (rest(registry.url, "GET", f"/subjects/{orders}/versions/{n}").json()["schema"] for n in (1, 2))
        wanted = difflib.unified_diff(
            json.dumps(json.loads(old), indent=2).splitlines(),
            json.dumps(json.loads(new), indent=2).splitlines(),
            lineterm="",
        )
        changed = [line for line in wanted if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        assert changed and all(line.startswith("+") for line in changed), changed
        for line in changed:
            assert f"│ {line}" in shown, (line, shown)
        assert detail.diff_mode


async def test_an_incompatible_schema_is_refused_and_a_compatible_one_registered(kafka, registry, unique_name):
    orders = f"{short(unique_name)}-value"
    two_versions(registry, orders)
    app = make_test_app(kafka, registry.url)
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_subject(pilot, orders)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, SchemaCheckScreen), what="the schema modal")
        await paste_schema(pilot, order_schema(CURRENCY, QUANTITY))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "NOT compatible" in screen_text(app), what="the check's answer")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "HTTP 409" in screen_text(app), what="the registry's refusal")
        assert isinstance(app.screen, SchemaCheckScreen)
        assert versions(registry, orders) == [1, 2]

        await paste_schema(pilot, "{not json")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "Not sent: not valid JSON" in screen_text(app), what="the local check")

        good = order_schema(CURRENCY, {"name": "note", "type": "string", "default": ""})
        await paste_schema(pilot, good)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "Compatible" in screen_text(app), what="compatible")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, SchemaCheckScreen), what="the modal closed")
        assert versions(registry, orders) == [1, 2, 3]
        latest = rest(registry.url, "GET", f"/subjects/{orders}/versions/latest").json()
        assert json.loads(latest["schema"]) == json.loads(good)
        await wait_for(pilot, lambda: detail.detail is not None and len(detail.detail.versions) == 3, what="v3")
        assert f"(id {latest['id']})" in screen_text(app)


async def test_typed_confirmation_deletes_a_version_and_the_subject(kafka, registry, unique_name):
    orders = f"{short(unique_name)}-value"
    two_versions(registry, orders)
    base = registry.url.split("/apis/")[0]

    def states() -> dict[int, str]:
        answer = httpx.get(f"{base}/apis/registry/v2/groups/default/artifacts/{orders}/versions", timeout=10)
        return {int(v["version"]): v["state"] for v in answer.json()["versions"]}

    app = make_test_app(kafka, registry.url)
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_subject(pilot, orders)
        # Version 1: Apicurio disables the whole subject with its latest version.
        await pilot.press("down")
        await wait_for(pilot, lambda: detail.selected_version().version == 1, what="version 1 selected")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        assert f"Delete version 1 of '{orders}'?" in screen_text(app)
        await pilot.press(*"wrong", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="cancelled")
        assert "The typed text does not match: nothing was done." in notifications(app)
        assert states() == {1: "ENABLED", 2: "ENABLED"}
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation again")
        await pilot.press(*orders, "enter")
        # Apicurio keeps a soft-deleted version in its Confluent API's lists; its own API says DISABLED.
        await wait_for(pilot, lambda: states() == {1: "DISABLED", 2: "ENABLED"}, what="version 1 soft-deleted")
        assert orders in rest(registry.url, "GET", "/subjects").json()

        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the subject's confirmation")
        assert f"Delete subject '{orders}'?" in screen_text(app)
        await pilot.press(*orders, "enter")
        await wait_for(pilot, lambda: not app.query(SchemaDetailPane), what="back to the list")
        assert orders not in rest(registry.url, "GET", "/subjects").json()
        assert orders in rest(registry.url, "GET", "/subjects?deleted=true").json()
        assert f"Deleted subject '{orders}'" in notifications(app)


async def test_read_only_refuses_every_registry_write(kafka, registry, unique_name):
    orders = f"{short(unique_name)}-value"
    two_versions(registry, orders)
    app = make_test_app(kafka, registry.url, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_subject(pilot, orders)
        for key, action in (("d", "delete schema version"), ("D", "delete subject"), ("m", "set compatibility")):
            await pilot.press(key)
            await wait_for(pilot, lambda a=action: refuse_message(a) in notifications(app), what=f"{action} refused")
            assert not isinstance(app.screen, (ConfirmScreen,)), key
        # Checking is a read: the modal opens; registering from it is refused there.
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, SchemaCheckScreen), what="the schema modal")
        await paste_schema(pilot, order_schema(CURRENCY, {"name": "note", "type": "string", "default": ""}))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "Compatible" in screen_text(app), what="checked")
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: refuse_message("register schema") in screen_text(app), what="register refused in the modal"
        )
        await pilot.press("escape")
        # And in the list: deleting the subject is refused.
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.query(SchemaDetailPane), what="back to the list")
        await pilot.press("d")
        await wait_for(
            pilot, lambda: refuse_message("delete subject") in notifications(app), what="list delete refused"
        )
    assert versions(registry, orders) == [1, 2]
    assert rest(registry.url, "GET", f"/config/{orders}").json()["compatibilityLevel"] == "BACKWARD"
    assert orders in rest(registry.url, "GET", "/subjects").json()


# -- the topic detail -----------------------------------------------------------------------


async def test_topic_detail_shows_the_bound_subjects_and_the_ids_its_tail_met(kafka, registry, unique_name):
    topic = f"t{short(unique_name)}"
    kafka.run_tool("kafka-topics", "--create", "--topic", topic, "--partitions", "1")
    # Ids of its own: the tail names the subject of the id it met.
    two_versions(registry, f"{topic}-value", namespace=f"test.{topic}")
    latest = rest(registry.url, "GET", f"/subjects/{topic}-value/versions/latest").json()
    # One record framed for the registry (the latest version's id), written by kview's encoder.
    client = RegistryClient(RegistrySettings(urls=(registry.url,)))
    try:
        encoder = await RecordEncoder.for_subject(client, f"{topic}-value")
        value = encoder.encode({"id": "o-1", "amount": 2.5, "currency": "EUR"})
    finally:
        await client.close()
    producer = AIOKafkaProducer(**connection_kwargs(adhoc_profile(kafka.bootstrap)), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"o-1")
    finally:
        await producer.stop()

    app = make_test_app(kafka, registry.url)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        # Filtered first: other tests' topics on the session's broker fill more than a screen.
        await pilot.press("slash", *topic, "enter")
        await wait_for(
            pilot,
            lambda: any(line.split()[:1] == [topic] for line in screen_text(app).splitlines()),
            timeout=30,
            what="the topic listed",
        )
        await pilot.press("enter")
        bound = f"value {topic}-value v2 id {latest['id']} Avro"
        await wait_for(pilot, lambda: bound in flat(app), what="the bound subject")
        assert f"{topic}-key" not in flat(app)
        assert "no id seen in the tail" in flat(app)
        # Tail the topic, then back to its detail: the id the tail's decoder met.
        await pilot.press("5")
        await wait_for(pilot, lambda: "Tail a topic" in screen_text(app), what="the tail's form")
        await pilot.press(*topic, "enter")
        await wait_for(pilot, lambda: '"o-1"' in screen_text(app), what="the decoded record in the tail")
        await pilot.press("2")
        await wait_for(pilot, lambda: app.active_pane_id == "topics", what="the topics pane")
        await pilot.press("enter")
        seen = f"seen in the tail: id {latest['id']} ({topic}-value v2)"
        await wait_for(pilot, lambda: seen in flat(app), what="the seen id")


async def test_compatibility_level_is_chosen_from_a_list(kafka, registry, unique_name):
    orders = f"{short(unique_name)}-value"
    two_versions(registry, orders)
    app = make_test_app(kafka, registry.url)
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_subject(pilot, orders)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, CompatibilityScreen), what="the levels")
        assert f"Compatibility level of '{orders}' (now BACKWARD)" in screen_text(app)
        # From BACKWARD (highlighted) down to FULL.
        await pilot.press("down", "down", "down", "down", "enter")
        await wait_for(
            pilot,
            lambda: rest(registry.url, "GET", f"/config/{orders}").json()["compatibilityLevel"] == "FULL",
            what="FULL set",
        )
        await wait_for(pilot, lambda: detail.detail.compatibility == "FULL", what="the detail refreshed")
        assert " · FULL · latest 2" in screen_text(app)
