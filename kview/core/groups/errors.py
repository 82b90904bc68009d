"""Kafka's error codes as the group requests meet them: which ones mean "ask
the coordinator again", and words for the codes aiokafka 0.14's table lacks."""

from __future__ import annotations

from kview.core.errors import KafkaRequestError

RETRIABLE = {14, 15, 16}
"""COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR."""

COORDINATOR_LOAD_IN_PROGRESS = 14
GROUP_ID_NOT_FOUND = 69
GROUP_AUTHORIZATION_FAILED = 30

_NAMES_AIOKAFKA_LACKS = {
    86: ("GroupSubscribedToTopic", "the group's members are consuming this topic; stop them first"),
    88: ("UnstableOffsetCommit", "a transactional offset commit for this partition is still pending"),
    110: ("StaleMemberEpoch", "the member epoch is stale"),
    111: ("MismatchedEndpointType", "the request was sent to an endpoint of the wrong type"),
}
"""Group error codes newer than aiokafka 0.14's error table, by Kafka's names."""


def group_error(code: int, subject: str = "", message: str | None = None) -> KafkaRequestError:
    """KafkaRequestError, naming codes aiokafka's table does not know."""
    if code == GROUP_AUTHORIZATION_FAILED and subject in ("coordinator lookup", "describe group"):
        # The authorizer hides the group: say what the user was refused, not
        # which request the refusal came back on.
        subject = "describe the group"
    error = KafkaRequestError(code, message, subject=subject)
    if code in _NAMES_AIOKAFKA_LACKS:
        name, detail = _NAMES_AIOKAFKA_LACKS[code]
        error.name = name
        prefix = f"{subject}: " if subject else ""
        error.args = (f"{prefix}{name}: {message or detail}",)
    return error


def check(code: int, subject: str) -> None:
    """Raise ``group_error(code, subject)`` unless ``code`` is 0."""
    if code:
        raise group_error(code, subject)
