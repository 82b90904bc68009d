"""Logging: the rotating file under KVIEW_LOG_DIR, and redaction of every
registered secret from messages, log lines and tracebacks."""

from __future__ import annotations

import logging
import sys
import uuid

import pytest

from kview.core.logs import (
    RedactingFormatter,
    log_dir,
    redact,
    register_secrets,
    setup_logging,
    stop_logging,
)


def _secret(prefix: str = "pw") -> str:
    # Unique per test: the registry is process-wide.
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KVIEW_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger()
    level, aiokafka_level = root.level, logging.getLogger("aiokafka").level
    path = setup_logging(debug=True)
    yield path
    stop_logging()
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(aiokafka_level)


def test_redact_replaces_every_registered_secret():
    a, b = _secret(), _secret()
    register_secrets([a, b, None, ""])
    assert redact(f"user=x password={a} again {a}; other {b}") == "user=x password=*** again ***; other ***"
    assert redact("nothing secret here") == "nothing secret here"


def test_a_secret_containing_another_is_removed_whole():
    short = _secret("in")
    long = f"{short}-and-more"
    register_secrets([short, long])
    assert redact(f"[{long}] [{short}]") == "[***] [***]"


def test_secrets_are_redacted_in_their_repr_spellings():
    # aiokafka's debug line for a SASL PLAIN request prints the payload as bytes.
    secret = f"é'q\\{uuid.uuid4().hex[:8]}"
    register_secrets([secret])
    payload = b"\x00".join([b"bob", b"bob", secret.encode()])
    assert secret not in redact(repr(payload)) and "***" in redact(repr(payload))
    assert redact(repr(secret)) == '"***"'  # repr picks double quotes around a single quote
    assert redact(secret) == "***"


def test_very_short_values_are_not_registered():
    register_secrets(["ab"])
    assert redact("tab table") == "tab table"


def test_formatter_redacts_message_args_and_traceback():
    secret = _secret()
    register_secrets([secret])
    logger = logging.getLogger("kview.test.formatter")
    try:
        raise ValueError(f"login with {secret} failed")
    except ValueError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "password %s rejected", (secret,), exc_info=sys.exc_info()
        )
    text = RedactingFormatter("%(message)s").format(record)
    assert "Traceback" in text and "ValueError: login with *** failed" in text
    assert "password *** rejected" in text
    assert secret not in text


def test_setup_logging_writes_redacted_lines_to_the_rotating_file(log_file, tmp_path):
    secret = _secret()
    register_secrets([secret])
    assert log_file == tmp_path / "logs" / "kview.log" and log_dir() == tmp_path / "logs"
    logging.getLogger("kview.test").info("connecting with %s", secret)
    logging.getLogger("aiokafka.conn").debug("Request 1: SaslAuthenticateRequest(b'bob\\x00%s')", secret)
    try:
        {}["x"]
    except KeyError:
        logging.getLogger("kview.test").exception("failed for %s", secret)
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "baseFilename", None) == str(log_file)]
    assert len(handlers) == 1 and handlers[0].maxBytes > 0 and handlers[0].backupCount > 0
    handlers[0].flush()
    text = log_file.read_text()
    assert "connecting with ***" in text
    assert "SaslAuthenticateRequest" in text, "aiokafka's debug lines reach the file with debug on"
    assert "Traceback" in text and "failed for ***" in text
    assert secret not in text


def test_setup_logging_twice_keeps_one_handler(log_file):
    setup_logging(debug=False)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "baseFilename", None) == str(log_file)]
    assert len(ours) == 1
    # Without --debug aiokafka's per-request lines stay out of the file.
    assert logging.getLogger("aiokafka").getEffectiveLevel() == logging.WARNING
    stop_logging()
    assert not [h for h in logging.getLogger().handlers if getattr(h, "baseFilename", None) == str(log_file)]
