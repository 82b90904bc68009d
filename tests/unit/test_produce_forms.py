"""The producer service's pure parts, without Kafka: settings and their
problems, header rows, message checks, the send history, progress snapshots
and the words for every send failure."""

from __future__ import annotations

import pytest
from aiokafka import errors as kafka_errors

from kview.core.errors import ClusterUnavailable, KafkaRequestError, KViewError
from kview.core.produce import (
    ComposedMessage,
    InvalidJSON,
    InvalidMessage,
    JobState,
    LoadProgress,
    ProduceError,
    ProducerSettings,
    SendHistory,
    SendResult,
    ValueFormat,
    explain_error,
    format_header_rows,
    parse_header_rows,
)


def test_settings_defaults_come_from_the_profile():
    from kview.core.config import ProducerDefaults

    settings = ProducerSettings.from_defaults(
        ProducerDefaults(acks="1", idempotence=False, compression="zstd", linger_ms=20, batch_size=65536)
    )
    assert settings == ProducerSettings("1", False, "zstd", 20, 65536)
    assert settings.producer_kwargs() == {
        "acks": 1,
        "enable_idempotence": False,
        "compression_type": "zstd",
        "linger_ms": 20,
        "max_batch_size": 65536,
    }
    assert ProducerSettings().producer_kwargs()["compression_type"] is None


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (ProducerSettings(acks="0", idempotence=True), "idempotence needs acks=all"),
        (ProducerSettings(acks="1", idempotence=True), "idempotence needs acks=all"),
        (ProducerSettings(acks="2", idempotence=False), "acks must be one of 0, 1, all"),
        (ProducerSettings(compression="brotli"), "compression must be one of"),
        (ProducerSettings(linger_ms=-1), "linger_ms"),
        (ProducerSettings(batch_size=0), "batch_size"),
    ],
)
def test_invalid_settings_are_explained(settings, words):
    assert any(words in problem for problem in settings.problems())
    with pytest.raises(ProduceError, match=words):
        settings.validate()


def test_valid_settings_have_no_problems():
    for acks in ("0", "1", "all"):
        assert ProducerSettings(acks=acks, idempotence=acks == "all").problems() == []


def test_header_rows():
    assert parse_header_rows("a=1\n\n b = x=y\nempty=\n") == (("a", "1"), ("b", " x=y"), ("empty", ""))
    assert parse_header_rows(["a=1", "a=2"]) == (("a", "1"), ("a", "2"))
    with pytest.raises(InvalidMessage, match="header row 2: expected name=value"):
        parse_header_rows("a=1\nnovalue")
    with pytest.raises(InvalidMessage, match="header row 1: the header name is empty"):
        parse_header_rows("=v")
    headers = (("a", "1"), ("b", "x=y"))
    assert parse_header_rows(format_header_rows(headers)) == headers


def test_message_checks():
    with pytest.raises(InvalidMessage, match="cannot both be null"):
        ComposedMessage("t", None, None).check()
    with pytest.raises(InvalidJSON) as info:
        ComposedMessage("t", "k", "[1, 2", value_format=ValueFormat.JSON).check()
    assert (info.value.line, info.value.column) == (1, 6)
    ComposedMessage("t", "k", None, value_format=ValueFormat.JSON).check()  # a tombstone needs no JSON
    assert ComposedMessage("t", "k", "v", (("h", "é"),)).encode() == (b"k", b"v", [("h", "é".encode())])


def test_history_is_bounded_and_newest_first():
    history = SendHistory(capacity=3)
    for n in range(5):
        history.record(ComposedMessage("t", str(n), "v"), SendResult("t", 0, n, 0), sent_at=float(n))
    assert len(history) == 3
    assert [e.message.key for e in history.entries] == ["4", "3", "2"]
    assert history.reopen(2).key == "2"
    history.clear()
    assert len(history) == 0
    with pytest.raises(ValueError):
        SendHistory(0)


def test_progress_snapshot_properties():
    p = LoadProgress(sent=10, acked=6, failed=1, elapsed=2.0, total=20)
    assert p.in_flight == 3 and p.rate == 3.0 and p.fraction == 7 / 20 and not p.finished
    timed = LoadProgress(sent=0, acked=0, failed=0, elapsed=1.0, duration=4.0, state=JobState.DONE)
    assert timed.fraction == 0.25 and timed.finished and timed.rate == 0.0


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (kafka_errors.TopicAuthorizationFailedError(), KafkaRequestError, "not allowed to write to the topic"),
        (kafka_errors.ClusterAuthorizationFailedError(), KafkaRequestError, "turn idempotence off"),
        (
            kafka_errors.KafkaConnectionError("Connection at 1.2.3.4:9092 closed"),
            ClusterUnavailable,
            "broker unreachable",
        ),
        (kafka_errors.NodeNotReadyError(), ClusterUnavailable, "broker unreachable"),
        (kafka_errors.KafkaTimeoutError(), ClusterUnavailable, "broker unreachable"),
        (kafka_errors.UnknownTopicOrPartitionError(), KafkaRequestError, "does not exist"),
        (kafka_errors.NotEnoughReplicasError(), KafkaRequestError, "min.insync.replicas"),
        (kafka_errors.NotEnoughReplicasAfterAppendError(), KafkaRequestError, "acks=all cannot be satisfied"),
        (kafka_errors.MessageSizeTooLargeError(), KafkaRequestError, "larger than the topic accepts"),
        (
            kafka_errors.MessageSizeTooLargeError(
                "The message is 2000000 bytes when serialized which is larger than the maximum request size you "
                "have configured with the max_request_size configuration"
            ),
            KafkaRequestError,
            "producer's maximum request size",
        ),
        (kafka_errors.InvalidRequiredAcksError(), KafkaRequestError, "InvalidRequiredAcks"),
        (kafka_errors.ProducerClosed(), ProduceError, "producer was closed"),
        (RuntimeError("boom"), ProduceError, "RuntimeError: boom"),
    ],
)
def test_send_failures_in_words(exc, kind, words):
    error = explain_error(exc, "orders")
    assert isinstance(error, kind) and isinstance(error, KViewError)
    assert words in str(error)
    assert "Traceback" not in str(error)


def test_error_details_when_known():
    too_big = explain_error(kafka_errors.MessageSizeTooLargeError(), "t", size=2087, max_message_bytes=1000)
    assert str(too_big) == (
        "topic 't': MessageSizeTooLarge: the message (about 2087 bytes) is larger than "
        "the topic accepts (max.message.bytes=1000)"
    )
    short = explain_error(kafka_errors.NotEnoughReplicasError(), "t", isr=(0, 1, 2))
    assert "partition 0 has 1 in-sync replica(s) but min.insync.replicas is 2" in str(short)
