"""Security against a real broker: TLS (with and without a client certificate),
SASL_SSL with SCRAM-SHA-256/512, SASL_PLAINTEXT with PLAIN; the ways a
connection is refused, each as one clear line; and no password anywhere in
logs, messages or reprs.

One secured broker (kview.local.security) is started for this module.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import replace

import pytest
from aiokafka import AIOKafkaProducer
from kafka_tools import parse_get_offsets

from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.config import Secret, load_config
from kview.core.errors import ClusterUnavailable
from kview.core.logs import setup_logging, stop_logging
from kview.local.security import SecureDevCluster

WRONG_PASSWORD = "wrong-pw-4e71b0c2"


@pytest.fixture(scope="module")
def secure():
    with SecureDevCluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def topics(secure):
    """Two topics made with Kafka's tool over the plain listener; the list
    kafka-topics prints is what every secured connection must show."""
    for name, partitions in (("secure-alpha", 2), ("secure-beta", 1)):
        secure.cluster.run_tool(
            "kafka-topics",
            "--create",
            "--if-not-exists",
            "--topic",
            name,
            "--partitions",
            str(partitions),
            "--replication-factor",
            "1",
        )
    listed = secure.cluster.run_tool("kafka-topics", "--list", "--exclude-internal").stdout.split()
    assert {"secure-alpha", "secure-beta"} <= set(listed)
    return set(listed)


async def _topic_names(profile) -> set[str]:
    client = ClusterClient(profile)
    try:
        await client.start()
        metadata = await client.metadata()
    finally:
        await client.close()
    return {t.name for t in metadata.topics if not t.internal}


def test_scram_users_are_what_kafka_describes(secure):
    out = secure.cluster.run_tool(
        "kafka-configs", "--describe", "--entity-type", "users", "--entity-name", "alice"
    ).stdout
    assert "SCRAM-SHA-256=iterations=" in out and "SCRAM-SHA-512=iterations=" in out


CONNECTIONS = {
    "tls-without-client-cert": ("TLS", {}),
    "tls-with-client-cert-required": ("MTLS", {"client_cert": True}),
    "sasl-ssl-scram-sha-256": ("SCRAMTLS", {"mechanism": "SCRAM-SHA-256"}),
    "sasl-ssl-scram-sha-512": ("SCRAMTLS", {"mechanism": "SCRAM-SHA-512"}),
    "sasl-plaintext-plain": ("SASLPLAIN", {"mechanism": "PLAIN"}),
    "sasl-plaintext-scram-sha-512": ("SCRAM512", {"mechanism": "SCRAM-SHA-512"}),
    "tls-hostname-check-off": ("WRONGHOST", {"check_hostname": False}),
}


@pytest.mark.parametrize("case", list(CONNECTIONS))
async def test_secured_connection_lists_the_topics_kafka_lists(secure, topics, case):
    listener, options = CONNECTIONS[case]
    profile = secure.profile(listener, **options)
    assert profile.security.protocol == secure.LISTENERS[listener]
    assert await _topic_names(profile) == topics


async def test_producer_over_sasl_ssl_uses_the_same_settings(secure, topics):
    """connection_kwargs serves aiokafka's other clients too: a record sent over
    SCRAM/TLS moves the end offset Kafka's own tool reports."""
    producer = AIOKafkaProducer(**connection_kwargs(secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-256")))
    await producer.start()
    try:
        await producer.send_and_wait("secure-beta", b"over SASL_SSL", partition=0)
    finally:
        await producer.stop()
    out = secure.cluster.run_tool("kafka-get-offsets", "--topic", "secure-beta").stdout
    assert parse_get_offsets(out)[("secure-beta", 0)] >= 1


async def test_profile_from_config_with_env_and_file_secrets(secure, topics, tmp_path, monkeypatch):
    """Secrets come from ${ENV} and from a file; kview never writes them back."""
    monkeypatch.setenv("KVIEW_TEST_SCRAM_PASSWORD", secure.scram_users["alice"])
    password_file = tmp_path / "plain-password"
    password_file.write_text(secure.plain_users["bob"] + "\n")
    config_file = tmp_path / "kview.yaml"
    config_file.write_text(
        "clusters:\n"
        "  scram:\n"
        f"    bootstrap: {secure.bootstrap('SCRAMTLS')}\n"
        "    security:\n"
        "      protocol: SASL_SSL\n"
        "      sasl_mechanism: SCRAM-SHA-512\n"
        "      username: alice\n"
        "      password: ${KVIEW_TEST_SCRAM_PASSWORD}\n"
        f"      ca_file: {secure.certs.ca_file}\n"
        "  plain:\n"
        f"    bootstrap: {secure.bootstrap('SASLPLAIN')}\n"
        "    security:\n"
        "      protocol: SASL_PLAINTEXT\n"
        "      sasl_mechanism: PLAIN\n"
        "      username: bob\n"
        f"      password_file: {password_file}\n"
        "  mtls:\n"
        f"    bootstrap: {secure.bootstrap('MTLS')}\n"
        "    security:\n"
        "      protocol: SSL\n"
        f"      ca_file: {secure.certs.ca_file}\n"
        f"      cert_file: {secure.certs.client_cert_file}\n"
        f"      key_file: {secure.certs.client_key_file}\n"
        f"      key_password: {secure.certs.client_key_password}\n"
    )
    before = config_file.read_bytes(), config_file.stat().st_mtime_ns
    config = load_config(config_file)
    for name in ("scram", "plain", "mtls"):
        assert await _topic_names(config.profile(name)) == topics
    assert (config_file.read_bytes(), config_file.stat().st_mtime_ns) == before
    for secret in (secure.scram_users["alice"], secure.plain_users["bob"], secure.certs.client_key_password):
        assert secret not in repr(config)


def _failures(secure) -> dict[str, tuple[object, list[str]]]:
    other_ca = str(secure.certs.other_ca_file)
    return {
        "wrong-password-scram-sha-256": (
            secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-256", password=WRONG_PASSWORD),
            ["authentication failed for user alice (SCRAM-SHA-256)"],
        ),
        "wrong-password-scram-sha-512": (
            secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-512", password=WRONG_PASSWORD),
            ["authentication failed for user alice (SCRAM-SHA-512)"],
        ),
        "unknown-user": (
            secure.profile("SCRAMTLS", username="mallory", password=WRONG_PASSWORD),
            ["authentication failed for user mallory (SCRAM-SHA-512)"],
        ),
        "wrong-password-plain": (
            secure.profile("SASLPLAIN", password=WRONG_PASSWORD),
            ["authentication failed for user bob (PLAIN)"],
        ),
        "wrong-ca": (
            secure.profile("TLS", ca_file=other_ca),
            ["TLS certificate verification failed: ", f"is {other_ca} the CA that signed"],
        ),
        "hostname-mismatch": (
            secure.profile("WRONGHOST"),
            ["TLS certificate verification failed: IP address mismatch", "check_hostname: false"],
        ),
        "client-cert-missing": (
            secure.profile("MTLS"),
            ["the broker requires a client certificate: set cert_file and key_file"],
        ),
        "mechanism-not-enabled": (
            secure.profile("SCRAM512", mechanism="SCRAM-SHA-256"),
            ["the broker does not enable SASL mechanism SCRAM-SHA-256", "(it enables: SCRAM-SHA-512)"],
        ),
        "plain-on-scram-listener": (
            secure.profile("SCRAMTLS", mechanism="PLAIN", username="bob", password=WRONG_PASSWORD),
            ["the broker does not enable SASL mechanism PLAIN", "(it enables: SCRAM-SHA-256, SCRAM-SHA-512)"],
        ),
        "mechanism-unknown-to-aiokafka": (
            secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-1", password=WRONG_PASSWORD),
            ["SASL mechanism 'SCRAM-SHA-1' is not supported by kview"],
        ),
        "tls-client-on-plaintext-listener": (
            secure.profile("PLAINTEXT", protocol="SSL"),
            ["the broker ended the TLS handshake: is this a TLS listener"],
        ),
        "plaintext-client-on-sasl-listener": (
            secure.profile("SASLPLAIN", protocol="PLAINTEXT"),
            ["the broker closed the connection during set-up: is this listener PLAINTEXT?"],
        ),
    }


FAILURES = [
    "wrong-password-scram-sha-256",
    "wrong-password-scram-sha-512",
    "unknown-user",
    "wrong-password-plain",
    "wrong-ca",
    "hostname-mismatch",
    "client-cert-missing",
    "mechanism-not-enabled",
    "plain-on-scram-listener",
    "mechanism-unknown-to-aiokafka",
    "tls-client-on-plaintext-listener",
    "plaintext-client-on-sasl-listener",
]


@pytest.mark.parametrize("case", FAILURES)
async def test_refused_connection_is_one_clear_line(secure, case):
    profile, fragments = _failures(secure)[case]
    client = ClusterClient(profile)
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as info:
        await client.start()
    elapsed = time.monotonic() - started
    message = str(info.value)
    shown = "".join(traceback.format_exception_only(info.value))
    for fragment in fragments:
        assert fragment in message, message
    assert message.startswith("cannot connect to 127.0.0.1:") or "not supported by kview" in message
    assert "\n" not in message and "Traceback" not in shown and shown.count("\n") == 1
    # Nothing chained: printing the error shows no second traceback.
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert WRONG_PASSWORD not in message
    for password in (*secure.scram_users.values(), *secure.plain_users.values()):
        assert password not in message
    assert elapsed < profile.request_timeout_ms / 1000, f"{case} took {elapsed:.1f} s"
    assert not client.connected
    await client.close()


async def test_no_secret_in_logs_messages_or_reprs(secure, tmp_path, monkeypatch):
    """Connect (and fail to) with known passwords while kview logs at debug
    level, aiokafka's own request lines included; then look for them."""
    monkeypatch.setenv("KVIEW_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger()
    saved_level, saved_aiokafka = root.level, logging.getLogger("aiokafka").level
    log_path = setup_logging(debug=True)
    secrets = [
        *secure.scram_users.values(),
        *secure.plain_users.values(),
        secure.certs.client_key_password,
        WRONG_PASSWORD,
    ]
    scenarios = [
        secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-256"),
        secure.profile("SCRAMTLS", mechanism="SCRAM-SHA-512", password=WRONG_PASSWORD),
        secure.profile("SASLPLAIN"),
        secure.profile("SASLPLAIN", password=WRONG_PASSWORD),
        secure.profile("MTLS", client_cert=True),
    ]
    messages, outcomes = [], []
    try:
        for profile in scenarios:
            client = ClusterClient(profile)
            try:
                await client.start()
                await client.metadata()
                outcomes.append("ok")
            except ClusterUnavailable as exc:
                outcomes.append("refused")
                messages.append(str(exc))
                messages.append("".join(traceback.format_exception(exc)))
                logging.getLogger("kview.test").exception("connecting to %s failed", profile.name)
            finally:
                await client.close()
            messages += [repr(profile), str(profile), repr(profile.security)]
        # A wrong key password fails while the TLS context is built.
        good = secure.profile("MTLS", client_cert=True)
        bad_key = replace(good, security=replace(good.security, key_password=Secret(WRONG_PASSWORD)))
        with pytest.raises(ClusterUnavailable) as info:
            await ClusterClient(bad_key).start()
        assert "wrong key_password" in str(info.value)
        messages.append(str(info.value))
    finally:
        for handler in root.handlers:
            handler.flush()
        stop_logging()
        root.setLevel(saved_level)
        logging.getLogger("aiokafka").setLevel(saved_aiokafka)

    assert outcomes == ["ok", "refused", "ok", "refused", "ok"]
    log_text = log_path.read_text()
    # The check means something only if the risky lines were written: aiokafka
    # logs every request at debug, SASL PLAIN's password-bearing one included.
    assert "SaslAuthenticateRequest" in log_text and "Authenticated as bob via PLAIN" in log_text
    assert "connecting to secure-scramtls failed" in log_text and "Traceback" in log_text
    assert "***" in log_text
    for secret in secrets:
        assert secret not in log_text
        for text in messages:
            assert secret not in text
