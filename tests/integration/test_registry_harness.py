"""kview's own schema registry harness (kview.local.registry): the session's
registry answers the Confluent-compatible API on loopback; the cached build is
reused (a second fetch builds nothing: it works with Maven out of reach);
stopping, or the death of the process that started it, leaves no process and
no directory; a machine without Java or Maven gets a message naming what to
install."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kview.local.reaper import processes_under
from kview.local.registry import APICURIO_VERSION, DevRegistry, ensure_registry, registry_home

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def call(url: str, body: dict | None = None) -> tuple[int, object]:
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/subjects", timeout=2):
            return True
    except OSError:
        return False


def wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_registry_serves_the_confluent_api_on_loopback(registry, unique_name):
    assert registry.url == f"http://127.0.0.1:{registry.port}/apis/ccompat/v7"
    status, subjects = call(f"{registry.url}/subjects")
    assert status == 200 and isinstance(subjects, list)

    subject = f"{unique_name}-value"
    schema = {"type": "record", "name": "Probe", "fields": [{"name": "n", "type": "long"}]}
    status, created = call(f"{registry.url}/subjects/{subject}/versions", {"schema": json.dumps(schema)})
    assert status == 200, created
    schema_id = created["id"]
    status, fetched = call(f"{registry.url}/schemas/ids/{schema_id}")
    assert status == 200 and json.loads(fetched["schema"]) == schema
    status, subjects = call(f"{registry.url}/subjects")
    assert subject in subjects
    # The same schema again: the same id, as Confluent's registry does.
    assert call(f"{registry.url}/subjects/{subject}/versions", {"schema": json.dumps(schema)})[1]["id"] == schema_id

    # It listens on loopback only (the flag is on its command line; without
    # it Quarkus binds every interface).
    assert registry.process is not None
    cmdline = Path(f"/proc/{registry.process.pid}/cmdline").read_bytes().split(b"\0")
    assert b"-Dquarkus.http.host=127.0.0.1" in cmdline


def test_second_fetch_builds_nothing(tmp_path):
    runner = ensure_registry()
    home = registry_home()
    assert runner.parent == home and home.name == f"apicurio-registry-{APICURIO_VERSION}"
    before = {p: p.stat().st_mtime_ns for p in (home / "complete", runner, home / "lib")}
    jars = sorted(p.name for p in (home / "lib").iterdir())

    # With an empty PATH neither Maven nor Java can be found: a fetch that
    # tried to build (or even to check the tools) would fail.
    result = subprocess.run(
        [sys.executable, "-m", "kview.local.registry", "fetch"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(home)
    assert "building" not in result.stderr
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert sorted(p.name for p in (home / "lib").iterdir()) == jars
    # No build directory was left beside it.
    assert [p.name for p in home.parent.glob(f"{home.name}.build-*")] == []


@pytest.mark.parametrize(
    ("present", "missing", "hint"),
    [((), "java", "openjdk-17-jre-headless"), (("java",), "mvn", "apt-get install maven")],
)
def test_missing_tools_are_named(tmp_path, present, missing, hint):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in present:
        (bin_dir / tool).symlink_to(subprocess.check_output(["which", tool], text=True).strip())
    result = subprocess.run(
        [sys.executable, "-m", "kview.local.registry", "fetch"],
        capture_output=True,
        text=True,
        timeout=60,
        # An empty cache, so the registry would have to be built.
        env={**os.environ, "PATH": str(bin_dir), "KVIEW_KAFKA_CACHE": str(tmp_path / "cache")},
    )
    assert result.returncode == 1
    assert f"'{missing}' was not found" in result.stderr and hint in result.stderr, result.stderr
    assert not (tmp_path / "cache" / f"apicurio-registry-{APICURIO_VERSION}").exists()


def test_stop_leaves_no_process_and_no_directory():
    registry = DevRegistry()
    registry.start()
    url, directory = registry.url, registry.directory
    assert directory is not None
    try:
        assert answers(url)
        assert processes_under(str(directory))  # the registry and its reaper
    finally:
        registry.stop()
    assert processes_under(str(directory)) == []
    assert not directory.exists()
    assert not answers(url)


def test_run_command_stops_on_sigterm_and_its_reaper_cleans_up_after_a_kill(tmp_path):
    # The registry's directory is made in a scratch TMPDIR, so the test knows
    # where to look for what it leaves.
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-m", "kview.local.registry", "run"]

    # Ended politely: SIGTERM to `python -m kview.local.registry run`.
    polite = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = polite.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/apis/ccompat/v7"), polite.stderr.read()
        assert answers(url)
        polite.send_signal(signal.SIGTERM)
        assert polite.wait(timeout=60) == 0
        assert not answers(url)
        assert list(tmp_path.iterdir()) == []
    finally:
        if polite.poll() is None:
            polite.kill()
            polite.wait()

    # Killed: the reaper stops the registry and removes its directory.
    killed = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = killed.stdout.readline().strip()
        assert answers(url), killed.stderr.read()
        [directory] = list(tmp_path.glob("kview-registry-*"))
        assert processes_under(str(directory))
    finally:
        killed.kill()
        killed.wait()
    wait_until(lambda: processes_under(str(directory)) == [], timeout=30, what="the reaper to stop the registry")
    wait_until(lambda: not directory.exists(), timeout=30, what="the reaper to remove the directory")
    assert not answers(url)
