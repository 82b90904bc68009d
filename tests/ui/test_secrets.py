"""A known password never shows: not on screen (every pane, help, errors),
not in the log file, not in the CLI's error output."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from screen_text import screen_text, wait_for

from kview.app import PANES, make_app
from kview.core.config import Config
from kview.core.logs import log_dir, setup_logging, stop_logging
from kview.local.security import SecureDevCluster

PASSWORD = "Zq7-known-secret-81f3"


@pytest.fixture(scope="module")
def secure():
    with SecureDevCluster(scram_users={"alice": PASSWORD}) as cluster:
        cluster.cluster.run_tool("kafka-topics", "--create", "--topic", "secret-test", "--partitions", "1")
        yield cluster


async def _visit_everything(app, pilot) -> str:
    """Every pane and the help screen; the text of all of them."""
    seen = []
    for spec in PANES:
        await pilot.press(spec.key)
        await pilot.pause(1.0)
        seen.append(screen_text(app, flat=True))
    await pilot.press("question_mark")
    await pilot.pause(0.3)
    seen.append(screen_text(app, flat=True))
    await pilot.press("escape")
    return "\n".join(seen)


async def test_password_never_on_screen_or_in_logs(secure, tmp_path):
    setup_logging(debug=True)
    try:
        good = secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-256", password=PASSWORD)
        app = make_app(Config(clusters={"good": good}, default_cluster="good"), good)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.connection.connected, timeout=60)
            screens = await _visit_everything(app, pilot)
        assert "secret-test" in screens or "Brokers" in screens
        assert PASSWORD not in screens

        bad = secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-256", password=PASSWORD + "-wrong")
        app = make_app(Config(clusters={"bad": bad}, default_cluster="bad"), bad)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.connection.status == "unreachable", timeout=60)
            await pilot.pause(0.5)
            text = screen_text(app, flat=True)
            assert "authentication failed" in text
            screens = text + await _visit_everything(app, pilot)
        assert PASSWORD not in screens
    finally:
        stop_logging()
    logs = "".join(p.read_text(errors="replace") for p in log_dir().glob("kview.log*"))
    assert "alice" in logs or "SCRAM" in logs or "authentication" in logs, "the log recorded nothing"
    assert PASSWORD not in logs


def test_password_not_in_cli_error_output(secure, tmp_path):
    listener = secure.bootstrap("SCRAMTLS")
    config = tmp_path / "config.yaml"
    config.write_text(
        "clusters:\n  secure:\n"
        f"    bootstrap: {listener}\n"
        "    request_timeout_ms: 5000\n"
        "    security:\n      protocol: SASL_SSL\n      sasl_mechanism: SCRAM-SHA-256\n"
        f"      username: alice\n      password: ${{KVIEW_TEST_PW}}\n      ca_file: {secure.certs.ca_file}\n"
    )
    env = dict(os.environ, KVIEW_CONFIG=str(config), KVIEW_TEST_PW=PASSWORD + "-wrong")
    result = subprocess.run(
        [sys.executable, "-m", "kview.cli", "--cluster", "secure", "topics"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "authentication failed" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
