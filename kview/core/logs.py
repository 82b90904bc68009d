"""Logging: a rotating file under the platformdirs user log dir
(``KVIEW_LOG_DIR`` overrides), with every known secret redacted.

Secrets are registered once (the CLI registers every profile's passwords, and
``connection_kwargs`` registers the profile it connects with); from then on
every line written to the file, tracebacks and aiokafka's own lines included,
has them replaced by ``***``.  ``redact`` does the same for messages shown to
the user.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import platformdirs

_SECRETS: set[str] = set()
_PATTERN: re.Pattern[str] | None = None
_LOCK = threading.Lock()

MIN_SECRET_LENGTH = 3
"""Shorter values are not redacted: replacing every "ab" would wreck the log,
and such a password protects nothing anyway."""


def log_dir() -> Path:
    override = os.environ.get("KVIEW_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path("kview")


def _spellings(value: str) -> set[str]:
    """The ways a secret can appear in text: as is, inside a str repr (quotes
    and backslashes escaped), and inside a bytes repr (aiokafka's debug lines
    print SASL PLAIN payloads as bytes)."""
    spellings = {value, repr(value)[1:-1]}
    spellings.add(repr(value.encode("utf-8"))[2:-1])
    return {s for s in spellings if len(s) >= MIN_SECRET_LENGTH}


def register_secrets(values: Iterable[str]) -> None:
    """Strings that must never reach a log line (passwords, key passwords)."""
    global _PATTERN
    added = set()
    for value in values:
        if value and len(value) >= MIN_SECRET_LENGTH:
            added |= _spellings(value)
    with _LOCK:
        if added - _SECRETS:
            _SECRETS.update(added)
            # Longest first, so a secret that contains another is removed whole.
            ordered = sorted(_SECRETS, key=len, reverse=True)
            _PATTERN = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    pattern = _PATTERN
    if pattern is None:
        return text
    return pattern.sub("***", text)


class RedactingFormatter(logging.Formatter):
    """Formats, tracebacks included, then removes every registered secret."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _KViewFileHandler(logging.handlers.RotatingFileHandler):
    """Marks the handler setup_logging installed, so it alone is replaced."""


def setup_logging(debug: bool = False) -> Path:
    """Send kview's (and aiokafka's) logs to the rotating file; return its path."""
    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kview.log"
    handler = _KViewFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    stop_logging()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    # aiokafka logs every request at DEBUG; keep that for --debug only.
    logging.getLogger("aiokafka").setLevel(logging.NOTSET if debug else logging.WARNING)
    return path


def stop_logging() -> None:
    """Remove and close the file handler setup_logging installed, if any."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _KViewFileHandler):
            root.removeHandler(existing)
            existing.close()
