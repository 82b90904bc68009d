"""kview's own exception types.  Every error the user can cause or meet carries
a message fit to show as-is: no traceback, no secret."""

from __future__ import annotations


def _kafka_errors():
    # Imported on first use: aiokafka pulls in asyncio and its whole client,
    # which `kview --help` and config errors should not pay for.
    from aiokafka import errors

    return errors


class KViewError(Exception):
    """Base of every error kview reports to the user."""


class ConfigError(KViewError):
    """The configuration file or a command-line setting is invalid."""


class ClusterUnavailable(KViewError):
    """No broker of the cluster could be reached (or authentication failed)."""


class ReadOnlyError(KViewError):
    """A write action was attempted on a read-only cluster profile."""


class InputError(KViewError, ValueError):
    """What the user typed cannot be used; the message says what is accepted.
    A ValueError too, so form code that catches ValueError keeps working."""


AUTHORIZATION_CODES = frozenset({29, 30, 31, 53, 65})
"""Topic, group, cluster, transactional id and delegation token
authorisation failures: the authorizer said no."""


class KafkaRequestError(KViewError):
    """Kafka answered a request with an error code.  An authorisation failure
    reads "not authorised to <subject> (<Kafka's name>)": what was refused,
    not the broker's generic sentence."""

    def __init__(self, code: int, message: str | None = None, *, subject: str = "") -> None:
        self.code = code
        self.name = error_name(code)
        if code in AUTHORIZATION_CODES:
            text = f"not authorised to {subject} ({self.name})" if subject else f"not authorised ({self.name})"
            super().__init__(f"{text}: {message}" if message else text)
            return
        detail = message or error_description(code)
        prefix = f"{subject}: " if subject else ""
        super().__init__(f"{prefix}{self.name}: {detail}" if detail else f"{prefix}{self.name}")

    @property
    def denied(self) -> bool:
        """The authorizer refused it (the principal lacks an ACL)."""
        return self.code in AUTHORIZATION_CODES


def error_name(code: int) -> str:
    """Kafka's name for an error code, e.g. 36 -> 'TopicExists'."""
    kafka_errors = _kafka_errors()
    cls = kafka_errors.for_code(code)
    name = cls.__name__
    if cls is kafka_errors.UnknownError and code != -1:
        return f"Error{code}"
    for suffix in ("Error", "Exception"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name


def error_description(code: int) -> str:
    cls = _kafka_errors().for_code(code)
    return (getattr(cls, "description", "") or "").strip()


def describe_exception(exc: BaseException) -> str:
    """One line for any exception raised while talking to Kafka."""
    if isinstance(exc, KViewError):
        return str(exc)
    if isinstance(exc, _kafka_errors().KafkaError):
        name = type(exc).__name__
        text = str(exc)
        if text and text != name and not text.startswith(name):
            return f"{name}: {text}"
        return text or name
    if isinstance(exc, (TimeoutError,)):
        return "request timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
