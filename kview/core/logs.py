"""Logging: a rotating file under the platformdirs user log dir
(``KVIEW_LOG_DIR`` overrides), with every known secret redacted."""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import Iterable
from pathlib import Path

import platformdirs

_SECRETS: set[str] = set()


def log_dir() -> Path:
    override = os.environ.get("KVIEW_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path("kview")


def register_secrets(values: Iterable[str]) -> None:
    """Strings that must never reach a log line (passwords, key passwords)."""
    for value in values:
        if value and len(value) >= 3:
            _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class RedactingFormatter(logging.Formatter):
    """Formats, tracebacks included, then removes every registered secret."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(debug: bool = False) -> Path:
    """Send kview's (and aiokafka's) logs to the rotating file; return its path."""
    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kview.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, logging.handlers.RotatingFileHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    if not debug:
        logging.getLogger("aiokafka").setLevel(logging.WARNING)
    return path
