"""Connection settings and failures that need no broker: TLS files that
cannot be loaded, incomplete SASL settings, nothing listening, a server that
never answers.  Each gives one line, quickly, without a secret in it."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace

import pytest

from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.config import ClusterProfile, Secret, SecuritySettings
from kview.core.connectivity import build_ssl_context
from kview.core.errors import ClusterUnavailable
from kview.core.logs import redact
from kview.local.certs import make_dev_certificates

KEY_PASSWORD = "unit-key-pw-31f0"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_dev_certificates(tmp_path_factory.mktemp("certs"), client_key_password=KEY_PASSWORD)


def _one_line(exc: BaseException) -> str:
    message = str(exc)
    assert message and "\n" not in message and "Traceback" not in message
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)
    return message


def _tls(certs, **changes) -> SecuritySettings:
    base = SecuritySettings(
        protocol="SSL",
        ca_file=str(certs.ca_file),
        cert_file=str(certs.client_cert_file),
        key_file=str(certs.client_key_file),
        key_password=Secret(KEY_PASSWORD),
    )
    return replace(base, **changes)


def test_tls_context_loads_ca_and_encrypted_client_key(certs):
    context = build_ssl_context(_tls(certs))
    assert context.check_hostname is True  # on unless the profile turns it off
    assert len(context.get_ca_certs()) == 1
    assert build_ssl_context(_tls(certs, check_hostname=False)).check_hostname is False


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"ca_file": "/nonexistent/ca.pem"}, "ca_file /nonexistent/ca.pem: no such file"),
        ({"key_password": Secret("not-the-password")}, "wrong key_password"),
        ({"key_password": None}, "is encrypted: set key_password"),
        ({"cert_file": None}, "key_file is set but cert_file is not"),
        ({"cert_file": "/nonexistent/client.pem"}, "cert_file /nonexistent/client.pem: no such file"),
    ],
)
def test_tls_settings_that_cannot_load_name_the_file(certs, changes, fragment):
    with pytest.raises(ClusterUnavailable) as info:
        build_ssl_context(_tls(certs, **changes))
    message = _one_line(info.value)
    assert fragment in message
    assert KEY_PASSWORD not in message and "not-the-password" not in message


def test_ca_file_without_a_certificate(certs):
    with pytest.raises(ClusterUnavailable) as info:
        build_ssl_context(_tls(certs, ca_file=str(certs.client_key_file)))
    assert "no PEM CA certificate" in _one_line(info.value)


def test_key_that_does_not_match_the_certificate(certs):
    # The broker's key file holds an unencrypted key that is not the client's.
    with pytest.raises(ClusterUnavailable) as info:
        build_ssl_context(_tls(certs, key_file=str(certs.server_keystore), key_password=None))
    assert "does not belong to cert_file" in _one_line(info.value)


def _profile(bootstrap: str, timeout_ms: int = 15000, **security) -> ClusterProfile:
    return ClusterProfile(
        name="t",
        bootstrap=tuple(bootstrap.split(",")),
        request_timeout_ms=timeout_ms,
        security=SecuritySettings(**security),
    )


def test_unknown_sasl_mechanism_is_refused_before_connecting():
    profile = _profile(
        "127.0.0.1:9",
        protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-1",
        username="u",
        password=Secret("pw-abcdef"),
    )
    with pytest.raises(ClusterUnavailable) as info:
        connection_kwargs(profile)
    assert "SASL mechanism 'SCRAM-SHA-1' is not supported" in _one_line(info.value)


def test_sasl_without_password_is_refused():
    profile = _profile("127.0.0.1:9", protocol="SASL_SSL", sasl_mechanism="PLAIN", username="u")
    with pytest.raises(ClusterUnavailable) as info:
        connection_kwargs(profile)
    assert "needs a username and password" in _one_line(info.value)


def test_connection_kwargs_registers_the_secrets():
    password = "reg-pw-5a8b2c"
    kwargs = connection_kwargs(
        _profile(
            "127.0.0.1:9", protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", username="u", password=Secret(password)
        )
    )
    assert kwargs["sasl_plain_password"] == password
    assert redact(f"x {password} y") == "x *** y"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_nothing_listening_fails_fast_with_one_line():
    client = ClusterClient(_profile(f"127.0.0.1:{_closed_port()}"))
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as info:
        await client.start()
    assert time.monotonic() - started < 3
    message = _one_line(info.value)
    assert "connection refused" in message
    assert not client.connected


@pytest.fixture
async def silent_server():
    """Accepts connections and never says a word (a hung broker, a firewall)."""
    writers = []

    async def hold(reader, writer):
        writers.append(writer)
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SSL", "SASL_SSL"])
async def test_silent_server_fails_within_the_request_timeout(silent_server, certs, protocol):
    security = {"protocol": protocol}
    if protocol != "PLAINTEXT":
        security["ca_file"] = str(certs.ca_file)
    if protocol == "SASL_SSL":
        security.update(sasl_mechanism="SCRAM-SHA-256", username="u", password=Secret("silent-pw-9d2"))
    client = ClusterClient(_profile(silent_server, timeout_ms=800, **security))
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as info:
        await client.start()
    elapsed = time.monotonic() - started
    assert elapsed < 3, f"start took {elapsed:.1f} s with an 0.8 s request timeout"
    message = _one_line(info.value)
    assert "no answer within 0.8 s" in message and "silent-pw" not in message


async def test_several_servers_report_the_most_telling_failure(silent_server):
    refused = f"127.0.0.1:{_closed_port()}"
    client = ClusterClient(_profile(f"{refused},{silent_server}", timeout_ms=800))
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as info:
        await client.start()
    assert time.monotonic() - started < 3, "servers are probed at once, not one after another"
    message = _one_line(info.value)
    # A refused connection says more than silence: that is the reason given.
    assert f"(reason from {refused}): connection refused" in message
