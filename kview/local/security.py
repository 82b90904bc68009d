"""A local Kafka cluster with TLS and SASL listeners, for the security tests.

Wraps :class:`~kview.local.cluster.DevCluster`: certificates are made at
start (:mod:`kview.local.certs`), every secured listener is added next to the
plain one, and SCRAM users are created by Kafka's own ``kafka-storage format
--add-scram``.
The PLAINTEXT listener stays for inter-broker traffic and Kafka's tools.

Listeners (names as in :attr:`SecureDevCluster.LISTENERS`):

==========  ===============  ===================================================
TLS         SSL              broker cert for 127.0.0.1/localhost; a client
                             certificate is requested, not required
MTLS        SSL              a client certificate is required
WRONGHOST   SSL              broker cert names only ``wrong-host.invalid``
SCRAMTLS    SASL_SSL         SCRAM-SHA-256 and SCRAM-SHA-512
SASLPLAIN   SASL_PLAINTEXT   PLAIN, users in the listener's JAAS config
SCRAM512    SASL_PLAINTEXT   SCRAM-SHA-512 only
==========  ===============  ===================================================

With ``authorizer=True`` the broker runs KRaft's ``StandardAuthorizer``:
what a principal may do is what ACLs allow.  The harness's own principal
(``User:ANONYMOUS`` on the PLAINTEXT and controller listeners, which Kafka's
tools and the brokers themselves use) and ``super_users`` bypass ACLs.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

from kview.core.config import ClusterProfile, Secret, SecuritySettings
from kview.local.certs import DevCertificates, make_dev_certificates
from kview.local.cluster import DevCluster

STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
_SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


def _plain_jaas(users: dict[str, str]) -> str:
    entries = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    return f"org.apache.kafka.common.security.plain.PlainLoginModule required {entries};"


def _check_credential(value: str, what: str) -> None:
    # kafka-storage parses "[name=...,password=...]" lists and the JAAS line is quoted:
    # keep test credentials to characters neither format treats specially.
    if not value or not all(c.isalnum() or c in "-_." for c in value):
        raise ValueError(f"{what} may only use letters, digits, '-', '_' and '.'")


class SecureDevCluster:
    """One broker with TLS, SASL_SSL (SCRAM) and SASL_PLAINTEXT (PLAIN) listeners.

    ``scram_users`` and ``plain_users`` map user names to passwords; when not
    given, one user each (``alice`` for SCRAM, ``bob`` for PLAIN) gets a random
    password.  ``authorizer`` turns on the StandardAuthorizer, with
    ``super_users`` (user names) allowed everything.  Use as a context manager, or call start() and stop().
    """

    LISTENERS: dict[str, str] = {
        "TLS": "SSL",
        "MTLS": "SSL",
        "WRONGHOST": "SSL",
        "SCRAMTLS": "SASL_SSL",
        "SASLPLAIN": "SASL_PLAINTEXT",
        "SCRAM512": "SASL_PLAINTEXT",
    }
    SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")

    def __init__(
        self,
        *,
        scram_users: dict[str, str] | None = None,
        plain_users: dict[str, str] | None = None,
        authorizer: bool = False,
        super_users: tuple[str, ...] = (),
    ) -> None:
        self.scram_users = dict(scram_users or {"alice": "scram-" + secrets.token_hex(12)})
        self.plain_users = dict(plain_users or {"bob": "plain-" + secrets.token_hex(12)})
        for name, password in {**self.scram_users, **self.plain_users}.items():
            _check_credential(name, "user name")
            _check_credential(password, f"password of {name}")
        self.authorizer = authorizer
        self.super_users = tuple(super_users)
        self.cert_dir: Path | None = None
        self.certs: DevCertificates | None = None
        self.cluster: DevCluster | None = None

    def __enter__(self) -> SecureDevCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 90.0) -> None:
        """Make certificates, format the broker with the SCRAM users, start it."""
        self.cert_dir = Path(tempfile.mkdtemp(prefix="kview-certs-"))
        try:
            self.certs = make_dev_certificates(self.cert_dir)
            self.cluster = DevCluster(
                1, extra_config=self._broker_config(self.certs), extra_listeners=dict(self.LISTENERS)
            )
            self.cluster.format_args = self._scram_format_args()
            self.cluster.start(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the broker and delete the certificates."""
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        if self.cert_dir is not None:
            shutil.rmtree(self.cert_dir, ignore_errors=True)
            self.cert_dir = None

    # -- what tests connect with ------------------------------------------------------

    def bootstrap(self, listener: str) -> str:
        """``host:port`` of one secured listener (or "PLAINTEXT")."""
        assert self.cluster is not None, "cluster not started"
        if listener == "PLAINTEXT":
            return self.cluster.bootstrap
        return self.cluster.listener_bootstrap(listener)

    def profile(
        self,
        listener: str,
        *,
        mechanism: str | None = None,
        username: str | None = None,
        password: str | None = None,
        client_cert: bool = False,
        ca_file: str | Path | None = None,
        check_hostname: bool = True,
        protocol: str | None = None,
        request_timeout_ms: int = 10_000,
    ) -> ClusterProfile:
        """A profile for ``listener``: TLS listeners trust the test CA (or
        ``ca_file``); SASL listeners log in as the first user of the listener's
        kind unless ``username``/``password`` say otherwise.  ``protocol``
        overrides the listener's own, to test a client that speaks the wrong one."""
        assert self.certs is not None, "cluster not started"
        protocol = protocol or self.LISTENERS.get(listener, "PLAINTEXT")
        values: dict[str, object] = {"protocol": protocol, "check_hostname": check_hostname}
        if protocol in ("SSL", "SASL_SSL"):
            values["ca_file"] = str(ca_file or self.certs.ca_file)
            if client_cert:
                values["cert_file"] = str(self.certs.client_cert_file)
                values["key_file"] = str(self.certs.client_key_file)
                values["key_password"] = Secret(self.certs.client_key_password)
        if protocol.startswith("SASL_"):
            users = self.plain_users if (mechanism or listener) in ("PLAIN", "SASLPLAIN") else self.scram_users
            default_user = next(iter(users))
            username = username or default_user
            if password is None:
                password = users.get(username, "")
            values["sasl_mechanism"] = mechanism or ("PLAIN" if listener == "SASLPLAIN" else "SCRAM-SHA-512")
            values["username"] = username
            values["password"] = Secret(password)
        return ClusterProfile(
            name=f"secure-{listener.lower()}",
            bootstrap=(self.bootstrap(listener),),
            request_timeout_ms=request_timeout_ms,
            security=SecuritySettings(**values),  # type: ignore[arg-type]
        )

    # -- internals ---------------------------------------------------------------------

    def _broker_config(self, certs: DevCertificates) -> dict[str, str]:
        config = {
            # Defaults for every SSL listener: PEM files straight from devcerts.
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(certs.server_keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(certs.ca_file),
            "ssl.client.auth": "requested",
            "listener.name.mtls.ssl.client.auth": "required",
            "listener.name.wronghost.ssl.keystore.location": str(certs.wrong_host_keystore),
            "listener.name.scramtls.sasl.enabled.mechanisms": ",".join(self.SCRAM_MECHANISMS),
            "listener.name.saslplain.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.saslplain.plain.sasl.jaas.config": _plain_jaas(self.plain_users),
            "listener.name.scram512.sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "listener.name.scram512.scram-sha-512.sasl.jaas.config": _SCRAM_MODULE,
        }
        for mechanism in self.SCRAM_MECHANISMS:
            config[f"listener.name.scramtls.{mechanism.lower()}.sasl.jaas.config"] = _SCRAM_MODULE
        if self.authorizer:
            config["authorizer.class.name"] = STANDARD_AUTHORIZER
            config["super.users"] = ";".join(["User:ANONYMOUS", *(f"User:{u}" for u in self.super_users)])
        return config

    def _scram_format_args(self) -> list[str]:
        """``kafka-storage format --add-scram`` arguments: the credentials are in
        the metadata log from the first start, with no extra tool run."""
        args: list[str] = []
        for name, password in self.scram_users.items():
            for mechanism in self.SCRAM_MECHANISMS:
                args += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
        return args
