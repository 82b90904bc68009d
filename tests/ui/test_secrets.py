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


async def test_a_password_set_in_the_access_pane_is_never_shown_logged_or_in_a_repr(secure):
    """The Access pane's password form: a new user's password and a changed
    one, typed twice, are not on any screen, in the log (debug level: every
    request aiokafka sends is logged), in the forms' or requests' reprs, or
    in the text of the notifications; the broker has the credential."""
    from kview.core.access.service import salted_password
    from kview.core.protocol.access_requests import AlterUserScramCredentialsRequest
    from kview.ui.screens.access_forms import PasswordForm

    user, first, second = "carol-access", "First-pw-" + PASSWORD, "Second-pw-" + PASSWORD
    setup_logging(debug=True)
    seen: list[str] = []
    reprs: list[str] = []
    try:
        profile = secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-256", password=PASSWORD)
        app = make_app(Config(clusters={"good": profile}, default_cluster="good"), profile)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.connection.connected, timeout=60)
            await pilot.press("8")
            await wait_for(pilot, lambda: app.active_pane_id == "access" and app.active_pane().snapshot is not None)
            await pilot.press("v", "n")
            await wait_for(pilot, lambda: isinstance(app.screen, PasswordForm))
            await pilot.press(*user, "tab", *first, "tab", *first)
            seen.append(screen_text(app, flat=True))
            reprs.append(repr(app.screen))
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: not isinstance(app.screen, PasswordForm), timeout=30)
            pane = app.active_pane()
            await wait_for(pilot, lambda: pane.table_of("users").selected_key() is not None, timeout=30)
            await wait_for(pilot, lambda: user in screen_text(app, flat=True), timeout=30)
            # Select the new user, change its password.
            while pane.table_of("users").selected_key() != user:
                await pilot.press("down")
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, PasswordForm))
            await pilot.press(*second, "tab", *second)
            seen.append(screen_text(app, flat=True))
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: not isinstance(app.screen, PasswordForm), timeout=30)
            seen.append(screen_text(app, flat=True))
            seen.extend(n.message for n in app._notifications)
        assert any("changed the password of 'carol-access'" in text for text in seen)
        request = AlterUserScramCredentialsRequest(
            [], [(user, 2, 4096, b"salt", salted_password(first, b"salt", 4096, "SCRAM-SHA-512"))]
        )
        reprs.append(repr(request))
        reprs.append(repr(request.build(request._CLASSES[0])))
    finally:
        stop_logging()
    out = secure.cluster.run_tool("kafka-configs", "--describe", "--entity-type", "users", "--entity-name", user).stdout
    assert "SCRAM-SHA-512=iterations=4096" in out
    logs = "".join(p.read_text(errors="replace") for p in log_dir().glob("kview.log*"))
    assert "AlterUserScramCredentials" in logs, "the requests were not logged at all"
    for secret in (first, second):
        for text in (*seen, *reprs, logs):
            assert secret not in text
    assert all("salted_password=" not in r and "b'salt'" not in r for r in reprs)
