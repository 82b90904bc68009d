"""``kview demo``.  Without its UI: the demo's own cluster, registry and
traffic (kview.local.demo.demo_running, what ``kview demo`` runs around the
app) keep the promises the README makes: ``billing`` keeps up, ``analytics``
falls behind, ``audit`` stops (its committed offsets checked against
``kafka-consumer-groups``); the ledger's transactional id is listed as
``kafka-transactions list`` lists it, and ``reconciliation`` reads behind
it; the SCRAM user and quotas it sets are what ``kafka-configs`` describes;
the schema topics fill with records framed with the ids the registry gave
their subjects (both Avro versions, interleaved), which kview's decoder
reads back; quitting leaves no process and no directory.
With it: the ``kview demo`` command in a pseudo-terminal draws the demo's
topics, and ``q`` ends it with nothing left behind.

The audit group stops after a few seconds here instead of the demo's 25, so
the test waits for states, bounded, and never for the demo's own timing."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import urllib.request
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka_tools import parse_transactions_table
from test_access import parse_quotas, parse_scram
from test_groups import parse_table

from kview.core.access.models import entity_text
from kview.core.access.service import AccessService
from kview.core.cluster import ClusterClient
from kview.core.config import RegistrySettings, adhoc_profile
from kview.core.groups import GroupService, GroupsSnapshot, GroupSummary
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.decoder import RecordDecoder
from kview.core.transactions.service import TransactionService
from kview.local.demo import JVM_GROUPS, demo_running
from kview.local.traffic import (
    COMMON_PROTO_SUBJECT,
    DEMO_QUOTAS,
    DEMO_USER,
    LEDGER_TOPIC,
    LEDGER_TRANSACTIONAL_ID,
    SCHEMA_TOPICS,
    TOPICS,
    DemoTraffic,
    value_subject,
)

GROUPS = ["analytics", "audit", "billing"]
RATE = 50.0
"""The demo's default rate (messages/s over all topics)."""
ORDERS_SHARE = 0.55
"""The share of the demo's messages that go to ``orders`` (kview/local/traffic.py)."""
AUDIT_STOPS_AFTER = 10.0


def committed(summary: GroupSummary) -> dict[tuple[str, int], int]:
    return {(r.topic, r.partition): r.committed for r in summary.partitions if r.committed is not None}


def log_ends(summary: GroupSummary) -> dict[tuple[str, int], int]:
    return {(r.topic, r.partition): r.log_end for r in summary.partitions if r.log_end is not None}


def topics_of(offsets: dict[tuple[str, int], int]) -> set[str]:
    return {topic for topic, _partition in offsets}


def orders_end(snapshot: GroupsSnapshot) -> int:
    """The log end of ``orders`` summed over its partitions (analytics reads them all)."""
    return sum(end for (topic, _p), end in log_ends(snapshot.group("analytics")).items() if topic == "orders")


def processes_mentioning(directory: str) -> list[str]:
    """Command lines of live processes naming ``directory`` (brokers and the
    cluster's reaper both do)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
            except OSError:
                continue
            if directory in cmdline:
                found.append(f"{entry.name}: {cmdline[:200]}")
    return found


async def wait_for_snapshot(service: GroupService, ready, *, timeout: float, what: str) -> GroupsSnapshot:
    deadline = time.monotonic() + timeout
    while True:
        snapshot = await service.refresh(GROUPS, with_partitions=True)
        if all(snapshot.group(g) is not None for g in GROUPS) and ready(snapshot):
            return snapshot
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {snapshot}"
        await asyncio.sleep(0.5)


def all_committed(snapshot: GroupsSnapshot) -> bool:
    return (
        topics_of(committed(snapshot.group("billing"))) == {"orders", "payments"}
        and topics_of(committed(snapshot.group("analytics"))) == {"orders"}
        and topics_of(committed(snapshot.group("audit"))) == {"payments"}
    )


async def test_demo_groups_keep_their_promises_and_quitting_leaves_nothing():
    with demo_running(brokers=1, rate=RATE, audit_stops_after=AUDIT_STOPS_AFTER) as (cluster, traffic, _registry):
        assert isinstance(traffic, DemoTraffic) and traffic.error is None
        directory = str(cluster.directory)
        assert processes_mentioning(directory)  # the broker runs from there
        client = ClusterClient(adhoc_profile(cluster.bootstrap))
        await client.start()
        service = GroupService(client)
        try:
            # Every group has read and committed; audit has stopped (no member left).
            await wait_for_snapshot(
                service,
                lambda s: all_committed(s) and s.group("audit").member_count == 0,
                timeout=60,
                what="the three groups to commit and audit to stop",
            )

            first = await service.refresh(GROUPS, with_partitions=True)
            tool = parse_table(
                (
                    await asyncio.to_thread(cluster.run_tool, "kafka-consumer-groups", "--describe", "--group", "audit")
                ).stdout,
                "CURRENT-OFFSET",
            )
            # Until orders has grown by 300 messages (about 11 s at the demo's
            # rate): analytics reads at most rate * 0.4 = 20 records a pass
            # with a 1 s pause after each, so it reads at most ~240 of them.
            grown = 300
            second = await wait_for_snapshot(
                service, lambda s: orders_end(s) >= orders_end(first) + grown, timeout=60, what=f"{grown} more orders"
            )

            # Kafka's own clients: a share group of two members that acknowledge
            # what they receive, and a KIP-848 group (JVMs: slower to join).
            deadline = time.monotonic() + 180
            while True:
                jvm = await service.refresh(list(JVM_GROUPS))
                kinds = {g.name: (g.kind, g.member_count) for g in jvm.groups}
                if kinds == {"fulfilment": ("share", 2), "shipping": ("consumer", 1)}:
                    break
                assert time.monotonic() < deadline, f"the JVM groups did not join: {kinds}"
                await asyncio.sleep(1)

            # The ledger's transactional writer, as Kafka's tool lists it (the
            # same producer id), and its read_committed group reading behind it.
            listed, failed = await TransactionService(client).list_transactions()
            ours = {t.transactional_id: t for t in listed}
            assert not failed and LEDGER_TRANSACTIONAL_ID in ours, listed
            tool_rows = parse_transactions_table(
                (await asyncio.to_thread(cluster.run_tool, "kafka-transactions", "list")).stdout
            )
            theirs = {row["TransactionalId"]: row for row in tool_rows}
            assert int(theirs[LEDGER_TRANSACTIONAL_ID]["ProducerId"]) == ours[LEDGER_TRANSACTIONAL_ID].producer_id
            deadline = time.monotonic() + 60
            while True:
                reconciliation = (await service.refresh(["reconciliation"], with_partitions=True)).group(
                    "reconciliation"
                )
                if reconciliation is not None and topics_of(committed(reconciliation)) == {LEDGER_TOPIC}:
                    break
                assert time.monotonic() < deadline, f"reconciliation did not commit on the ledger: {reconciliation}"
                await asyncio.sleep(1)

            # The SCRAM user and the quotas the demo sets, as kafka-configs describes them.
            access = AccessService(client)
            users = {u.name: u.mechanisms for u in await access.users()}
            quotas = {q.key: dict(q.values) for q in await access.quotas()}
            described = ""
            for kind in ("users", "clients"):
                described += (
                    await asyncio.to_thread(cluster.run_tool, "kafka-configs", "--describe", "--entity-type", kind)
                ).stdout + "\n"
            assert users == {DEMO_USER: ("SCRAM-SHA-512",)}
            assert {name: {m for m, _i in creds} for name, creds in parse_scram(described).items()} == {
                DEMO_USER: {"SCRAM-SHA-512"}
            }
            assert quotas == parse_quotas(described) == {entity_text(e): {k: v} for e, k, v in DEMO_QUOTAS}
        finally:
            await service.close()
            await client.close()

        # billing keeps up: by the second reading it has committed everything
        # that was in its partitions at the first, so its lag is at most what
        # was produced in between.
        billing_1, billing_2 = first.group("billing"), second.group("billing")
        ends_1 = log_ends(billing_1)
        assert all(committed(billing_2)[tp] >= ends_1[tp] for tp in ends_1), (billing_1, billing_2)
        assert billing_2.total_lag <= sum(log_ends(billing_2).values()) - sum(ends_1.values())
        assert billing_2.member_count == 1

        # analytics falls behind: still reading (its commits advance) but its
        # lag grew between the readings.
        analytics_1, analytics_2 = first.group("analytics"), second.group("analytics")
        assert sum(committed(analytics_2).values()) > sum(committed(analytics_1).values())
        assert analytics_2.total_lag > analytics_1.total_lag, (analytics_1.total_lag, analytics_2.total_lag)
        assert analytics_2.member_count == 1

        # audit stopped: its committed offsets (the ones Kafka's tool prints)
        # did not move while payments went on growing.
        audit_1, audit_2 = first.group("audit"), second.group("audit")
        assert (
            committed(audit_1)
            == committed(audit_2)
            == {(row["TOPIC"], int(row["PARTITION"])): int(row["CURRENT-OFFSET"]) for row in tool}
        )
        assert sum(committed(audit_1).values()) > 0
        assert sum(log_ends(audit_2).values()) > sum(log_ends(audit_1).values())
        assert audit_2.total_lag > audit_1.total_lag
        assert audit_2.member_count == 0

    # Quitting: the traffic's thread has ended, no broker (nor the cluster's
    # reaper) is left, and the cluster's directory is gone.
    assert not traffic._thread.is_alive()
    assert traffic.error is None
    assert processes_mentioning(directory) == []
    assert not Path(directory).exists()


# -- the schema topics ---------------------------------------------------------------------

PER_TOPIC = 20
"""Records read from each schema topic (the demo writes 60 before it is ready,
spread over the three)."""


def registry_get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def subject_ids(url: str, subject: str) -> list[int]:
    """The ids of every version of ``subject``, as the registry says."""
    versions = registry_get(f"{url}/subjects/{subject}/versions")
    return [registry_get(f"{url}/subjects/{subject}/versions/{v}")["id"] for v in versions]


async def read_schema_topics(bootstrap: str, want: int) -> dict[str, list]:
    """At least ``want`` records of each schema topic, from the beginning."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(t, p) for t in SCHEMA_TOPICS for p in sorted(cluster.partitions_for_topic(t) or ())]
        assert {tp.topic for tp in tps} == set(SCHEMA_TOPICS)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: dict[str, list] = {topic: [] for topic in SCHEMA_TOPICS}
        deadline = time.monotonic() + 60
        while min(map(len, records.values())) < want:
            assert time.monotonic() < deadline, {t: len(r) for t, r in records.items()}
            for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                records[tp.topic].extend(batch)
        return records
    finally:
        await consumer.stop()


async def test_demo_schema_topics_are_framed_with_the_registry_ids_and_decode():
    with demo_running(brokers=1, rate=RATE, jvm_members=False) as (cluster, traffic, registry):
        assert registry is not None and traffic.error is None and traffic.schema_error is None
        directory = registry.directory
        url = registry.url
        subjects = registry_get(f"{url}/subjects")
        assert set(subjects) == {value_subject(t) for t in SCHEMA_TOPICS} | {COMMON_PROTO_SUBJECT}
        ids = {topic: subject_ids(url, value_subject(topic)) for topic in SCHEMA_TOPICS}
        # The Avro subject has two versions (v2 BACKWARD-checked against v1);
        # the Protobuf one references the common file's subject.
        assert len(ids["invoices-avro"]) == 2
        assert registry_get(f"{url}/config/{value_subject('invoices-avro')}")["compatibilityLevel"] == "BACKWARD"
        shipment = registry_get(f"{url}/subjects/{value_subject('shipments-proto')}/versions/latest")
        assert [(r["name"], r["subject"]) for r in shipment["references"]] == [
            ("kview/demo/common.proto", COMMON_PROTO_SUBJECT)
        ]

        # Gather until both Avro versions have been met (they interleave at random).
        want = PER_TOPIC
        while True:
            records = await read_schema_topics(cluster.bootstrap, want)
            avro_ids = {struct.unpack(">bI", r.value[:5])[1] for r in records["invoices-avro"]}
            if avro_ids == set(ids["invoices-avro"]) or want > 400:
                break
            want *= 2

        for topic, batch in records.items():
            for record in batch:
                magic, schema_id = struct.unpack(">bI", record.value[:5])
                assert magic == 0 and schema_id in ids[topic], (topic, record.value[:8])
        assert avro_ids == set(ids["invoices-avro"])
        # A Shipment is the file's second message: indexes [1] (count 1, index
        # 1, zigzag varints), never the one-byte shorthand for the first.
        assert all(r.value[5:7] == b"\x02\x02" for r in records["shipments-proto"])

        # kview's own decoder reads every one of them back.
        client = RegistryClient(RegistrySettings(urls=(url,)))
        try:
            decoder = RecordDecoder(client)
            for topic, batch in records.items():
                await decoder.prepare(batch)
                for record in decoder.decode_batch(list(batch)):
                    assert record.value_problem is None, (topic, record.value_problem)
                    schema_id = struct.unpack(">I", record.raw_value[1:5])[0]
                    assert record.value_schema.schema_id == schema_id
                    doc = json.loads(record.value)
                    if topic == "invoices-avro" and ids[topic].index(schema_id) == 1:
                        assert {"invoice_id", "amount", "issued_at", "coupon"} <= set(doc)
                    elif topic == "invoices-avro":
                        assert {"invoice_id", "amount"} <= set(doc) and "issued_at" not in doc
                    elif topic == "shipments-proto":
                        assert record.value_schema.message == "kview.demo.Shipment"
                        assert set(doc["destination"]) == {"street", "city", "country"}
                        assert doc["items"] and all("price" in item for item in doc["items"])
                    else:
                        assert {"session", "page", "duration_ms"} <= set(doc)
        finally:
            await client.close()

    assert directory is not None and not directory.exists()
    assert processes_mentioning(str(directory)) == []


# -- the command itself ------------------------------------------------------------------

_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|[@-Z\\-_])")


class Terminal:
    """A process in an 80x24 pseudo-terminal; what it wrote, without escape
    sequences (words drawn in one piece stay whole)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.raw = b""

    @property
    def text(self) -> str:
        return _ESCAPE.sub("", self.raw.decode("utf-8", "replace"))

    def read(self, timeout: float) -> None:
        """Drain the terminal for up to ``timeout`` seconds (the app blocks
        when nobody reads it)."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.raw += os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                pass

    def wait_for(self, *markers: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(marker in self.text for marker in markers):
            assert self.process.poll() is None, f"exited ({self.process.returncode}): {self.text[-600:]!r}"
            assert time.monotonic() < deadline, f"{markers} not drawn; last output: {self.text[-600:]!r}"
            self.read(0.5)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_exit(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            assert time.monotonic() < deadline, f"still running after {timeout} s: {self.text[-600:]!r}"
            self.read(0.2)
        return self.process.returncode

    def close(self) -> None:
        if self.process.poll() is None:
            # Ended by force: the cluster's reaper then stops its brokers.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.master)


def test_kview_demo_command_draws_the_demo_and_quits_clean(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ)
    env.update(
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
        # The cluster's directory is made here, so the test knows where to
        # look for what it leaves.
        TMPDIR=str(scratch),
    )
    env.pop("TEXTUAL", None)
    terminal = Terminal([sys.executable, "-m", "kview", "demo"], env)
    try:
        terminal.wait_for("connected", "1 broker", timeout=120)
        [directory] = list(scratch.glob("kview-kafka-*"))
        assert processes_mentioning(str(directory))
        terminal.send("2")
        [registry_directory] = list(scratch.glob("kview-registry-*"))
        assert processes_mentioning(str(registry_directory))
        terminal.wait_for(*(f" {topic} " for topic in (*TOPICS, *SCHEMA_TOPICS)), timeout=60)
        terminal.send("q")
        assert terminal.wait_exit(60) == 0, terminal.text[-600:]
    finally:
        terminal.close()
    assert processes_mentioning(str(scratch)) == []
    assert list(scratch.iterdir()) == []
