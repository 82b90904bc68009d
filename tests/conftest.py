"""Shared fixtures: one real Kafka cluster per test session (1 broker), a
three-broker cluster started only when a test asks for it, and a real schema
registry (Apicurio Registry, Confluent-compatible API) likewise.

Each is started once per session (per xdist worker), by kview's own harness,
and stopped at the end; tests must leave them usable (restart any broker they
stop)."""

from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, settings

from kview.local.cluster import DevCluster
from kview.local.registry import DevRegistry

# `--hypothesis-profile=fuzz` runs every property test with 10,000 examples.
settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("fuzz", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Kafka's CLI tools are the suite's biggest fixed cost (a JVM each): count them
# and their wall time, printed at the end, so that a test that leans on them in
# a loop shows up.
_TOOL_SECONDS: dict[str, list[float]] = defaultdict(list)
_run_tool = DevCluster.run_tool


def _counted_run_tool(self, tool, *args, **kwargs):
    start = time.monotonic()
    try:
        return _run_tool(self, tool, *args, **kwargs)
    finally:
        _TOOL_SECONDS[tool].append(time.monotonic() - start)


DevCluster.run_tool = _counted_run_tool


@pytest.fixture(scope="session")
def kafka() -> DevCluster:
    """A single-broker KRaft cluster shared by the whole test session."""
    with DevCluster(1) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def access_cluster():
    """One broker with KRaft's StandardAuthorizer and two SCRAM users (their
    passwords in ``.scram_users``): ``admin``, a super user, and ``limited``,
    with only the ACLs a test gives it.  Shared by the access tests (core,
    headless and the Access pane)."""
    from kview.local.security import SecureDevCluster

    users = {"admin": "admin-" + uuid.uuid4().hex[:12], "limited": "limited-" + uuid.uuid4().hex[:12]}
    with SecureDevCluster(scram_users=users, authorizer=True, super_users=("admin",)) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def kafka3() -> DevCluster:
    """A three-broker KRaft cluster, for replication, ISR and failure tests."""
    with DevCluster(3) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def registry() -> DevRegistry:
    """A schema registry shared by the session, empty at its start: its
    ``.url`` is the base of the Confluent-compatible API
    (``http://127.0.0.1:PORT/apis/ccompat/v7``).  Its default compatibility
    is NONE; tests use subjects of their own (``unique_name``) and set a
    subject's compatibility where they rely on one."""
    with DevRegistry() as started:
        yield started


@pytest.fixture(scope="session")
def group_types(kafka):
    """Share and KIP-848 groups with Kafka's own console clients as members
    (tests/group_types.py), started once: JVMs are slow to start."""
    from group_types import start_group_types

    yield from start_group_types(kafka)


@pytest.fixture
def unique_name(request) -> str:
    """A topic or group name unique to this test."""
    base = request.node.name.split("[")[0].replace("_", "-")[:40]
    return f"{base}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """Every test gets its own (absent) config file and log dir, never the user's."""
    monkeypatch.setenv("KVIEW_CONFIG", str(tmp_path / "kview-config.yaml"))
    monkeypatch.setenv("KVIEW_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("KVIEW_STATE_DIR", str(tmp_path / "state"))
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (``make test`` runs two workers, ``--dist loadgroup``):
    every test of the three-broker cluster runs on one worker, so that cluster
    starts once, and so does every test of one Kafka version of the
    compatibility run (tests/compat); other tests go to a worker a whole file
    at a time, so that a file's module fixtures (secured brokers, recorded
    states) start once.  Each worker has its own single-broker cluster."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        callspec = getattr(item, "callspec", None)
        version = callspec.params.get("versioned_kafka") if callspec is not None else None
        if version is not None:
            group = f"kafka-{version}"
        elif "kafka3" in getattr(item, "fixturenames", ()):
            group = "kafka3"
        else:
            group = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


_LEFTOVERS: list[int] = []
"""Kafka and registry processes the workers (under xdist) reported still running."""


def pytest_sessionfinish(session, exitstatus):
    """After every cluster and registry fixture is torn down, no Kafka or
    registry started by the harness may still run: fail the session if one
    does.  An xdist worker hands its findings (and its tool counts) to the
    controller, which fails the run."""
    from kview.local import cluster, registry
    from kview.local.reaper import processes_under

    directories = [*cluster.STARTED_DIRECTORIES, *registry.STARTED_DIRECTORIES]
    leftovers = [pid for d in directories for pid in processes_under(str(d))]
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["kafka_leftovers"] = leftovers
        workeroutput["tool_seconds"] = dict(_TOOL_SECONDS)
        return
    leftovers += _LEFTOVERS
    if leftovers:
        session.exitstatus = 1
        print(f"\nKafka or registry processes left running after the tests: {leftovers}")


def pytest_testnodedown(node, error):
    """xdist controller: collect what a finished worker reported."""
    output = getattr(node, "workeroutput", {})
    _LEFTOVERS.extend(output.get("kafka_leftovers", ()))
    for tool, seconds in output.get("tool_seconds", {}).items():
        _TOOL_SECONDS[tool].extend(seconds)


def pytest_terminal_summary(terminalreporter):
    if _TOOL_SECONDS:
        runs = sum(len(v) for v in _TOOL_SECONDS.values())
        total = sum(sum(v) for v in _TOOL_SECONDS.values())
        by_tool = ", ".join(
            f"{tool} {len(v)}x {sum(v):.0f}s" for tool, v in sorted(_TOOL_SECONDS.items(), key=lambda kv: -sum(kv[1]))
        )
        terminalreporter.write_line(f"Kafka CLI tools: {runs} runs, {total:.0f} s ({by_tool})")
