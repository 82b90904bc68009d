"""Every way a send can fail, in words a user can act on."""

from __future__ import annotations

import asyncio

from aiokafka import errors as kafka_errors

from kview.core.errors import (
    ClusterUnavailable,
    KafkaRequestError,
    KViewError,
    describe_exception,
)
from kview.core.produce.errors import ProduceError

# -- errors in words -----------------------------------------------------------------

_UNREACHABLE = (
    kafka_errors.KafkaConnectionError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.NoBrokersAvailable,
    kafka_errors.RequestTimedOutError,
    kafka_errors.KafkaTimeoutError,
    ConnectionError,
    asyncio.TimeoutError,
)


def explain_error(
    exc: BaseException,
    topic: str,
    *,
    size: int | None = None,
    max_message_bytes: int | None = None,
    isr: tuple[int, int, int] | None = None,
) -> KViewError:
    """A send failure as a KViewError the user can read (never a traceback).

    ``size`` is the record's estimated size, ``max_message_bytes`` the topic's
    limit, ``isr`` (partition, in-sync replicas, min.insync.replicas): details
    the service looks up after the failure, when it can."""
    if isinstance(exc, KViewError):
        return exc
    subject = f"topic '{topic}'" if topic else "producer"
    if isinstance(exc, kafka_errors.MessageSizeTooLargeError) and "max_request_size" in str(exc):
        # aiokafka refused it before sending: the producer's own request limit.
        detail = f" ({size} bytes)" if size else ""
        return KafkaRequestError(
            10,
            f"the message{detail} is larger than the producer's maximum request size (1048576 bytes)",
            subject=subject,
        )
    if isinstance(exc, (kafka_errors.MessageSizeTooLargeError, kafka_errors.RecordListTooLargeError)):
        what = f"the message (about {size} bytes)" if size else "the message"
        limit = f"max.message.bytes={max_message_bytes}" if max_message_bytes is not None else "max.message.bytes"
        return KafkaRequestError(10, f"{what} is larger than the topic accepts ({limit})", subject=subject)
    if isinstance(exc, kafka_errors.UnknownTopicOrPartitionError):
        return KafkaRequestError(3, "the topic (or partition) does not exist", subject=subject)
    if isinstance(exc, (kafka_errors.NotEnoughReplicasError, kafka_errors.NotEnoughReplicasAfterAppendError)):
        code = exc.errno
        if isr is not None:
            partition, in_sync, needed = isr
            detail = (
                f"partition {partition} has {in_sync} in-sync replica(s) but min.insync.replicas is "
                f"{needed}, so acks=all cannot be satisfied"
            )
        else:
            detail = "fewer in-sync replicas than min.insync.replicas, so acks=all cannot be satisfied"
        return KafkaRequestError(code, f"{detail}; bring the replicas back or send with acks=1", subject=subject)
    if isinstance(exc, kafka_errors.TopicAuthorizationFailedError):
        return KafkaRequestError(29, "this user is not allowed to write to the topic", subject=subject)
    if isinstance(exc, kafka_errors.ClusterAuthorizationFailedError):
        return KafkaRequestError(
            31,
            "this user may not use the idempotent producer (cluster IdempotentWrite permission); turn idempotence off",
            subject=subject,
        )
    if isinstance(exc, kafka_errors.TransactionalIdAuthorizationFailed):
        return KafkaRequestError(53, "this user may not use the idempotent producer", subject=subject)
    if isinstance(exc, (kafka_errors.SaslAuthenticationFailed, kafka_errors.UnsupportedSaslMechanismError)):
        return ClusterUnavailable(f"authentication failed: {describe_exception(exc)}")
    if isinstance(exc, _UNREACHABLE):
        return ClusterUnavailable(f"{subject}: broker unreachable or not answering: {describe_exception(exc)}")
    if isinstance(exc, kafka_errors.ProducerClosed):
        return ProduceError(f"{subject}: the producer was closed before the message was delivered")
    errno = getattr(exc, "errno", None)
    if isinstance(exc, kafka_errors.KafkaError) and isinstance(errno, int) and errno > 0:
        text = str(exc)
        name = type(exc).__name__
        message = None if not text or text == name or text.startswith(name) else text
        return KafkaRequestError(errno, message, subject=subject)
    return ProduceError(f"{subject}: {describe_exception(exc)}")
