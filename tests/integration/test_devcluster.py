"""The harness itself: cached jars, clean shutdown, and clean-up when the
process that started a cluster is interrupted or killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kview.local import cluster as devcluster
from kview.local.reaper import processes_under


def test_second_fetch_downloads_nothing(monkeypatch, kafka):
    # The session cluster already fetched the jars; with Maven removed from PATH
    # a second resolution must still succeed from the cache alone.
    monkeypatch.setenv("PATH", "/nonexistent")
    libs = devcluster.ensure_jars()
    assert any(p.name.startswith("kafka_2.13-") for p in libs.iterdir())
    assert any(p.name.startswith("kafka-tools-") for p in libs.iterdir())


def test_missing_java_says_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(devcluster.MissingTool, match="apt-get install"):
        devcluster.check_java()


def _start_child() -> tuple[subprocess.Popen, str, Path]:
    code = (
        "import signal, time, sys\n"
        # Under pytest-xdist this process inherits an ignored SIGINT (the
        # worker leaves ctrl-c to the controller): restore Python's own.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from kview.local.cluster import DevCluster\n"
        "c = DevCluster(1)\n"
        "try:\n"
        "    c.start()\n"
        "    print(c.bootstrap, c.directory, flush=True)\n"
        "    time.sleep(600)\n"
        "finally:\n"
        "    c.stop()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline().split()
    assert len(line) == 2, "child cluster did not start"
    return child, line[0], Path(line[1])


def _wait_gone(directory: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while processes_under(str(directory)) or directory.exists():
        assert time.monotonic() < deadline, f"left behind: {processes_under(str(directory))} {directory.exists()}"
        time.sleep(0.5)


@pytest.mark.parametrize("how", ["interrupt", "kill"])
def test_no_process_or_temp_dir_left_behind(how):
    child, bootstrap, directory = _start_child()
    assert processes_under(str(directory)), "broker process not found"
    assert directory.is_dir()
    child.send_signal(signal.SIGINT if how == "interrupt" else signal.SIGKILL)
    child.wait(timeout=60)
    _wait_gone(directory)


def test_run_command_stops_on_sigterm(tmp_path):
    """``python -m kview.local.cluster run`` ended politely: the brokers stop
    and their directory (made in a scratch TMPDIR here) is removed."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-m", "kview.local.cluster", "run"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        bootstrap = child.stdout.readline().strip()
        assert bootstrap.startswith("127.0.0.1:"), child.stderr.read()
        [directory] = [p for p in tmp_path.iterdir() if processes_under(str(p))]
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    _wait_gone(directory)
    assert list(tmp_path.iterdir()) == []


def test_stop_and_restart_one_broker(kafka3):
    kafka3.stop_broker(3)
    try:
        assert not kafka3.broker(3).running
        # The rest of the cluster keeps answering Kafka's own tools.
        out = kafka3.run_tool("kafka-metadata-quorum", "describe", "--status").stdout
        assert "LeaderId:" in out
    finally:
        kafka3.start_broker(3)
    assert kafka3.broker(3).running
    kafka3.wait_ready(60)


def test_cluster_reports_its_jars_version(kafka):
    out = kafka.run_tool("kafka-broker-api-versions").stdout
    assert f"127.0.0.1:{kafka.brokers[0].port}" in out
    assert os.path.basename(str(devcluster.cache_dir())) == f"kafka-{devcluster.KAFKA_VERSION}"


def test_tool_runs_load_a_recorded_class_archive(kafka, tmp_path, monkeypatch):
    # A fresh cache dir for the archives only (the jars stay where they are):
    # the first run records the tool's class archive, later runs load it and
    # print exactly what a run without it prints.
    libs = devcluster.ensure_jars()
    monkeypatch.setattr(devcluster, "_archive_path", lambda tool, version=None: tmp_path / f"{tool}.jsa")
    assert "-Xshare:auto" in kafka.tool_command("kafka-topics", "--list")
    first = kafka.run_tool("kafka-topics", "--list").stdout
    assert (tmp_path / "kafka-topics.jsa").stat().st_size > 0
    command = kafka.tool_command("kafka-topics", "--list")
    assert f"-XX:SharedArchiveFile={tmp_path / 'kafka-topics.jsa'}" in command
    assert kafka.run_tool("kafka-topics", "--list").stdout == first
    assert not list(tmp_path.glob("*.tmp")) and libs.is_dir()


@pytest.mark.parametrize("version", ["4.4", "latest", "2.8.2", "4.4.0; rm -rf /", "../4.4.0"])
def test_a_bad_kafka_version_is_refused_in_one_line(version, tmp_path):
    # Checked before anything is fetched or a path is built from it.
    result = subprocess.run(
        [sys.executable, "-m", "kview.local.cluster", "fetch", version],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KVIEW_KAFKA_CACHE": str(tmp_path)},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "is not one kview can run" in line and devcluster.DEFAULT_KAFKA_VERSION in line
    assert list(tmp_path.iterdir()) == []


def test_the_version_comes_from_the_environment(tmp_path):
    code = "from kview.local import cluster as d; print(d.KAFKA_VERSION, d.DevCluster().version, d.cache_dir().name)"
    for value, expected in [("3.9.1", "3.9.1"), ("", devcluster.DEFAULT_KAFKA_VERSION)]:
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "KVIEW_KAFKA_VERSION": value},
        ).stdout.split()
        assert out == [expected, expected, f"kafka-{expected}"]
