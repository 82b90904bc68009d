"""What goes wrong with a registry, a schema or a record, as kview's errors
(one line each, never carrying a secret)."""

from __future__ import annotations

from kview.core.errors import KViewError


class RegistryError(KViewError):
    """The registry answered with an error (``status`` the HTTP status,
    ``code`` the registry's ``error_code``, e.g. 40401 unknown subject)."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RegistryUnavailable(RegistryError):
    """The registry could not be reached (refused, timed out, TLS failure),
    or is being backed off after such a failure."""


class SchemaError(KViewError):
    """A registered schema that the codec library cannot parse or compile."""


class DecodeError(KViewError):
    """A payload that does not decode with its schema (truncated, corrupt, wrong type)."""


class EncodeError(KViewError):
    """A value that does not fit the schema: ``path`` is where (``$.address.zip``),
    ``reason`` why.  Nothing was sent."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason
