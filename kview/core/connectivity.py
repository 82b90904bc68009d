"""Connecting securely, and why a connection to a cluster failed, in one line.

``build_ssl_context`` turns a profile's TLS settings into an SSLContext, with
an error naming the file at fault when one cannot be loaded.

aiokafka's bootstrap swallows the reason a broker refused it (a wrong
password, an untrusted certificate) and raises "Unable to bootstrap".  Before
ClusterClient starts its admin client it opens one connection per bootstrap
server here, all at once and within a time bound, through the same path
(TCP, TLS handshake, ApiVersions, SASL) so that the real exception is seen and
turned into a sentence the user can act on.  No message names a secret.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import ssl
from collections.abc import Mapping
from typing import Any

from aiokafka import errors as kafka_errors
from aiokafka.conn import AIOKafkaConnection
from aiokafka.protocol.admin import SaslHandShakeRequest
from aiokafka.protocol.metadata import MetadataRequest

from kview.core.config import ClusterProfile, SecuritySettings
from kview.core.errors import ClusterUnavailable, describe_exception
from kview.core.logs import redact

log = logging.getLogger(__name__)


class _KeyPasswordMissing(Exception):
    """Raised from OpenSSL's password callback instead of prompting on the tty."""


def _no_key_password() -> str:
    raise _KeyPasswordMissing


def build_ssl_context(security: SecuritySettings) -> ssl.SSLContext:
    """The TLS context for a profile: its CA (or the system's), its client
    certificate if any, hostname checks unless turned off.  Raises
    ClusterUnavailable naming the file at fault, never the key password."""
    try:
        context = ssl.create_default_context(cafile=security.ca_file)
    except FileNotFoundError:
        raise ClusterUnavailable(f"ca_file {security.ca_file}: no such file") from None
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ClusterUnavailable(
            f"ca_file {security.ca_file}: no PEM CA certificate in it ({_ssl_reason(exc)})"
        ) from None
    context.check_hostname = security.check_hostname
    if security.key_file and not security.cert_file:
        raise ClusterUnavailable("key_file is set but cert_file is not: give the client certificate too")
    if security.cert_file:
        for name, path in (("cert_file", security.cert_file), ("key_file", security.key_file)):
            if path and not os.path.isfile(path):
                raise ClusterUnavailable(f"{name} {path}: no such file")
        key_file = security.key_file or security.cert_file
        # Without a password, OpenSSL would prompt on the terminal for an
        # encrypted key; the callback refuses instead.
        password = security.key_password.reveal() if security.key_password else _no_key_password
        try:
            context.load_cert_chain(security.cert_file, security.key_file, password)
        except _KeyPasswordMissing:
            raise ClusterUnavailable(
                f"key_file {key_file} is encrypted: set key_password (or key_password_file)"
            ) from None
        except ssl.SSLError as exc:
            if exc.reason == "KEY_VALUES_MISMATCH":
                detail = f"key_file {key_file} does not belong to cert_file {security.cert_file}"
            elif security.key_password is not None:
                detail = f"cannot load key_file {key_file}: wrong key_password, or not a PEM key ({_ssl_reason(exc)})"
            else:
                detail = f"cannot load cert_file {security.cert_file} / key_file {key_file}: {_ssl_reason(exc)}"
            raise ClusterUnavailable(redact(detail)) from None
        except OSError as exc:
            raise ClusterUnavailable(f"cannot read {key_file}: {exc.strerror or exc}") from None
    return context


def _ssl_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return reason.replace("_", " ").lower() if reason else str(exc)


def split_server(server: str) -> tuple[str, int]:
    """``host:port`` (IPv6 hosts in brackets) as a (host, port) pair."""
    host, _, port = server.rpartition(":")
    return host.strip("[]"), int(port)


async def probe_bootstrap(profile: ClusterProfile, kwargs: dict[str, Any], *, timeout: float) -> None:
    """Return once one bootstrap server completes a connection (TLS, ApiVersions,
    SASL); otherwise raise ClusterUnavailable with the clearest reason found."""
    servers = list(profile.bootstrap)
    tasks = {asyncio.ensure_future(_connect(server, kwargs)): server for server in servers}
    failures: dict[str, BaseException] = {}
    try:
        pending = set(tasks)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while pending:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            done, pending = await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                if exc is None:
                    return  # the connection is closed in the finally below
                failures[tasks[task]] = exc
        for task in pending:
            failures[tasks[task]] = TimeoutError()
    finally:
        await _cancel_and_close(tasks)

    server, exc = min(failures.items(), key=lambda item: _rank(item[1]))
    reason = await explain_connection_error(exc, profile, server=server, timeout=timeout, kwargs=kwargs)
    where = server if len(servers) == 1 else f"{profile.bootstrap_servers} (reason from {server})"
    raise ClusterUnavailable(redact(f"cannot connect to {where}: {reason}"))


async def explain_connection_error(
    exc: BaseException,
    profile: ClusterProfile,
    *,
    server: str | None = None,
    timeout: float = 5.0,
    kwargs: dict[str, Any] | None = None,
) -> str:
    """One line saying why connecting failed, for any exception aiokafka or the
    socket layer raises while a connection is set up."""
    cause = exc.__cause__
    if isinstance(exc, kafka_errors.KafkaConnectionError) and isinstance(cause, OSError):
        # "Connection ... closed" hides the TLS alert or socket error behind it.
        return await explain_connection_error(cause, profile, server=server, timeout=timeout, kwargs=kwargs)
    security = profile.security
    mechanism = security.sasl_mechanism
    if isinstance(exc, kafka_errors.SaslAuthenticationFailed):
        return (
            f"authentication failed for user {security.username} ({mechanism}): "
            f"the broker rejected the user name or password"
        )
    if isinstance(exc, kafka_errors.UnsupportedSaslMechanismError):
        enabled = None
        if server is not None and kwargs is not None:
            enabled = await _enabled_mechanisms(server, kwargs, min(timeout, 5.0))
        also = f" (it enables: {', '.join(sorted(enabled))})" if enabled else ""
        return f"the broker does not enable SASL mechanism {mechanism} on this listener{also}"
    if isinstance(exc, kafka_errors.IllegalSaslStateError):
        return f"SASL {mechanism} handshake refused by the broker: is this listener {security.protocol}?"
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = (exc.verify_message or exc.reason or str(exc)).rstrip(".")
        if "mismatch" in detail.lower():
            hint = "connect by a name the certificate lists, or set check_hostname: false"
        elif security.ca_file:
            hint = f"is {security.ca_file} the CA that signed the broker's certificate?"
        else:
            hint = "no ca_file is set, so only the system's CAs are trusted"
        return f"TLS certificate verification failed: {detail} ({hint})"
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return "the broker ended the TLS handshake: is this a TLS listener (SSL or SASL_SSL)?"
    if isinstance(exc, ssl.SSLError):
        reason = (exc.reason or str(exc)).replace("_", " ").lower()
        if "wrong version number" in reason or "record layer failure" in reason:
            return f"TLS handshake failed: {reason} (is this a TLS listener?)"
        if any(alert in reason for alert in ("certificate required", "bad certificate", "unknown ca")):
            # The broker's alert when it wants a client certificate and got
            # none, or one it does not trust.
            if not security.cert_file:
                return f"the broker requires a client certificate: set cert_file and key_file ({reason})"
            return f"the broker rejected the client certificate {security.cert_file} ({reason})"
        return f"TLS handshake failed: {reason}"
    if isinstance(
        exc, (TimeoutError, asyncio.TimeoutError, kafka_errors.KafkaTimeoutError, kafka_errors.RequestTimedOutError)
    ):
        return f"no answer within {timeout:g} s (is the broker up, and is this listener {security.protocol}?)"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name: {exc.strerror or exc}"
    if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == errno.ECONNREFUSED:
        return "connection refused (is a broker listening there?)"
    if isinstance(exc, kafka_errors.KafkaConnectionError) and ("closed" in str(exc) or "broken" in str(exc)):
        return _closed_during_setup(profile)
    if isinstance(exc, (ConnectionResetError, EOFError)):
        # Raised while the TLS handshake or the first request was in flight.
        if security.uses_tls:
            return "the broker ended the TLS handshake: is this a TLS listener (SSL or SASL_SSL)?"
        return _closed_during_setup(profile)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return describe_exception(exc)


# -- internals ---------------------------------------------------------------------


def _closed_during_setup(profile: ClusterProfile) -> str:
    security = profile.security
    if security.protocol == "SSL" and not security.cert_file:
        return (
            "the broker closed the connection during set-up: it may require a client "
            "certificate (set cert_file and key_file) or SASL (protocol SASL_SSL)"
        )
    if security.protocol == "SSL":
        return (
            "the broker closed the connection during set-up: it may not accept this client "
            "certificate, or it may require SASL (protocol SASL_SSL)"
        )
    return (
        f"the broker closed the connection during set-up: is this listener {security.protocol}? "
        "(a TLS or SASL listener drops other clients)"
    )


def _rank(exc: BaseException) -> int:
    """Which failure explains most when servers fail differently: a broker that
    answered and refused says more than one that did not answer."""
    if isinstance(
        exc,
        (
            kafka_errors.SaslAuthenticationFailed,
            kafka_errors.UnsupportedSaslMechanismError,
            kafka_errors.IllegalSaslStateError,
        ),
    ):
        return 0
    if isinstance(exc, ssl.SSLError):
        return 1
    if isinstance(exc, kafka_errors.KafkaConnectionError):
        return 2
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return 4
    return 3


def _connection(
    server: str, kwargs: dict[str, Any], *, protocol: str | None = None, sasl: bool = True
) -> AIOKafkaConnection:
    host, port = split_server(server)
    return AIOKafkaConnection(
        host,
        port,
        client_id=kwargs.get("client_id", "kview"),
        request_timeout_ms=kwargs.get("request_timeout_ms", 15000),
        ssl_context=kwargs.get("ssl_context"),
        security_protocol=protocol or kwargs.get("security_protocol", "PLAINTEXT"),
        sasl_mechanism=kwargs.get("sasl_mechanism") if sasl else None,
        sasl_plain_username=kwargs.get("sasl_plain_username") if sasl else None,
        sasl_plain_password=kwargs.get("sasl_plain_password") if sasl else None,
    )


async def _connect(server: str, kwargs: dict[str, Any]) -> AIOKafkaConnection:
    conn = _connection(server, kwargs)
    try:
        await conn.connect()
        # What aiokafka's bootstrap asks first.  A SASL listener answers
        # ApiVersions before authentication but drops a client that sends
        # this without having authenticated, so the probe catches that too.
        await conn.send(MetadataRequest([]))
    except BaseException:
        conn.close()
        raise
    return conn


async def _enabled_mechanisms(server: str, kwargs: dict[str, Any], timeout: float) -> list[str] | None:
    """Ask the broker which SASL mechanisms the listener enables (a handshake
    without authenticating), or None when it cannot be asked."""
    protocol = "SSL" if kwargs.get("security_protocol") == "SASL_SSL" else "PLAINTEXT"
    conn = _connection(server, kwargs, protocol=protocol, sasl=False)
    try:
        async with asyncio.timeout(timeout):
            await conn.connect()
            response = await conn.send(SaslHandShakeRequest(kwargs.get("sasl_mechanism") or "PLAIN"))
        return list(response.enabled_mechanisms)
    except Exception:  # only a hint for the message; the real failure is already known
        log.debug("asking %s for its SASL mechanisms failed", server, exc_info=True)
        return None
    finally:
        conn.close()


async def _cancel_and_close(tasks: Mapping[asyncio.Task[Any], str]) -> None:
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, AIOKafkaConnection):
            result.close()
