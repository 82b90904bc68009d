"""Errors of a message, a setting or a send that was refused."""

from __future__ import annotations

import json

from kview.core.errors import (
    KViewError,
)

# -- errors ------------------------------------------------------------------------


class ProduceError(KViewError):
    """A message, a setting or a send was refused."""


class InvalidMessage(ProduceError):
    """The composed message is not valid (nothing was sent)."""


class InvalidJSON(InvalidMessage):
    """The value is not valid JSON; ``line`` and ``column`` are 1-based."""

    def __init__(self, problem: str, line: int, column: int, *, what: str = "value") -> None:
        self.problem = problem
        self.line = line
        self.column = column
        super().__init__(f"{what} is not valid JSON: {problem} at line {line}, column {column}")


def validate_json(text: str, *, what: str = "value") -> None:
    """Raise InvalidJSON (with line and column) unless ``text`` is one JSON document."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidJSON(exc.msg, exc.lineno, exc.colno, what=what) from None
    except RecursionError:
        raise InvalidJSON("nested too deeply", 1, 1, what=what) from None
